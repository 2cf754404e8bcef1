"""Scores of class predictions: accuracy, balanced accuracy (mean per-class recall), confusion.

Classes are integers ``0..C-1``; a prediction of ``-1`` (nothing predicted) is never correct.
"""

from __future__ import annotations

import numpy as np

from mudar.errors import ParameterError


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

    Unlike accuracy it does not reward predicting the majority class: that scores 1 / C.

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
        As :func:`accuracy`.
    """
    t, p = _check(y_true, y_pred)
    if not t.size:
        return float("nan")
    return float(np.mean([np.mean(p[t == c] == c) for c in np.unique(t)]))
