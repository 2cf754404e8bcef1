"""Shrinking a gray picture by area averaging, as OpenCV's ``INTER_AREA`` does, faster where
the ratio of the sides is a small fraction.

OpenCV averages areas fast for whole factors only; for a factor such as 2.5 (320 -> 128 px,
the motion energy's picture of a 320 px video, every decoded frame) its general path costs
more than the rest of the energy's work. A side of ``p * m`` pixels shrunk to ``q * m`` is ``m``
blocks of ``p`` pixels, each averaged into ``q`` with one small ``(p, q)`` matrix of overlaps,
so the picture is two matrix products. The result equals ``cv2.resize(..., INTER_AREA)`` pixel
for pixel (``tests/io/test_resize.py``): where ``p`` is odd an average never falls half-way
between two grey levels, so the rounding cannot differ.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from math import gcd

import numpy as np

__all__ = ["shrink_area"]

MAX_BLOCK = 15
"""Largest block ``p`` (source pixels per block) the matrix products are used for."""


def shrink_area(img: np.ndarray, width: int, height: int) -> np.ndarray:
    """``img`` shrunk to ``width`` x ``height`` by area averaging (``cv2.INTER_AREA``).

    Parameters
    ----------
    img : np.ndarray, uint8, shape (H, W)
        A gray picture (a view with strided rows is fine).
    width, height : int
        The new size, at most the old.

    Returns
    -------
    np.ndarray, uint8, shape (height, width)
    """
    import cv2

    h, w = img.shape
    bx, by = _block(w, width), _block(h, height)
    if bx is None or by is None or (bx[1] == 1 and by[1] == 1):
        # whole factors have OpenCV's own fast path; other ratios its general one
        return cv2.resize(img, (width, height), interpolation=cv2.INTER_AREA)
    (px, qx), (py, qy) = bx, by
    f = img.astype(np.float32)
    f = (f.reshape(-1, px) @ _overlaps(px, qx)).reshape(h, width)  # one 2-D product: faster
    f = (_overlaps(py, qy).T @ f.reshape(h // py, py, width)).reshape(height, width)
    return np.rint(f).astype(np.uint8)


def _block(src: int, dst: int) -> tuple[int, int] | None:
    """(p, q): ``src`` is blocks of ``p`` pixels shrunk to ``q``; None where not worth it or
    where an average could fall half-way between grey levels (``p`` even)."""
    if dst <= 0 or dst > src:
        return None
    g = gcd(src, dst)
    p, q = src // g, dst // g
    return (p, q) if p % 2 == 1 and p <= MAX_BLOCK else None


@lru_cache(maxsize=32)
def _overlaps(p: int, q: int) -> np.ndarray:
    """(p, q) float32: the share of output pixel j's area that source pixel i covers."""
    w = np.zeros((p, q), np.float32)
    for j in range(q):
        lo, hi = Fraction(j * p, q), Fraction((j + 1) * p, q)
        for i in range(p):
            w[i, j] = float(max(Fraction(0), min(hi, i + 1) - max(lo, Fraction(i))) * q / p)
    return w
