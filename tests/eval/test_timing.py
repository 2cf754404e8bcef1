"""Timing gain and the 70 ms F-measure: they tell a timed rhythm from one at the right rate."""

import numpy as np
import pytest

from mudar.errors import ParameterError
from mudar.eval.timing import gain_interval, score_timing, shifted


def test_a_timed_rhythm_gains_and_a_rate_guess_does_not():
    rng = np.random.default_rng(1)
    videos = []
    for _ in range(10):
        dur = 30.0
        onsets = np.sort(rng.uniform(0, dur, 60))  # irregular, as music onsets are
        timed = onsets + rng.normal(0, 0.02, len(onsets))  # 20 ms jitter
        rate = np.sort(rng.uniform(0, dur, len(onsets)))  # right rate, no timing
        videos.append((onsets, dur, {"timed": timed, "rate": rate}))
    s = score_timing(videos)
    assert s["timed"]["f1"] > 0.9
    assert s["timed"]["timing_gain"] > 0.6
    assert abs(s["rate"]["timing_gain"]) < 0.08
    assert abs(s["chance"]["timing_gain"]) < 0.08
    for row in s.values():
        assert row["timing_gain"] == pytest.approx(row["f1"] - row["f1_shifted"], abs=1e-4)


def test_the_window_is_seventy_milliseconds():
    onsets = np.array([1.0, 2.0, 3.0])
    near = score_timing([(onsets, 10.0, {"m": onsets + 0.069})])
    far = score_timing([(onsets, 10.0, {"m": onsets + 0.071})])
    assert near["m"]["f1"] == 1.0 and far["m"]["f1"] == 0.0


def test_shift_is_half_the_duration():
    np.testing.assert_allclose(shifted(np.array([1.0, 7.0]), 10.0), [2.0, 6.0])


def test_gain_interval_leaves_out_zero_only_when_the_gain_is_clear():
    assert gain_interval([0.12, 0.15, 0.11])["found"]
    noisy = gain_interval([0.1, -0.08, 0.02])
    assert not noisy["found"] and noisy["low"] < 0 < noisy["high"]
    with pytest.raises(ParameterError):
        gain_interval([])
    # three seeds: the t interval (4.30 standard errors), not the normal one (1.96)
    three = gain_interval([0.007, 0.015, 0.023])
    assert three["high"] - three["mean"] == pytest.approx(4.303 * 0.008 / np.sqrt(3), abs=1e-3)
    assert not three["found"]  # a normal interval would have said found
    assert not gain_interval([0.2])["found"]  # one seed says nothing about the spread


def test_the_half_beat_control_sees_the_phase_of_a_steady_pulse_where_a_roll_cannot():
    """A pulse on every beat of a steady 1 s beat: rolled by half of a 10 s video it lands on
    the beats again (gain 0 whatever its phase), against the half-beat shifted beats it scores
    nothing (gain 1); the same pulse on the off-beats loses as much."""
    from mudar.eval.timing import half_beat_shifted

    beats = np.arange(0.5, 10.0, 1.0)
    np.testing.assert_allclose(half_beat_shifted(beats), beats + 0.5)
    np.testing.assert_array_equal(half_beat_shifted(beats[:1]), beats[:1])
    on, off = {"pulse": beats.copy()}, {"pulse": beats + 0.5}
    rolled = score_timing([(beats, 10.0, on)])["pulse"]
    assert rolled["f1"] == 1.0 and rolled["timing_gain"] == 0.0
    half = score_timing([(beats, 10.0, on)], control="half-beat")["pulse"]
    assert half["f1"] == 1.0 and half["f1_shifted"] == 0.0 and half["timing_gain"] == 1.0
    assert score_timing([(beats, 10.0, off)], control="half-beat")["pulse"]["timing_gain"] == -1.0
    with pytest.raises(ParameterError, match="unknown control 'nope'"):
        score_timing([(beats, 10.0, on)], control="nope")
