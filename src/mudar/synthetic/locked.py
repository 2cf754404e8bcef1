"""A beat-locked dance set: real dance motion re-timed so that its accents land on the beats.

dwm's motion carries no onset timing (its kinematic beats sit no closer to the music's beats
than to the half-beats). To make a benchmark whose ground truth is known, each dance keeps its
real movement but is re-timed by a smooth, monotone time warp ``tau -> s(tau)`` (output time to
source motion time) whose slope ``ds/dtau`` stays within a speed range (default 0.8-1.25: the
dancer moves between 0.8x and 1.25x their own speed):

1. the motion's *accents* are its kinematic beats (minima of the mean joint speed,
   :func:`mudar.features.kinematic.kinematic_beats`, root :data:`ROOT_JOINTS["dwm23"]`);
2. the *targets* are the music's beats and its strong onsets away from the beats (mudar's own
   analysis, :func:`mudar.features.extract.analyze`);
3. accents are matched to targets monotonically by dynamic programming (:func:`match_accents`:
   the speed range is a hard constraint on every segment between matched pairs; accents and
   targets that cannot be matched are skipped);
4. a smooth monotone curve runs through the matched pairs, with no curvature at any of them
   (:func:`fit_warp`, :class:`TimeWarp`); knots whose segments would leave the speed range are
   dropped until the slope is within it everywhere;
5. the joints are resampled at ``s(tau)`` (a cubic spline per coordinate).

This module plans the warp (numbers in, numbers out); :mod:`mudar.pipelines.locked` decodes
the music and writes one dance (``motion.npz``, ``audio.ogg``, ``meta.json`` and one
``video_<look>.mp4`` per :class:`~mudar.synthetic.skeleton.Look`) or a folder of them. The lock is
verified on the written motion: accents re-detected on the warped
joints are scored against the beats (:mod:`mudar.eval.lock`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.interpolate import CubicSpline

from mudar.errors import ParameterError
from mudar.features.kinematic import ROOT_JOINTS, joint_speed, kinematic_beats
from mudar.features.music import MusicFeatures
from mudar.methods import DEFAULT_LOOKS, SPEED_RANGE  # noqa: F401 (re-exported)

__all__ = [
    "DEFAULT_LOOKS",
    "EDGE_S",
    "MIN_DEPTH",
    "ROOT",
    "SPEED_RANGE",
    "LockPlan",
    "TimeWarp",
    "check_speed_range",
    "fit_warp",
    "match_accents",
    "motion_accents",
    "music_targets",
    "plan_lock",
    "resample_joints",
]

# SPEED_RANGE (the warp's slope limits) and DEFAULT_LOOKS: in mudar.methods, for the command line

MIN_DEPTH = 0.01
"""Accents whose speed rises by less than this (relative) around them are not matched."""

EDGE_S = 0.2
"""No target within this many seconds of the start or end of the output."""

ROOT = ROOT_JOINTS["dwm23"]
_EPS = 1e-9


# --- accents, targets and matching -----------------------------------------------------------


def motion_accents(
    joints: np.ndarray, *, fps: float, window_s: float = 0.2
) -> tuple[np.ndarray, np.ndarray]:
    """The motion's accents (its kinematic beats) to sub-frame precision, and their depth.

    The frames of :func:`mudar.features.kinematic.kinematic_beats` (root
    :data:`ROOT_JOINTS["dwm23"]`), each refined by the vertex of the parabola through the
    smoothed speed at it and its two neighbours (a minimum between two frames is put between
    them, so that a warp can put it on a beat to better than a frame).

    Parameters
    ----------
    joints : np.ndarray, shape (T, 23, 3)
    fps : float
    window_s : float
        Half-width of the window the depth is measured in, seconds.

    Returns
    -------
    times : np.ndarray, float64, shape (n,)
        Seconds from frame 0.
    depth : np.ndarray, float64, shape (n,)
        How far the speed rises on the lower side within ``window_s``, relative to the speed
        at the accent: ``min(max left, max right) / v - 1``. A shallow minimum (a plateau of
        the speed) moves or vanishes under the slightest re-timing, a deep one does not.
    """
    frames = np.round(kinematic_beats(joints, fps=fps, root=ROOT) * fps).astype(int)
    v = joint_speed(joints, fps=fps, root=ROOT)
    if not len(frames):
        return np.zeros(0), np.zeros(0)
    left, mid, right = v[frames - 1], v[frames], v[frames + 1]
    curv = left - 2 * mid + right
    offset = np.where(curv > 0, 0.5 * (left - right) / np.where(curv > 0, curv, 1), 0.0)
    times = (frames + np.clip(offset, -0.5, 0.5)) / fps
    r = max(1, round(window_s * fps))
    lmax = np.array([v[max(0, f - r) : f].max() for f in frames])
    rmax = np.array([v[f + 1 : f + 1 + r].max() for f in frames])
    depth = np.minimum(lmax, rmax) / np.maximum(mid, 1e-9) - 1.0
    return times, depth


# --- targets and matching -------------------------------------------------------------------


def music_targets(
    music: MusicFeatures,
    *,
    fps: float,
    onset_weight: float = 0.5,
    min_strength: float = 0.5,
    min_gap_s: float = 0.15,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The times accents are put on: every beat, and strong onsets away from the beats.

    Parameters
    ----------
    music : MusicFeatures
        mudar's analysis of the music (``beat_times``, ``onset_times``, ``onset_strength``).
    fps : float
        Frame rate of ``music``'s per-frame arrays (its clock's, e.g. 8).
    onset_weight : float
        Weight of an onset target relative to a beat's 1, times the onset's strength; 0: beats
        only.
    min_strength : float
        Onsets weaker than this (``onset_strength`` in [0, 1], the envelope's maximum over the
        onset's frame, relative to the loudest) are no targets.
    min_gap_s : float
        Onsets closer than this to a beat are no targets (the beat is), seconds.

    Returns
    -------
    times : np.ndarray, float64, shape (m,)
        Seconds, sorted, strictly increasing.
    weights : np.ndarray, float64, shape (m,)
        1 for a beat, ``onset_weight * strength`` for an onset.
    is_beat : np.ndarray, bool, shape (m,)
    """
    beats = np.unique(np.asarray(music.beat_times, dtype=np.float64))
    onsets = np.asarray(music.onset_times, dtype=np.float64)
    strength = np.asarray(music.onset_strength, dtype=np.float64)
    times, weights, is_beat = [beats], [np.ones(len(beats))], [np.ones(len(beats), bool)]
    if onset_weight > 0 and len(onsets) and len(strength):
        idx = np.clip(np.floor(onsets * fps + 1e-6).astype(int), 0, len(strength) - 1)
        s = strength[idx]
        if len(beats):
            d = np.abs(onsets[:, None] - beats[None, :]).min(axis=1)
        else:
            d = np.full(len(onsets), np.inf)
        keep = (s >= min_strength) & (d >= min_gap_s)
        times.append(onsets[keep])
        weights.append(onset_weight * s[keep])
        is_beat.append(np.zeros(int(keep.sum()), bool))
    t, w, b = np.concatenate(times), np.concatenate(weights), np.concatenate(is_beat)
    order = np.argsort(t, kind="stable")
    t, w, b = t[order], w[order], b[order]
    if len(t) > 1:  # two onsets on one instant: keep the first
        keep = np.concatenate([[True], np.diff(t) > 1e-6])
        t, w, b = t[keep], w[keep], b[keep]
    return t, w, b


