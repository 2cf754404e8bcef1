"""Retargeting time maps and frame resampling: known answers, bounds, fallbacks."""

import numpy as np
import pytest

from mudar.errors import ParameterError
from mudar.eval.bas import beat_alignment_score
from mudar.methods import RETARGET
from mudar.tasks.retarget import (
    RetargetPlan,
    dance_times_in_output,
    local_speed,
    plan_retarget,
    resample_frames,
    retarget_report,
    rhythm_point_dtw,
    time_map_accel,
    time_map_dtw,
    time_map_dtw_points,
    time_map_shift,
)

FPS = 25.0
MAPS = {
    "shift": time_map_shift,
    "accel": time_map_accel,
    "dtw": time_map_dtw,
    "dtw-points": time_map_dtw_points,
}


def grid(duration_s, fps=FPS):
    return np.arange(round(duration_s * fps)) / fps


@pytest.mark.parametrize("method", RETARGET)
def test_identity_when_the_rhythms_already_match(method, rng):
    m = np.sort(rng.uniform(0.3, 9.5, 18))
    s = MAPS[method](m, m, dance_duration_s=10.0, music_duration_s=10.0, fps=FPS)
    np.testing.assert_allclose(s, grid(10.0), atol=1e-9)


def test_accel_maps_each_dance_interval_onto_its_music_interval(rng):
    m = 0.4 + np.cumsum(rng.uniform(0.4, 0.7, 14))  # music rhythm, seconds
    m = np.round(m * FPS) / FPS  # on output frames, where the map is sampled
    ratio = rng.uniform(0.6, 1.0, 13)  # speed of each interval, within 0.5x-2x
    d = 1.0 + np.concatenate([[0.0], np.cumsum(np.diff(m) * ratio)])
    T_a = float(m[-1] + 0.5)
    s = time_map_accel(d, m, dance_duration_s=20.0, music_duration_s=T_a, fps=FPS)
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
    s = time_map_dtw_points(d, m, dance_duration_s=8.0, music_duration_s=6.0, fps=FPS)
    t = grid(6.0)
    # pairs (0,0), (1,2), (2,3), (3,4): each music point shows its dance point
    np.testing.assert_allclose(np.interp(m, t, s), [1.0, 2.2, 3.4, 4.6], atol=1e-9)
    speeds = local_speed(s, fps=FPS)
    assert speeds.min() >= 0.5 - 1e-9 and speeds.max() <= 2.0 + 1e-9


def test_accel_clips_speeds_and_keeps_aiming():
    m = np.array([1.0, 2.0, 3.0, 4.0])
    d = np.array([1.0, 1.2, 3.2, 4.2])  # the first interval would need 0.2x
    s = time_map_accel(d, m, dance_duration_s=10.0, music_duration_s=6.0, fps=FPS)
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
    s = time_map_dtw(
        d, m, dance_duration_s=20.0, music_duration_s=12.0, fps=FPS, min_speed=lo, max_speed=hi
    )
    assert len(s) == round(12.0 * FPS) and s[0] >= 0
    speeds = local_speed(s, fps=FPS)
    assert speeds.min() >= lo - 1e-9 and speeds.max() <= hi + 1e-9


def test_dtw_follows_a_tempo_change():
    d = 0.3 + 0.6 * np.arange(30)  # dance at 100 BPM, 18 s
    m = 0.1 + 0.5 * np.arange(20)  # music at 120 BPM, 10 s
    plan = plan_retarget(d, m, method="dtw", dance_duration_s=18.0, music_duration_s=10.0, fps=FPS)
    out = dance_times_in_output(d, plan.source_times, fps=FPS, dance_duration_s=18.0)
    before = beat_alignment_score(d[d < 10], m)
    after = beat_alignment_score(out, m)
    assert before < 0.7 and after > 0.95
    # on average V runs 1.2x, as the tempo ratio says
    assert np.mean(plan.speeds) == pytest.approx(1.2, abs=0.05)
    assert plan.notes == ()


