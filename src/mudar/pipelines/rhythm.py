"""The music and dance rhythm of a file (``mudar rhythm``): decoded, analysed, reported."""

from __future__ import annotations

import contextlib
import os

import numpy as np

from mudar.errors import ParameterError
from mudar.features.analysis import Analysis, AnalysisConfig
from mudar.features.dance import WEAK_PROMINENCE, rhythm_prominence
from mudar.features.extract import analyze
from mudar.tasks.rhythm import (
    RHYTHM_METHODS,
    default_dance_method,
    rhythm_method,
    rhythm_report,
)

__all__ = [
    "RHYTHM_METHODS",
    "dance_evidence",
    "default_dance_method",
    "file_rhythm",
    "markers_text",
    "rhythm_method",
]


def file_rhythm(
    path: str | os.PathLike,
    *,
    config: AnalysisConfig,
    method: str = "hoof-flux",
    model=None,
    plot: str | os.PathLike | None = None,
    markers: str | os.PathLike | None = None,
    first_beat: int = 0,
) -> dict:
    """The rhythm report of one file (:func:`mudar.tasks.rhythm.rhythm_report`).

    Parameters
    ----------
    path : path-like
        A video or an audio file.
    config : AnalysisConfig
        From :func:`mudar.pipelines.method.analysis_setup` for ``method``.
    method : str
        Dance rhythm method, one of :data:`mudar.methods.DANCE_RHYTHM`.
    model : MuDaR, optional
        The learned model, for the ``mudar`` methods.
    plot : path-like, optional
        Also draw the onset envelope, the beats and the dance rhythm into this PNG (rhythm
        points with weak evidence faintly).
    markers : path-like, optional
        Also write the beats, counted in eights, and the dance accents into this marker file
        (``.csv``, ``.json`` or ``.srt``: :mod:`mudar.report.markers`).
    first_beat : int
        Index of the beat counted 1 in ``markers``.

    Returns
    -------
    dict
        ``{"file", "duration_s", "fps", "music": {...} | None, "dance": {...} | None}``, times
        in seconds from the start of the file.

    Raises
    ------
    InputError, DecodeError
        A missing or unreadable file.
    ParameterError
        An unknown method, or a learned one without its model.
    """
    if markers is not None:  # a bad name fails before the work, not after it
        from mudar.report.markers import marker_format

        marker_format(markers)
    analysis, report = analysed_rhythm(path, config=config, method=method, model=model)
    if plot is None and markers is None:
        return report
    seen = dict(report)
    if report["dance"] is not None:
        seen["dance"] = report["dance"] | dance_evidence(analysis, report["dance"])
    if plot is not None:
        from mudar.report.plots import plot_rhythm  # matplotlib: only for a plot

        plot_rhythm(analysis, plot, dance=seen["dance"])
    if markers is not None:
        from mudar.report.markers import write_markers

        marks, about = _markers(seen, first_beat=first_beat)
        write_markers(markers, marks, about=about)
    return report


def dance_evidence(analysis: Analysis, dance: dict) -> dict:
    """What a drawing or a marker file says of a rhythm report's dance besides its points.

    Parameters
    ----------
    analysis : Analysis
        The analysis the report was made from.
    dance : dict
        Its ``"dance"`` (``method``, ``rhythm_times`` in seconds of the file,
        ``rhythm_strength`` per frame).

    Returns
    -------
    dict
        ``accents`` (what the rhythm points are, in a dancer's words), ``uses_music`` (the
        method heard the soundtrack), ``prominence`` (per rhythm point,
        :func:`~mudar.features.dance.rhythm_prominence` on the strength, in [0, 1]) and
        ``weak_below`` (:data:`~mudar.features.dance.WEAK_PROMINENCE`: a point below it is
        weak evidence, drawn faintly).
    """
    entry = rhythm_method(dance["method"])
    prominence = rhythm_prominence(
        np.asarray(dance["rhythm_strength"], np.float64),
        np.asarray(dance["rhythm_times"], np.float64) - analysis.start_s,
        fps=analysis.clock.fps,
    )
    return {
        "accents": entry.accents,
        "uses_music": entry.uses_music,
        "prominence": [round(float(p), 3) for p in prominence],
        "weak_below": WEAK_PROMINENCE,
    }


def markers_text(report: dict, fmt: str, *, first_beat: int = 0) -> str:
    """The beats (counted in eights) and the dance accents of a rhythm report as a marker file's
    text (:func:`mudar.report.markers.format_markers`).

    Parameters
    ----------
    report : dict
        A rhythm report whose ``dance`` carries :func:`dance_evidence` (a timeline's does).
    fmt : str
        One of :data:`mudar.methods.MARKER_FORMATS`.
    first_beat : int
        Index of the beat counted 1.

    Raises
    ------
    ParameterError
        An unknown format, or a ``first_beat`` that is not a beat.
    """
    from mudar.report.markers import format_markers

    marks, about = _markers(report, first_beat=first_beat)
    return format_markers(marks, fmt, about=about)


def _markers(report: dict, *, first_beat: int) -> tuple[list, dict]:
    """(markers, about) of a rhythm report whose dance carries :func:`dance_evidence`."""
    from mudar.report.markers import rhythm_markers

    music, dance = report.get("music"), report.get("dance")
    beats = music["beat_times"] if music else []
    accents, weak = [], []
    if dance:
        accents = dance["rhythm_times"]
        weak = [p < dance["weak_below"] for p in dance["prominence"]]
    if first_beat < 0 or (beats and first_beat >= len(beats)):
        raise ParameterError(
            f"the count must start on one of the {len(beats)} beats, not on beat {first_beat + 1}"
        )
    about = {
        "file": report.get("file"),
        "counted_from": "the first beat" if first_beat == 0 else f"beat {first_beat + 1}",
        "count_note": "the music's bars (downbeats) are not detected: 1 is the beat the count "
        "was told to start on",
        "dance_method": dance["method"] if dance else None,
        "accents": dance["accents"] if dance else None,
        "weak_below": dance["weak_below"] if dance else None,
    }
    return rhythm_markers(beats, accents, first_beat=first_beat, weak=weak), about


def analysed_rhythm(
    path: str | os.PathLike, *, config: AnalysisConfig, method: str, model=None
) -> tuple[Analysis, dict]:
    """The file decoded and analysed once, and its rhythm report: for callers that draw from
    the analysis too (:func:`file_rhythm`'s plot, :mod:`mudar.pipelines.timeline`)."""
    with _one_thread(model):
        analysis = analyze(path, config)
        return analysis, rhythm_report(analysis, method=method, model=model)


def _one_thread(model) -> contextlib.AbstractContextManager:
    """One torch thread while a model runs: the shipped model is small, and one thread runs it
    over a minute of video (8 windows) in 0.25 s, two threads in 1.3 s, spending more time in
    synchronisation than in work."""
    if model is None:
        return contextlib.nullcontext()
    from mudar.threads import torch_threads  # torch: only with a model, never for hoof-flux

    return torch_threads(1)
