"""Classification metrics with known answers."""

import numpy as np
import pytest

from mudar.errors import ParameterError
from mudar.eval.classification import accuracy, balanced_accuracy, confusion_matrix


def test_known_answers():
    t = np.array([0, 0, 0, 0, 1, 2])
    p = np.array([0, 0, 0, 0, 0, -1])
    assert accuracy(t, p) == pytest.approx(4 / 6)
    # the majority class alone: recall 1 for class 0, 0 for the others
    assert balanced_accuracy(t, p) == pytest.approx(1 / 3)
    assert balanced_accuracy(t, t) == 1.0
    m = confusion_matrix(t, p, n_classes=3)
    assert m.tolist() == [[4, 0, 0], [1, 0, 0], [0, 0, 0]]  # the -1 is not counted
    assert np.isnan(accuracy([], []))


def test_bad_input():
    with pytest.raises(ParameterError):
        accuracy([0, 1], [0])
    with pytest.raises(ParameterError):
        accuracy([0.5], [0])
    with pytest.raises(ParameterError):
        confusion_matrix([0, 3], [0, 0], n_classes=3)
