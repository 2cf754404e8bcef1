"""Beat Alignment Score (BAS) and the mean rhythm offset: how well motion beats sit on music beats.

Two forms are in use and they are not the same number:

- **FACT / AIST++** (Li et al., *AI Choreographer*, ICCV 2021): the mean over the **motion**
  beats of ``exp(-d^2 / (2 sigma^2))``, ``d`` the distance to the nearest music beat. It asks
  "does every movement accent land on a beat?" and ignores beats nobody danced to.
- **Bailando** (Siyao et al., CVPR 2022, their ``calc_ba_score``): the same kernel averaged over
  the **music** beats, ``d`` the distance to the nearest motion beat. It asks "is every beat
  danced?".

Both used ``sigma = 3`` frames at 60 fps (0.05 s) on motion capture. Here times are in seconds
and sigma is a parameter (:data:`DEFAULT_SIGMA_S`); :func:`beat_alignment_score_frames` takes
frame indices, a frame rate and sigma in frames, for the published settings.
"""

from __future__ import annotations

import numpy as np

from mudar.errors import ParameterError
from mudar.methods import DEFAULT_SIGMA_S

# DEFAULT_SIGMA_S, mudar's kernel width and why 0.1 s: mudar.methods (the command line's)

AIST_SIGMA_FRAMES = 3.0
"""sigma of the published FACT/AIST++ and Bailando scores, frames (at :data:`AIST_FPS`)."""

AIST_FPS = 60.0
"""Frame rate of AIST++ motion, frames per second."""

FORMS = ("motion", "music")
"""What a BAS averages over: ``motion`` beats (FACT/AIST++) or ``music`` beats (Bailando)."""


def nearest_distances(query_s, reference_s) -> np.ndarray:
    """Distance from each query time to the nearest reference time.

    Parameters
    ----------
    query_s, reference_s : array-like, shape (n,), (m,)
        Times in seconds (any order).

    Returns
    -------
    np.ndarray, float64, shape (n,)
        Seconds; ``inf`` everywhere when ``reference_s`` is empty.

    Raises
    ------
    ParameterError
        Times that are not 1-D finite numbers.
    """
    q = _times(query_s, "query_s")
    r = np.sort(_times(reference_s, "reference_s"))
    if len(r) == 0:
        return np.full(len(q), np.inf)
    i = np.clip(np.searchsorted(r, q), 1, max(len(r) - 1, 1))
    left = np.abs(q - r[i - 1])
    right = np.abs(r[np.minimum(i, len(r) - 1)] - q)
    return np.minimum(left, right)


def beat_alignment_score(
    motion_s, music_s, *, sigma_s: float = DEFAULT_SIGMA_S, over: str = "motion"
) -> float:
    """Beat Alignment Score of motion beats against music beats, times in seconds.

    ``BAS = mean_i exp(-d_i^2 / (2 sigma_s^2))`` where, for ``over="motion"`` (FACT/AIST++),
    ``i`` runs over the motion beats and ``d_i`` is the distance to the nearest music beat; for
    ``over="music"`` (Bailando) ``i`` runs over the music beats and ``d_i`` is the distance to
    the nearest motion beat.

    Parameters
    ----------
    motion_s : array-like, shape (n,)
        Motion (dance rhythm) beat times, seconds.
    music_s : array-like, shape (m,)
        Music beat (or onset) times, seconds.
    sigma_s : float
        Kernel width, seconds (see :data:`DEFAULT_SIGMA_S`).
    over : {"motion", "music"}
        The beats the mean runs over.

    Returns
    -------
    float
        In [0, 1]. NaN when the beats averaged over are empty (the score is undefined); 0 when
        only the other side is empty (nothing to align with).

    Raises
    ------
    ParameterError
        Non-positive or non-finite ``sigma_s``, unknown ``over``, times that are not 1-D finite
        numbers.
    """
    if not (np.isfinite(sigma_s) and sigma_s > 0):
        raise ParameterError(f"sigma_s must be a positive number of seconds, got {sigma_s}")
    if over not in FORMS:
        raise ParameterError(f"over must be one of {FORMS}, got {over!r}")
    motion = _times(motion_s, "motion_s")
    music = _times(music_s, "music_s")
    query, reference = (motion, music) if over == "motion" else (music, motion)
    if len(query) == 0:
        return float("nan")
    d = nearest_distances(query, reference)
    return float(np.mean(np.exp(-(d**2) / (2.0 * sigma_s**2))))


def beat_alignment_score_frames(
    motion_frames,
    music_frames,
    *,
    fps: float = AIST_FPS,
    sigma_frames: float = AIST_SIGMA_FRAMES,
    over: str = "motion",
) -> float:
    """:func:`beat_alignment_score` on frame indices, as the published code computes it.

    Parameters
    ----------
    motion_frames, music_frames : array-like, shape (n,), (m,)
        Beat positions in frames (may be fractional).
    fps : float
        Frames per second of both sequences (AIST++: 60).
    sigma_frames : float
        Kernel width in frames (AIST++ and Bailando: 3).
    over : {"motion", "music"}
        ``motion``: FACT/AIST++; ``music``: Bailando.

    Returns
    -------
    float
        As :func:`beat_alignment_score` with ``sigma_s = sigma_frames / fps``.

    Raises
    ------
    ParameterError
    """
    if not (np.isfinite(fps) and fps > 0):
        raise ParameterError(f"fps must be positive, got {fps}")
    return beat_alignment_score(
        _times(motion_frames, "motion_frames") / fps,
        _times(music_frames, "music_frames") / fps,
        sigma_s=sigma_frames / fps,
        over=over,
    )


def mean_offset(motion_s, music_s) -> float:
    """Mean distance from each motion beat to the nearest music beat, seconds.

    Parameters
    ----------
    motion_s, music_s : array-like, shape (n,), (m,)
        Times in seconds.

    Returns
    -------
    float
        NaN without motion beats, ``inf`` with motion beats but no music beats.

    Raises
    ------
    ParameterError
        Times that are not 1-D finite numbers.
    """
    motion = _times(motion_s, "motion_s")
    if len(motion) == 0:
        return float("nan")
    return float(np.mean(nearest_distances(motion, music_s)))


def _times(x, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 0 and a.size == 1:
        raise ParameterError(f"{name} must be a 1-D array of times, got a scalar")
    a = a.reshape(-1) if a.size == 0 else a
    if a.ndim != 1:
        raise ParameterError(f"{name} must be 1-D, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ParameterError(f"{name} holds NaN or infinite times")
    return a
