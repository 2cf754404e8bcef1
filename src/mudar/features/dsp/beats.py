"""Tempo and beats: the autocorrelation tempogram and the dynamic-programming beat tracker
(librosa's ``feature.tempogram`` and ``beat.beat_track``)."""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from mudar.errors import ParameterError
from mudar.features.dsp.spectrum import _BLOCK, hann_window
from mudar.features.order import median


def autocorrelation_tempogram(
    onset_envelope: np.ndarray, *, win_length: int, start: int = 0, stop: int | None = None
) -> np.ndarray:
    """Local autocorrelation of the onset envelope, as ``librosa.feature.tempogram``.

    Hann window of ``win_length`` frames centred on each frame (the envelope is padded by
    linear ramps from 0), autocorrelation by FFT, each column scaled by its largest magnitude
    (``norm=np.inf``; all-zero columns stay zero).

    Parameters
    ----------
    onset_envelope : np.ndarray, shape (m,)
        Onset strength.
    win_length : int
        Window, frames; row ``l`` of the result is lag ``l``.
    start, stop : int
        Only columns ``start .. stop - 1`` (default all): equal to those of the whole, so a long
        envelope can be done in pieces.

    Returns
    -------
    np.ndarray, float64, shape (win_length, stop - start)

    Raises
    ------
    ParameterError
        If the envelope is not 1-D or not finite, or ``win_length < 1``.
    """
    x = np.asarray(onset_envelope)
    if x.ndim != 1:
        raise ParameterError(f"onset_envelope must have shape (m,), got {x.shape}")
    if win_length < 1:
        raise ParameterError(f"win_length must be >= 1, got {win_length}")
    m = x.size
    if m == 0:
        return np.zeros((win_length, 0), dtype=np.float64)
    if not np.all(np.isfinite(x)):
        raise ParameterError("onset_envelope must be finite")
    stop = m if stop is None else stop
    if not 0 <= start <= stop <= m:
        raise ParameterError(f"need 0 <= start <= stop <= {m}, got {start}, {stop}")
    half = win_length // 2
    padded = np.pad(x, (half, half), mode="linear_ramp", end_values=(0, 0))
    frames = sliding_window_view(padded, win_length)[start:stop]
    m = stop - start
    window = hann_window(win_length)
    n_pad = next_fast_len_real(2 * win_length - 1)
    out = np.empty((m, win_length), dtype=np.float64)
    for s in range(0, m, _BLOCK):
        spec = np.fft.rfft(frames[s : s + _BLOCK] * window, n=n_pad, axis=-1)
        ac = np.fft.irfft(spec.real**2 + spec.imag**2, n=n_pad, axis=-1)[:, :win_length]
        length = np.max(np.abs(ac), axis=-1, keepdims=True)
        length[length < np.finfo(np.float64).tiny] = 1.0  # all-zero columns stay zero
        out[s : s + _BLOCK] = ac / length
    return out.T


