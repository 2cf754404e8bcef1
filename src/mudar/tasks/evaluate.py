"""``mudar eval``: the dance rhythm of every requested method on analysed videos, scored
against their music onsets.

Analyses in, scores out; preparing a dataset folder into analyses is
:mod:`mudar.pipelines.evaluate`.
"""

from __future__ import annotations

import numpy as np

from mudar.data.clips.windows import sliding_windows
from mudar.errors import ParameterError
from mudar.eval.visual_rhythm import score_rhythm
from mudar.features.analysis import Analysis
from mudar.methods import RHYTHM_EVAL, RHYTHM_FLOORS
from mudar.tasks.rhythm import RHYTHM_METHODS, dance_rhythm, rhythm_seconds


def check_methods(methods: list[str]) -> None:
    """Raise :class:`ParameterError` for a name that is not in :data:`RHYTHM_EVAL`."""
    unknown = sorted(set(methods) - set(RHYTHM_EVAL))
    if unknown:
        raise ParameterError(
            f"unknown method(s) {', '.join(unknown)}; known: {', '.join(RHYTHM_EVAL)}"
        )


def method_rhythms(
    analysis: Analysis, *, methods: list[str], model=None, fps: float
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], int]:
    """The rhythm frames of each method on one whole analysed video, the per-frame curve they
    were picked on, and the clips it counts.

    Parameters
    ----------
    analysis : Analysis
        With music and dance features (and RGB frames for the learned methods).
    methods : list of str
        :data:`RHYTHM_EVAL` names; the floors are made by the scorer, not here.
    model : MuDaR, optional
        Runs every ``mudar`` method of ``methods`` (none are run without it).
    fps : float
        Frame rate of the evaluation clock, frames per second.

    Returns
    -------
    (dict of method to np.ndarray of int, dict of method to np.ndarray of float, int)
        Rhythm frames per method; per method its curve, shape (n_frames,) (strength or
        probability: what :func:`mudar.features.dance.refine_times` refines the frames on); the
        clips of the video: the model's windows (of its last learned method), else the windows
        of :func:`mudar.data.clips.windows.sliding_windows`.
    """
    preds: dict[str, np.ndarray] = {}
    curves: dict[str, np.ndarray] = {}
    for m, entry in RHYTHM_METHODS.items():  # the table's order
        if m in methods and not entry.needs_model:
            preds[m], curves[m] = dance_rhythm(analysis, method=m)
    learned = [m for m in methods if m in RHYTHM_METHODS and RHYTHM_METHODS[m].needs_model]
    if model is None or not learned:
        return preds, curves, len(sliding_windows(analysis.n_frames, fps=fps))
    for m in learned:
        preds[m], curves[m] = dance_rhythm(analysis, method=m, model=model)
    # the model's windows tile the file (mudar.tasks.rhythm.learned_rhythm)
    cfg = model.config
    windows = sliding_windows(analysis.n_frames, fps=cfg.fps, window_s=cfg.clip_s, hop_s=cfg.clip_s)
    return preds, curves, len(windows)


def rhythm_scores(
    videos: list[tuple[np.ndarray, dict[str, np.ndarray]]],
    *,
    methods: list[str],
    seed: int = 0,
    fps: float,
) -> dict:
    """Scores of each method and of the floors over the videos, and of their shifted controls.

    Parameters
    ----------
    videos : list of (onsets, predictions)
        Per video: its music onset maxima per frame (0/1, shape (n_frames,)) and
        :func:`method_rhythms`'s predictions.
    methods : list of str
    seed : int
        Seed of the chance floor.
    fps : float
        Frames per second.

    Returns
    -------
    dict
        ``{"rhythm": {method: {"precision", "recall", "f1", "tolerance_frames", "exact":
        {...}}}, "shifted": {method: {...}}}``: the methods asked for, then the floors;
        ``shifted`` scores each method's rhythm rolled by half the video, the control that
        tells timing from rate (:mod:`mudar.eval.visual_rhythm`); ``timing_gain`` is
        ``rhythm f1 - shifted f1`` per method.
    """
    scores = score_rhythm(videos, tolerance=1, seed=seed, controls=True, fps=fps)
    keep = [m for m in methods if m in scores] + [m for m in RHYTHM_FLOORS if m not in methods]
    shifted = {m: scores[f"{m}-shifted"] for m in keep if m not in RHYTHM_FLOORS}
    return {
        "rhythm": {m: scores[m] for m in keep},
        "shifted": shifted,
        "timing_gain": {m: round(scores[m]["f1"] - s["f1"], 4) for m, s in shifted.items()},
    }


def timed_video(
    analysis: Analysis, preds: dict[str, np.ndarray], curves: dict[str, np.ndarray]
) -> tuple[np.ndarray, float, dict[str, np.ndarray]]:
    """One video for :func:`mudar.eval.timing.score_timing`: the music's onset times, the
    video's length and each method's rhythm times below the frame (seconds,
    :func:`mudar.tasks.rhythm.rhythm_seconds`)."""
    times = {m: rhythm_seconds(analysis, m, f, curves[m]) for m, f in preds.items()}
    return analysis.music.onset_times, analysis.duration_s, times
