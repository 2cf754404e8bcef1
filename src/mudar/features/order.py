"""Medians and percentiles of small arrays, the same numbers as numpy's, without its overhead.

The motion energy takes a median and two percentiles per decoded frame pair (1,500 a minute of
video) and the HOOF a median per clock frame, each of about a thousand values, where
``np.median`` and ``np.percentile`` spend most of their time (30-80 us a call) in checks and
dispatch. These partition or sort and interpolate as numpy does, so that the results are bit for
bit numpy's (``tests/features/test_order.py``), but do not check for NaN (numpy's median returns
NaN where there is one; these, some value): they are for finite data. ``np.median`` and
``np.unique`` also import ``numpy.ma`` at their first call (10-30 ms of a command's start); a
learning-free ``mudar rhythm`` calls neither.
"""

from __future__ import annotations

import numpy as np

__all__ = ["median", "median_columns", "percentiles", "unique"]


def median(v: np.ndarray) -> np.generic:
    """``np.median(v)`` of a 1-D array of finite values, as a scalar of its dtype (float64 for
    integers, as numpy)."""
    n = len(v)
    if n == 0:
        raise ValueError("median of an empty array")
    half = n // 2
    if n % 2:
        part = np.partition(v, half)
        return part[half : half + 1].mean()  # numpy's own step: a mean of the middle one
    part = np.partition(v, (half - 1, half))
    return part[half - 1 : half + 1].mean()


def median_columns(a: np.ndarray) -> np.ndarray:
    """``np.median(a, axis=0)`` of a 2-D float array of finite values, shape ``(a.shape[1],)``."""
    n = a.shape[0]
    if n == 0:
        raise ValueError("median of an empty array")
    half = n // 2
    out = np.empty(a.shape[1], a.dtype)
    for j in range(a.shape[1]):
        c = a[:, j].copy()  # partitioned in place
        if n % 2:
            c.partition(half)
            out[j] = c[half]
        else:
            c.partition((half - 1, half))
            out[j] = (c[half - 1] + c[half]) / 2  # numpy's mean of the two, in their dtype
    return out


def percentiles(v: np.ndarray, q: tuple[float, ...]) -> tuple[float, ...]:
    """``np.percentile(v, q)`` (its default, linear interpolation) of finite values, as floats.

    Parameters
    ----------
    v : np.ndarray
        Any shape; all of its values.
    q : tuple of float
        Percentiles in [0, 100].
    """
    s = np.sort(v, axis=None)
    n = len(s)
    if n == 0:
        raise ValueError("percentiles of an empty array")
    out = []
    for p in q:
        pos = (n - 1) * (p / 100)  # numpy's virtual index for "linear"
        i = int(pos)
        j = min(i + 1, n - 1)
        a, b, t = float(s[i]), float(s[j]), pos - i
        # numpy's lerp: from the nearer end
        out.append(b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t)
    return tuple(out)


def unique(v: np.ndarray) -> np.ndarray:
    """``np.unique(v)`` of a 1-D array: its distinct values, sorted (without the first call's
    import of ``numpy.ma``)."""
    s = np.sort(v)
    if len(s) < 2:
        return s
    keep = np.empty(len(s), bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]
