"""Music-dance retrieval: rhythm similarity and Eq. 21."""

import numpy as np
import pytest

from mudar.errors import ParameterError
from mudar.tasks.retrieve import (
    embedding_similarity,
    hybrid_similarity,
    rhythm_similarity_matrix,
    timed_similarity_matrix,
)

# --- helpers ---------------------------------------------------------------------------------


def unit(x):
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def brute_rhythm(o, v, lo, lv, max_shift, sigma):
    """S_r one pair and one shift at a time, with np.corrcoef on the frames both clips hold."""
    radius = int(np.ceil(sigma))
    out = np.zeros((len(o), len(v)))
    for i in range(len(o)):
        s = np.zeros(o.shape[1])
        for t in range(lo[i]):  # smoothing within the clip's frames
            for k in range(-radius, radius + 1):
                if 0 <= t + k < lo[i] and sigma > 0:
                    s[t] += np.exp(-0.5 * (k / sigma) ** 2) * o[i, t + k]
                elif sigma == 0 and k == 0:
                    s[t] = o[i, t]
        for j in range(len(v)):
            best = -np.inf
            for d in range(-max_shift, max_shift + 1):
                ts = [t for t in range(o.shape[1]) if t < lo[i] and 0 <= t + d < lv[j]]
                a, b = s[ts], v[j, [t + d for t in ts]]
                c = 0.0
                if len(ts) >= 3 and a.std() > 1e-12 and b.std() > 1e-12:
                    c = np.corrcoef(a, b)[0, 1]
                best = max(best, c)
            out[i, j] = best
    return out


# --- similarities ----------------------------------------------------------------------------


def test_rhythm_similarity_against_brute_force(rng):
    o = (rng.random((4, 20)) < 0.3).astype(np.uint8)
    v = rng.random((5, 20)).astype(np.float32)
    lo = np.array([20, 20, 12, 2])
    lv = np.array([20, 15, 20, 20, 9])
    for max_shift, sigma in [(0, 0.0), (2, 1.0), (3, 1.5)]:
        got = rhythm_similarity_matrix(
            o, v, onsets_len=lo, visual_len=lv, max_shift=max_shift, sigma=sigma
        )
        want = brute_rhythm(o, v, lo, lv, max_shift, sigma)
        np.testing.assert_allclose(got, want, atol=1e-5)


def test_rhythm_similarity_known_answers(rng):
    o = (rng.random((1, 64)) < 0.25).astype(np.uint8)
    for shift in (0, 1, 2, -2):  # within the allowed shift: a perfect match
        v = np.roll(o, shift, axis=1).astype(float)
        assert rhythm_similarity_matrix(o, v, sigma=0)[0, 0] > 0.95
    late = rhythm_similarity_matrix(o, np.roll(o, 4, axis=1), sigma=0)[0, 0]
    assert late < 0.6
    # no onsets, or a constant rhythm: no information, 0
    assert rhythm_similarity_matrix(np.zeros((1, 64)), rng.random((1, 64)))[0, 0] == 0
    assert rhythm_similarity_matrix(o, np.full((1, 64), 0.3))[0, 0] == 0
    # scale and offset of the visual rhythm do not matter
    v = rng.random((1, 64))
    np.testing.assert_allclose(
        rhythm_similarity_matrix(o, v), rhythm_similarity_matrix(o, 0.01 * v + 0.29), atol=1e-5
    )


def test_rhythm_similarity_bad_inputs():
    with pytest.raises(ParameterError, match="frames"):
        rhythm_similarity_matrix(np.zeros((2, 8)), np.zeros((2, 9)))
    with pytest.raises(ParameterError, match="2-D"):
        rhythm_similarity_matrix(np.zeros(8), np.zeros((2, 8)))
    with pytest.raises(ParameterError, match="max_shift"):
        rhythm_similarity_matrix(np.zeros((2, 8)), np.zeros((2, 8)), max_shift=-1)
    with pytest.raises(ParameterError, match="sigma"):
        rhythm_similarity_matrix(np.zeros((2, 8)), np.zeros((2, 8)), sigma=-1)
    with pytest.raises(ParameterError, match="onsets_len"):
        rhythm_similarity_matrix(np.zeros((2, 8)), np.zeros((2, 8)), onsets_len=[9, 8])
    with pytest.raises(ParameterError, match="non-finite"):
        rhythm_similarity_matrix(np.full((2, 8), np.nan), np.zeros((2, 8)))


def test_timed_similarity_tells_the_same_moment_from_the_same_tempo(rng):
    beats = np.arange(0.3, 8.0, 0.5)  # one tempo, phase 0.3 s
    same = beats + rng.uniform(-0.04, 0.04, len(beats))  # the dance of this clip, within 70 ms
    other = beats + 0.25  # the same tempo, half a beat later (another moment)
    s = timed_similarity_matrix([beats], [same, other, beats[::2], []])
    assert s.shape == (1, 4) and s.dtype == np.float32
    assert s[0, 0] == pytest.approx(1.0)
    assert s[0, 1] == 0.0  # +-2 frames of S_r at 8 fps would forgive this shift
    assert s[0, 2] == pytest.approx(2 * 8 / (16 + 8))  # every other beat: F-measure 2/3
    assert s[0, 3] == 0.0
    # one-to-one: two dance times at one beat count once
    assert timed_similarity_matrix([[1.0]], [[0.99, 1.01]])[0, 0] == pytest.approx(2 / 3)


def test_timed_similarity_bad_inputs():
    with pytest.raises(ParameterError, match="window_s"):
        timed_similarity_matrix([[1.0]], [[1.0]], window_s=0)
    with pytest.raises(ParameterError, match="finite"):
        timed_similarity_matrix([[np.nan]], [[1.0]])
    with pytest.raises(ParameterError, match="1-D"):
        timed_similarity_matrix([[1.0]], [[[1.0]]])


def test_hybrid_similarity_is_eq_21(rng):
    se, sr = rng.uniform(-1, 1, (3, 4)), rng.uniform(-1, 1, (3, 4))
    np.testing.assert_allclose(hybrid_similarity(se, sr, lambda3=1.0), se, atol=1e-6)
    np.testing.assert_allclose(hybrid_similarity(se, sr, lambda3=0.0), sr, atol=1e-6)
    np.testing.assert_allclose(hybrid_similarity(se, sr), 0.5 * se + 0.5 * sr, atol=1e-6)
    for bad in (-0.1, 1.5, float("nan")):
        with pytest.raises(ParameterError, match="lambda3"):
            hybrid_similarity(se, sr, lambda3=bad)
    with pytest.raises(ParameterError, match="shape"):
        hybrid_similarity(se, sr[:, :2])
    a = unit(rng.normal(size=(3, 5)))
    np.testing.assert_allclose(embedding_similarity(a, a).diagonal(), 1, atol=1e-6)
    assert embedding_similarity(np.zeros((1, 5)), a).tolist() == [[0, 0, 0]]
