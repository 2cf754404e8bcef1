"""Table 1: visual rhythm of the test dances against their music onsets.

Whole test videos, the model's frame rate, one-to-one matching within +-1 frame, counts pooled
over videos (:func:`mudar.eval.visual_rhythm.score_rhythm`). A learned method is scored
*without the music* at inference (the audio dropout path), the honest measure of a visual
rhythm detector; ``mudar-audio`` (with the music) is the ablation. ``f1_shifted`` is each
method's rhythm rolled by half the video: a method that scores no better than that follows the
music's rate, not its timing; ``gain`` is ``f1 - f1_shifted``. ``f1_70ms`` scores rhythm *times*
refined below the frame (a parabola through the per-frame curve at each peak,
:func:`mudar.features.dance.refine_times`) against the music's onset times within 70 ms, and
``gain_70ms`` is its own gain over the same times rolled by half the video
(:func:`mudar.eval.timing.score_timing`): the figures that see timing where +-1 frame at 8 fps
lets the rate alone score well. Against the music's beats (``_beats``) the control is the same
times against the beats shifted by half a beat (the issue's control: a steady pulse at the
right rate gains nothing at any phase; a roll would put it at a random one).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from mudar.clock import DEFAULT_FPS
from mudar.methods import RHYTHM_FLOORS

METRICS = (
    "precision",
    "recall",
    "f1",
    "f1_exact",
    "f1_shifted",
    "gain",
    "f1_70ms",
    "gain_70ms",
    "f1_70ms_beats",
    "gain_70ms_beats",
)
"""Columns of the rhythm table (``f1_exact``: tolerance 0 frames; ``gain``: f1 - f1_shifted;
``f1_70ms`` and ``gain_70ms``: the timing F-measure in seconds and its gain; ``_beats``: the
same against the music's beats, which a beat-locked set's accents were put on, the gain over
the beats shifted by half a beat)."""

ORACLE = "accents (oracle)"
"""Row of a beat-locked set's own kinematic accents
(:func:`mudar.pipelines.bench.data.locked_accents`): what a visual rhythm could at best find, the
ceiling of the timing columns."""

TimedVideo = tuple
"""One video for the 70 ms columns: music onset times (s), its length (s), rhythm times (s)
per row name (:func:`mudar.tasks.evaluate.timed_video`), and optionally the music's beat
times (s)."""


def paper_rule_row(name: str) -> str:
    """Row of a learned method's rhythm by the paper's rule, every frame with ``p > 0.5``
    (:func:`mudar.training.calibrate.paper_rule_frames`), beside its calibrated peaks."""
    return f"{name} (p>0.5)"


def rhythm_rows(
    videos: Sequence[tuple[np.ndarray, Mapping[str, np.ndarray]]],
    *,
    seed: int,
    floors: bool = False,
    fps: float = DEFAULT_FPS,
    timed: Sequence[TimedVideo] | None = None,
) -> dict[str, dict[str, float]]:
    """Rows of the rhythm table.

    Parameters
    ----------
    videos : sequence of (onsets, predictions)
        Per video, its binary (n,) music onsets and, per row name, its rhythm frames.
    seed : int
        Of the ``chance`` floor.
    floors : bool
        Also the floor rows (``chance``, ``peaks``, ``all``).
    fps : float
        Frame rate of the sequences.
    timed : sequence of TimedVideo, optional
        The same videos in seconds, for ``f1_70ms`` and ``gain_70ms`` (and a ``chance`` row of
        random times at the onset rate); without it those columns are absent. A fourth element,
        the music's beat times (s), gives the ``_beats`` columns.

    Returns
    -------
    dict
        Row -> :data:`METRICS` (``f1_shifted`` and the gains absent for the floors, except the
        70 ms columns of ``chance``).
    """
    from mudar.eval.timing import score_timing
    from mudar.eval.visual_rhythm import score_rhythm

    scores = score_rhythm(videos, tolerance=1, seed=seed, controls=True, fps=fps)
    timing = score_timing([v[:3] for v in timed], seed=seed) if timed is not None else {}
    beats = {}
    if timed is not None and all(len(v) > 3 for v in timed):
        # against a steady reference: the control is the beats shifted by half a beat
        beats = score_timing([(v[3], v[1], v[2]) for v in timed], seed=seed, control="half-beat")
    names = {name for _, preds in videos for name in preds}
    keep = [n for n in sorted(names)] + (list(RHYTHM_FLOORS) if floors else [])
    rows = {}
    for name in keep:
        s = scores[name]
        row = {
            "precision": s["precision"],
            "recall": s["recall"],
            "f1": s["f1"],
            "f1_exact": s["exact"]["f1"],
        }
        if f"{name}-shifted" in scores:
            row["f1_shifted"] = scores[f"{name}-shifted"]["f1"]
            row["gain"] = round(row["f1"] - row["f1_shifted"], 4)
        if name in timing:
            row["f1_70ms"] = timing[name]["f1"]
            row["gain_70ms"] = timing[name]["timing_gain"]
        if name in beats:
            row["f1_70ms_beats"] = beats[name]["f1"]
            row["gain_70ms_beats"] = beats[name]["timing_gain"]
        rows[name] = row
    return rows
