"""MotionBeat (arXiv 2510.13244): a music encoder aligned with dance motion (3-D keypoints).

Two encoders, trained together, of which the music one is the product:

- **music encoder**: MuDaR's :class:`~mudar.models.audio_encoder.AudioEncoder` over the same
  stacked audio rows (log-mel, onset envelope, beats, tempogram; one feature per video frame),
  then transformer layers whose self-attention rotates queries and keys by the *bar phase*
  (:mod:`mudar.models.phase`): attention that knows where in the bar a frame is and is
  equivariant to shifts by whole bars. No absolute position code is added: the bar phase is
  the only position the music attention sees. A per-frame **accent head** gives a logit per
  frame: trained by the structural rhythm alignment loss to fire where the dance has its
  events, it is the beat activation of :meth:`MotionBeat.embed_music`.
- **motion encoder**: root-relative, scale-normalised joint positions and their velocities
  (:meth:`MotionBeat.motion_features`), a linear map, residual temporal convolutions, a
  sinusoidal position code, then transformer layers with **contact-guided attention**: every
  attention layer of the motion encoder (and only there) adds ``beta * log(contact_s + eps)``
  to the logits of key frame ``s``, so that frames where a foot is planted, the moments a
  dance marks its beats with, are attended to more (:meth:`MotionBeat.contact_bias`).

Clip embeddings are the time-averaged per-frame outputs through a linear map, L2-normalised.
Both encoders run on the model's frame clock (``fps``, e.g. 8): the motion must be resampled to
it, so that frame ``t`` of the music and of the motion are the same instant. The model takes
tensors only; :mod:`mudar.training.motionbeat` makes them from files.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from mudar.errors import ParameterError
from mudar.models.audio_encoder import AudioEncoder
from mudar.models.motionbeat_config import MotionBeatConfig
from mudar.models.mudar import sinusoid
from mudar.models.phase import PhaseTransformer, phase_from_rows


@dataclass
class MotionBeatOutput:
    """What the losses need from a batch of B clips of T frames (E = d, M hard negatives).

    Attributes
    ----------
    music_emb, motion_emb : torch.Tensor, shape (B, E)
        L2-normalised clip embeddings.
    neg_music_emb : torch.Tensor, shape (B, M, E), or None
        Of each clip's hard negatives, when given.
    music_frames, motion_frames : torch.Tensor, shape (B, T, E)
        Per-frame encoder outputs.
    accent_logits : torch.Tensor, shape (B, T)
        The music accent head (the SRAL takes ``sigmoid`` of it).
    neg_motion_emb : torch.Tensor, shape (B, M, E), or None
        Of each clip's motion negatives, when given (the ECL with ``anchor="music"``).
    """

    music_emb: torch.Tensor
    motion_emb: torch.Tensor
    neg_music_emb: torch.Tensor | None
    music_frames: torch.Tensor
    motion_frames: torch.Tensor
    accent_logits: torch.Tensor
    neg_motion_emb: torch.Tensor | None = None


@dataclass
class MusicEmbedding:
    """The music encoder's outputs for downstream tasks.

    Attributes
    ----------
    frames : torch.Tensor, shape (B, T, E)
        Per-frame embeddings (frame ``t`` at ``t / fps`` seconds).
    emb : torch.Tensor, shape (B, E)
        L2-normalised clip embedding (retrieval, linear probes).
    beat_activation : torch.Tensor, shape (B, T)
        ``sigmoid`` of the accent head, in [0, 1]: where the music would make a dancer mark
        a beat (beat tracking).
    phase : torch.Tensor, shape (B, T)
        The bar phase the attention used, radians.
    """

    frames: torch.Tensor
    emb: torch.Tensor
    beat_activation: torch.Tensor
    phase: torch.Tensor


class _ConvBlock(nn.Module):
    """Residual temporal convolution: x + Conv1d(GELU(GroupNorm(x)))."""

    def __init__(self, dim: int, kernel: int):
        super().__init__()
        self.norm = nn.GroupNorm(1, dim)
        self.conv = nn.Conv1d(dim, dim, kernel, padding=kernel // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, d, T)
        return x + self.conv(F.gelu(self.norm(x)))


class MotionBeat(nn.Module):
    """MotionBeat, built from a :class:`MotionBeatConfig` (see the module notes).

    Attributes
    ----------
    audio_encoder : AudioEncoder
    music_transformer : PhaseTransformer
        Bar-phase rotated self-attention.
    accent_head : nn.Linear
        d -> 1 per frame.
    motion_in : nn.Linear
        ``6 J`` -> d.
    motion_conv : nn.Sequential
        Residual temporal convolutions.
    motion_transformer : PhaseTransformer
        Contact-guided self-attention (no phase rotation).
    """

    def __init__(self, config: MotionBeatConfig):
        super().__init__()
        self.config = c = config
        self.audio_encoder = AudioEncoder(c.audio_config())
        self.music_transformer = PhaseTransformer(
            c.dim, c.heads, c.music_layers, n_harmonics=c.n_harmonics, dropout=c.dropout
        )
        self.music_out = nn.Linear(c.dim, c.dim)
        self.accent_head = nn.Linear(c.dim, 1)
        self.motion_in = nn.Linear(6 * c.n_joints, c.dim)
        self.motion_conv = nn.Sequential(
            *(_ConvBlock(c.dim, c.motion_kernel) for _ in range(c.motion_conv_layers))
        )
        self.motion_transformer = PhaseTransformer(
            c.dim, c.heads, c.motion_layers, n_harmonics=0, dropout=c.dropout
        )
        self.motion_out = nn.Linear(c.dim, c.dim)

    # --- checks -------------------------------------------------------------------------

    def _check_audio(self, audio: torch.Tensor, name: str = "audio") -> None:
        c = self.config
        if audio.ndim != 3 or audio.shape[1] != c.audio_rows or audio.shape[2] % c.sub:
            raise ParameterError(
                f"{name} must have shape (B, {c.audio_rows}, T*{c.sub}), got {tuple(audio.shape)}"
            )

    def _check_joints(self, joints: torch.Tensor) -> None:
        if joints.ndim != 4 or joints.shape[2:] != (self.config.n_joints, 3):
            raise ParameterError(
                f"joints must have shape (B, T, {self.config.n_joints}, 3), "
                f"got {tuple(joints.shape)}"
            )

    # --- music --------------------------------------------------------------------------

    def phase(self, audio: torch.Tensor) -> torch.Tensor:
        """The bar phase (B, T) of each clip, from its beats and onset envelope rows."""
        c = self.config
        self._check_audio(audio)
        return phase_from_rows(
            audio,
            n_mels=c.n_mels,
            beat_row=c.n_mels + 1,
            sub=c.sub,
            fps=c.fps,
            beats_per_bar=c.beats_per_bar,
            estimate=c.estimate_meter,
        )

    def encode_music(
        self, audio: torch.Tensor, phase: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Per-frame features (B, T, E), clip embedding (B, E) and accent logits (B, T).

        Parameters
        ----------
        audio : torch.Tensor, shape (B, R, T * sub)
        phase : torch.Tensor, shape (B, T), optional
            Bar phase; default :meth:`phase` of ``audio``.
        """
        self._check_audio(audio)
        if phase is None:
            phase = self.phase(audio)
        x = self.music_transformer(self.audio_encoder(audio), phase)
        emb = F.normalize(self.music_out(x.mean(1)), dim=-1)
        return x, emb, self.accent_head(x).squeeze(-1)

    # --- motion -------------------------------------------------------------------------

    def motion_features(self, joints: torch.Tensor) -> torch.Tensor:
        """Positions and velocities of the joints, flattened per frame.

        Parameters
        ----------
        joints : torch.Tensor, shape (B, T, J, 3)
            Root-relative, scale-normalised positions on the model's clock
            (:func:`mudar.features.kinematic.normalize_motion` of the joints, resampled to
            ``fps``), in body-scale units.

        Returns
        -------
        torch.Tensor, shape (B, T, 6 J)
            The positions, then the velocities (central differences, one-sided at the ends),
            body scales per second.
        """
        self._check_joints(joints)
        b, t = joints.shape[:2]
        if t > 1:
            vel = torch.gradient(joints, dim=1)[0] * self.config.fps
        else:
            vel = torch.zeros_like(joints)
        return torch.cat([joints.reshape(b, t, -1), vel.reshape(b, t, -1)], dim=-1)

    def contact_bias(self, contact: torch.Tensor) -> torch.Tensor:
        """``beta * log(contact + eps)``: the contact-guided attention's bias of each key frame.

        Parameters
        ----------
        contact : torch.Tensor, shape (B, T)
            Probability that a foot is planted (the most planted foot), in [0, 1].

        Returns
        -------
        torch.Tensor, shape (B, T)
        """
        c = self.config
        return c.contact_beta * torch.log(contact.clamp(0, 1) + c.contact_eps)

    def encode_motion(
        self, joints: torch.Tensor, contact: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-frame features (B, T, E) and clip embedding (B, E) of the motion.

        Parameters
        ----------
        joints : torch.Tensor, shape (B, T, J, 3)
            See :meth:`motion_features`.
        contact : torch.Tensor, shape (B, T), optional
            Foot-contact probability per frame; None: no contact bias.
        """
        x = self.motion_in(self.motion_features(joints))
        x = self.motion_conv(x.transpose(1, 2)).transpose(1, 2)
        x = x + sinusoid(x.shape[1], x.shape[2], device=x.device, dtype=x.dtype)
        bias = None
        if contact is not None:
            if contact.shape != joints.shape[:2]:
                raise ParameterError(
                    f"contact must be {tuple(joints.shape[:2])}, got {tuple(contact.shape)}"
                )
            if self.config.contact_beta > 0:
                bias = self.contact_bias(contact)
        x = self.motion_transformer(x, None, bias)
        return x, F.normalize(self.motion_out(x.mean(1)), dim=-1)

    # --- the model ----------------------------------------------------------------------

    def forward(
        self,
        audio: torch.Tensor,
        joints: torch.Tensor,
        contact: torch.Tensor | None = None,
        *,
        neg_audio: torch.Tensor | None = None,
        neg_joints: torch.Tensor | None = None,
        neg_contact: torch.Tensor | None = None,
    ) -> MotionBeatOutput:
        """Both encoders on a batch of B clips of T frames.

        Parameters
        ----------
        audio : torch.Tensor, float32, shape (B, R, T * sub)
            Stacked audio rows (:func:`mudar.data.clips.inputs.audio_input`).
        joints : torch.Tensor, float32, shape (B, T, J, 3)
            Normalised joint positions on the model's clock (see :meth:`motion_features`).
        contact : torch.Tensor, float32, shape (B, T), optional
            Foot-contact probability.
        neg_audio : torch.Tensor, shape (B, M, R, T * sub), optional
            Hard negatives of each clip (:mod:`mudar.data.clips.motionbeat_negatives`); they go
            through the music encoder in one pass with the positives.
        neg_joints : torch.Tensor, shape (B, M, T, J, 3), optional
            Motion negatives of each clip (e.g. its motion shifted by about a beat,
            :func:`mudar.data.clips.motionbeat_set.motion_jitter_starts`); they go through the
            motion
            encoder in one pass with the positives.
        neg_contact : torch.Tensor, shape (B, M, T), optional
            Their foot contact (needed when ``contact`` is given).

        Returns
        -------
        MotionBeatOutput

        Raises
        ------
        ParameterError
            If a shape does not fit the config or the others.
        """
        self._check_audio(audio)
        self._check_joints(joints)
        b, t = joints.shape[:2]
        if audio.shape[0] != b or audio.shape[2] != t * self.config.sub:
            raise ParameterError(
                f"audio must cover {b} clips of {t} frames, i.e. shape "
                f"({b}, {self.config.audio_rows}, {t * self.config.sub}); "
                f"got {tuple(audio.shape)}"
            )
        m = 0
        both = audio
        if neg_audio is not None:
            if (
                neg_audio.ndim != 4
                or neg_audio.shape[0] != b
                or neg_audio.shape[2:] != audio.shape[1:]
            ):
                raise ParameterError(
                    f"neg_audio must be (B={b}, M, {audio.shape[1]}, {audio.shape[2]}), "
                    f"got {tuple(neg_audio.shape)}"
                )
            m = neg_audio.shape[1]
            both = torch.cat([audio, neg_audio.flatten(0, 1)])
        frames_all, emb_all, accent_all = self.encode_music(both)
        mj = 0
        joints_all, contact_all = joints, contact
        if neg_joints is not None:
            if (
                neg_joints.ndim != 5
                or neg_joints.shape[0] != b
                or neg_joints.shape[2:] != (joints.shape[1:])
            ):
                raise ParameterError(
                    f"neg_joints must be (B={b}, M, {t}, {self.config.n_joints}, 3), "
                    f"got {tuple(neg_joints.shape)}"
                )
            mj = neg_joints.shape[1]
            joints_all = torch.cat([joints, neg_joints.flatten(0, 1)])
            if contact is not None:
                if neg_contact is None or neg_contact.shape != neg_joints.shape[:3]:
                    raise ParameterError(
                        f"neg_contact must be {tuple(neg_joints.shape[:3])} with contact, got "
                        f"{None if neg_contact is None else tuple(neg_contact.shape)}"
                    )
                contact_all = torch.cat([contact, neg_contact.flatten(0, 1)])
        motion_frames, motion_emb = self.encode_motion(joints_all, contact_all)
        return MotionBeatOutput(
            music_emb=emb_all[:b],
            motion_emb=motion_emb[:b],
            neg_music_emb=emb_all[b:].view(b, m, -1) if m else None,
            music_frames=frames_all[:b],
            motion_frames=motion_frames[:b],
            accent_logits=accent_all[:b],
            neg_motion_emb=motion_emb[b:].view(b, mj, -1) if mj else None,
        )

    @torch.no_grad()
    def embed_music(self, audio: torch.Tensor) -> MusicEmbedding:
        """The music encoder alone, for beat tracking, retrieval and probes.

        Dropout and batch norm follow the module's mode: call it in eval mode.

        Parameters
        ----------
        audio : torch.Tensor, shape (B, R, T * sub)
            Any number of frames T (the encoders are not tied to ``clip_s``).

        Returns
        -------
        MusicEmbedding
        """
        phase = self.phase(audio)
        frames, emb, accent = self.encode_music(audio, phase)
        return MusicEmbedding(frames, emb, torch.sigmoid(accent), phase)

    @torch.no_grad()
    def embed_motion(
        self, joints: torch.Tensor, contact: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The motion encoder alone: per-frame (B, T, E) and clip (B, E) embeddings."""
        return self.encode_motion(joints, contact)
