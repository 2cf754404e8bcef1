"""How a sync estimate is scored, and the confidence above which the estimates are right.

An audio delay estimated from a dance is right when it lies within a tolerance of the true
delay; on a steady tempo every whole-beat shift fits as well as the true one, so there it is
scored modulo one beat (a repair that moves the sound by a whole beat more is heard as in sync).
:func:`reliability_level` turns scored estimates into the level of confidence above which a
given share of them is right: ``mudar sync``'s ``min_confidence``.
"""

from __future__ import annotations

import numpy as np

from mudar.errors import ParameterError

TOLERANCE_S = 0.08
"""An estimate within this many seconds of the true delay is right (``bench_sync.py``'s)."""

STEADY_SPREAD = 0.05
"""A tempo is steady when the median absolute deviation of the beat intervals is at most this
share of their median."""


def sync_errors(
    estimates_s, truth_s, *, beat_s: float | None = None, steady: bool = False
) -> np.ndarray:
    """Absolute error of each delay estimate, modulo one beat on a steady tempo.

    Parameters
    ----------
    estimates_s, truth_s : array-like, shape (n,)
        Estimated and true audio delays, seconds.
    beat_s : float, optional
        Beat period, seconds; used when ``steady``.
    steady : bool
        Score modulo ``beat_s``: the distance to the nearest ``truth + k * beat_s``.

    Returns
    -------
    np.ndarray, float64, shape (n,)
        Seconds, >= 0.

    Raises
    ------
    ParameterError
        Shapes differ, values not finite, or ``steady`` without a positive ``beat_s``.
    """
    e = np.asarray(estimates_s, dtype=np.float64)
    t = np.broadcast_to(np.asarray(truth_s, dtype=np.float64), e.shape)
    if e.ndim != 1 or not (np.all(np.isfinite(e)) and np.all(np.isfinite(t))):
        raise ParameterError("estimates and truths must be 1-D finite seconds of the same length")
    err = e - t
    if steady:
        if beat_s is None or not beat_s > 0:
            raise ParameterError(f"steady scoring needs a positive beat_s, got {beat_s}")
        err = err - beat_s * np.round(err / beat_s)
    return np.abs(err)


def steady_beat(beat_times_s) -> tuple[float | None, bool]:
    """The beat period of a beat track and whether its tempo is steady.

    Parameters
    ----------
    beat_times_s : array-like, shape (b,)
        Beat times, seconds, increasing.

    Returns
    -------
    beat_s : float or None
        Median beat interval, seconds; None with fewer than three beats.
    steady : bool
        Whether the median absolute deviation of the intervals is at most
        :data:`STEADY_SPREAD` of ``beat_s``.
    """
    ibi = np.diff(np.asarray(beat_times_s, dtype=np.float64))
    if len(ibi) < 2:
        return None, False
    beat = float(np.median(ibi))
    return beat, bool(np.median(np.abs(ibi - beat)) <= STEADY_SPREAD * beat)


def reliability_level(confidence, correct, *, share: float = 0.9) -> float:
    """The lowest confidence above which at least ``share`` of the estimates are right.

    The level is the smallest observed confidence ``c`` such that, among the estimates with a
    confidence of at least ``c``, the share that is right is at least ``share``.

    Parameters
    ----------
    confidence : array-like, shape (n,)
        Confidence of each estimate.
    correct : array-like of bool, shape (n,)
        Whether each estimate is right (e.g. ``sync_errors(...) <= TOLERANCE_S``).
    share : float
        In (0, 1].

    Returns
    -------
    float
        The level; ``inf`` when no level reaches ``share`` (nothing can be trusted).

    Raises
    ------
    ParameterError
        Shapes differ or ``share`` outside (0, 1].
    """
    c = np.asarray(confidence, dtype=np.float64)
    ok = np.asarray(correct, dtype=bool)
    if c.shape != ok.shape or c.ndim != 1:
        raise ParameterError(
            f"confidence and correct must be 1-D of one length: {c.shape}, {ok.shape}"
        )
    if not 0 < share <= 1:
        raise ParameterError(f"share must be in (0, 1], got {share}")
    order = np.argsort(-c, kind="stable")
    c, ok = c[order], ok[order]
    right = np.cumsum(ok) / np.arange(1, len(c) + 1)  # share right among the top k
    level = np.inf
    for k in range(len(c)):
        # a level lets in every estimate at or above it: only the last of a run of ties counts
        if (k + 1 == len(c) or c[k + 1] < c[k]) and right[k] >= share:
            level = float(c[k])
    return level


def coverage(confidence, correct, *, level: float) -> dict:
    """How the estimates at or above ``level`` fare: ``{"n", "n_above", "share_above",
    "right_above"}`` (``right_above`` is None when none is above)."""
    c = np.asarray(confidence, dtype=np.float64)
    ok = np.asarray(correct, dtype=bool)
    above = c >= level
    return {
        "n": int(len(c)),
        "n_above": int(above.sum()),
        "share_above": float(above.mean()) if len(c) else 0.0,
        "right_above": float(ok[above].mean()) if above.any() else None,
    }
