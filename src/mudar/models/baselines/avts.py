"""AVTS (Korbar, Tran & Torresani, NeurIPS 2018): two streams, a contrastive loss on distances,
and a curriculum from easy to hard negatives.

Korbar et al. train a video and an audio network to tell whether a pair is in sync: the
contrastive loss (Hadsell et al. 2006) pulls the two features of an in-sync pair together and
pushes those of an out-of-sync pair at least a margin apart; the negatives are first easy
(audio of another video) and later hard (the same video's audio, shifted in time). Here the
two streams are MuDaR's implicit pathway (encoders, one :class:`TemporalTransformer` per
modality, time average, linear map, L2 normalisation) with no explicit pathway, and the
curriculum is the ClipSet's own (AVC before ``TrainConfig.avts_from_epoch``, AVTS from then
on), so AVTS differs from MuDaR's implicit pathway only by its loss and the missing rhythm head.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from mudar.losses.contrastive import ContrastiveLoss, pair_distance
from mudar.models.baselines.streams import Streams
from mudar.models.config import MudarConfig
from mudar.models.mudar import TemporalTransformer


class AVTS(Streams):
    """Korbar et al.'s two-stream sync model on MuDaR's implicit pathway.

    Parameters
    ----------
    config : MudarConfig

    Attributes
    ----------
    visual_transformer, audio_transformer : TemporalTransformer
    visual_out, audio_out : nn.Linear
        d -> d before the normalisation (as MuDaR's).
    """

    method = "avts"
    kind = "distance"

    def __init__(self, config: MudarConfig):
        super().__init__(config)
        self.visual_transformer = TemporalTransformer(config)
        self.visual_out = nn.Linear(config.dim, config.dim)
        self.audio_transformer = TemporalTransformer(config)
        self.audio_out = nn.Linear(config.dim, config.dim)
        self.criterion = ContrastiveLoss()

    def visual_stream(self, frames: torch.Tensor, motion: torch.Tensor | None) -> torch.Tensor:
        return self.visual_transformer(self.visual_tokens(frames, motion))

    def audio_stream(self, audio: torch.Tensor) -> torch.Tensor:
        return self.audio_transformer(self.audio_encoder(audio))

    def visual_embedding(self, visual_frames: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.visual_out(visual_frames.mean(1)), dim=-1)

    def audio_embedding(self, audio_frames: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.audio_out(audio_frames.mean(1)), dim=-1)

    def pair_scores(
        self, v: torch.Tensor, a: torch.Tensor, video: torch.Tensor | None
    ) -> torch.Tensor:
        """Embedding distances of each clip's dance to its own music and to its negative, (2B,);
        ``video`` is unused."""
        b = v.shape[0]
        v = self.visual_embedding(v)
        a = self.audio_embedding(a)
        return torch.cat([pair_distance(v, a[:b]), pair_distance(v, a[b:])])

    def sync_score(
        self, frames: torch.Tensor, audio: torch.Tensor, *, motion: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Minus the embedding distance of each (dance, music) pair, (B,)."""
        self.check_batch(frames, motion, audio)
        v = self.visual_embedding(self.visual_stream(frames, motion))
        return -pair_distance(v, self.audio_embedding(self.audio_stream(audio)))
