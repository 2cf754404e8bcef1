"""What a timeline of a file shows: its rhythm report (``mudar rhythm``) and the curves under
it, the music's onset envelope and the dance's rhythm strength, and the dancer's pose track to
draw over the video, from one decoding."""

from __future__ import annotations

import os

import numpy as np

from mudar.errors import ParameterError
from mudar.features.analysis import Analysis, AnalysisConfig
from mudar.features.pose import COCO17, COCO17_BONES, PoseTrack
from mudar.pipelines.rhythm import analysed_rhythm, dance_evidence

POSE_RATE = 15.0
"""Most pose samples a second the page is given (a minute: about 220 kB of JSON)."""


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
        :func:`mudar.tasks.rhythm.rhythm_report` with ``"curves"`` (see :func:`timeline_curves`)
        and ``"pose"``: :func:`pose_overlay` of the pose track where ``config`` tracks the body
        (``pose_stride > 0``) and the file has pictures, else None. Its ``"dance"`` also holds
        ``accents`` (what the rhythm points are, in a dancer's words), ``uses_music`` (the
        method heard the soundtrack), ``prominence`` and ``weak_below``
        (:func:`mudar.pipelines.rhythm.dance_evidence`).

    Raises
    ------
    InputError, DecodeError
        A missing or unreadable file.
    ParameterError
        An unknown method, or a learned one without its model.
    """
    return analysed_timeline(path, config=config, method=method, model=model)[1]


def analysed_timeline(
    path: str | os.PathLike, *, config: AnalysisConfig, method: str = "hoof-flux", model=None
) -> tuple[Analysis, dict]:
    """The file analysed once and its :func:`file_timeline`: for callers that score the same
    analysis too (the page's beat alignment and on-beat feedback)."""
    analysis, report = analysed_rhythm(path, config=config, method=method, model=model)
    strength = None
    if report["dance"] is not None:
        strength = np.asarray(report["dance"]["rhythm_strength"], np.float64)
        report["dance"] |= dance_evidence(analysis, report["dance"])
    report["curves"] = timeline_curves(analysis, dance_strength=strength)
    report["pose"] = None if analysis.pose is None else pose_overlay(analysis.pose)
    return analysis, report


def pose_overlay(track: PoseTrack, *, max_rate: float = POSE_RATE) -> dict:
    """A pose track thinned and rounded for drawing over the video.

    Parameters
    ----------
    track : PoseTrack
    max_rate : float
        Most samples a second kept: every k-th row, k the smallest with ``fps / k <= max_rate``.

    Returns
    -------
    dict
        ``width``, ``height`` (pixels of the source picture the keypoints are in), ``rate``
        (samples a second kept), ``times_s`` (n,), ``keypoints`` (n lists of 17 ``[x, y]`` in
        whole pixels, a joint not seen None; None where no body was found), ``confidence`` (n
        lists of 17 in [0, 1], rounded to 0.1, or None), ``found_fraction`` (of the whole track),
        ``joints`` (:data:`~mudar.features.pose.COCO17`), ``bones``
        (:data:`~mudar.features.pose.COCO17_BONES`).
    """
    if not max_rate > 0:
        raise ParameterError(f"max_rate must be positive, got {max_rate}")
    step = max(1, int(np.ceil(track.fps / max_rate - 1e-9)))
    keep = np.arange(0, len(track), step)
    found = track.found
    keypoints, confidence = [], []
    for i in keep:
        if not found[i]:
            keypoints.append(None)
            confidence.append(None)
            continue
        keypoints.append(
            [
                None if np.isnan(x) else [round(float(x)), round(float(y))]
                for x, y in track.keypoints[i]
            ]
        )
        confidence.append([round(float(c), 1) for c in track.confidence[i]])  # an alpha
    return {
        "width": int(track.width),
        "height": int(track.height),
        "rate": round(float(track.fps) / step, 3),
        "times_s": [round(float(t), 3) for t in track.times_s[keep]],
        "keypoints": keypoints,
        "confidence": confidence,
        "found_fraction": round(track.found_fraction, 3),
        "joints": list(COCO17),
        "bones": [list(b) for b in COCO17_BONES],
    }


def timeline_curves(analysis: Analysis, *, dance_strength: np.ndarray | None = None) -> dict:
    """The curves of a timeline, in [0, 1] for drawing.

    The onset envelope (in no unit of its own) is stretched to [0, 1]; the dance rhythm
    strength is not: every method's is already on a [0, 1] scale, and a flat curve (a still or
    steady picture) must stay flat rather than turn its wiggles into peaks.

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
        sound; ``dance_strength`` (the same form, on the video frame grid, its values as they
        are, clipped to [0, 1]) or None without pictures. Each also gives ``lo`` and ``hi``,
        the range of its values before any scaling, and ``scale``: ``"stretched"`` (to
        [0, 1]) or ``"absolute"``. Values rounded to 1e-4.
    """
    clock = analysis.clock
    onset = None
    if analysis.music is not None:
        onset = _curve(analysis.music.onset_envelope, t0=analysis.start_s, dt=1.0 / clock.fine_rate)
    dance = None
    if analysis.dance is not None:
        s = analysis.dance.strength if dance_strength is None else dance_strength
        dance = _curve(s, t0=analysis.start_s, dt=1.0 / clock.fps, stretch=False)
    return {"onset_envelope": onset, "dance_strength": dance}


def _curve(values: np.ndarray, *, t0: float, dt: float, stretch: bool = True) -> dict:
    v = np.nan_to_num(np.asarray(values, np.float64))
    lo, hi = (float(v.min()), float(v.max())) if v.size else (0.0, 0.0)
    if stretch:
        v = (v - lo) / (hi - lo) if hi > lo else np.zeros_like(v)
    else:
        v = np.clip(v, 0.0, 1.0)
    return {
        "t0": float(t0),
        "dt": float(dt),
        "values": [round(float(x), 4) for x in v],
        "lo": round(lo, 4),
        "hi": round(hi, 4),
        "scale": "stretched" if stretch else "absolute",
    }
