"""Beat Alignment Score of one dance: its motion beats against its music's beats (``mudar bas``).

The motion beats come from the keypoints when there are keypoints (the *kinematic beats* of
:mod:`mudar.features.kinematic`: minima of the mean joint speed, as AIST++ and Bailando
compute them), and from the video's dance rhythm otherwise (:mod:`mudar.tasks.rhythm`). The
music beats are those of mudar's beat tracker (:func:`mudar.features.music.track_beats`). Both
published forms of the score are reported (:mod:`mudar.eval.bas`): ``bas_motion`` (AI
Choreographer / AIST++, the mean over the motion beats) and ``bas_music`` (Bailando, the mean
over the music beats).

Beat times in, scores out; reading the motion and music files is :mod:`mudar.pipelines.bas`.
"""

from __future__ import annotations

import math

import numpy as np

from mudar.errors import ParameterError
from mudar.eval.bas import DEFAULT_SIGMA_S, beat_alignment_score
from mudar.eval.feedback import beat_offsets, offset_stretches, offset_summary
from mudar.features.kinematic import BAILANDO_SIGMA_S, ROOT_JOINTS, kinematic_beats
from mudar.methods import BAS_FORMS

__all__ = ["FORMS", "bas_report", "feedback_report", "feedback_words", "motion_beat_times"]

FORMS = BAS_FORMS
"""Which scores :func:`bas_report` computes: FACT/AIST++ (``motion``), Bailando (``music``)."""


def motion_beat_times(
    clip, *, sigma_s: float = BAILANDO_SIGMA_S, min_separation_s: float = 0.0
) -> np.ndarray:
    """Kinematic beats of a :class:`~mudar.data.readers.keypoints.MotionClip`, seconds.

    Joint speeds are taken relative to the skeleton's root (:data:`ROOT_JOINTS`; joint 0 for
    an unknown skeleton), so travel across the floor does not mask the limbs' stops.

    Parameters
    ----------
    clip : MotionClip
    sigma_s : float
        Smoothing of the joint speed, seconds (see :func:`~mudar.features.kinematic.joint_speed`).
    min_separation_s : float
        See :func:`~mudar.features.kinematic.kinematic_beats`.

    Returns
    -------
    np.ndarray, float64, shape (k,)
        Seconds from motion frame 0.
    """
    return kinematic_beats(
        clip.joints,
        fps=clip.fps,
        sigma_s=sigma_s,
        min_separation_s=min_separation_s,
        root=ROOT_JOINTS.get(clip.skeleton, 0),
    )


def bas_report(
    motion_s,
    music_s,
    *,
    sigma_s: float = DEFAULT_SIGMA_S,
    form: str = "both",
    span_s: float | None = None,
) -> dict:
    """Both Beat Alignment Scores of motion beats against music beats.

    Parameters
    ----------
    motion_s, music_s : array-like, shape (n,), (m,)
        Beat times, seconds, on one clock.
    sigma_s : float
        Kernel width of the score, seconds.
    form : {"motion", "music", "both"}
        The scores computed; the other is None.
    span_s : float, optional
        Only beats in ``[0, span_s]`` count: the part where both motion and music exist (a
        motion longer than its music is not blamed for what it danced in silence).

    Returns
    -------
    dict
        ``n_motion_beats``, ``n_music_beats``, ``sigma_s``, ``bas_motion`` (FACT/AIST++),
        ``bas_music`` (Bailando). A score is None when not asked for or undefined (no beats
        to average over).

    Raises
    ------
    ParameterError
        Unknown ``form``, a bad ``sigma_s`` or ``span_s``, times that are not 1-D finite.
    """
    if form not in FORMS:
        raise ParameterError(f"form must be one of {FORMS}, got {form!r}")
    motion = np.asarray(motion_s, dtype=np.float64).reshape(-1)
    music = np.asarray(music_s, dtype=np.float64).reshape(-1)
    motion, music = _in_span(motion, span_s), _in_span(music, span_s)
    out = {
        "n_motion_beats": int(len(motion)),
        "n_music_beats": int(len(music)),
        "sigma_s": float(sigma_s),
        "bas_motion": None,
        "bas_music": None,
    }
    for over in ("motion", "music"):
        if form in (over, "both"):
            score = beat_alignment_score(motion, music, sigma_s=sigma_s, over=over)
            out[f"bas_{over}"] = None if math.isnan(score) else round(score, 4)
    return out


