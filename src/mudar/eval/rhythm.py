"""Scores of detected rhythm events (onsets, beats, dance rhythm points) against a reference.

Matching is one-to-one, as ``mir_eval.onset.f_measure`` does it: each estimated event matches at
most one reference event within the tolerance window, and vice versa.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mudar.errors import ParameterError


@dataclass(frozen=True)
class EventScore:
    precision: float
    recall: float
    f1: float
    n_reference: int
    n_estimated: int

    def as_dict(self) -> dict:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1}


def event_f_measure(reference_s, estimated_s, *, window_s: float) -> EventScore:
    """Precision, recall and F-measure of event times with one-to-one matching.

    Parameters
    ----------
    reference_s, estimated_s : array-like, shape (n,), (m,)
        Event times in seconds.
    window_s : float
        Tolerance: a match needs ``|t_est - t_ref| <= window_s``.

    Returns
    -------
    EventScore
        Empty reference and estimate score 1.0 (nothing to find, nothing claimed); one of them
        empty scores 0.

    Raises
    ------
    ParameterError
        Negative or non-finite tolerance, or times that are not 1-D finite numbers.
    """
    if not np.isfinite(window_s) or window_s < 0:
        raise ParameterError(f"window_s must be a finite non-negative number, got {window_s}")
    ref = event_times(reference_s, "reference_s")
    est = event_times(estimated_s, "estimated_s")
    if len(ref) == 0 and len(est) == 0:
        return EventScore(1.0, 1.0, 1.0, 0, 0)
    if len(ref) == 0 or len(est) == 0:
        return EventScore(0.0, 0.0, 0.0, len(ref), len(est))
    p, r, f = prf(count_matches(ref, est, window_s=window_s), len(ref), len(est))
    return EventScore(p, r, f, len(ref), len(est))


def count_matches(reference: np.ndarray, estimated: np.ndarray, *, window_s: float) -> int:
    """Size of the maximum one-to-one matching of events within ``window_s`` (mir_eval's rule).

    ``reference`` and ``estimated`` are sorted 1-D times in any one unit (seconds or frames).
    """
    import mir_eval

    if len(reference) == 0 or len(estimated) == 0:
        return 0
    ref = np.asarray(reference, dtype=np.float64)
    est = np.asarray(estimated, dtype=np.float64)
    return len(mir_eval.util.match_events(ref, est, window_s))


def prf(matched: int, n_reference: int, n_estimated: int) -> tuple[float, float, float]:
    """Precision, recall and F-measure from match counts (0 where a count is 0)."""
    p = matched / n_estimated if n_estimated else 0.0
    r = matched / n_reference if n_reference else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def event_times(x, name: str) -> np.ndarray:
    """``x`` as sorted float64 event times; :class:`ParameterError` naming ``name`` unless it
    is 1-D and finite."""
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 1 or not np.all(np.isfinite(a)):
        raise ParameterError(f"{name} must be a 1-D array of finite times in seconds")
    return np.sort(a)
