"""The lock's scores: BAS against beats, half-beats and another song, pooled by accents."""

from __future__ import annotations

import numpy as np
import pytest

from mudar.eval.lock import half_beats, lock_scores, lock_table, lock_table_text


def test_half_beats_are_the_midpoints():
    assert half_beats([1.0, 2.0, 4.0]).tolist() == [1.5, 3.0]
    assert len(half_beats([1.0])) == 0


def test_accents_on_the_beats_score_one_and_zero_half_a_beat_off():
    beats = np.arange(0.5, 10, 0.6)
    s = lock_scores(beats, beats, span_s=10.0, other_beats_s=beats + 0.3)
    assert s["n"] == len(beats)
    assert s["true"] == 1.0
    assert s["half"] < 0.02  # 0.3 s away: exp(-4.5)
    assert s["other"] < 0.02
    off = lock_scores(half_beats(beats), beats, span_s=10.0)
    assert off["true"] < 0.02 and off["half"] == 1.0


def test_only_accents_within_the_span_count():
    s = lock_scores([1.0, 5.0, 12.0], [1.0, 5.0], span_s=10.0)
    assert s["n"] == 2 and s["true"] == 1.0 and s["other"] is None
    assert lock_scores([], [1.0], span_s=5.0)["true"] is None


def _meta(i, genre, acc_before, acc_after, beats, *, song):
    return {
        "id": f"D{i}",
        "genre": genre,
        "song_title_tag": song,
        "source_accent_times": acc_before,
        "detected_accent_times": acc_after,
        "beat_times": beats,
        "duration_s": 10.0,
        "source_duration_s": 10.0,
        "speed_range": [0.9, 1.1 + 0.01 * i],
        "n_accents": len(acc_after),
        "n_matched": len(acc_after) // 2,
    }


def test_lock_table_pools_by_accents_per_genre():
    beats = list(np.arange(0.5, 10, 0.5))
    on = beats[:10]
    off = [b + 0.25 for b in beats[:5]]
    metas = [
        _meta(0, "waltz", off, on, beats, song="a"),
        _meta(1, "waltz", off, off, beats, song="a"),
        _meta(2, "rumba", on, on, [b + 0.25 for b in beats], song="c"),
    ]
    rows = lock_table(metas)
    assert [r["kind"] for r in rows] == ["dance"] * 3 + ["genre"] * 2 + ["all"]
    by = {r["name"]: r for r in rows}
    off_score = np.exp(-(0.25**2) / (2 * 0.1**2))
    assert by["D0"]["after_true"] == 1.0 and by["D0"]["before_true"] < 0.05
    assert by["D1"]["after_true"] == pytest.approx(off_score, abs=1e-3)
    # waltz after: 10 accents on the beats and 5 a quarter-second off them, pooled by accents
    assert by["waltz"]["after_true"] == pytest.approx((10 + 5 * off_score) / 15, abs=1e-3)
    assert by["waltz"]["accents_after"] == 15
    # dance 0's other song is not dance 1's (the same song) but dance 2's, a quarter-second
    # off; dance 2's is dance 0's
    assert by["D0"]["after_other"] == pytest.approx(off_score, abs=1e-3)
    assert by["D2"]["after_true"] < 0.05 and by["D2"]["after_other"] == 1.0
    assert by["all"]["speed_max"] == pytest.approx(1.12)
    assert by["all"]["matched"] == pytest.approx((5 + 2 + 5) / 25)
    text = lock_table_text(rows)
    assert "waltz" in text and "all" in text and "D1" in text
    assert "D1" not in lock_table_text(rows, dances=False)
