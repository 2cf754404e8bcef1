"""The time warp of a beat-locked dance (:mod:`mudar.synthetic.locked`, steps 4 and 5): a smooth
monotone map from output time to source motion time through matched (output, source) pairs,
whose slope (the dancer's speed, times their own) stays within a range, and the joints
resampled along it."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.interpolate import CubicSpline

from mudar.errors import ParameterError
from mudar.methods import SPEED_RANGE  # the warp's default slope limits, a CLI choice


@dataclass
class TimeWarp:
    """A smooth monotone map from output time to source motion time, flat-curved at its knots.

    Between knots ``k`` and ``k + 1`` (length ``L``, secant slope ``m``) the slope is

        ``s'(u) = d_k (1 - S(u)) + d_{k+1} S(u) + beta B(u)``,  ``u = (tau - tau_k) / L``,

    with ``S(u) = 3u^2 - 2u^3`` (from one knot slope to the next), ``B(u) = 30 u^2 (1 - u)^2``
    (a bump of integral 1) and ``beta = m - (d_k + d_{k+1}) / 2``, so that the segment ends on
    its knot. ``s`` is a quintic per segment, continuous with its slope, and its curvature
    ``s''`` is 0 at every knot. That matters here: the speed of the warped motion is the
    source speed times ``s'``, so where ``s''`` is 0 a minimum of the source speed (an accent)
    stays a minimum at the same instant; with a cubic (PCHIP) it would drift by
    ``v s'' / (v'' s'^3)``, a frame or more at the shallow minima of ballroom motion.
    The knot slopes ``d_k`` are PCHIP's (Fritsch-Carlson: a weighted harmonic mean of the
    adjacent secants, so between them), the end ones the end secants.

    Attributes
    ----------
    knots : np.ndarray, float64, shape (k, 2)
        ``(tau, s)`` pairs, both strictly increasing, seconds.
    slopes : np.ndarray, float64, shape (k,)
        ``ds/dtau`` at the knots (computed when not given).
    """

    knots: np.ndarray
    slopes: np.ndarray | None = None

    def __post_init__(self) -> None:
        k = np.asarray(self.knots, dtype=np.float64)
        if k.ndim != 2 or k.shape[1] != 2 or len(k) < 2:
            raise ParameterError(f"knots must have shape (k >= 2, 2), got {k.shape}")
        if np.any(np.diff(k[:, 0]) <= 0) or np.any(np.diff(k[:, 1]) <= 0):
            raise ParameterError("knots must increase in both tau and s")
        self.knots = k
        h = np.diff(k[:, 0])
        m = np.diff(k[:, 1]) / h
        if self.slopes is None:
            d = np.empty(len(k))
            d[0], d[-1] = m[0], m[-1]
            w1, w2 = 2 * h[1:] + h[:-1], h[1:] + 2 * h[:-1]
            d[1:-1] = (w1 + w2) / (w1 / m[:-1] + w2 / m[1:])
            self.slopes = d
        self.slopes = np.asarray(self.slopes, dtype=np.float64)
        if self.slopes.shape != (len(k),) or not np.all(self.slopes > 0):
            raise ParameterError(f"slopes must be {len(k)} positive numbers, one per knot")
        self._h, self._m = h, m

    def _segment(self, tau: np.ndarray):
        t = self.knots[:, 0]
        i = np.clip(np.searchsorted(t, tau, side="right") - 1, 0, len(t) - 2)
        u = np.clip((tau - t[i]) / self._h[i], 0.0, 1.0)
        d0, d1 = self.slopes[i], self.slopes[i + 1]
        beta = self._m[i] - (d0 + d1) / 2
        return i, u, d0, d1, beta

    def __call__(self, tau) -> np.ndarray:
        """Source time ``s(tau)``, seconds (linear beyond the knots, at the end slopes)."""
        tau = np.asarray(tau, dtype=np.float64)
        i, u, d0, d1, beta = self._segment(tau)
        int_s = u**3 - u**4 / 2
        int_b = 10 * u**3 - 15 * u**4 + 6 * u**5
        inside = self.knots[i, 1] + self._h[i] * (d0 * u + (d1 - d0) * int_s + beta * int_b)
        t0, t1 = self.knots[0, 0], self.knots[-1, 0]
        before = self.knots[0, 1] + self.slopes[0] * (tau - t0)
        after = self.knots[-1, 1] + self.slopes[-1] * (tau - t1)
        return np.where(tau < t0, before, np.where(tau > t1, after, inside))

    def slope(self, tau) -> np.ndarray:
        """``ds/dtau``: the dancer's speed relative to their own."""
        tau = np.asarray(tau, dtype=np.float64)
        _, u, d0, d1, beta = self._segment(tau)
        return d0 + (d1 - d0) * (3 * u**2 - 2 * u**3) + beta * 30 * u**2 * (1 - u) ** 2

    def inverse(self, s) -> np.ndarray:
        """Output time of source time ``s`` (monotone, by interpolation on a fine grid)."""
        tau = self._grid()
        return np.interp(np.asarray(s, dtype=np.float64), self(tau), tau)

    def slope_range(
        self, tau0: float | None = None, tau1: float | None = None
    ) -> tuple[float, float]:
        """(min, max) of the slope over ``[tau0, tau1]`` (default: the knots' span)."""
        g = self._grid(tau0, tau1)
        d = self.slope(g)
        return float(d.min()), float(d.max())

    def _grid(self, tau0: float | None = None, tau1: float | None = None) -> np.ndarray:
        t0 = self.knots[0, 0] if tau0 is None else tau0
        t1 = self.knots[-1, 0] if tau1 is None else tau1
        n = max(2, int(math.ceil((t1 - t0) / 0.005)) + 1)
        return np.unique(np.concatenate([np.linspace(t0, t1, n), self.knots[:, 0]]))


