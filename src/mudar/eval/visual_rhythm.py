"""Visual rhythm scored against the music onset maxima of the same video (paper sec. 4.1).

Each method gives rhythm frames per video at the model's frame rate; they are matched one-to-one
(each predicted frame to at most one onset frame, as ``mir_eval.onset`` does) within
``tolerance`` frames, and the counts are pooled over all videos (micro average). The paper's
exact-frame precision and recall (tolerance 0) are reported beside. Floors: ``chance`` (seeded
random frames at the video's true onset rate), ``peaks`` (the learned heads' peak decision,
:func:`~mudar.features.dance.peak_decision` with threshold 0, on seeded white noise: what the
peak picker scores on a signal that knows nothing; its peaks are at least two frames apart, as
onsets are, so it beats ``chance``) and ``all`` (every frame).

Control: ``<method>-shifted`` scores each method's rhythm rolled by half the video against the
same onsets. At 8 fps with +-1 frame and onsets in about a fifth of the frames, a rhythm at the
right rate and regularly spaced beats ``chance`` on F1 whatever its timing; only a method that
also beats its own shifted control has found *when* the music's onsets are.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from mudar.clock import DEFAULT_FPS
from mudar.errors import ParameterError
from mudar.eval.rhythm import count_matches, prf
from mudar.features.dance import peak_decision


def _counts(ref: np.ndarray, est: np.ndarray, tolerance: int) -> np.ndarray:
    """(matched, n_reference, n_estimated) of frame indices within ``tolerance`` frames."""
    return np.array([count_matches(ref, est, window_s=tolerance + 1e-6), len(ref), len(est)])


def _prf(counts: np.ndarray) -> dict:
    p, r, f = prf(*(int(c) for c in counts))
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def score_rhythm(
    videos: Iterable[tuple[np.ndarray, dict[str, np.ndarray]]],
    *,
    tolerance: int = 1,
    seed: int = 0,
    controls: bool = False,
    fps: float = DEFAULT_FPS,
) -> dict[str, dict]:
    """Pool the matches of every method over videos.

    Parameters
    ----------
    videos : iterable of (onsets, predictions)
        ``onsets``: binary (n,) music onset maxima per frame; ``predictions``: method name ->
        rhythm frame indices. The floors (:data:`RHYTHM_FLOORS`) are added here.
    tolerance : int
        Frames either side for a match (the issue's +-1 frame).
    seed : int
        Seed of the ``chance`` floor.
    controls : bool
        Also score ``<method>-shifted``: each method's rhythm rolled by half the video.
    fps : float
        Frame rate of the sequences (the ``peaks`` floor's peak picker).

    Returns
    -------
    dict
        method -> {"precision", "recall", "f1", "tolerance_frames", "exact": {p, r, f1}}.
    """
    if tolerance < 0:
        raise ParameterError(f"tolerance must be >= 0, got {tolerance}")
    rng = np.random.default_rng(seed)
    peaks_rng = np.random.default_rng([seed, 1])
    tol: dict[str, np.ndarray] = {}
    exact: dict[str, np.ndarray] = {}
    for onsets, preds in videos:
        onsets = np.asarray(onsets)
        n = len(onsets)
        ref = np.flatnonzero(onsets)
        preds = dict(preds)
        if controls:
            preds.update(
                {f"{k}-shifted": (np.asarray(v, int) + n // 2) % n for k, v in preds.items()}
            )
        preds["chance"] = np.flatnonzero(rng.random(n) < (len(ref) / n if n else 0))
        noise = peaks_rng.random(n)  # its own stream: the chance floor stays as it was
        preds["peaks"] = peak_decision(noise, fps=fps, threshold=0.0)
        preds["all"] = np.arange(n)
        for name, est in preds.items():
            est = np.unique(np.asarray(est, dtype=int))
            tol[name] = tol.get(name, np.zeros(3, int)) + _counts(ref, est, tolerance)
            exact[name] = exact.get(name, np.zeros(3, int)) + _counts(ref, est, 0)
    return {
        name: {**_prf(tol[name]), "tolerance_frames": tolerance, "exact": _prf(exact[name])}
        for name in tol
    }
