"""Synthetic music and dance clips: known beats, right lengths, reversals on the beats, seeds."""

from __future__ import annotations

import csv
import json
import time

import numpy as np
import pytest
import soundfile as sf

from mudar.errors import ParameterError
from mudar.io import iter_frames, load_audio, probe
from mudar.synthetic.video import (
    STYLES,
    dance_frames,
    make_clip,
    make_dataset,
    motion_phase,
)


def test_motion_phase_reverses_at_each_beat():
    beats = np.array([0.3, 0.8, 1.3, 1.9, 2.4])
    t = np.linspace(0, 3, 3001)
    p = motion_phase(t, beats)
    assert p.min() >= 0 and p.max() <= 1
    np.testing.assert_allclose(motion_phase(beats, beats), [0, 1, 0, 1, 0])
    slope_sign = np.sign(np.diff(p))
    flips = t[1:][np.nonzero(np.diff(slope_sign))[0]]
    # a flip at each beat, and, beyond the beats, once per mean period
    for b in beats:
        assert np.min(np.abs(flips - b)) < 2e-3
    assert len(flips) == len(beats) + 1  # + one continuation flip before 3 s


def test_rendered_motion_reverses_exactly_on_the_beats():
    # beats on the frame grid (every 15 frames from frame 5): around a beat the pose retraces
    # itself, so frames b-1 and b+1 are the same picture; mid-beat they differ
    fps = 25.0
    beat_frames = np.arange(5, 100, 15)
    frames = np.array(
        list(dance_frames(motion_beat_times=beat_frames / fps, duration_s=4.0, fps=fps, seed=2))
    ).astype(np.int16)
    assert frames.shape == (100, 240, 320, 3)
    for b in beat_frames[:-1]:
        same = np.abs(frames[b + 1] - frames[b - 1]).mean()
        moving = np.abs(frames[b + 8] - frames[b + 6]).mean()
        assert same < 0.05 * moving
    assert np.abs(frames[8] - frames[6]).mean() > 0.2  # the figure does move


def test_camera_pan_moves_the_backdrop():
    beats = np.arange(0.1, 2.0, 0.5)
    still = list(dance_frames(motion_beat_times=beats, duration_s=2.0, fps=10, seed=0))
    pan = list(
        dance_frames(motion_beat_times=beats, duration_s=2.0, fps=10, seed=0, camera_pan=True)
    )
    corner = (slice(0, 40), slice(0, 40))  # backdrop only: the figure is central
    assert np.array_equal(still[0][corner], still[-1][corner])
    assert not np.array_equal(pan[0][corner], pan[-1][corner])


def test_make_clip_ground_truth_and_files(tmp_path):
    start = time.perf_counter()
    clip = make_clip(tmp_path, name="c", tempo_bpm=90.0, duration_s=8.0, jitter_s=0.03, seed=4)
    elapsed = time.perf_counter() - start
    assert elapsed < 3.0  # about 0.5 s; generous for a loaded machine
    assert clip.path == tmp_path / "c.mp4" and clip.audio_path == tmp_path / "c.wav"
    np.testing.assert_allclose(np.diff(clip.beat_times), 60 / 90)
    assert clip.beat_times[-1] < 8.0 <= clip.beat_times[-1] + 60 / 90
    dev = clip.motion_beat_times - clip.beat_times
    assert np.all(np.abs(dev) <= 0.03) and np.std(dev) > 0.005
    assert (clip.n_frames, clip.size, clip.fps, clip.duration_s) == (200, (320, 240), 25.0, 8.0)

    info = probe(clip.path)
    assert info.has_audio and info.duration_s == pytest.approx(8.0, abs=0.05)
    assert info.native_fps == pytest.approx(25.0)
    assert len(list(iter_frames(clip.path, fps=8, size=32))) == 64
    y = load_audio(clip.path, sr=16000)
    assert abs(len(y) / 16000 - 8.0) < 1 / 8
    wav, sr = sf.read(clip.audio_path)
    assert sr == 22050 and len(wav) == 8 * 22050


def test_make_clip_is_deterministic(tmp_path):
    a = make_clip(tmp_path / "a", duration_s=2.0, seed=7, genre="rumba")
    b = make_clip(tmp_path / "b", duration_s=2.0, seed=7, genre="rumba")
    c = make_clip(tmp_path / "c", duration_s=2.0, seed=8, genre="rumba")
    np.testing.assert_array_equal(a.motion_beat_times, b.motion_beat_times)
    assert not np.array_equal(a.motion_beat_times, c.motion_beat_times)
    fa, fb, fc = (next(iter_frames(x.path, fps=8, size=64)) for x in (a, b, c))
    np.testing.assert_array_equal(fa, fb)
    assert not np.array_equal(fa, fc)
    np.testing.assert_array_equal(sf.read(a.audio_path)[0], sf.read(b.audio_path)[0])


def test_make_clip_without_audio(tmp_path):
    clip = make_clip(tmp_path, duration_s=1.0, audio=False, size=(160, 120), fps=10)
    assert clip.audio_path is None and load_audio(clip.path) is None
    assert probe(clip.path).width == 160


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"genre": "polka"}, "genre"),
        ({"jitter_s": 0.2}, "jitter"),
        ({"duration_s": 0.3}, "two beats"),
        ({"size": (8, 8)}, "size"),
        ({"tempo_bpm": -5}, "positive"),
    ],
)
def test_make_clip_errors(tmp_path, kwargs, match):
    with pytest.raises(ParameterError, match=match):
        make_clip(tmp_path, **kwargs)


def test_make_dataset_meta_layout(tmp_path):
    clips = make_dataset(tmp_path, n=4, seed=1, duration_s=2.0, fps=10.0)
    assert [c.genre for c in clips] == list(STYLES)
    for c in clips:
        lo, hi = STYLES[c.genre].tempo_range
        assert lo <= c.tempo_bpm <= hi
        meta = json.loads((c.path.parent / "meta.json").read_text())
        assert meta["id"] == c.path.parent.name and meta["genre"] == c.genre
        assert meta["n_frames"] == 20 and c.path.name == "video.mp4"
        assert (c.path.parent / "audio.ogg").is_file()
    assert len({c.size for c in clips}) == 4 and len({c.tempo_bpm for c in clips}) == 4
    with (tmp_path / "index.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [r["genre"] for r in rows] == list(STYLES)

    from mudar.data.readers.dataset import find_videos

    labels = {v.id: v.label for v in find_videos(tmp_path)}
    assert labels == {f"{c.path.parent.name}/video": c.genre for c in clips}


def test_make_dataset_csv_layout(tmp_path):
    clips = make_dataset(tmp_path, n=2, seed=0, label_file="csv", duration_s=2.0, fps=10.0)
    with (tmp_path / "labels.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert rows == [{"path": c.path.name, "label": c.genre} for c in clips]

    from mudar.data.readers.dataset import find_videos

    assert {v.path.name: v.label for v in find_videos(tmp_path)} == {
        c.path.name: c.genre for c in clips
    }
    with pytest.raises(ParameterError, match="label_file"):
        make_dataset(tmp_path, label_file="yaml")
