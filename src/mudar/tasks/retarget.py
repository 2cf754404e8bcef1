"""Music-dance retargeting (paper sec. 4.4): re-time a dance video so its rhythm lands on new music.

Given the dance rhythm points ``R_v`` of a video V (seconds in V) and the music rhythm points
``R_a`` of a song A (seconds in A), a **time map** says, for each output frame time
``t_j = j / fps`` over A's duration, which time ``s(t_j)`` of V is shown then. Three planners:

- :func:`time_map_shift`: V played at 1x from the window of A's length whose number of dance
  rhythm points is closest to A's number of music rhythm points, its first dance rhythm point
  on A's first music rhythm point.
- :func:`time_map_accel`: from that window, the k-th dance rhythm interval ``I_k^v`` is played
  at the speed that makes it last the k-th music interval ``I_k^a``, within the speed bounds.
- :func:`time_map_dtw`: dynamic time warping (Eq. 22-23, :func:`librosa.sequence.dtw`) between
  the two rhythm sequences, as pulse trains on a common grid, with steps whose slopes are the
  allowed speeds: a monotone map with bounded local speed.
- :func:`time_map_dtw_points` (method ``dtw-points``): Eq. 22-23 as written, a DTW over the
  rhythm points themselves, ``d(i, j) = |P_i^a - P_j^v|``, steps (1, 1), (1, 0), (0, 1); the
  matched pairs, made one-to-one, are the knots of the map.

Conventions
-----------
- Source times run on V's **looped** timeline: ``s >= dance_duration_s`` shows V again from its
  start (``s mod dance_duration_s``), so the output always has A's length. V loops only where a
  map runs past its end (always when V is shorter than A). Looping was chosen over holding the
  last frame (a frozen dancer) or playing back and forth (a dance played backwards); the seam
  is a cut.
- Every map is non-decreasing. ``accel`` and ``dtw`` keep the local speed ``ds/dt`` within
  ``[min_speed, max_speed]`` (default 0.5x-2x); ``shift`` plays at 1x.
- A side without rhythm points cannot be aligned: ``dtw`` and ``accel`` fall back to ``shift``,
  and ``shift`` to the identity map (V from its start); :class:`RetargetPlan` says so in
  ``notes``. Nothing here raises for missing rhythm.

Pure functions: rhythm times in, time maps and frames out. Decoding and writing files is the
job of :mod:`mudar.pipelines.retarget`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from mudar.errors import ParameterError
from mudar.eval.bas import DEFAULT_SIGMA_S, beat_alignment_score, mean_offset
from mudar.methods import RETARGET

__all__ = [
    "DEFAULT_SIGMA_S",
    "MUSIC_RHYTHMS",
    "RESAMPLE_MODES",
    "RetargetPlan",
    "beat_alignment_score",
    "dance_times_in_output",
    "local_speed",
    "mean_offset",
    "music_rhythm_seconds",
    "plan_retarget",
    "resample_frames",
    "retarget_report",
    "rhythm_point_dtw",
    "time_map_accel",
    "time_map_dtw",
    "time_map_dtw_points",
    "time_map_shift",
]

"""Retargeting methods."""

MUSIC_RHYTHMS = ("onsets", "beats")
"""Music rhythm points to align with: onset maxima (default) or tracked beats."""

RESAMPLE_MODES = ("blend", "nearest")
"""How an output frame is made from the source frames around its source time."""

DTW_MAX_STEP = 4
"""Largest step (in grid cells) of the DTW: speeds ``b / a`` with ``1 <= a, b <= 4``."""


@dataclass(frozen=True)
class RetargetPlan:
    """A time map from output frames to source times, and how it came about.

    Attributes
    ----------
    method : str
        One of :data:`RETARGET` (the method asked for, even when it fell back).
    fps : float
        Output frame rate (the source's), frames per second.
    source_times : np.ndarray, float64, shape (n_frames,)
        Time of V shown at output frame ``j`` (at ``j / fps`` s), seconds on V's looped
        timeline; non-decreasing.
    dance_duration_s, music_duration_s : float
        Lengths of V and A, seconds.
    notes : tuple of str
        Fallbacks taken (no rhythm points, ...); empty when the method ran as asked.
    """

    method: str
    fps: float
    source_times: np.ndarray = field(repr=False)
    dance_duration_s: float
    music_duration_s: float
    notes: tuple[str, ...] = ()

    @property
    def n_frames(self) -> int:
        """Output frames."""
        return len(self.source_times)

    @property
    def output_times(self) -> np.ndarray:
        """Output frame times ``j / fps``, seconds, shape (n_frames,)."""
        return np.arange(self.n_frames, dtype=np.float64) / self.fps

    @property
    def n_loops(self) -> int:
        """How many times V is played (1: no loop)."""
        end = float(self.source_times[-1]) if self.n_frames else 0.0
        return max(1, math.floor(end / self.dance_duration_s + 1e-9) + 1)

    @property
    def speeds(self) -> np.ndarray:
        """Local speed between consecutive output frames, shape (n_frames - 1,)."""
        return local_speed(self.source_times, fps=self.fps)


def plan_retarget(
    dance_times,
    music_times,
    *,
    method: str = "dtw",
    dance_duration_s: float,
    music_duration_s: float,
    fps: float,
    min_speed: float = 0.5,
    max_speed: float = 2.0,
    width_s: float = DEFAULT_SIGMA_S,
) -> RetargetPlan:
    """Plan a retargeting of V (dance rhythm ``dance_times``) onto A (``music_times``).

    Parameters
    ----------
    dance_times : array-like, shape (k,)
        Dance rhythm points of V, seconds from V's start. Points outside ``[0,
        dance_duration_s)`` are ignored.
    music_times : array-like, shape (m,)
        Music rhythm points of A, seconds. Points outside ``[0, music_duration_s)`` are ignored.
    method : {"shift", "accel", "dtw", "dtw-points"}
    dance_duration_s, music_duration_s : float
        Lengths of V and A, seconds.
    fps : float
        Output frame rate; the map has ``max(1, round(music_duration_s * fps))`` entries.
    min_speed, max_speed : float
        Bounds of the local speed for ``accel``, ``dtw`` and ``dtw-points``;
        ``min_speed <= 1 <= max_speed``.
    width_s : float
        ``dtw`` only: width of the rhythm pulses, seconds.

    Returns
    -------
    RetargetPlan

    Raises
    ------
    ParameterError
        Unknown method, non-positive durations or fps, bad speed bounds, times that are not
        1-D finite numbers.
    """
    if method not in RETARGET:
        raise ParameterError(f"unknown retarget method {method!r}; known: {', '.join(RETARGET)}")
    common = dict(
        dance_duration_s=dance_duration_s,
        music_duration_s=music_duration_s,
        fps=fps,
    )
    if method == "shift":
        times, notes = _shift(dance_times, music_times, **common)
    elif method == "accel":
        times, notes = _accel(
            dance_times, music_times, **common, min_speed=min_speed, max_speed=max_speed
        )
    elif method == "dtw-points":
        times, notes = _dtw_points(
            dance_times, music_times, **common, min_speed=min_speed, max_speed=max_speed
        )
    else:
        times, notes = _dtw(
            dance_times,
            music_times,
            **common,
            min_speed=min_speed,
            max_speed=max_speed,
            width_s=width_s,
        )
    return RetargetPlan(
        method=method,
        fps=float(fps),
        source_times=times,
        dance_duration_s=float(dance_duration_s),
        music_duration_s=float(music_duration_s),
        notes=tuple(notes),
    )


def time_map_shift(
    dance_times,
    music_times,
    *,
    dance_duration_s: float,
    music_duration_s: float,
    fps: float,
) -> np.ndarray:
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
    np.ndarray, float64, shape (max(1, round(music_duration_s * fps)),)
        Source time of each output frame, seconds on V's looped timeline: ``t_j + offset``.
        Identity (offset 0) when either side has no rhythm points.

    Raises
    ------
    ParameterError
    """
    return _shift(
        dance_times,
        music_times,
        dance_duration_s=dance_duration_s,
        music_duration_s=music_duration_s,
        fps=fps,
    )[0]


