"""An alternative implicit loss: InfoNCE over the batch plus the pretext task's negative.

Not in the paper (which uses the triplet loss of Eq. 18, :mod:`mudar.losses.triplet`). On small
data the triplet loss with AVC/AVTS negatives settles where every distance equals every other
(the loss sits at its margin and the clip embeddings barely move between clips: FaceNet's
collapse under hard negatives). InfoNCE scores each dance against every music of the batch, so
it keeps the embeddings spread while still ranking the pretext negative below the true music.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from mudar.errors import ParameterError


class InfoNCELoss(nn.Module):
    """Symmetric InfoNCE between dance and music clip embeddings, with one extra negative each.

    With L2-normalised ``v_i`` (dance), ``a_j`` (the batch's music), ``n_i`` (clip i's AVC or
    AVTS negative music) and ``s = cos / tau``:

    ``L_v->a = -mean_i log( e^{s(v_i,a_i)} / (sum_j e^{s(v_i,a_j)} + e^{s(v_i,n_i)}) )``,
    ``L_a->v = -mean_i log( e^{s(v_i,a_i)} / sum_j e^{s(v_j,a_i)} )``, ``L = (L_v->a + L_a->v)/2``.

    Pairs of different clips of the same video (``groups``) are left out of the sums: their
    music overlaps, so they are not negatives.

    Parameters
    ----------
    temperature : float
        ``tau``, ``> 0``.
    eps : float
        Guards the normalisation of zero vectors.
    """

    def __init__(self, temperature: float = 0.1, *, eps: float = 1e-8):
        super().__init__()
        if not temperature > 0:
            raise ParameterError(f"temperature must be > 0, got {temperature}")
        self.temperature = float(temperature)
        self.eps = float(eps)
        self.parts: dict[str, torch.Tensor] = {}

    def forward(
        self,
        visual: torch.Tensor,
        audio_pos: torch.Tensor,
        audio_neg: torch.Tensor | None = None,
        *,
        groups: torch.Tensor | None = None,
        return_parts: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The loss of a batch.

        Parameters
        ----------
        visual, audio_pos : torch.Tensor, shape (B, D)
        audio_neg : torch.Tensor, shape (B, D), optional
        groups : torch.Tensor, int, shape (B,), optional
            Video of each clip.
        return_parts : bool
            Also return the parts.

        Returns
        -------
        loss : torch.Tensor, scalar
        parts : dict, only with ``return_parts``
            ``v2a``, ``a2v``; ``acc``, the top-1 accuracy dance -> music; ``neg_acc`` (with
            ``audio_neg``), the share of clips whose true music beats the pretext negative;
            detached scalars. The same dict is kept as :attr:`parts`.

        Raises
        ------
        ParameterError
            If the shapes do not fit.
        """
        if visual.ndim != 2 or audio_pos.shape != visual.shape:
            raise ParameterError(
                f"visual and audio_pos must both be (B, D), got {tuple(visual.shape)}, "
                f"{tuple(audio_pos.shape)}"
            )
        if audio_neg is not None and audio_neg.shape != visual.shape:
            raise ParameterError(f"audio_neg must be {tuple(visual.shape)}, got {audio_neg.shape}")
        b = visual.shape[0]
        if groups is not None and groups.shape != (b,):
            raise ParameterError(f"groups must have shape ({b},), got {tuple(groups.shape)}")
        v = F.normalize(visual, dim=-1, eps=self.eps)
        a = F.normalize(audio_pos, dim=-1, eps=self.eps)
        s = v @ a.T / self.temperature  # (B, B): dance i against music j
        eye = torch.eye(b, dtype=torch.bool, device=s.device)
        if groups is not None:
            same = (groups[:, None] == groups[None, :]) & ~eye
            s = s.masked_fill(same, float("-inf"))
        target = torch.arange(b, device=s.device)
        row = s
        if audio_neg is not None:
            n = F.normalize(audio_neg, dim=-1, eps=self.eps)
            s_neg = (v * n).sum(-1, keepdim=True) / self.temperature
            row = torch.cat((s, s_neg), dim=1)
        v2a = F.cross_entropy(row, target)
        a2v = F.cross_entropy(s.T, target)
        loss = (v2a + a2v) / 2
        with torch.no_grad():
            parts = {
                "v2a": v2a.detach(),
                "a2v": a2v.detach(),
                "acc": (row.argmax(1) == target).float().mean(),
            }
            if audio_neg is not None:
                parts["neg_acc"] = (s.diagonal() > s_neg[:, 0]).float().mean()
        self.parts = parts
        return (loss, self.parts) if return_parts else loss
