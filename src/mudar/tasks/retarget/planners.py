"""The retargeting planners (paper sec. 4.4), one entry each in :data:`PLANNERS`.

A planner makes the time map of one method from the rhythm points of V and A: for each output
frame time ``t_j = j / fps`` over A's duration, the time ``s(t_j)`` of V shown then (seconds on
V's looped timeline, see :mod:`mudar.tasks.retarget`), and the notes of the fallbacks it took.

- ``shift`` (:func:`shift_map`): V played at 1x from the window of A's length whose number of
  dance rhythm points is closest to A's number of music rhythm points, its first dance rhythm
  point on A's first music rhythm point.
- ``accel`` (:func:`accel_map`): from that window, the k-th dance rhythm interval ``I_k^v`` is
  played at the speed that makes it last the k-th music interval ``I_k^a``, within the speed
  bounds.
- ``dtw`` (:func:`dtw_map`): dynamic time warping (Eq. 22-23, :func:`librosa.sequence.dtw`)
  between the two rhythm sequences, as pulse trains on a common grid, with steps whose slopes
  are the allowed speeds: a monotone map with bounded local speed.
- ``dtw-points`` (:func:`dtw_points_map`): Eq. 22-23 as written, a DTW over the rhythm points
  themselves, ``d(i, j) = |P_i^a - P_j^v|``, steps (1, 1), (1, 0), (0, 1); the matched pairs,
  made one-to-one, are the knots of the map.

A new method is one entry of :data:`PLANNERS` (and its name in :data:`mudar.methods.RETARGET`,
which the command line and the web page offer).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mudar.errors import ParameterError
from mudar.eval.bas import DEFAULT_SIGMA_S, mean_offset
from mudar.tasks.retarget.timemap import (
    _check_positive,
    _check_speeds,
    _grid,
    _loop,
    _rhythm,
)

__all__ = [
    "PLANNERS",
    "Planner",
    "accel_map",
    "dtw_map",
    "dtw_points_map",
    "rhythm_point_dtw",
    "shift_map",
]

DTW_MAX_STEP = 4
"""Largest step (in grid cells) of the DTW: speeds ``b / a`` with ``1 <= a, b <= 4``."""


def shift_map(
    dance_times,
    music_times,
    *,
    dance_duration_s: float,
    music_duration_s: float,
    fps: float,
) -> tuple[np.ndarray, list[str]]:
    """Time map of the ``shift`` method: V at 1x from the best-matching window.

    The window has A's length. Candidate starts put a dance rhythm point on A's first music
    rhythm point (and V's start is always a candidate); the window is the one whose number of
    dance rhythm points is closest to A's number of music rhythm points, ties broken by the
    smaller mean offset (:func:`mean_offset`), then the earlier start. A window never runs past
    V's end when V is at least as long as A; a shorter V is looped and any start within its
    first pass is allowed.

    Parameters
    ----------
    dance_times : array-like, shape (k,)
        Dance rhythm points of V, seconds.
    music_times : array-like, shape (m,)
        Music rhythm points of A, seconds.
    dance_duration_s, music_duration_s : float
        Lengths of V and A, seconds.
    fps : float
        Output frame rate.

    Returns
    -------
    source_times : np.ndarray, float64, shape (max(1, round(music_duration_s * fps)),)
        Source time of each output frame, seconds on V's looped timeline: ``t_j + offset``.
        Identity (offset 0) when either side has no rhythm points.
    notes : list of str
        Why the identity was taken; empty otherwise.

    Raises
    ------
    ParameterError
    """
    _check_positive(fps=fps, dance_duration_s=dance_duration_s, music_duration_s=music_duration_s)
    d = _rhythm(dance_times, "dance_times", dance_duration_s)
    m = _rhythm(music_times, "music_times", music_duration_s)
    t = _grid(music_duration_s, fps)
    offset, notes = _shift_offset(d, m, dance_duration_s, music_duration_s)
    return t + offset, notes


def _shift_offset(d: np.ndarray, m: np.ndarray, T_v: float, T_a: float) -> tuple[float, list[str]]:
    """Start of the window of A's length in (looped) V that ``shift`` picks, seconds."""
    if len(d) == 0:
        return 0.0, ["no dance rhythm points: V is played from its start at 1x"]
    if len(m) == 0:
        return 0.0, ["no music rhythm points: V is played from its start at 1x"]
    if T_v >= T_a:
        top = T_v - T_a  # the window stays inside V
        ext = d
    else:
        top = T_v - 1e-9  # any start in V's first pass; V loops
        ext = _loop(d, T_v, T_v + T_a)
    candidates = {0.0}
    candidates.update(float(e - m[0]) for e in ext if 0 <= e - m[0] <= top)
    best = None
    for o in sorted(candidates):
        inside = ext[(ext >= o - 1e-9) & (ext < o + T_a)] - o
        gap = abs(len(inside) - len(m))
        off = mean_offset(inside, m) if len(inside) else math.inf
        key = (gap, off, o)
        if best is None or key < best:
            best = key
    return best[2], []


def accel_map(
    dance_times,
    music_times,
    *,
    dance_duration_s: float,
    music_duration_s: float,
    fps: float,
    min_speed: float = 0.5,
    max_speed: float = 2.0,
) -> tuple[np.ndarray, list[str]]:
    """Time map of the ``accel`` method: each dance interval stretched onto a music interval.

    Starting from the window :func:`shift_map` picks, the k-th dance rhythm point of the
    window is paired with the k-th music rhythm point, and the interval between consecutive
    pairs is played at the constant speed ``I_k^v / I_k^a`` that makes it last exactly the
    music interval (frames dropped above 1x, repeated or blended below). A speed outside
    ``[min_speed, max_speed]`` is clipped, and the next interval aims at its dance point from
    wherever the clipped one ended, so one outlier does not shift the rest. After the last pair
    V plays at 1x.

    Parameters
    ----------
    dance_times, music_times : array-like, shape (k,), (m,)
        Rhythm points of V and of A, seconds.
    dance_duration_s, music_duration_s : float
        Lengths of V and A, seconds.
    fps : float
        Output frame rate.
    min_speed, max_speed : float
        Speed bounds, ``0 < min_speed <= 1 <= max_speed``.

    Returns
    -------
    source_times : np.ndarray, float64, shape (max(1, round(music_duration_s * fps)),)
        Source time of each output frame, seconds on V's looped timeline. With fewer than two
        rhythm points on a side: the ``shift`` map.
    notes : list of str
        The fallback taken, if any.

    Raises
    ------
    ParameterError
    """
    _check_speeds(min_speed, max_speed)
    shift, notes = shift_map(
        dance_times,
        music_times,
        dance_duration_s=dance_duration_s,
        music_duration_s=music_duration_s,
        fps=fps,
    )
    d = _rhythm(dance_times, "dance_times", dance_duration_s)
    m = _rhythm(music_times, "music_times", music_duration_s)
    if notes:
        return shift, notes
    if len(d) < 2 or len(m) < 2:
        return shift, ["fewer than two rhythm points on a side: accel falls back to shift"]
    offset = float(shift[0])
    ext = _loop(d, dance_duration_s, offset + max_speed * music_duration_s + dance_duration_s)
    ext = ext[ext >= offset - 1e-9]
    n = min(len(ext), len(m))
    t = _grid(music_duration_s, fps)
    kt, ks = _chase(0.0, offset, m[:n], ext[:n], t[-1], min_speed, max_speed)
    return np.interp(t, kt, ks), []


def dtw_map(
    dance_times,
    music_times,
    *,
    dance_duration_s: float,
    music_duration_s: float,
    fps: float,
    min_speed: float = 0.5,
    max_speed: float = 2.0,
    width_s: float = DEFAULT_SIGMA_S,
    rate_hz: float = 25.0,
    max_cells: int = 4_000_000,
    speed_penalty: float = 0.5,
    smooth_s: float = 0.2,
) -> tuple[np.ndarray, list[str]]:
    """Time map of the ``dtw`` method: dynamic time warping of the rhythm sequences.

    Both rhythms become pulse trains on a grid of ``rate_hz``: ``x_i`` for A (rows), ``y_j``
    for V (columns; looped when V is shorter than A, to ``max_speed`` times A's length), each a
    Gaussian of width ``width_s`` at every rhythm point (the maximum where two overlap). The
    local cost is ``|x_i - y_j|`` and the accumulated cost (Eq. 22-23)

        ``D(i, j) = min_(a, b) D(i - a, j - b) + a * C(i, j) + a * lambda * log(b / a)^2``

    runs over the steps ``(a, b)``, ``1 <= a, b <= 4`` coprime, whose slope ``b / a`` lies in
    ``[min_speed, max_speed]`` (:func:`librosa.sequence.dtw`, subsequence mode: the path may
    start and end anywhere in V). The factor ``a`` counts every output time once whatever the
    step; ``lambda`` (``speed_penalty``) makes 1x the choice where the rhythms say nothing, and,
    being convex in the log-speed, prefers an even speed to bursts of fast and slow steps. The
    warping path, read as (output time, source time) pairs and joined linearly and lightly
    smoothed, is the map; its slope is always an allowed speed.

    Parameters
    ----------
    dance_times, music_times : array-like, shape (k,), (m,)
        Rhythm points of V and of A, seconds.
    dance_duration_s, music_duration_s : float
        Lengths of V and A, seconds.
    fps : float
        Output frame rate.
    min_speed, max_speed : float
        Speed bounds, ``0 < min_speed <= 1 <= max_speed``.
    width_s : float
        Pulse width, seconds (default: the BAS sigma).
    rate_hz : float
        Grid rate of the DTW, Hz; lowered when the cost matrix would exceed ``max_cells``
        (about 100 s of music against 160 s of dance at 25 Hz; memory is ~20 bytes a cell).
    max_cells : int
        Largest cost matrix, cells.
    speed_penalty : float
        ``lambda`` above: cost per grid row of a squared log-speed of 1, in units of pulse
        mismatch.
    smooth_s : float
        The map is averaged over this many seconds (0: not at all). The path alternates
        between step slopes from cell to cell, a one-frame judder; averaging a map averages its
        slopes, so it stays monotone and within the speed bounds.

    Returns
    -------
    source_times : np.ndarray, float64, shape (max(1, round(music_duration_s * fps)),)
        Source time of each output frame, seconds on V's looped timeline. With no rhythm points
        on a side: the ``shift`` map.
    notes : list of str
        The fallback taken, if any.

    Raises
    ------
    ParameterError
    """
    _check_speeds(min_speed, max_speed)
    _check_positive(width_s=width_s, rate_hz=rate_hz, max_cells=max_cells)
    for name, v in (("speed_penalty", speed_penalty), ("smooth_s", smooth_s)):
        if not (np.isfinite(v) and v >= 0):
            raise ParameterError(f"{name} must be >= 0, got {v}")
    shift, notes = shift_map(
        dance_times,
        music_times,
        dance_duration_s=dance_duration_s,
        music_duration_s=music_duration_s,
        fps=fps,
    )
    if notes:
        return shift, [f"{notes[0]} (dtw has nothing to align)"]
    T_v, T_a = float(dance_duration_s), float(music_duration_s)
    d = _rhythm(dance_times, "dance_times", T_v)
    m = _rhythm(music_times, "music_times", T_a)
    # V's timeline for the search: looped when V is shorter than A, far enough for max speed
    span = T_v if T_v >= T_a else T_v * math.ceil(max_speed * T_a / T_v)
    rate = min(float(rate_hz), math.sqrt(max_cells / (T_a * span)))  # cells ~ T_a*span*rate^2
    n_a = int(math.floor(T_a * rate)) + 1
    n_v = int(math.floor(span * rate)) + 1
    x = _pulses(m, n_a, rate, width_s)
    y = _pulses(_loop(d, T_v, span), n_v, rate, width_s)
    cost = np.abs(x[:, None] - y[None, :])
    steps = _dtw_steps(min_speed, max_speed)
    a = steps[:, 0].astype(np.float64)
    log_speed2 = np.log(steps[:, 1] / steps[:, 0]) ** 2
    import librosa.sequence

    _, path = librosa.sequence.dtw(
        C=cost,
        step_sizes_sigma=steps,
        weights_mul=a,
        weights_add=speed_penalty * a * log_speed2,
        subseq=True,
        backtrack=True,
    )
    path = np.asarray(path)[::-1]  # librosa gives it end first
    kt, ks = path[:, 0] / rate, path[:, 1] / rate
    t = _grid(T_a, fps)
    # the path's own slopes are allowed speeds: chasing its points reproduces it exactly
    kt, ks = _chase(kt[0], ks[0], kt[1:], ks[1:], t[-1], min_speed, max_speed)
    if kt[0] > 0:  # the path starts at row 0, so this is only a guard
        kt, ks = np.r_[0.0, kt], np.r_[max(0.0, ks[0] - kt[0]), ks]
    return _smooth_map(np.interp(t, kt, ks), fps=fps, smooth_s=smooth_s), []


def dtw_points_map(
    dance_times,
    music_times,
    *,
    dance_duration_s: float,
    music_duration_s: float,
    fps: float,
    min_speed: float = 0.5,
    max_speed: float = 2.0,
) -> tuple[np.ndarray, list[str]]:
    """Time map of the ``dtw-points`` method: Eq. 22-23 as written, DTW over rhythm points.

    The music rhythm points ``P_i^a`` (rows) and the dance rhythm points ``P_j^v`` (columns;
    V looped when shorter than A, to A's length), each in seconds from its own start, are
    aligned by the classic DTW

        ``c(i, j) = d(i, j) + min(c(i-1, j-1), c(i-1, j), c(i, j-1))``,
        ``d(i, j) = |P_i^a - P_j^v|``,

    from ``(0, 0)`` to the last pair of points. The warping path may pair one point with
    several; its pairs where both indices grow (the first of each run) become the knots
    ``(P_i^a, P_j^v)`` of a piecewise-linear map, which starts at ``P_0^v - P_0^a`` (or V's
    start) and keeps its speed in ``[min_speed, max_speed]`` (a knot out of reach is aimed at
    and missed, as in ``accel``). After the last knot V plays at 1x.

    Parameters
    ----------
    dance_times, music_times : array-like, shape (k,), (m,)
        Rhythm points of V and of A, seconds.
    dance_duration_s, music_duration_s : float
        Lengths of V and A, seconds.
    fps : float
        Output frame rate.
    min_speed, max_speed : float
        Speed bounds, ``0 < min_speed <= 1 <= max_speed``.

    Returns
    -------
    source_times : np.ndarray, float64, shape (max(1, round(music_duration_s * fps)),)
        Source time of each output frame, seconds on V's looped timeline. With no rhythm points
        on a side: the ``shift`` map.
    notes : list of str
        The fallback taken, if any.

    Raises
    ------
    ParameterError
    """
    _check_speeds(min_speed, max_speed)
    shift, notes = shift_map(
        dance_times,
        music_times,
        dance_duration_s=dance_duration_s,
        music_duration_s=music_duration_s,
        fps=fps,
    )
    if notes:
        return shift, [f"{notes[0]} (dtw-points has nothing to align)"]
    T_v, T_a = float(dance_duration_s), float(music_duration_s)
    d = _loop(_rhythm(dance_times, "dance_times", T_v), T_v, max(T_v, T_a))
    m = _rhythm(music_times, "music_times", T_a)
    path, _ = rhythm_point_dtw(m, d)
    keep, last_i, last_j = [], -1, -1
    for i, j in path:  # one-to-one: the first pair of each run
        if i > last_i and j > last_j:
            keep.append((i, j))
            last_i, last_j = i, j
    ki = np.array([p[0] for p in keep])
    kj = np.array([p[1] for p in keep])
    t = _grid(T_a, fps)
    s0 = max(0.0, float(d[kj[0]] - m[ki[0]]))
    kt, ks = _chase(0.0, s0, m[ki], d[kj], t[-1], min_speed, max_speed)
    return np.interp(t, kt, ks), []


def rhythm_point_dtw(p_a: np.ndarray, p_v: np.ndarray) -> tuple[np.ndarray, float]:
    """The warping path and cost of Eq. 22-23 between two sequences of rhythm points.

    Parameters
    ----------
    p_a, p_v : np.ndarray, shape (n,), (k,)
        Rhythm point positions, seconds, ``n, k >= 1``.

    Returns
    -------
    path : np.ndarray, int, shape (L, 2)
        ``(i, j)`` pairs from ``(0, 0)`` to ``(n - 1, k - 1)``, each step one of (1, 1),
        (1, 0), (0, 1).
    cost : float
        ``c(n - 1, k - 1)``, seconds.
    """
    p_a = np.asarray(p_a, dtype=np.float64)
    p_v = np.asarray(p_v, dtype=np.float64)
    n, k = len(p_a), len(p_v)
    if n < 1 or k < 1:
        raise ParameterError(f"need at least one rhythm point on each side, got {n} and {k}")
    d = np.abs(p_a[:, None] - p_v[None, :])  # Eq. 23
    c = np.full((n + 1, k + 1), np.inf)
    c[0, 0] = 0.0
    for i in range(1, n + 1):  # Eq. 22
        for j in range(1, k + 1):
            c[i, j] = d[i - 1, j - 1] + min(c[i - 1, j - 1], c[i - 1, j], c[i, j - 1])
    i, j, path = n, k, [(n - 1, k - 1)]
    while (i, j) != (1, 1):
        moves = ((c[i - 1, j - 1], i - 1, j - 1), (c[i - 1, j], i - 1, j), (c[i, j - 1], i, j - 1))
        _, i, j = min(moves, key=lambda x: x[0])
        path.append((i - 1, j - 1))
    return np.array(path[::-1], dtype=int), float(c[n, k])


# --- the map makers' tools -------------------------------------------------------------------


def _smooth_map(s: np.ndarray, *, fps: float, smooth_s: float) -> np.ndarray:
    """Moving average of a time map over ``smooth_s`` seconds.

    The DTW path alternates between its step slopes from one grid cell to the next (1x, 4/3x,
    1x, ...), a one-frame judder. Averaging the map averages its slopes, so the speed stays
    within the bounds and the map stays monotone; the ends are extended at their own speed.
    """
    half = int(round(smooth_s * fps / 2))
    if half < 1 or len(s) < 3:
        return s
    left = s[0] - (s[1] - s[0]) * np.arange(half, 0, -1)
    right = s[-1] + (s[-1] - s[-2]) * np.arange(1, half + 1)
    padded = np.concatenate([left, s, right])
    out = np.convolve(padded, np.full(2 * half + 1, 1.0 / (2 * half + 1)), mode="valid")
    return out - min(0.0, float(out[0]))  # never before V's start


def _dtw_steps(min_speed: float, max_speed: float) -> np.ndarray:
    """DTW steps ``(a, b)`` (a output cells, b source cells) with ``b / a`` in the bounds."""
    out = [
        (a, b)
        for a in range(1, DTW_MAX_STEP + 1)
        for b in range(1, DTW_MAX_STEP + 1)
        if math.gcd(a, b) == 1 and min_speed - 1e-9 <= b / a <= max_speed + 1e-9
    ]
    return np.array(out, dtype=np.uint32)


def _chase(
    t0: float,
    s0: float,
    anchor_t: np.ndarray,
    anchor_s: np.ndarray,
    t_end: float,
    lo: float,
    hi: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Knots of a piecewise-linear map from ``(t0, s0)`` through the anchors, speed-bounded.

    Each segment aims at its anchor; a speed outside ``[lo, hi]`` is clipped and the next
    segment starts from where the clipped one ended. After the last anchor: 1x to ``t_end``.
    """
    kt, ks = [float(t0)], [float(s0)]
    for ta, sa in zip(anchor_t, anchor_s, strict=True):
        dt = float(ta) - kt[-1]
        if dt <= 1e-12:
            continue
        v = min(max((float(sa) - ks[-1]) / dt, lo), hi)
        kt.append(float(ta))
        ks.append(ks[-1] + v * dt)
    if t_end > kt[-1]:
        ks.append(ks[-1] + (t_end - kt[-1]))
        kt.append(float(t_end))
    if len(kt) == 1:  # a single output frame
        kt.append(kt[0] + 1.0)
        ks.append(ks[0] + 1.0)
    return np.array(kt), np.array(ks)


def _pulses(times: np.ndarray, n: int, rate: float, width_s: float) -> np.ndarray:
    """A Gaussian of width ``width_s`` at each time on a grid of ``n`` cells at ``rate`` Hz."""
    out = np.zeros(n, dtype=np.float64)
    half = int(math.ceil(4 * width_s * rate))
    for t in times:
        c = int(round(t * rate))
        lo, hi = max(0, c - half), min(n, c + half + 1)
        if lo >= hi:
            continue
        g = np.arange(lo, hi) / rate
        np.maximum(out[lo:hi], np.exp(-((g - t) ** 2) / (2 * width_s**2)), out=out[lo:hi])
    return out


@dataclass(frozen=True)
class Planner:
    """One retargeting method: the function that makes its map, and the options it takes.

    Attributes
    ----------
    make : callable
        ``make(dance_times, music_times, *, dance_duration_s, music_duration_s, fps,
        **options) -> (source_times, notes)``: the time map, np.ndarray float64 of shape
        ``(max(1, round(music_duration_s * fps)),)``, seconds on V's looped timeline, and the
        fallbacks taken (a list of str, empty when the method ran as asked).
    needs : tuple of str
        The options of :func:`~mudar.tasks.retarget.plan.plan_retarget` passed on to ``make``:
        any of ``min_speed``, ``max_speed``, ``width_s``.
    """

    make: Callable[..., tuple[np.ndarray, list[str]]]
    needs: tuple[str, ...] = ()


PLANNERS: dict[str, Planner] = {
    "shift": Planner(shift_map),
    "accel": Planner(accel_map, needs=("min_speed", "max_speed")),
    "dtw": Planner(dtw_map, needs=("min_speed", "max_speed", "width_s")),
    "dtw-points": Planner(dtw_points_map, needs=("min_speed", "max_speed")),
}
"""Every retargeting method by name, in :data:`mudar.methods.RETARGET`'s order."""
