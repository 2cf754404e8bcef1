"""The explicit loss of MuDaR: a focal loss on the per-frame visual rhythm (Eq. 19)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from mudar.errors import ParameterError


class FocalLoss(nn.Module):
    """Binary focal loss (Lin et al. 2017) of per-frame rhythm logits against music onsets.

    Eq. 19, with ``p = sigmoid(x)`` the predicted probability that a frame is a rhythm frame
    and ``y`` in {0, 1} whether the music has an onset there:

    ``FL = -alpha (1 - p)^gamma y log p - (1 - alpha) p^gamma (1 - y) log(1 - p)``,

    averaged over every frame of every clip. Rhythm frames are rare (a few in ten), and the
    ``(1 - p)^gamma`` factor lets the many easy empty frames weigh little.
    ``log p`` and ``log(1 - p)`` are ``logsigmoid(x)`` and ``logsigmoid(-x)``, finite for any
    logit.

    Parameters
    ----------
    gamma : float
        Focusing exponent, ``>= 0`` (0 gives a weighted BCE).
    alpha : float
        Weight of the positive frames, in ``[0, 1]``.

    Attributes
    ----------
    parts : dict of str to torch.Tensor
        The last call's parts, detached: ``per_item`` (B,) means over each clip's frames.
    """

    def __init__(self, gamma: float = 2.0, alpha: float = 0.25):
        super().__init__()
        if gamma < 0 or not 0 <= alpha <= 1:
            raise ParameterError(f"need gamma >= 0 and 0 <= alpha <= 1, got {gamma}, {alpha}")
        self.gamma = float(gamma)
        self.alpha = float(alpha)
        self.parts: dict[str, torch.Tensor] = {}

    def forward(
        self,
        logits: torch.Tensor,
        targets: torch.Tensor,
        *,
        mask: torch.Tensor | None = None,
        return_parts: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The mean focal loss.

        Parameters
        ----------
        logits : torch.Tensor, shape (B, T)
            Rhythm logits of each frame.
        targets : torch.Tensor, shape (B, T)
            Binary targets (music onset maxima per frame), any dtype.
        mask : torch.Tensor, shape (B, T), optional
            1 for frames that count, 0 for those that do not (the mean is over the counted
            frames). Default: all count.
        return_parts : bool
            Also return the parts.

        Returns
        -------
        loss : torch.Tensor, scalar
        parts : dict, only with ``return_parts``
            ``per_item`` (B,) and ``per_frame`` (B, T), detached.

        Raises
        ------
        ParameterError
            If the shapes differ or are not (B, T).
        """
        if logits.ndim != 2 or targets.shape != logits.shape:
            raise ParameterError(
                f"logits and targets must both be (B, T), got {tuple(logits.shape)} and "
                f"{tuple(targets.shape)}"
            )
        if mask is not None and mask.shape != logits.shape:
            raise ParameterError(f"mask must be {tuple(logits.shape)}, got {tuple(mask.shape)}")
        y = targets.to(logits.dtype)
        log_p = F.logsigmoid(logits)
        log_q = F.logsigmoid(-logits)  # log(1 - p)
        p, q = log_p.exp(), log_q.exp()
        per_frame = -(  # Eq. 19
            self.alpha * q.pow(self.gamma) * y * log_p
            + (1 - self.alpha) * p.pow(self.gamma) * (1 - y) * log_q
        )
        if mask is None:
            loss = per_frame.mean()
            per_item = per_frame.mean(-1)
        else:
            w = mask.to(logits.dtype)
            loss = (per_frame * w).sum() / w.sum().clamp_min(1)
            per_item = (per_frame * w).sum(-1) / w.sum(-1).clamp_min(1)
        self.parts = {"per_item": per_item.detach(), "per_frame": per_frame.detach()}
        return (loss, self.parts) if return_parts else loss
