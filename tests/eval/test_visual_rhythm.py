"""Visual rhythm scoring: floors, and the time-shifted control that tells timing from rate."""

import numpy as np

from mudar.eval.visual_rhythm import score_rhythm


def _onsets(n, frames):
    x = np.zeros(n, int)
    x[frames] = 1
    return x


def test_floors_and_perfect_prediction():
    onsets = _onsets(40, [3, 11, 19, 30])
    s = score_rhythm([(onsets, {"oracle": np.array([3, 11, 19, 30])})])
    assert s["oracle"]["f1"] == 1.0 and s["oracle"]["exact"]["f1"] == 1.0
    assert s["all"]["recall"] == 1.0 and s["all"]["precision"] == 0.1
    assert set(s) == {"oracle", "chance", "peaks", "all"}


def test_shifted_control_rolls_by_half_the_video():
    # irregular onsets: a timed rhythm scores 1, the same rhythm rolled by n/2 far less
    frames = np.array([2, 9, 13, 26, 31, 45, 52, 70])
    onsets = _onsets(80, frames)
    s = score_rhythm([(onsets, {"timed": frames})], controls=True)
    assert s["timed"]["f1"] == 1.0
    assert s["timed-shifted"]["f1"] < 0.6
    rolled = np.sort((frames + 40) % 80)
    direct = score_rhythm([(onsets, {"r": rolled})])
    assert s["timed-shifted"]["f1"] == direct["r"]["f1"]
    assert "chance-shifted" not in s and "all-shifted" not in s


def test_a_regular_grid_beats_chance_on_rate_alone():
    # why the control exists: a grid at the onset rate but in the wrong phase still beats chance
    rng = np.random.default_rng(0)
    videos = []
    for _ in range(20):
        n = 400
        onsets = np.zeros(n, int)
        t = 0
        while t < n:
            onsets[t] = 1
            t += int(rng.integers(3, 8))
        grid = np.arange(2, n, max(1, round(n / onsets.sum())))
        videos.append((onsets, {"grid": grid}))
    s = score_rhythm(videos, controls=True)
    assert s["grid"]["f1"] > s["chance"]["f1"]
    assert abs(s["grid"]["f1"] - s["grid-shifted"]["f1"]) < 0.05


def test_peaks_floor_is_the_peak_picker_on_noise():
    # local maxima of white noise: about a third of the frames, never two adjacent ones
    onsets = _onsets(600, np.arange(0, 600, 5))
    s = score_rhythm([(onsets, {})], seed=3)
    n_peaks = round(s["peaks"]["recall"] * 120 / s["peaks"]["precision"])
    assert 150 < n_peaks < 250
    again = score_rhythm([(onsets, {})], seed=3)
    assert again["peaks"] == s["peaks"]  # seeded
    assert score_rhythm([(onsets, {})], seed=4)["peaks"] != s["peaks"]