def test_shift_picks_the_window_with_the_matching_rhythm():
    m = 0.2 + 0.5 * np.arange(10)  # 10 points in 5 s
    sparse = np.arange(0.0, 30.0, 2.0)
    dense = 12.0 + 0.5 * np.arange(10)  # the only stretch as busy as the music
    d = np.sort(np.concatenate([sparse[(sparse < 11.5) | (sparse > 17.5)], dense]))
    s = time_map_shift(d, m, dance_duration_s=30.0, music_duration_s=5.0, fps=FPS)
    assert s[0] == pytest.approx(11.8)  # dense[0] = 12.0 on m[0] = 0.2
    np.testing.assert_allclose(local_speed(s, fps=FPS), 1.0)
    # a window never runs past the end of a V that is long enough
    late = time_map_shift([29.0], [0.1], dance_duration_s=30.0, music_duration_s=5.0, fps=FPS)
    assert late[-1] < 30.0


@pytest.mark.parametrize("method", RETARGET)
def test_a_short_video_is_looped_to_the_music_length(method):
    d = 0.25 + 0.5 * np.arange(6)  # 3 s of dance
    m = 0.1 + 0.45 * np.arange(22)  # 10 s of music
    plan = plan_retarget(d, m, method=method, dance_duration_s=3.0, music_duration_s=10.0, fps=FPS)
    assert plan.n_frames == 250
    assert plan.n_loops >= 3
    assert np.all(np.diff(plan.source_times) > 0)
    out = dance_times_in_output(d, plan.source_times, fps=FPS, dance_duration_s=3.0)
    assert len(out) >= 15  # the points of every pass
    assert out.max() < 10.0


@pytest.mark.parametrize("method", RETARGET)
@pytest.mark.parametrize("dance, music", [([], [1.0, 2.0]), ([1.0, 2.0], []), ([], [])])
def test_no_rhythm_points_fall_back_to_the_identity(method, dance, music):
    plan = plan_retarget(
        dance, music, method=method, dance_duration_s=4.0, music_duration_s=3.0, fps=FPS
    )
    np.testing.assert_allclose(plan.source_times, grid(3.0))
    assert len(plan.notes) == 1 and "no " in plan.notes[0]


def test_accel_with_a_single_point_falls_back_to_shift():
    plan = plan_retarget(
        [1.5], [0.5, 1.0], method="accel", dance_duration_s=4.0, music_duration_s=3.0, fps=FPS
    )
    np.testing.assert_allclose(plan.source_times, grid(3.0) + 1.0)  # 1.5 on 0.5
    assert "shift" in plan.notes[0]


def test_tiny_music_gives_one_frame():
    for method in RETARGET:
        plan = plan_retarget(
            [0.1], [0.01], method=method, dance_duration_s=1.0, music_duration_s=0.01, fps=FPS
        )
        assert plan.n_frames == 1


def test_rhythm_times_outside_the_files_are_ignored():
    a = time_map_dtw(
        [-1.0, 0.5, 1.5, 99.0], [0.5, 1.5, 7.0], dance_duration_s=3.0, music_duration_s=2.0, fps=FPS
    )
    b = time_map_dtw([0.5, 1.5], [0.5, 1.5], dance_duration_s=3.0, music_duration_s=2.0, fps=FPS)
    np.testing.assert_allclose(a, b)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"method": "warp"},
        {"min_speed": 1.2},
        {"max_speed": 0.9},
        {"min_speed": 0.0},
        {"fps": 0.0},
        {"music_duration_s": -1.0},
        {"dance_times": [1.0, float("nan")]},
        {"music_times": [[1.0]]},
    ],
)
def test_bad_parameters(kwargs):
    args = dict(
        dance_times=[1.0],
        music_times=[1.0],
        method="dtw",
        dance_duration_s=2.0,
        music_duration_s=2.0,
        fps=FPS,
    )
    args.update(kwargs)
    d, m = args.pop("dance_times"), args.pop("music_times")
    with pytest.raises(ParameterError):
        plan_retarget(d, m, **args)