def fit_warp(
    accents_s,
    targets_s,
    *,
    source_end_s: float,
    speed_range: tuple[float, float] = SPEED_RANGE,
) -> tuple[TimeWarp, np.ndarray]:
    """A smooth monotone warp through matched (target, accent) pairs, its slope within range.

    The pairs become knots ``(tau = target, s = accent)``; a head knot at ``tau = 0`` and a tail
    knot where ``s`` reaches ``source_end_s`` continue the first and last segments' slopes. The
    :class:`TimeWarp` through the knots has at each knot a slope between those of the adjacent
    segments; within a segment it may overshoot, so wherever the slope leaves
    ``speed_range`` the inner knot at the larger change of slope is dropped and the curve
    refitted, until the slope is within range everywhere (dropped pairs are no longer matched).

    Parameters
    ----------
    accents_s, targets_s : array-like, shape (p,)
        Matched pairs: accent times (source clock) and target times (output clock), seconds,
        both strictly increasing, each segment's slope within ``speed_range``
        (:func:`match_accents` gives such pairs); may be empty (the identity warp).
    source_end_s : float
        The last source time, seconds (``(T - 1) / fps``).
    speed_range : (float, float)

    Returns
    -------
    warp : TimeWarp
    kept : np.ndarray, bool, shape (p,)
        Which pairs are knots of the warp.

    Raises
    ------
    ParameterError
        Pairs not increasing, a segment outside the range, or a pair past ``source_end_s``.
    """
    lo, hi = check_speed_range(speed_range)
    a = np.asarray(accents_s, dtype=np.float64).reshape(-1)
    b = np.asarray(targets_s, dtype=np.float64).reshape(-1)
    if a.shape != b.shape:
        raise ParameterError(f"{len(a)} accents but {len(b)} targets")
    if len(a) and (np.any(np.diff(a) <= 0) or np.any(np.diff(b) <= 0) or b[0] < 0):
        raise ParameterError("matched pairs must increase strictly, targets from 0")
    if len(a) and (a[-1] > source_end_s or a[0] < 0):
        raise ParameterError("matched accents must lie within the source")
    if len(a) > 1:
        m = np.diff(a) / np.diff(b)
        if np.any(m < lo - 1e-6) or np.any(m > hi + 1e-6):
            raise ParameterError("a matched segment's slope is outside the speed range")
    kept = np.ones(len(a), bool)
    while True:
        knots, first = _knots(a[kept], b[kept], source_end_s, lo, hi)
        warp = TimeWarp(knots)
        bad = _bad_segments(warp, lo, hi)
        if not len(bad):
            return warp, kept
        # drop a pair knot of the first bad segment: the one where the slope changes most
        # (knots first .. first + n_kept - 1 are the pairs; the others are the head and tail)
        n_kept = int(kept.sum())
        inner = [k for k in (bad[0], bad[0] + 1) if first <= k < first + n_kept]
        if not inner:
            raise AssertionError("a segment without a matched pair left the speed range")
        knot = max(inner, key=lambda k: _slope_change(knots, k))
        kept[np.flatnonzero(kept)[knot - first]] = False


