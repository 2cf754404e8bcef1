"""Retargeting: BAS of a test dance re-timed onto another test dance's music, per rhythm method.

Dance i (its first ``dance_s`` seconds) is re-timed onto the music of dance j (its first
``music_s`` seconds; shorter, so that ``shift`` has windows to choose from) with each planner of
:mod:`mudar.tasks.retarget` (shift, accel, dtw, dtw-points), from the dance rhythm points of the
method and the music's onset maxima. *Before* is dance i played as it is with music j; *after*
is what the time map makes of dance i's rhythm points (the plan, on a ``plan_fps`` output grid:
no video is written and nothing is detected again, unlike ``benchmarks/bench_retarget.py``).
*True* is each dance with its own music. BAS is the FACT/AIST++ form (mean over the dance rhythm
points), sigma 0.1 s.

A method whose rhythm follows the dance well makes *after* a fair mark of what retargeting
gains; *true* says how well real dancers' rhythm points (as the method sees them) sit on their
own music's onsets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from mudar.eval.bas import beat_alignment_score
from mudar.features.dance import rhythm_times
from mudar.methods import RETARGET
from mudar.tasks.retarget import dance_times_in_output, music_rhythm_seconds, plan_retarget

METRICS = ("bas_true", "bas_before") + tuple(f"bas_{m}" for m in RETARGET)
"""Columns of the retargeting table."""


def retarget_scores(
    dance_times: Mapping[str, np.ndarray],
    music_times: Mapping[str, np.ndarray],
    durations: Mapping[str, float],
    pairs: Sequence[tuple[str, str, str]],
    *,
    dance_s: float = 20.0,
    music_s: float = 15.0,
    plan_fps: float = 25.0,
) -> dict[str, float | None]:
    """Mean BAS over the pairs, before and after each planner, and of the true pairs.

    Parameters
    ----------
    dance_times, music_times : mapping of dance id to np.ndarray
        Dance rhythm points and music onset maxima of each whole video, seconds.
    durations : mapping of dance id to float
        Seconds.
    pairs : sequence of (dance id, music id, kind)
        :func:`mudar.pipelines.bench.plan.retarget_pairs`.
    dance_s, music_s : float
        Seconds of dance and of music used (at most the video's length; the music at most
        three quarters of it).
    plan_fps : float
        Output frame rate of the time maps.

    Returns
    -------
    dict
        :data:`METRICS`; a mean over no defined value (no rhythm points) is None.
    """

    def first(x: np.ndarray, seconds: float) -> np.ndarray:
        x = np.asarray(x, np.float64)
        return x[(x >= 0) & (x < seconds)]

    vals: dict[str, list[float]] = {m: [] for m in METRICS}
    for i in sorted({p[0] for p in pairs}):
        t_v = min(dance_s, float(durations[i]))
        d, m = first(dance_times[i], t_v), first(music_times[i], t_v)
        if len(d):
            vals["bas_true"].append(beat_alignment_score(d, m))
    for i, j, _ in pairs:
        t_v = min(dance_s, float(durations[i]))
        t_a = min(music_s, 0.75 * float(durations[j]))
        d, m = first(dance_times[i], t_v), first(music_times[j], t_a)
        if not len(d):
            continue
        before = d[d < t_a]
        if len(before):
            vals["bas_before"].append(beat_alignment_score(before, m))
        for method in RETARGET:
            plan = plan_retarget(
                d,
                m,
                method=method,
                dance_duration_s=t_v,
                music_duration_s=t_a,
                fps=plan_fps,
            )
            after = dance_times_in_output(d, plan.source_times, fps=plan.fps, dance_duration_s=t_v)
            if len(after):
                vals[f"bas_{method}"].append(beat_alignment_score(after, m))
    return {k: (float(np.mean(v)) if v else None) for k, v in vals.items()}


def music_onset_times(analysis) -> np.ndarray:
    """Music onset maxima of a whole analysed video, seconds."""

    return music_rhythm_seconds(analysis, kind="onsets")


def frames_to_seconds(frames: np.ndarray, *, fps: float) -> np.ndarray:
    """Rhythm frame indices -> seconds (:func:`mudar.features.dance.rhythm_times`)."""

    return np.asarray(rhythm_times(np.asarray(frames, int), fps=fps), np.float64)
