"""The implicit loss of MuDaR: a triplet loss between dance and music embeddings (Eq. 18)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from mudar.errors import ParameterError


class TripletLoss(nn.Module):
    """Triplet margin loss on L2-normalised embeddings (Eq. 18).

    The anchor is the dance clip's visual embedding, the positive its own music, the negative
    an AVC or AVTS music clip (see :mod:`mudar.data.clips.sampling`):

    ``L_im = mean_i max(0, d(v_i, a_i+) - d(v_i, a_i-) + margin)``.

    Our reading: the embeddings are L2-normalised here (so the loss cannot be lowered by
    scaling them) and ``d`` is the *squared* Euclidean distance, as in FaceNet's triplet loss,
    ``d = |v - a|^2 = 2 - 2 cos(v, a)`` in ``[0, 4]``; ``squared=False`` uses the plain distance
    in ``[0, 2]``. With the default margin of 1 the loss is zero once the negative is at a
    cosine similarity at least 0.5 below the positive's.

    Parameters
    ----------
    margin : float
        ``alpha`` of Eq. 18, ``>= 0`` (``TrainConfig.margin``).
    squared : bool
        Squared (default) or plain Euclidean distance.
    eps : float
        Guards the normalisation of zero vectors.

    Attributes
    ----------
    parts : dict of str to torch.Tensor
        The last call's per-item parts, detached (see :meth:`forward`).
    """

    def __init__(self, margin: float = 1.0, *, squared: bool = True, eps: float = 1e-8):
        super().__init__()
        if margin < 0:
            raise ParameterError(f"margin must be >= 0, got {margin}")
        self.margin = float(margin)
        self.squared = bool(squared)
        self.eps = float(eps)
        self.parts: dict[str, torch.Tensor] = {}

    def forward(
        self,
        visual: torch.Tensor,
        audio_pos: torch.Tensor,
        audio_neg: torch.Tensor,
        *,
        groups: torch.Tensor | None = None,
        return_parts: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The mean triplet loss of a batch.

        Parameters
        ----------
        visual : torch.Tensor, shape (B, D)
            Anchor: dance (visual) embeddings.
        audio_pos : torch.Tensor, shape (B, D)
            Positive: each clip's own music embedding.
        audio_neg : torch.Tensor, shape (B, D)
            Negative: the AVC or AVTS music embedding.
        groups : torch.Tensor, shape (B,), optional
            Unused: each clip has one given negative (the call of every implicit loss,
            :mod:`mudar.losses.implicit`).
        return_parts : bool
            Also return the parts.

        Returns
        -------
        loss : torch.Tensor, scalar
            Mean over the batch.
        parts : dict, only with ``return_parts``
            ``d_pos``, ``d_neg``, ``loss`` (per item, shape (B,)) and ``active`` (scalar: the
            fraction of triplets inside the margin, which still give a gradient); detached.
            The same dict is kept as :attr:`parts`.

        Raises
        ------
        ParameterError
            If the shapes are not all (B, D) alike.
        """
        if visual.ndim != 2 or audio_pos.shape != visual.shape or audio_neg.shape != visual.shape:
            raise ParameterError(
                "visual, audio_pos and audio_neg must all be (B, D), got "
                f"{tuple(visual.shape)}, {tuple(audio_pos.shape)}, {tuple(audio_neg.shape)}"
            )
        v = F.normalize(visual, dim=-1, eps=self.eps)
        p = F.normalize(audio_pos, dim=-1, eps=self.eps)
        n = F.normalize(audio_neg, dim=-1, eps=self.eps)
        d_pos = (v - p).pow(2).sum(-1)
        d_neg = (v - n).pow(2).sum(-1)
        if not self.squared:
            # the sqrt's gradient is infinite at 0; a tiny floor keeps it finite
            d_pos = d_pos.clamp_min(self.eps).sqrt()
            d_neg = d_neg.clamp_min(self.eps).sqrt()
        per_item = F.relu(d_pos - d_neg + self.margin)  # Eq. 18
        loss = per_item.mean()
        self.parts = {
            "d_pos": d_pos.detach(),
            "d_neg": d_neg.detach(),
            "loss": per_item.detach(),
            "active": (per_item > 0).float().mean().detach(),
        }
        return (loss, self.parts) if return_parts else loss
