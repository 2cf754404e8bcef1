"""The two-stream dance classifier of MuDaR (paper sec. 4.2), on top of the learned embeddings.

Per frame, the **visual stream** takes the implicit pathway's visual frame embedding with the
visual rhythm beside it (E + 1 inputs), the **audio stream** the audio frame embedding with the
music onsets (E + 1); each stream is two Linear + ReLU layers. The two streams are concatenated
per frame, averaged over the frames that hold data (temporal pooling; padded frames of a short
clip are masked out) and classified by two fully connected layers.

A missing stream (a video without music, a song without pictures) is **zeroed after its layers**,
so whatever sits in its input rows never reaches the pooling; the classifier learns to do without
one stream with *stream dropout*: in training, each clip that has both streams loses one of them
with probability ``stream_dropout`` (audio or visual, evenly). ``rhythm=False`` drops the two
rhythm inputs (the ablation "without rhythms").

The frame embeddings are standardised per dimension first (``standardize``; mean and scale are
buffers set from the training frames by :meth:`TwoStreamClassifier.set_standardization`): the
clip-to-clip variation of learned embeddings can be small beside an offset they all share (the
embeddings of an early dwm model varied by ~1e-3 around a common vector), which an MLP trained
from scratch does not pick up.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
from torch import nn

from mudar.errors import ParameterError


@dataclass(frozen=True)
class ClassifierConfig:
    """Sizes of the two-stream classifier.

    Attributes
    ----------
    n_classes : int
        Number of genres, >= 2 (set from the data by the training).
    dim : int
        E, the width of the frame embeddings it reads (the MuDaR model's ``dim``; set from
        the data by the training).
    hidden : int
        Width of the two Linear + ReLU layers of each stream.
    fc : int
        Width of the first of the two final fully connected layers.
    dropout : float
        Dropout before each final fully connected layer.
    stream_dropout : float
        Probability, in training, that a clip with both streams loses one (see the module doc).
    rhythm : bool
        Feed the rhythms (visual rhythm, music onsets) beside the embeddings; False for the
        ablation "without rhythms".
    standardize : bool
        Standardise the frame embeddings per dimension with the stored training statistics.
    """

    n_classes: int = 2
    dim: int = 128
    hidden: int = 128
    fc: int = 128
    dropout: float = 0.2
    stream_dropout: float = 0.2
    rhythm: bool = True
    standardize: bool = True

    def __post_init__(self) -> None:
        if self.n_classes < 2:
            raise ParameterError(f"n_classes must be >= 2, got {self.n_classes}")
        for name in ("dim", "hidden", "fc"):
            if getattr(self, name) < 1:
                raise ParameterError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("dropout", "stream_dropout"):
            if not 0 <= getattr(self, name) < 1:
                raise ParameterError(f"{name} must be in [0, 1), got {getattr(self, name)}")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> ClassifierConfig:
        return cls(**d)


def _stream(n_in: int, hidden: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())


def frame_mask(lengths: torch.Tensor, t: int) -> torch.Tensor:
    """(B,) frames that hold data -> (B, T) bool, True for ``frame < length``."""
    return torch.arange(t, device=lengths.device)[None, :] < lengths[:, None]


class TwoStreamClassifier(nn.Module):
    """Genre logits of clips from their frame embeddings and rhythms.

    Parameters
    ----------
    config : ClassifierConfig
    """

    def __init__(self, config: ClassifierConfig):
        super().__init__()
        self.config = config
        n_in = config.dim + (1 if config.rhythm else 0)
        self.visual_stream = _stream(n_in, config.hidden)
        self.audio_stream = _stream(n_in, config.hidden)
        for name in ("visual", "audio"):
            self.register_buffer(f"{name}_mean", torch.zeros(config.dim))
            self.register_buffer(f"{name}_scale", torch.ones(config.dim))
        self.head = nn.Sequential(
            nn.Dropout(config.dropout),
            nn.Linear(2 * config.hidden, config.fc),
            nn.ReLU(),
            nn.Dropout(config.dropout),
            nn.Linear(config.fc, config.n_classes),
        )

    def forward(
        self,
        visual_frames: torch.Tensor,
        visual_rhythm: torch.Tensor,
        audio_frames: torch.Tensor,
        onsets: torch.Tensor,
        *,
        lengths: torch.Tensor,
        has_video: torch.Tensor,
        has_audio: torch.Tensor,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Logits of B clips of T frames.

        Parameters
        ----------
        visual_frames, audio_frames : torch.Tensor, float, shape (B, T, E)
            Per-frame outputs of the implicit pathway (any values where a stream is absent).
        visual_rhythm : torch.Tensor, float, shape (B, T)
            Visual rhythm probability per frame (ignored with ``config.rhythm=False``).
        onsets : torch.Tensor, shape (B, T)
            Music onset maxima per frame, 0/1 (ignored with ``config.rhythm=False``).
        lengths : torch.Tensor, int, shape (B,)
            Frames of each clip that hold data, 1 <= length <= T; later frames are padding.
        has_video, has_audio : torch.Tensor, bool, shape (B,)
            Which streams each clip has; at least one per clip.
        generator : torch.Generator, optional
            Draws the stream dropout (training mode only).

        Returns
        -------
        torch.Tensor, float32, shape (B, n_classes)

        Raises
        ------
        ParameterError
            On shapes that do not fit each other or the config, a length outside 1..T, or a
            clip with neither stream.
        """
        b, t, e = visual_frames.shape if visual_frames.ndim == 3 else (None, None, None)
        if e != self.config.dim or audio_frames.shape != visual_frames.shape:
            raise ParameterError(
                f"frame embeddings must both have shape (B, T, {self.config.dim}), got "
                f"{tuple(visual_frames.shape)} and {tuple(audio_frames.shape)}"
            )
        for name, x in (("visual_rhythm", visual_rhythm), ("onsets", onsets)):
            if x.shape != (b, t):
                raise ParameterError(f"{name} must have shape {(b, t)}, got {tuple(x.shape)}")
        for name, x in (("lengths", lengths), ("has_video", has_video), ("has_audio", has_audio)):
            if x.shape != (b,):
                raise ParameterError(f"{name} must have shape ({b},), got {tuple(x.shape)}")
        if b and (int(lengths.min()) < 1 or int(lengths.max()) > t):
            raise ParameterError(f"lengths must be in 1..{t}")
        has_video, has_audio = has_video.bool(), has_audio.bool()
        if not (has_video | has_audio).all():
            raise ParameterError("every clip needs pictures or music")

        v_in, a_in = visual_frames.float(), audio_frames.float()
        if self.config.standardize:
            v_in = (v_in - self.visual_mean) / self.visual_scale
            a_in = (a_in - self.audio_mean) / self.audio_scale
        if self.config.rhythm:
            v_in = torch.cat([v_in, visual_rhythm.float()[..., None]], dim=-1)
            a_in = torch.cat([a_in, onsets.float()[..., None]], dim=-1)
        if self.training and self.config.stream_dropout > 0:
            has_video, has_audio = self._drop_streams(has_video, has_audio, generator)
        v = self.visual_stream(v_in) * has_video[:, None, None]
        a = self.audio_stream(a_in) * has_audio[:, None, None]
        x = torch.cat([v, a], dim=-1)
        mask = frame_mask(lengths, t)[..., None].to(x.dtype)
        pooled = (x * mask).sum(1) / mask.sum(1)  # mean over the frames that hold data
        return self.head(pooled)

    @torch.no_grad()
    def set_standardization(
        self,
        visual_frames: torch.Tensor,
        audio_frames: torch.Tensor,
        *,
        lengths: torch.Tensor,
        has_video: torch.Tensor,
        has_audio: torch.Tensor,
    ) -> None:
        """Set the per-dimension mean and scale of each stream from (training) clips.

        Statistics are over the frames that hold data of the clips that have the stream; a
        stream no clip has keeps mean 0 and scale 1. Scales below 1e-6 become 1e-6.

        Parameters
        ----------
        visual_frames, audio_frames : torch.Tensor, shape (B, T, E)
        lengths : torch.Tensor, int, shape (B,)
        has_video, has_audio : torch.Tensor, bool, shape (B,)
        """
        valid = frame_mask(lengths, visual_frames.shape[1])
        for name, x, present in (
            ("visual", visual_frames, has_video),
            ("audio", audio_frames, has_audio),
        ):
            rows = x[valid & present.bool()[:, None]].double()
            if len(rows):
                getattr(self, f"{name}_mean").copy_(rows.mean(0))
                getattr(self, f"{name}_scale").copy_(rows.std(0, correction=0).clamp_min(1e-6))

    def _drop_streams(
        self, has_video: torch.Tensor, has_audio: torch.Tensor, generator: torch.Generator | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        b = has_video.shape[0]
        u = torch.rand(b, generator=generator, device=has_video.device)
        both = has_video & has_audio
        p = self.config.stream_dropout
        drop_audio = both & (u < p / 2)
        drop_video = both & (u >= p / 2) & (u < p)
        return has_video & ~drop_video, has_audio & ~drop_audio
