"""A dance video's pose track written to disk (``mudar pose``): the track as ``.npz`` or as
AIST++'s keypoints2d pickle, and optionally the skeleton drawn over the video.

The video is decoded once for the track (:func:`mudar.features.extract.pose_track`) and once
more for the overlay, which keeps the source's resolution, frame rate and sound.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from mudar.data.readers.pose import TRACK_SUFFIXES, save_pose_track
from mudar.errors import ParameterError
from mudar.features.extract import pose_track
from mudar.features.pose import PoseTrack
from mudar.io import probe
from mudar.io.audio import load_audio_track
from mudar.io.video import iter_decoded
from mudar.io.write import AAC_RATES, CONTAINERS, write_video

__all__ = ["pose_file", "write_overlay"]


def pose_file(
    path: str | os.PathLike,
    out: str | os.PathLike,
    *,
    stride: int = 1,
    overlay: str | os.PathLike | None = None,
    progress: bool | None = None,
) -> dict:
    """Track the dancer of a video and write the track (and the overlay).

    Parameters
    ----------
    path : path-like
        A video.
    out : path-like
        ``OUT.npz`` (the :class:`~mudar.features.pose.PoseTrack` arrays and the source video's
        path) or ``OUT.pkl`` (AIST++'s keypoints2d layout, one view:
        :func:`mudar.features.keypoints2d.keypoints2d_arrays`).
    stride : int
        Estimate every ``stride``-th decoded frame.
    overlay : path-like, optional
        A video file (``.mp4``, ``.mov``, ``.mkv``) to draw the skeleton over the video in.
    progress : bool, optional
        The pose progress bar (see :func:`mudar.features.extract.analyze`).

    Returns
    -------
    dict
        ``file``, ``frames`` (rows of the track), ``found_fraction`` (share with a body),
        ``dancer_found``, ``fps`` (the track's), ``estimator``, ``outputs`` (the files written).
        A video with nobody in it is a result too: ``dancer_found`` false, and the files hold
        a track of gaps (NaN keypoints, confidence 0).

    Raises
    ------
    ParameterError
        An output extension that is not ``.npz``/``.pkl`` (overlay: a video container), or
        an output that is the input; checked before any work.
    InputError, DecodeError
        No such file, not media, no video stream (an audio file), a corrupt file.
    MissingDependency
        Without the ``pose`` extra.
    """
    src, dest = Path(path), Path(out)
    if dest.suffix.lower() not in TRACK_SUFFIXES:
        raise ParameterError(f"{dest}: the track is written as .npz or .pkl, not {dest.suffix!r}")
    if overlay is not None:
        ov = Path(overlay)
        if ov.suffix.lower() not in CONTAINERS:
            raise ParameterError(
                f"{ov}: the overlay is a video, one of {', '.join(sorted(CONTAINERS))}"
            )
        if ov.resolve() == src.resolve():
            raise ParameterError(f"{ov}: is the input video; write the overlay elsewhere")
    track = pose_track(src, stride=stride, progress=progress)
    written = []
    if overlay is not None:  # the overlay first: if it fails, nothing at all is written
        written.append(str(write_overlay(src, track, overlay)))
    written.insert(0, str(save_pose_track(dest, track, source=src.resolve())))
    return {
        "file": str(src),
        "frames": len(track),
        "found_fraction": round(track.found_fraction, 4),
        "dancer_found": bool(track.found.any()),
        "fps": round(track.fps, 4),
        "estimator": track.estimator,
        "outputs": written,
    }


def write_overlay(video: str | os.PathLike, track: PoseTrack, dest: str | os.PathLike) -> Path:
    """The video with its pose track drawn over it (:func:`mudar.report.skeleton.draw_pose`),
    written atomically: H.264 at the source's resolution and frame rate (an odd side loses its
    last pixel row or column: 4:2:0 colour needs even sides), the source's sound re-encoded as
    AAC. Each picture shows the track's latest row at or before its time (with a stride, the
    body is held between estimates); nothing is drawn where no body was found.

    Parameters
    ----------
    video : path-like
    track : PoseTrack
        Of ``video`` (keypoints in pixels of its displayed picture).
    dest : path-like
        ``.mp4``, ``.mov`` or ``.mkv``.

    Returns
    -------
    Path
    """
    from mudar.report.skeleton import draw_pose

    info = probe(video)
    found = track.found
    times = track.times_s

    def frames():
        for t, rgb in iter_decoded(video):
            h, w = rgb.shape[0] // 2 * 2, rgb.shape[1] // 2 * 2
            i = int(np.searchsorted(times, t + 1e-6, side="right")) - 1
            if 0 <= i < len(track) and found[i]:
                rgb = draw_pose(rgb, track.keypoints[i], track.confidence[i])
            yield rgb[:h, :w]

    sound = load_audio_track(video) if info.has_audio else None
    if sound is not None and sound[1] not in AAC_RATES:
        sound = load_audio_track(video, sr=48000)
    y, sr = sound if sound is not None else (None, None)
    fps = info.native_fps or track.fps
    return write_video(dest, frames(), fps=fps, audio=y, sr=sr)
