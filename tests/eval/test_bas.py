"""Beat Alignment Score and mean offset: hand-computed answers, both published forms, bad input."""

import math

import numpy as np
import pytest

from mudar.errors import ParameterError
from mudar.eval.bas import (
    AIST_FPS,
    AIST_SIGMA_FRAMES,
    DEFAULT_SIGMA_S,
    beat_alignment_score,
    beat_alignment_score_frames,
    mean_offset,
    nearest_distances,
)


def test_fact_form_by_hand():
    motion = [0.0, 1.0, 2.05]
    music = [0.0, 1.1, 2.0, 3.0]
    # distances 0, 0.1, 0.05 to the nearest music beat
    want = (1 + math.exp(-0.01 / 0.02) + math.exp(-0.0025 / 0.02)) / 3
    assert beat_alignment_score(motion, music, sigma_s=0.1) == pytest.approx(want)
    assert beat_alignment_score(motion, music) == pytest.approx(want)  # default sigma 0.1 s
    assert DEFAULT_SIGMA_S == 0.1


def test_bailando_form_averages_over_music_beats():
    motion = [0.0, 1.0, 2.05]
    music = [0.0, 1.1, 2.0, 3.0]
    # music beats: 0 -> 0, 1.1 -> 0.1, 2.0 -> 0.05, 3.0 -> 0.95 from the nearest motion beat
    d = np.array([0.0, 0.1, 0.05, 0.95])
    want = np.mean(np.exp(-(d**2) / (2 * 0.1**2)))
    assert beat_alignment_score(motion, music, sigma_s=0.1, over="music") == pytest.approx(want)
    # a beat nobody danced to lowers Bailando's score but not FACT's
    assert beat_alignment_score(motion, music, sigma_s=0.1, over="music") < beat_alignment_score(
        motion, music, sigma_s=0.1, over="motion"
    )


def test_perfect_alignment_scores_one_and_order_does_not_matter(rng):
    music = np.sort(rng.uniform(0, 30, 40))
    assert beat_alignment_score(music, music) == pytest.approx(1.0)
    assert beat_alignment_score(rng.permutation(music), music[::-1]) == pytest.approx(1.0)
    assert mean_offset(music, music) == pytest.approx(0.0)


def test_frames_form_matches_seconds_with_the_aist_sigma(rng):
    motion = rng.integers(0, 600, 20)
    music = rng.integers(0, 600, 25)
    got = beat_alignment_score_frames(motion, music)  # 60 fps, sigma 3 frames
    want = beat_alignment_score(motion / 60.0, music / 60.0, sigma_s=3 / 60.0)
    assert got == pytest.approx(want)
    assert (AIST_FPS, AIST_SIGMA_FRAMES) == (60.0, 3.0)
    # a distance of one sigma scores exp(-1/2), at any frame rate
    assert beat_alignment_score_frames([10], [13], fps=30, sigma_frames=3) == pytest.approx(
        math.exp(-0.5)
    )


def test_empty_sides():
    assert math.isnan(beat_alignment_score([], [1.0, 2.0]))
    assert beat_alignment_score([1.0], []) == 0.0
    assert math.isnan(beat_alignment_score([1.0], [], over="music"))
    assert math.isnan(mean_offset([], [1.0]))
    assert mean_offset([1.0], []) == math.inf


def test_mean_offset_and_nearest_distances_by_hand():
    music = [3.0, 1.0, 2.0]  # unsorted on purpose
    np.testing.assert_allclose(nearest_distances([0.0, 1.4, 1.6, 5.0], music), [1, 0.4, 0.4, 2])
    assert mean_offset([0.0, 1.4, 1.6, 5.0], music) == pytest.approx(0.95)
    np.testing.assert_allclose(nearest_distances([0.0, 4.0], [1.0]), [1.0, 3.0])


@pytest.mark.parametrize(
    "kwargs",
    [{"sigma_s": 0.0}, {"sigma_s": -1.0}, {"sigma_s": float("nan")}, {"over": "dance"}],
)
def test_bad_parameters(kwargs):
    with pytest.raises(ParameterError):
        beat_alignment_score([1.0], [1.0], **kwargs)


@pytest.mark.parametrize("bad", [[1.0, float("nan")], [[1.0, 2.0]], 1.0])
def test_bad_times(bad):
    with pytest.raises(ParameterError):
        beat_alignment_score(bad, [1.0])
    with pytest.raises(ParameterError):
        mean_offset([1.0], bad)


def test_bad_frame_rate():
    with pytest.raises(ParameterError):
        beat_alignment_score_frames([1], [1], fps=0)
