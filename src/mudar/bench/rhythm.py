"""Table 1: visual rhythm of the test dances against their music onsets.

Whole test videos, the model's frame rate, one-to-one matching within +-1 frame, counts pooled
over videos (:func:`mudar.eval.visual_rhythm.score_rhythm`). A learned method is scored
*without the music* at inference (the audio dropout path), the honest measure of a visual
rhythm detector; ``mudar-audio`` (with the music) is the ablation. ``f1_shifted`` is each
method's rhythm rolled by half the video: a method that scores no better than that follows the
music's rate, not its timing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from mudar.clock import DEFAULT_FPS
from mudar.methods import RHYTHM_FLOORS

METRICS = ("precision", "recall", "f1", "f1_exact", "f1_shifted")
"""Columns of the rhythm table (``f1_exact``: tolerance 0 frames)."""


def paper_rule_row(name: str) -> str:
    """Row of a learned method's rhythm by the paper's rule, every frame with ``p > 0.5``
    (:func:`mudar.training.calibrate.paper_rule_frames`), beside its calibrated peaks."""
    return f"{name} (p>0.5)"


def rhythm_frames(analysis, method: str, *, model=None) -> np.ndarray:
    """Dance rhythm frames of a whole analysed video (:func:`mudar.tasks.rhythm.dance_rhythm`).

    Parameters
    ----------
    analysis : Analysis
    method : {"mudar", "mudar-noaudio", "hoof-flux", "directogram"}
    model : MuDaR, optional
        For the ``mudar`` methods.

    Returns
    -------
    np.ndarray, int, shape (k,)
    """
    from mudar.tasks.rhythm import dance_rhythm

    return np.asarray(dance_rhythm(analysis, method=method, model=model)[0], dtype=int)


def rhythm_rows(
    videos: Sequence[tuple[np.ndarray, Mapping[str, np.ndarray]]],
    *,
    seed: int,
    floors: bool = False,
    fps: float = DEFAULT_FPS,
) -> dict[str, dict[str, float]]:
    """Rows of the rhythm table.

    Parameters
    ----------
    videos : sequence of (onsets, predictions)
        Per video, its binary (n,) music onsets and, per row name, its rhythm frames.
    seed : int
        Of the ``chance`` floor.
    floors : bool
        Also the floor rows (``chance``, ``peaks``, ``all``).
    fps : float
        Frame rate of the sequences.

    Returns
    -------
    dict
        Row -> :data:`METRICS` (``f1_shifted`` absent for the floors).
    """
    from mudar.eval.visual_rhythm import score_rhythm

    scores = score_rhythm(videos, tolerance=1, seed=seed, controls=True, fps=fps)
    names = {name for _, preds in videos for name in preds}
    keep = [n for n in sorted(names)] + (list(RHYTHM_FLOORS) if floors else [])
    rows = {}
    for name in keep:
        s = scores[name]
        row = {
            "precision": s["precision"],
            "recall": s["recall"],
            "f1": s["f1"],
            "f1_exact": s["exact"]["f1"],
        }
        if f"{name}-shifted" in scores:
            row["f1_shifted"] = scores[f"{name}-shifted"]["f1"]
        rows[name] = row
    return rows
