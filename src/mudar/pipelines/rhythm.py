"""The music and dance rhythm of a file (``mudar rhythm``): decoded, analysed, reported."""

from __future__ import annotations

import contextlib
import os

from mudar.features.analysis import Analysis, AnalysisConfig
from mudar.features.extract import analyze
from mudar.tasks.rhythm import default_dance_method, rhythm_method, rhythm_report

__all__ = ["default_dance_method", "file_rhythm", "rhythm_method"]


def file_rhythm(
    path: str | os.PathLike,
    *,
    config: AnalysisConfig,
    method: str = "hoof-flux",
    model=None,
    plot: str | os.PathLike | None = None,
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
        Also draw the onset envelope, the beats and the dance rhythm into this PNG.

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
    analysis, report = analysed_rhythm(path, config=config, method=method, model=model)
    if plot is not None:
        from mudar.report.plots import plot_rhythm  # matplotlib: only for a plot

        plot_rhythm(analysis, plot, dance=report["dance"])
    return report


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
