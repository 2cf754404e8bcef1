"""``mudar.pipelines.bas``: a synthetic motion on and off its music's beats, a dance video, the
real dwm motion capture, and clean errors."""

import re

import numpy as np
import pytest

from mudar.errors import InputError, ParameterError
from mudar.io.write import write_audio
from mudar.pipelines.bas import bas_file, music_beat_times
from mudar.synthetic.video import synth_music

KEYS = {
    "file",
    "music",
    "n_motion_beats",
    "n_music_beats",
    "sigma_s",
    "bas_motion",
    "bas_music",
    "fps",
    "motion_method",
    "duration_s",
    "music_tempo_bpm",
    "music_tempo_alternatives",
    "feedback",
}


def write_dance(folder, *, shift_s=0.0, tempo_bpm=120.0, duration_s=8.0, fps=50.0):
    """``music.wav`` (drums, beats at 0.1 + k * 60 / tempo s) and ``motion.npz``: a root walking
    with an arm that stops and turns back on every beat, ``shift_s`` late."""
    folder.mkdir(parents=True, exist_ok=True)
    y, beats = synth_music(tempo_bpm=tempo_bpm, duration_s=duration_s, sr=22050, offset_s=0.1)
    write_audio(folder / "music.wav", y, sr=22050)
    t = np.arange(round(duration_s * fps)) / fps
    phase = np.pi * (t - 0.1 - shift_s) / (60.0 / tempo_bpm)
    root = np.stack([30 * t, 100 + 0 * t, 0 * t], axis=1)
    arm = np.stack([40 * np.cos(phase), 10 * np.cos(phase), 0 * t], axis=1)
    joints = np.stack([root, root + arm], axis=1).astype(np.float32)
    np.savez(folder / "motion.npz", joints=joints, fps=np.array(fps))
    return folder / "motion.npz", folder / "music.wav", beats


def test_synthetic_motion_on_the_beat_scores_high(tmp_path):
    motion, music, beats = write_dance(tmp_path / "on")
    r = bas_file(motion, music=music)
    assert set(r) == KEYS
    assert r["motion_method"] == "kinematic" and r["fps"] == 50.0
    assert r["n_motion_beats"] == len(beats) == 16
    assert r["music_tempo_bpm"] == pytest.approx(120.0, rel=0.01)
    assert r["bas_motion"] > 0.95 and r["bas_music"] > 0.95
    assert r["duration_s"] == pytest.approx(8.0, abs=0.02)


def test_synthetic_motion_half_a_beat_off_scores_low(tmp_path):
    motion, music, _ = write_dance(tmp_path / "off", shift_s=0.25)
    r = bas_file(motion, music=music)
    assert r["bas_motion"] < 0.1 and r["bas_music"] < 0.1
    # a wider kernel forgives more
    assert bas_file(motion, music=music, sigma_s=0.3)["bas_motion"] > 0.5


def test_feedback_of_a_motion_40_ms_late(tmp_path):
    motion, music, beats = write_dance(tmp_path / "late", shift_s=0.04)
    fb = bas_file(motion, music=music)["feedback"]
    assert set(fb) == {"offsets", "summary", "stretches", "text"}
    s = fb["summary"]
    # every stop 40 ms after its beat (the tracked beats within a hop of 16 ms of the true ones)
    assert s["n_accents"] >= 14 and s["n_accents"] + s["n_left_out"] == 16
    assert s["median_offset_s"] == pytest.approx(0.04, abs=0.012)
    assert s["on_beat_share"] == 1.0 and s["early_share"] == 0.0
    for o in fb["offsets"]:
        assert o["offset_s"] == pytest.approx(o["time_s"] - o["beat_s"], abs=0.0011)
        assert 0.02 < o["offset_s"] < 0.06
    assert fb["stretches"] == []
    assert fb["text"].startswith(f"100 % of your {s['n_accents']} accents were on the beat")


def test_feedback_of_a_motion_dragging_by_100_ms(tmp_path):
    motion, music, _ = write_dance(tmp_path / "drag", shift_s=0.1)
    fb = bas_file(motion, music=music)["feedback"]
    assert fb["summary"]["late_share"] > 0.9
    (st,) = fb["stretches"]  # one stretch over the whole dance
    assert st["kind"] == "late" and st["n_accents"] >= 13
    assert st["median_offset_s"] == pytest.approx(0.1, abs=0.015)
    assert st["start_s"] < 1.0 and st["end_s"] > 7.0
    assert re.search(r"; dragged from 0:0\d to 0:0[78] by about (90|100|110) ms\.$", fb["text"])


def test_music_beats_of_a_file(tmp_path):
    _, music, beats = write_dance(tmp_path)
    got, tempo, alternatives, duration = music_beat_times(music)
    assert tempo == pytest.approx(120.0, rel=0.01) and duration == pytest.approx(8.0)
    # quiet hats: the double (240) has no support; the half of a steady pulse always has some
    assert all(a < tempo for a in alternatives)
    np.testing.assert_allclose(got, beats, atol=0.02)


