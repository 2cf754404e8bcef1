"""MuDaR (paper sec. 3): music-dance representations by explicit and implicit rhythm sync.

Two pathways share the encoders:

- **implicit** (sec. 3.2): the visual encoder (PWC-Net's feature pyramid on every frame) gives
  a per-frame visual token (:func:`visual_token`: the coarsest map ``f_rgb``, its grid
  flattened, to d, plus the frame's motion input; see ``MudarConfig.visual_grid`` and
  ``visual_motion`` for why), the audio encoder a per-frame audio feature; each modality has
  its own K transformer layers, with no cross-modal interaction. The clip embeddings are the
  time-averaged outputs through a linear map, L2-normalised; the per-frame outputs are kept
  for retargeting. The triplet loss (Eq. 18) pulls a clip's visual embedding to its own music
  and away from a negative one.
- **explicit** (sec. 3.1): the RGB injector (AGVA with the audio encoder's per-frame features,
  the audio dropout gate, self-attention; :mod:`mudar.models.injector`) and the motion input
  feed the visual rhythm head (Eq. 15; :mod:`mudar.models.rhythm_head`), trained against the
  music onsets.

The model takes tensors only (see :meth:`MuDaR.forward` for the batch contract).
Transformer layers are pre-norm, with a sinusoidal position code added to their input and a
feed-forward width of 2d. The visual encoder runs in channels-last memory format (about twice
as fast on CPU for these thin convolutions).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from mudar.errors import ParameterError
from mudar.models.audio_encoder import AudioEncoder
from mudar.models.config import MudarConfig
from mudar.models.injector import RGBInjector, n_without_audio
from mudar.models.pwcnet import FeaturePyramid
from mudar.models.rhythm_head import build_head


@dataclass
class MudarOutput:
    """What the losses need from one batch of B clips of T frames (E = d).

    Attributes
    ----------
    visual_emb : torch.Tensor, shape (B, E)
        L2-normalised clip embeddings of the dance.
    audio_emb : torch.Tensor, shape (B, E), or None
        L2-normalised clip embeddings of the music (None without audio).
    neg_audio_emb : torch.Tensor, shape (B, E), or None
        Of the negative music, when given.
    visual_frames, audio_frames : torch.Tensor, shape (B, T, E)
        Per-frame outputs of the implicit transformers (``audio_frames`` None without audio).
    head_out : torch.Tensor
        The rhythm head's output (logits (B, T) for the ``focal`` and ``bce`` heads).
    n_without_audio : int
        How many clips (the first ones) went through the injector without audio (Eq. 10).
    """

    visual_emb: torch.Tensor
    audio_emb: torch.Tensor | None
    neg_audio_emb: torch.Tensor | None
    visual_frames: torch.Tensor
    audio_frames: torch.Tensor | None
    head_out: torch.Tensor
    n_without_audio: int


@dataclass
class Embeddings:
    """Implicit-pathway outputs of the modalities given to :meth:`MuDaR.embed` (else None)."""

    visual_emb: torch.Tensor | None
    audio_emb: torch.Tensor | None
    visual_frames: torch.Tensor | None
    audio_frames: torch.Tensor | None
    rhythm: torch.Tensor | None = None  # (B, T): the visual rhythm without the music


def sinusoid(n: int, dim: int, *, device=None, dtype=torch.float32) -> torch.Tensor:
    """The sinusoidal position code of Vaswani et al., shape (n, dim)."""
    pos = torch.arange(n, device=device, dtype=torch.float32)[:, None]
    freq = torch.exp(
        torch.arange(0, dim, 2, device=device, dtype=torch.float32) * (-math.log(1e4) / dim)
    )
    pe = torch.zeros(n, dim, device=device, dtype=torch.float32)
    pe[:, 0::2] = torch.sin(pos * freq)
    pe[:, 1::2] = torch.cos(pos * freq)[:, : dim // 2]
    return pe.to(dtype)


def encode_frames(encoder: nn.Module, frames: torch.Tensor) -> torch.Tensor:
    """``f_rgb``: the coarsest map of the pyramid ``encoder`` on every frame of (B, T, 3, S, S)
    RGB in [0, 1], shape (B, T, C, h, w); the frames go in channels-last (twice as fast on CPU
    for these thin convolutions). Shared by MuDaR and the baselines."""
    b, t = frames.shape[:2]
    x = frames.flatten(0, 1).contiguous(memory_format=torch.channels_last)
    f_rgb = encoder(x)[-1]
    return f_rgb.reshape(b, t, *f_rgb.shape[1:])


def visual_token(
    f_rgb: torch.Tensor,
    motion: torch.Tensor | None,
    *,
    config: MudarConfig,
    proj: nn.Linear,
    motion_proj: nn.Linear | None,
) -> torch.Tensor:
    """The per-frame visual token of the implicit pathway, (B, T, d): the coarsest pyramid map
    ``f_rgb`` (B, T, C, h, w), its grid flattened (``config.visual_grid``) or averaged, through
    ``proj``, plus the motion input (B, T, motion_dim) through ``motion_proj`` when the
    config has ``visual_motion``. Shared by MuDaR and the baselines, so they see the same input.
    """
    x = proj(f_rgb.flatten(2) if config.visual_grid else f_rgb.mean(dim=(3, 4)))
    if motion_proj is not None:
        if motion is None:
            raise ParameterError("this model's visual embedding needs the motion input")
        x = x + motion_proj(motion)
    return x


class TemporalTransformer(nn.Module):
    """K pre-norm transformer encoder layers over the frames of a clip, and a final LayerNorm.

    Parameters
    ----------
    config : MudarConfig
        Uses ``dim``, ``heads``, ``layers`` (K) and ``dropout``.
    """

    def __init__(self, config: MudarConfig):
        super().__init__()
        layer = nn.TransformerEncoderLayer(
            config.dim,
            config.heads,
            dim_feedforward=2 * config.dim,
            dropout=config.dropout,
            batch_first=True,
            norm_first=True,
        )
        self.layers = nn.TransformerEncoder(
            layer, config.layers, norm=nn.LayerNorm(config.dim), enable_nested_tensor=False
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, d) -> (B, T, d)."""
        pe = sinusoid(x.shape[1], x.shape[2], device=x.device, dtype=x.dtype)
        return self.layers(x + pe)


