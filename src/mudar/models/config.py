"""The configuration that builds a MuDaR model, and the one that trains it.

A checkpoint stores the config it was built from, so a model is rebuilt exactly as it was
trained. The named presets are in :mod:`mudar.models.presets`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from mudar.clock import FrameClock
from mudar.errors import ParameterError
from mudar.methods import IMPLICIT_LOSSES, RHYTHM_HEADS


def check_clock(clock) -> None:
    """A model config's clock must be a :class:`~mudar.clock.FrameClock`.

    Raises
    ------
    ParameterError
        If it is not.
    """
    if not isinstance(clock, FrameClock):
        raise ParameterError(f"clock must be a FrameClock, got {type(clock).__name__}")


class Clocked:
    """What a model config on a :class:`~mudar.clock.FrameClock` (its ``clock`` field) reads
    off it: read-only ``fps`` and ``sub``."""

    clock: FrameClock

    @property
    def fps(self) -> float:
        """Video frames per second of the model (``clock.fps``)."""
        return self.clock.fps

    @property
    def sub(self) -> int:
        """Fine audio frames per video frame (``clock.sub``)."""
        return self.clock.sub


def read_clock(d: dict) -> dict:
    """A copy of a config dict with its ``clock`` a :class:`~mudar.clock.FrameClock`: from the
    ``clock`` dict of :meth:`MudarConfig.to_dict`, or from the ``fps`` and ``sub`` fields of
    the dicts written before configs held a clock (the shipped checkpoint's; 16 kHz)."""
    d = dict(d)
    old = {k: d.pop(k) for k in ("fps", "sub") if k in d}
    clock = d.pop("clock", None)
    if isinstance(clock, FrameClock):
        d["clock"] = clock
    elif clock is not None:
        d["clock"] = FrameClock(**clock)
    elif old:
        d["clock"] = FrameClock(**old)
    return d


@dataclass(frozen=True)
class MudarConfig(Clocked):
    """Sizes of every part of the model, and the clip it sees.

    Attributes
    ----------
    clip_s : float
        Clip length, seconds (paper: 8).
    clock : FrameClock
        The model's frame clock: video rate ``fps`` (paper: 8; T = clip_s * fps frames), fine
        audio frames per video frame ``sub``, sample rate ``sr``. ``fps`` and ``sub`` are
        read-only properties of the config too.
    frame_size : int
        Side of the RGB frames fed to the visual encoder (paper: 256).
    hoof_bins : int
        HOOF orientation bins B; the motion input has B + 1 channels (HOOF and log magnitude),
        plus ``motion_energy``.
    n_mels : int
        Mel bands of the audio input.
    tempogram_rows : int
        Tempogram lags kept (after pooling) in the audio input.
    encoder_channels : tuple of int
        Channels of the PWC-Net pyramid levels used as the visual encoder (PWC-Net: 16, 32, 64,
        96, 128, 196); fewer levels make a shallower encoder.
    audio_channels : tuple of int
        Channels of the audio encoder's 2D convolution stages.
    dim : int
        Width d of the per-frame features and embeddings.
    layers : int
        K, transformer layers per modality in the implicit pathway.
    heads : int
        Attention heads (implicit pathway and the injector's self-attention).
    dropout : float
    audio_dropout : float
        p of the audio dropout gate (Eq. 9-10): the first b*p items of a batch go without audio.
    head : {"focal", "bce", "regression", "crf"}
        Visual rhythm head: the paper's (Eq. 15, trained with focal loss) or a Table 1 ablation.
    visual_grid : bool
        The implicit visual token of a frame flattens the coarsest pyramid map's grid (True) or
        averages it (False, the first shipped model). Averaging keeps almost nothing that
        changes between frames of one video, and the visual embeddings collapsed to a constant.
    visual_motion : bool
        The implicit visual token also gets the frame's motion input (HOOF and log magnitude,
        the optical flow that PWC-Net's encoder exists to compute) through a linear map. Our
        addition: without it the visual pathway sees only appearance.
    explicit_detach : bool
        The explicit pathway reads the encoders' features (``f_rgb``, the audio features of
        AGVA) through a stop-gradient, so only the implicit loss shapes the shared encoders and
        the rhythm head trains the injector and head alone. Our option; the paper (False)
        trains the encoders with both losses.
    agva_order : {"paper", "legacy"}
        Eq. 7 of AGVA: ``softmax(tanh(W2 x))`` as the paper (``paper``, the default of new
        configs) or ``softmax(W2 tanh(x))`` (``legacy``: the first shipped model; a checkpoint
        without this field is read so).
    hoof_vote : {"nearest", "literal"}
        HOOF voting of the motion input (:data:`mudar.features.hoof.HOOF_VOTES`): the nearest
        bin (default, the shipped model's) or Eq. 4 as written (``literal``).
    flow : str
        Optical-flow backend of the motion input (``dis``, the default; ``pwcnet``, the
        paper's, needs its weights: prepare the features with ``mudar prepare --flow pwcnet
        --pwcnet-weights PATH``, and ``--hoof-vote``, ``--stft-window`` as the model's).
    aspect : {"pad", "crop", "squash"}
        How non-square video becomes square frames (``squash``: a plain resize to
        ``frame_size``, the paper's "resized to 256 x 256").
    stft_window : {"hann", "hamming"}
        STFT window of the music features (:data:`mudar.features.music.STFT_WINDOWS`): Hann
        (default, the shipped model's; librosa's default) or Hamming (Eq. 1 as written).
    motion_energy : int
        Samples per frame of the motion energy (:mod:`mudar.features.energy`: the picture's
        change between the video's own frames, camera removed) appended to the motion input
        (0: none, the first shipped models). Our addition: the HOOF and the flow magnitude of
        8 fps frames lose the moments a dancer stops, the energy keeps them
        (docs/paper.md).
    """

    clip_s: float = 8.0
    clock: FrameClock = FrameClock()
    frame_size: int = 64
    hoof_bins: int = 32
    n_mels: int = 128
    tempogram_rows: int = 32
    encoder_channels: tuple[int, ...] = (16, 32, 64, 96)
    audio_channels: tuple[int, ...] = (16, 32, 64)
    dim: int = 128
    layers: int = 2
    heads: int = 4
    dropout: float = 0.1
    audio_dropout: float = 0.25
    head: str = "focal"
    visual_grid: bool = True
    visual_motion: bool = True
    explicit_detach: bool = False
    agva_order: str = "paper"
    hoof_vote: str = "nearest"
    flow: str = "dis"
    aspect: str = "pad"
    stft_window: str = "hann"
    motion_energy: int = 0

    def __post_init__(self) -> None:
        check_clock(self.clock)
        if not 0 <= self.motion_energy <= 64:
            raise ParameterError(f"motion_energy must be in [0, 64], got {self.motion_energy}")
        if self.stft_window not in ("hann", "hamming"):
            raise ParameterError(
                f"stft_window must be 'hann' or 'hamming', got {self.stft_window!r}"
            )
        if self.agva_order not in ("paper", "legacy"):
            raise ParameterError(f"agva_order must be 'paper' or 'legacy', got {self.agva_order!r}")
        if self.head not in RHYTHM_HEADS:
            raise ParameterError(f"head must be one of {RHYTHM_HEADS}, got {self.head!r}")
        if self.dim % self.heads:
            raise ParameterError(f"dim={self.dim} is not divisible by heads={self.heads}")
        if not 0 <= self.audio_dropout < 1:
            raise ParameterError(f"audio_dropout must be in [0, 1), got {self.audio_dropout}")
        if self.frame_size % (2 ** len(self.encoder_channels)):
            raise ParameterError(
                f"frame_size={self.frame_size} must be divisible by 2**{len(self.encoder_channels)}"
            )

    def analysis_config(self, **overrides):
        """The :class:`~mudar.features.analysis.AnalysisConfig` that feeds this model: its frame
        clock (``fps``, ``sub``) and RGB frames of ``frame_size``; ``overrides`` replace fields."""
        from mudar.features.analysis import AnalysisConfig

        kw = {
            "clock": self.clock,
            "frame_size": self.frame_size,
            "hoof_vote": self.hoof_vote,
            "flow": self.flow,
            "aspect": self.aspect,
            "stft_window": self.stft_window,
        }
        if self.motion_energy:
            kw["energy_steps"] = self.motion_energy
        return AnalysisConfig(**{**kw, **overrides})

    def check_analysis(
        self, analysis, *, name: str | None = None, video: bool = True, training: bool = False
    ) -> None:
        """Raise unless ``analysis`` can feed this model: the one check that features match it.

        Parameters
        ----------
        analysis : mudar.features.analysis.Analysis
            Of a file or a clip; read by its fields (``clock``, ``config``, ``dance``, ``music``,
            ``frames``).
        name : str, optional
            How an error names it; default ``analysis.path``.
        video : bool
            Its pictures feed the model: checked when it has dance features (False: its music
            alone is read, as by an embedding of a video analysed without RGB frames).
        training : bool
            Also the music and HOOF settings (STFT window, HOOF vote) must be the model's: it
            learns from the features it will be given. At inference they may be asked otherwise
            (:func:`mudar.pipelines.method.analysis_setup`).

        Raises
        ------
        ParameterError
            One line: another frame clock (``fps``, ``sub``); with dance features, no RGB
            frames (``frame_size=0``), another number of HOOF bins or of motion-energy samples a
            frame than the model reads; with ``training``, other music or HOOF settings.
        """
        name = analysis.path if name is None else name
        clock, made = analysis.clock, analysis.config
        if abs(clock.fps - self.fps) > 1e-9 or clock.sub != self.sub:
            raise ParameterError(
                f"{name}: features at {clock.fps:g} fps, sub {clock.sub}; the model needs "
                f"{self.fps:g} fps, sub {self.sub} (analyse at the model's frame clock)"
            )
        if training and (made.stft_window, made.hoof_vote) != (self.stft_window, self.hoof_vote):
            # e.g. the paper preset on default features
            raise ParameterError(
                f"{name}: features made with the {made.stft_window} window and {made.hoof_vote} "
                f"HOOF votes; the model needs {self.stft_window} and {self.hoof_vote} (prepare "
                f"them with --stft-window {self.stft_window} --hoof-vote {self.hoof_vote})"
            )
        if not video or analysis.dance is None:
            return
        if analysis.frames is None:
            raise ParameterError(
                f"{name}: analysed without RGB frames (frame_size=0); the model needs them "
                "(prepare the features with frame_size > 0)"
            )
        if self.motion_energy and made.energy_steps != self.motion_energy:
            raise ParameterError(
                f"{name}: features with {made.energy_steps} motion-energy samples a frame; the "
                f"model reads {self.motion_energy} (prepare them again with --motion-energy)"
            )
        if analysis.dance.hoof.shape[1] != self.hoof_bins:
            raise ParameterError(
                f"{name}: features have {analysis.dance.hoof.shape[1]} HOOF bins, the model "
                f"{self.hoof_bins}"
            )

    @property
    def n_frames(self) -> int:
        """T, video frames per clip."""
        return round(self.clip_s * self.fps)

    @property
    def motion_dim(self) -> int:
        """Channels of the motion input: HOOF, log magnitude, motion energy samples."""
        return self.hoof_bins + 1 + self.motion_energy

    @property
    def grid_cells(self) -> int:
        """Cells of the coarsest pyramid map (``(frame_size / 2**levels)**2``)."""
        return (self.frame_size // 2 ** len(self.encoder_channels)) ** 2

    @property
    def audio_rows(self) -> int:
        """Rows R of the stacked audio input: mel, onset envelope, beats, tempogram."""
        return self.n_mels + 2 + self.tempogram_rows

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> MudarConfig:
        d = read_clock(d)
        for k in ("visual_grid", "visual_motion"):  # checkpoints from before these options
            d.setdefault(k, False)
        d.setdefault("agva_order", "legacy")  # checkpoints from before Eq. 7's fix
        for k in ("encoder_channels", "audio_channels"):
            if k in d:
                d[k] = tuple(d[k])
        return cls(**d)


@dataclass(frozen=True)
class TrainConfig:
    """How a MuDaR model is trained (paper sec. 3.3 and 4.1)."""

    epochs: int = 50
    avts_from_epoch: int = 35  # curriculum: AVC negatives first, AVTS from this epoch on
    batch_size: int = 384
    lr: float = 1e-4
    lambda_im: float = 1.0  # lambda1 of Eq. 20 (implicit, triplet)
    lambda_ex: float = 1.0  # lambda2 of Eq. 20 (explicit, focal)
    margin: float = 1.0  # triplet margin of Eq. 18
    # "triplet" (Eq. 18, the paper), "infonce" (mudar.losses.infonce: the batch's other music
    # as negatives too, which keeps the embeddings from collapsing on small data) or
    # "contrastive" (mudar.losses.contrastive: AVTS's loss, with margin 0.99)
    implicit_loss: str = "triplet"
    temperature: float = 0.1  # of the "infonce" implicit loss
    focal_gamma: float = 2.0  # Eq. 19
    focal_alpha: float = 0.25
    clip_hop_s: float = 4.0  # sliding windows over each training video
    # a random look per training clip (mudar.data.clips.augment): other framings and colours than
    # the training videos' one; not in the paper
    augment: bool = False
    val_fraction: float = 0.15  # of the videos (never of the clips)
    seed: int = 0
    workers: int = 0
    # AVC negatives (mudar.data.clips.sampling.AVC_RULES): "iou" (onset IoU < 0.3, the shipped
    # model's) or "paper" (Eq. 16: Hamming distance of the onsets - alpha T > 0)
    avc_rule: str = "iou"
    avc_alpha: float = 0.15  # alpha of Eq. 16 (mudar.data.clips.sampling.DEFAULT_ALPHA)
    # training clips (mudar.data.clips.windows.CLIP_MODES): "windows" every clip_hop_s, or "middle",
    # the paper's one clip of clip_s around the middle of each video
    clip_mode: str = "windows"

    def __post_init__(self) -> None:
        if self.avc_rule not in ("iou", "paper"):
            raise ParameterError(f"avc_rule must be 'iou' or 'paper', got {self.avc_rule!r}")
        if not 0 <= self.avc_alpha <= 1:
            raise ParameterError(f"avc_alpha must be in [0, 1], got {self.avc_alpha}")
        if self.clip_mode not in ("windows", "middle"):
            raise ParameterError(f"clip_mode must be 'windows' or 'middle', got {self.clip_mode!r}")
        if self.implicit_loss not in IMPLICIT_LOSSES:
            raise ParameterError(
                f"implicit_loss must be one of {IMPLICIT_LOSSES}, got {self.implicit_loss!r}"
            )

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)