def time_map_accel(
    dance_times,
    music_times,
    *,
    dance_duration_s: float,
    music_duration_s: float,
    fps: float,
    min_speed: float = 0.5,
    max_speed: float = 2.0,
) -> np.ndarray:
    """Time map of the ``accel`` method: each dance interval stretched onto a music interval.

    Starting from the window :func:`time_map_shift` picks, the k-th dance rhythm point of the
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
    np.ndarray, float64, shape (max(1, round(music_duration_s * fps)),)
        Source time of each output frame, seconds on V's looped timeline. With fewer than two
        rhythm points on a side: the ``shift`` map.

    Raises
    ------
    ParameterError
    """
    return _accel(
        dance_times,
        music_times,
        dance_duration_s=dance_duration_s,
        music_duration_s=music_duration_s,
        fps=fps,
        min_speed=min_speed,
        max_speed=max_speed,
    )[0]


def time_map_dtw(
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
) -> np.ndarray:
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
    np.ndarray, float64, shape (max(1, round(music_duration_s * fps)),)
        Source time of each output frame, seconds on V's looped timeline. With no rhythm points
        on a side: the ``shift`` map.

    Raises
    ------
    ParameterError
    """
    return _dtw(
        dance_times,
        music_times,
        dance_duration_s=dance_duration_s,
        music_duration_s=music_duration_s,
        fps=fps,
        min_speed=min_speed,
        max_speed=max_speed,
        width_s=width_s,
        rate_hz=rate_hz,
        max_cells=max_cells,
        speed_penalty=speed_penalty,
        smooth_s=smooth_s,
    )[0]


def time_map_dtw_points(
    dance_times,
    music_times,
    *,
    dance_duration_s: float,
    music_duration_s: float,
    fps: float,
    min_speed: float = 0.5,
    max_speed: float = 2.0,
) -> np.ndarray:
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
    np.ndarray, float64, shape (max(1, round(music_duration_s * fps)),)
        Source time of each output frame, seconds on V's looped timeline. With no rhythm points
        on a side: the ``shift`` map.

    Raises
    ------
    ParameterError
    """
    return _dtw_points(
        dance_times,
        music_times,
        dance_duration_s=dance_duration_s,
        music_duration_s=music_duration_s,
        fps=fps,
        min_speed=min_speed,
        max_speed=max_speed,
    )[0]


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