class MuDaR(nn.Module):
    """The MuDaR model, built from a :class:`MudarConfig`.

    Parameters
    ----------
    config : MudarConfig

    Attributes
    ----------
    visual_encoder : FeaturePyramid
    audio_encoder : AudioEncoder
    visual_transformer, audio_transformer : TemporalTransformer
        The implicit pathway, one per modality.
    injector : RGBInjector
    head : RhythmHead
        Chosen by ``config.head``; its ``loss(head_out, onsets, onset_strength)`` is the
        explicit loss.

    Notes
    -----
    Parameters that get no gradient in a step: the injector's ``Linear(Tile(.))`` when no clip
    of the batch goes without audio (evaluation, or ``audio_dropout`` p with ``floor(B p) = 0``),
    its AGVA when every clip does (no audio); the audio pathway without audio.
    """

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
        self.visual_transformer = TemporalTransformer(config)
        self.visual_out = nn.Linear(config.dim, config.dim)
        self.audio_encoder = AudioEncoder(config)
        self.audio_transformer = TemporalTransformer(config)
        self.audio_out = nn.Linear(config.dim, config.dim)
        self.injector = RGBInjector(config)
        self.head = build_head(config)

    # --- the pieces ----------------------------------------------------------------------

    def _check_frames(self, frames: torch.Tensor) -> None:
        s = self.config.frame_size
        if frames.ndim != 5 or tuple(frames.shape[2:]) != (3, s, s):
            raise ParameterError(f"frames must have shape (B, T, 3, {s}, {s}), got {frames.shape}")

    def _check_motion(self, motion: torch.Tensor, frames: torch.Tensor) -> None:
        shape = (*frames.shape[:2], self.config.motion_dim)
        if motion.shape != shape:
            raise ParameterError(f"motion must have shape {shape}, got {motion.shape}")

    def _check_audio(self, audio: torch.Tensor, b: int | None, t: int | None, name: str) -> None:
        c = self.config
        if audio.ndim != 3 or audio.shape[1] != c.audio_rows:
            raise ParameterError(
                f"{name} must have shape (B, {c.audio_rows}, T*{c.sub}), got {audio.shape}"
            )
        if b is not None and (audio.shape[0], audio.shape[2]) != (b, t * c.sub):
            raise ParameterError(
                f"{name} must cover {b} clips of {t} frames, i.e. shape "
                f"({b}, {c.audio_rows}, {t * c.sub}); got {tuple(audio.shape)}"
            )

    def encode_frames(self, frames: torch.Tensor) -> torch.Tensor:
        """``f_rgb``, the coarsest pyramid map of every frame.

        Parameters
        ----------
        frames : torch.Tensor, float32, shape (B, T, 3, S, S)
            RGB in [0, 1].

        Returns
        -------
        torch.Tensor, shape (B, T, C, h, w)
        """
        return encode_frames(self.visual_encoder, frames)

    def implicit_visual(
        self, f_rgb: torch.Tensor, motion: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-frame (B, T, E) and clip (B, E, L2-normalised) visual embeddings.

        Parameters
        ----------
        f_rgb : torch.Tensor, shape (B, T, C, h, w)
            From :meth:`encode_frames`.
        motion : torch.Tensor, shape (B, T, motion_dim)
            The motion input; required when ``config.visual_motion``.
        """
        x = visual_token(
            f_rgb,
            motion,
            config=self.config,
            proj=self.visual_proj,
            motion_proj=self.visual_motion_proj,
        )
        x = self.visual_transformer(x)
        return x, F.normalize(self.visual_out(x.mean(1)), dim=-1)

    def implicit_audio(self, audio_feat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-frame (B, T, E) and clip (B, E, L2-normalised) audio embeddings."""
        x = self.audio_transformer(audio_feat)
        return x, F.normalize(self.audio_out(x.mean(1)), dim=-1)

    # --- the model -----------------------------------------------------------------------

    def forward(
        self,
        frames: torch.Tensor,
        motion: torch.Tensor,
        audio: torch.Tensor | None,
        *,
        neg_audio: torch.Tensor | None = None,
        audio_dropout: bool | None = None,
    ) -> MudarOutput:
        """Both pathways on a batch of B clips of T frames.

        Parameters
        ----------
        frames : torch.Tensor, float32, shape (B, T, 3, S, S)
            RGB in [0, 1], S = ``config.frame_size``.
        motion : torch.Tensor, float32, shape (B, T, motion_dim)
            Per-frame normalised HOOF and log magnitude.
        audio : torch.Tensor, float32, shape (B, R, T * sub), or None
            The stacked audio rows (R = ``config.audio_rows``); None: a video without music
            (every clip takes the injector's audio-free path; no audio embeddings).
        neg_audio : torch.Tensor, shape (B, R, T * sub), optional
            Negative music for the triplet loss.
        audio_dropout : bool, optional
            Apply the audio dropout gate (Eq. 9-10); default: in training mode.

        Returns
        -------
        MudarOutput

        Raises
        ------
        ParameterError
            If a shape does not fit the config or the others.
        """
        self._check_frames(frames)
        self._check_motion(motion, frames)
        b, t = frames.shape[:2]
        if audio is not None:
            self._check_audio(audio, b, t, "audio")
        if neg_audio is not None:
            if audio is None:
                raise ParameterError("neg_audio needs audio")
            self._check_audio(neg_audio, b, t, "neg_audio")
        drop = self.training if audio_dropout is None else audio_dropout

        f_rgb = self.encode_frames(frames)
        visual_frames, visual_emb = self.implicit_visual(f_rgb, motion)

        audio_feat = audio_frames = audio_emb = neg_audio_emb = None
        if audio is not None:
            both = audio if neg_audio is None else torch.cat((audio, neg_audio))
            feat = self.audio_encoder(both)  # one pass over positives and negatives
            frames_all, emb_all = self.implicit_audio(feat)
            audio_feat, audio_frames, audio_emb = feat[:b], frames_all[:b], emb_all[:b]
            if neg_audio is not None:
                neg_audio_emb = emb_all[b:]

        if self.config.explicit_detach:
            f_rgb = f_rgb.detach()
            audio_feat = None if audio_feat is None else audio_feat.detach()
        injected = self.injector(f_rgb, audio_feat, drop=drop)
        head_out = self.head(motion, injected)
        n = n_without_audio(b, self.config.audio_dropout, drop=drop, has_audio=audio is not None)
        return MudarOutput(
            visual_emb=visual_emb,
            audio_emb=audio_emb,
            neg_audio_emb=neg_audio_emb,
            visual_frames=visual_frames,
            audio_frames=audio_frames,
            head_out=head_out,
            n_without_audio=n,
        )

    @torch.no_grad()
    def rhythm(
        self, frames: torch.Tensor, motion: torch.Tensor, audio: torch.Tensor | None = None
    ) -> torch.Tensor:
        """The visual rhythm of each frame, by the explicit pathway alone (no audio dropout).

        Dropout and batch norm follow the module's mode: call it in eval mode.

        Parameters
        ----------
        frames : torch.Tensor, shape (B, T, 3, S, S)
        motion : torch.Tensor, shape (B, T, motion_dim)
        audio : torch.Tensor, shape (B, R, T * sub), optional
            Without it every clip takes the injector's audio-free path.

        Returns
        -------
        torch.Tensor, shape (B, T)
            The head's ``predict``: probabilities (``focal``, ``bce``) or 0/1 decisions
            (``regression``, ``crf``).
        """
        return self.head.predict(self.rhythm_output(frames, motion, audio))

    @torch.no_grad()
    def rhythm_output(
        self, frames: torch.Tensor, motion: torch.Tensor, audio: torch.Tensor | None = None
    ) -> torch.Tensor:
        """The rhythm head's raw output (see :meth:`rhythm`), e.g. for ``head.rhythm_frames``."""
        self._check_frames(frames)
        self._check_motion(motion, frames)
        b, t = frames.shape[:2]
        audio_feat = None
        if audio is not None:
            self._check_audio(audio, b, t, "audio")
            audio_feat = self.audio_encoder(audio)
        return self.head_output(self.encode_frames(frames), motion, audio_feat)

    def head_output(
        self, f_rgb: torch.Tensor, motion: torch.Tensor, audio_feat: torch.Tensor | None = None
    ) -> torch.Tensor:
        """The rhythm head's raw output from encoded frames (:meth:`encode_frames`) and, when
        given, encoded audio: the explicit pathway without the audio dropout gate."""
        return self.head(motion, self.injector(f_rgb, audio_feat, drop=False))

    def embed(
        self,
        frames: torch.Tensor | None = None,
        audio: torch.Tensor | None = None,
        *,
        motion: torch.Tensor | None = None,
    ) -> Embeddings:
        """Implicit-pathway embeddings of the dance, the music, or both.

        Parameters
        ----------
        frames : torch.Tensor, shape (B, T, 3, S, S), optional
        audio : torch.Tensor, shape (B', R, T' * sub), optional
        motion : torch.Tensor, shape (B, T, motion_dim), optional
            With ``frames``: also the visual rhythm without the music (as :meth:`rhythm`
            with no audio), from the same encoded frames. Required with ``frames`` when the
            visual embedding takes the motion (``config.visual_motion``).

        Returns
        -------
        Embeddings
            Clip embeddings (L2-normalised, (B, E)) and per-frame outputs ((B, T, E)) of the
            modalities given; None for the others.
        """
        if frames is None and audio is None:
            raise ParameterError("embed needs frames, audio, or both")
        v_frames = v_emb = a_frames = a_emb = rhythm = None
        if frames is not None:
            self._check_frames(frames)
            f_rgb = self.encode_frames(frames)
            if motion is not None:
                self._check_motion(motion, frames)
            v_frames, v_emb = self.implicit_visual(f_rgb, motion)
            if motion is not None:
                rhythm = self.head.predict(self.head_output(f_rgb, motion))
        if audio is not None:
            self._check_audio(audio, None, None, "audio")
            a_frames, a_emb = self.implicit_audio(self.audio_encoder(audio))
        return Embeddings(v_emb, a_emb, v_frames, a_frames, rhythm)
