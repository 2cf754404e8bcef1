"""Video frames sampled on the model clock by presentation timestamps.

Frames are picked by time, not by index: for each target time ``t_k = k / fps`` the decoded frame
whose timestamp is nearest is taken, so variable-frame-rate phone videos come out evenly spaced.
Decoding streams: only the previous and current frame are held, at the output size.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from mudar.clock import DEFAULT_FPS
from mudar.errors import DecodeError, ParameterError
from mudar.io.media import container_start, motion_stream, open_media, snap_rotation
from mudar.io.resize import shrink_area

ASPECTS = ("pad", "crop", "squash")


def iter_frames(
    path: str | os.PathLike,
    *,
    fps: float = DEFAULT_FPS,
    size: int = 256,
    aspect: str = "pad",
    gray: bool = False,
    max_frames: int | None = None,
    tap: FrameTap | Sequence[FrameTap] | None = None,
) -> Iterator[np.ndarray]:
    """Yield frames of ``path`` at ``fps``, as ``size`` x ``size`` images.

    Parameters
    ----------
    path : path-like
    fps : float
        Output frame rate; frame ``k`` is the source frame nearest to ``k / fps`` seconds.
    size : int
        Output side in pixels.
    aspect : {"pad", "crop", "squash"}
        How a non-square picture becomes square: ``pad`` scales the longer side to ``size`` and
        centres the picture on black (keeps the whole frame and the true flow directions; the
        default), ``crop`` scales the shorter side and centre-crops, ``squash`` resizes without
        keeping the aspect (the paper's plain resize).
    gray : bool
        Yield (size, size) uint8 luma instead of (size, size, 3) RGB.
    max_frames : int, optional
        Stop after this many output frames.
    tap : FrameTap or sequence of FrameTap, optional
        Also shown every decoded frame, as the picture it asks for, with its time (see
        :class:`FrameTap`).

    Yields
    ------
    np.ndarray, uint8, shape (size, size, 3) or (size, size)
        Display orientation: rotation metadata is applied.

    Raises
    ------
    InputError, DecodeError
    """
    if fps <= 0 or size <= 0:
        raise ParameterError(f"fps and size must be positive, got fps={fps}, size={size}")
    if aspect not in ASPECTS:
        raise ParameterError(f"aspect must be one of {ASPECTS}, got {aspect!r}")
    converter = _Converter(size, aspect, "gray" if gray else "rgb24")
    for frame in _pick_frames(path, fps=fps, max_frames=max_frames, tap=_tapper(tap, aspect)):
        yield converter(frame)


def iter_frame_pairs(
    path: str | os.PathLike,
    *,
    fps: float = DEFAULT_FPS,
    size: int = 256,
    rgb_size: int = 64,
    aspect: str = "pad",
    max_frames: int | None = None,
    tap: FrameTap | Sequence[FrameTap] | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield the frames of :func:`iter_frames` twice over: gray for the flow, small RGB for a model.

    One decode feeds both, and each picture is scaled straight from the decoded frame, so the
    small RGB costs no large RGB picture (about 3x cheaper than shrinking ``iter_frames``'s RGB).

    Parameters
    ----------
    path : path-like
    fps : float
        Output frame rate, as :func:`iter_frames`.
    size : int
        Side in pixels of the gray frames.
    rgb_size : int
        Side in pixels of the RGB frames.
    aspect : {"pad", "crop", "squash"}
        As :func:`iter_frames`, for both pictures.
    max_frames : int, optional
        Stop after this many output frames.
    tap : FrameTap, optional
        As :func:`iter_frames`.

    Yields
    ------
    gray : np.ndarray, uint8, shape (size, size)
        Full-range luma (swscale's ``gray``: within 3 levels of converting the RGB frame of
        :func:`iter_frames` to gray, and unlike its ``gray=True`` the same for every pixel format).
    rgb : np.ndarray, uint8, shape (rgb_size, rgb_size, 3)
        Area-averaged when shrinking.

    Raises
    ------
    InputError, DecodeError
    """
    if fps <= 0 or size <= 0 or rgb_size <= 0:
        raise ParameterError(
            f"fps, size and rgb_size must be positive, got fps={fps}, size={size}, "
            f"rgb_size={rgb_size}"
        )
    if aspect not in ASPECTS:
        raise ParameterError(f"aspect must be one of {ASPECTS}, got {aspect!r}")
    to_gray = _Converter(size, aspect, "gray", luma_plane=False)
    to_rgb = _Converter(rgb_size, aspect, "rgb24", area=True)
    for frame in _pick_frames(path, fps=fps, max_frames=max_frames, tap=_tapper(tap, aspect)):
        yield to_gray(frame), to_rgb(frame)


def iter_decoded(path: str | os.PathLike) -> Iterator[tuple[float, np.ndarray]]:
    """Yield every decoded frame of ``path`` as it is shown: ``(time_s, rgb)``, the whole
    displayed picture at its own size (rotation applied), in decoding order. For writing a
    picture over the video (an overlay); the analysis reads frames on the clock instead.

    Yields
    ------
    time_s : float
        Presentation time, seconds from the start of the file.
    rgb : np.ndarray, uint8, shape (H, W, 3)

    Raises
    ------
    InputError, DecodeError
    """
    whole = _Converter(1 << 16, "fit", "rgb24")  # "fit" never enlarges: the picture's own size
    with open_media(path) as c:
        if not c.streams.video:
            raise DecodeError(f"{path}: has no video stream")
        stream = c.streams.video[0]
        stream.thread_type = "AUTO"
        t0 = container_start(c)
        for frame in c.decode(stream):
            if frame.pts is None or frame.time is None:
                continue
            yield float(frame.time) - t0, whole(frame)


class FrameTap(Protocol):
    """What wants every decoded frame of a video, not only those on the clock: its ``size``
    (pixels), an optional ``picture`` (``"gray"``, the default, or ``"rgb"``) and
    ``__call__(time_s, picture)``, called in decoding order with the frame's presentation time
    (seconds from the start) and its picture: for ``"gray"``, ``size`` x ``size`` uint8 framed as
    the clock's frames are (``aspect``); for ``"rgb"``, the whole displayed picture, (h, w, 3)
    uint8, its longer side ``size`` (never enlarged), aspect kept."""

    size: int

    def __call__(self, time_s: float, picture: np.ndarray) -> None: ...


def _tapper(
    tap: FrameTap | Sequence[FrameTap] | None, aspect: str
) -> Callable[[float, av.VideoFrame], None] | None:
    """``tap`` (one or several) as a callback on decoded frames, each shown its picture."""
    taps = [] if tap is None else list(tap) if isinstance(tap, list | tuple) else [tap]
    if not taps:
        return None
    calls = []
    for tp in taps:
        if getattr(tp, "picture", "gray") == "rgb":
            calls.append((tp, _Converter(tp.size, "fit", "rgb24", area=True)))
        else:
            calls.append((tp, _Converter(tp.size, aspect, "gray")))

    def call(t: float, frame: av.VideoFrame) -> None:
        for tp, converter in calls:
            tp(t, converter(frame))

    return call


def _pick_frames(
    path: str | os.PathLike,
    *,
    fps: float,
    max_frames: int | None,
    tap: Callable[[float, av.VideoFrame], None] | None = None,
) -> Iterator[av.VideoFrame]:
    """The decoded frame nearest to each target time ``k / fps`` (see the module docstring);
    ``tap``, if given, is called with every decoded frame (its time and the frame) before the
    clock's frames that lie before it are yielded."""
    with open_media(path) as c:
        stream = motion_stream(c)  # cover art is not a video
        if stream is None:
            raise DecodeError(f"{path}: has no video stream")
        stream.thread_type = "AUTO"
        t0 = container_start(c)
        k = 0  # next output index
        prev = None  # (time, frame) of the last decoded frame
        last_dt = 1.0 / float(stream.average_rate or 25)
        for frame in c.decode(stream):
            if frame.pts is None or frame.time is None:
                continue
            t = float(frame.time) - t0
            if prev is not None and t > prev[0]:
                last_dt = t - prev[0]
            if tap is not None:
                tap(t, frame)
            # emit every target time that lies before this frame: nearest of prev/current
            while k / fps <= t:
                if max_frames is not None and k >= max_frames:
                    return
                target = k / fps
                use = frame if prev is None or (t - target) <= (target - prev[0]) else prev[1]
                yield use
                k += 1
            prev = (t, frame)
        if prev is None:
            raise DecodeError(f"{path}: no decodable video frame")
        # targets within the last frame's display interval
        end = prev[0] + last_dt
        while k / fps < end - 1e-9 and (max_frames is None or k < max_frames):
            yield prev[1]
            k += 1


class _Converter:
    """Rotates a frame for display and resizes it to ``size`` x ``size`` in ``fmt`` (or, for
    the internal aspect ``fit``, to the whole picture with its longer side at most ``size``).

    One converter serves all the frames of a stream with one swscale context: PyAV's
    ``frame.reformat`` builds a new context per frame, which costs as much as the scaling itself
    at these sizes. ``luma_plane`` takes the Y plane of 8-bit YUV directly for ``gray`` (no
    swscale at all); ``area`` averages areas when shrinking by 2 or more, where swscale's
    bilinear would alias.
    """

    def __init__(
        self, size: int, aspect: str, fmt: str, *, luma_plane: bool = True, area: bool = False
    ) -> None:
        self.size, self.aspect, self.fmt, self.area = size, aspect, fmt, area
        self.luma_plane = luma_plane and fmt == "gray"
        self.reformatter = VideoReformatter()

    def __call__(self, frame: av.VideoFrame) -> np.ndarray:
        size, aspect = self.size, self.aspect
        rot = snap_rotation(frame.rotation)
        w, h = frame.width, frame.height
        dw, dh = (h, w) if rot in (90, -90) else (w, h)  # displayed size
        if aspect == "squash":
            sw, sh = size, size
        elif aspect == "fit":  # the whole picture, aspect kept, never enlarged
            scale = min(1.0, size / max(dw, dh))
            sw, sh = max(1, round(dw * scale)), max(1, round(dh * scale))
        else:
            scale = size / max(dw, dh) if aspect == "pad" else size / min(dw, dh)
            sw, sh = max(1, round(dw * scale)), max(1, round(dh * scale))
        # scale in the coded orientation (swscale), then turn for display
        cw, ch = (sh, sw) if rot in (90, -90) else (sw, sh)
        if self.luma_plane and frame.format.name in _YUV8:
            img = _luma(frame, cw, ch)
        else:
            strong = self.area and cw * 2 <= w and ch * 2 <= h
            img = self.reformatter.reformat(
                frame,
                width=cw,
                height=ch,
                format=self.fmt,
                interpolation="AREA" if strong else None,
            ).to_ndarray()
        if rot:
            img = np.ascontiguousarray(np.rot90(img, k=rot // 90))
        if aspect == "fit" or (img.shape[0] == size and img.shape[1] == size):
            return img
        if aspect == "pad":
            out = np.zeros((size, size, *img.shape[2:]), dtype=np.uint8)
            y0, x0 = (size - img.shape[0]) // 2, (size - img.shape[1]) // 2
            out[y0 : y0 + img.shape[0], x0 : x0 + img.shape[1]] = img
            return out
        y0, x0 = (img.shape[0] - size) // 2, (img.shape[1] - size) // 2
        return np.ascontiguousarray(img[y0 : y0 + size, x0 : x0 + size])


# 8-bit planar YUV: plane 0 already is the luma picture, so no colour conversion is needed
_YUV8 = frozenset({"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12"})


def _luma(frame: av.VideoFrame, width: int, height: int) -> np.ndarray:
    """The Y plane of an 8-bit YUV frame resized to ``width`` x ``height`` (about 5x cheaper
    than a swscale conversion to gray, which matters at 50x real time)."""
    import cv2

    plane = frame.planes[0]
    y = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)[:, : plane.width]
    if (plane.width, plane.height) == (width, height):
        return y.copy()
    # area averaging only where linear would alias (shrinking by 2 or more); it is 6x slower
    if width * 2 <= plane.width and height * 2 <= plane.height:
        return shrink_area(y, width, height)
    return cv2.resize(y, (width, height), interpolation=cv2.INTER_LINEAR)
