"""Time maps: what a map does to V (its speed, where V's rhythm points land in the output), and
the grid, looping and input checks every planner shares.

A time map ``s`` says, for each output frame time ``t_j = j / fps``, which time ``s(t_j)`` of
the dance video V is shown then, seconds on V's **looped** timeline (``s >= dance_duration_s``
shows V again from its start). See :mod:`mudar.tasks.retarget` for the conventions.
"""

from __future__ import annotations

import math

import numpy as np

from mudar.errors import ParameterError

__all__ = ["dance_times_in_output", "local_speed"]


def local_speed(source_times, *, fps: float) -> np.ndarray:
    """Speed of a time map between consecutive output frames: ``diff(s) * fps``.

    Parameters
    ----------
    source_times : array-like, shape (n,)
        Seconds of V at output frames ``j / fps``.
    fps : float

    Returns
    -------
    np.ndarray, float64, shape (n - 1,)
        1.0 is real time; 2.0 plays V twice as fast.

    Raises
    ------
    ParameterError
    """
    _check_positive(fps=fps)
    s = _vector(source_times, "source_times")
    return np.diff(s) * fps


def dance_times_in_output(dance_times, source_times, *, fps: float, dance_duration_s: float):
    """Where V's dance rhythm points land in the output of a time map, seconds.

    Each point is repeated on every pass of V (looping), then mapped through the inverse of
    the map; points the map skips past (shown between two output frames) are kept at their
    interpolated time. The map is taken to continue at its last speed for the final frame.

    Parameters
    ----------
    dance_times : array-like, shape (k,)
        Dance rhythm points of V, seconds in ``[0, dance_duration_s)``.
    source_times : array-like, shape (n,)
        A time map (non-decreasing), seconds on V's looped timeline.
    fps : float
        Output frame rate.
    dance_duration_s : float
        Length of V, seconds.

    Returns
    -------
    np.ndarray, float64, shape (k',)
        Output times, seconds in ``[0, n / fps)``, increasing.

    Raises
    ------
    ParameterError
    """
    _check_positive(fps=fps, dance_duration_s=dance_duration_s)
    s = _vector(source_times, "source_times")
    if len(s) == 0:
        return np.zeros(0)
    if np.any(np.diff(s) < 0):
        raise ParameterError("source_times must be non-decreasing")
    d = _rhythm(dance_times, "dance_times", dance_duration_s)
    step = s[-1] - s[-2] if len(s) > 1 else 1.0 / fps
    s_ext = np.append(s, s[-1] + step)
    t_ext = np.arange(len(s_ext), dtype=np.float64) / fps
    ext = _loop(d, dance_duration_s, s_ext[-1])
    ext = ext[(ext >= s_ext[0]) & (ext < s_ext[-1])]
    # a flat stretch (speed 0) would make the inverse ambiguous: take its first time
    keep = np.concatenate([[True], np.diff(s_ext) > 0])
    out = np.interp(ext, s_ext[keep], t_ext[keep])
    return out[out < len(s) / fps]


# --- the grid, looping and input checks (shared by the planners and the report) ---------------


def _grid(duration_s: float, fps: float) -> np.ndarray:
    """Output frame times ``j / fps`` over ``duration_s``, at least one frame."""
    n = max(1, round(duration_s * fps))
    return np.arange(n, dtype=np.float64) / fps


def _loop(d: np.ndarray, period: float, upto: float) -> np.ndarray:
    """``d`` repeated every ``period`` seconds, up to (not including) ``upto``."""
    n = max(1, math.ceil(upto / period))
    ext = (d[None, :] + period * np.arange(n)[:, None]).reshape(-1)
    return ext[ext < upto]


def _vector(x, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.size == 0:
        return a.reshape(0)
    if a.ndim != 1:
        raise ParameterError(f"{name} must be 1-D, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ParameterError(f"{name} holds NaN or infinite values")
    return a


def _rhythm(x, name: str, duration_s: float) -> np.ndarray:
    """Sorted unique rhythm times inside ``[0, duration_s)`` (others dropped)."""
    a = np.unique(_vector(x, name))
    return a[(a >= 0) & (a < duration_s)]


def _check_positive(**values: float) -> None:
    for name, v in values.items():
        if not (np.isfinite(v) and v > 0):
            raise ParameterError(f"{name} must be positive, got {v}")


def _check_speeds(min_speed: float, max_speed: float) -> None:
    if not (np.isfinite(min_speed) and np.isfinite(max_speed) and 0 < min_speed <= 1 <= max_speed):
        raise ParameterError(
            f"speed bounds must satisfy 0 < min_speed <= 1 <= max_speed, got "
            f"{min_speed}, {max_speed}"
        )