def local_speed(source_times, *, fps: float) -> np.ndarray:
    """Speed of a time map between consecutive output frames: ``diff(s) * fps``.

    Parameters
    ----------
    source_times : array-like, shape (n,)
        Seconds of V at output frames ``j / fps``.
    fps : float

    Returns
    -------
    np.ndarray, float64, shape (n - 1,)
        1.0 is real time; 2.0 plays V twice as fast.

    Raises
    ------
    ParameterError
    """
    _check_positive(fps=fps)
    s = _vector(source_times, "source_times")
    return np.diff(s) * fps


def dance_times_in_output(dance_times, source_times, *, fps: float, dance_duration_s: float):
    """Where V's dance rhythm points land in the output of a time map, seconds.

    Each point is repeated on every pass of V (looping), then mapped through the inverse of
    the map; points the map skips past (shown between two output frames) are kept at their
    interpolated time. The map is taken to continue at its last speed for the final frame.

    Parameters
    ----------
    dance_times : array-like, shape (k,)
        Dance rhythm points of V, seconds in ``[0, dance_duration_s)``.
    source_times : array-like, shape (n,)
        A time map (non-decreasing), seconds on V's looped timeline.
    fps : float
        Output frame rate.
    dance_duration_s : float
        Length of V, seconds.

    Returns
    -------
    np.ndarray, float64, shape (k',)
        Output times, seconds in ``[0, n / fps)``, increasing.

    Raises
    ------
    ParameterError
    """
    _check_positive(fps=fps, dance_duration_s=dance_duration_s)
    s = _vector(source_times, "source_times")
    if len(s) == 0:
        return np.zeros(0)
    if np.any(np.diff(s) < 0):
        raise ParameterError("source_times must be non-decreasing")
    d = _rhythm(dance_times, "dance_times", dance_duration_s)
    step = s[-1] - s[-2] if len(s) > 1 else 1.0 / fps
    s_ext = np.append(s, s[-1] + step)
    t_ext = np.arange(len(s_ext), dtype=np.float64) / fps
    ext = _loop(d, dance_duration_s, s_ext[-1])
    ext = ext[(ext >= s_ext[0]) & (ext < s_ext[-1])]
    # a flat stretch (speed 0) would make the inverse ambiguous: take its first time
    keep = np.concatenate([[True], np.diff(s_ext) > 0])
    out = np.interp(ext, s_ext[keep], t_ext[keep])
    return out[out < len(s) / fps]


