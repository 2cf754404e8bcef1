"""Onsets: the spectral flux envelope and its peaks (librosa's ``onset.onset_strength`` and
``util.peak_pick``)."""

from __future__ import annotations

import numpy as np

from mudar.errors import ParameterError

_FLUX_BLOCK = 8192
"""Frames per block of the onset flux (:func:`onset_strength`)."""


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
