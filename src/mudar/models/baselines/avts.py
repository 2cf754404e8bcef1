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

from mudar.errors import ParameterError
from mudar.models.baselines.streams import Streams, SyncOutput
from mudar.models.config import MudarConfig
from mudar.models.mudar import TemporalTransformer

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
        self, d_pos: torch.Tensor, d_neg: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Loss and parts (``loss``, ``d_pos`` and ``d_neg``: mean distances; ``active``: share
        of negatives inside the margin).

        Parameters
        ----------
        d_pos : torch.Tensor, shape (B,)
            Distances of the in-sync pairs.
        d_neg : torch.Tensor, shape (N,)
            Distances of the out-of-sync pairs.
        """
        hinge = F.relu(self.margin - d_neg)
        loss = 0.5 * (d_pos.pow(2).mean() + hinge.pow(2).mean())
        return loss, {
            "loss": loss.detach(),
            "d_pos": d_pos.mean().detach(),
            "d_neg": d_neg.mean().detach(),
            "active": (hinge > 0).float().mean().detach(),
        }


def pair_distance(a: torch.Tensor, b: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Euclidean distance of each row pair, (B, E), (B, E) -> (B,); a tiny floor keeps the
    square root's gradient finite at 0."""
    return (a - b).pow(2).sum(-1).clamp_min(eps).sqrt()


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

    def forward(
        self,
        frames: torch.Tensor,
        motion: torch.Tensor | None,
        audio: torch.Tensor,
        *,
        neg_audio: torch.Tensor,
        video: torch.Tensor | None = None,
    ) -> SyncOutput:
        """Embedding distances of each clip's dance to its own music and to its negative.

        Parameters
        ----------
        frames : torch.Tensor, shape (B, T, 3, S, S)
        motion : torch.Tensor, shape (B, T, hoof_bins + 1), or None
            None only when the config's visual token takes no motion.
        audio, neg_audio : torch.Tensor, shape (B, R, T * sub)
        video : torch.Tensor, shape (B,), optional
            Ignored (the contract of every baseline's ``forward``).

        Returns
        -------
        SyncOutput
            ``kind="distance"``, ``pos`` and ``neg`` of shape (B,).
        """
        self.check_batch(frames, motion, audio, neg_audio)
        b = frames.shape[0]
        v = self.visual_embedding(self.visual_stream(frames, motion))
        a = self.audio_embedding(self.audio_stream(torch.cat([audio, neg_audio])))
        return SyncOutput(pos=pair_distance(v, a[:b]), neg=pair_distance(v, a[b:]), kind="distance")

    def sync_score(
        self, frames: torch.Tensor, audio: torch.Tensor, *, motion: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Minus the embedding distance of each (dance, music) pair, (B,)."""
        self.check_batch(frames, motion, audio)
        v = self.visual_embedding(self.visual_stream(frames, motion))
        return -pair_distance(v, self.audio_embedding(self.audio_stream(audio)))

    def loss(self, out: SyncOutput) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        return self.criterion(out.pos, out.neg)