def _in_span(times: np.ndarray, span_s: float | None) -> np.ndarray:
    if span_s is None:
        return times
    if not (np.isfinite(span_s) and span_s >= 0):
        raise ParameterError(f"span_s must be >= 0 seconds, got {span_s}")
    return times[(times >= 0) & (times <= span_s)]


def _ms(x: float | None) -> float | None:
    return None if x is None else round(float(x), 3)


def feedback_report(
    motion_s, music_s, *, span_s: float | None = None, max_offset_s: float | None = None
) -> dict:
    """On-beat feedback: how early or late each movement accent lands on the music's beat, and
    where the dancer rushed or dragged (:mod:`mudar.eval.feedback`).

    Parameters
    ----------
    motion_s, music_s : array-like, shape (n,), (m,)
        Accent (motion beat) and music beat times, seconds, on one clock; sorted here.
    span_s : float, optional
        Only times in ``[0, span_s]`` count, as in :func:`bas_report`.
    max_offset_s : float, optional
        Leave out accents further than this from every beat, seconds.

    Returns
    -------
    dict
        ``offsets`` (per accent that counts: ``time_s``, ``beat_s`` the nearest beat,
        ``offset_s`` signed, negative = early; seconds, ms precision), ``summary``
        (:func:`~mudar.eval.feedback.offset_summary`, with ``n_left_out``: accents outside the
        beats' span, half-way between two beats or beyond ``max_offset_s``), ``stretches``
        (``kind`` ``early``/``late``, ``start_s``, ``end_s``, ``median_offset_s``,
        ``n_accents``) and ``text``, the summary in a dancer's words (:func:`feedback_words`).

    Raises
    ------
    ParameterError
        Times that are not 1-D finite numbers, a bad ``span_s`` or ``max_offset_s``.
    """
    motion = np.sort(np.asarray(motion_s, dtype=np.float64).reshape(-1))
    music = np.sort(np.asarray(music_s, dtype=np.float64).reshape(-1))
    r = beat_offsets(_in_span(motion, span_s), _in_span(music, span_s), max_offset=max_offset_s)
    summary = offset_summary(r.offsets_s)
    summary = {k: _ms(v) if isinstance(v, float) else v for k, v in summary.items()}
    summary["n_left_out"] = r.n_left_out
    stretches = [
        {
            "kind": s.kind,
            "start_s": _ms(s.start_s),
            "end_s": _ms(s.end_s),
            "median_offset_s": _ms(s.median_offset_s),
            "n_accents": s.n_accents,
        }
        for s in offset_stretches(r.times_s, r.offsets_s)
    ]
    out = {
        "offsets": [
            {"time_s": _ms(t), "beat_s": _ms(b), "offset_s": _ms(o)}
            for t, b, o in zip(r.times_s, r.beats_s, r.offsets_s, strict=True)
        ],
        "summary": summary,
        "stretches": stretches,
    }
    out["text"] = feedback_words(out)
    return out


def _clock(t: float) -> str:
    """Seconds as m:ss, as a video player shows them."""
    m, s = divmod(int(round(t)), 60)
    return f"{m}:{s:02d}"


def feedback_words(feedback: dict) -> str:
    """One sentence a dancer reads: the share of accents on the beat, then where they rushed
    or dragged and by about how much (to 10 ms), else their usual lean.

    ``feedback`` is a :func:`feedback_report` (its ``summary`` and ``stretches``).
    """
    s = feedback["summary"]
    n = s["n_accents"]
    if not n:
        return "No movement accent falls among the music's beats, so there is no timing to judge."
    window = round(s["window_s"] * 1000)
    words = [
        f"{round(100 * s['on_beat_share'])} % of your {n} accents were on the beat "
        f"(within {window} ms)"
    ]
    for st in feedback["stretches"]:
        verb = "rushed" if st["kind"] == "early" else "dragged"
        by = max(10, round(abs(st["median_offset_s"]) * 100) * 10)
        words.append(
            f"{verb} from {_clock(st['start_s'])} to {_clock(st['end_s'])} by about {by} ms"
        )
    if not feedback["stretches"]:
        med = round(s["median_offset_s"] * 1000)
        lean = "early" if med < 0 else "late" if med > 0 else "right on the beat"
        words.append(
            f"no stretch rushed or dragged; typically {abs(med)} ms {lean}"
            if med
            else f"no stretch rushed or dragged; typically {lean}"
        )
    return "; ".join(words) + "."
