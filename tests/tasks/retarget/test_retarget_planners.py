"""The retargeting planners (the table's entries): known answers, bounds, the table itself."""

import numpy as np
import pytest
from retarget_grid import FPS, grid

from mudar.methods import RETARGET
from mudar.tasks.retarget import (
    PLANNERS,
    local_speed,
    rhythm_point_dtw,
)
from mudar.tasks.retarget.planners import accel_map, dtw_map, dtw_points_map, shift_map


def test_the_table_is_where_the_method_names_come_from():
    """``mudar.methods.RETARGET`` (the command line's and the web page's choices) names the
    planners of the table, in its order."""
    assert tuple(PLANNERS) == RETARGET
    for planner in PLANNERS.values():
        assert callable(planner.make)
        assert set(planner.needs) <= {"min_speed", "max_speed", "width_s"}


@pytest.mark.parametrize("method", RETARGET)
def test_identity_when_the_rhythms_already_match(method, rng):
    m = np.sort(rng.uniform(0.3, 9.5, 18))
    s = PLANNERS[method].make(m, m, dance_duration_s=10.0, music_duration_s=10.0, fps=FPS)[0]
    np.testing.assert_allclose(s, grid(10.0), atol=1e-9)


def test_accel_maps_each_dance_interval_onto_its_music_interval(rng):
    m = 0.4 + np.cumsum(rng.uniform(0.4, 0.7, 14))  # music rhythm, seconds
    m = np.round(m * FPS) / FPS  # on output frames, where the map is sampled
    ratio = rng.uniform(0.6, 1.0, 13)  # speed of each interval, within 0.5x-2x
    d = 1.0 + np.concatenate([[0.0], np.cumsum(np.diff(m) * ratio)])
    T_a = float(m[-1] + 0.5)
    s = accel_map(d, m, dance_duration_s=20.0, music_duration_s=T_a, fps=FPS)[0]
    t = grid(T_a)
    assert len(s) == len(t)
    np.testing.assert_allclose(np.interp(m, t, s), d, atol=1e-9)  # every pair lands exactly
    speeds = local_speed(s, fps=FPS)
    assert speeds.min() >= 0.6 - 1e-9 and speeds.max() <= 1.0 + 1e-9
    # before the first pair and after the last: real time
    assert s[0] == pytest.approx(d[0] - m[0])
    assert speeds[-3:] == pytest.approx(1.0)


def test_rhythm_point_dtw_is_eq_22_23():
    # known answer: a = (1, 2, 3), v = (1, 1.1, 2.1, 3): 1.1 is an extra dance point
    path, cost = rhythm_point_dtw(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.1, 2.1, 3.0]))
    assert path.tolist() == [[0, 0], [0, 1], [1, 2], [2, 3]]
    assert cost == pytest.approx(0 + 0.1 + 0.1 + 0)


def test_rhythm_point_dtw_equals_brute_force(rng):
    """The DP cost is the minimum over every monotone path (enumerated recursively)."""
    from functools import cache

    def brute(a, v):
        @cache
        def best(i, j):
            d = abs(a[i] - v[j])
            if (i, j) == (0, 0):
                return d
            prev = [best(i - 1, j - 1)] if i and j else []
            prev += [best(i - 1, j)] if i else []
            prev += [best(i, j - 1)] if j else []
            return d + min(prev)

        return best(len(a) - 1, len(v) - 1)

    for _ in range(5):
        a, v = np.sort(rng.uniform(0, 5, 4)), np.sort(rng.uniform(0, 5, 5))
        path, cost = rhythm_point_dtw(a, v)
        assert cost == pytest.approx(brute(a, v))
        assert sum(abs(a[i] - v[j]) for i, j in path) == pytest.approx(cost)
        assert np.all(np.diff(path, axis=0) >= 0) and np.all(np.diff(path, axis=0).sum(1) >= 1)


def test_dtw_points_lands_matched_points_on_the_music():
    m = np.array([1.0, 2.0, 3.0, 4.0])
    d = np.array([1.0, 1.1, 2.2, 3.4, 4.6])  # 1.1: a spurious dance point
    s = dtw_points_map(d, m, dance_duration_s=8.0, music_duration_s=6.0, fps=FPS)[0]
    t = grid(6.0)
    # pairs (0,0), (1,2), (2,3), (3,4): each music point shows its dance point
    np.testing.assert_allclose(np.interp(m, t, s), [1.0, 2.2, 3.4, 4.6], atol=1e-9)
    speeds = local_speed(s, fps=FPS)
    assert speeds.min() >= 0.5 - 1e-9 and speeds.max() <= 2.0 + 1e-9


def test_accel_clips_speeds_and_keeps_aiming():
    m = np.array([1.0, 2.0, 3.0, 4.0])
    d = np.array([1.0, 1.2, 3.2, 4.2])  # the first interval would need 0.2x
    s = accel_map(d, m, dance_duration_s=10.0, music_duration_s=6.0, fps=FPS)[0]
    speeds = local_speed(s, fps=FPS)
    assert speeds.max() <= 2.0 + 1e-9 and speeds.min() >= 0.5 - 1e-9
    t = grid(6.0)
    # 0.5x for the first interval, then 1.7x to be back on d[2] = 3.2 at m[2] = 3
    np.testing.assert_allclose(np.interp(m, t, s), [1.0, 1.5, 3.2, 4.2], atol=1e-9)


@pytest.mark.parametrize("bounds", [(0.5, 2.0), (0.8, 1.25), (0.25, 4.0)])
def test_dtw_is_monotone_and_within_the_speed_bounds(bounds, rng):
    lo, hi = bounds
    d = np.sort(rng.uniform(0, 20, 35))
    m = np.sort(rng.uniform(0, 12, 30))
    s, _ = dtw_map(
        d, m, dance_duration_s=20.0, music_duration_s=12.0, fps=FPS, min_speed=lo, max_speed=hi
    )
    assert len(s) == round(12.0 * FPS) and s[0] >= 0
    speeds = local_speed(s, fps=FPS)
    assert speeds.min() >= lo - 1e-9 and speeds.max() <= hi + 1e-9


def test_shift_picks_the_window_with_the_matching_rhythm():
    m = 0.2 + 0.5 * np.arange(10)  # 10 points in 5 s
    sparse = np.arange(0.0, 30.0, 2.0)
    dense = 12.0 + 0.5 * np.arange(10)  # the only stretch as busy as the music
    d = np.sort(np.concatenate([sparse[(sparse < 11.5) | (sparse > 17.5)], dense]))
    s = shift_map(d, m, dance_duration_s=30.0, music_duration_s=5.0, fps=FPS)[0]
    assert s[0] == pytest.approx(11.8)  # dense[0] = 12.0 on m[0] = 0.2
    np.testing.assert_allclose(local_speed(s, fps=FPS), 1.0)
    # a window never runs past the end of a V that is long enough
    late = shift_map([29.0], [0.1], dance_duration_s=30.0, music_duration_s=5.0, fps=FPS)[0]
    assert late[-1] < 30.0


def test_rhythm_times_outside_the_files_are_ignored():
    a, _ = dtw_map(
        [-1.0, 0.5, 1.5, 99.0], [0.5, 1.5, 7.0], dance_duration_s=3.0, music_duration_s=2.0, fps=FPS
    )
    b, _ = dtw_map([0.5, 1.5], [0.5, 1.5], dance_duration_s=3.0, music_duration_s=2.0, fps=FPS)
    np.testing.assert_allclose(a, b)
