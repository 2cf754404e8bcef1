"""`mudar rhythm` on good, odd and bad files: JSON keys fixed, clean one-line errors."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mudar.cli.main import main
from mudar.tasks.rhythm import default_dance_method

KEYS = {"file", "duration_s", "fps", "music", "dance"}


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def rhythm_json(capsys, path):
    code, out, err = run_cli(capsys, "rhythm", "--json", str(path))
    assert code == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 1
    r = json.loads(lines[0])
    assert set(r) == KEYS
    return r


def test_dance_clip_has_both_rhythms(capsys, dance_clip):
    r = rhythm_json(capsys, dance_clip.path)
    assert r["fps"] == 8.0
    assert r["duration_s"] == pytest.approx(dance_clip.duration_s, abs=0.15)
    assert set(r["music"]) == {"tempo_bpm", "tempo_alternatives", "beat_times", "onset_times"}
    assert set(r["dance"]) == {"method", "rhythm_times", "rhythm_strength"}
    # the method that times dances best at the speed of an analysis (docs/results.md)
    assert r["dance"]["method"] == default_dance_method() == "motion-energy"
    assert r["music"]["tempo_bpm"] == pytest.approx(dance_clip.tempo_bpm, rel=0.02)
    assert len(r["dance"]["rhythm_strength"]) == round(r["duration_s"] * 8)
    assert all(0 <= t <= r["duration_s"] for t in r["dance"]["rhythm_times"])


@pytest.mark.parametrize(
    "fixture, music, dance",
    [
        ("video_no_audio", False, True),
        ("audio_wav", True, False),
        ("audio_ogg", True, False),
        ("short_video", True, True),
        ("vfr_video", True, True),
        ("rotated_video", None, True),
        ("non_ascii_video", True, True),
    ],
)
def test_odd_but_valid_files(capsys, request, fixture, music, dance):
    path = request.getfixturevalue(fixture)
    r = rhythm_json(capsys, path)
    if music is not None:
        assert (r["music"] is not None) == music
    assert (r["dance"] is not None) == dance
    assert r["file"] == str(path)


@pytest.mark.parametrize(
    "fixture, message",
    [
        ("empty_file", "empty"),
        ("text_mp4", "not a media file"),
        ("missing_path", "no such file"),
        ("directory_path", "is a directory"),
    ],
)
def test_bad_files_give_one_clean_line(capsys, request, fixture, message):
    path = request.getfixturevalue(fixture)
    code, out, err = run_cli(capsys, "rhythm", "--json", str(path))
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mudar: error: ")
    assert str(path) in lines[0] and message in lines[0]


@pytest.mark.parametrize("fixture", ["truncated_mp4", "truncated_faststart_mp4"])
def test_truncated_file_is_an_error_or_a_result(capsys, request, fixture):
    path = request.getfixturevalue(fixture)
    code, out, err = run_cli(capsys, "rhythm", "--json", str(path))
    if code == 0:
        assert set(json.loads(out)) == KEYS
    else:
        assert code == 2 and err.startswith("mudar: error: ") and len(err.splitlines()) == 1


def test_batch_carries_on_past_bad_files(capsys, bar_video, missing_path, text_mp4):
    code, out, err = run_cli(
        capsys, "rhythm", "--json", str(missing_path), str(bar_video), str(text_mp4)
    )
    assert code == 0
    assert [json.loads(line)["file"] for line in out.splitlines()] == [str(bar_video)]
    assert "2 of 3 file(s) skipped" in err


def test_plot_is_written(capsys, dance_clip, tmp_path):
    out = tmp_path / "plots" / "r.png"
    code, _, err = run_cli(capsys, "rhythm", str(dance_clip.path), "--plot", str(out))
    assert code == 0, err
    assert out.stat().st_size > 10_000


def test_bad_parameters_are_clean_errors(capsys, bar_video):
    code, _, err = run_cli(capsys, "rhythm", str(bar_video), "--fps", "30", "--method", "hoof-flux")
    assert code == 2 and "whole multiple" in err
    code, _, err = run_cli(capsys, "rhythm", str(bar_video), "--fps", "30", "--method", "mudar")
    assert code == 2 and "--fps must be the model's 8" in err
    code, _, err = run_cli(capsys, "rhythm", str(bar_video), "--flow", "nope")
    assert code == 2 and err.startswith("mudar: error:")
    code, _, err = run_cli(capsys, "rhythm", str(bar_video), "--method", "nope")
    assert code == 2 and "nope" in err


def test_motion_energy_rhythm_from_the_command_line(capsys, dance_clip, tmp_path, monkeypatch):
    from mudar.report import plots

    drawn = {}
    real = plots.plot_rhythm

    def spy(analysis, out, **kw):
        drawn.update(kw)
        return real(analysis, out, **kw)

    monkeypatch.setattr(plots, "plot_rhythm", spy)
    png = tmp_path / "me.png"
    code, _, err = run_cli(
        capsys, "rhythm", str(dance_clip.path), "--method", "motion-energy", "--plot", str(png)
    )
    assert code == 0, err
    # the plot draws the method asked for, not hoof-flux
    assert drawn["dance"]["method"] == "motion-energy" and png.stat().st_size > 10_000

    code, out, err = run_cli(
        capsys, "rhythm", str(dance_clip.path), "--json", "--method", "motion-energy"
    )
    assert code == 0, err
    r = json.loads(out)
    assert r["dance"]["method"] == "motion-energy"
    times = np.asarray(r["dance"]["rhythm_times"])
    assert len(times) >= 4 and np.all(np.diff(times) > 0)
    # the stops are timed below the 8 fps frame: not all on its grid
    assert np.any(np.abs(times * 8 - np.round(times * 8)) > 0.05)


def test_console_script_prints_no_traceback(text_mp4):
    p = subprocess.run(
        [sys.executable, "-m", "mudar", "rhythm", str(text_mp4)], capture_output=True, text=True
    )
    assert p.returncode == 2
    assert "Traceback" not in p.stderr
    assert p.stderr.startswith("mudar: error: ")


def test_learned_rhythm_imports_no_training_or_plotting_stack(dance_clip):
    code = (
        "import contextlib, io, sys\n"
        "from mudar.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['rhythm', '--json', '--method', 'mudar', "
        f"{str(dance_clip.path)!r}]) == 0\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(p.stdout.split())
    assert "torch" in loaded
    assert not loaded & {"lightning", "pytorch_lightning", "faiss", "matplotlib", "sklearn"}


def test_a_learned_method_runs_on_the_models_own_clock(tmp_path, short_video, monkeypatch):
    """Without --fps the model's clock is used, ``sub`` included (--fps had a default of 8,
    which gave a model of another ``sub`` the default clock)."""
    import dataclasses

    import torch

    import mudar.pipelines.rhythm
    from mudar.clock import FrameClock
    from mudar.models.checkpoint import save_model
    from mudar.models.mudar import MuDaR
    from mudar.models.presets import MUDAR_PRESETS

    torch.manual_seed(0)
    own = FrameClock(fps=8.0, sr=16000, sub=4)
    mc = dataclasses.replace(MUDAR_PRESETS["debug"].model, clock=own)
    path = save_model(MuDaR(mc).eval(), tmp_path / "sub4.pt", meta={"threshold": 0.2})
    seen = []

    def file_rhythm(media, *, config, **kwargs):
        seen.append(config)
        return {"file": str(media)}

    monkeypatch.setattr(mudar.pipelines.rhythm, "file_rhythm", file_rhythm)
    argv = ["rhythm", str(short_video), "--json", "--method", "mudar", "--checkpoint", str(path)]
    assert main(argv) == 0
    assert [c.clock for c in seen] == [own]


@pytest.mark.parametrize("name", ["cover.mp3", "cover.ogg"])
def test_song_with_cover_art_is_music_not_a_video(capsys, tmp_path, name):
    import media_factory as mf

    r = rhythm_json(capsys, mf.make_cover_art_song(tmp_path, name, duration_s=4.0))
    assert r["dance"] is None
    assert r["music"]["tempo_bpm"] == pytest.approx(120.0, rel=0.03)
    assert len(r["music"]["beat_times"]) >= 6


def test_a_long_accented_cjk_name_is_printed_intact(capsys, tmp_path, bar_video):
    """Issue 28, 5b: a 200-character name (accents, CJK, spaces) is neither cut nor stripped."""
    import shutil
    import unicodedata

    name = ("Très-longue-danse-de-mon-été à Montréal " * 5)[:189] + "東京の夜の踊り.mp4"
    assert len(name) == 200 and len(name.encode()) < 255  # what a file system takes
    assert unicodedata.is_normalized("NFC", name)
    path = tmp_path / name
    shutil.copyfile(bar_video, path)
    assert rhythm_json(capsys, path)["file"] == str(path)
    code, out, err = run_cli(capsys, "rhythm", str(path))
    assert code == 0, err
    assert name in out


def test_markers_are_written_with_the_beats_counted_and_the_accents(capsys, dance_clip, tmp_path):
    """``--markers OUT``: the beats counted 1-8 and the dance accents, the format by OUT's
    extension, the same times as the JSON report; the text names the accents in words."""
    import csv

    code, out, err = run_cli(capsys, "rhythm", "--json", str(dance_clip.path))
    assert code == 0, err
    r = json.loads(out)
    csv_path = tmp_path / "m.csv"
    code, out, err = run_cli(
        capsys, "rhythm", str(dance_clip.path), "--markers", str(csv_path), "--count-from", "2"
    )
    assert code == 0, err
    assert "dance (motion-energy: the moments the picture stops moving): " in out
    rows = list(csv.DictReader(csv_path.open(encoding="utf-8")))
    beats = [r_ for r_ in rows if r_["kind"] == "beat"]
    assert [float(b["time_s"]) for b in beats] == r["music"]["beat_times"]
    assert [int(b["count"]) for b in beats][:3] == [8, 1, 2]  # beat 2 is 1
    accents = [r_ for r_ in rows if r_["kind"] == "accent"]
    assert [float(a["time_s"]) for a in accents] == r["dance"]["rhythm_times"]
    assert {a["label"] for a in accents} <= {"accent", "weak accent"}

    code, _, err = run_cli(
        capsys, "rhythm", str(dance_clip.path), "--markers", str(tmp_path / "m.json")
    )
    assert code == 0, err
    d = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    assert d["counted_from"] == "the first beat" and d["dance_method"] == "motion-energy"
    assert d["accents"] == "the moments the picture stops moving"
    code, _, err = run_cli(
        capsys, "rhythm", str(dance_clip.path), "--markers", str(tmp_path / "m.srt")
    )
    assert code == 0, err
    srt = (tmp_path / "m.srt").read_text(encoding="utf-8")
    assert srt.startswith("1\n00:00:0") and "\n1\n" in srt and "-->" in srt


def test_markers_of_several_files_and_bad_requests(capsys, dance_clip, bar_video, tmp_path):
    out = tmp_path / "beats.srt"
    code, _, err = run_cli(
        capsys, "rhythm", str(dance_clip.path), str(bar_video), "--markers", str(out)
    )
    assert code == 0, err
    for f in (dance_clip.path, bar_video):
        assert (tmp_path / f"beats-{Path(f).stem}.srt").is_file()
    for argv, words in (
        (["--markers", str(tmp_path / "m.txt")], "must end in .csv, .json, .srt"),
        (["--markers", str(tmp_path / "m.csv"), "--count-from", "0"], "--count-from"),
        (["--markers", str(tmp_path / "m.csv"), "--count-from", "999"], "not on beat 999"),
    ):
        code, out_, err = run_cli(capsys, "rhythm", str(dance_clip.path), *argv)
        assert code == 2 and err.startswith("mudar: error: ") and words in err, err
        assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "m.txt").exists() and not (tmp_path / "m.csv").exists()


def test_the_text_names_the_half_tempo_of_a_breakbeat(capsys, tmp_path):
    # the breakdance case: 80 BPM kicks under off-beat hats as loud read 160, with 80 beside it
    from mudar.io.write import write_audio
    from mudar.synthetic.soundtrack import synth_music

    y, _ = synth_music(
        tempo_bpm=80.0, duration_s=8.0, sr=22050, accents=False, tonal_bed=False, hat_gain=1.3
    )
    write_audio(tmp_path / "break.wav", y, sr=22050)
    code, out, err = run_cli(capsys, "rhythm", str(tmp_path / "break.wav"))
    assert code == 0, err
    assert "160.0 BPM (or 80.0)" in out, out
    r = rhythm_json(capsys, tmp_path / "break.wav")
    assert r["music"]["tempo_alternatives"] == [pytest.approx(80.0, rel=0.01)]
