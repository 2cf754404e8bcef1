"""The contrastive loss on pair distances (Hadsell, Chopra & LeCun 2006), as AVTS uses it.

Korbar et al. (NeurIPS 2018) train their two streams with it; the AVTS and LLA baselines use it,
and MuDaR can take it as its implicit loss (``TrainConfig.implicit_loss = "contrastive"``) to
compare losses on the same model.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from mudar.errors import ParameterError

ETA = 0.99
"""Korbar et al.'s margin eta, on the Euclidean distance of L2-normalised embeddings."""


class ContrastiveLoss(nn.Module):
    """The contrastive loss on pair distances (Korbar et al. 2018, Eq. 1; Hadsell et al. 2006).

    ``L = mean_pos d^2 / 2 + mean_neg max(0, eta - d)^2 / 2``

    Our reading: ``d`` is the Euclidean distance between the L2-normalised embeddings (in
    [0, 2]) and the two kinds of pairs are averaged separately, so the loss stays balanced
    when a method adds extra negatives (LLA's in-batch ones).

    Parameters
    ----------
    margin : float
        eta, > 0.
    """

    def __init__(self, margin: float = ETA):
        super().__init__()
        if not margin > 0:
            raise ParameterError(f"margin must be > 0, got {margin}")
        self.margin = float(margin)

    def forward(
        self, d_pos: torch.Tensor, d_neg: torch.Tensor, *, return_parts: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The loss of a batch.

        Parameters
        ----------
        d_pos : torch.Tensor, shape (B,)
            Distances of the in-sync pairs.
        d_neg : torch.Tensor, shape (N,)
            Distances of the out-of-sync pairs.
        return_parts : bool
            Also return the parts.

        Returns
        -------
        loss : torch.Tensor, scalar
        parts : dict, only with ``return_parts``
            ``loss``; ``d_pos`` and ``d_neg``, the mean distances; ``active``, the share of
            negatives inside the margin; detached scalars.
        """
        hinge = F.relu(self.margin - d_neg)
        loss = 0.5 * (d_pos.pow(2).mean() + hinge.pow(2).mean())
        if not return_parts:
            return loss
        return loss, {
            "loss": loss.detach(),
            "d_pos": d_pos.mean().detach(),
            "d_neg": d_neg.mean().detach(),
            "active": (hinge > 0).float().mean().detach(),
        }


class EmbeddingContrastiveLoss(nn.Module):
    """:class:`ContrastiveLoss` on clip embeddings: MuDaR's ``"contrastive"`` implicit loss.

    It takes what every implicit loss takes (:mod:`mudar.losses.implicit`) and scores each
    clip's dance against its own music (in sync) and against its negative music by
    :func:`pair_distance`.

    Parameters
    ----------
    margin : float
        eta, > 0.
    """

    def __init__(self, margin: float = ETA):
        super().__init__()
        self.pairs = ContrastiveLoss(margin)

    def forward(
        self,
        visual: torch.Tensor,
        audio_pos: torch.Tensor,
        audio_neg: torch.Tensor,
        *,
        groups: torch.Tensor | None = None,
        return_parts: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The loss of a batch (and its parts, as :meth:`ContrastiveLoss.forward`).

        Parameters
        ----------
        visual, audio_pos, audio_neg : torch.Tensor, shape (B, D)
            Dance, its own music and its negative music, embedded.
        groups : torch.Tensor, shape (B,), optional
            Unused: each clip has one given negative (the call of every implicit loss).
        return_parts : bool
            Also return the parts.
        """
        return self.pairs(
            pair_distance(visual, audio_pos),
            pair_distance(visual, audio_neg),
            return_parts=return_parts,
        )


def pair_distance(a: torch.Tensor, b: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Euclidean distance of each row pair, (B, E), (B, E) -> (B,); a tiny floor keeps the
    square root's gradient finite at 0."""
    return (a - b).pow(2).sum(-1).clamp_min(eps).sqrt()