def test_a_breakbeat_names_its_half_tempo(tmp_path):
    # 80 BPM kicks under off-beat hats as loud: the beats keep 160, and 80 is named beside it
    motion, music, _ = write_dance(tmp_path, tempo_bpm=80.0)
    y, _ = synth_music(
        tempo_bpm=80.0, duration_s=8.0, sr=22050, accents=False, tonal_bed=False, hat_gain=1.3
    )
    write_audio(music, y, sr=22050)
    song = music_beat_times(music)
    assert song.tempo_bpm == pytest.approx(160.0, rel=0.01)
    assert song.tempo_alternatives == [pytest.approx(80.0, rel=0.01)]
    r = bas_file(motion, music=music)
    assert r["music_tempo_bpm"] == pytest.approx(160.0, rel=0.01)
    assert r["music_tempo_alternatives"] == song.tempo_alternatives


def test_errors(tmp_path, audio_wav):
    motion, music, _ = write_dance(tmp_path)
    with pytest.raises(InputError, match="--music"):
        bas_file(motion)  # no audio.ogg beside this npz
    with pytest.raises(InputError, match="no video stream"):
        bas_file(audio_wav)
    with pytest.raises(InputError, match="no such"):
        bas_file(tmp_path / "gone.npz")
    with pytest.raises(InputError):
        bas_file(motion, music=tmp_path / "gone.wav")
    with pytest.raises(ParameterError):
        bas_file(motion, music=music, sigma_s=0)
    with pytest.raises(ParameterError):
        bas_file(motion, music=music, form="dance")


def test_video_uses_its_dance_rhythm_and_own_sound(dance_clip):
    r = bas_file(dance_clip.path, method="hoof-flux")
    assert set(r) == KEYS
    assert r["motion_method"] == "hoof-flux" and r["fps"] == 8.0
    assert r["music"] == str(dance_clip.path)
    assert r["n_motion_beats"] > 0 and r["n_music_beats"] > 0
    assert 0 <= r["bas_motion"] <= 1 and 0 <= r["bas_music"] <= 1
    # the feedback is on the same accents as the score, timed below the frame
    fb = r["feedback"]
    assert fb["summary"]["n_accents"] + fb["summary"]["n_left_out"] == r["n_motion_beats"]
    times = [o["time_s"] for o in fb["offsets"]]
    assert any(abs(t * 8 - round(t * 8)) > 0.01 for t in times)


def test_video_default_is_the_dancers_body_and_a_model_runs_without_the_music(dance_clip):
    from mudar.pipelines.method import body_method

    # by default the dancer's body: its pose track's beats (the pose extra), else its stops
    assert bas_file(dance_clip.path)["motion_method"] == body_method()
    assert body_method() in ("pose", "motion-energy")
    # the shipped model, asked for, runs as mudar-noaudio so that it cannot copy the beats
    assert bas_file(dance_clip.path, method="mudar")["motion_method"] == "mudar-noaudio"
    with pytest.raises(ParameterError):
        bas_file(dance_clip.path, method="optical-magic")


def test_dwm_dance(shared_data):
    r = bas_file(shared_data / "dwm" / "DANCE_W_1")
    assert r["music"].endswith("audio.ogg")
    assert r["fps"] == 25.0 and r["motion_method"] == "kinematic"
    assert 40 < r["n_motion_beats"] < 120  # about 1.3 stops a second
    assert r["music_tempo_bpm"] == pytest.approx(87.0, rel=0.02)  # the title's "29bpm" waltz
    assert 0 < r["bas_motion"] < 1 and 0 < r["bas_music"] < 1


@pytest.mark.parametrize("method", ["hoof-flux", "motion-energy"])
def test_an_analysis_scores_as_its_file(dance_clip, method):
    """The page's one decoding gives the same score and feedback as ``mudar bas``."""
    from mudar.features.extract import analyze
    from mudar.pipelines.bas import analysis_bas
    from mudar.pipelines.method import analysis_setup

    config, _ = analysis_setup(method)
    got = analysis_bas(analyze(dance_clip.path, config), method=method)
    assert got == bas_file(dance_clip.path, method=method)


def test_an_analysis_without_sound_or_pictures_is_one_line(video_no_audio, audio_wav):
    from mudar.features.analysis import AnalysisConfig
    from mudar.features.extract import analyze
    from mudar.pipelines.bas import analysis_bas

    with pytest.raises(InputError, match="no sound"):
        analysis_bas(analyze(video_no_audio, AnalysisConfig()), method="hoof-flux")
    with pytest.raises(InputError, match="no pictures"):
        analysis_bas(analyze(audio_wav, AnalysisConfig()), method="hoof-flux")
