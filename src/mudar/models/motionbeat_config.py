"""The configs of MotionBeat (:mod:`mudar.models.motionbeat`): the sizes of every part of the
model and the clip it sees (:class:`MotionBeatConfig`), and how it is trained
(:class:`MotionBeatTrainConfig`). Both are stored in a checkpoint as dicts and read back with
``from_dict``."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from mudar.clock import FrameClock
from mudar.errors import ParameterError
from mudar.losses.motionbeat import ECL_ANCHORS, SRAL_FORMS
from mudar.models.config import Clocked, MudarConfig, check_clock, read_clock


@dataclass(frozen=True)
class MotionBeatConfig(Clocked):
    """Sizes of every part of MotionBeat, and the clip it sees.

    Attributes
    ----------
    clip_s : float
        Clip length, seconds; T = ``clip_s * fps`` frames.
    clock : FrameClock
        The model's frame clock: ``fps`` (music features and motion alike), ``sub`` fine audio
        frames per video frame, ``sr``. ``fps`` and ``sub`` are read-only properties too.
    n_mels : int
        Mel bands of the audio input.
    tempogram_rows : int
        Tempogram rows (pooled lags) of the audio input.
    audio_channels : tuple of int
        Channels of the audio encoder's convolution stages.
    dim : int
        Width d of the per-frame features; the embeddings have d dimensions too.
    heads : int
        Attention heads; ``dim / heads`` must be even (feature pairs are rotated).
    music_layers, motion_layers : int
        Transformer layers of each encoder.
    dropout : float
    n_harmonics : int
        Harmonics of the bar phase that rotate the music attention (0: no rotation; see
        :func:`mudar.models.phase.pair_harmonics`).
    beats_per_bar : int
        Default metre of the bar phase.
    estimate_meter : bool
        Choose 3 or 4 beats per bar per clip from the onset strength at the beats.
    n_joints : int
        Joints J of the motion input (23 for dwm, 17 for COCO / AIST++).
    motion_conv_layers : int
        Residual temporal convolutions of the motion encoder.
    motion_kernel : int
        Their kernel, frames (odd).
    contact_beta : float
        ``beta`` of the contact-guided attention, ``>= 0`` (0: no contact bias).
    contact_eps : float
        ``eps`` of the contact-guided attention, ``> 0``: a frame without contact gets
        ``beta * log(eps)`` (-4.6 for the defaults).
    """

    clip_s: float = 8.0
    clock: FrameClock = FrameClock()
    n_mels: int = 64
    tempogram_rows: int = 32
    audio_channels: tuple[int, ...] = (8, 16, 32)
    dim: int = 128
    heads: int = 4
    music_layers: int = 2
    motion_layers: int = 2
    dropout: float = 0.1
    n_harmonics: int = 4
    beats_per_bar: int = 4
    estimate_meter: bool = True
    n_joints: int = 23
    motion_conv_layers: int = 2
    motion_kernel: int = 5
    contact_beta: float = 1.0
    contact_eps: float = 0.01

    def __post_init__(self) -> None:
        check_clock(self.clock)
        if self.dim % self.heads or (self.dim // self.heads) % 2:
            raise ParameterError(
                f"dim={self.dim} / heads={self.heads} must be a whole, even head width"
            )
        if self.motion_kernel % 2 == 0 or self.motion_kernel < 1:
            raise ParameterError(f"motion_kernel must be odd, got {self.motion_kernel}")
        if self.contact_beta < 0 or not self.contact_eps > 0:
            raise ParameterError(
                f"need contact_beta >= 0 and contact_eps > 0, got {self.contact_beta}, "
                f"{self.contact_eps}"
            )
        if self.n_frames < 1 or self.n_joints < 1 or self.beats_per_bar < 1:
            raise ParameterError("clip_s * fps, n_joints and beats_per_bar must be positive")

    @property
    def n_frames(self) -> int:
        """T, frames per clip."""
        return round(self.clip_s * self.fps)

    @property
    def audio_rows(self) -> int:
        """Rows R of the stacked audio input: mel, onset envelope, beats, tempogram."""
        return self.n_mels + 2 + self.tempogram_rows

    def audio_config(self):
        """A :class:`~mudar.models.config.MudarConfig` with this model's audio input and
        encoder sizes: what :func:`~mudar.data.clips.inputs.audio_input` and
        :class:`~mudar.models.audio_encoder.AudioEncoder` read."""
        return MudarConfig(
            clip_s=self.clip_s,
            clock=self.clock,
            n_mels=self.n_mels,
            tempogram_rows=self.tempogram_rows,
            audio_channels=self.audio_channels,
            dim=self.dim,
            heads=self.heads,
            dropout=self.dropout,
        )

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> MotionBeatConfig:
        d = read_clock(d)
        if "audio_channels" in d:
            d["audio_channels"] = tuple(d["audio_channels"])
        return cls(**d)


@dataclass(frozen=True)
class MotionBeatTrainConfig:
    """How MotionBeat is trained: ``L = L_ECL + lambda_sral * L_SRAL``.

    Attributes
    ----------
    epochs, batch_size : int
    lr : float
        Adam learning rate.
    weight_decay : float
        Decoupled weight decay (AdamW; 0: Adam).
    temperature : float
        ECL temperature (:class:`~mudar.losses.motionbeat.EmbodiedContrastiveLoss`).
    mask_same_dance : bool
        Leave pairs of clips of the same dance out of the ECL's sums (their music overlaps).
    hard_weight : float
        Weight of each hard negative in the ECL.
    stretch : tuple of float
        Tempo-aware negatives' factors.
    n_jitter : int
        Beat-jitter negatives per clip.
    jitter_fraction : float
        Their displacement, beats.
    lambda_sral : float
        Weight of the SRAL.
    sral_max_lag_s : float
        Largest lag of the SRAL, seconds (turned into frames on the model's clock).
    sral_temperature : float
        Softmax temperature of the SRAL, units of correlation.
    sral_corr_weight : float
        Weight of the ``1 - c(0)`` term of the SRAL.
    ecl_anchor : {"motion", "music"}
        The ECL's form (:data:`~mudar.losses.motionbeat.ECL_ANCHORS`): ``"motion"`` (default,
        the bench's figures) takes music hard negatives (``stretch``, ``n_jitter``);
        ``"music"`` (the summarised paper's, read from summaries) takes *motion* negatives:
        ``n_jitter`` beat-jitter ones (the clip's motion shifted by about
        ``motion_jitter_beats`` beats, through the motion encoder) and the batch's other
        dances within ``ecl_tempo_tol`` of the clip's tempo (tempo-aware ones, weighted
        ``hard_weight``).
    ecl_tempo_tol : float
        Relative tempo difference under which two dances count as "similar BPM"
        (``ecl_anchor="music"``).
    motion_jitter_beats : float
        Shift of the beat-jitter motion negatives, beats (``ecl_anchor="music"``).
    sral_form : {"lag_softmax", "soft_dtw"}
        The SRAL's form (:data:`~mudar.losses.motionbeat.SRAL_FORMS`): ``"lag_softmax"``
        (default, the bench's figures) or ``"soft_dtw"`` (the summarised paper's: beat-level
        soft-DTW and a bar-level distance, beats of each clip's tempo).
    kinematic_sigma_s : float
        Smoothing of the joint speed before its minima are taken (the SRAL's motion events).
    kinematic_min_separation_s : float
        A kinematic beat is the lowest speed within this many seconds either side.
    clip_hop_s : float
        Sliding windows over each dance.
    val_fraction : float
        Of the dances (never of the clips).
    augment : bool
        Augment the training clips (:class:`~mudar.data.clips.augment.Augment`, from the
        fields below); validation clips never are.
    crop_jitter_s : float
        Random offset of each training window, up to this many seconds either way.
    mirror_p, scale_jitter, rotate_deg, mel_tilt, mel_band_sigma : float
        See :class:`~mudar.data.clips.augment.Augment` (``scale_jitter`` is its ``scale``).
    seed, workers : int
    """

    epochs: int = 10
    batch_size: int = 32
    lr: float = 3e-4
    weight_decay: float = 0.0
    temperature: float = 0.1
    mask_same_dance: bool = True
    hard_weight: float = 1.0
    stretch: tuple[float, ...] = (0.8, 1.25)
    n_jitter: int = 1
    jitter_fraction: float = 0.25
    lambda_sral: float = 0.5
    sral_max_lag_s: float = 0.25
    sral_temperature: float = 0.1
    sral_corr_weight: float = 1.0
    ecl_anchor: str = "motion"
    ecl_tempo_tol: float = 0.06
    motion_jitter_beats: float = 1.0
    sral_form: str = "lag_softmax"
    kinematic_sigma_s: float = 5.0 / 60.0
    kinematic_min_separation_s: float = 0.15
    clip_hop_s: float = 2.0
    val_fraction: float = 0.15
    augment: bool = True
    crop_jitter_s: float = 1.0
    mirror_p: float = 0.5
    scale_jitter: float = 0.1
    rotate_deg: float = 180.0
    mel_tilt: float = 0.5
    mel_band_sigma: float = 0.1
    seed: int = 0
    workers: int = 0

    def __post_init__(self) -> None:
        if self.ecl_anchor not in ECL_ANCHORS:
            raise ParameterError(
                f"ecl_anchor must be one of {ECL_ANCHORS}, got {self.ecl_anchor!r}"
            )
        if self.sral_form not in SRAL_FORMS:
            raise ParameterError(f"sral_form must be one of {SRAL_FORMS}, got {self.sral_form!r}")
        if not self.ecl_tempo_tol >= 0 or not self.motion_jitter_beats > 0:
            raise ParameterError(
                f"need ecl_tempo_tol >= 0 and motion_jitter_beats > 0, got "
                f"{self.ecl_tempo_tol}, {self.motion_jitter_beats}"
            )

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> MotionBeatTrainConfig:
        d = dict(d)
        if "stretch" in d:
            d["stretch"] = tuple(d["stretch"])
        return cls(**d)
