"""The scoring core of classification, with known answers: metrics, file means, folds, floors."""

import numpy as np
import pytest

from mudar.errors import ParameterError
from mudar.eval.classification import (
    accuracy,
    balanced_accuracy,
    confusion_matrix,
    file_means,
    grouped_folds,
    majority_proba,
    out_of_fold,
    prediction_scores,
)


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


def test_a_file_is_the_mean_of_its_clips():
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.3, 0.7]])
    clip_file = np.array([0, 0, 0, 2])
    means = file_means(proba, clip_file, 3)
    np.testing.assert_allclose(means, [[0.5, 0.5], [0, 0], [0.3, 0.7]], atol=1e-6)
    assert means.dtype == np.float32
    # clips 1 and 2 are wrong, clip 0 right; file 0's mean is a tie: the first class wins
    s = prediction_scores(np.array([0, 0, 0, 1]), proba, clip_file)
    assert s == {"accuracy": 0.5, "file_accuracy": 1.0, "balanced_accuracy": pytest.approx(2 / 3)}


def test_majority_floor_takes_the_most_frequent_training_class():
    p = majority_proba(np.array([2, 1, 2, 0]), 3, n_classes=4)
    assert p.shape == (3, 4) and p.dtype == np.float32
    assert (p.argmax(1) == 2).all() and (p.sum(1) == 1).all()
    assert majority_proba(np.array([1, 0]), 1, n_classes=2).argmax() == 0  # ties: the lowest


def test_grouped_folds_are_stratified_and_keep_single_files_out():
    labels = ["w"] * 25 + ["r"] * 5 + ["c"] * 4 + ["t"]
    folds = grouped_folds(labels, k=5, seed=0)
    assert folds[-1] == -1 and (folds[:-1] >= 0).all()
    assert np.bincount(folds[:-1]).tolist() == [7, 7, 7, 7, 6]
    lab = np.array(labels)
    for k in range(5):
        assert (lab[folds == k] == "w").sum() == 5 and (lab[folds == k] == "r").sum() == 1
    assert np.array_equal(folds, grouped_folds(labels, k=5, seed=0))
    with pytest.raises(ParameterError, match="folds"):
        grouped_folds(["a", "a", "b"], k=3)


def test_out_of_fold_tests_each_file_once_and_trains_on_the_rest():
    labels = ["a", "a", "a", "b", "b", "b", "c"]
    fold_of = grouped_folds(labels, k=3, seed=0)
    clip_file = np.repeat(np.arange(7), 2)
    file_y = np.array([0, 0, 0, 1, 1, 1, 2])
    seen = []

    def oracle(m, k, train, test):  # the true class, from what it was trained on
        assert not (train & test).any() and (train | test).all()
        seen.append((m, k))
        return np.eye(3, dtype=np.float32)[file_y[clip_file[test]]]

    scores = out_of_fold(
        ["oracle", "other"],
        oracle,
        fold_of=fold_of,
        folds=3,
        clip_file=clip_file,
        clip_y=file_y[clip_file],
        file_y=file_y,
    )
    assert seen == [(m, k) for k in range(3) for m in ("oracle", "other")]
    s = scores["oracle"]
    assert s.clip_acc == s.file_acc == [1.0, 1.0, 1.0]
    assert s.file_pred.tolist() == [0, 0, 0, 1, 1, 1, -1]  # c is never tested
    assert (s.clip_pred[clip_file < 6] >= 0).all() and (s.clip_pred[clip_file == 6] == -1).all()
