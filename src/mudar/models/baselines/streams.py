"""What every baseline shares with MuDaR: its encoders, its clip contract and ``embed``.

A baseline is built from the same :class:`~mudar.models.config.MudarConfig` as MuDaR and reuses
its visual encoder and per-frame visual token (PWC-Net's feature pyramid on every frame, the
coarsest map projected to d, plus the motion input when the config says so), its audio encoder
and, where the method has per-modality temporal layers, its
:class:`~mudar.models.mudar.TemporalTransformer`, so that a difference in the results comes from
the method (fusion, loss, negatives), not from the plumbing. Each one exposes MuDaR's
``embed(frames, audio, *, motion=)`` contract, so :mod:`mudar.tasks.embed`, classification and
retrieval take it unchanged, and a ``sync_score`` of aligned pairs from its own pretext head.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from mudar.errors import ParameterError
from mudar.models.audio_encoder import AudioEncoder
from mudar.models.config import MudarConfig
from mudar.models.mudar import Embeddings, encode_frames, visual_token
from mudar.models.pwcnet import FeaturePyramid


@dataclass
class SyncOutput:
    """One score per (dance, music) pair of a batch: what a baseline's ``loss`` needs.

    Attributes
    ----------
    pos : torch.Tensor, shape (B,)
        Of each clip with its own music (in sync).
    neg : torch.Tensor, shape (N,)
        Of the out-of-sync pairs (the ClipSet's negative music; LLA adds in-batch ones).
    kind : {"logit", "distance"}
        ``logit``: the fused head's sync logit (multisensory); ``distance``: the Euclidean
        distance between the L2-normalised dance and music embeddings (avts, lla).
    """

    pos: torch.Tensor
    neg: torch.Tensor
    kind: str


class Streams(nn.Module):
    """The visual and audio streams of a baseline, MuDaR's encoders.

    Parameters
    ----------
    config : MudarConfig

    Attributes
    ----------
    method : str
        The method's name (``mudar train --method``), stored in checkpoints.
    kind : {"logit", "distance"}
        What :meth:`pair_scores` gives (:attr:`SyncOutput.kind`).
    criterion : nn.Module
        The method's loss of the pair scores, ``criterion(pos, neg, *, return_parts=False)``;
        set by each method.
    visual_encoder : FeaturePyramid
    visual_proj : nn.Linear
        The coarsest pyramid map of a frame (its grid flattened, or averaged) -> d.
    visual_motion_proj : nn.Linear or None
        The frame's motion input -> d, added (``config.visual_motion``).
    audio_encoder : AudioEncoder
        The stacked audio input -> (B, T, d).
    """

    method: ClassVar[str] = ""
    kind: ClassVar[str] = ""

    def __init__(self, config: MudarConfig):
        super().__init__()
        self.config = config
        self.visual_encoder = FeaturePyramid(config.encoder_channels)
        self.visual_encoder.to(memory_format=torch.channels_last)
        cells = config.grid_cells if config.visual_grid else 1
        self.visual_proj = nn.Linear(self.visual_encoder.out_channels * cells, config.dim)
        self.visual_motion_proj = (
            nn.Linear(config.motion_dim, config.dim) if config.visual_motion else None
        )
        self.audio_encoder = AudioEncoder(config)

    # --- inputs --------------------------------------------------------------------------

    def check_frames(self, frames: torch.Tensor) -> None:
        s = self.config.frame_size
        if frames.ndim != 5 or tuple(frames.shape[2:]) != (3, s, s):
            raise ParameterError(f"frames must have shape (B, T, 3, {s}, {s}), got {frames.shape}")

    def check_audio(self, audio: torch.Tensor, like: torch.Tensor | None, name: str) -> None:
        """``audio`` is (B, R, T * sub); with ``like`` (frames), of the same B and T."""
        c = self.config
        if audio.ndim != 3 or audio.shape[1] != c.audio_rows:
            raise ParameterError(
                f"{name} must have shape (B, {c.audio_rows}, T*{c.sub}), got {audio.shape}"
            )
        if like is not None:
            b, t = like.shape[:2]
            if (audio.shape[0], audio.shape[2]) != (b, t * c.sub):
                raise ParameterError(
                    f"{name} must cover {b} clips of {t} frames, i.e. shape "
                    f"({b}, {c.audio_rows}, {t * c.sub}); got {tuple(audio.shape)}"
                )

    def check_motion(self, motion: torch.Tensor | None, frames: torch.Tensor) -> None:
        """``motion`` is (B, T, motion_dim) for the frames; None only if the visual token
        does not take it."""
        b, t = frames.shape[:2]
        shape = (b, t, self.config.motion_dim)
        if motion is None:
            if self.visual_motion_proj is not None:
                raise ParameterError("this model's visual embedding needs the motion input")
        elif motion.shape != shape:
            raise ParameterError(f"motion must have shape {shape}, got {motion.shape}")

    def encode_frames(self, frames: torch.Tensor) -> torch.Tensor:
        """``f_rgb``, the coarsest pyramid map of every frame (as :meth:`MuDaR.encode_frames`).

        Parameters
        ----------
        frames : torch.Tensor, float32, shape (B, T, 3, S, S)
            RGB in [0, 1].

        Returns
        -------
        torch.Tensor, shape (B, T, C, h, w)
        """
        return encode_frames(self.visual_encoder, frames)

    # --- what each method defines ---------------------------------------------------------

    def visual_tokens(self, frames: torch.Tensor, motion: torch.Tensor | None) -> torch.Tensor:
        """MuDaR's per-frame visual token (its implicit pathway before the transformer): the
        coarsest pyramid map, its grid flattened (``config.visual_grid``) or averaged, mapped
        to d, plus the mapped motion input (``config.visual_motion``); (B, T, d)."""
        return visual_token(
            self.encode_frames(frames),
            motion,
            config=self.config,
            proj=self.visual_proj,
            motion_proj=self.visual_motion_proj,
        )

    def visual_stream(self, frames: torch.Tensor, motion: torch.Tensor | None) -> torch.Tensor:
        """Per-frame visual features of the dance, (B, T, 3, S, S) and (B, T, motion_dim)
        -> (B, T, d)."""
        raise NotImplementedError

    def audio_stream(self, audio: torch.Tensor) -> torch.Tensor:
        """Per-frame audio features of the music, (B, R, T * sub) -> (B, T, d)."""
        raise NotImplementedError

    def visual_embedding(self, visual_frames: torch.Tensor) -> torch.Tensor:
        """Clip embedding of the dance, (B, T, d) -> (B, d), L2-normalised; default the
        normalised time average."""
        return F.normalize(visual_frames.mean(1), dim=-1)

    def audio_embedding(self, audio_frames: torch.Tensor) -> torch.Tensor:
        """Clip embedding of the music, (B, T, d) -> (B, d), L2-normalised."""
        return F.normalize(audio_frames.mean(1), dim=-1)

    def sync_score(
        self, frames: torch.Tensor, audio: torch.Tensor, *, motion: torch.Tensor | None = None
    ) -> torch.Tensor:
        """How much each clip's dance is in sync with the music beside it, (B,), higher is
        more in sync: the method's own pretext head (``motion`` as for :meth:`embed`)."""
        raise NotImplementedError

    def check_batch(
        self,
        frames: torch.Tensor,
        motion: torch.Tensor | None,
        audio: torch.Tensor,
        neg_audio: torch.Tensor | None = None,
    ) -> None:
        """Inputs of ``forward`` and ``sync_score``: shapes that fit the config and each other."""
        self.check_frames(frames)
        self.check_motion(motion, frames)
        self.check_audio(audio, frames, "audio")
        if neg_audio is not None:
            self.check_audio(neg_audio, frames, "neg_audio")

    def pair_scores(
        self, v: torch.Tensor, a: torch.Tensor, video: torch.Tensor | None
    ) -> torch.Tensor:
        """The method's score of each (dance, music) pair of a training batch.

        Parameters
        ----------
        v : torch.Tensor, shape (B, T, d)
            :meth:`visual_stream` of the clips.
        a : torch.Tensor, shape (2B, T, d)
            :meth:`audio_stream` of each clip's own music, then of its negative music.
        video : torch.Tensor, int, shape (B,), or None
            Video (music) of each clip, for a method that adds in-batch negatives.

        Returns
        -------
        torch.Tensor, shape (B + N,)
            The B in-sync pairs first, then the N out-of-sync ones.
        """
        raise NotImplementedError

    def forward(
        self,
        frames: torch.Tensor,
        motion: torch.Tensor | None,
        audio: torch.Tensor,
        *,
        neg_audio: torch.Tensor,
        video: torch.Tensor | None = None,
    ) -> SyncOutput:
        """Scores of each clip's dance with its own music and with its negatives.

        Parameters
        ----------
        frames : torch.Tensor, shape (B, T, 3, S, S)
        motion : torch.Tensor, shape (B, T, motion_dim), or None
            None only when the config's visual token takes no motion.
        audio, neg_audio : torch.Tensor, shape (B, R, T * sub)
        video : torch.Tensor, int, shape (B,), optional
            Video of each clip: a method that adds in-batch negatives (lla) skips pairs of
            clips of one video, and adds none without it; the others ignore it.

        Returns
        -------
        SyncOutput
            ``kind`` the method's, ``pos`` (B,) and ``neg`` (N,).
        """
        self.check_batch(frames, motion, audio, neg_audio)
        b = frames.shape[0]
        v = self.visual_stream(frames, motion)
        a = self.audio_stream(torch.cat([audio, neg_audio]))  # one pass over both
        scores = self.pair_scores(v, a, video)
        return SyncOutput(pos=scores[:b], neg=scores[b:], kind=self.kind)

    def loss(self, out: SyncOutput) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The method's loss of a :meth:`forward` output and its parts (detached) for logs."""
        return self.criterion(out.pos, out.neg, return_parts=True)

    # --- MuDaR's contract ---------------------------------------------------------------

    def embed(
        self,
        frames: torch.Tensor | None = None,
        audio: torch.Tensor | None = None,
        *,
        motion: torch.Tensor | None = None,
    ) -> Embeddings:
        """Per-modality embeddings of the dance, the music, or both (:meth:`MuDaR.embed`).

        Parameters
        ----------
        frames : torch.Tensor, shape (B, T, 3, S, S), optional
        audio : torch.Tensor, shape (B', R, T' * sub), optional
        motion : torch.Tensor, shape (B, T, motion_dim), optional
            Required with ``frames`` when the visual token takes it (``config.visual_motion``,
            as MuDaR). A baseline has no rhythm head: with ``motion`` the rhythm is a constant
            0 per frame (no peaks; it correlates 0 with any music in retrieval's rhythm score),
            which keeps :func:`mudar.tasks.embed.embed_analysis` unchanged.

        Returns
        -------
        Embeddings
            Clip embeddings (L2-normalised, (B, d)) and per-frame features ((B, T, d)) of the
            modalities given, None for the others; ``rhythm`` zeros (B, T) with ``motion``.

        Raises
        ------
        ParameterError
            No input, or a shape that does not fit the config.
        """
        if frames is None and audio is None:
            raise ParameterError("embed needs frames, audio, or both")
        v_frames = v_emb = a_frames = a_emb = rhythm = None
        if frames is not None:
            self.check_frames(frames)
            self.check_motion(motion, frames)
            v_frames = self.visual_stream(frames, motion)
            v_emb = self.visual_embedding(v_frames)
            if motion is not None:
                rhythm = frames.new_zeros(frames.shape[:2])
        if audio is not None:
            self.check_audio(audio, None, "audio")
            a_frames = self.audio_stream(audio)
            a_emb = self.audio_embedding(a_frames)
        return Embeddings(v_emb, a_emb, v_frames, a_frames, rhythm)

    def rhythm(self, *args, **kwargs) -> torch.Tensor:
        """Baselines have no rhythm head: always a :class:`ParameterError`."""
        raise ParameterError(
            f"the {self.method} baseline has no rhythm head; for a learning-free dance rhythm "
            "use hoof-flux or directogram"
        )

    rhythm_output = rhythm
