"""Multisensory (Owens & Efros, ECCV 2018): early fusion, trained to tell in-sync from shifted.

Owens and Efros fuse the two modalities early: the audio stream's features are tiled over the
video stream's spatial grid and concatenated channel-wise, and a single network then sees both,
ending in one logit, "is this audio in sync with this video?", trained with binary
cross-entropy against time-shifted audio. Here, on MuDaR's encoders:

1. the visual stream is MuDaR's per-frame visual token (:meth:`Streams.visual_tokens`: the
   coarsest pyramid map with its grid, and the motion input, to d), the audio stream the audio
   encoder's per-frame feature (d);
2. fusion, before any temporal layer: each frame's two features concatenated and two layers
   (2d -> d -> d, ReLU). The token holds the whole grid of the frame, so one concatenation per
   frame is Owens and Efros' tiling of the audio over the grid;
3. the fused sequence goes through one :class:`TemporalTransformer`, is averaged over time
   and a linear layer gives the sync logit.

The negatives are the ClipSet's AVTS ones (the clip's own music shifted in time, Eq. 17), from
the first epoch (:func:`mudar.training.baselines.baseline_train_config`).

Per-modality embeddings: a fused network has no embedding of one modality alone, so
:meth:`embed` gives the unimodal stream features *before the fusion* (the visual token and the
audio encoder's feature of each frame) and their time averages, L2-normalised. They are not
trained to share a space (cosine retrieval between them is near chance); :meth:`sync_score` is
the method's own cross-modal score.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from mudar.models.baselines.streams import Streams
from mudar.models.config import MudarConfig
from mudar.models.mudar import TemporalTransformer


class SyncBCELoss(nn.Module):
    """Binary cross-entropy of the sync logits: in-sync pairs 1, shifted ones 0.

    The two classes are averaged separately and then together, so the loss stays balanced
    whatever the numbers of pairs.
    """

    def forward(
        self, pos: torch.Tensor, neg: torch.Tensor, *, return_parts: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The loss of a batch.

        Parameters
        ----------
        pos : torch.Tensor, shape (B,)
            Logits of the in-sync pairs.
        neg : torch.Tensor, shape (N,)
            Logits of the out-of-sync pairs.
        return_parts : bool
            Also return the parts.

        Returns
        -------
        loss : torch.Tensor, scalar
        parts : dict, only with ``return_parts``
            ``loss`` and ``accuracy`` (the share of pairs on the right side of 0), detached.
        """
        l_pos = F.binary_cross_entropy_with_logits(pos, torch.ones_like(pos))
        l_neg = F.binary_cross_entropy_with_logits(neg, torch.zeros_like(neg))
        loss = 0.5 * (l_pos + l_neg)
        if not return_parts:
            return loss
        accuracy = 0.5 * ((pos > 0).float().mean() + (neg < 0).float().mean())
        return loss, {"loss": loss.detach(), "accuracy": accuracy.detach()}


class Multisensory(Streams):
    """Owens & Efros' early-fusion sync network on MuDaR's encoders.

    Parameters
    ----------
    config : MudarConfig

    Attributes
    ----------
    fusion : nn.Sequential
        Per-frame layers over [visual, audio], 2d -> d -> d.
    fused_transformer : TemporalTransformer
    sync_head : nn.Linear
        d -> 1, the sync logit.
    """

    method = "multisensory"
    kind = "logit"

    def __init__(self, config: MudarConfig):
        super().__init__(config)
        d = config.dim
        self.fusion = nn.Sequential(
            nn.Linear(2 * d, d), nn.ReLU(inplace=True), nn.Linear(d, d), nn.ReLU(inplace=True)
        )
        self.fused_transformer = TemporalTransformer(config)
        self.sync_head = nn.Linear(d, 1)
        self.criterion = SyncBCELoss()

    def visual_stream(self, frames: torch.Tensor, motion: torch.Tensor | None) -> torch.Tensor:
        return self.visual_tokens(frames, motion)

    def audio_stream(self, audio: torch.Tensor) -> torch.Tensor:
        return self.audio_encoder(audio)

    def fuse(self, visual: torch.Tensor, audio_feat: torch.Tensor) -> torch.Tensor:
        """The sync logit (B,) of the two streams' per-frame features, (B, T, d) each."""
        x = self.fusion(torch.cat([visual, audio_feat], dim=-1))
        return self.sync_head(self.fused_transformer(x).mean(1)).squeeze(-1)

    def pair_scores(
        self, v: torch.Tensor, a: torch.Tensor, video: torch.Tensor | None
    ) -> torch.Tensor:
        """Sync logits of each clip with its own music and with its negative music, (2B,);
        ``video`` is unused."""
        return self.fuse(torch.cat([v, v]), a)

    def sync_score(
        self, frames: torch.Tensor, audio: torch.Tensor, *, motion: torch.Tensor | None = None
    ) -> torch.Tensor:
        """The fused head's sync logit of each (dance, music) pair, (B,)."""
        self.check_batch(frames, motion, audio)
        return self.fuse(self.visual_stream(frames, motion), self.audio_stream(audio))