def resample_frames(
    frames: Iterable[np.ndarray],
    source_times,
    *,
    fps: float,
    mode: str = "blend",
) -> Iterator[np.ndarray]:
    """Output frames of a time map, streamed from the source frames.

    Source frame ``k`` is shown at ``k / fps``. Output frame ``j`` is, at source position
    ``p = source_times[j] * fps``, either frame ``round(p)`` (``nearest``) or the linear blend
    of frames ``floor(p)`` and ``floor(p) + 1`` (``blend``: smoother slow motion, ghosting on
    fast moves). Because the map never goes back, only two source frames are held at a time;
    the source is read exactly once, as far as the map needs it. A source that ends early
    repeats its last frame.

    Parameters
    ----------
    frames : iterable of np.ndarray, uint8, shape (H, W, 3)
        The source frames in order, at ``fps`` (for a looped map: V's frames pass after pass).
    source_times : array-like, shape (n,)
        Non-decreasing times, seconds (see :class:`RetargetPlan`).
    fps : float
        Frame rate of ``frames`` (and of the output).
    mode : {"blend", "nearest"}

    Yields
    ------
    np.ndarray, uint8, shape (H, W, 3)
        ``n`` frames. ``nearest`` may yield the same array object more than once: do not
        modify them.

    Raises
    ------
    ParameterError
        Unknown mode, bad fps, times that are negative, not finite or decreasing, no frames.
    """
    if mode not in RESAMPLE_MODES:
        raise ParameterError(f"mode must be one of {RESAMPLE_MODES}, got {mode!r}")
    _check_positive(fps=fps)
    s = _vector(source_times, "source_times")
    if len(s) and (s[0] < 0 or np.any(np.diff(s) < 0)):
        raise ParameterError("source_times must be >= 0 and non-decreasing")
    return _resample(iter(frames), s * fps, mode)


def _resample(it: Iterator[np.ndarray], positions: np.ndarray, mode: str) -> Iterator[np.ndarray]:
    import cv2

    held: list[np.ndarray] = []  # frames last_idx - len(held) + 1 .. last_idx
    last_idx = -1
    done = False

    def frame(k: int) -> np.ndarray:
        nonlocal last_idx, done
        while last_idx < k and not done:
            nxt = next(it, None)
            if nxt is None:
                done = True
                break
            held.append(nxt)
            del held[:-2]
            last_idx += 1
        if not held:
            raise ParameterError("no source frames to resample")
        # past the end of the source: its last frame
        return held[-1] if k >= last_idx else held[k - last_idx - 1]

    for p in positions:
        if mode == "nearest":
            yield frame(int(np.floor(p + 0.5)))
            continue
        k0 = int(np.floor(p))
        w = float(p - k0)
        if w < 1e-3:
            yield frame(k0)
            continue
        b = frame(k0 + 1)
        a = frame(k0)
        if a is b or w > 1 - 1e-3:
            yield b
            continue
        yield cv2.addWeighted(a, 1.0 - w, b, w, 0.0)


