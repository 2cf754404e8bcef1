"""On-beat feedback: accents on a known grid give known offsets, shares and stretches; the span,
the half-way rule and bad input."""

import numpy as np
import pytest

from mudar.errors import ParameterError
from mudar.eval.feedback import (
    HALFWAY_TOL_S,
    beat_offsets,
    offset_stretches,
    offset_summary,
    rolling_median,
)
from mudar.eval.timing import TIMING_WINDOW_S

BEATS = 1.0 + 0.5 * np.arange(40)  # 120 BPM from 1 s to 20.5 s


def test_accents_30_ms_late_on_a_grid_are_30_ms_late_everywhere():
    r = beat_offsets(BEATS + 0.03, BEATS)
    assert len(r.offsets_s) == 40 and r.n_left_out == 0
    np.testing.assert_allclose(r.offsets_s, 0.03, atol=1e-12)
    np.testing.assert_array_equal(r.beats_s, BEATS)
    s = offset_summary(r.offsets_s)
    assert s["median_offset_s"] == pytest.approx(0.03)
    assert s["mean_abs_offset_s"] == pytest.approx(0.03)
    assert s["on_beat_share"] == 1.0 and s["early_share"] == 0.0 and s["late_share"] == 0.0
    assert s["n_accents"] == 40 and s["window_s"] == TIMING_WINDOW_S == 0.07
    assert offset_stretches(r.times_s, r.offsets_s) == []  # 30 ms is within the +-50 ms


def test_a_section_rushed_by_60_ms_is_one_early_stretch():
    accents = BEATS.copy()
    rushed = (BEATS >= 6.0) & (BEATS < 11.0)  # 10 beats, 6 s to 10.5 s
    accents[rushed] -= 0.06
    r = beat_offsets(accents, BEATS)
    np.testing.assert_allclose(r.offsets_s[rushed], -0.06, atol=1e-12)
    np.testing.assert_allclose(r.offsets_s[~rushed], 0.0, atol=1e-12)
    (st,) = offset_stretches(r.times_s, r.offsets_s)
    assert st.kind == "early" and st.n_accents == 10
    assert st.start_s == pytest.approx(5.94) and st.end_s == pytest.approx(10.44)
    assert st.median_offset_s == pytest.approx(-0.06)
    s = offset_summary(r.offsets_s)
    assert s["on_beat_share"] == 1.0  # 60 ms early is still within the 70 ms window
    assert s["median_offset_s"] == pytest.approx(0.0)
    assert s["mean_abs_offset_s"] == pytest.approx(10 * 0.06 / 40)


def test_shares_sum_to_one_and_split_by_the_window():
    # 2 early (-100 ms), 1 on the edge (-70 ms: on the beat), 1 on, 1 late (+80 ms)
    s = offset_summary([-0.1, -0.1, -0.07, 0.0, 0.08])
    assert s["early_share"] == pytest.approx(0.4) and s["late_share"] == pytest.approx(0.2)
    assert s["on_beat_share"] == pytest.approx(0.4)
    assert s["median_offset_s"] == pytest.approx(-0.07)
    assert offset_summary([0.05], window_s=0.04)["late_share"] == 1.0


def test_a_late_stretch_and_an_early_one_in_time_order():
    o = np.zeros(40)
    o[5:12] = -0.08
    o[25:33] = 0.1
    t = np.arange(40) * 0.5
    late, early = sorted(offset_stretches(t, o), key=lambda s: s.kind, reverse=True)
    assert [s.kind for s in offset_stretches(t, o)] == ["early", "late"]
    assert (early.start_s, early.end_s, early.n_accents) == (2.5, 5.5, 7)
    assert (late.start_s, late.end_s, late.n_accents) == (12.5, 16.0, 8)
    # one stray late accent, or two together, is no stretch
    o2 = np.zeros(20)
    o2[[4, 10, 11]] = 0.2
    assert offset_stretches(np.arange(20.0), o2) == []
    # a stretch takes in every accent beyond the threshold next to it; a wider one needs more
    o3 = np.zeros(20)
    o3[8:12] = 0.06
    (s,) = offset_stretches(np.arange(20.0), o3)
    assert (s.start_s, s.end_s, s.n_accents) == (8.0, 11.0, 4)
    assert offset_stretches(np.arange(20.0), o3, threshold_s=0.07) == []
    assert offset_stretches(np.arange(20.0), o3, run=9) == []


