"""Import-light numpy versions of the librosa 0.11 routines behind the rhythm features.

``import librosa.onset`` / ``librosa.beat`` / ``librosa.feature`` takes seconds in a fresh
process (numba compiles its kernels at import, and scipy.signal and scipy.stats come along),
while the computation on a minute of audio takes a fraction of a second. These functions repeat
librosa's arithmetic step by step, in the same order and precision, so that they return the same
numbers (bit for bit on real music, from the STFT to the beat tracker's cumulative score) and the
same peak and beat frames; ``tests/features/test_dsp.py`` holds them to librosa. Only numpy
is imported.

Each function names the librosa routine it follows. Frames are columns: frame ``j`` of a
centred analysis is centred at sample ``j * hop_length``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from mudar.errors import ParameterError

_PAD_MODES = ("constant", "reflect", "edge", "symmetric")
_BLOCK = 1024
"""Frames per FFT batch: bounds the float64 temporaries of long clips to a few MB."""
_FLUX_BLOCK = 8192
"""Frames per block of the onset flux (:func:`onset_strength`)."""


def hann_window(n: int) -> np.ndarray:
    """Periodic Hann window, as ``scipy.signal.get_window("hann", n, fftbins=True)``.

    Parameters
    ----------
    n : int
        Length, samples, ``>= 1``.

    Returns
    -------
    np.ndarray, float64, shape (n,)

    Raises
    ------
    ParameterError
        If ``n < 1``.
    """
    return _periodic_cosine(n, 0.5)


def hamming_window(n: int) -> np.ndarray:
    """Periodic Hamming window, as ``scipy.signal.get_window("hamming", n, fftbins=True)``;
    parameters, returns and raises as :func:`hann_window`."""
    return _periodic_cosine(n, 0.54)


def _periodic_cosine(n: int, a0: float) -> np.ndarray:
    """``a0 + (1 - a0) cos`` on ``n + 1`` points over [-pi, pi], the last dropped: scipy's
    ``general_hamming(a0)`` with ``fftbins=True`` (Hann is ``a0 = 0.5``)."""
    if n < 1:
        raise ParameterError(f"window length must be >= 1, got {n}")
    if n == 1:
        return np.ones(n, dtype=np.float64)
    fac = np.linspace(-np.pi, np.pi, n + 1, dtype=np.float64)
    return (a0 + (1.0 - a0) * np.cos(fac))[:-1]


WINDOWS = {"hann": hann_window, "hamming": hamming_window}
"""STFT windows by name: ``hann`` (librosa's default) and ``hamming`` (MuDaR's Eq. 1)."""


def stft_power(
    y: np.ndarray,
    *,
    n_fft: int,
    hop_length: int,
    window: str | np.ndarray = "hann",
    pad_mode: str = "constant",
) -> np.ndarray:
    """Power spectrogram ``|STFT|**2`` with centred frames (``librosa.stft(center=True)``).

    Parameters
    ----------
    y : np.ndarray, shape (n_samples,)
        Mono audio; float32 gives float32 output, as in librosa (complex64 STFT).
    n_fft : int
        FFT size and window length, samples.
    hop_length : int
        Hop between frames, samples.
    window : {"hann", "hamming"} or np.ndarray, shape (n_fft,)
        Analysis window: a name of :data:`WINDOWS` (periodic, as scipy's ``get_window(name,
        n_fft, fftbins=True)``) or the samples.
    pad_mode : {"constant", "reflect", "edge", "symmetric"}
        How the edges are padded by ``n_fft // 2`` samples; librosa's default is
        ``"constant"`` (zeros).

    Returns
    -------
    np.ndarray, shape (1 + n_fft // 2, 1 + (n_samples + 2 * (n_fft // 2) - n_fft) // hop_length)
        Power, float32 for float32 input (float64 otherwise).

    Raises
    ------
    ParameterError
        If ``y`` is not 1-D, a size is not positive, the window or ``pad_mode`` is not
        supported, or ``y`` is empty with a pad mode that needs samples.
    """
    # the blocks of stft_power_blocks, gathered as rows and transposed at the end: Fortran
    # order like librosa's STFT matrix, so that BLAS sums a mel product in the same order
    power = None
    for s, block in stft_power_blocks(
        y, n_fft=n_fft, hop_length=hop_length, window=window, pad_mode=pad_mode
    ):
        if power is None:  # y is checked by now
            n_frames = 1 + (len(y) + 2 * (n_fft // 2) - n_fft) // hop_length
            power = np.empty((n_frames, block.shape[0]), dtype=block.dtype)
        power[s : s + block.shape[1]] = block.T
    return power.T


def _stft_args(
    y: np.ndarray, *, n_fft: int, hop_length: int, window: str | np.ndarray, pad_mode: str
) -> tuple[np.ndarray, np.ndarray]:
    """``y`` as an array and the window's samples, the arguments of :func:`stft_power` and
    :func:`stft_power_blocks` checked (raises as they say)."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ParameterError(f"y must have shape (n_samples,), got {y.shape}")
    if n_fft < 1 or hop_length < 1:
        raise ParameterError(f"n_fft and hop_length must be positive, got {n_fft}, {hop_length}")
    if pad_mode not in _PAD_MODES:
        raise ParameterError(f"pad_mode must be one of {_PAD_MODES}, got {pad_mode!r}")
    if y.size == 0 and pad_mode != "constant":
        raise ParameterError(f"pad_mode={pad_mode!r} needs at least one sample")
    return y, _analysis_window(window, n_fft)


def _analysis_window(window: str | np.ndarray, n_fft: int) -> np.ndarray:
    """The window samples of :func:`stft_power`'s ``window`` argument."""
    if isinstance(window, str):
        if window not in WINDOWS:
            raise ParameterError(f"window must be one of {tuple(WINDOWS)}, got {window!r}")
        return WINDOWS[window](n_fft)
    win = np.asarray(window, dtype=np.float64)
    if win.shape != (n_fft,):
        raise ParameterError(f"window must have shape ({n_fft},), got {win.shape}")
    return win


def stft_power_blocks(
    y: np.ndarray,
    *,
    n_fft: int,
    hop_length: int,
    window: str | np.ndarray = "hann",
    pad_mode: str = "constant",
) -> Iterator[tuple[int, np.ndarray]]:
    """:func:`stft_power`, a block of frames at a time, so that a long signal never holds its
    whole spectrogram (an hour at 64 frames/s and ``n_fft=1024`` is 2 GB in float32).

    Yields
    ------
    start : int
        Index of the block's first frame.
    power : np.ndarray, shape (1 + n_fft // 2, b)
        Columns ``start .. start + b - 1`` of :func:`stft_power`'s result, equal to them
        (Fortran order, as there).

    Raises
    ------
    ParameterError
        As :func:`stft_power`.
    """
    y, win = _stft_args(y, n_fft=n_fft, hop_length=hop_length, window=window, pad_mode=pad_mode)
    real = np.float32 if y.dtype == np.float32 else np.float64
    y = y.astype(real, copy=False)
    # the padded signal piece by piece: a whole padded copy of an hour would be 230 MB
    p = n_fft // 2
    head, tail = _centred_pads(y, n_fft=n_fft, hop_length=hop_length, pad_mode=pad_mode)
    n_frames = 1 + (y.size + 2 * p - n_fft) // hop_length
    if y.size + 2 * p < n_fft:
        raise ParameterError(f"n_fft={n_fft} is too large for {y.size} samples")
    for s in range(0, n_frames, _BLOCK):
        e = min(s + _BLOCK, n_frames)
        a, b = s * hop_length, (e - 1) * hop_length + n_fft  # in the padded signal
        piece = np.concatenate(
            [
                head[min(a, p) : min(b, p)],
                y[max(a - p, 0) : max(b - p, 0)],
                tail[max(a - p - y.size, 0) : max(b - p - y.size, 0)],
            ]
        )
        frames = sliding_window_view(piece, n_fft)[::hop_length]
        yield s, _power_rows(frames, win, real).T


def _power_rows(frames: np.ndarray, win: np.ndarray, real: type) -> np.ndarray:
    """``|rfft(frame * win)|**2`` of each row, shape (b, 1 + n_fft // 2)."""
    # librosa windows in float64 (scipy's window) and stores complex64 for float32 audio
    spec = np.fft.rfft(frames * win, axis=-1)
    if real is np.float32:
        spec = spec.astype(np.complex64)
    return (np.abs(spec) ** 2).astype(real, copy=False)


def _centred_pads(
    y: np.ndarray, *, n_fft: int, hop_length: int, pad_mode: str
) -> tuple[np.ndarray, np.ndarray]:
    """The ``n_fft // 2`` samples padded before and after ``y`` for centred frames."""
    p = n_fft // 2
    start_k = int(np.ceil(p / hop_length))
    tail_k = (y.size + p - n_fft) // hop_length + 1
    if tail_k <= start_k:
        padded = np.pad(y, (p, p), mode=pad_mode)
        return padded[:p], padded[padded.size - p :]
    # librosa pads the head and the tail separately, from the samples they reach; with
    # reflection that differs from padding the whole signal when the tail piece is short
    head = np.pad(y[: (start_k - 1) * hop_length - p + n_fft + 1], (p, 0), mode=pad_mode)
    if tail_k * hop_length - p + n_fft <= y.size + p:
        tail = np.pad(y[tail_k * hop_length - p :], (0, p), mode=pad_mode)
        tail = tail[tail.size - p :]
    else:  # no frame reaches the tail padding (possible when hop_length > n_fft / 2)
        tail = np.zeros(p, dtype=y.dtype)
    return head[:p], tail


def mel_filterbank(
    *, sr: float, n_fft: int, n_mels: int = 128, fmin: float = 0.0, fmax: float | None = None
) -> np.ndarray:
    """Slaney-style mel filterbank with Slaney (area) normalisation, as ``librosa.filters.mel``.

    Parameters
    ----------
    sr : float
        Sample rate, Hz.
    n_fft : int
        FFT size.
    n_mels : int
        Number of mel bands.
    fmin, fmax : float
        Lowest and highest frequency, Hz; ``fmax=None`` means ``sr / 2``.

    Returns
    -------
    np.ndarray, float32, shape (n_mels, 1 + n_fft // 2)
        Triangular filters, row ``i`` for band ``i``; ``weights @ power`` is the mel spectrogram.

    Raises
    ------
    ParameterError
        If ``sr``, ``n_fft`` or ``n_mels`` is not positive or ``fmin`` is negative.
    """
    if not (sr > 0 and n_fft > 0 and n_mels > 0 and fmin >= 0):
        raise ParameterError(
            f"sr, n_fft and n_mels must be positive and fmin >= 0, got {sr}, {n_fft}, "
            f"{n_mels}, {fmin}"
        )
    if fmax is None:
        fmax = float(sr) / 2
    fftfreqs = np.fft.rfftfreq(n=n_fft, d=1.0 / sr)
    mels = np.linspace(_hz_to_mel(fmin), _hz_to_mel(fmax), n_mels + 2)
    mel_f = _mel_to_hz(mels)
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fftfreqs)
    lower = -ramps[:-2] / fdiff[:-1, np.newaxis]
    upper = ramps[2:] / fdiff[1:, np.newaxis]
    weights = np.maximum(0, np.minimum(lower, upper)).astype(np.float32)
    enorm = 2.0 / (mel_f[2 : n_mels + 2] - mel_f[:n_mels])
    weights *= enorm[:, np.newaxis]
    return weights


