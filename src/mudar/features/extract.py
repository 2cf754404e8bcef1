"""One file in, all of its features out: the only place that decodes media for analysis.

``analyze`` streams the video once (optical flow -> HOOF -> hoof-flux, and optionally small RGB
frames for the models) and decodes the audio once (music rhythm), both on one
:class:`~mudar.clock.FrameClock`, so every per-frame array of an :class:`Analysis` has the same
length ``n_frames``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os

import numpy as np

from mudar.errors import DecodeError, InputError
from mudar.features.analysis import Analysis, AnalysisConfig
from mudar.features.dance import DanceFeatures, dance_features
from mudar.features.energy import MotionEnergy
from mudar.features.music import music_features
from mudar.features.pose import PoseEstimator, PoseTap, PoseTrack
from mudar.io import iter_frames, load_audio, probe
from mudar.io.background import BackgroundTap
from mudar.io.buffer import RowBuffer
from mudar.io.media import MediaInfo
from mudar.io.video import iter_frame_pairs


def analyze(
    path: str | os.PathLike,
    config: AnalysisConfig | None = None,
    *,
    music: bool = True,
    dance: bool = True,
    progress: bool | None = None,
) -> Analysis:
    """Decode ``path`` once and compute its music and dance features on the frame clock.

    Parameters
    ----------
    path : path-like
        A video (with or without sound) or an audio file.
    config : AnalysisConfig, optional
    music, dance : bool
        Compute the music / dance side (each is skipped anyway when its stream is absent).
    progress : bool, optional
        Show a progress bar of the pose track (the slow part of a long video's analysis) on
        stderr: True always, False never, None (default) on a terminal for a video over a
        minute.

    Returns
    -------
    Analysis
        ``n_frames`` = whole video frames of the file at ``config.clock.fps``.

    Raises
    ------
    InputError, DecodeError
    """
    from concurrent.futures import ThreadPoolExecutor

    config = config or AnalysisConfig()
    clock = config.clock
    info = probe(path)
    n = clock.n_frames(info.duration_s)
    dance_feats, frames, pose = None, None, None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mudar-music") as beside:
        # the music on a second core while the video is analysed, on the frames the duration
        # gives (computed again below where the video gives another number)
        audio = None
        if music and info.has_audio:
            audio = beside.submit(_music, path, config, n if info.has_video else None)
        if dance and info.has_video:
            dance_feats, frames, pose = _analyze_video(path, config, n, info, progress)
            n = dance_feats.hoof.shape[0]
        y, music_feats = (None, None) if audio is None else audio.result()
    if not info.has_video:
        if y is None:
            raise DecodeError(f"{path}: no audio could be decoded")
        n = clock.n_frames(len(y) / clock.sr)
    if music_feats is not None and music_feats.n_frames != n:
        music_feats = music_features(y, clock=clock, n_frames=n, window=config.stft_window)
    return Analysis(
        path=str(path),
        config=config,
        n_frames=n,
        music=music_feats,
        dance=dance_feats,
        frames=frames,
        info=_info_dict(info),
        pose=pose,
    )


def _music(path: str | os.PathLike, config: AnalysisConfig, n: int | None):
    """(samples, music features on ``n`` frames) of ``path``'s audio; ``n`` None: as many as
    the audio lasts."""
    clock = config.clock
    y = load_audio(path, sr=clock.sr)
    if n is None:
        n = clock.n_frames(len(y) / clock.sr)
    return y, music_features(y, clock=clock, n_frames=n, window=config.stft_window)


def _analyze_video(
    path: str | os.PathLike,
    config: AnalysisConfig,
    n_expected: int,
    info: MediaInfo,
    progress: bool | None,
) -> tuple[DanceFeatures, np.ndarray | None, PoseTrack | None]:
    clock = config.clock
    max_frames = n_expected if n_expected > 0 else None
    s = config.frame_size
    small = RowBuffer(n_expected, (s, s, 3), np.uint8)  # sized from the duration
    from mudar.features.flow import get_flow_backend

    options = {"weights": config.flow_weights} if config.flow_weights else {}
    backend = get_flow_backend(config.flow, **options)
    pose, bar = None, None
    if config.pose_stride > 0:  # the dancer's body, on every pose_stride-th decoded frame
        bar = _pose_bar(info, progress)
        pose = PoseTap(stride=config.pose_stride, progress=bar.update)
    # the motion energy sees every decoded frame, not only those on the clock: on a thread of
    # its own, beside the decode and the flow (a second core); nothing below raises before the
    # `with` that ends the thread
    energy = MotionEnergy() if config.energy_steps > 0 else None
    beside = BackgroundTap(energy) if energy is not None else None
    taps = [t for t in (beside, pose) if t is not None]
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
            tap=taps,
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
            tap=taps,
        )
    with beside or contextlib.nullcontext():  # leaving it waits for the energy's last pair
        try:
            feats = dance_features(
                stream,
                fps=clock.fps,
                backend=backend,
                bins=config.hoof_bins,
                camera=config.camera,
                vote=config.hoof_vote,
            )
        finally:  # the decode is over, read to its end or not: so is the pose bar
            if bar is not None:
                bar.close()
    if feats.hoof.shape[0] == 0:
        raise DecodeError(f"{path}: no decodable video frame")
    if energy is not None:
        feats.energy = energy.on_clock(len(feats), fps=clock.fps, steps=config.energy_steps)
    frames = small.array() if config.frame_size > 0 else None
    track = None
    if pose is not None:
        track = pose.track(width=info.width, height=info.height, fps=info.native_fps or clock.fps)
    return feats, frames, track


def pose_track(
    path: str | os.PathLike,
    *,
    stride: int = 1,
    progress: bool | None = None,
    estimator: PoseEstimator | None = None,
) -> PoseTrack:
    """The dancer's pose track of a video alone (no flow, no music): every ``stride``-th
    decoded frame, as :func:`analyze` makes it with ``AnalysisConfig(pose_stride=stride)``.

    Parameters
    ----------
    path : path-like
        A video.
    stride : int
        Estimate every ``stride``-th decoded frame (1: all).
    progress : bool, optional
        As :func:`analyze`.
    estimator : PoseEstimator, optional
        Default MediaPipe's (:class:`~mudar.features.pose.MediaPipePose`); one given is not
        closed here.

    Returns
    -------
    PoseTrack
        Keypoints in pixels of the displayed picture. Memory grows with the frames estimated
        only: the landmarks T x 33 x 4 float32 and the keypoints beside them, about 0.75 kB a
        frame (80 MB for an hour at 30 fps, by arithmetic); no picture is kept.

    Raises
    ------
    InputError, DecodeError
        No such file, not media, no video stream, no decodable frame.
    MissingDependency
        Without the ``pose`` extra.
    """
    info = probe(path)
    if not info.has_video:
        raise InputError(f"{path}: has no video stream, so no dancer to track")
    bar = _pose_bar(info, progress)
    tap = PoseTap(stride=stride, estimator=estimator, progress=bar.update)
    try:
        # the clock's own frames are not used: the smallest gray picture, for the tap's sake
        for _ in iter_frames(path, fps=1.0, size=8, gray=True, tap=tap):
            pass
    finally:
        bar.close()
    if not tap.times:
        raise DecodeError(f"{path}: no decodable video frame")
    return tap.track(width=info.width, height=info.height, fps=info.native_fps or 25.0)


def _pose_bar(info: MediaInfo, progress: bool | None):
    """A progress bar over the decoded frames the pose tap sees (it sees them all)."""
    from tqdm import tqdm

    total = round(info.duration_s * info.native_fps) if info.native_fps else None
    disable = None if progress is None and info.duration_s > 60 else not progress
    return tqdm(total=total, desc="pose", unit="frame", disable=disable, leave=False)


def _keep_rgb(pairs, store: RowBuffer):
    """Pass the gray frames of (gray, rgb) pairs on to the flow, keeping the RGB ones."""
    for gray, rgb in pairs:
        store.append(rgb)
        yield gray


def _info_dict(info: MediaInfo) -> dict:
    d = dataclasses.asdict(info)
    d.pop("path")
    return d
