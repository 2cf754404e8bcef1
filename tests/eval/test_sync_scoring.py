"""``mudar.eval.sync``: sync errors modulo one beat, steady tempi, and the calibrated level."""

from __future__ import annotations

import numpy as np
import pytest

from mudar.errors import ParameterError
from mudar.eval.sync import coverage, reliability_level, steady_beat, sync_errors


def test_errors_are_modulo_one_beat_only_on_a_steady_tempo():
    est, truth = [0.3, 0.8, -0.2, 0.35], [0.3, 0.3, 0.3, 0.3]
    assert sync_errors(est, truth) == pytest.approx([0.0, 0.5, 0.5, 0.05])
    # a beat of 0.5 s: 0.8 and -0.2 are one beat off the truth, so right
    assert sync_errors(est, truth, beat_s=0.5, steady=True) == pytest.approx([0, 0, 0, 0.05])
    with pytest.raises(ParameterError, match="beat_s"):
        sync_errors(est, truth, steady=True)


def test_steady_beat():
    beat, steady = steady_beat(np.arange(20) * 0.5)
    assert beat == pytest.approx(0.5) and steady
    changing = np.concatenate(
        [np.arange(8) * 0.4, 3.2 + np.arange(8) * 0.6, 8.0 + np.arange(8) * 0.5]
    )
    assert steady_beat(changing)[1] is False
    assert steady_beat([1.0, 2.0]) == (None, False)


def test_level_is_the_lowest_confidence_above_which_nine_in_ten_are_right():
    # above 0.3 every estimate is right; from 0.2 down half are wrong
    conf = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05, 0.02, 0.01])
    ok = np.array([1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 0, 0], dtype=bool)
    assert reliability_level(conf, ok, share=0.9) == 0.3
    # 8 of 9 right from 0.1 up (89 %): not enough for 90 %, enough for 85 %
    assert reliability_level(conf, ok, share=0.85) == 0.1
    assert reliability_level(conf, np.zeros(12, bool)) == np.inf
    assert reliability_level(conf, np.ones(12, bool)) == 0.01
    c = coverage(conf, ok, level=0.3)
    assert c == {"n": 12, "n_above": 7, "share_above": 7 / 12, "right_above": 1.0}
    assert coverage(conf, ok, level=np.inf)["right_above"] is None


def test_tied_confidences_enter_together():
    # two estimates at 0.5, one wrong: a level of 0.5 lets both in (1 of 2 right)
    conf, ok = np.array([0.9, 0.5, 0.5]), np.array([True, True, False])
    assert reliability_level(conf, ok, share=0.9) == 0.9