# Slaney's mel scale: linear below 1 kHz, logarithmic above (librosa.hz_to_mel, htk=False)
_F_SP = 200.0 / 3
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOGSTEP = np.log(6.4) / 27.0


def _hz_to_mel(f: float) -> np.ndarray:
    f = np.asanyarray(f)
    mels = f / _F_SP
    if f >= _MIN_LOG_HZ:
        mels = _MIN_LOG_MEL + np.log(f / _MIN_LOG_HZ) / _LOGSTEP
    return mels


def _mel_to_hz(mels: np.ndarray) -> np.ndarray:
    freqs = _F_SP * mels
    log_t = mels >= _MIN_LOG_MEL
    freqs[log_t] = _MIN_LOG_HZ * np.exp(_LOGSTEP * (mels[log_t] - _MIN_LOG_MEL))
    return freqs


def power_to_db(
    S: np.ndarray,
    *,
    ref: float | Callable[[np.ndarray], float] = 1.0,
    amin: float = 1e-10,
    top_db: float | None = 80.0,
) -> np.ndarray:
    """Power to decibels, ``10 log10(S / ref)``, as ``librosa.power_to_db``.

    Parameters
    ----------
    S : np.ndarray, shape (...)
        Power, ``>= 0``.
    ref : float or callable
        Reference power, or a function of ``S`` giving it (``np.max``: 0 dB at the loudest bin).
    amin : float
        Floor of ``S`` and ``ref`` before the logarithm.
    top_db : float, optional
        Dynamic range: values below ``max - top_db`` are raised to it; None keeps all.

    Returns
    -------
    np.ndarray, shape as ``S``
        Decibels, in ``S``'s float precision.

    Raises
    ------
    ParameterError
        If ``amin <= 0`` or ``top_db < 0``.
    """
    S = np.asarray(S)
    if amin <= 0:
        raise ParameterError(f"amin must be positive, got {amin}")
    if top_db is not None and top_db < 0:
        raise ParameterError(f"top_db must be >= 0, got {top_db}")
    ref_value = ref(S) if callable(ref) else np.abs(ref)
    log_spec = 10.0 * np.log10(np.maximum(amin, S))
    log_spec -= 10.0 * np.log10(np.maximum(amin, ref_value))
    if top_db is not None:
        log_spec = np.maximum(log_spec, log_spec.max() - top_db)
    return log_spec


