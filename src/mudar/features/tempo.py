"""The music's tempo and beats: the autocorrelation tempogram, a tempo estimate under a
log-normal prior, and beats by dynamic programming (librosa's, redone by
:mod:`mudar.features.dsp`). :func:`mudar.features.music.music_features` puts them on the video
frames."""

from __future__ import annotations

import numpy as np

from mudar.errors import ParameterError
from mudar.features import dsp
from mudar.features.checks import check_envelope, check_rate

TEMPOGRAM_WIN_S = 8.0
"""Autocorrelation window of the tempogram, seconds (librosa's ``ac_size`` for tempo)."""
START_BPM = 120.0
STD_BPM = 2.0
"""Width of the log-normal tempo prior, octaves (see :func:`estimate_tempo`)."""
MAX_BPM = 320.0


def tempogram(
    envelope: np.ndarray,
    *,
    sr: int,
    hop_length: int,
    win_length: int,
) -> np.ndarray:
    """Autocorrelation tempogram of the onset envelope (librosa, Hann window, centred).

    Parameters
    ----------
    envelope : np.ndarray, shape (m,)
        Onset envelope.
    sr : int
        Sample rate, Hz.
    hop_length : int
        Hop of the envelope, samples.
    win_length : int
        Autocorrelation window, frames; row ``l`` is lag ``l`` frames, i.e.
        ``60 * sr / (hop_length * l)`` BPM.

    Returns
    -------
    np.ndarray, float32, shape (win_length, m)
        Each column scaled so that lag 0 is 1 (all zeros where the envelope is).

    Raises
    ------
    ParameterError
        If ``envelope`` is not 1-D or ``win_length < 1``.
    """
    envelope = check_envelope(envelope)
    check_rate(sr=sr, hop_length=hop_length)
    if win_length < 1:
        raise ParameterError(f"win_length must be >= 1, got {win_length}")
    if envelope.size == 0:
        return np.zeros((win_length, 0), dtype=np.float32)
    if not np.all(np.isfinite(envelope)):
        raise ParameterError("envelope holds non-finite values")
    tg = dsp.autocorrelation_tempogram(envelope, win_length=win_length)
    return tg.astype(np.float32)


