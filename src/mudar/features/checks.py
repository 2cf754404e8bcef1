"""The input checks of the music analysis (:mod:`~mudar.features.music`,
:mod:`~mudar.features.tempo`): one message per kind of bad input."""

from __future__ import annotations

import numpy as np

from mudar.errors import ParameterError


def check_audio(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1:
        raise ParameterError(f"audio must be mono, shape (n_samples,), got {y.shape}")
    if not np.issubdtype(y.dtype, np.number):
        raise ParameterError(f"audio must be numeric, got dtype {y.dtype}")
    y = y.astype(np.float32, copy=False)
    if not all_finite(y):
        raise ParameterError("audio holds non-finite samples")
    return y


def all_finite(x: np.ndarray, *, block: int = 1 << 20) -> bool:
    """``np.all(np.isfinite(x))`` of a 1-D array, a block at a time (no mask as long as ``x``)."""
    return all(np.isfinite(x[s : s + block]).all() for s in range(0, x.size, block))


def check_envelope(envelope: np.ndarray) -> np.ndarray:
    envelope = np.asarray(envelope, dtype=np.float32)
    if envelope.ndim != 1:
        raise ParameterError(f"envelope must have shape (m,), got {envelope.shape}")
    return envelope


def check_rate(*, sr: int, hop_length: int) -> None:
    if not (sr > 0 and hop_length > 0):
        raise ParameterError(f"sr and hop_length must be positive, got {sr}, {hop_length}")
