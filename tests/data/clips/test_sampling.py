"""Negative sampling (Eq. 16-17): rhythm similarity, the AVTS shift rule, AVC draws, seeding."""

import numpy as np
import pytest

from mudar.data.clips.sampling import (
    avts_shift_allowed,
    draw_avc_negative,
    draw_avts_shift,
    eighth_note_frames,
    negative_kind,
    rhythm_score,
    rhythm_similarity,
    rng_for,
)
from mudar.errors import ParameterError

# --- Eq. 16 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "a, b, want",
    [
        ([1, 0, 1, 0, 1, 0], [1, 0, 1, 0, 1, 0], 1.0),  # same rhythm
        ([1, 0, 1, 0, 1, 0], [0, 1, 0, 1, 0, 1], 0.0),  # off-beat: no shared onset
        ([1, 1, 0, 0], [1, 0, 1, 0], 1 / 3),  # 1 shared of 3 onset frames
        ([1, 0, 0, 0, 1, 0, 0, 0], [1, 0, 1, 0, 1, 0, 1, 0], 0.5),  # quarters vs eighths
        ([0, 0, 0], [0, 0, 0], 1.0),  # both silent: the same (empty) rhythm
        ([0, 1, 0], [0, 0, 0], 0.0),
    ],
)
def test_rhythm_similarity_known_answers(a, b, want):
    assert rhythm_similarity(np.array(a), np.array(b)) == pytest.approx(want)
    assert rhythm_similarity(np.array(b), np.array(a)) == pytest.approx(want)


def test_rhythm_similarity_counts_frames_not_values_and_tolerance():
    a = np.array([0.0, 1.0, 0.0, 0.0, 1.0, 0.0], dtype=np.float32)
    b = np.array([0, 0, 1, 0, 1, 0], dtype=bool)
    assert rhythm_similarity(a, b) == pytest.approx(1 / 3)
    # one frame apart counts as shared with tolerance 1: both onsets of each side match
    assert rhythm_similarity(a, b, tolerance=1) == pytest.approx(1.0)
    c = np.array([1, 0, 0, 0, 0, 0])
    # the pair (1, 0) matches; a's onset at 4 does not: 1 shared of 2 + 1 - 1
    assert rhythm_similarity(a, c, tolerance=1) == pytest.approx(0.5)
    with pytest.raises(ParameterError):
        rhythm_similarity(np.zeros(4), np.zeros(5))
    with pytest.raises(ParameterError):
        rhythm_similarity(np.zeros(4), np.zeros(4), tolerance=-1)


# --- Eq. 17 -----------------------------------------------------------------------------------


def test_eighth_note_length():
    assert eighth_note_frames(fps=8, tempo_bpm=120) == pytest.approx(2.0)
    assert eighth_note_frames(fps=8, tempo_bpm=90) == pytest.approx(8 / 3)
    with pytest.raises(ParameterError):
        eighth_note_frames(fps=8, tempo_bpm=0)


def test_shift_rule_at_120_bpm():
    allowed = {f: avts_shift_allowed(f, fps=8, tempo_bpm=120) for f in range(-6, 7)}
    assert [f for f in range(1, 7) if allowed[f]] == [1, 3, 5]
    assert [f for f in range(1, 7) if not allowed[f]] == [2, 4, 6]
    assert all(allowed[f] == allowed[-f] for f in range(1, 7))
    assert not allowed[0]


def test_shift_rule_at_90_bpm():
    # eighth note = 2.667 frames: multiples 2.67, 5.33, 8, 10.67; a shift within half a frame
    # of one is refused (3, 5, 8, 11)
    allowed = [f for f in range(1, 12) if avts_shift_allowed(f, fps=8, tempo_bpm=90)]
    assert allowed == [1, 2, 4, 6, 7, 9, 10]
    # tolerance 0: only exact multiples (8) are refused
    exact = [f for f in range(1, 12) if not avts_shift_allowed(f, fps=8, tempo_bpm=90, tolerance=0)]
    assert exact == [8]