def _knots(
    a: np.ndarray, b: np.ndarray, end: float, lo: float, hi: float
) -> tuple[np.ndarray, int]:
    """Head knot, the pairs, tail knot; and the index of the first pair's knot."""
    if len(a) == 0:
        return np.array([[0.0, 0.0], [end, end]]), 0
    first = (a[1] - a[0]) / (b[1] - b[0]) if len(a) > 1 else 1.0
    last = (a[-1] - a[-2]) / (b[-1] - b[-2]) if len(a) > 1 else 1.0
    rows = []
    if b[0] > 1e-6:
        # s(0) = a0 - c b0 >= 0 needs c <= a0 / b0 (>= lo, as matched)
        c = float(np.clip(first, lo, max(lo, min(hi, a[0] / b[0]))))
        rows.append((0.0, max(0.0, a[0] - c * b[0])))
    offset = len(rows)
    rows.extend(zip(b, a, strict=True))
    if end - a[-1] > 1e-6:
        c = float(np.clip(last, lo, hi))
        rows.append((b[-1] + (end - a[-1]) / c, end))
    if len(rows) < 2:  # a single pair at tau = 0 at the source's end: nothing to warp
        rows.append((b[0] + 1.0, a[0] + 1.0))
    k = np.array(rows, dtype=np.float64)
    if np.any(np.diff(k[:, 1]) <= 0):  # s(0) = a0 = 0 with a head knot: drop the head
        k, offset = k[1:], 0
    return k, offset


def _bad_segments(warp: TimeWarp, lo: float, hi: float) -> np.ndarray:
    tau = warp.knots[:, 0]
    g = warp._grid()
    d = warp.slope(g)
    bad_at = g[(d < lo - 1e-6) | (d > hi + 1e-6)]
    if not len(bad_at):
        return np.zeros(0, np.int64)
    seg = np.clip(np.searchsorted(tau, bad_at, side="right") - 1, 0, len(tau) - 2)
    return np.unique(seg)


def _slope_change(knots: np.ndarray, k: int) -> float:
    sec = np.diff(knots[:, 1]) / np.diff(knots[:, 0])
    left = sec[k - 1] if k > 0 else sec[k]
    right = sec[k] if k < len(sec) else sec[k - 1]
    return abs(math.log(right / left))


def resample_joints(joints: np.ndarray, *, fps: float, warp: TimeWarp, n_frames: int) -> np.ndarray:
    """Joints at source times ``s(k / fps)``, ``k < n_frames``, by a cubic spline per coordinate.

    Parameters
    ----------
    joints : np.ndarray, shape (T, J, 3)
        Source motion at ``fps``.
    fps : float
        Frame rate of the source and of the output.
    warp : TimeWarp
    n_frames : int

    Returns
    -------
    np.ndarray, float32, shape (n_frames, J, 3)
    """
    j = np.asarray(joints, dtype=np.float64)
    t = np.arange(len(j)) / fps
    s = np.clip(warp(np.arange(n_frames) / fps), 0.0, t[-1])
    return CubicSpline(t, j, axis=0)(s).astype(np.float32)


def check_speed_range(speed_range) -> tuple[float, float]:
    """``(lo, hi)`` as floats, checked: ``0 < lo <= 1 <= hi``.

    Raises
    ------
    ParameterError
        Not a pair, or out of order.
    """
    try:
        lo, hi = (float(v) for v in speed_range)
    except (TypeError, ValueError):
        raise ParameterError(f"speed_range must be (lo, hi), got {speed_range!r}") from None
    if not (0 < lo <= 1 <= hi and np.isfinite(hi)):
        raise ParameterError(f"speed_range must satisfy 0 < lo <= 1 <= hi, got {speed_range}")
    return lo, hi