def estimate_tempo(
    envelope: np.ndarray,
    *,
    sr: int,
    hop_length: int,
    win_length: int | None = None,
    start_bpm: float = START_BPM,
    std_bpm: float = STD_BPM,
    max_bpm: float = MAX_BPM,
    tg: np.ndarray | None = None,
    tg_mean: np.ndarray | None = None,
) -> float:
    """Global tempo: the strongest periodicity of the onset envelope under a broad prior.

    The time-averaged tempogram is weighted by a log-normal prior centred on ``start_bpm`` and
    its highest peak is refined to a fraction of a frame by parabolic interpolation (whole-frame
    lags are 1-2% apart at 150-200 BPM and 64 frames/s).

    Why ``std_bpm = 2`` octaves, not librosa's 1: an isochronous pulse autocorrelates almost as
    strongly at twice its period, so the prior alone picks the metrical level. With 1 octave,
    120 BPM pulls a 180 BPM pulse down to 90; with 2 octaves the prior varies by at most 12%
    within an octave of 120 BPM, so the data decide over the range of dance music, while tempi
    beyond 30 or 480 BPM remain improbable.

    Parameters
    ----------
    envelope : np.ndarray, shape (m,)
        Onset envelope.
    sr : int
        Sample rate, Hz.
    hop_length : int
        Hop of the envelope, samples.
    win_length : int, optional
        Autocorrelation window, frames; default ``TEMPOGRAM_WIN_S`` seconds. Ignored if ``tg``.
    start_bpm : float
        Centre of the prior, BPM.
    std_bpm : float
        Width of the prior, octaves.
    max_bpm : float
        Fastest tempo considered, BPM.
    tg : np.ndarray, shape (win_length, m), optional
        Tempogram of ``envelope`` from :func:`tempogram`, to avoid computing it twice.
    tg_mean : np.ndarray, shape (win_length,), optional
        Its mean over frames instead (what a long file keeps); wins over ``tg``.

    Returns
    -------
    float
        Tempo, BPM; 0.0 when it cannot be estimated: silence, or a clip too short to hold two
        periods of any tempo below ``max_bpm``.

    Raises
    ------
    ParameterError
        If ``envelope`` is not 1-D or a setting is not positive.
    """
    envelope = check_envelope(envelope)
    check_rate(sr=sr, hop_length=hop_length)
    if not (start_bpm > 0 and std_bpm > 0 and max_bpm > 0):
        raise ParameterError(
            f"start_bpm, std_bpm and max_bpm must be positive, got {start_bpm}, {std_bpm}, "
            f"{max_bpm}"
        )
    if not np.any(envelope > 0):
        return 0.0
    if tg_mean is None:
        if tg is None:
            if win_length is None:
                win_length = max(1, round(TEMPOGRAM_WIN_S * sr / hop_length))
            tg = tempogram(envelope, sr=sr, hop_length=hop_length, win_length=win_length)
        elif tg.ndim != 2 or tg.shape[1] != envelope.size:
            raise ParameterError(
                f"tg must have shape (win_length, {envelope.size}), got {tg.shape}"
            )
        tg_mean = tg.mean(axis=1, dtype=np.float64)
    ac = np.asarray(tg_mean, dtype=np.float64)
    lags = np.arange(len(ac), dtype=np.float64)
    with np.errstate(divide="ignore"):
        bpm = 60.0 * sr / (hop_length * lags)
    logprior = -0.5 * ((np.log2(bpm) - np.log2(start_bpm)) / std_bpm) ** 2
    # a period is only measured where the clip holds two of it; longer lags see only padding
    valid = (lags >= 1) & (bpm < max_bpm) & (lags <= envelope.size // 2)
    score = np.where(valid, ac * np.exp(logprior), 0.0)
    # interior local maxima (a peak at the window's edge cannot be refined, nor trusted)
    a, b, c = score[:-2], score[1:-1], score[2:]
    peaks = np.flatnonzero((b > 0) & (b >= a) & (b > c)) + 1
    if peaks.size == 0:
        return 0.0
    a, b, c = score[peaks - 1], score[peaks], score[peaks + 1]
    curv = a - 2 * b + c
    shift = np.where(curv < 0, 0.5 * (a - c) / np.where(curv < 0, curv, -1.0), 0.0)
    height = b - 0.25 * (a - c) * shift
    best = int(np.argmax(height))
    return float(60.0 * sr / (hop_length * (peaks[best] + shift[best])))


def track_beats(
    envelope: np.ndarray,
    *,
    sr: int,
    hop_length: int,
    tempo_bpm: float,
    tightness: float = 100.0,
) -> np.ndarray:
    """Beats by dynamic programming at a given tempo (Ellis 2007, ``librosa.beat.beat_track``).

    Parameters
    ----------
    envelope : np.ndarray, shape (m,)
        Onset envelope.
    sr : int
        Sample rate, Hz.
    hop_length : int
        Hop of the envelope, samples.
    tempo_bpm : float
        Tempo, BPM, e.g. from :func:`estimate_tempo`; 0 gives no beats.
    tightness : float
        How strictly beats keep to the tempo.

    Returns
    -------
    np.ndarray, float64, shape (b,)
        Beat times, seconds, increasing; empty for silence, an envelope of fewer than 2 frames,
        or ``tempo_bpm == 0``.

    Raises
    ------
    ParameterError
        If ``envelope`` is not 1-D or not finite, ``tempo_bpm`` is negative, not finite or
        faster than two beats per frame, or ``tightness`` is not positive.
    """
    envelope = check_envelope(envelope)
    check_rate(sr=sr, hop_length=hop_length)
    if not (np.isfinite(tempo_bpm) and tempo_bpm >= 0):
        raise ParameterError(f"tempo_bpm must be finite and >= 0, got {tempo_bpm}")
    if tempo_bpm == 0 or not np.any(envelope > 0):
        return np.zeros(0, dtype=np.float64)
    beats = dsp.beat_track(
        envelope.astype(np.float64),
        frame_rate=float(sr) / hop_length,
        bpm=float(tempo_bpm),
        tightness=tightness,
        trim=True,
    )
    return beats.astype(np.float64) * hop_length / sr