def match_accents(
    accents_s,
    targets_s,
    weights=None,
    *,
    speed_range: tuple[float, float] = SPEED_RANGE,
    slope_cost: float = 0.5,
    window: int = 12,
) -> tuple[np.ndarray, np.ndarray]:
    """Match accents to targets monotonically, every segment within the speed range.

    A chain of pairs ``(accent a_i, target b_j)`` with ``i`` and ``j`` increasing, such that
    between consecutive pairs the slope ``(a_k - a_i) / (b_l - b_j)`` (source seconds per output
    second) is within ``speed_range``, and the first pair can be reached from output time 0
    (``a >= lo * b``: the source need not start before its own beginning). Among those chains
    the one of the largest ``sum(weights of matched targets) - slope_cost * sum |log slope|``
    (dynamic programming over accents x targets; consecutive pairs at most ``window`` accents
    and ``window`` targets apart). Accents and targets off the chain are skipped.

    Parameters
    ----------
    accents_s : array-like, shape (n,)
        Accent times on the source clock, seconds, increasing.
    targets_s : array-like, shape (m,)
        Target times on the output clock, seconds, strictly increasing.
    weights : array-like, shape (m,), optional
        Reward of matching each target; default 1.
    speed_range : (float, float)
        ``lo <= ds/dtau <= hi``, ``0 < lo <= 1 <= hi``.
    slope_cost : float
        Cost of a segment's speed change, per unit of ``|log slope|``.
    window : int
        Accents (and targets) that may be skipped between two matched pairs, plus one.

    Returns
    -------
    accent_idx, target_idx : np.ndarray, int64, shape (p,)
        The matched pairs, increasing in both.

    Raises
    ------
    ParameterError
        Times not 1-D, finite and increasing, mismatched weights, a bad range or window.
    """
    a = _increasing(accents_s, "accents_s", strict=False)
    b = _increasing(targets_s, "targets_s", strict=True)
    lo, hi = check_speed_range(speed_range)
    w = np.ones(len(b)) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != b.shape or not np.all(np.isfinite(w)):
        raise ParameterError(f"weights must be finite, one per target ({len(b)}), got {w.shape}")
    if window < 1:
        raise ParameterError(f"window must be >= 1, got {window}")
    n, m = len(a), len(b)
    if n == 0 or m == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    score = np.full((n, m), -np.inf)
    back = np.full((n, m, 2), -1, np.int64)
    jj = np.arange(m)
    for i in range(n):
        start = a[i] >= lo * b - _EPS  # a chain may begin here
        best = np.where(start, w, -np.inf)
        arg = np.full((m, 2), -1, np.int64)
        for k in range(max(0, i - window), i):
            da = a[i] - a[k]
            if da <= 0:
                continue
            for off in range(1, window + 1):
                l = jj - off  # noqa: E741  (the target index of the previous pair)
                ok = l >= 0
                lc = np.where(ok, l, 0)
                prev = np.where(ok, score[k, lc], -np.inf)
                db = b - b[lc]
                slope = np.where(ok & (db > 0), da / np.where(db > 0, db, 1.0), np.nan)
                feasible = (slope >= lo - _EPS) & (slope <= hi + _EPS) & np.isfinite(prev)
                cand = np.where(
                    feasible,
                    prev + w - slope_cost * np.abs(np.log(np.where(feasible, slope, 1))),
                    -np.inf,
                )
                better = cand > best
                best = np.where(better, cand, best)
                arg[better] = np.stack([np.full(m, k), lc], axis=1)[better]
        score[i] = best
        back[i] = arg
    if not np.isfinite(score).any():
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    i, j = np.unravel_index(int(np.argmax(score)), score.shape)
    pairs = []
    while i >= 0:
        pairs.append((i, j))
        i, j = back[i, j]
    pairs.reverse()
    ia, ib = (np.array(x, dtype=np.int64) for x in zip(*pairs, strict=True))
    return ia, ib


