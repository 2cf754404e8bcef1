"""The report of a retargeting: rhythm alignment before, as planned and after, as numbers."""

from __future__ import annotations

import numpy as np

from mudar.eval.bas import DEFAULT_SIGMA_S, beat_alignment_score, mean_offset
from mudar.tasks.retarget.plan import RetargetPlan
from mudar.tasks.retarget.timemap import _loop, _rhythm, _vector, dance_times_in_output

__all__ = ["dance_use", "retarget_report"]


def retarget_report(
    plan: RetargetPlan,
    *,
    dance_times,
    music_times,
    dance_after,
    music_after,
    own_music_times=None,
    sigma_s: float = DEFAULT_SIGMA_S,
    end: str = "loop",
) -> dict:
    """The numbers ``mudar retarget`` reports about a retargeting.

    *Before* is V with its own music (``own_music_times``; None when V has no sound). *Before
    on the new song* is V played as it is from its start (looped, cut at A's end) with A: V's
    dance rhythm points against A's music rhythm points. *After* is measured on the written
    file, from the rhythm points detected again in it (``dance_after``, ``music_after``), not
    from the plan. *Plan* is what the map predicts: V's points carried through it. ``worse``
    is set when the fit after is below the fit before on the new song: the method made it
    worse, and a note says so.

    Parameters
    ----------
    plan : RetargetPlan
    dance_times, music_times : array-like, shape (k,), (m,)
        Rhythm points of V and of A, seconds.
    dance_after, music_after : array-like, shape (k',), (m',)
        Rhythm points detected in the output file, seconds.
    own_music_times : array-like, shape (m_v,), optional
        Music rhythm points of V's own sound track, seconds; None when it has none.
    sigma_s : float
        BAS kernel width, seconds.
    end : {"loop", "stop"}
        What was asked for when A outlasts V (:data:`mudar.methods.RETARGET_ENDS`), for the notes.

    Returns
    -------
    dict
        ``{"method", "n_rhythm_points" (the dance's, an int), "rhythm_points": {"dance",
        "music", "dance_after", "music_after"} (counts),
        "offset_before_s", "offset_after_s", "offset_plan_s", "bas_before", "bas_after",
        "bas_plan", "offset_before_new_song_s", "bas_before_new_song", "worse", "sigma_s",
        "max_speed", "min_speed", "n_loops", "fps", "duration_s", "end", "dance_use",
        "notes"}``; offsets are mean distances from each dance rhythm point to the nearest
        music rhythm point, seconds, BAS the FACT/AIST++ form (over the dance points). A value
        that is undefined (no dance points) or infinite (no music points) is None.
        ``dance_use`` is :func:`dance_use`; ``notes`` start with its sentence, then the
        sentence of ``worse``, then the planner's fallbacks.

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
    own = None if own_music_times is None else _vector(own_music_times, "own_music_times")
    bas_new = _num(beat_alignment_score(before, m, sigma_s=sigma_s))
    bas_after = _num(beat_alignment_score(d_after, m_after, sigma_s=sigma_s))
    bas_plan = _num(beat_alignment_score(planned, m, sigma_s=sigma_s))
    worse = bas_new is not None and bas_after is not None and bas_after < bas_new
    use = dance_use(plan, end=end)
    notes = [use["sentence"]]
    if worse:
        planned_worse = bas_plan is None or bas_plan < bas_new
        notes.append(
            f"{plan.method} lowered the fit on the new song: BAS {bas_new:.3f} with the dance "
            f"as it is -> {bas_after:.3f} after, measured on the written file; "
            + (
                f"planned {_fmt(bas_plan)}, so the dance as it is fits this song better"
                if planned_worse
                else f"the plan reached {bas_plan:.3f}, but the rhythm detected again in the "
                "re-timed frames falls short of it"
            )
        )
    return {
        "method": plan.method,
        "n_rhythm_points": len(d),
        "rhythm_points": {
            "dance": len(d),
            "music": len(m),
            "dance_after": len(d_after),
            "music_after": len(m_after),
        },
        "offset_before_s": None if own is None else _num(mean_offset(d, own)),
        "offset_before_new_song_s": _num(mean_offset(before, m)),
        "offset_after_s": _num(mean_offset(d_after, m_after)),
        "offset_plan_s": _num(mean_offset(planned, m)),
        "bas_before": None if own is None else _num(beat_alignment_score(d, own, sigma_s=sigma_s)),
        "bas_before_new_song": bas_new,
        "bas_after": bas_after,
        "bas_plan": bas_plan,
        "worse": bool(worse),
        "sigma_s": float(sigma_s),
        "max_speed": _num(float(speeds.max()) if len(speeds) else 1.0),
        "min_speed": _num(float(speeds.min()) if len(speeds) else 1.0),
        "n_loops": plan.n_loops,
        "fps": plan.fps,
        "duration_s": round(plan.n_frames / plan.fps, 4),
        "end": end,
        "dance_use": {k: v for k, v in use.items() if k != "sentence"},
        "notes": notes + list(plan.notes),
    }


def dance_use(plan: RetargetPlan, *, end: str = "loop") -> dict:
    """How much of V the output shows: looped, whole, or cut, in numbers and in words.

    Parameters
    ----------
    plan : RetargetPlan
    end : {"loop", "stop"}
        What was asked for when A outlasts V (:data:`mudar.methods.RETARGET_ENDS`), to say why.

    Returns
    -------
    dict
        ``{"played_times", "used_s", "cut_s", "cut_share", "sentence"}``: how many times V is
        played (the span of V's looped timeline shown over V's length: above 1 when it loops,
        below 1 when part of it is cut), seconds of V shown
        (at most V's length) and left out, the share left out, and one sentence saying so.
    """
    T_v, T_a = plan.dance_duration_s, plan.music_duration_s
    step = 1.0 / plan.fps
    start = float(plan.source_times[0]) if plan.n_frames else 0.0
    stop = float(plan.source_times[-1]) + step if plan.n_frames else 0.0
    span = stop - start
    played = span / T_v
    loops = span > T_v + step  # more than one pass of V: it is played again from its start
    used = T_v if loops else min(T_v, span)
    cut = max(0.0, T_v - used)
    if loops:
        why = (
            f"The song ({T_a:.1f} s) outlasts the dance ({T_v:.1f} s)"
            if T_a > T_v
            else f"At the speeds played, the song ({T_a:.1f} s) outlasts the dance ({T_v:.1f} s)"
        )
        sentence = (
            f"{why}, so the dance loops: it is played {played:.1f} times (--end loop, the "
            "default, keeps the whole song; --end stop ends the video with the dance)"
        )
    elif cut > step + 1e-9:
        wraps = " and on from its start" if stop > T_v + step else ""
        sentence = (
            f"The song ({T_a:.1f} s) is shorter than the dance ({T_v:.1f} s): {used:.1f} s of "
            f"the dance is shown (from {start % T_v:.1f} s{wraps}), {cut:.1f} s "
            f"({100 * cut / T_v:.0f} %) is cut"
        )
    else:
        sentence = f"The whole dance ({T_v:.1f} s) is shown once, on {T_a:.1f} s of song"
        if end == "stop":
            sentence += " (--end stop: the song is cut where the dance ends)"
    return {
        "played_times": round(played, 3),
        "used_s": round(used, 3),
        "cut_s": round(cut, 3),
        "cut_share": round(cut / T_v, 3),
        "sentence": sentence,
    }


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def _num(x: float) -> float | None:
    """A JSON-safe rounded number: None for NaN and infinity."""
    return round(float(x), 4) if np.isfinite(x) else None
