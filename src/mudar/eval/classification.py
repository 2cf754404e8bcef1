"""Scores of genre predictions, the one scoring core of ``mudar classify eval``, the bench's
classification table and MotionBeat's genre probe.

- Scores of class predictions: accuracy, balanced accuracy (mean per-class recall), confusion.
- A file's class is the argmax of the mean of its clips' probabilities (:func:`file_means`), so
  every method is scored per clip and per file alike (:func:`prediction_scores`).
- Grouped k-fold splits (:func:`grouped_folds`: a file's clips are never on both sides) and the
  out-of-fold predictions of several methods over them (:func:`out_of_fold`,
  :class:`MethodScores`).
- The majority-class floor (:func:`majority_proba`). The logistic-probe floor fits a model, so
  it lives with the classifiers (:func:`mudar.tasks.classify_cv.logistic_proba`); this module
  stays numpy only.

Classes are integers ``0..C-1``; a prediction of ``-1`` (nothing predicted) is never correct.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from mudar.errors import ParameterError

SCORES = ("accuracy", "file_accuracy", "balanced_accuracy")
"""What :func:`prediction_scores` returns."""


def _check(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(y_true)
    p = np.asarray(y_pred)
    if t.ndim != 1 or t.shape != p.shape:
        raise ParameterError(
            f"y_true and y_pred must be 1-D of one length, got {t.shape}, {p.shape}"
        )
    if t.size and not (np.issubdtype(t.dtype, np.integer) and np.issubdtype(p.dtype, np.integer)):
        raise ParameterError("classes must be integers")
    if t.size and t.min() < 0:
        raise ParameterError("y_true holds a negative class")
    return t.astype(np.int64), p.astype(np.int64)


def accuracy(y_true, y_pred) -> float:
    """Fraction of correct predictions.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (n,)

    Returns
    -------
    float
        In [0, 1]; NaN for n = 0.

    Raises
    ------
    ParameterError
        Shapes that differ, non-integer or negative true classes.
    """
    t, p = _check(y_true, y_pred)
    return float(np.mean(t == p)) if t.size else float("nan")


def confusion_matrix(y_true, y_pred, *, n_classes: int) -> np.ndarray:
    """Counts of (true, predicted) pairs.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (n,)
    n_classes : int
        C; classes must be below it.

    Returns
    -------
    np.ndarray, int64, shape (C, C)
        Row = true class, column = predicted class (predictions of -1 are not counted).

    Raises
    ------
    ParameterError
        As :func:`accuracy`, or a class >= ``n_classes``.
    """
    t, p = _check(y_true, y_pred)
    if t.size and max(t.max(), p.max()) >= n_classes:
        raise ParameterError(f"a class is >= n_classes={n_classes}")
    keep = p >= 0
    m = np.zeros((n_classes, n_classes), np.int64)
    np.add.at(m, (t[keep], p[keep]), 1)
    return m


def balanced_accuracy(y_true, y_pred) -> float:
    """Mean over the classes present in ``y_true`` of their recall.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (n,)
        True and predicted classes.

    Returns
    -------
    float
        In [0, 1]; unlike accuracy it does not reward predicting the majority class, which
        scores 1 / C. NaN for n = 0.

    Raises
    ------
    ParameterError
        As :func:`accuracy`.
    """
    t, p = _check(y_true, y_pred)
    if not t.size:
        return float("nan")
    return float(np.mean([np.mean(p[t == c] == c) for c in np.unique(t)]))


# --- from clips to files -------------------------------------------------------------------------


def file_means(clip_proba: np.ndarray, clip_file: np.ndarray, n_files: int) -> np.ndarray:
    """Mean of the clip probabilities of each file.

    Parameters
    ----------
    clip_proba : np.ndarray, shape (N, C)
    clip_file : np.ndarray, int, shape (N,)
        File index of each clip, < ``n_files``.
    n_files : int

    Returns
    -------
    np.ndarray, float32, shape (n_files, C)
        Zeros for a file without clips.
    """
    sums = np.zeros((n_files, clip_proba.shape[1]), np.float64)
    np.add.at(sums, clip_file, clip_proba)
    n = np.bincount(clip_file, minlength=n_files)[:, None]
    return (sums / np.maximum(n, 1)).astype(np.float32)


def prediction_scores(clip_y, clip_proba, clip_file) -> dict[str, float]:
    """Accuracy of the clips, of the files, and balanced accuracy of the clips.

    Parameters
    ----------
    clip_y : array-like of int, shape (N,)
        True class of each clip (a file's clips share it).
    clip_proba : np.ndarray, shape (N, C)
        Predicted probabilities; a clip's class is their argmax.
    clip_file : array-like of int, shape (N,)
        File of each clip; a file's class is the argmax of its clips' mean (:func:`file_means`).

    Returns
    -------
    dict
        :data:`SCORES`: ``accuracy`` and ``balanced_accuracy`` of the clips, ``file_accuracy``
        of the files that have clips.

    Raises
    ------
    ParameterError
        As :func:`accuracy`.
    """
    clip_y = np.asarray(clip_y)
    clip_pred = np.asarray(clip_proba).argmax(1)
    files, first, inverse = np.unique(clip_file, return_index=True, return_inverse=True)
    file_pred = file_means(clip_proba, inverse.reshape(-1), len(files)).argmax(1)
    return {
        "accuracy": accuracy(clip_y, clip_pred),
        "file_accuracy": accuracy(clip_y[first], file_pred),
        "balanced_accuracy": balanced_accuracy(clip_y, clip_pred),
    }


# --- grouped k-fold cross-validation ------------------------------------------------------------


def grouped_folds(file_labels: Sequence[str], *, k: int, seed: int = 0) -> np.ndarray:
    """Deal files to k test folds, stratified by label, one file never split.

    Each label's files are shuffled (seeded) and dealt round-robin, the deal carrying on from
    one label to the next so that folds get about equal numbers of files. A label with a single
    file cannot be both trained and tested: its file gets fold -1 (always trained on).

    Parameters
    ----------
    file_labels : sequence of str, length F
    k : int
        Number of folds, 2 <= k <= the number of files that can be tested.
    seed : int

    Returns
    -------
    np.ndarray, int64, shape (F,)
        The test fold of each file, or -1.

    Raises
    ------
    ParameterError
        ``k`` out of range.
    """
    labels = list(file_labels)
    rng = np.random.default_rng(seed)
    folds = np.full(len(labels), -1, np.int64)
    by_label: dict[str, list[int]] = {}
    for i, lab in enumerate(labels):
        by_label.setdefault(lab, []).append(i)
    testable = sum(len(v) for v in by_label.values() if len(v) >= 2)
    if not 2 <= k <= testable:
        raise ParameterError(
            f"folds must be in 2..{testable} (files of labels with >= 2 files), got {k}"
        )
    at = 0
    for lab in sorted(by_label, key=lambda s: (-len(by_label[s]), s)):
        members = by_label[lab]
        if len(members) < 2:
            continue
        for i in rng.permutation(members):
            folds[i] = at % k
            at += 1
    return folds


@dataclass
class MethodScores:
    """Out-of-fold results of one method.

    Attributes
    ----------
    clip_acc, file_acc : list of float
        Accuracy on each fold's test clips / files.
    clip_pred : np.ndarray, int64, shape (N,)
        Predicted class of each clip when it was tested (-1: never tested).
    file_pred : np.ndarray, int64, shape (F,)
    """

    clip_acc: list[float] = field(default_factory=list)
    file_acc: list[float] = field(default_factory=list)
    clip_pred: np.ndarray | None = None
    file_pred: np.ndarray | None = None

    @classmethod
    def untested(cls, n_clips: int, n_files: int) -> MethodScores:
        """No fold scored yet: every prediction -1."""
        return cls(clip_pred=np.full(n_clips, -1), file_pred=np.full(n_files, -1))

    def add_fold(
        self,
        proba: np.ndarray,
        *,
        test: np.ndarray,
        test_files: np.ndarray,
        clip_file: np.ndarray,
        clip_y: np.ndarray,
        file_y: np.ndarray,
    ) -> None:
        """Record one fold's predictions and accuracies.

        Parameters
        ----------
        proba : np.ndarray, shape (T, C)
            Probabilities of the ``T`` test clips, in clip order.
        test : np.ndarray, bool, shape (N,)
            The fold's test clips.
        test_files : np.ndarray, bool, shape (F,)
            The fold's test files (a file's class: :func:`file_means` of its test clips).
        clip_file : np.ndarray, int, shape (N,)
        clip_y, file_y : np.ndarray, int, shapes (N,) and (F,)
            True classes.
        """
        self.clip_pred[test] = proba.argmax(1)
        fp = file_means(proba, clip_file[test], len(self.file_pred))[test_files]
        self.file_pred[test_files] = fp.argmax(1)
        self.clip_acc.append(accuracy(clip_y[test], self.clip_pred[test]))
        self.file_acc.append(accuracy(file_y[test_files], self.file_pred[test_files]))


def out_of_fold(
    methods: Sequence[str],
    proba: Callable[[str, int, np.ndarray, np.ndarray], np.ndarray],
    *,
    fold_of: np.ndarray,
    folds: int,
    clip_file: np.ndarray,
    clip_y: np.ndarray,
    file_y: np.ndarray,
    on_fold: Callable[[int, str, MethodScores], None] | None = None,
) -> dict[str, MethodScores]:
    """Out-of-fold predictions of several methods, fold by fold, each method in turn.

    Fold ``k`` tests the clips of the files with ``fold_of == k`` and trains on every other
    clip (those of the files never tested included).

    Parameters
    ----------
    methods : sequence of str
    proba : callable
        ``proba(method, k, train, test)`` -> ``(test.sum(), C)`` probabilities of the test
        clips, ``train`` and ``test`` boolean masks of shape (N,).
    fold_of : np.ndarray, int, shape (F,)
        Test fold of each file, -1 for never (:func:`grouped_folds`).
    folds : int
        k.
    clip_file : np.ndarray, int, shape (N,)
    clip_y, file_y : np.ndarray, int, shapes (N,) and (F,)
        True classes.
    on_fold : callable, optional
        ``on_fold(k, method, scores)`` after each fold of each method (progress).

    Returns
    -------
    dict of str to MethodScores
    """
    fold_of = np.asarray(fold_of)
    clip_file = np.asarray(clip_file)
    scores = {m: MethodScores.untested(len(clip_file), len(fold_of)) for m in methods}
    for k in range(folds):
        test_files = fold_of == k
        test = test_files[clip_file]
        train = ~test
        for m in methods:
            s = scores[m]
            s.add_fold(
                proba(m, k, train, test),
                test=test,
                test_files=test_files,
                clip_file=clip_file,
                clip_y=clip_y,
                file_y=file_y,
            )
            if on_fold is not None:
                on_fold(k, m, s)
    return scores


# --- floors ------------------------------------------------------------------------------------


def majority_proba(train_y, n: int, *, n_classes: int) -> np.ndarray:
    """The majority-class floor: every clip gets the most frequent training class.

    Parameters
    ----------
    train_y : array-like of int, shape (M,)
        Classes of the training clips (of equal counts the lowest class wins).
    n : int
        Clips to answer for.
    n_classes : int

    Returns
    -------
    np.ndarray, float32, shape (n, n_classes)
        Probability 1 for that class, 0 for the others.
    """
    proba = np.zeros((n, n_classes), np.float32)
    proba[:, np.bincount(train_y, minlength=n_classes).argmax()] = 1.0
    return proba