def music_rhythm_seconds(analysis, *, kind: str = "onsets") -> np.ndarray:
    """Music rhythm points of an analysed file, seconds from its start.

    Parameters
    ----------
    analysis : mudar.features.analysis.Analysis
        With music features.
    kind : {"onsets", "beats"}
        Onset maxima (every accent: the paper's music rhythm) or tracked beats (the pulse).

    Returns
    -------
    np.ndarray, float64, shape (m,)

    Raises
    ------
    ParameterError
        Unknown kind, or an analysis without music.
    """
    if kind not in MUSIC_RHYTHMS:
        raise ParameterError(f"music rhythm must be one of {MUSIC_RHYTHMS}, got {kind!r}")
    if analysis.music is None:
        raise ParameterError(f"{analysis.path}: no audio, so no music rhythm")
    t = analysis.music.onset_times if kind == "onsets" else analysis.music.beat_times
    return np.asarray(t, dtype=np.float64) + analysis.start_s


def retarget_report(
    plan: RetargetPlan,
    *,
    dance_times,
    music_times,
    dance_after,
    music_after,
    sigma_s: float = DEFAULT_SIGMA_S,
) -> dict:
    """The numbers ``mudar retarget`` reports about a retargeting.

    *Before* is V played as it is from its start (looped, cut at A's end) with A: V's dance
    rhythm points against A's music rhythm points. *After* is measured on the written file,
    from the rhythm points detected again in it (``dance_after``, ``music_after``), not from
    the plan. *Plan* is what the map predicts: V's points carried through it.

    Parameters
    ----------
    plan : RetargetPlan
    dance_times, music_times : array-like, shape (k,), (m,)
        Rhythm points of V and of A, seconds.
    dance_after, music_after : array-like, shape (k',), (m',)
        Rhythm points detected in the output file, seconds.
    sigma_s : float
        BAS kernel width, seconds.

    Returns
    -------
    dict
        ``{"method", "n_rhythm_points" (the dance's, an int), "rhythm_points": {"dance",
        "music", "dance_after", "music_after"} (counts),
        "offset_before_s", "offset_after_s", "offset_plan_s", "bas_before", "bas_after",
        "bas_plan", "sigma_s", "max_speed", "min_speed", "n_loops", "fps", "duration_s",
        "notes"}``; offsets are mean distances from each dance rhythm point to the nearest
        music rhythm point, seconds, BAS the FACT/AIST++ form (over the dance points). A value
        that is undefined (no dance points) or infinite (no music points) is None.

    Raises
    ------
    ParameterError
    """
    T_v, T_a = plan.dance_duration_s, plan.music_duration_s
    d = _rhythm(dance_times, "dance_times", T_v)
    m = _rhythm(music_times, "music_times", T_a)
    d_after = _vector(dance_after, "dance_after")
    m_after = _vector(music_after, "music_after")
    before = _loop(d, T_v, T_a)
    before = before[before < T_a]
    planned = dance_times_in_output(d, plan.source_times, fps=plan.fps, dance_duration_s=T_v)
    speeds = plan.speeds
    return {
        "method": plan.method,
        "n_rhythm_points": len(d),
        "rhythm_points": {
            "dance": len(d),
            "music": len(m),
            "dance_after": len(d_after),
            "music_after": len(m_after),
        },
        "offset_before_s": _num(mean_offset(before, m)),
        "offset_after_s": _num(mean_offset(d_after, m_after)),
        "offset_plan_s": _num(mean_offset(planned, m)),
        "bas_before": _num(beat_alignment_score(before, m, sigma_s=sigma_s)),
        "bas_after": _num(beat_alignment_score(d_after, m_after, sigma_s=sigma_s)),
        "bas_plan": _num(beat_alignment_score(planned, m, sigma_s=sigma_s)),
        "sigma_s": float(sigma_s),
        "max_speed": _num(float(speeds.max()) if len(speeds) else 1.0),
        "min_speed": _num(float(speeds.min()) if len(speeds) else 1.0),
        "n_loops": plan.n_loops,
        "fps": plan.fps,
        "duration_s": round(plan.n_frames / plan.fps, 4),
        "notes": list(plan.notes),
    }


