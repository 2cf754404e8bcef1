"""Beat tracking scores with known answers: peak picking, dynamic programming, F-measure."""

import numpy as np
import pytest

from mudar.errors import ParameterError
from mudar.eval.beats import activation_dp_beats, activation_peaks, beat_f_measure


def test_a_perfect_activation_gives_f_measure_one():
    fps = 8.0
    act = np.zeros(64)
    act[2::4] = 1.0  # 120 BPM from 0.25 s
    ref = np.arange(2, 64, 4) / fps
    est = activation_peaks(act, fps=fps)
    np.testing.assert_allclose(est, ref)
    assert beat_f_measure(ref, est) == 1.0
    # librosa's dynamic programming finds the pulse too (it may trim an end beat)
    assert beat_f_measure(ref, activation_dp_beats(act, fps=fps)) > 0.9


def test_beat_f_measure_window_and_empty():
    ref = np.arange(1, 9) * 0.5
    assert beat_f_measure(ref, ref + 0.05) == 1.0  # inside 70 ms
    assert beat_f_measure(ref, ref + 0.1) == 0.0  # outside
    assert beat_f_measure(ref, []) == 0.0


def test_peaks_keep_one_beat_per_separation_and_check_inputs():
    act = np.array([0, 1, 1, 0, 0, 0, 0, 0.5, 0, 0, 0], dtype=float)
    # equal neighbours: the first wins; 0.5 at frame 7 is above the mean and far enough
    np.testing.assert_allclose(activation_peaks(act, fps=10, min_separation_s=0.3), [0.1, 0.7])
    assert len(activation_peaks(np.zeros(10), fps=8)) == 0  # flat: nothing above the mean
    with pytest.raises(ParameterError):
        activation_peaks(np.zeros((2, 2)), fps=8)
    with pytest.raises(ParameterError):
        activation_dp_beats(np.ones(10), fps=7.5)
