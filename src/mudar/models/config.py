"""The configuration that builds a MuDaR model, and its named presets.

A checkpoint stores the config it was built from, so a model is rebuilt exactly as it was
trained. Presets: ``debug`` (seconds, synthetic data, used by tests), ``cpu`` (the shipped model:
all of the dwm dances in <= 15 min on 2 cores), ``paper`` (the paper's settings, for GPUs).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from mudar.errors import ParameterError
from mudar.methods import IMPLICIT_LOSSES, RHYTHM_HEADS


@dataclass(frozen=True)
class MudarConfig:
    """Sizes of every part of the model, and the clip it sees.

    Attributes
    ----------
    clip_s : float
        Clip length, seconds (paper: 8).
    fps : float
        Frame rate of the model (paper: 8); T = clip_s * fps frames.
    sub : int
        Fine audio frames per video frame (the FrameClock's ``sub``).
    frame_size : int
        Side of the RGB frames fed to the visual encoder (paper: 256).
    hoof_bins : int
        HOOF orientation bins B; the motion input has B + 1 channels (HOOF and log magnitude).
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
        --pwcnet-weights PATH``).
    aspect : {"pad", "crop", "squash"}
        How non-square video becomes square frames (``squash``: a plain resize to
        ``frame_size``, the paper's "resized to 256 x 256").
    """

    clip_s: float = 8.0
    fps: float = 8.0
    sub: int = 8
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

    def __post_init__(self) -> None:
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
        from mudar.clock import FrameClock
        from mudar.features.analysis import AnalysisConfig

        kw = {
            "clock": FrameClock(fps=self.fps, sub=self.sub),
            "frame_size": self.frame_size,
            "hoof_vote": self.hoof_vote,
            "flow": self.flow,
            "aspect": self.aspect,
        }
        return AnalysisConfig(**{**kw, **overrides})

    @property
    def n_frames(self) -> int:
        """T, video frames per clip."""
        return round(self.clip_s * self.fps)

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
        d = dict(d)
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
    # a random look per training clip (mudar.data.augment): other framings and colours than
    # the training videos' one; not in the paper
    augment: bool = False
    val_fraction: float = 0.15  # of the videos (never of the clips)
    seed: int = 0
    workers: int = 0
    # AVC negatives (mudar.data.sampling.AVC_RULES): "iou" (onset IoU < 0.3, the shipped
    # model's) or "paper" (Eq. 16: Hamming distance of the onsets - alpha T > 0)
    avc_rule: str = "iou"
    avc_alpha: float = 0.15  # alpha of Eq. 16 (mudar.data.sampling.DEFAULT_ALPHA)
    # training clips (mudar.data.clips.CLIP_MODES): "windows" every clip_hop_s, or "middle",
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


@dataclass(frozen=True)
class Preset:
    model: MudarConfig = field(default_factory=MudarConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


PRESETS: dict[str, Preset] = {
    "debug": Preset(
        MudarConfig(
            clip_s=4.0,
            frame_size=32,
            n_mels=128,
            encoder_channels=(8, 16),
            audio_channels=(8,),
            dim=32,
            layers=1,
            heads=2,
        ),
        TrainConfig(epochs=3, avts_from_epoch=2, batch_size=4, lr=1e-3, clip_hop_s=2.0),
    ),
    # the shipped model: a thinner pyramid halves the step time (0.55 s for 16 clips of 8 s);
    # InfoNCE, because on the 30 training dances the triplet loss collapses (see losses/infonce)
    # agva_order="legacy": the shipped model was trained so (docs/paper.md, Eq. 7)
    "cpu": Preset(
        MudarConfig(
            frame_size=64,
            encoder_channels=(8, 16, 32, 64),
            dim=128,
            layers=2,
            agva_order="legacy",
        ),
        TrainConfig(
            epochs=16,
            avts_from_epoch=11,
            batch_size=16,
            lr=3e-4,
            clip_hop_s=2.0,
            implicit_loss="infonce",
        ),
    ),
    # the paper's form of every item (docs/paper.md; tests/models/test_paper_preset.py checks
    # each setting against sec. 3-4.1). PWC-Net flow needs its weights: prepare the features
    # with `mudar prepare --flow pwcnet --pwcnet-weights PATH --aspect squash --frame-size 256`
    "paper": Preset(
        MudarConfig(
            clip_s=8.0,
            fps=8.0,
            frame_size=256,
            encoder_channels=(16, 32, 64, 96, 128, 196),
            dim=512,
            layers=4,
            heads=8,
            visual_motion=False,  # HOOF in the implicit token is ours
            explicit_detach=False,
            agva_order="paper",
            hoof_vote="literal",
            flow="pwcnet",
            aspect="squash",
        ),
        TrainConfig(
            epochs=50,
            avts_from_epoch=35,
            batch_size=384,
            lr=1e-4,
            implicit_loss="triplet",
            augment=False,
            avc_rule="paper",
            clip_mode="middle",
        ),
    ),
}


def get_preset(name: str) -> Preset:
    """The named preset; an unknown name is a :class:`ParameterError` listing the known ones."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ParameterError(
            f"unknown preset {name!r}; known: {', '.join(sorted(PRESETS))}"
        ) from None
