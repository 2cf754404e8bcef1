"""`mudar retarget` end to end on synthetic dances, and its one-line errors on bad input."""

import argparse
import json
from dataclasses import asdict

import pytest

from mudar.cli import retarget as retarget_cli
from mudar.cli.main import main
from mudar.io import probe
from mudar.pipelines.retarget_options import RetargetOptions
from mudar.synthetic.video import make_clip

KEYS = {
    "method",
    "n_rhythm_points",
    "offset_before_s",
    "offset_after_s",
    "bas_before",
    "bas_before_new_song",
    "offset_before_new_song_s",
    "bas_after",
    "worse",
    "max_speed",
    "min_speed",
    "sigma_s",
    "end",
    "dance_use",
    "width",
    "height",
}


def run_cli(capsys, *argv):
    """``mudar retarget ARGV`` as the program runs it."""
    code = main(["retarget", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def parsed_options(*argv) -> dict:
    """The options ``mudar retarget V M -o O ARGV`` asks for, by RetargetOptions field."""
    parser = argparse.ArgumentParser()
    retarget_cli.add_parser(parser.add_subparsers())
    a = parser.parse_args(["retarget", "v.mp4", "m.wav", "-o", "o.mp4", *argv])
    names = {f: f for f in asdict(RetargetOptions())} | {"sigma_s": "sigma"}
    return {f: getattr(a, arg) for f, arg in names.items()}


@pytest.mark.parametrize(
    "defaults",
    [
        RetargetOptions(),
        RetargetOptions(
            method="accel",
            dance_method="directogram",
            music_rhythm="beats",
            resample="nearest",
            min_speed=0.25,
            max_speed=4.0,
            sigma_s=0.05,
            max_side=320,
            crf=23,
            end="stop",
            song_start=1.5,
            song_end=9.0,
        ),
    ],
)
def test_the_command_line_defaults_are_the_options_dataclass(monkeypatch, defaults):
    """Every default of ``mudar retarget`` is read from RetargetOptions, not stated again."""
    monkeypatch.setattr(retarget_cli, "DEFAULTS", defaults)
    assert parsed_options() == asdict(defaults)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """A 6 s dance at 100 BPM and 4 s of music at 120 BPM (a wav, and a tiny video with it)."""
    root = tmp_path_factory.mktemp("retarget")
    dance = make_clip(root, name="dance", tempo_bpm=100.0, duration_s=6.0, size=(160, 120))
    song = make_clip(root, name="song", tempo_bpm=120.0, duration_s=4.0, size=(32, 32), seed=2)
    silent = make_clip(root, name="silent", duration_s=1.0, size=(32, 32), audio=False)
    return dance, song, silent.path


def test_dtw_retarget_writes_a_playable_file_and_improves_alignment(capsys, clips, tmp_path):
    dance, song, _ = clips
    out = tmp_path / "out.mp4"
    code, text, err = run_cli(
        capsys, dance.path, song.audio_path, "-o", out, "--music-rhythm", "beats", "--json"
    )
    assert code == 0, err
    r = json.loads(text)
    assert KEYS <= set(r)
    assert r["method"] == "dtw" and r["dance_method"] == "motion-energy" and r["sigma_s"] == 0.1
    info = probe(out)
    assert info.has_video and info.has_audio
    assert info.duration_s == pytest.approx(4.0, abs=2 / 25)  # A's length
    assert (info.width, info.height) == (160, 120) and info.native_fps == pytest.approx(25.0)
    assert 0.5 - 1e-6 <= r["min_speed"] <= r["max_speed"] <= 2.0 + 1e-6
    assert r["rhythm_points"]["dance_after"] > 0
    assert r["n_rhythm_points"] == r["rhythm_points"]["dance"]
    # measured on the output file itself: the dance now sits on the new song's beats
    assert r["bas_after"] > r["bas_before_new_song"] + 0.2 and not r["worse"]
    assert r["offset_after_s"] < r["offset_before_new_song_s"]
    # before: the dance with its own music (which it was made on), above it on the new song
    assert r["bas_before"] > r["bas_before_new_song"]
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left


def test_shift_nearest_text_report_onto_a_video_with_sound(capsys, clips, tmp_path):
    dance, song, _ = clips
    out = tmp_path / "out.mkv"
    code, text, err = run_cli(
        capsys, dance.path, song.path, "-o", out, "--method", "shift", "--nearest"
    )
    assert code == 0, err
    assert "BAS (sigma 0.1 s)" in text and "speed 1.00x .. 1.00x" in text
    assert probe(out).duration_s == pytest.approx(4.0, abs=2 / 25)


def test_a_short_video_loops_to_the_music_length(capsys, clips, tmp_path):
    dance, song, silent = clips  # 1 s of silent dance onto 4 s of music
    out = tmp_path / "loop.mp4"
    code, text, err = run_cli(capsys, silent, song.audio_path, "-o", out, "--json", "--nearest")
    assert code == 0, err
    assert json.loads(text)["n_loops"] >= 4
    assert probe(out).duration_s == pytest.approx(4.0, abs=2 / 25)


def test_learned_dance_rhythm_runs_without_the_music(capsys, clips, tmp_path, debug_checkpoint):
    dance, song, _ = clips
    out = tmp_path / "out.mp4"
    code, text, err = run_cli(
        capsys,
        dance.path,
        song.audio_path,
        "-o",
        out,
        "--dance-method",
        "mudar",
        "--checkpoint",
        debug_checkpoint,
        "--method",
        "accel",
        "--json",
    )
    assert code == 0, err
    assert json.loads(text)["dance_method"] == "mudar-noaudio"


@pytest.mark.parametrize(
    "case, needle",
    [
        ("audio_video", "has no video stream"),
        ("silent_music", "has no audio stream"),
        ("missing", "no such file"),
        ("no_folder", "no such directory"),
        ("extension", "unknown video extension"),
        ("overwrite", "overwrite an input"),
        ("speed", "speed bounds"),
        ("truncated", ""),
        ("song_start", "past its end"),
        ("song_window", "must be after its start"),
        ("method", "unknown --method nope"),
    ],
)
def test_bad_input_is_one_clean_line_and_writes_nothing(
    capsys, clips, tmp_path, case, needle, truncated_mp4
):
    dance, song, silent = clips
    video, music, out = dance.path, song.audio_path, tmp_path / "out.mp4"
    extra = []
    if case == "audio_video":
        video = song.audio_path
    elif case == "silent_music":
        music = silent
    elif case == "missing":
        video = tmp_path / "nope.mp4"
    elif case == "no_folder":
        out = tmp_path / "no" / "out.mp4"
    elif case == "extension":
        out = tmp_path / "out.avi"
    elif case == "overwrite":
        out = dance.path
    elif case == "speed":
        extra = ["--min-speed", "1.5"]
    elif case == "truncated":
        video = truncated_mp4
    elif case == "song_start":
        extra = ["--song-start", "4.5"]
    elif case == "song_window":
        extra = ["--song-start", "2", "--song-end", "1"]
    elif case == "method":
        extra = ["--method", "shift,nope"]
    code, text, err = run_cli(capsys, video, music, "-o", out, *extra)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mudar: error: ") and needle in lines[0]
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def short_and_long(tmp_path_factory):
    """A 3 s dance at 100 BPM with its music, and a 10 s song at 120 BPM (wav)."""
    root = tmp_path_factory.mktemp("retarget_lengths")
    dance = make_clip(root, name="short", tempo_bpm=100.0, duration_s=3.0, size=(64, 48))
    song = make_clip(root, name="long", tempo_bpm=120.0, duration_s=10.0, size=(16, 16), seed=3)
    return dance.path, song.audio_path


def test_a_3s_dance_on_a_10s_song_loops_3_to_4_times_and_says_so(capsys, short_and_long, tmp_path):
    dance, song = short_and_long
    out = tmp_path / "loop.mp4"
    code, text, err = run_cli(capsys, dance, song, "-o", out, "--json", "--method", "shift")
    assert code == 0, err
    r = json.loads(text)
    assert r["end"] == "loop" and 3 <= r["dance_use"]["played_times"] <= 4
    assert r["dance_use"]["cut_s"] == 0
    assert "loops" in r["notes"][0] and "played 3.3 times" in r["notes"][0]
    assert "--end stop" in r["notes"][0]  # what to ask for instead
    assert probe(out).duration_s == pytest.approx(10.0, abs=2 / 25)


def test_end_stop_ends_with_the_dance(capsys, short_and_long, tmp_path):
    dance, song = short_and_long
    out = tmp_path / "stop.mp4"
    code, text, err = run_cli(
        capsys, dance, song, "-o", out, "--json", "--method", "shift", "--end", "stop"
    )
    assert code == 0, err
    r = json.loads(text)
    assert r["end"] == "stop" and r["duration_s"] == pytest.approx(3.0, abs=1 / 25)
    assert r["dance_use"]["played_times"] == pytest.approx(1.0, abs=0.05)
    assert probe(out).duration_s == pytest.approx(3.0, abs=2 / 25)


def test_a_long_dance_on_a_short_song_says_how_much_is_cut(capsys, short_and_long, tmp_path):
    dance, song = short_and_long
    out = tmp_path / "cut.mp4"
    code, text, err = run_cli(
        capsys, dance, song, "-o", out, "--method", "shift", "--song-start", "4", "--song-end", "5"
    )
    assert code == 0, err
    assert "The song (1.0 s) is shorter than the dance (3.0 s)" in text
    assert "2.0 s (67 %) is cut" in text
    assert probe(out).duration_s == pytest.approx(1.0, abs=2 / 25)


def test_the_output_keeps_the_source_resolution(capsys, short_and_long, tmp_path):
    _, song = short_and_long
    hd = make_clip(tmp_path, name="hd", duration_s=1.0, size=(1280, 720), audio=False)
    out = tmp_path / "hd-out.mp4"
    code, text, err = run_cli(
        capsys, hd.path, song, "-o", out, "--json", "--end", "stop", "--method", "shift"
    )
    assert code == 0, err
    r = json.loads(text)
    info = probe(out)
    assert (info.width, info.height) == (r["width"], r["height"]) == (1280, 720)
    assert r["bas_before"] is None  # a silent dance has no music of its own
    code, text, err = run_cli(
        capsys,
        hd.path,
        song,
        "-o",
        out,
        "--json",
        "--end",
        "stop",
        "--method",
        "shift",
        "--max-side",
        "640",
    )
    assert code == 0, err
    assert (probe(out).width, probe(out).height) == (640, 360)


def test_several_methods_write_one_video_each_and_compare(capsys, short_and_long, tmp_path):
    dance, song = short_and_long
    out = tmp_path / "out.mp4"
    argv = [dance, song, "-o", out, "--method", "shift,dtw", "--song-end", "4"]
    code, text, err = run_cli(capsys, *argv, "--json")
    assert code == 0, err
    reports = json.loads(text)
    assert [r["method"] for r in reports] == ["shift", "dtw"]
    assert [r["out"] for r in reports] == [str(tmp_path / f"out-{m}.mp4") for m in ("shift", "dtw")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out-dtw.mp4", "out-shift.mp4"]
    assert len({r["bas_before_new_song"] for r in reports}) == 1  # one reading of the inputs
    code, text, err = run_cli(capsys, *argv)
    assert code == 0, err
    assert "| method | BAS after |" in text and "| shift" in text and "| dtw" in text
