"""The timing model's inputs: the motion at its own rate and the stops it may pick."""

from __future__ import annotations

import numpy as np
import pytest

from mudar.errors import ParameterError
from mudar.features.candidates import CHANNELS, N_SCALARS, candidate_labels, timing_inputs
from mudar.features.energy import energy_minima


def _energy(stops_s, *, n_frames=160, fps=8.0, steps=4):
    """Energy high everywhere but dips at ``stops_s``."""
    t = (np.arange(n_frames)[:, None] + ((np.arange(steps) + 0.5) / steps - 0.5)[None]) / fps
    e = np.ones_like(t)
    for s in stops_s:
        e -= 0.8 * np.exp(-0.5 * ((t - s) / 0.08) ** 2)
    return e.astype(np.float32)


def test_candidates_are_the_motion_energy_minima_at_their_place():
    stops = [1.03, 2.51, 4.0, 6.27, 9.9, 13.33]
    e = _energy(stops)
    x = timing_inputs(e, fps=8.0)
    np.testing.assert_allclose(x.times, energy_minima(e, fps=8.0))
    np.testing.assert_allclose(x.times, stops, atol=0.01)
    assert x.sequence.shape == (160 * 4, len(CHANNELS)) and x.rate == 32.0
    # a candidate's place on the sequence is its time on the samples' clock
    np.testing.assert_allclose(x.offset_s + x.positions / x.rate, x.times, atol=1e-5)
    assert x.scalars.shape == (len(stops), N_SCALARS)
    assert (x.scalars[:, 0] > 0.1).all()  # deep minima
    np.testing.assert_allclose(x.scalars[1:, 2], np.minimum(np.diff(x.times), 2.0), atol=1e-5)
    assert not x.sequence[:, 2:].any()  # no pose track: its channels are zero


def test_pose_channels_and_gaps():
    e = _energy([2.0, 4.0])
    pt = np.arange(0, 20, 1 / 25)
    speed = 1.0 + np.sin(pt)
    speed[100:120] = np.nan  # no body for 0.8 s
    x = timing_inputs(e, fps=8.0, pose_times=pt, pose_speed=speed)
    t = x.offset_s + np.arange(len(x.sequence)) / x.rate
    gap = (t > 4.05) & (t < 4.75)
    assert not x.sequence[gap, 3].any() and x.sequence[(t > 1) & (t < 3.9), 3].all()
    assert x.sequence[~gap & (t < 19.9), 2].std() > 0.1
    with pytest.raises(ParameterError, match="differ"):
        timing_inputs(e, fps=8.0, pose_times=pt, pose_speed=speed[:-1])


def test_clip_keeps_the_candidates_inside():
    x = timing_inputs(_energy([1.0, 5.0, 9.0, 15.0]), fps=8.0)
    c = x.clip(64, 256)  # 2 s .. 10 s
    np.testing.assert_allclose(c.times, [5.0, 9.0], atol=0.01)
    np.testing.assert_allclose(c.offset_s + c.positions / c.rate, c.times, atol=1e-5)


def test_labels_are_the_70ms_window():
    y = candidate_labels(np.array([0.5, 1.06, 1.2, 2.93, 5.0]), np.array([1.0, 3.0]))
    np.testing.assert_array_equal(y, [0, 1, 0, 1, 0])
    assert candidate_labels(np.array([1.0]), np.array([])).tolist() == [0]
    assert candidate_labels(np.array([1.0]), np.array([1.05])).tolist() == [1]


def test_bad_inputs():
    with pytest.raises(ParameterError):
        timing_inputs(np.zeros(10), fps=8.0)
    with pytest.raises(ParameterError):
        timing_inputs(np.zeros((10, 4)), fps=0.0)
    assert len(timing_inputs(np.zeros((10, 4)), fps=8.0).times) == 0
