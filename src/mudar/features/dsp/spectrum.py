"""The spectrum: analysis windows, the STFT power, the mel filterbank and decibels (librosa's
``stft``, ``filters.mel`` and ``power_to_db``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from mudar.errors import ParameterError

_PAD_MODES = ("constant", "reflect", "edge", "symmetric")
_BLOCK = 1024
"""Frames per FFT batch: bounds the float64 temporaries of long clips to a few MB."""


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
