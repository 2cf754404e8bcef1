"""Synthetic music: beats on a grid, kicks on the beats, accented downbeats."""

from __future__ import annotations

import numpy as np
import pytest

from mudar.synthetic.soundtrack import beat_grid, synth_music


def test_beat_grid():
    b = beat_grid(tempo_bpm=120, duration_s=2.0, offset_s=0.1)
    np.testing.assert_allclose(b, [0.1, 0.6, 1.1, 1.6])


def test_music_has_kicks_on_the_beats_and_accented_downbeats():
    sr = 22050
    y, beats = synth_music(tempo_bpm=100, duration_s=6.0, sr=sr, beats_per_bar=4, seed=1)
    assert y.dtype == np.float32 and len(y) == 6 * sr
    assert np.abs(y).max() == pytest.approx(0.9, abs=1e-6)
    np.testing.assert_allclose(np.diff(beats), 0.6)

    def energy(t0, t1):
        return float(np.mean(y[round(t0 * sr) : round(t1 * sr)] ** 2))

    after = np.array([energy(b, b + 0.05) for b in beats])
    before = np.array([energy(b - 0.06, b - 0.01) for b in beats[1:]])
    assert np.all(after[1:] > 10 * before)
    # downbeats (beats 0, 4, 8) are louder than the other beats
    down = after[::4]
    others = np.delete(after, np.arange(0, len(after), 4))
    assert down.min() > 1.5 * others.max()


def test_music_without_bed_or_accents():
    y, beats = synth_music(tempo_bpm=120, duration_s=2.0, accents=False, tonal_bed=False)
    sr = 22050
    peaks = [np.abs(y[round(b * sr) : round((b + 0.1) * sr)]).max() for b in beats]
    assert max(peaks) - min(peaks) < 0.05  # all kicks equal
    assert np.abs(y[: round(0.09 * sr)]).max() == 0  # silence before the first beat
