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
    import mir_eval

    if not np.isfinite(window_s) or window_s < 0:
        raise ParameterError(f"window_s must be a finite non-negative number, got {window_s}")
    ref = _times(reference_s, "reference_s")
    est = _times(estimated_s, "estimated_s")
    if len(ref) == 0 and len(est) == 0:
        return EventScore(1.0, 1.0, 1.0, 0, 0)
    if len(ref) == 0 or len(est) == 0:
        return EventScore(0.0, 0.0, 0.0, len(ref), len(est))
    matched = len(mir_eval.util.match_events(ref, est, window_s))
    p, r = matched / len(est), matched / len(ref)
    f = 0.0 if matched == 0 else 2 * p * r / (p + r)
    return EventScore(p, r, f, len(ref), len(est))


def _times(x, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 1 or not np.all(np.isfinite(a)):
        raise ParameterError(f"{name} must be a 1-D array of finite times in seconds")
    return np.sort(a)
