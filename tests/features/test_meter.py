"""Bar phase, metre and downbeat estimates with known answers."""

import math

import numpy as np
import pytest

from mudar.errors import ParameterError
from mudar.features.meter import bar_phase, estimate_meter

TWO_PI = 2 * math.pi


def test_bar_phase_known_values():
    beats = np.arange(0.0, 4.0, 0.5)  # 120 BPM
    phi = bar_phase(beats, n_frames=32, fps=8.0, beats_per_bar=4, downbeat=0)
    # frame k at k / 8 s is beat 2 k / 8 = k / 4: a quarter bar every 4 frames
    assert phi[[0, 4, 8, 12, 16, 2]] == pytest.approx(
        [0, 0.5 * math.pi, math.pi, 1.5 * math.pi, 0, math.pi / 4]
    )
    # another downbeat: every phase moves by the same quarter turn
    phi1 = bar_phase(beats, n_frames=32, fps=8.0, beats_per_bar=4, downbeat=1)
    assert np.allclose(np.mod(phi - phi1, TWO_PI), 0.5 * math.pi)
    assert np.all((phi >= 0) & (phi < TWO_PI))


def test_bar_phase_extrapolates_and_falls_back():
    beats = np.array([1.0, 1.5, 2.0])  # frames before 1 s and after 2 s carry on at 0.5 s
    phi = bar_phase(beats, n_frames=24, fps=8.0, beats_per_bar=3)
    assert phi[0] == pytest.approx(TWO_PI * (1 - 2 / 3))  # t = 0 is beat -2: position 1 of 3
    assert phi[20] == pytest.approx(TWO_PI * np.mod(2 + 1, 3) / 3)  # t = 2.5 s is beat 3
    assert np.all(bar_phase([], n_frames=5, fps=8.0) == 0)
    tempo = bar_phase([], n_frames=9, fps=8.0, tempo_bpm=120)
    assert tempo[4] == pytest.approx(math.pi / 2)
    with pytest.raises(ParameterError):
        bar_phase([1.0, 0.5], n_frames=4, fps=8.0)


def test_estimate_meter_tells_three_from_four(rng):
    bars = rng.normal(size=(8, 16))  # one spectrum per beat position, repeated every bar
    four, three = np.tile(bars[:4], (4, 1)), np.tile(bars[:3], (5, 1))
    flat4, flat3 = np.ones(17), np.ones(16)
    assert estimate_meter(four, flat4) == (4, 0)
    assert estimate_meter(three, flat3) == (3, 0)
    # the loudest position is the downbeat
    assert estimate_meter(three, np.tile([0.5, 0.5, 1.0], 6)[:16]) == (3, 2)
    # accents alone decide where the spectra say nothing
    noise = rng.normal(size=(15, 16))
    assert estimate_meter(noise, np.tile([1.0, 0.5, 0.5], 6)[:16], accent_weight=10)[0] == 3
    assert estimate_meter(noise, np.tile([1.0, 0.5, 0.5, 0.5], 4), accent_weight=10)[0] == 4
    assert estimate_meter(np.zeros((2, 16)), np.ones(3)) == (4, 0)  # too short: the default
    assert estimate_meter(four, flat4, meters=(3,)) == (3, 0)
    with pytest.raises(ParameterError):
        estimate_meter(four, flat4, meters=())