def onset_strength(
    S: np.ndarray,
    *,
    n_fft: int,
    hop_length: int,
    lag: int = 1,
    max_size: int = 1,
    center: bool = True,
) -> np.ndarray:
    """Spectral-flux onset envelope with a maximum filter over frequency (SuperFlux).

    ``mean_f max(0, S[f, t] - max(S[f - a : f + b + 1, t - lag]))``, shifted right by ``lag``
    frames (and by ``n_fft // (2 * hop_length)`` more when ``center``), as
    ``librosa.onset.onset_strength(S=S, lag=lag, max_size=max_size, center=center)``.

    Parameters
    ----------
    S : np.ndarray, shape (n_bands, m)
        Log-power spectrogram.
    n_fft : int
        STFT size of ``S``, samples (only used when ``center``).
    hop_length : int
        Hop of ``S``, samples (only used when ``center``).
    lag : int
        Difference lag, frames.
    max_size : int
        Width of the maximum filter over bands (``a = max_size // 2`` below, ``b`` above;
        scipy's ``maximum_filter1d``); 1 disables it.
    center : bool
        Shift the envelope to compensate for centred STFT frames.

    Returns
    -------
    np.ndarray, shape (m,)
        Onset strength ``>= 0``, in ``S``'s float precision; the first
        ``lag (+ n_fft // (2 * hop_length))`` frames are 0.

    Raises
    ------
    ParameterError
        If ``S`` is not 2-D or a setting is not positive.
    """
    S = np.asarray(S)
    if S.ndim != 2:
        raise ParameterError(f"S must have shape (n_bands, m), got {S.shape}")
    if lag < 1 or max_size < 1 or n_fft < 1 or hop_length < 1:
        raise ParameterError(
            f"lag, max_size, n_fft and hop_length must be >= 1, got {lag}, {max_size}, "
            f"{n_fft}, {hop_length}"
        )
    # over blocks of frames: the flux of an hour would be three more copies of the spectrogram
    env = np.empty(max(S.shape[1] - lag, 0), dtype=np.result_type(S.dtype, np.float32))
    for s, e in even_blocks(env.size, _FLUX_BLOCK):
        prev = S[:, s:e]
        ref = prev if max_size == 1 else _max_filter_bands(prev, max_size)
        env[s:e] = np.mean(np.maximum(0.0, S[:, s + lag : e + lag] - ref), axis=0)
    pad_width = lag + (n_fft // (2 * hop_length) if center else 0)
    env = np.pad(env, (pad_width, 0), mode="constant")
    return env[: S.shape[1]] if center else env


def even_blocks(n: int, size: int) -> list[tuple[int, int]]:
    """``[(start, stop), ...]`` covering ``range(n)`` in blocks of ``size`` to ``2 * size``
    items (one block when ``n < 2 * size``): no short last block, whose reductions numpy would
    order differently (a block of one column is summed pairwise, not row after row)."""
    k = max(1, n // size)
    edges = [round(i * n / k) for i in range(k + 1)]
    return [(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]


def _max_filter_bands(S: np.ndarray, size: int) -> np.ndarray:
    """``scipy.ndimage.maximum_filter1d(S, size, axis=0)`` (mode "reflect")."""
    below = size // 2
    above = size - below - 1
    n = S.shape[0]
    # scipy's "reflect" is numpy's "symmetric"; a max over a window that runs past the edge
    # sees only values inside it, but a window longer than the array needs the wrap-around
    padded = np.pad(S, ((below, above), (0, 0)), mode="symmetric")
    out = padded[:n].copy()
    for k in range(1, size):
        np.maximum(out, padded[k : k + n], out=out)
    return out


def peak_pick(
    x: np.ndarray,
    *,
    pre_max: int,
    post_max: int,
    pre_avg: int,
    post_avg: int,
    delta: float,
    wait: int,
) -> np.ndarray:
    """Peaks of a 1-D signal (Böck et al. 2012), as ``librosa.util.peak_pick``.

    Frame ``n`` is a peak if ``x[n] == max(x[n - pre_max : n + post_max])``,
    ``x[n] >= mean(x[n - pre_avg : n + post_avg]) + delta`` (windows clipped at the edges),
    and it comes more than ``wait`` frames after the previous peak (picked greedily).
    The mean is summed in order in ``x``'s precision and ``delta`` rounded to float32, as in
    librosa's numba kernel, so that ties are decided the same way.

    Parameters
    ----------
    x : np.ndarray, float32 or float64, shape (m,)
        Signal.
    pre_max, post_max, pre_avg, post_avg : int
        Window extents, frames; ``post_max`` and ``post_avg`` include frame ``n`` (``>= 1``).
    delta : float
        Threshold above the local mean.
    wait : int
        Frames to skip after a peak.

    Returns
    -------
    np.ndarray, int64, shape (k,)
        Peak frames, increasing.

    Raises
    ------
    ParameterError
        If ``x`` is not 1-D or a setting is out of range.
    """
    x = np.asarray(x)
    if x.ndim != 1:
        raise ParameterError(f"x must have shape (m,), got {x.shape}")
    if min(pre_max, pre_avg, wait, delta) < 0 or post_max < 1 or post_avg < 1:
        raise ParameterError(
            "pre_max, pre_avg, wait and delta must be >= 0 and post_max, post_avg >= 1, got "
            f"{pre_max}, {pre_avg}, {wait}, {delta}, {post_max}, {post_avg}"
        )
    pre_max, post_max, pre_avg, post_avg, wait = (
        int(np.ceil(v)) for v in (pre_max, post_max, pre_avg, post_avg, wait)
    )
    if x.dtype != np.float32:
        x = x.astype(np.float64)
    m = x.size
    if m == 0:
        return np.zeros(0, dtype=np.int64)
    is_max = x == _window_reduce(x, pre_max, post_max, np.maximum, -np.inf)
    # sum each window in order, starting from 0, in x's precision (zeros pad the edges and
    # add nothing), then the mean as numba takes it: float64 division, cast back to x.dtype
    total = _window_reduce(x, pre_avg, post_avg, np.add, 0.0)
    n = np.arange(m)
    count = np.minimum(n + post_avg, m) - np.maximum(0, n - pre_avg)
    mean = (total.astype(np.float64) / count).astype(x.dtype)
    thresh = mean + x.dtype.type(np.float32(delta))
    candidates = np.flatnonzero(is_max & (x >= thresh))
    peaks = []
    free = 0
    for c in candidates.tolist():
        if c >= free:
            peaks.append(c)
            free = c + wait + 1
    return np.asarray(peaks, dtype=np.int64)


def _window_reduce(x: np.ndarray, pre: int, post: int, op: np.ufunc, fill: float) -> np.ndarray:
    """``op`` folded in order over ``x[n - pre : n + post]`` for every ``n``, shape (m,)."""
    m = x.size
    padded = np.concatenate([np.full(pre, fill, x.dtype), x, np.full(post, fill, x.dtype)])
    out = np.full(m, fill, x.dtype)
    for k in range(pre + post):
        op(out, padded[k : k + m], out=out)
    return out


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
    backlink, cumscore = _beat_track_dp(localscore, int(fpb), float(np.float32(tightness)))
    beats = np.zeros(env.size, dtype=bool)
    n = _last_beat(cumscore)
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
    localscore: np.ndarray, fpb: int, tightness: float
) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative score and best predecessor of each frame; -1 before the first strong frame.

    A predecessor lies ``d`` frames back, ``round(fpb / 2) <= d <= 2 fpb``; the best is the
    nearest of the highest-scoring. Frames are processed in blocks shorter than the smallest
    ``d``, whose predecessors are all known.
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
        cumscore[i] = np.where(found, localscore[i] + score[rows, best], localscore[i])
        backlink[i] = np.where(found, loc[rows, best], -1)
    # no backlinks until the first frame whose local score reaches 1% of the maximum
    strong = np.flatnonzero(localscore >= 0.01 * localscore.max())
    first = strong[0] if strong.size else n
    backlink[:first] = -1
    return backlink, cumscore


def _last_beat(cumscore: np.ndarray) -> int:
    """The last local maximum of ``cumscore`` above half the median of all local maxima."""
    x = cumscore
    localmax = np.zeros(x.size, dtype=bool)
    localmax[1:-1] = (x[1:-1] > x[:-2]) & (x[1:-1] >= x[2:])
    localmax[-1] = x[-1] > x[-2]
    if not localmax.any():
        return x.size - 1
    threshold = 0.5 * np.median(x[localmax])
    good = np.flatnonzero(localmax & (x >= threshold))
    return int(good[-1]) if good.size else x.size - 1


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
