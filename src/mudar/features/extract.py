"""One file in, all of its features out: the only place that decodes media for analysis.

``analyze`` streams the video once (optical flow -> HOOF -> hoof-flux, and optionally small RGB
frames for the models) and decodes the audio once (music rhythm), both on one
:class:`~mudar.clock.FrameClock`, so every per-frame array of an :class:`Analysis` has the same
length ``n_frames``.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np

from mudar.errors import DecodeError
from mudar.features.analysis import Analysis, AnalysisConfig
from mudar.features.dance import DanceFeatures, dance_features
from mudar.features.music import music_features
from mudar.io import iter_frames, load_audio, probe
from mudar.io.media import MediaInfo
from mudar.io.video import iter_frame_pairs


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
    music_feats = None
    if y is not None:
        music_feats = music_features(y, clock=clock, n_frames=n, window=config.stft_window)
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
    small = _Frames(n_expected, config.frame_size)
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
        stream,
        fps=clock.fps,
        backend=backend,
        bins=config.hoof_bins,
        camera=config.camera,
        vote=config.hoof_vote,
    )
    if feats.hoof.shape[0] == 0:
        raise DecodeError(f"{path}: no decodable video frame")
    frames = small.array() if config.frame_size > 0 else None
    return feats, frames


def _keep_rgb(pairs, store: _Frames):
    """Pass the gray frames of (gray, rgb) pairs on to the flow, keeping the RGB ones."""
    for gray, rgb in pairs:
        store.append(rgb)
        yield gray


class _Frames:
    """The small RGB frames, written into one array sized from the expected count (the file's
    duration), so that an hour of them is not held twice (a list, then ``np.stack``)."""

    def __init__(self, n_expected: int, size: int) -> None:
        self.buf = np.empty((max(n_expected, 0), size, size, 3), dtype=np.uint8)
        self.extra: list[np.ndarray] = []  # beyond the expected count (no duration known)
        self.n = 0

    def append(self, rgb: np.ndarray) -> None:
        if self.n < len(self.buf):
            self.buf[self.n] = rgb
        else:
            self.extra.append(rgb)
        self.n += 1

    def array(self) -> np.ndarray:
        """The frames, uint8, shape (n, size, size, 3)."""
        if self.extra:
            return np.concatenate([self.buf, np.stack(self.extra)])
        return self.buf if self.n == len(self.buf) else self.buf[: self.n].copy()


def _info_dict(info: MediaInfo) -> dict:
    d = dataclasses.asdict(info)
    d.pop("path")
    return d
