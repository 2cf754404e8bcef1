"""The report of a retargeting: rhythm alignment before, as planned and after, as numbers."""

from __future__ import annotations

import numpy as np

from mudar.eval.bas import DEFAULT_SIGMA_S, beat_alignment_score, mean_offset
from mudar.tasks.retarget.plan import RetargetPlan
from mudar.tasks.retarget.timemap import _loop, _rhythm, _vector, dance_times_in_output

__all__ = ["retarget_report"]


def retarget_report(
    plan: RetargetPlan,
    *,
    dance_times,
    music_times,
    dance_after,
    music_after,
    sigma_s: float = DEFAULT_SIGMA_S,
) -> dict:
    """The numbers ``mudar retarget`` reports about a retargeting.

    *Before* is V played as it is from its start (looped, cut at A's end) with A: V's dance
    rhythm points against A's music rhythm points. *After* is measured on the written file,
    from the rhythm points detected again in it (``dance_after``, ``music_after``), not from
    the plan. *Plan* is what the map predicts: V's points carried through it.

    Parameters
    ----------
    plan : RetargetPlan
    dance_times, music_times : array-like, shape (k,), (m,)
        Rhythm points of V and of A, seconds.
    dance_after, music_after : array-like, shape (k',), (m',)
        Rhythm points detected in the output file, seconds.
    sigma_s : float
        BAS kernel width, seconds.

    Returns
    -------
    dict
        ``{"method", "n_rhythm_points" (the dance's, an int), "rhythm_points": {"dance",
        "music", "dance_after", "music_after"} (counts),
        "offset_before_s", "offset_after_s", "offset_plan_s", "bas_before", "bas_after",
        "bas_plan", "sigma_s", "max_speed", "min_speed", "n_loops", "fps", "duration_s",
        "notes"}``; offsets are mean distances from each dance rhythm point to the nearest
        music rhythm point, seconds, BAS the FACT/AIST++ form (over the dance points). A value
        that is undefined (no dance points) or infinite (no music points) is None.

    Raises
    ------
    ParameterError
    """
    T_v, T_a = plan.dance_duration_s, plan.music_duration_s
    d = _rhythm(dance_times, "dance_times", T_v)
    m = _rhythm(music_times, "music_times", T_a)
    d_after = _vector(dance_after, "dance_after")
    m_after = _vector(music_after, "music_after")
    before = _loop(d, T_v, T_a)
    before = before[before < T_a]
    planned = dance_times_in_output(d, plan.source_times, fps=plan.fps, dance_duration_s=T_v)
    speeds = plan.speeds
    return {
        "method": plan.method,
        "n_rhythm_points": len(d),
        "rhythm_points": {
            "dance": len(d),
            "music": len(m),
            "dance_after": len(d_after),
            "music_after": len(m_after),
        },
        "offset_before_s": _num(mean_offset(before, m)),
        "offset_after_s": _num(mean_offset(d_after, m_after)),
        "offset_plan_s": _num(mean_offset(planned, m)),
        "bas_before": _num(beat_alignment_score(before, m, sigma_s=sigma_s)),
        "bas_after": _num(beat_alignment_score(d_after, m_after, sigma_s=sigma_s)),
        "bas_plan": _num(beat_alignment_score(planned, m, sigma_s=sigma_s)),
        "sigma_s": float(sigma_s),
        "max_speed": _num(float(speeds.max()) if len(speeds) else 1.0),
        "min_speed": _num(float(speeds.min()) if len(speeds) else 1.0),
        "n_loops": plan.n_loops,
        "fps": plan.fps,
        "duration_s": round(plan.n_frames / plan.fps, 4),
        "notes": list(plan.notes),
    }


def _num(x: float) -> float | None:
    """A JSON-safe rounded number: None for NaN and infinity."""
    return round(float(x), 4) if np.isfinite(x) else None
