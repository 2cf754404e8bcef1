"""The peak threshold of the learned rhythm head, chosen on validation videos only."""

from __future__ import annotations

import numpy as np


def best_threshold(model, clipset, *, batch_size: int = 16) -> float:
    """The peak threshold (:func:`mudar.features.dance.peak_decision`, on the min-max scaled
    probability) that maximises the mean F1 (one-to-one, +-1 frame) of the no-audio rhythm on
    ``clipset``'s clips against their music onsets.

    The no-audio path is the honest visual rhythm detector (with music, the labels can leak
    through the audio branch), so it is the one calibrated.
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