def test_dance_times_in_output_inverts_the_map():
    s = 2.0 + 1.5 * grid(4.0)  # 1.5x from 2 s of V
    out = dance_times_in_output([2.3, 5.0, 7.9, 9.0], s, fps=FPS, dance_duration_s=10.0)
    np.testing.assert_allclose(out, [0.2, 2.0, 3.9333333], atol=1e-6)  # 9.0 is past the end
    # the identity over a looped V repeats its points
    out = dance_times_in_output([0.5], grid(5.0), fps=FPS, dance_duration_s=2.0)
    np.testing.assert_allclose(out, [0.5, 2.5, 4.5])


# --- frame resampling ------------------------------------------------------------------------


def numbered_frames(n, pulled):
    """Frames whose pixels hold their index (x 2), counting how many were taken."""
    for k in range(n):
        pulled.append(k)
        yield np.full((4, 6, 3), 2 * k, np.uint8)


def test_nearest_takes_the_nearest_source_frame():
    pulled = []
    s = np.array([0.0, 0.03, 0.05, 0.21, 0.21, 0.4])  # frames at 25 fps: 0, 0.75, 1.25, 5.25 ...
    out = list(resample_frames(numbered_frames(20, pulled), s, fps=FPS, mode="nearest"))
    assert [int(f[0, 0, 0]) // 2 for f in out] == [0, 1, 1, 5, 5, 10]
    assert max(pulled) <= 11  # streamed: read only as far as needed


def test_blend_mixes_the_two_neighbours():
    s = np.array([0.0, 0.01, 0.02, 0.1]) / 1.0  # positions 0, 0.25, 0.5, 2.5
    out = list(resample_frames(numbered_frames(10, []), s, fps=FPS, mode="blend"))
    got = [float(f[0, 0, 0]) for f in out]
    assert got == pytest.approx([0.0, 0.5, 1.0, 5.0], abs=0.51)  # 2k: 0, 0.5, 1, 5
    assert all(f.dtype == np.uint8 and f.shape == (4, 6, 3) for f in out)


def test_a_source_that_ends_early_repeats_its_last_frame():
    s = grid(1.0)  # 25 output frames, 4 source frames
    out = list(resample_frames(numbered_frames(4, []), s, fps=FPS, mode="blend"))
    assert len(out) == 25
    assert {int(f[0, 0, 0]) for f in out[4:]} == {6}


def test_resample_rejects_bad_input():
    with pytest.raises(ParameterError):
        list(resample_frames(numbered_frames(3, []), [0.2, 0.1], fps=FPS))
    with pytest.raises(ParameterError):
        list(resample_frames(numbered_frames(3, []), [0.0], fps=FPS, mode="cubic"))
    with pytest.raises(ParameterError):
        list(resample_frames(iter([]), [0.0], fps=FPS))


# --- report -----------------------------------------------------------------------------------


def test_report_fields_and_undefined_values():
    plan = plan_retarget(
        [0.5, 1.0], [0.5, 1.0], method="shift", dance_duration_s=2.0, music_duration_s=2.0, fps=FPS
    )
    r = retarget_report(
        plan, dance_times=[0.5, 1.0], music_times=[0.5, 1.0], dance_after=[], music_after=[1.0]
    )
    assert {
        "method",
        "n_rhythm_points",
        "offset_before_s",
        "offset_after_s",
        "bas_before",
        "bas_after",
        "max_speed",
        "min_speed",
        "sigma_s",
    } <= set(r)
    assert r["bas_before"] == pytest.approx(1.0) and r["offset_before_s"] == 0.0
    assert r["bas_after"] is None and r["offset_after_s"] is None  # no dance point after
    assert r["max_speed"] == r["min_speed"] == pytest.approx(1.0)
    assert r["sigma_s"] == 0.1 and r["n_loops"] == 1
    assert isinstance(plan, RetargetPlan)
