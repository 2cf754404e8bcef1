"""The directogram and its impact envelope: visual beats of Davis & Agrawala (SIGGRAPH 2018).

The directogram is to motion what the spectrogram is to sound: for each frame, the optical
flow's magnitudes summed by flow direction. It is the unnormalised HOOF (Eq. 4;
:func:`mudar.features.hoof.hoof`) under another name, so it is computed by the same code and
flow backends (:mod:`mudar.features.flow`; Davis & Agrawala used Farneback's flow, which is
``backend="farneback"`` here).

Visual beats are *impacts*: sudden decelerations, where the motion in some direction drops (a
foot lands, an arm stops). The impact envelope is the directogram's half-wave rectified
decrease between frames, summed over directions: the mirror image of the spectral flux, which
rectifies increases. (:func:`mudar.features.dance.hoof_flux` rectifies the increases of the
*normalised* HOOF: changes of direction whatever the speed.) Its peaks are the visual beats.

Frame alignment, as for the HOOF flux: row ``k`` of a directogram is the flow from frame
``k - 1`` into frame ``k`` (row 0, with no incoming flow, is zeros in a sequence), and the impact
at frame ``k`` compares the motion into frame ``k`` with the motion out of it, so a motion that
stops at frame ``k`` (arrives there and stays) peaks at ``k``.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from mudar.errors import ParameterError
from mudar.features.dance import _circular_smooth, pick_rhythm
from mudar.features.flow import FlowBackend
from mudar.features.hoof import hoof, hoof_sequence

__all__ = ["directogram", "directogram_rhythm", "directogram_sequence", "impact_envelope"]

SIGMA_DEG = 15.0
"""Default circular smoothing of the directogram over directions, degrees (Davis & Agrawala's
code smooths 5 of 128 bins, 14 degrees)."""


def directogram(flow: np.ndarray, *, bins: int = 32) -> np.ndarray:
    """Directogram of a sequence of flow fields: flow magnitude summed per direction.

    Parameters
    ----------
    flow : np.ndarray, shape (T, H, W, 2)
        ``(dx, dy)`` in pixels per frame, image coordinates (y down), as a flow backend gives.
    bins : int
        Direction bins; bin ``b`` is centred on ``2 pi b / bins`` radians counter-clockwise
        from rightward motion (up is ``+pi/2``), as the HOOF's.

    Returns
    -------
    np.ndarray, float32, shape (T, bins)
        Pixels per frame summed over the pixels of each bin; a row sums to the total flow
        magnitude of its field.

    Raises
    ------
    ParameterError
        If ``flow`` is not (T, H, W, 2) or ``bins < 2``.
    """
    flow = np.asarray(flow)
    if flow.ndim != 4 or flow.shape[-1] != 2:
        raise ParameterError(f"flow must have shape (T, H, W, 2), got {flow.shape}")
    if len(flow) == 0:
        return np.zeros((0, bins), np.float32)
    return np.stack([hoof(f, bins=bins) for f in flow]).astype(np.float32)


def directogram_sequence(
    frames: Iterable[np.ndarray],
    *,
    backend: str | FlowBackend = "dis",
    bins: int = 32,
    camera: str = "median",
    scale: float = 0.5,
) -> np.ndarray:
    """Directogram of a clip, streaming over its gray frames (flow computed on the way).

    The defaults are those of :func:`mudar.features.hoof.hoof_sequence`, so the directogram
    of a file is ``hoof * magnitude[:, None]`` of its :class:`~mudar.features.dance.DanceFeatures`;
    Davis & Agrawala's own setting is ``backend="farneback", camera="none"``.

    Parameters
    ----------
    frames : iterable of np.ndarray, uint8, shape (H, W)
        Gray frames on the model clock.
    backend, bins, camera, scale
        See :func:`mudar.features.hoof.hoof_sequence`.

    Returns
    -------
    np.ndarray, float32, shape (T, bins)
        Row 0 (no incoming flow) is zeros; input pixels per frame.

    Raises
    ------
    ParameterError
    """
    h, magnitude = hoof_sequence(frames, backend=backend, bins=bins, camera=camera, scale=scale)
    return (h * magnitude[:, None]).astype(np.float32)


def impact_envelope(directogram: np.ndarray, *, sigma_deg: float = SIGMA_DEG) -> np.ndarray:
    """Visual impact envelope: the deceleration of the directogram, summed over directions.

    ``impact[k] = sum_b max(D[k, b] - D[k + 1, b], 0)`` (the motion into frame ``k`` that does
    not go on out of it), divided by its 99th percentile over the sequence and clipped to
    [0, 1], so that one outlier (a cut) does not flatten the rest. The last frame (no outgoing
    flow) gets 0.

    Parameters
    ----------
    directogram : np.ndarray, shape (T, B)
        As from :func:`directogram` or :func:`directogram_sequence`; non-negative.
    sigma_deg : float
        Standard deviation of a circular Gaussian smoothing over directions first, degrees
        (0: none), so that motion turning by a bin or two reads as going on, not as a stop.

    Returns
    -------
    np.ndarray, float32, shape (T,)
        In [0, 1]; zeros where nothing slows down.

    Raises
    ------
    ParameterError
        If ``directogram`` is not 2-D, has negative or non-finite entries, or ``sigma_deg``
        is negative.
    """
    d = np.asarray(directogram, dtype=np.float64)
    if d.ndim != 2:
        raise ParameterError(f"directogram must be (T, B), got shape {d.shape}")
    if not np.all(np.isfinite(d)) or np.any(d < 0):
        raise ParameterError("directogram entries must be finite and >= 0")
    if sigma_deg < 0:
        raise ParameterError(f"sigma_deg must be >= 0, got {sigma_deg}")
    t = d.shape[0]
    env = np.zeros(t, dtype=np.float64)
    if t < 2:
        return env.astype(np.float32)
    if sigma_deg > 0:
        d = _circular_smooth(d, sigma_deg * d.shape[1] / 360.0)
    env[:-1] = np.maximum(d[:-1] - d[1:], 0.0).sum(axis=1)
    scale = float(np.percentile(env, 99))
    if scale <= 0:
        scale = float(env.max())
    if scale > 0:
        env = np.minimum(env / scale, 1.0)
    return env.astype(np.float32)


def directogram_rhythm(
    directogram: np.ndarray, *, fps: float, sigma_deg: float = SIGMA_DEG, **peaks
) -> tuple[np.ndarray, np.ndarray]:
    """Visual beats: the peaks of the impact envelope.

    Parameters
    ----------
    directogram : np.ndarray, shape (T, B)
    fps : float
        Frame rate of the directogram's rows, frames per second.
    sigma_deg : float
        See :func:`impact_envelope`.
    **peaks
        Options of :func:`mudar.features.dance.pick_rhythm` (its defaults otherwise: the
        peak picking is the same as the HOOF flux's, so the two compare by their envelopes).

    Returns
    -------
    frames : np.ndarray, int, shape (k,)
        Increasing frame indices of the visual beats.
    envelope : np.ndarray, float32, shape (T,)
        :func:`impact_envelope`.

    Raises
    ------
    ParameterError
    """
    envelope = impact_envelope(directogram, sigma_deg=sigma_deg)
    return pick_rhythm(envelope, fps=fps, **peaks), envelope
