"""What a timeline of a file shows: its rhythm report (``mudar rhythm``) and the curves under
it, the music's onset envelope and the dance's rhythm strength, from one decoding."""

from __future__ import annotations

import os

import numpy as np

from mudar.features.analysis import Analysis, AnalysisConfig
from mudar.pipelines.rhythm import analysed_rhythm


def file_timeline(
    path: str | os.PathLike,
    *,
    config: AnalysisConfig,
    method: str = "hoof-flux",
    model=None,
) -> dict:
    """The rhythm report of a file with the curves a timeline draws.

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

    Returns
    -------
    dict
        :func:`mudar.tasks.rhythm.rhythm_report` with ``"curves"``: see :func:`timeline_curves`.

    Raises
    ------
    InputError, DecodeError
        A missing or unreadable file.
    ParameterError
        An unknown method, or a learned one without its model.
    """
    analysis, report = analysed_rhythm(path, config=config, method=method, model=model)
    strength = None
    if report["dance"] is not None:
        strength = np.asarray(report["dance"]["rhythm_strength"], np.float64)
    report["curves"] = timeline_curves(analysis, dance_strength=strength)
    return report


def timeline_curves(analysis: Analysis, *, dance_strength: np.ndarray | None = None) -> dict:
    """The curves of a timeline, each scaled to [0, 1] for drawing.

    Parameters
    ----------
    analysis : Analysis
    dance_strength : np.ndarray, shape (n_frames,), optional
        Per-frame strength of the dance rhythm method (:func:`mudar.tasks.rhythm.dance_rhythm`);
        default the HOOF flux of the analysis.

    Returns
    -------
    dict
        ``onset_envelope`` (``{"t0", "dt", "values"}``: the SuperFlux envelope on the fine audio
        grid, its first sample at ``t0`` seconds, one every ``dt`` seconds) or None without
        sound; ``dance_strength`` (the same form, on the video frame grid) or None without
        pictures. Values rounded to 1e-4.
    """
    clock = analysis.clock
    onset = None
    if analysis.music is not None:
        onset = _curve(analysis.music.onset_envelope, t0=analysis.start_s, dt=1.0 / clock.fine_rate)
    dance = None
    if analysis.dance is not None:
        s = analysis.dance.strength if dance_strength is None else dance_strength
        dance = _curve(s, t0=analysis.start_s, dt=1.0 / clock.fps)
    return {"onset_envelope": onset, "dance_strength": dance}


def _curve(values: np.ndarray, *, t0: float, dt: float) -> dict:
    v = np.nan_to_num(np.asarray(values, np.float64))
    span = float(v.max() - v.min()) if v.size else 0.0
    v = (v - v.min()) / span if span > 0 else np.zeros_like(v)
    return {"t0": float(t0), "dt": float(dt), "values": [round(float(x), 4) for x in v]}
