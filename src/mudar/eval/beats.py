"""Beat tracking scores: beat times read off a frame-wise activation, and their F-measure.

The activation is any per-frame beat strength (MotionBeat's
:attr:`~mudar.models.motionbeat.MusicEmbedding.beat_activation`, 8 fps): beats are its peaks
(:func:`activation_peaks`) or librosa's dynamic programming on it (:func:`activation_dp_beats`);
:func:`librosa_beats` runs ``librosa.beat.beat_track`` on the audio as a reference tracker.
:func:`beat_f_measure` is ``mir_eval.beat.f_measure`` (70 ms). librosa and mir_eval are imported
when first used.
"""

from __future__ import annotations

import warnings

import librosa
import numpy as np

from mudar.errors import ParameterError

BEAT_WINDOW_S = 0.07
"""Tolerance of the beat F-measure, seconds (mir_eval's default)."""

MIN_BEAT_SEPARATION_S = 0.3
"""Peak picking keeps at most one beat per this many seconds (200 BPM)."""


def activation_peaks(
    activation: np.ndarray,
    *,
    fps: float,
    min_separation_s: float = MIN_BEAT_SEPARATION_S,
) -> np.ndarray:
    """Beat times from a frame-wise activation by peak picking.

    A frame is a beat when its activation is the largest within ``min_separation_s`` either
    side (the earliest of equal values wins) and above the activation's mean.

    Parameters
    ----------
    activation : np.ndarray, shape (n,)
    fps : float
        Frames per second; frame ``k`` is at ``k / fps`` seconds.
    min_separation_s : float

    Returns
    -------
    np.ndarray, float64, shape (b,)
        Beat times, seconds, increasing.

    Raises
    ------
    ParameterError
        Not 1-D finite, or a non-positive rate or separation.
    """
    a = np.asarray(activation, np.float64)
    if a.ndim != 1 or not np.isfinite(a).all():
        raise ParameterError("activation must be a 1-D array of finite numbers")
    if not (fps > 0 and min_separation_s > 0):
        raise ParameterError(
            f"need fps > 0 and min_separation_s > 0, got {fps}, {min_separation_s}"
        )
    if len(a) == 0:
        return np.zeros(0)
    w = max(1, int(round(min_separation_s * fps)))
    padded = np.pad(a, w, constant_values=-np.inf)
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * w + 1)
    left = windows[:, :w].max(1)  # strictly larger before: not the first of equal values
    right = windows[:, w + 1 :].max(1)
    peak = (a > left) & (a >= right) & (a > a.mean())
    return np.flatnonzero(peak) / fps


def activation_dp_beats(activation: np.ndarray, *, fps: float) -> np.ndarray:
    """Beat times from a frame-wise activation by librosa's dynamic programming
    (``librosa.beat.beat_track(onset_envelope=activation)``, its own tempo estimate).

    Parameters
    ----------
    activation : np.ndarray, shape (n,)
    fps : float
        A whole number of frames per second (librosa takes an integer rate).

    Returns
    -------
    np.ndarray, float64, shape (b,)
        Seconds.
    """

    a = np.asarray(activation, np.float64)
    if a.ndim != 1 or not np.isfinite(a).all():
        raise ParameterError("activation must be a 1-D array of finite numbers")
    if abs(fps - round(fps)) > 1e-9 or fps < 1:
        raise ParameterError(f"fps must be a whole number of frames per second, got {fps}")
    if len(a) < 2 or not np.any(a > 0):
        return np.zeros(0)
    _, beats = librosa.beat.beat_track(
        onset_envelope=a, sr=int(round(fps)), hop_length=1, units="time"
    )
    return np.asarray(beats, np.float64)


def librosa_beats(y: np.ndarray, *, sr: int) -> np.ndarray:
    """``librosa.beat.beat_track`` on the audio (its defaults), seconds."""

    _, beats = librosa.beat.beat_track(y=np.asarray(y, np.float32), sr=sr, units="time")
    return np.asarray(beats, np.float64)


def beat_f_measure(reference_s, estimated_s, *, window_s: float = BEAT_WINDOW_S) -> float:
    """``mir_eval.beat.f_measure`` of beat times, untrimmed (the annotated sample is shorter
    than the 5 s ``mir_eval.beat.trim_beats`` would cut); 0 when either is empty."""

    import mir_eval

    ref = np.sort(np.asarray(reference_s, np.float64))
    est = np.sort(np.asarray(estimated_s, np.float64))
    if len(ref) == 0 or len(est) == 0:
        return 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(mir_eval.beat.f_measure(ref, est, f_measure_threshold=window_s))
