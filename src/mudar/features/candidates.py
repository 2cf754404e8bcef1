"""What the learned timing model reads: the motion at its own rate, and the moments it may pick.

The learning-free rules already put their points at the right instant: a minimum of the motion
energy (:func:`mudar.features.energy.energy_minima`) is timed below the sample, so a model that
only has to say *which* of them are the dancer's accents keeps that timing. Its inputs
(:func:`timing_inputs`):

- a sequence at the energy's own rate (the clock's ``fps`` times its ``steps`` samples a frame,
  32 a second by default) of a few channels: the log motion energy, the same smoothed as the
  rule smooths it, and, where a pose track is there, the body's joint speed and whether it is
  known;
- the candidates: the minima of the smoothed energy (the ``motion-energy`` method's times),
  their place on the sequence (a fractional sample), their depth and the gaps to their
  neighbours.

Numbers in, numbers out; no torch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mudar.errors import ParameterError

__all__ = [
    "CHANNELS",
    "JOINT_CHANNELS",
    "N_MOTION",
    "N_SCALARS",
    "TimingInputs",
    "candidate_labels",
    "mirrored",
    "timing_inputs",
]

JOINT_CHANNELS = tuple(f"log_joint_speed_{k}" for k in range(17))
CHANNELS = ("log_energy", "log_energy_smooth", "log_pose_speed", "pose_known", *JOINT_CHANNELS)
"""Channels of :attr:`TimingInputs.sequence`, in order: the motion energy (raw and smoothed),
the pose track's mean joint speed and whether it is known, and each COCO-17 joint's own speed
(relative to the hips, in torso lengths a second, log-scaled; 0 where unknown)."""
N_MOTION = 2
"""The first channels, the motion energy's (the rest are the pose track's)."""

N_SCALARS = 4
"""Per-candidate numbers of :attr:`TimingInputs.scalars`: depth, log energy at the minimum,
gap to the previous and to the next candidate (s, at most 2)."""

_MAX_GAP_S = 2.0


@dataclass
class TimingInputs:
    """The timing model's inputs for one video (or one clip of it).

    Attributes
    ----------
    sequence : np.ndarray, float32, shape (N, len(CHANNELS))
        One row per energy sample, ``rate`` a second; sample ``j`` at
        ``(j + 0.5) / rate - 0.5 / fps`` seconds.
    rate : float
        Samples a second.
    offset_s : float
        Time of sample 0, seconds.
    times : np.ndarray, float64, shape (k,)
        The candidates' times, seconds, increasing.
    positions : np.ndarray, float32, shape (k,)
        The candidates' places on the sequence, fractional samples.
    scalars : np.ndarray, float32, shape (k, N_SCALARS)
    """

    sequence: np.ndarray
    rate: float
    offset_s: float
    times: np.ndarray
    positions: np.ndarray
    scalars: np.ndarray

    def clip(self, start: int, length: int) -> TimingInputs:
        """Samples ``start .. start + length`` and the candidates within them (times unchanged)."""
        keep = (self.positions >= start) & (self.positions <= start + length - 1)
        return TimingInputs(
            self.sequence[start : start + length],
            self.rate,
            self.offset_s + start / self.rate,
            self.times[keep],
            self.positions[keep] - start,
            self.scalars[keep],
        )


def mirrored(sequence: np.ndarray) -> np.ndarray:
    """A :attr:`TimingInputs.sequence` (``(..., N, len(CHANNELS))``) with the speeds of each
    left/right pair of joints swapped: the same dance with its sides named the other way round
    (the motion energy and the mean joint speed do not change)."""
    from mudar.features.geometry import mirror_permutation

    first = CHANNELS.index(JOINT_CHANNELS[0])  # the joints' channels are the last
    return sequence[..., np.r_[np.arange(first), first + mirror_permutation("coco17", 17)]]


def _log_norm(x: np.ndarray) -> np.ndarray:
    ok = np.isfinite(x)
    if not ok.any():
        return np.zeros_like(x)
    med = float(np.median(x[ok]))
    scale = med if med > 0 else float(np.max(x[ok])) or 1.0
    return np.where(ok, np.log1p(np.clip(x, 0, None) / scale), 0.0)


def timing_inputs(
    energy: np.ndarray,
    *,
    fps: float,
    pose_times: np.ndarray | None = None,
    pose_speed: np.ndarray | None = None,
    pose_keypoints: np.ndarray | None = None,
    pose_confidence: np.ndarray | None = None,
) -> TimingInputs:
    """The sequence and the candidates of one video.

    Parameters
    ----------
    energy : np.ndarray, shape (T, steps)
        The motion energy on the clock (:meth:`mudar.features.energy.MotionEnergy.on_clock`).
    fps : float
        The clock's frame rate.
    pose_times, pose_speed : np.ndarray, shape (P,), optional
        A pose track's row times (s) and its joint speed there
        (:func:`mudar.features.pose.joint_speed_curve`, NaN where unknown).
    pose_keypoints, pose_confidence : np.ndarray, shapes (P, 17, 2) and (P, 17), optional
        The track's keypoints (NaN where no body) and confidences, for the per-joint speeds.

    Returns
    -------
    TimingInputs

    Raises
    ------
    ParameterError
        A malformed energy, a bad ``fps`` or pose arrays of different lengths.
    """
    from scipy.signal import peak_prominences

    from mudar.features.energy import energy_minima
    from mudar.features.kinematic import BAILANDO_SIGMA_S, gaussian_smooth

    e = np.asarray(energy, np.float64)
    if e.ndim != 2 or e.shape[1] < 1:
        raise ParameterError(f"energy must be (T, steps), got {e.shape}")
    if not (np.isfinite(fps) and fps > 0):
        raise ParameterError(f"fps must be positive, got {fps}")
    steps = e.shape[1]
    rate = fps * steps
    offset = 0.5 / rate - 0.5 / fps
    curve = e.ravel()
    n = len(curve)
    t = offset + np.arange(n) / rate
    seq = np.zeros((n, len(CHANNELS)), np.float32)
    seq[:, 0] = _log_norm(curve)
    smooth = gaussian_smooth(curve, sigma=BAILANDO_SIGMA_S * rate) if n >= 3 else curve
    seq[:, 1] = _log_norm(smooth)
    if pose_times is not None and pose_speed is not None:
        pt, ps = np.asarray(pose_times, np.float64), np.asarray(pose_speed, np.float64)
        if pt.shape != ps.shape:
            raise ParameterError(f"pose times {pt.shape} and speed {ps.shape} differ in length")
        ok = np.isfinite(ps)
        if ok.sum() >= 2:
            s = np.interp(t, pt[ok], ps[ok], left=np.nan, right=np.nan)
            nearest = np.clip(np.searchsorted(pt, t), 0, len(pt) - 1)
            s[~ok[nearest]] = np.nan
            seq[:, 2] = _log_norm(s)
            seq[:, 3] = np.isfinite(s)
            if pose_keypoints is not None and pose_confidence is not None:
                seq[:, 4:] = _joint_speeds(pt, pose_keypoints, pose_confidence, t, seq[:, 3] > 0)
    times = energy_minima(e.astype(np.float32), fps=fps) if n >= 3 else np.zeros(0)
    pos = (times - offset) * rate
    k = np.clip(np.round(pos).astype(int), 0, max(n - 1, 0))
    scalars = np.zeros((len(times), N_SCALARS), np.float32)
    if len(times):
        ls = seq[:, 1].astype(np.float64)
        scalars[:, 0] = peak_prominences(-ls, k)[0]
        scalars[:, 1] = ls[k]
        gaps = np.diff(times)
        scalars[:, 2] = np.minimum(np.r_[_MAX_GAP_S, gaps], _MAX_GAP_S)
        scalars[:, 3] = np.minimum(np.r_[gaps, _MAX_GAP_S], _MAX_GAP_S)
    return TimingInputs(seq, float(rate), float(offset), times, pos.astype(np.float32), scalars)


def _joint_speeds(
    pt: np.ndarray, kp: np.ndarray, conf: np.ndarray, t: np.ndarray, known: np.ndarray
) -> np.ndarray:
    """(len(t), 17) log speed of each joint relative to the hips, in torso lengths a second,
    at times ``t``; 0 where unknown or seen with a confidence below 0.3."""
    from mudar.features.kinematic import BAILANDO_SIGMA_S, gaussian_smooth
    from mudar.features.pose import joint_speeds

    c = np.asarray(conf, np.float64)
    out = np.zeros((len(t), 17), np.float32)
    inner = joint_speeds(kp, pt) if len(pt) >= 3 else None
    if inner is None:
        return out
    v = np.full((len(pt), 17), np.nan)
    v[1:-1] = inner
    v[1:-1][np.minimum(c[2:], c[:-2]) < 0.3] = np.nan
    rate = 1.0 / float(np.median(np.diff(pt)))
    for j in range(17):
        ok = np.isfinite(v[:, j])
        if ok.sum() < 3:
            continue
        filled = np.interp(np.arange(len(pt)), np.flatnonzero(ok), v[ok, j])
        sm = gaussian_smooth(filled, sigma=BAILANDO_SIGMA_S * rate)
        at = np.interp(t, pt, sm)
        at[~known] = np.nan
        out[:, j] = _log_norm(at)
    return out


def candidate_labels(
    times: np.ndarray, targets: np.ndarray, *, window_s: float = 0.07
) -> np.ndarray:
    """1 for each candidate within ``window_s`` of a target time (a beat or an onset), else 0.

    Parameters
    ----------
    times : np.ndarray, shape (k,)
        Candidate times, seconds.
    targets : np.ndarray, shape (m,)
        Target times, seconds.
    window_s : float
        The F-measure's tolerance (70 ms).

    Returns
    -------
    np.ndarray, float32, shape (k,)
    """
    times = np.asarray(times, np.float64)
    targets = np.sort(np.asarray(targets, np.float64))
    if len(times) == 0 or len(targets) == 0:
        return np.zeros(len(times), np.float32)
    i = np.clip(np.searchsorted(targets, times), 1, len(targets) - 1) if len(targets) > 1 else 0
    if len(targets) > 1:
        d = np.minimum(np.abs(targets[i] - times), np.abs(targets[i - 1] - times))
    else:
        d = np.abs(targets[0] - times)
    return (d <= window_s).astype(np.float32)