def test_shift_rule_limits():
    # at 240 BPM an eighth note is one frame: every shift is a multiple
    assert not any(avts_shift_allowed(f, fps=8, tempo_bpm=240) for f in range(1, 20))
    with pytest.raises(ParameterError):
        avts_shift_allowed(1, fps=8, tempo_bpm=0)
    with pytest.raises(ParameterError):
        avts_shift_allowed(1, fps=8, tempo_bpm=120, tolerance=0.8)
    with pytest.raises(ParameterError):
        avts_shift_allowed(1.5, fps=8, tempo_bpm=120)


def test_draw_avts_shift_stays_in_the_music_and_follows_the_rule():
    seen = set()
    for i in range(200):
        f = draw_avts_shift(
            rng_for(0, 0, i),
            n_frames=100,
            fps=8,
            tempo_bpm=90,
            max_shift=12,
            start=30,
            clip_frames=64,
        )
        assert f is not None and 1 <= abs(f) <= 12
        assert 0 <= 30 + f and 30 + f + 64 <= 100  # start + f + T <= n: real music, no wrap
        assert avts_shift_allowed(f, fps=8, tempo_bpm=90)
        seen.add(f)
    # every allowed shift in [-12, 6] is drawn: uniform over the allowed set
    want = {f for f in range(-12, 7) if f and avts_shift_allowed(f, fps=8, tempo_bpm=90)}
    assert seen == want


def test_draw_avts_shift_without_room_or_tempo():
    rng = np.random.default_rng(0)
    kw = dict(fps=8, max_shift=16, start=0, clip_frames=64)
    assert draw_avts_shift(rng, n_frames=64, tempo_bpm=120, **kw) is None  # no room
    assert draw_avts_shift(rng, n_frames=66, tempo_bpm=120, **kw) == 1  # 1 fits; 2 refused
    assert draw_avts_shift(rng, n_frames=100, tempo_bpm=0.0, **kw) is None  # unknown tempo
    with pytest.raises(ParameterError):
        draw_avts_shift(rng, n_frames=50, tempo_bpm=120, **kw)


# --- AVC --------------------------------------------------------------------------------------


def _clips(rng, n_videos=5, per_video=4, t=32, p=0.3):
    videos = np.repeat(np.arange(n_videos), per_video)
    onsets = (rng.random((len(videos), t)) < p).astype(np.float32)
    return videos, onsets


def test_avc_never_returns_the_anchors_video(rng):
    videos, onsets = _clips(rng)
    for anchor in range(len(videos)):
        for i in range(30):
            d = draw_avc_negative(rng_for(1, 0, 100 * anchor + i), anchor, videos, onsets)
            assert videos[d.index] != videos[anchor]
            assert d.similarity == pytest.approx(rhythm_similarity(onsets[anchor], onsets[d.index]))
            assert d.fallback or d.similarity < 0.3


def test_avc_respects_the_similarity_rule():
    t = 16
    anchor = np.zeros(t)
    anchor[::4] = 1
    same = anchor.copy()  # similarity 1: not a negative
    near = anchor.copy()
    near[2] = 1  # 4 shared of 5: 0.8
    other = np.roll(anchor, 2)  # off-beat: 0
    videos = np.array([0, 1, 1, 2, 3])
    onsets = np.stack([anchor, same, same, near, other])
    for i in range(50):
        d = draw_avc_negative(
            rng_for(0, 0, i), 0, videos, onsets, max_similarity=0.5, max_tries=100
        )
        assert d.index == 4 and not d.fallback and d.similarity == 0.0
    # nothing different enough: the least similar one seen, flagged
    d = draw_avc_negative(rng_for(0, 0, 0), 0, videos[:4], onsets[:4], max_tries=50)
    assert d.fallback and d.index == 3 and d.similarity == pytest.approx(0.8)
    assert d.tries == 50


