"""Resampling: the output frames of a time map, streamed from V's frames."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from mudar.errors import ParameterError
from mudar.methods import RESAMPLE_MODES
from mudar.tasks.retarget.timemap import _check_positive, _vector

__all__ = ["RESAMPLE_MODES", "resample_frames"]


def resample_frames(
    frames: Iterable[np.ndarray],
    source_times,
    *,
    fps: float,
    mode: str = "blend",
) -> Iterator[np.ndarray]:
    """Output frames of a time map, streamed from the source frames.

    Source frame ``k`` is shown at ``k / fps``. Output frame ``j`` is, at source position
    ``p = source_times[j] * fps``, either frame ``round(p)`` (``nearest``) or the linear blend
    of frames ``floor(p)`` and ``floor(p) + 1`` (``blend``: smoother slow motion, ghosting on
    fast moves). Because the map never goes back, only two source frames are held at a time;
    the source is read exactly once, as far as the map needs it. A source that ends early
    repeats its last frame.

    Parameters
    ----------
    frames : iterable of np.ndarray, uint8, shape (H, W, 3)
        The source frames in order, at ``fps`` (for a looped map: V's frames pass after pass).
    source_times : array-like, shape (n,)
        Non-decreasing times, seconds (see :class:`RetargetPlan`).
    fps : float
        Frame rate of ``frames`` (and of the output).
    mode : {"blend", "nearest"}

    Yields
    ------
    np.ndarray, uint8, shape (H, W, 3)
        ``n`` frames. ``nearest`` may yield the same array object more than once: do not
        modify them.

    Raises
    ------
    ParameterError
        Unknown mode, bad fps, times that are negative, not finite or decreasing, no frames.
    """
    if mode not in RESAMPLE_MODES:
        raise ParameterError(f"mode must be one of {RESAMPLE_MODES}, got {mode!r}")
    _check_positive(fps=fps)
    s = _vector(source_times, "source_times")
    if len(s) and (s[0] < 0 or np.any(np.diff(s) < 0)):
        raise ParameterError("source_times must be >= 0 and non-decreasing")
    return _resample(iter(frames), s * fps, mode)


def _resample(it: Iterator[np.ndarray], positions: np.ndarray, mode: str) -> Iterator[np.ndarray]:
    import cv2

    held: list[np.ndarray] = []  # frames last_idx - len(held) + 1 .. last_idx
    last_idx = -1
    done = False

    def frame(k: int) -> np.ndarray:
        nonlocal last_idx, done
        while last_idx < k and not done:
            nxt = next(it, None)
            if nxt is None:
                done = True
                break
            held.append(nxt)
            del held[:-2]
            last_idx += 1
        if not held:
            raise ParameterError("no source frames to resample")
        # past the end of the source: its last frame
        return held[-1] if k >= last_idx else held[k - last_idx - 1]

    for p in positions:
        if mode == "nearest":
            yield frame(int(np.floor(p + 0.5)))
            continue
        k0 = int(np.floor(p))
        w = float(p - k0)
        if w < 1e-3:
            yield frame(k0)
            continue
        b = frame(k0 + 1)
        a = frame(k0)
        if a is b or w > 1 - 1e-3:
            yield b
            continue
        yield cv2.addWeighted(a, 1.0 - w, b, w, 0.0)
