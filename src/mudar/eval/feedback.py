"""On-beat feedback: for each accent of a dance, how early or late it lands on the nearest beat,
and the stretches where the dancer rushed or dragged.

The accents are any dance rhythm's times (kinematic beats, a video's dance rhythm points); the
beats are the music's. Every offset is signed, seconds: **negative = early (rushed), positive =
late (dragged)**. Pure functions with their own input checks, as :mod:`mudar.eval.bas`.

Which accents count (:func:`beat_offsets`):

- only those within the beats' span: from half an interval before the first beat to half an
  interval after the last (the first and last beats get the same half-interval on their outer
  side as on their inner one), so a dance that goes on after the music is not scored;
- each is matched to its nearest beat, so ``|offset|`` is at most half the local beat interval
  (the interval on the accent's side of its beat). An accent **half-way** between two beats
  (within :data:`HALFWAY_TOL_S` of the mid-point) is neither early nor late: it is left out and
  counted (``n_halfway``), never forced onto one side;
- ``max_offset`` (optional) leaves out accents further than that from every beat (deliberate
  off-beat accents, a syncopation), also counted.

The summary (:func:`offset_summary`) shares the accents out into early, on the beat and late by
:data:`~mudar.eval.timing.TIMING_WINDOW_S` (70 ms, the field's timing window), so the three
shares sum to 1. The stretches (:func:`offset_stretches`) are where a rolling median of the
offsets (over 5 accents) stays beyond +-50 ms: the "where you rushed / dragged" a dancer asks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mudar.errors import ParameterError
from mudar.eval.timing import TIMING_WINDOW_S

HALFWAY_TOL_S = 0.001
"""An accent this close to the mid-point between two beats is half-way: neither early nor late,
seconds (the millisecond precision mudar reports times at)."""

STRETCH_THRESHOLD_S = 0.05
"""A stretch is rushed or dragged where the rolling median offset is beyond this, seconds."""

STRETCH_RUN = 5
"""Accents in the rolling median of :func:`offset_stretches`: the accent and two either side
(odd, so that two stray accents together are outvoted)."""

STRETCH_MIN_ACCENTS = 3
"""Fewest accents of a stretch: a single stray accent is not a stretch."""


@dataclass(frozen=True)
class BeatOffsets:
    """The accents that count, each with its nearest beat and signed offset.

    Attributes
    ----------
    times_s : np.ndarray, float64, shape (n,)
        Accent times, seconds, ascending.
    beats_s : np.ndarray, float64, shape (n,)
        The nearest beat of each, seconds.
    offsets_s : np.ndarray, float64, shape (n,)
        ``times_s - beats_s``, seconds: negative = early (rushed), positive = late (dragged).
    n_outside : int
        Accents left out for lying outside the beats' span.
    n_halfway : int
        Accents left out for lying half-way between two beats.
    n_beyond_max : int
        Accents left out for lying further than ``max_offset`` from every beat.
    """

    times_s: np.ndarray
    beats_s: np.ndarray
    offsets_s: np.ndarray
    n_outside: int = 0
    n_halfway: int = 0
    n_beyond_max: int = 0

    @property
    def n_left_out(self) -> int:
        return self.n_outside + self.n_halfway + self.n_beyond_max


@dataclass(frozen=True)
class Stretch:
    """A run of accents where the dancer was consistently early or late.

    Attributes
    ----------
    kind : {"early", "late"}
    start_s, end_s : float
        The first and last accent of the run, seconds.
    median_offset_s : float
        Median offset of its accents, seconds (signed).
    n_accents : int
    """

    kind: str
    start_s: float
    end_s: float
    median_offset_s: float
    n_accents: int


def _times(x, name: str, *, strict: bool) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 1:
        raise ParameterError(f"{name} must be 1-D seconds, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ParameterError(f"{name} must be finite seconds (found NaN or inf)")
    d = np.diff(a)
    if np.any(d <= 0) if strict else np.any(d < 0):
        what = "strictly increasing" if strict else "sorted (ascending)"
        raise ParameterError(f"{name} must be {what}")
    return a


def beat_offsets(accent_times, beat_times, *, max_offset: float | None = None) -> BeatOffsets:
    """Each accent's nearest beat and signed offset to it.

    Parameters
    ----------
    accent_times : array-like, shape (n,)
        Accent (dance rhythm) times, seconds, ascending (ties allowed).
    beat_times : array-like, shape (m,)
        Music beat times, seconds, strictly increasing.
    max_offset : float, optional
        Leave out accents further than this from their nearest beat, seconds (> 0). Default:
        only the half-way rule bounds the offsets (by half the local beat interval).

    Returns
    -------
    BeatOffsets
        Empty (with the accents counted as outside) when there are fewer than two beats: no
        beat interval, so no span and no half-way point.

    Raises
    ------
    ParameterError
        Times that are not 1-D, finite and sorted; a ``max_offset`` that is not positive.
    """
    accents = _times(accent_times, "accent_times", strict=False)
    beats = _times(beat_times, "beat_times", strict=True)
    if max_offset is not None and not (np.isfinite(max_offset) and max_offset > 0):
        raise ParameterError(f"max_offset must be a positive number of seconds, got {max_offset}")
    empty = np.zeros(0, np.float64)
    if len(beats) < 2:
        return BeatOffsets(empty, empty, empty, n_outside=len(accents))
    # the outer half-intervals mirror the inner ones: one virtual beat before and after
    ext = np.concatenate([[2 * beats[0] - beats[1]], beats, [2 * beats[-1] - beats[-2]]])
    inside = (accents >= (ext[0] + beats[0]) / 2) & (accents <= (beats[-1] + ext[-1]) / 2)
    a = accents[inside]
    j = np.clip(np.searchsorted(ext, a), 1, len(ext) - 1)
    left, right = ext[j - 1], ext[j]
    mid = (left + right) / 2
    halfway = np.abs(a - mid) <= HALFWAY_TOL_S
    # off the half-way point the nearest beat is a real one (a virtual beat is never nearest)
    nearest = np.clip(np.where(a < mid, left, right), beats[0], beats[-1])
    offsets = a - nearest
    keep = ~halfway
    beyond = np.zeros(len(a), bool)
    if max_offset is not None:
        beyond = keep & (np.abs(offsets) > max_offset)
        keep &= ~beyond
    return BeatOffsets(
        times_s=a[keep],
        beats_s=nearest[keep],
        offsets_s=offsets[keep],
        n_outside=int(np.count_nonzero(~inside)),
        n_halfway=int(np.count_nonzero(halfway)),
        n_beyond_max=int(np.count_nonzero(beyond)),
    )


def offset_summary(offsets_s, *, window_s: float = TIMING_WINDOW_S) -> dict:
    """How early or late the accents were, in a few numbers.

    Parameters
    ----------
    offsets_s : array-like, shape (n,)
        Signed offsets, seconds (:attr:`BeatOffsets.offsets_s`).
    window_s : float
        Half-width of "on the beat", seconds (default 70 ms).

    Returns
    -------
    dict
        ``n_accents``; ``median_offset_s`` (signed: below 0 the dancer tends to rush);
        ``mean_abs_offset_s``; ``on_beat_share`` (``|offset| <= window_s``), ``early_share``
        (``offset < -window_s``), ``late_share`` (``offset > window_s``), which sum to 1;
        ``window_s``. The statistics are None when there are no offsets.

    Raises
    ------
    ParameterError
        Offsets that are not 1-D finite numbers, a ``window_s`` that is not positive.
    """
    o = np.asarray(offsets_s, dtype=np.float64)
    if o.ndim != 1 or not np.all(np.isfinite(o)):
        raise ParameterError("offsets_s must be 1-D finite seconds")
    if not (np.isfinite(window_s) and window_s > 0):
        raise ParameterError(f"window_s must be a positive number of seconds, got {window_s}")
    out = {"n_accents": int(len(o)), "window_s": float(window_s)}
    if len(o) == 0:
        keys = ("median_offset_s", "mean_abs_offset_s", "on_beat_share", "early_share")
        return {**out, **dict.fromkeys((*keys, "late_share"))}
    early, late = np.mean(o < -window_s), np.mean(o > window_s)
    return {
        **out,
        "median_offset_s": float(np.median(o)),
        "mean_abs_offset_s": float(np.mean(np.abs(o))),
        "on_beat_share": float(1.0 - early - late),
        "early_share": float(early),
        "late_share": float(late),
    }


def rolling_median(x, *, run: int = STRETCH_RUN) -> np.ndarray:
    """Median of each value with its neighbours: the ``run`` values from ``i - run // 2`` to
    ``i + run - run // 2 - 1`` (fewer at the ends), float64, shape (n,)."""
    x = np.asarray(x, dtype=np.float64)
    if run < 1:
        raise ParameterError(f"run must be >= 1 accents, got {run}")
    lo = np.maximum(np.arange(len(x)) - run // 2, 0)
    hi = np.minimum(lo + run, len(x))
    lo = np.maximum(hi - run, 0)
    return np.array([np.median(x[a:b]) for a, b in zip(lo, hi, strict=True)])


def offset_stretches(
    times_s,
    offsets_s,
    *,
    threshold_s: float = STRETCH_THRESHOLD_S,
    run: int = STRETCH_RUN,
    min_accents: int = STRETCH_MIN_ACCENTS,
) -> list[Stretch]:
    """The stretches where the dancer was consistently early (rushed) or late (dragged).

    An accent is in a rushed stretch where the rolling median of the offsets
    (:func:`rolling_median` over ``run`` accents) is below ``-threshold_s``, and in a dragged one
    where it is above ``threshold_s``. A stretch then takes in its neighbouring accents that
    are themselves beyond the threshold on its side (a rolling median lags at a stretch's ends),
    and counts when it has at least ``min_accents`` accents.

    Parameters
    ----------
    times_s : array-like, shape (n,)
        Accent times, seconds, ascending.
    offsets_s : array-like, shape (n,)
        Their signed offsets, seconds.
    threshold_s : float
        Seconds, > 0.
    run : int
        Accents in the rolling median (>= 1).
    min_accents : int
        Fewest accents of a stretch (>= 1).

    Returns
    -------
    list of Stretch
        In time order; stretches of one kind never touch (they are maximal runs).

    Raises
    ------
    ParameterError
        Arrays that are not 1-D finite, of different lengths or unsorted times; bad settings.
    """
    t = _times(times_s, "times_s", strict=False)
    o = np.asarray(offsets_s, dtype=np.float64)
    if o.shape != t.shape or not np.all(np.isfinite(o)):
        raise ParameterError("offsets_s must be finite seconds, one per time")
    if not (np.isfinite(threshold_s) and threshold_s > 0):
        raise ParameterError(f"threshold_s must be a positive number of seconds, got {threshold_s}")
    if min_accents < 1:
        raise ParameterError(f"min_accents must be >= 1, got {min_accents}")
    if len(o) == 0:
        return []
    med = rolling_median(o, run=run)
    out = []
    for kind, sign in (("early", -1.0), ("late", 1.0)):
        core = sign * med > threshold_s
        own = sign * o > threshold_s
        mark = core.copy()
        for i in np.flatnonzero(core):  # grow each core outwards over accents beyond it too
            for step in (-1, 1):
                k = i + step
                while 0 <= k < len(o) and own[k] and not mark[k]:
                    mark[k] = True
                    k += step
        edges = np.diff(np.concatenate([[0], mark.astype(int), [0]]))
        for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
            if b - a >= min_accents:
                out.append(
                    Stretch(
                        kind, float(t[a]), float(t[b - 1]), float(np.median(o[a:b])), int(b - a)
                    )
                )
    return sorted(out, key=lambda s: s.start_s)
