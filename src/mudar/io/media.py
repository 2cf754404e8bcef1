"""Opening media files with PyAV and describing what is inside.

All FFmpeg failures are turned into :class:`~mudar.errors.DecodeError` here, so the rest of the
package never sees an ``av`` exception.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av

from mudar.errors import DecodeError, InputError


@dataclass(frozen=True)
class MediaInfo:
    """What a media file holds.

    Attributes
    ----------
    path : str
    duration_s : float
        Length in seconds: the video stream's if there is one, else the audio stream's.
    has_video, has_audio : bool
    width, height : int
        Displayed size (after rotation), 0 without video.
    rotation : int
        Degrees the coded picture is turned counter-clockwise for display (0, 90, 180, -90).
    native_fps : float
        Average frame rate of the video stream (0 without video); variable-rate files are
        still sampled by timestamps, never by this number.
    sample_rate : int
        Native audio rate (0 without audio).
    """

    path: str
    duration_s: float
    has_video: bool
    has_audio: bool
    width: int = 0
    height: int = 0
    rotation: int = 0
    native_fps: float = 0.0
    sample_rate: int = 0


def check_path(path: str | os.PathLike) -> Path:
    """Raise :class:`InputError` unless ``path`` is an existing, readable, non-empty regular
    file."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    if p.is_dir():
        raise InputError(f"{p}: is a directory, expected a media file")
    try:
        with open(p, "rb"):  # FFmpeg would call a file it may not read "not a media file"
            pass
    except PermissionError:
        raise InputError(f"{p}: permission denied (the file cannot be read)") from None
    except OSError as e:
        raise InputError(f"{p}: cannot be read ({e.strerror or e})") from None
    if p.stat().st_size == 0:
        raise InputError(f"{p}: file is empty")
    return p


@contextlib.contextmanager
def open_media(path: str | os.PathLike) -> Iterator[av.container.InputContainer]:
    """Open ``path`` for decoding; FFmpeg errors become :class:`DecodeError`."""
    p = check_path(path)
    try:
        container = av.open(str(p), mode="r")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as e:
        raise DecodeError(f"{p}: not a media file FFmpeg can read ({_reason(e)})") from None
    try:
        yield container
    except av.error.FFmpegError as e:
        raise DecodeError(f"{p}: decoding failed ({_reason(e)})") from None
    finally:
        container.close()


def _reason(e: Exception) -> str:
    return getattr(e, "strerror", None) or str(e) or type(e).__name__


def stream_time(stream: av.stream.Stream, value: int | None) -> float | None:
    """A stream timestamp in seconds, or None."""
    if value is None or stream.time_base is None:
        return None
    return float(value * stream.time_base)


def container_start(container: av.container.InputContainer) -> float:
    """Time in seconds that mudar calls t=0: the container's start time (0 if unknown)."""
    start = container.start_time
    return 0.0 if start is None else start / 1e6


def _stream_duration(container: av.container.InputContainer, stream: av.stream.Stream) -> float:
    d = stream_time(stream, stream.duration)
    if d is None or d <= 0:
        d = (container.duration or 0) / 1e6
    return max(float(d), 0.0)


# codecs of a still picture: a stream of one of these with a single frame and no frame rate is
# a song's cover art even where the container does not mark it as an attached picture
STILL_IMAGE_CODECS = frozenset({"mjpeg", "png", "bmp", "gif", "webp", "tiff", "jpeg2000"})


def is_cover_art(stream: av.stream.Stream) -> bool:
    """Whether a video stream is a picture attached to a song (cover art), not moving pictures.

    Taggers store cover art as a video stream: FFmpeg marks it with the ``attached_pic``
    disposition (ID3 APIC in .mp3, ``covr`` in .m4a, METADATA_BLOCK_PICTURE in .ogg/.flac); an
    untagged single-frame still-image stream without a frame rate counts too.
    """
    if stream.disposition & av.stream.Disposition.attached_pic:
        return True
    return (
        stream.codec_context.name in STILL_IMAGE_CODECS
        and (stream.frames or 0) <= 1
        and not stream.average_rate
    )


def motion_stream(container: av.container.InputContainer) -> av.stream.Stream | None:
    """The first video stream that is not cover art, or None (then the file is audio)."""
    return next((s for s in container.streams.video if not is_cover_art(s)), None)


def probe(path: str | os.PathLike) -> MediaInfo:
    """Describe a media file without decoding it.

    Raises
    ------
    InputError
        Missing path, directory, empty file.
    DecodeError
        Not a media file, or no audio and no video stream.

    A song whose only pictures are cover art (:func:`is_cover_art`) is audio:
    ``has_video`` is False.
    """
    with open_media(path) as c:
        v = motion_stream(c)
        a = c.streams.audio[0] if c.streams.audio else None
        if v is None and a is None:
            what = "only a still picture" if c.streams.video else "neither video nor audio"
            raise DecodeError(f"{path}: holds {what}")
        width = height = rotation = 0
        fps = 0.0
        if v is not None:
            width, height = v.codec_context.width, v.codec_context.height
            fps = float(v.average_rate or v.guessed_rate or 0)
            rotation = first_frame_rotation(c, v)
            if rotation in (90, -90, 270, -270):
                width, height = height, width
        duration = _stream_duration(c, v if v is not None else a)
        return MediaInfo(
            path=str(path),
            duration_s=duration,
            has_video=v is not None,
            has_audio=a is not None,
            width=width,
            height=height,
            rotation=rotation,
            native_fps=fps,
            sample_rate=int(a.rate) if a is not None else 0,
        )


def first_frame_rotation(container: av.container.InputContainer, stream) -> int:
    """Rotation of the first decodable frame (PyAV exposes the display matrix on frames)."""
    try:
        for frame in container.decode(stream):
            return snap_rotation(frame.rotation)
    except av.error.FFmpegError:
        return 0
    return 0


def snap_rotation(degrees: float) -> int:
    """Round a display-matrix angle to the nearest of 0, 90, 180, -90."""
    r = int(round(degrees / 90.0)) % 4
    return {0: 0, 1: 90, 2: 180, 3: -90}[r]
