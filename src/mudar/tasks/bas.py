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
from mudar.features.kinematic import BAILANDO_SIGMA_S, ROOT_JOINTS, kinematic_beats
from mudar.methods import BAS_FORMS

__all__ = ["FORMS", "bas_report", "motion_beat_times"]

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
    if span_s is not None:
        if not (np.isfinite(span_s) and span_s >= 0):
            raise ParameterError(f"span_s must be >= 0 seconds, got {span_s}")
        motion = motion[(motion >= 0) & (motion <= span_s)]
        music = music[(music >= 0) & (music <= span_s)]
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