def test_rhythm_score_eq_16_on_hand_made_onsets():
    # T = 8; pos and neg differ on frames 1, 2 and 5: Hamming distance 3
    pos = np.array([1, 1, 0, 0, 1, 0, 0, 0])
    neg = np.array([1, 0, 1, 0, 1, 1, 0, 0])
    assert rhythm_score(pos, neg, alpha=0.25) == pytest.approx(3 - 0.25 * 8)  # 1 > 0: kept
    assert rhythm_score(pos, neg, alpha=0.5) == pytest.approx(3 - 4)  # -1: refused
    assert rhythm_score(pos, neg, alpha=3 / 8) == pytest.approx(0.0)  # 0 is not positive
    assert rhythm_score(pos, pos, alpha=0.0) == 0.0  # the same rhythm is never kept
    assert rhythm_score(pos, 1 - pos, alpha=1.0) == 0.0  # every frame differs: T - T
    # values are read as binary and the score is symmetric
    assert rhythm_score(pos * 0.7, neg * 3, alpha=0.25) == rhythm_score(neg, pos, alpha=0.25)
    with pytest.raises(ParameterError):
        rhythm_score(pos, neg[:4], alpha=0.1)
    with pytest.raises(ParameterError):
        rhythm_score(pos, neg, alpha=1.5)


def test_avc_paper_rule_keeps_only_positive_scores():
    t = 16
    anchor = np.zeros(t)
    anchor[::4] = 1  # 4 onsets
    same = anchor.copy()  # Hamming 0
    near = anchor.copy()
    near[2] = 1  # Hamming 1
    other = np.roll(anchor, 2)  # Hamming 8
    videos = np.array([0, 1, 1, 2, 3])
    onsets = np.stack([anchor, same, same, near, other])
    # alpha 0.25: s_rhy = H - 4 is positive only for `other` (8 - 4 = 4)
    for i in range(50):
        d = draw_avc_negative(
            rng_for(0, 0, i), 0, videos, onsets, rule="paper", alpha=0.25, max_tries=100
        )
        assert d.index == 4 and not d.fallback and d.similarity == pytest.approx(4.0)
    # alpha 0.6 (9.6 frames): nothing passes; the highest score seen is returned, flagged
    d = draw_avc_negative(
        rng_for(0, 0, 0), 0, videos, onsets, rule="paper", alpha=0.6, max_tries=200
    )
    assert d.fallback and d.index == 4 and d.similarity == pytest.approx(8 - 9.6)
    # alpha 0: anything with a different rhythm passes, the same rhythm never
    for i in range(50):
        d = draw_avc_negative(rng_for(1, 0, i), 0, videos, onsets, rule="paper", alpha=0.0)
        assert d.index in (3, 4) and not d.fallback
    with pytest.raises(ParameterError):
        draw_avc_negative(rng_for(0, 0, 0), 0, videos, onsets, rule="hamming")
    with pytest.raises(ParameterError):
        draw_avc_negative(rng_for(0, 0, 0), 0, videos, onsets, rule="paper", alpha=-0.1)


def test_avc_needs_another_video():
    with pytest.raises(ParameterError, match="two videos"):
        draw_avc_negative(np.random.default_rng(0), 0, [0, 0], np.zeros((2, 4)))
    with pytest.raises(ParameterError):
        draw_avc_negative(np.random.default_rng(0), 5, [0, 1], np.zeros((2, 4)))


# --- seeding and curriculum -------------------------------------------------------------------


def test_rng_for_is_reproducible_and_distinct():
    a = rng_for(3, 2, 17).integers(1 << 30, size=8)
    assert np.array_equal(a, rng_for(3, 2, 17).integers(1 << 30, size=8))
    assert not np.array_equal(a, rng_for(3, 3, 17).integers(1 << 30, size=8))
    assert not np.array_equal(a, rng_for(3, 2, 18).integers(1 << 30, size=8))
    assert not np.array_equal(a, rng_for(4, 2, 17).integers(1 << 30, size=8))
    with pytest.raises(ParameterError):
        rng_for(0, -1, 0)
    with pytest.raises(ParameterError):
        rng_for(0, 0, 1.5)


def test_negative_kind_curriculum():
    assert [negative_kind(e, 2) for e in range(4)] == ["avc", "avc", "avts", "avts"]
    assert negative_kind(0, 0) == "avts"
    with pytest.raises(ParameterError):
        negative_kind(-1, 2)
