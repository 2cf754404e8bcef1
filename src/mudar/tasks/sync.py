"""Audio-video sync of a dance video: the audio delay that best lines the music up with the dance.

A dancer moves on the music, so the dance rhythm strength (how much the motion changes, frame by
frame) and the music's onset envelope rise and fall together when picture and sound are in
sync. If the sound is late by ``d`` seconds, the music is the in-sync music shifted by ``d``, and
the normalised cross-correlation of the two curves peaks at lag ``d``. This module finds that
lag to a fraction of a video frame and says how much it stands out; the command ``mudar sync``
reads the files and writes the repaired one. The dance curve is the HOOF flux or, what the
command uses by default, pulses at the dancer's stops (:func:`stop_pulses`), timed between the
video's own frames.

Sign convention: ``offset_s > 0`` means the **audio is late** (a kick is heard ``offset_s``
after the step it goes with); the repair advances the audio by ``offset_s``
(:func:`shift_audio`). ``offset_s < 0``: the audio is early, and is delayed.

What it needs: a dance whose motion is locked to the music at the scale of a frame. A dance on
a strictly steady tempo only fixes the offset modulo one beat (every beat looks alike), and the
confidence then says so. Measured on the 35 ballroom dances of ``../shared/data/dwm``
(``benchmarks/bench_sync.py``), where even the motion-capture joint speed is not frame-locked
to the music, the estimate does not find the true offset, and says so with a low confidence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from mudar.clock import DEFAULT_SR, FrameClock
from mudar.errors import ParameterError
from mudar.methods import DEFAULT_MAX_OFFSET_S, SYNC_FPS, SYNC_MIN_CONFIDENCE
from mudar.tasks.rhythm import dance_rhythm, rhythm_method, rhythm_seconds

if TYPE_CHECKING:
    from mudar.features.analysis import Analysis

# DEFAULT_MAX_OFFSET_S: the search range of estimate_offset; SYNC_FPS: the analysis frame rates
# sync_clock picks from, highest first (both in mudar.methods, for the command line)

FINE_RATE = 100.0
"""Target rate of the music onset envelope, frames per second (a 10 ms grid)."""


@dataclass(frozen=True)
class SyncEstimate:
    """The audio delay of a video and how far to trust it.

    Attributes
    ----------
    offset_s : float
        Audio delay, seconds: positive when the audio is late (see the module docstring).
    confidence : float
        In [0, 1]: ``(r1 - r2) / (1 - r2)``, where ``r1`` is the correlation at ``offset_s`` and
        ``r2`` the highest correlation at any offset outside its peak (see
        :func:`estimate_offset`); 0 when another offset fits as well.
    correlation : float
        ``r1``: normalised cross-correlation (Pearson) at ``offset_s``, in [-1, 1].
    runner_up : float
        ``r2``: the best correlation outside the peak of ``offset_s``.
    lags_s : np.ndarray, float64, shape (L,)
        The offsets searched, seconds, increasing.
    curve : np.ndarray, float64, shape (L,)
        Correlation at each offset.
    """

    offset_s: float
    confidence: float
    correlation: float
    runner_up: float
    lags_s: np.ndarray
    curve: np.ndarray


def offset_curve(
    dance_strength: np.ndarray,
    onset_envelope: np.ndarray,
    *,
    fps: float,
    rate: float,
    max_offset_s: float = DEFAULT_MAX_OFFSET_S,
) -> tuple[np.ndarray, np.ndarray]:
    """Normalised cross-correlation of dance rhythm strength and music onsets, per audio delay.

    The dance strength (video frame ``k`` at ``k / fps`` s) is interpolated linearly onto the
    envelope's grid (frame ``j`` at ``j / rate`` s). For a lag of ``L`` envelope frames the
    curve holds the Pearson correlation of ``dance[j]`` and ``envelope[j + L]`` over the ``j``
    where both exist, so that every lag is scored on its own overlap (no bias towards lag 0).

    Parameters
    ----------
    dance_strength : np.ndarray, shape (T,)
        Per-frame dance rhythm strength, e.g. the HOOF flux ``analysis.dance.strength``.
    onset_envelope : np.ndarray, shape (m,)
        Music onset envelope, e.g. ``analysis.music.onset_envelope``.
    fps : float
        Frame rate of ``dance_strength``, frames per second.
    rate : float
        Frame rate of ``onset_envelope``, frames per second (``FrameClock.fine_rate``).
    max_offset_s : float
        Largest delay searched either way, seconds.

    Returns
    -------
    lags_s : np.ndarray, float64, shape (2K + 1,)
        Delays ``-K / rate .. K / rate`` with ``K = round(max_offset_s * rate)``, seconds.
    curve : np.ndarray, float64, shape (2K + 1,)
        Correlation in [-1, 1] at each delay; 0 where either overlap is constant.

    Raises
    ------
    ParameterError
        Signals not 1-D or not finite, rates or ``max_offset_s`` not positive, or a common
        duration shorter than ``2 * max_offset_s`` (the extreme lags would see less than half
        of it).
    """
    d = _check_signal(dance_strength, "dance_strength")
    m = _check_signal(onset_envelope, "onset_envelope")
    if not (fps > 0 and rate > 0 and max_offset_s > 0):
        raise ParameterError(
            f"fps, rate and max_offset_s must be positive, got {fps}, {rate}, {max_offset_s}"
        )
    n = min(len(m), math.floor(len(d) * rate / fps))
    k = round(max_offset_s * rate)
    if n < 2 * k or n < 2:
        raise ParameterError(
            f"{n / rate:.2f} s of common signal is too short to search offsets of "
            f"+-{max_offset_s:g} s: it needs at least {2 * max_offset_s:g} s"
        )
    t = np.arange(n) / rate
    d = np.interp(t, np.arange(len(d)) / fps, d)
    m = m[:n]
    lags = np.arange(-k, k + 1)
    curve = np.array(
        [
            _pearson(d[max(0, -lag) : n - max(0, lag)], m[max(0, lag) : n + min(0, lag)])
            for lag in lags
        ]
    )
    return lags / rate, curve


def estimate_offset(
    dance_strength: np.ndarray,
    onset_envelope: np.ndarray,
    *,
    fps: float,
    rate: float,
    max_offset_s: float = DEFAULT_MAX_OFFSET_S,
) -> SyncEstimate:
    """The audio delay in ``[-max_offset_s, max_offset_s]`` that best aligns dance and music.

    The delay is the peak of :func:`offset_curve`, refined between grid points by parabolic
    interpolation (the grid is ``1 / rate`` s, finer than a video frame).

    Confidence: with ``r1`` the correlation at the peak and ``r2`` the highest correlation
    anywhere outside the peak's lobe (the lobe runs downhill from the peak to the first local
    minimum on each side, and spans at least one video frame either way),
    ``confidence = (r1 - r2) / (1 - r2)``, clipped to [0, 1]: the share of the remaining
    headroom by which the chosen delay beats the best alternative delay. It is 0 when another
    delay fits as well (no coupling of motion and music, or a steady beat that repeats within
    the range, which fixes the delay only modulo one beat), when ``r1 <= 0``, and when the peak
    lies on the edge of the range (the best delay may lie beyond it); it tends to 1 for a
    perfect, unique match. On synthetic dances with tempo changes (12 s, 25 fps) it is about
    0.3, with the dance on another tempo about 0.03, on a steady 120 BPM about 0.005.

    Parameters
    ----------
    dance_strength, onset_envelope, fps, rate, max_offset_s
        As for :func:`offset_curve`.

    Returns
    -------
    SyncEstimate
        ``offset_s`` 0 and ``confidence`` 0 when either signal is constant (a still video,
        silence): there is nothing to align.

    Raises
    ------
    ParameterError
        As :func:`offset_curve`.
    """
    lags_s, curve = offset_curve(
        dance_strength, onset_envelope, fps=fps, rate=rate, max_offset_s=max_offset_s
    )
    i = int(np.argmax(curve))
    if not np.any(curve):
        return SyncEstimate(0.0, 0.0, 0.0, 0.0, lags_s, curve)
    offset, height = float(lags_s[i]), float(curve[i])
    edge = i in (0, len(curve) - 1)
    if not edge:
        a, b, c = curve[i - 1], curve[i], curve[i + 1]
        bend = a - 2 * b + c
        if bend < 0:
            shift = 0.5 * (a - c) / bend
            offset += shift / rate
            height = float(b - 0.25 * (a - c) * shift)
    lo, hi = _lobe(curve, i, min_half_width=math.ceil(rate / fps))
    outside = np.concatenate([curve[: lo + 1], curve[hi:]])
    r2 = float(outside.max())
    confidence = 0.0
    if height > 0 and not edge and r2 < 1:
        confidence = float(np.clip((height - r2) / (1 - r2), 0.0, 1.0))
    return SyncEstimate(
        offset_s=offset,
        confidence=confidence,
        correlation=min(height, 1.0),
        runner_up=r2,
        lags_s=lags_s,
        curve=curve,
    )


def sync_offset(
    analysis: Analysis,
    *,
    max_offset_s: float = DEFAULT_MAX_OFFSET_S,
    method: str = "hoof-flux",
    model=None,
) -> SyncEstimate:
    """The audio delay of an analysed video (see :func:`estimate_offset`).

    Parameters
    ----------
    analysis : Analysis
        With music and dance features; a fine clock helps (:func:`sync_clock`): the delay is
        refined on the onset envelope's grid, and the dance curve is sharper at a higher frame
        rate.
    max_offset_s : float
        Search range either way, seconds.
    method : str
        Dance rhythm strength, as :func:`mudar.tasks.rhythm.dance_rhythm`: ``hoof-flux``
        (learning-free, any frame rate), ``motion-energy`` (the stops, timed between the
        video's own frames: :func:`stop_pulses`) or a learned model's.
    model : MuDaR, optional
        For the learned methods.

    Returns
    -------
    SyncEstimate

    Raises
    ------
    ParameterError
        The analysis lacks music or dance, or is too short for ``max_offset_s``.
    """

    if analysis.music is None:
        raise ParameterError(f"{analysis.path}: no audio track, nothing to sync")
    if not max_offset_s > 0:
        raise ParameterError(f"max_offset_s must be positive, got {max_offset_s}")
    if analysis.duration_s < 2 * max_offset_s:
        raise ParameterError(
            f"{analysis.path}: {analysis.duration_s:.2f} s is too short to search offsets of "
            f"+-{max_offset_s:g} s (it needs {2 * max_offset_s:g} s); lower the search range"
        )
    clock = analysis.clock
    if rhythm_method(method).times is not None:  # timed below the frame: pulses on the fine grid
        times = rhythm_seconds(analysis, method, model=model)
        strength, fps = pulse_curve(times, analysis), clock.fine_rate
    else:
        strength, fps = dance_rhythm(analysis, method=method, model=model)[1], clock.fps
    return estimate_offset(
        strength,
        analysis.music.onset_envelope,
        fps=fps,
        rate=clock.fine_rate,
        max_offset_s=max_offset_s,
    )


STOP_PULSE_S = 0.04
"""Standard deviation of the pulse :func:`stop_pulses` puts at each stop, seconds."""


def stop_pulses(analysis: Analysis) -> np.ndarray:
    """The dancer's stops (the ``motion-energy`` rhythm, timed below the video frame) as a
    curve on the onset envelope's grid (``clock.fine_rate``), to correlate with the music's
    onsets (:func:`pulse_curve`)."""
    return pulse_curve(rhythm_seconds(analysis, "motion-energy"), analysis)


def pulse_curve(times_s: np.ndarray, analysis: Analysis) -> np.ndarray:
    """Event times (seconds of ``analysis``) as a curve on its onset envelope's grid
    (``clock.fine_rate``, over its duration): a Gaussian pulse of unit area and
    :data:`STOP_PULSE_S` at each."""
    from mudar.features.kinematic import gaussian_smooth

    rate = analysis.clock.fine_rate
    n = math.floor(analysis.duration_s * rate)
    curve = np.zeros(n)
    t = np.asarray(times_s, dtype=np.float64)
    np.add.at(curve, np.clip(np.round(t * rate).astype(int), 0, n - 1), 1.0)
    return gaussian_smooth(curve, sigma=STOP_PULSE_S * rate)


def min_confidence(method: str) -> float:
    """The confidence below which a ``method``'s estimate cannot be trusted
    (:data:`mudar.methods.SYNC_MIN_CONFIDENCE`, calibrated on the beat-locked dances).

    Raises
    ------
    ParameterError
        An unknown method.
    """
    if method not in SYNC_MIN_CONFIDENCE:
        raise ParameterError(
            f"unknown sync method {method!r}; known: {', '.join(SYNC_MIN_CONFIDENCE)}"
        )
    return SYNC_MIN_CONFIDENCE[method]


def sync_report(file: str, estimate: SyncEstimate, *, min_confidence: float) -> dict:
    """The ``mudar sync --json`` object: ``{"file", "offset_s", "confidence", "reliable",
    "min_confidence"}``.

    ``offset_s`` is rounded to the millisecond and ``confidence`` to 3 decimals; ``reliable``
    is whether the confidence reaches ``min_confidence`` (below it the delay is a guess: see
    :func:`min_confidence`).
    """
    return {
        "file": str(file),
        "offset_s": round(estimate.offset_s, 3),
        "confidence": round(estimate.confidence, 3),
        "reliable": bool(estimate.confidence >= min_confidence),
        "min_confidence": float(min_confidence),
    }


def shift_audio(y: np.ndarray, *, offset_s: float, sr: int) -> np.ndarray:
    """Advance the audio by ``offset_s`` seconds (delay it when negative), keeping its length.

    ``out[i] = y[i + round(offset_s * sr)]``, silence where that falls outside ``y``: the
    repair of a video whose audio is ``offset_s`` late (:attr:`SyncEstimate.offset_s`).

    Parameters
    ----------
    y : np.ndarray, shape (n_samples,) or (n_samples, n_channels)
        Samples.
    offset_s : float
        Seconds; positive moves the sound earlier.
    sr : int
        Sample rate, Hz.

    Returns
    -------
    np.ndarray, shape and dtype of ``y``

    Raises
    ------
    ParameterError
        ``sr`` not positive or ``offset_s`` not finite.
    """
    if not sr > 0 or not math.isfinite(offset_s):
        raise ParameterError(f"sr must be positive and offset_s finite, got {sr}, {offset_s}")
    y = np.asarray(y)
    n = len(y)
    k = round(offset_s * sr)
    out = np.zeros_like(y)
    if k >= 0:
        out[: max(0, n - k)] = y[k:]
    else:
        out[-k:] = y[: max(0, n + k)]
    return out


def sync_clock(native_fps: float, *, sr: int = DEFAULT_SR, fps: float | None = None) -> FrameClock:
    """The analysis clock for sync: as fine as the video allows, audio on a ~10 ms grid.

    The frame rate is ``fps`` when given, else the highest of :data:`SYNC_FPS` not above
    ``native_fps`` (sampling a video faster than it was shot repeats frames, and a repeated
    frame reads as a stop of all motion), 25 when ``native_fps`` is unknown (0). ``sub`` puts
    the fine audio rate as close to :data:`FINE_RATE` as ``sr`` allows.

    Parameters
    ----------
    native_fps : float
        Frame rate of the video, frames per second (``MediaInfo.native_fps``); 0 if unknown.
    sr : int
        Audio analysis rate, Hz.
    fps : float, optional
        Analysis frame rate chosen by the caller.

    Returns
    -------
    FrameClock

    Raises
    ------
    ParameterError
        ``sr`` is not a whole multiple of the frame rate(s), or a rate is not positive.
    """
    if native_fps < 0 or sr <= 0 or (fps is not None and not fps > 0):
        raise ParameterError(
            f"native_fps must be >= 0, sr and fps positive, got {native_fps}, {sr}, {fps}"
        )
    if fps is not None:
        rates = [fps]
    else:
        rates = [f for f in SYNC_FPS if native_fps == 0 or f <= native_fps * 1.001]
    for rate in rates or [SYNC_FPS[-1]]:
        subs = [s for s in range(1, 65) if _whole(sr / (rate * s))]
        if subs and _whole(sr / rate):
            sub = min(subs, key=lambda s: abs(rate * s - FINE_RATE))
            return FrameClock(fps=rate, sr=sr, sub=sub)
    raise ParameterError(f"sr={sr} Hz is not a whole multiple of the frame rate(s) {rates}")


def _whole(x: float) -> bool:
    return abs(x - round(x)) < 1e-9


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    a = a - a.mean()
    b = b - b.mean()
    den = math.sqrt(float(a @ a) * float(b @ b))
    return float(a @ b) / den if den > 1e-12 else 0.0


def _lobe(curve: np.ndarray, i: int, *, min_half_width: int) -> tuple[int, int]:
    """Ends of the peak at ``i``: the first local minimum on each side, at least
    ``min_half_width`` samples away (fewer at the edges of the curve)."""
    lo = i
    while lo > 0 and (curve[lo - 1] <= curve[lo] or i - lo < min_half_width):
        lo -= 1
    hi = i
    while hi < len(curve) - 1 and (curve[hi + 1] <= curve[hi] or hi - i < min_half_width):
        hi += 1
    return lo, hi


def _check_signal(x: np.ndarray, name: str) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1:
        raise ParameterError(f"{name} must be 1-D, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ParameterError(f"{name} holds non-finite values")
    return x