def next_fast_len_real(n: int) -> int:
    """Smallest ``2**a * 3**b * 5**c >= n``, as ``scipy.fft.next_fast_len(n, real=True)``.

    Parameters
    ----------
    n : int
        Target length, ``>= 0``.

    Returns
    -------
    int

    Raises
    ------
    ParameterError
        If ``n < 0``.
    """
    if n < 0:
        raise ParameterError(f"n must be >= 0, got {n}")
    if n <= 6:
        return n
    best = 1 << (n - 1).bit_length()
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            # the smallest power of two that lifts p35 to n
            q = -(-n // p35)
            cand = p35 * (1 << (q - 1).bit_length())
            best = min(best, cand)
            p35 *= 3
        p5 *= 5
    return best


def beat_track(
    onset_envelope: np.ndarray,
    *,
    frame_rate: float,
    bpm: float,
    tightness: float = 100.0,
    trim: bool = True,
    fit_ends: bool = False,
) -> np.ndarray:
    """Beats by dynamic programming at a fixed tempo (Ellis 2007), as ``librosa.beat.beat_track``.

    Equals ``librosa.beat.beat_track(onset_envelope=env, bpm=bpm, tightness=tightness,
    trim=trim, units="frames")[1]`` for a float64 envelope: the envelope is scaled by its
    standard deviation and smoothed by a Gaussian of the beat period (the *local score*); each
    frame's best predecessor lies between half and twice a period back, scored by the
    cumulative score minus ``tightness`` times the squared log deviation from the period; the
    path is traced back from the last strong local maximum of the cumulative score, and weak
    beats at either end are dropped (``trim``).

    Parameters
    ----------
    onset_envelope : np.ndarray, shape (m,)
        Onset strength (computed in float64).
    frame_rate : float
        Envelope frames per second.
    bpm : float
        Tempo, beats per minute.
    tightness : float
        How strictly the beats keep to the tempo (rounded to float32, as librosa does).
    trim : bool
        Drop leading and trailing beats weaker than half the RMS of the smoothed beat scores.
    fit_ends : bool
        Not librosa's: where the path may begin and end. It may begin at any frame whose every
        predecessor in reach scores below zero (librosa takes the best of them: music that
        starts between half a period and a period in then paid a penalty for its first beat,
        which the path put off its onset or dropped; a 120 BPM song whose first kick is at
        0.30 s got its first beat at 0.81 s). It ends at the best-scoring local maximum of the
        cumulative score within the period up to librosa's end (librosa takes the last: an
        off-beat sound in the last period then set the phase of the whole path).

    Returns
    -------
    np.ndarray, int64, shape (b,)
        Beat frames, increasing; empty if the envelope is all zeros or shorter than 2 frames.

    Raises
    ------
    ParameterError
        If the envelope is not 1-D or not finite, ``tightness`` or ``frame_rate`` is not
        positive, or the beat period ``round(60 * frame_rate / bpm)`` is not at least one frame.
    """
    env = np.asarray(onset_envelope, dtype=np.float64)
    if env.ndim != 1:
        raise ParameterError(f"onset_envelope must have shape (m,), got {env.shape}")
    if not np.all(np.isfinite(env)):
        raise ParameterError("onset_envelope must be finite")
    if not (frame_rate > 0 and tightness > 0 and bpm > 0):
        raise ParameterError(
            f"frame_rate, bpm and tightness must be positive, got {frame_rate}, {bpm}, {tightness}"
        )
    fpb = float(np.round(frame_rate * 60.0 / np.float64(bpm)))
    if not 1 <= fpb < np.inf:
        raise ParameterError(f"bpm={bpm} gives a beat period of {fpb:g} frames; need >= 1")
    if env.size < 2 or not env.any():
        return np.zeros(0, dtype=np.int64)
    onsets = env / (env.std(ddof=1) + np.finfo(np.float64).tiny)
    localscore = _beat_local_score(onsets, int(fpb))
    backlink, cumscore = _beat_track_dp(
        localscore, int(fpb), float(np.float32(tightness)), free_start=fit_ends
    )
    beats = np.zeros(env.size, dtype=bool)
    n = _last_beat(cumscore, period=int(fpb) if fit_ends else 1)
    while n >= 0:
        beats[n] = True
        n = backlink[n]
    return np.flatnonzero(_trim_beats(localscore, beats, trim)).astype(np.int64)


def _beat_local_score(onsets: np.ndarray, fpb: int) -> np.ndarray:
    """Same-mode convolution with a Gaussian of width ``fpb / 32``, summed in librosa's order.

    As in librosa's kernel, frame 0 of the envelope never contributes.
    """
    # libm exp, as numba's np.exp
    window = []
    for a in np.arange(-fpb, fpb + 1.0).tolist():
        z = a * 32.0 / fpb
        window.append(math.exp(-0.5 * (z * z)))
    n = onsets.size
    half = fpb
    out = np.zeros(n, dtype=np.float64)
    for k, w in enumerate(window):
        # out[i] += w * onsets[i + half - k] for 1 <= i + half - k <= n - 1
        lo = max(0, k - half + 1)
        hi = min(n - 1, n - 1 + k - half)
        if lo <= hi:
            out[lo : hi + 1] += w * onsets[lo + half - k : hi + half - k + 1]
    return out


def _beat_track_dp(
    localscore: np.ndarray, fpb: int, tightness: float, *, free_start: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative score and best predecessor of each frame; -1 before the first strong frame.

    A predecessor lies ``d`` frames back, ``round(fpb / 2) <= d <= 2 fpb``; the best is the
    nearest of the highest-scoring. Frames are processed in blocks shorter than the smallest
    ``d``, whose predecessors are all known. With ``free_start`` a frame whose best
    predecessor scores below zero has none (the scores then never fall below zero, so this
    happens only where no predecessor lies a whole period back: the first period).
    """
    n = localscore.size
    d_min = max(1, int(np.round(fpb / 2)))
    d = np.arange(d_min, 2 * fpb + 1)
    log_fpb = math.log(fpb)
    dev = [math.log(v) - log_fpb for v in d.tolist()]
    penalty = np.array([tightness * (z * z) for z in dev])
    cumscore = np.empty(n, dtype=np.float64)
    backlink = np.full(n, -1, dtype=np.int64)
    for start in range(0, n, d_min):
        i = np.arange(start, min(start + d_min, n))
        loc = i[:, np.newaxis] - d
        valid = loc >= 0
        score = np.where(valid, cumscore[np.maximum(loc, 0)] - penalty, -np.inf)
        best = np.argmax(score, axis=1)  # ascending d: the nearest predecessor wins ties
        rows = np.arange(i.size)
        found = valid[rows, best]
        if free_start:
            found &= score[rows, best] >= 0
        cumscore[i] = np.where(found, localscore[i] + score[rows, best], localscore[i])
        backlink[i] = np.where(found, loc[rows, best], -1)
    # no backlinks until the first frame whose local score reaches 1% of the maximum
    strong = np.flatnonzero(localscore >= 0.01 * localscore.max())
    first = strong[0] if strong.size else n
    backlink[:first] = -1
    return backlink, cumscore


def _last_beat(cumscore: np.ndarray, *, period: int = 1) -> int:
    """The last local maximum ``n`` of ``cumscore`` above half the median of all local maxima
    (librosa); with ``period > 1`` the highest local maximum of frames ``n - period + 1 .. n``
    (the earliest of equal ones)."""
    x = cumscore
    localmax = np.zeros(x.size, dtype=bool)
    localmax[1:-1] = (x[1:-1] > x[:-2]) & (x[1:-1] >= x[2:])
    localmax[-1] = x[-1] > x[-2]
    if not localmax.any():
        return x.size - 1
    threshold = 0.5 * median(x[localmax])
    good = np.flatnonzero(localmax & (x >= threshold))
    if not good.size:
        return x.size - 1
    n = int(good[-1])
    near = good[good > n - period]
    return int(near[np.argmax(x[near])])


def _trim_beats(localscore: np.ndarray, beats: np.ndarray, trim: bool) -> np.ndarray:
    """Drop leading and trailing frames whose local score is at most the threshold."""
    out = beats.copy()
    w = np.hanning(5)
    smooth = np.convolve(localscore[beats], w)[len(w) // 2 : len(localscore) + len(w) // 2]
    if trim:
        # sequential mean, as numba's
        threshold = 0.5 * (float(np.cumsum(smooth**2)[-1]) / smooth.size) ** 0.5
    else:
        threshold = 0.0
    weak = localscore <= threshold
    n = localscore.size
    head = int(np.argmin(weak)) if not weak.all() else n
    out[:head] = False
    tail = n - int(np.argmin(weak[::-1])) if not weak.all() else 0
    out[tail:] = False
    return out
