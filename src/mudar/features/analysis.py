"""The records of an analysis: what changes a file's features (:class:`AnalysisConfig`, whose
key names cache entries) and the features themselves (:class:`Analysis`), all on one
:class:`~mudar.clock.FrameClock`. :func:`mudar.features.extract.analyze` makes them from a file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field

import numpy as np

from mudar.clock import DEFAULT_CLOCK, FrameClock
from mudar.errors import ParameterError
from mudar.features.dance import DanceFeatures
from mudar.features.music import STFT_WINDOWS, MusicFeatures
from mudar.features.pose import PoseTrack
from mudar.methods import POSE_STRIDE

FEATURES_VERSION = 4
"""Which analysis code made a file's features, part of every cache key (:meth:`AnalysisConfig.key`)
and of the manifests of ``mudar prepare``: raise it whenever a change of the code changes the
features of the same file under the same :class:`AnalysisConfig`, so that caches written before
are recomputed, not read. 1 (no version in the key): until 2026-12; 2: beats from the music's
first beat to its last (:func:`mudar.features.tempo.track_beats`), the tempo the beats keep; 3: the
pose track without MediaPipe's own smoothing and with its left and right kept continuous
(:func:`mudar.features.geometry.consistent_sides`); 4: a running median of each keypoint before
its Gaussian (:data:`mudar.features.pose.MEDIAN_S`)."""


@dataclass(frozen=True)
class AnalysisConfig:
    """Everything that changes the features of a file; its :meth:`key` names cache entries.

    Attributes
    ----------
    clock : FrameClock
        Video rate, audio rate and hop (default 8 fps, 16 kHz, hop 250).
    size : int
        Side in pixels of the square frames optical flow runs on (the paper: 256).
    aspect : {"pad", "crop", "squash"}
        How non-square video becomes square (see :func:`mudar.io.iter_frames`).
    flow : str
        Optical-flow backend name (``dis``, ``farneback``, ...).
    hoof_bins : int
        Orientation bins B of the HOOF (paper Eq. 3-4).
    camera : {"median", "none"}
        Camera-motion compensation before HOOF.
    frame_size : int
        Also keep RGB frames at this side for the models (0: keep none).
    flow_weights : str
        Weights file of a learned flow backend (``pwcnet``); empty for the others.
    hoof_vote : {"nearest", "literal"}
        How a flow vector votes in the HOOF (:data:`mudar.features.hoof.HOOF_VOTES`): the
        nearest bin (default) or Eq. 4 as written. Written to :meth:`to_dict` (and so to the
        cache key) only when not the default, so the default's caches keep their keys.
    stft_window : {"hann", "hamming"}
        STFT window of the music features (:data:`mudar.features.music.STFT_WINDOWS`): Hann
        (default, librosa's) or Hamming (Eq. 1 as written). Written to :meth:`to_dict` only
        when not the default, as ``hoof_vote``.
    energy_steps : int
        Samples per frame of the motion energy measured between the video's own frames
        (:mod:`mudar.features.energy`; 0, the default: not measured). It costs about as much
        again as the rest of the video analysis, so only what reads it asks for it: the
        ``motion-energy`` method (:func:`mudar.tasks.rhythm.measure_needs`) and models with
        ``motion_energy``.
        Written to :meth:`to_dict` only when not 0, as ``hoof_vote``.
    pose_stride : int
        Track the dancer's body (:mod:`mudar.features.pose`, the ``pose`` extra) on every
        ``pose_stride``-th decoded frame (0, the default: not tracked). It costs more than the
        rest of the analysis, so only what reads it asks for it (the ``pose`` method, through
        :func:`mudar.tasks.rhythm.measure_needs`). Written to :meth:`to_dict` only when not 0.
    """

    clock: FrameClock = DEFAULT_CLOCK
    size: int = 256
    aspect: str = "pad"
    flow: str = "dis"
    hoof_bins: int = 32
    camera: str = "median"
    frame_size: int = 0
    flow_weights: str = ""
    hoof_vote: str = "nearest"
    stft_window: str = "hann"
    energy_steps: int = 0
    pose_stride: int = 0

    def __post_init__(self) -> None:
        if self.hoof_vote not in ("nearest", "literal"):
            raise ParameterError(
                f"hoof_vote must be 'nearest' or 'literal', got {self.hoof_vote!r}"
            )
        if self.stft_window not in STFT_WINDOWS:
            raise ParameterError(
                f"stft_window must be one of {STFT_WINDOWS}, got {self.stft_window!r}"
            )
        if self.size < 16:
            raise ParameterError(f"size must be >= 16 pixels, got {self.size}")
        if self.hoof_bins < 2:
            raise ParameterError(f"hoof_bins must be >= 2, got {self.hoof_bins}")
        if self.frame_size < 0:
            raise ParameterError(f"frame_size must be >= 0, got {self.frame_size}")
        if not 0 <= self.energy_steps <= 64:
            raise ParameterError(f"energy_steps must be in [0, 64], got {self.energy_steps}")
        if not 0 <= self.pose_stride <= 100:
            raise ParameterError(f"pose_stride must be in [0, 100], got {self.pose_stride}")

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        # the defaults of later fields are left out: keys of older caches stay valid
        if d["hoof_vote"] == "nearest":
            del d["hoof_vote"]
        if d["stft_window"] == "hann":
            del d["stft_window"]
        if d["energy_steps"] == 0:
            del d["energy_steps"]
        if d["pose_stride"] == 0:
            del d["pose_stride"]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> AnalysisConfig:
        d = dict(d)
        d["clock"] = FrameClock(**d["clock"])
        return cls(**d)

    def key(self) -> str:
        """Short stable hash of the parameters and of :data:`FEATURES_VERSION`."""
        text = json.dumps({**self.to_dict(), "features_version": FEATURES_VERSION}, sort_keys=True)
        return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()


@dataclass
class Analysis:
    """The features of one file (or of a clip of it), all on one frame clock.

    Attributes
    ----------
    path : str
    start_s : float
        Time in the file of frame 0 (0 for a whole file, the clip start for a clip).
    n_frames : int
        Video frames T at ``clock.fps``; per-frame arrays have T entries.
    music : MusicFeatures or None
        None when the file has no audio.
    dance : DanceFeatures or None
        None when the file has no video.
    frames : np.ndarray or None, uint8, shape (T, s, s, 3)
        RGB frames kept for the models when ``config.frame_size > 0``.
    pose : PoseTrack or None
        The dancer's body on the video's own frames (times from frame 0), when
        ``config.pose_stride > 0``.
    """

    path: str
    config: AnalysisConfig
    n_frames: int
    start_s: float = 0.0
    music: MusicFeatures | None = None
    dance: DanceFeatures | None = None
    frames: np.ndarray | None = None
    info: dict = field(default_factory=dict)
    pose: PoseTrack | None = None

    @property
    def clock(self) -> FrameClock:
        return self.config.clock

    @property
    def duration_s(self) -> float:
        return self.n_frames / self.clock.fps

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Flat dict of arrays for ``np.savez`` (no pickles)."""
        meta = {
            "path": self.path,
            "config": self.config.to_dict(),
            "n_frames": self.n_frames,
            "start_s": self.start_s,
            "info": self.info,
        }
        out = {"meta": np.array(json.dumps(meta))}
        if self.music is not None:
            out |= {f"music/{k}": v for k, v in self.music.to_arrays().items()}
        if self.dance is not None:
            out |= {f"dance/{k}": v for k, v in self.dance.to_arrays().items()}
        if self.frames is not None:
            out["frames"] = self.frames
        if self.pose is not None:
            out |= {f"pose/{k}": v for k, v in self.pose.to_arrays().items()}
        return out

    @classmethod
    def from_arrays(cls, arrays) -> Analysis:
        meta = json.loads(str(arrays["meta"]))
        music = {k[6:]: arrays[k] for k in arrays if k.startswith("music/")}
        dance = {k[6:]: arrays[k] for k in arrays if k.startswith("dance/")}
        pose = {k[5:]: arrays[k] for k in arrays if k.startswith("pose/")}
        return cls(
            path=meta["path"],
            config=AnalysisConfig.from_dict(meta["config"]),
            n_frames=int(meta["n_frames"]),
            start_s=float(meta["start_s"]),
            music=MusicFeatures.from_arrays(music) if music else None,
            dance=DanceFeatures.from_arrays(dance) if dance else None,
            frames=np.asarray(arrays["frames"]) if "frames" in arrays else None,
            info=meta.get("info", {}),
            pose=PoseTrack.from_arrays(pose) if pose else None,
        )


def with_energy(config: AnalysisConfig) -> AnalysisConfig:
    """``config`` measuring the motion energy (:data:`mudar.features.energy.ENERGY_STEPS`
    samples a frame); ``config`` itself when it measures it already. Which methods need it is
    said by the table of dance rhythm methods (:func:`mudar.tasks.rhythm.measure_needs`)."""
    from mudar.features.energy import ENERGY_STEPS

    if config.energy_steps == 0:
        return dataclasses.replace(config, energy_steps=ENERGY_STEPS)
    return config


def with_pose(config: AnalysisConfig, *, stride: int = POSE_STRIDE) -> AnalysisConfig:
    """``config`` tracking the dancer's body (every ``stride``-th decoded frame); ``config``
    itself when it tracks it already."""
    if config.pose_stride == 0:
        return dataclasses.replace(config, pose_stride=stride)
    return config