# --- planners (each returns the map and its notes) ------------------------------------------


def _shift(
    dance_times, music_times, *, dance_duration_s, music_duration_s, fps
) -> tuple[np.ndarray, list[str]]:
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


def _accel(
    dance_times,
    music_times,
    *,
    dance_duration_s,
    music_duration_s,
    fps,
    min_speed,
    max_speed,
) -> tuple[np.ndarray, list[str]]:
    _check_speeds(min_speed, max_speed)
    shift, notes = _shift(
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


def _dtw(
    dance_times,
    music_times,
    *,
    dance_duration_s,
    music_duration_s,
    fps,
    min_speed,
    max_speed,
    width_s,
    rate_hz: float = 25.0,
    max_cells: int = 4_000_000,
    speed_penalty: float = 0.5,
    smooth_s: float = 0.2,
) -> tuple[np.ndarray, list[str]]:
    _check_speeds(min_speed, max_speed)
    _check_positive(width_s=width_s, rate_hz=rate_hz, max_cells=max_cells)
    for name, v in (("speed_penalty", speed_penalty), ("smooth_s", smooth_s)):
        if not (np.isfinite(v) and v >= 0):
            raise ParameterError(f"{name} must be >= 0, got {v}")
    shift, notes = _shift(
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


def _dtw_points(
    dance_times,
    music_times,
    *,
    dance_duration_s,
    music_duration_s,
    fps,
    min_speed,
    max_speed,
) -> tuple[np.ndarray, list[str]]:
    _check_speeds(min_speed, max_speed)
    shift, notes = _shift(
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


# --- checks and small helpers ---------------------------------------------------------------


def _grid(duration_s: float, fps: float) -> np.ndarray:
    """Output frame times ``j / fps`` over ``duration_s``, at least one frame."""
    n = max(1, round(duration_s * fps))
    return np.arange(n, dtype=np.float64) / fps


def _loop(d: np.ndarray, period: float, upto: float) -> np.ndarray:
    """``d`` repeated every ``period`` seconds, up to (not including) ``upto``."""
    n = max(1, math.ceil(upto / period))
    ext = (d[None, :] + period * np.arange(n)[:, None]).reshape(-1)
    return ext[ext < upto]


def _vector(x, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.size == 0:
        return a.reshape(0)
    if a.ndim != 1:
        raise ParameterError(f"{name} must be 1-D, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ParameterError(f"{name} holds NaN or infinite values")
    return a


def _rhythm(x, name: str, duration_s: float) -> np.ndarray:
    """Sorted unique rhythm times inside ``[0, duration_s)`` (others dropped)."""
    a = np.unique(_vector(x, name))
    return a[(a >= 0) & (a < duration_s)]


def _check_positive(**values: float) -> None:
    for name, v in values.items():
        if not (np.isfinite(v) and v > 0):
            raise ParameterError(f"{name} must be positive, got {v}")


def _check_speeds(min_speed: float, max_speed: float) -> None:
    if not (np.isfinite(min_speed) and np.isfinite(max_speed) and 0 < min_speed <= 1 <= max_speed):
        raise ParameterError(
            f"speed bounds must satisfy 0 < min_speed <= 1 <= max_speed, got "
            f"{min_speed}, {max_speed}"
        )


def _num(x: float) -> float | None:
    """A JSON-safe rounded number: None for NaN and infinity."""
    return round(float(x), 4) if np.isfinite(x) else None
