"""LLA, "Look, Listen, and Attend" (Cheng et al., ACM MM 2020): co-attention between the audio
and visual streams, trained contrastively.

Cheng et al. put a co-attention module between two unimodal subnetworks: each modality's
features attend to the other's (queries from one, keys and values from the other) before a
pair is judged, and the downstream tasks use each subnetwork alone. Here:

1. the streams are MuDaR's implicit pathway up to its per-frame outputs (encoders and one
   :class:`TemporalTransformer` per modality, which also gives each modality its
   self-attention);
2. a co-attention layer (:class:`CoAttention`) lets the dance frames attend to the music
   frames and the music frames to the dance frames;
3. the co-attended sequences are averaged over time, mapped linearly and L2-normalised, and
   the contrastive loss of AVTS (:class:`~mudar.losses.contrastive.ContrastiveLoss`) pulls
   in-sync pairs together and pushes out-of-sync ones apart.

Negatives: the ClipSet's AVC ones (music of another video, throughout:
:func:`mudar.training.baselines.baseline_train_config`) and in-batch ones (each clip's dance
with the next clip's music in the batch, unless both come from the same video).

Per-modality embeddings (:meth:`embed`): the co-attention needs both modalities, so a dance or a
song alone is embedded by its stream, before the co-attention (as Cheng et al. use the
subnetworks downstream): the per-frame stream outputs and their time averages L2-normalised.
:meth:`sync_score` is the co-attended pair's score.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from mudar.losses.contrastive import ContrastiveLoss, pair_distance
from mudar.models.baselines.streams import Streams
from mudar.models.config import MudarConfig
from mudar.models.mudar import TemporalTransformer


class CoAttention(nn.Module):
    """One co-attention layer: each modality's frames attend to the other's.

    Pre-norm, as MuDaR's transformer layers: ``v + Attn(LN v, LN a, LN a)`` and
    ``a + Attn(LN a, LN v, LN v)`` (both from the inputs, so the two directions are
    symmetric), each followed by a feed-forward block of width 2d.

    Parameters
    ----------
    config : MudarConfig
        Uses ``dim``, ``heads`` and ``dropout``.
    """

    def __init__(self, config: MudarConfig):
        super().__init__()
        d, h, p = config.dim, config.heads, config.dropout
        self.v_from_a = nn.MultiheadAttention(d, h, dropout=p, batch_first=True)
        self.a_from_v = nn.MultiheadAttention(d, h, dropout=p, batch_first=True)
        self.norm_v, self.norm_a = nn.LayerNorm(d), nn.LayerNorm(d)
        self.ff_v, self.ff_a = _feed_forward(d, p), _feed_forward(d, p)

    def forward(self, v: torch.Tensor, a: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, T, d), (B, T', d) -> the co-attended (B, T, d), (B, T', d)."""
        nv, na = self.norm_v(v), self.norm_a(a)
        v = v + self.v_from_a(nv, na, na, need_weights=False)[0]
        a = a + self.a_from_v(na, nv, nv, need_weights=False)[0]
        return v + self.ff_v(v), a + self.ff_a(a)


def _feed_forward(d: int, p: float) -> nn.Sequential:
    return nn.Sequential(
        nn.LayerNorm(d),
        nn.Linear(d, 2 * d),
        nn.ReLU(inplace=True),
        nn.Dropout(p),
        nn.Linear(2 * d, d),
    )


class LLA(Streams):
    """Cheng et al.'s co-attention sync model on MuDaR's implicit pathway.

    Parameters
    ----------
    config : MudarConfig

    Attributes
    ----------
    visual_transformer, audio_transformer : TemporalTransformer
    co_attention : CoAttention
    visual_out, audio_out : nn.Linear
        d -> d after the co-attention, before the normalisation.
    """

    method = "lla"
    kind = "distance"

    def __init__(self, config: MudarConfig):
        super().__init__(config)
        self.visual_transformer = TemporalTransformer(config)
        self.audio_transformer = TemporalTransformer(config)
        self.co_attention = CoAttention(config)
        self.visual_out = nn.Linear(config.dim, config.dim)
        self.audio_out = nn.Linear(config.dim, config.dim)
        self.criterion = ContrastiveLoss()

    def visual_stream(self, frames: torch.Tensor, motion: torch.Tensor | None) -> torch.Tensor:
        return self.visual_transformer(self.visual_tokens(frames, motion))

    def audio_stream(self, audio: torch.Tensor) -> torch.Tensor:
        return self.audio_transformer(self.audio_encoder(audio))

    def pair_distance(self, v: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        """Distance of each co-attended pair of streams, (B, T, d), (B, T, d) -> (B,)."""
        v, a = self.co_attention(v, a)
        v = F.normalize(self.visual_out(v.mean(1)), dim=-1)
        a = F.normalize(self.audio_out(a.mean(1)), dim=-1)
        return pair_distance(v, a)

    def pair_scores(
        self, v: torch.Tensor, a: torch.Tensor, video: torch.Tensor | None
    ) -> torch.Tensor:
        """Co-attended distances of each clip's dance to its own music, to its negative music
        and to the next clip's music (unless both clips come from one video; none without
        ``video``), (2B + the in-batch pairs kept,)."""
        b = v.shape[0]
        a, a_neg = a[:b], a[b:]
        pairs_v, pairs_a = [v, v], [a, a_neg]
        if video is not None and b > 1:
            keep = video != video.roll(-1)  # clip i with clip i + 1's music
            if keep.any():
                pairs_v.append(v[keep])
                pairs_a.append(a.roll(-1, dims=0)[keep])
        return self.pair_distance(torch.cat(pairs_v), torch.cat(pairs_a))

    def sync_score(
        self, frames: torch.Tensor, audio: torch.Tensor, *, motion: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Minus the co-attended distance of each (dance, music) pair, (B,)."""
        self.check_batch(frames, motion, audio)
        return -self.pair_distance(self.visual_stream(frames, motion), self.audio_stream(audio))
