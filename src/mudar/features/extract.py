"""One file in, all of its features out: the only place that decodes media for analysis.

``analyze`` streams the video once (optical flow -> HOOF -> hoof-flux, and optionally small RGB
frames for the models) and decodes the audio once (music rhythm), both on one
:class:`~mudar.clock.FrameClock`, so every per-frame array of an :class:`Analysis` has the same
length ``n_frames``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass, field

import numpy as np

from mudar.clock import DEFAULT_CLOCK, FrameClock
from mudar.errors import DecodeError, ParameterError
from mudar.features.dance import DanceFeatures, dance_features
from mudar.features.music import MusicFeatures, music_features
from mudar.io import iter_frames, load_audio, probe
from mudar.io.media import MediaInfo
from mudar.io.video import iter_frame_pairs


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
    """

    clock: FrameClock = DEFAULT_CLOCK
    size: int = 256
    aspect: str = "pad"
    flow: str = "dis"
    hoof_bins: int = 32
    camera: str = "median"
    frame_size: int = 0
    flow_weights: str = ""

    def __post_init__(self) -> None:
        if self.size < 16:
            raise ParameterError(f"size must be >= 16 pixels, got {self.size}")
        if self.hoof_bins < 2:
            raise ParameterError(f"hoof_bins must be >= 2, got {self.hoof_bins}")
        if self.frame_size < 0:
            raise ParameterError(f"frame_size must be >= 0, got {self.frame_size}")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> AnalysisConfig:
        d = dict(d)
        d["clock"] = FrameClock(**d["clock"])
        return cls(**d)

    def key(self) -> str:
        """Short stable hash of the parameters."""
        text = json.dumps(self.to_dict(), sort_keys=True)
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
    """

    path: str
    config: AnalysisConfig
    n_frames: int
    start_s: float = 0.0
    music: MusicFeatures | None = None
    dance: DanceFeatures | None = None
    frames: np.ndarray | None = None
    info: dict = field(default_factory=dict)

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
        return out

    @classmethod
    def from_arrays(cls, arrays) -> Analysis:
        meta = json.loads(str(arrays["meta"]))
        music = {k[6:]: arrays[k] for k in arrays if k.startswith("music/")}
        dance = {k[6:]: arrays[k] for k in arrays if k.startswith("dance/")}
        return cls(
            path=meta["path"],
            config=AnalysisConfig.from_dict(meta["config"]),
            n_frames=int(meta["n_frames"]),
            start_s=float(meta["start_s"]),
            music=MusicFeatures.from_arrays(music) if music else None,
            dance=DanceFeatures.from_arrays(dance) if dance else None,
            frames=np.asarray(arrays["frames"]) if "frames" in arrays else None,
            info=meta.get("info", {}),
        )


def analyze(
    path: str | os.PathLike,
    config: AnalysisConfig | None = None,
    *,
    music: bool = True,
    dance: bool = True,
) -> Analysis:
    """Decode ``path`` once and compute its music and dance features on the frame clock.

    Parameters
    ----------
    path : path-like
        A video (with or without sound) or an audio file.
    config : AnalysisConfig, optional
    music, dance : bool
        Compute the music / dance side (each is skipped anyway when its stream is absent).

    Returns
    -------
    Analysis
        ``n_frames`` = whole video frames of the file at ``config.clock.fps``.

    Raises
    ------
    InputError, DecodeError
    """
    config = config or AnalysisConfig()
    clock = config.clock
    info = probe(path)
    n = clock.n_frames(info.duration_s)
    dance_feats, frames = None, None
    if dance and info.has_video:
        dance_feats, frames = _analyze_video(path, config, n)
        n = dance_feats.hoof.shape[0]
    y = load_audio(path, sr=clock.sr) if music and info.has_audio else None
    if not info.has_video:
        if y is None:
            raise DecodeError(f"{path}: no audio could be decoded")
        n = clock.n_frames(len(y) / clock.sr)
    music_feats = music_features(y, clock=clock, n_frames=n) if y is not None else None
    return Analysis(
        path=str(path),
        config=config,
        n_frames=n,
        music=music_feats,
        dance=dance_feats,
        frames=frames,
        info=_info_dict(info),
    )


def _analyze_video(
    path: str | os.PathLike, config: AnalysisConfig, n_expected: int
) -> tuple[DanceFeatures, np.ndarray | None]:
    clock = config.clock
    max_frames = n_expected if n_expected > 0 else None
    small: list[np.ndarray] = []
    # one pass over the file: gray for the flow, plus small RGB straight from the decoded frames
    # when they are kept (no large RGB picture in between)
    if config.frame_size > 0:
        pairs = iter_frame_pairs(
            path,
            fps=clock.fps,
            size=config.size,
            rgb_size=config.frame_size,
            aspect=config.aspect,
            max_frames=max_frames,
        )
        stream = _keep_rgb(pairs, small)
    else:
        stream = iter_frames(
            path,
            fps=clock.fps,
            size=config.size,
            aspect=config.aspect,
            gray=True,
            max_frames=max_frames,
        )
    from mudar.features.flow import get_flow_backend

    options = {"weights": config.flow_weights} if config.flow_weights else {}
    backend = get_flow_backend(config.flow, **options)
    feats = dance_features(
        stream, fps=clock.fps, backend=backend, bins=config.hoof_bins, camera=config.camera
    )
    if feats.hoof.shape[0] == 0:
        raise DecodeError(f"{path}: no decodable video frame")
    frames = np.stack(small) if config.frame_size > 0 else None
    return feats, frames


def _keep_rgb(pairs, store: list[np.ndarray]):
    """Pass the gray frames of (gray, rgb) pairs on to the flow, keeping the RGB ones."""
    for gray, rgb in pairs:
        store.append(rgb)
        yield gray


def _info_dict(info: MediaInfo) -> dict:
    d = dataclasses.asdict(info)
    d.pop("path")
    return d