def test_the_half_way_accent_is_neither_early_nor_late():
    beats = [1.0, 2.0, 3.0]
    r = beat_offsets([1.5, 1.5 + HALFWAY_TOL_S / 2, 1.52, 2.4, 2.6], beats)
    assert r.n_halfway == 2
    np.testing.assert_allclose(r.offsets_s, [-0.48, 0.4, -0.4])
    np.testing.assert_allclose(r.beats_s, [2.0, 2.0, 3.0])


def test_only_accents_within_the_beats_span_count():
    beats = [1.0, 1.5, 2.0]  # span 0.75 s .. 2.25 s
    r = beat_offsets([0.2, 0.8, 0.96, 2.2, 2.3, 9.0], beats)
    assert r.n_outside == 3 and r.n_halfway == 0
    np.testing.assert_allclose(r.times_s, [0.8, 0.96, 2.2])
    np.testing.assert_allclose(r.offsets_s, [-0.2, -0.04, 0.2])
    # the span's own edge is half-way to a beat that is not there
    assert beat_offsets([0.75], beats).n_halfway == 1


def test_max_offset_leaves_out_the_far_accents():
    r = beat_offsets([1.05, 1.2, 1.91], [1.0, 1.5, 2.0], max_offset=0.1)
    np.testing.assert_allclose(r.offsets_s, [0.05, -0.09])
    assert r.n_beyond_max == 1 and r.n_left_out == 1


def test_empty_inputs_give_empty_results():
    r = beat_offsets([], BEATS)
    assert len(r.offsets_s) == 0 and r.n_left_out == 0
    r = beat_offsets([1.0, 2.0], [1.0])  # one beat: no interval, so nothing is scored
    assert len(r.offsets_s) == 0 and r.n_outside == 2
    assert beat_offsets([1.0], []).n_outside == 1
    s = offset_summary([])
    assert s["n_accents"] == 0 and s["median_offset_s"] is None and s["on_beat_share"] is None
    assert offset_stretches([], []) == []


@pytest.mark.parametrize(
    "accents, beats, match",
    [
        ([1.0, np.nan], BEATS, "finite"),
        ([1.0, np.inf], BEATS, "finite"),
        ([2.0, 1.0], BEATS, "accent_times must be sorted"),
        ([1.0], [1.0, 3.0, 2.0], "beat_times must be strictly increasing"),
        ([1.0], [1.0, 1.0, 2.0], "strictly increasing"),
        ([[1.0]], BEATS, "1-D"),
    ],
)
def test_bad_times_are_one_clear_error(accents, beats, match):
    with pytest.raises(ParameterError, match=match):
        beat_offsets(accents, beats)


def test_bad_settings_are_refused():
    with pytest.raises(ParameterError, match="max_offset"):
        beat_offsets([1.0], BEATS, max_offset=0)
    with pytest.raises(ParameterError, match="window_s"):
        offset_summary([0.0], window_s=-1)
    with pytest.raises(ParameterError, match="finite"):
        offset_summary([np.nan])
    with pytest.raises(ParameterError, match="one per time"):
        offset_stretches([1.0, 2.0], [0.1])
    with pytest.raises(ParameterError, match="threshold_s"):
        offset_stretches([1.0], [0.1], threshold_s=0)
    with pytest.raises(ParameterError, match="run"):
        rolling_median([1.0], run=0)


def test_rolling_median_by_hand():
    np.testing.assert_allclose(rolling_median([0, 0, 4, 4, 4], run=3), [0, 0, 4, 4, 4])
    np.testing.assert_allclose(rolling_median([1, 5, 2], run=1), [1, 5, 2])
    # run 4: values i-2 .. i+1, the window kept inside the array at the ends
    np.testing.assert_allclose(rolling_median([0, 0, 0, 8, 8, 8], run=4), [0, 0, 0, 4, 8, 8])
