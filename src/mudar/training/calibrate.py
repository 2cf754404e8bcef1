"""The rhythm decision of the learned head: its peak threshold, chosen on a calibration split of
the *training* videos, and the paper's rule (``p > 0.5`` per frame) for comparison.

The held-out (validation) videos are what the model card and the bench report figures on, so
they take no part in choosing the threshold (they used to: the figures were then optimistic).
The calibration videos are a seeded share of the training videos (:func:`calibration_ids`);
the model has seen them in training, which makes their probabilities somewhat sharper than on
new videos, but the threshold is on the min-max scaled probability, where that matters little.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mudar.errors import ParameterError

CALIBRATION_FRACTION = 0.25
"""Share of the training videos the threshold is calibrated on (at least one video)."""

PAPER_THRESHOLD = 0.5
"""The paper's decision (sec. 3.1.2, Eq. 15: a binary classifier per frame): ``p > 0.5``."""


def calibration_ids(
    train_ids: Sequence[str], *, fraction: float = CALIBRATION_FRACTION, seed: int = 0
) -> list[str]:
    """A seeded share of the training videos for calibrating the threshold.

    Parameters
    ----------
    train_ids : sequence of str
        The training videos (one side of :func:`mudar.data.clips.clipset.split_videos`).
    fraction : float
        In ``(0, 1]``: ``round(fraction * n)`` videos, at least one.
    seed : int
        The same seed gives the same videos for the same list.

    Returns
    -------
    list of str
        In the order of ``train_ids``; empty when ``train_ids`` is.

    Raises
    ------
    ParameterError
        If ``fraction`` is outside ``(0, 1]``.
    """
    if not 0 < fraction <= 1:
        raise ParameterError(f"fraction must be in (0, 1], got {fraction}")
    ids = list(train_ids)
    if not ids:
        return []
    n = max(1, round(fraction * len(ids)))
    pick = np.random.default_rng(np.random.SeedSequence([int(seed), 13])).permutation(len(ids))
    chosen = set(pick[:n].tolist())
    return [v for k, v in enumerate(ids) if k in chosen]


def paper_rule_frames(probability: np.ndarray, *, threshold: float = PAPER_THRESHOLD) -> np.ndarray:
    """Rhythm frames by the paper's rule: every frame whose probability exceeds ``threshold``.

    Parameters
    ----------
    probability : np.ndarray, shape (n_frames,)
        The head's per-frame probability (not scaled).
    threshold : float
        In ``[0, 1]``; the paper's 0.5 by default.

    Returns
    -------
    np.ndarray, int, shape (k,)
        Frame indices, increasing. A run of frames above the threshold gives each of them (the
        paper scores frames, not events).

    Raises
    ------
    ParameterError
        If ``probability`` is not 1-D or ``threshold`` outside ``[0, 1]``.
    """
    p = np.asarray(probability, dtype=np.float64)
    if p.ndim != 1:
        raise ParameterError(f"probability must be 1-D, got shape {p.shape}")
    if not 0 <= threshold <= 1:
        raise ParameterError(f"threshold must be in [0, 1], got {threshold}")
    return np.flatnonzero(p > threshold)


def best_threshold(model, clipset, *, batch_size: int = 16) -> float:
    """The peak threshold (:func:`mudar.features.dance.peak_decision`, on the min-max scaled
    probability) that maximises the mean F1 (one-to-one, +-1 frame) of the no-audio rhythm on
    ``clipset``'s clips against their music onsets.

    ``clipset`` is the calibration split of the training videos (:func:`calibration_ids`),
    never the videos the figures are reported on. The no-audio path is the honest visual
    rhythm detector (with music, the labels can leak through the audio branch), so it is the
    one calibrated.
    """
    import torch
    from torch.utils.data import DataLoader

    from mudar.eval.rhythm import event_f_measure
    from mudar.features.dance import peak_decision

    probs, targets = [], []
    model.eval()
    with torch.no_grad():
        for batch in DataLoader(clipset, batch_size=batch_size):
            probs.append(model.rhythm(batch["frames"], batch["motion"], None).numpy())
            targets.append(batch["onsets"].numpy())
    probs, targets = np.concatenate(probs), np.concatenate(targets)
    fps = model.config.fps
    best, best_f = 0.0, -1.0
    for th in np.round(np.arange(0.0, 0.91, 0.05), 2):
        f = np.mean(
            [
                event_f_measure(
                    np.flatnonzero(t) / fps,
                    peak_decision(p, fps=fps, threshold=th) / fps,
                    window_s=1.0 / fps + 1e-6,
                ).f1
                for p, t in zip(probs, targets, strict=True)
            ]
        )
        if f > best_f:
            best, best_f = float(th), f
    return best
