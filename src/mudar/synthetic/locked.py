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

Steps 4 and 5, the warp, are :mod:`mudar.synthetic.warp`.

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

from mudar.errors import ParameterError
from mudar.features.kinematic import ROOT_JOINTS, joint_speed, kinematic_beats
from mudar.features.music import MusicFeatures
from mudar.methods import DEFAULT_LOOKS  # noqa: F401 (re-exported)
from mudar.synthetic.warp import (
    SPEED_RANGE,
    TimeWarp,
    check_speed_range,
    fit_warp,
    resample_joints,
)

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

# DEFAULT_LOOKS (the looks make_locked renders) and SPEED_RANGE: in mudar.methods, for the CLI

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
