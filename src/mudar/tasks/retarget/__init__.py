"""Music-dance retargeting (paper sec. 4.4): re-time a dance video so its rhythm lands on new music.

Given the dance rhythm points ``R_v`` of a video V (seconds in V) and the music rhythm points
``R_a`` of a song A (seconds in A), a **time map** says, for each output frame time
``t_j = j / fps`` over A's duration, which time ``s(t_j)`` of V is shown then. The planners
(``shift``, ``accel``, ``dtw``, ``dtw-points``) are the entries of
:data:`~mudar.tasks.retarget.planners.PLANNERS`; :func:`plan_retarget` runs one.

Conventions
-----------
- Source times run on V's **looped** timeline: ``s >= dance_duration_s`` shows V again from its
  start (``s mod dance_duration_s``), so the output always has A's length. V loops only where a
  map runs past its end (always when V is shorter than A). Looping was chosen over holding the
  last frame (a frozen dancer) or playing back and forth (a dance played backwards); the seam
  is a cut.
- Every map is non-decreasing. ``accel`` and ``dtw`` keep the local speed ``ds/dt`` within
  ``[min_speed, max_speed]`` (default 0.5x-2x); ``shift`` plays at 1x.
- A side without rhythm points cannot be aligned: ``dtw`` and ``accel`` fall back to ``shift``,
  and ``shift`` to the identity map (V from its start); :class:`RetargetPlan` says so in
  ``notes``. Nothing here raises for missing rhythm.

Pure functions: rhythm times in, time maps and frames out. Decoding and writing files is the
job of :mod:`mudar.pipelines.retarget`. The modules:

- :mod:`~mudar.tasks.retarget.planners`: how each method makes its map (the table);
- :mod:`~mudar.tasks.retarget.plan`: the plan of one retargeting, and the music points to use;
- :mod:`~mudar.tasks.retarget.timemap`: what a map does (speeds, where V's points land);
- :mod:`~mudar.tasks.retarget.resample`: the output frames of a map;
- :mod:`~mudar.tasks.retarget.report`: the numbers ``mudar retarget`` reports;
"""

from __future__ import annotations

from mudar.eval.bas import DEFAULT_SIGMA_S, beat_alignment_score, mean_offset
from mudar.tasks.retarget.plan import (
    MUSIC_RHYTHMS,
    RetargetPlan,
    music_rhythm_seconds,
    plan_retarget,
)
from mudar.tasks.retarget.planners import PLANNERS, Planner, rhythm_point_dtw
from mudar.tasks.retarget.report import retarget_report
from mudar.tasks.retarget.resample import RESAMPLE_MODES, resample_frames
from mudar.tasks.retarget.timemap import dance_times_in_output, local_speed

__all__ = [
    "DEFAULT_SIGMA_S",
    "MUSIC_RHYTHMS",
    "PLANNERS",
    "RESAMPLE_MODES",
    "Planner",
    "RetargetPlan",
    "beat_alignment_score",
    "dance_times_in_output",
    "local_speed",
    "mean_offset",
    "music_rhythm_seconds",
    "plan_retarget",
    "resample_frames",
    "retarget_report",
    "rhythm_point_dtw",
]
