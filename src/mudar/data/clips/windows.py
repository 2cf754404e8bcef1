"""Which frames make a clip: the paper's middle 8 s, or sliding windows over a whole file.

Clips are cut from an :class:`~mudar.features.analysis.Analysis` of the whole file, so a file is
decoded once however many clips are taken from it. The training clips of a video follow
``TrainConfig.clip_mode`` (:data:`CLIP_MODES`, :func:`training_windows`): ``"middle"`` is the
paper's (sec. 4.1: one clip per video, 4 s either side of its middle, the beginning and end
discarded as noise), ``"windows"`` (the default) windows every ``clip_hop_s`` seconds, for
small data sets where one clip per video is too few.
"""

from __future__ import annotations

import dataclasses

from mudar.errors import ParameterError
from mudar.features.analysis import Analysis


def middle_window(n_frames: int, *, fps: float, length_s: float = 8.0) -> tuple[int, int]:
    """Frames ``(start, stop)`` of the ``length_s`` seconds around the middle (paper: 4 s either
    side). A file shorter than that gives the whole file."""
    length = _frames(length_s, fps, "length_s")
    if n_frames <= length:
        return 0, max(n_frames, 0)
    start = (n_frames - length) // 2
    return start, start + length


CLIP_MODES = ("windows", "middle")
"""How training clips are taken from a video (``TrainConfig.clip_mode``)."""


def training_windows(
    n_frames: int, *, fps: float, window_s: float = 8.0, hop_s: float = 4.0, mode: str = "windows"
) -> list[tuple[int, int]]:
    """Frames ``(start, stop)`` of the training clips of a video.

    Parameters
    ----------
    n_frames : int
        Frames of the whole video.
    fps : float
        Frames per second.
    window_s : float
        Clip length, seconds (the paper: 8).
    hop_s : float
        Seconds between window starts (``mode="windows"`` only).
    mode : {"windows", "middle"}
        ``"middle"``: the one clip of ``window_s`` around the middle (:func:`middle_window`);
        ``"windows"``: :func:`sliding_windows`.

    Returns
    -------
    list of (int, int)
        Empty for an empty video; a video shorter than one clip gives one shorter window (the
        caller decides whether it is too short).

    Raises
    ------
    ParameterError
        Unknown ``mode``, or a length or hop shorter than one frame.
    """
    if mode not in CLIP_MODES:
        raise ParameterError(f"clip mode must be one of {CLIP_MODES}, got {mode!r}")
    if mode == "middle":
        start, stop = middle_window(n_frames, fps=fps, length_s=window_s)
        return [(start, stop)] if stop > start else []
    return sliding_windows(n_frames, fps=fps, window_s=window_s, hop_s=hop_s)


def sliding_windows(
    n_frames: int, *, fps: float, window_s: float = 8.0, hop_s: float = 4.0
) -> list[tuple[int, int]]:
    """Frames ``(start, stop)`` of windows of ``window_s`` every ``hop_s`` seconds.

    The last window is aligned to the end so the tail is covered; a file shorter than one window
    gives a single window over the whole file.
    """
    window = _frames(window_s, fps, "window_s")
    hop = _frames(hop_s, fps, "hop_s")
    if n_frames <= window:
        return [(0, n_frames)] if n_frames > 0 else []
    starts = list(range(0, n_frames - window + 1, hop))
    if starts[-1] + window < n_frames:
        starts.append(n_frames - window)
    return [(s, s + window) for s in starts]


def cut(analysis: Analysis, start: int, stop: int) -> Analysis:
    """The clip of frames ``start:stop`` of an analysis; times re-based on the clip start."""
    if not 0 <= start < stop <= analysis.n_frames:
        raise ParameterError(f"clip {start}:{stop} is outside 0:{analysis.n_frames}")
    clock = analysis.clock
    return dataclasses.replace(
        analysis,
        n_frames=stop - start,
        start_s=analysis.start_s + start / clock.fps,
        music=analysis.music.slice(start, stop, clock=clock) if analysis.music else None,
        dance=analysis.dance.slice(start, stop) if analysis.dance else None,
        frames=analysis.frames[start:stop] if analysis.frames is not None else None,
        pose=analysis.pose.clip(start / clock.fps, stop / clock.fps) if analysis.pose else None,
    )


def _frames(seconds: float, fps: float, name: str) -> int:
    n = round(seconds * fps)
    if n < 1:
        raise ParameterError(f"{name}={seconds} s is shorter than one frame at {fps:g} fps")
    return n
