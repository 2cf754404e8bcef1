"""Planning a retargeting: the rhythm points to align, and the time map the chosen planner makes
of them (:class:`RetargetPlan`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from mudar.errors import ParameterError
from mudar.eval.bas import DEFAULT_SIGMA_S
from mudar.methods import MUSIC_RHYTHMS
from mudar.tasks.retarget.planners import PLANNERS
from mudar.tasks.retarget.timemap import local_speed

__all__ = ["MUSIC_RHYTHMS", "RetargetPlan", "music_rhythm_seconds", "plan_retarget"]


@dataclass(frozen=True)
class RetargetPlan:
    """A time map from output frames to source times, and how it came about.

    Attributes
    ----------
    method : str
        A key of :data:`~mudar.tasks.retarget.planners.PLANNERS` (the method asked for, even
        when it fell back).
    fps : float
        Output frame rate (the source's), frames per second.
    source_times : np.ndarray, float64, shape (n_frames,)
        Time of V shown at output frame ``j`` (at ``j / fps`` s), seconds on V's looped
        timeline; non-decreasing.
    dance_duration_s, music_duration_s : float
        Lengths of V and A, seconds.
    notes : tuple of str
        Fallbacks taken (no rhythm points, ...); empty when the method ran as asked.
    """

    method: str
    fps: float
    source_times: np.ndarray = field(repr=False)
    dance_duration_s: float
    music_duration_s: float
    notes: tuple[str, ...] = ()

    @property
    def n_frames(self) -> int:
        """Output frames."""
        return len(self.source_times)

    @property
    def output_times(self) -> np.ndarray:
        """Output frame times ``j / fps``, seconds, shape (n_frames,)."""
        return np.arange(self.n_frames, dtype=np.float64) / self.fps

    @property
    def n_loops(self) -> int:
        """How many times V is played (1: no loop)."""
        end = float(self.source_times[-1]) if self.n_frames else 0.0
        return max(1, math.floor(end / self.dance_duration_s + 1e-9) + 1)

    @property
    def speeds(self) -> np.ndarray:
        """Local speed between consecutive output frames, shape (n_frames - 1,)."""
        return local_speed(self.source_times, fps=self.fps)


def plan_retarget(
    dance_times,
    music_times,
    *,
    method: str = "dtw",
    dance_duration_s: float,
    music_duration_s: float,
    fps: float,
    min_speed: float = 0.5,
    max_speed: float = 2.0,
    width_s: float = DEFAULT_SIGMA_S,
) -> RetargetPlan:
    """Plan a retargeting of V (dance rhythm ``dance_times``) onto A (``music_times``).

    The planner is ``PLANNERS[method]``; it gets the options it names in its entry and no
    others (``shift`` ignores the speed bounds).

    Parameters
    ----------
    dance_times : array-like, shape (k,)
        Dance rhythm points of V, seconds from V's start. Points outside ``[0,
        dance_duration_s)`` are ignored.
    music_times : array-like, shape (m,)
        Music rhythm points of A, seconds. Points outside ``[0, music_duration_s)`` are ignored.
    method : str
        A key of :data:`~mudar.tasks.retarget.planners.PLANNERS`: ``shift``, ``accel``,
        ``dtw`` or ``dtw-points``.
    dance_duration_s, music_duration_s : float
        Lengths of V and A, seconds.
    fps : float
        Output frame rate; the map has ``max(1, round(music_duration_s * fps))`` entries.
    min_speed, max_speed : float
        Bounds of the local speed for ``accel``, ``dtw`` and ``dtw-points``;
        ``min_speed <= 1 <= max_speed``.
    width_s : float
        ``dtw`` only: width of the rhythm pulses, seconds.

    Returns
    -------
    RetargetPlan

    Raises
    ------
    ParameterError
        Unknown method, non-positive durations or fps, bad speed bounds, times that are not
        1-D finite numbers.
    """
    planner = PLANNERS.get(method)
    if planner is None:
        raise ParameterError(f"unknown retarget method {method!r}; known: {', '.join(PLANNERS)}")
    options = {"min_speed": min_speed, "max_speed": max_speed, "width_s": width_s}
    times, notes = planner.make(
        dance_times,
        music_times,
        dance_duration_s=dance_duration_s,
        music_duration_s=music_duration_s,
        fps=fps,
        **{name: options[name] for name in planner.needs},
    )
    return RetargetPlan(
        method=method,
        fps=float(fps),
        source_times=times,
        dance_duration_s=float(dance_duration_s),
        music_duration_s=float(music_duration_s),
        notes=tuple(notes),
    )


def music_rhythm_seconds(analysis, *, kind: str = "onsets") -> np.ndarray:
    """Music rhythm points of an analysed file, seconds from its start.

    Parameters
    ----------
    analysis : mudar.features.analysis.Analysis
        With music features.
    kind : {"onsets", "beats"}
        Onset maxima (every accent: the paper's music rhythm) or tracked beats (the pulse).

    Returns
    -------
    np.ndarray, float64, shape (m,)

    Raises
    ------
    ParameterError
        Unknown kind, or an analysis without music.
    """
    if kind not in MUSIC_RHYTHMS:
        raise ParameterError(f"music rhythm must be one of {MUSIC_RHYTHMS}, got {kind!r}")
    if analysis.music is None:
        raise ParameterError(f"{analysis.path}: no audio, so no music rhythm")
    t = analysis.music.onset_times if kind == "onsets" else analysis.music.beat_times
    return np.asarray(t, dtype=np.float64) + analysis.start_s