# --- the warp -------------------------------------------------------------------------------


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


# --- one dance ------------------------------------------------------------------------------


@dataclass
class LockPlan:
    """The warp of one dance and what it was made from.

    Attributes
    ----------
    warp : TimeWarp
    n_frames : int
        Output frames (at the source's fps).
    accents_s : np.ndarray, shape (n,)
        Accents on the source clock, seconds.
    targets_s, target_weights, target_is_beat : np.ndarray, shape (m,)
        Candidate targets (output = music clock).
    matched : np.ndarray, int64, shape (p, 2)
        (accent index, target index) of the pairs the warp puts together.
    """

    warp: TimeWarp
    n_frames: int
    accents_s: np.ndarray
    targets_s: np.ndarray
    target_weights: np.ndarray
    target_is_beat: np.ndarray
    matched: np.ndarray


def plan_lock(
    joints: np.ndarray,
    *,
    fps: float,
    music: MusicFeatures,
    music_fps: float,
    music_duration_s: float,
    speed_range: tuple[float, float] = SPEED_RANGE,
    onset_weight: float = 0.5,
    slope_cost: float = 0.5,
    min_depth: float = MIN_DEPTH,
) -> LockPlan:
    """Accents, targets, their matching and the warp of one dance.

    Parameters
    ----------
    joints : np.ndarray, shape (T, 23, 3)
    fps : float
        Motion frame rate.
    music : MusicFeatures
    music_fps : float
        Frame rate of ``music``'s per-frame arrays.
    music_duration_s : float
        The output is no longer than the music.
    speed_range : (float, float)
    onset_weight : float
        See :func:`music_targets`.
    slope_cost : float
        See :func:`match_accents`.
    min_depth : float
        Accents shallower than this (see :func:`motion_accents`) are left unmatched.

    Returns
    -------
    LockPlan
    """
    end = (len(joints) - 1) / fps
    accents, depth = motion_accents(joints, fps=fps)
    sure = np.flatnonzero(depth >= min_depth)  # only accents that survive a re-timing
    t, w, isb = music_targets(music, fps=music_fps, onset_weight=onset_weight)
    # the speed is smoothed with a mirror at the ends, so minima there are unreliable
    keep = (t >= EDGE_S) & (t <= music_duration_s - EDGE_S)
    t, w, isb = t[keep], w[keep], isb[keep]
    ia, ib = match_accents(accents[sure], t, w, speed_range=speed_range, slope_cost=slope_cost)
    ia = sure[ia]
    warp, kept = fit_warp(accents[ia], t[ib], source_end_s=end, speed_range=speed_range)
    ia, ib = ia[kept], ib[kept]
    tau_end = min(float(warp.inverse(end)), music_duration_s)
    n = int(math.floor(tau_end * fps + 1e-6)) + 1
    while n > 1 and warp((n - 1) / fps) > end + 1e-9:
        n -= 1
    return LockPlan(warp, n, accents, t, w, isb, np.stack([ia, ib], axis=1))


def _increasing(x, name: str, *, strict: bool) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 1 or not np.all(np.isfinite(a)):
        raise ParameterError(f"{name} must be 1-D finite times, got shape {a.shape}")
    d = np.diff(a)
    if np.any(d <= 0 if strict else d < 0):
        raise ParameterError(f"{name} must be {'strictly ' if strict else ''}increasing")
    return a


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
