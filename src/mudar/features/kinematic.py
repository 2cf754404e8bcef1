"""Kinematic features of 3-D keypoints: normalised pose, joint speed, kinematic beats and foot
contact (the geometry of a skeleton, resampling in time, mirror images and turns, is
:mod:`mudar.features.geometry`).

The keypoint modality of MotionBeat: where a motion-capture or pose-estimation skeleton is at
hand, the dance rhythm is read from the joints themselves instead of from optical flow. A
*kinematic beat* is a local minimum of the mean joint speed, the moment a movement stops or
turns back (AI Choreographer / AIST++ and Bailando compute their motion beats this way, for the
Beat Alignment Score of :mod:`mudar.eval.bas`).

Arrays are ``(T, J, 3)``: T frames at ``fps`` frames per second, J joints, coordinates in the
units of the source (centimetres for AIST++ and dwm). All functions are pure numpy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mudar.errors import ParameterError

__all__ = [
    "BAILANDO_SIGMA_S",
    "FOOT_JOINTS",
    "ROOT_JOINTS",
    "body_scale",
    "floor_height",
    "foot_contacts",
    "gaussian_smooth",
    "joint_speed",
    "kinematic_beats",
    "normalize_motion",
    "smooth_runs",
]

DEFAULT_FLOOR_WINDOW_S = 2.0
"""Window of the running floor estimate of :func:`floor_height`, seconds."""

BAILANDO_SIGMA_S = 5.0 / 60.0
"""Gaussian smoothing of the joint speed before its minima are taken, seconds: Bailando's
``gaussian_filter(speed, 5)`` on 60 fps AIST++ motion (0.083 s)."""

ROOT_JOINTS: dict[str, int | tuple[int, ...]] = {"dwm23": 2, "coco17": (11, 12)}
"""The root of each skeleton: a joint, or joints whose mean is the root.

``dwm23``: joint 2, the waist, where both legs (2-7, 2-16) and the spine (2-mid(3, 12)) meet.
``coco17``: the mid-point of the hips (11 left, 12 right).
"""

FOOT_JOINTS: dict[str, tuple[int, ...]] = {"dwm23": (11, 20), "coco17": (15, 16)}
"""One joint per foot, the one that touches the floor, for :func:`foot_contacts`.

``dwm23``: each leg is waist 2 - hip (7, 16) - knee (8, 17) - ankle (9, 18) - two foot joints
(10, 11) and (19, 20). Joints 11 and 20 are the toes: the lowest joints of the skeleton
(5th-percentile height 5-6 cm against 7 cm for 10 and 19 on DANCE_W_1), 10-12 cm below the
ankle and 15-18 cm ahead of 10 and 19 (the heels, 4-8 cm straight below the ankle). Ballroom
dancers rise onto the balls of the feet, so the toe stays on the floor when the heel lifts.
11 is on the side of arm 3-6, 20 on the side of arm 12-15.
``coco17``: the ankles (15 left, 16 right), COCO's lowest joints.
"""


def gaussian_smooth(
    x: np.ndarray, *, sigma: float, axis: int = 0, mode: str = "reflect"
) -> np.ndarray:
    """Gaussian smoothing along one axis.

    With ``mode="reflect"`` the same numbers as ``scipy.ndimage.gaussian_filter1d(x, sigma,
    axis, mode="reflect", truncate=4.0)``: the kernel reaches ``round(4 sigma)`` samples each
    side and the signal is extended by its mirror image (``d c b a | a b c d | d c b a``).
    ``mode="odd"`` extends it by its point reflection through the end sample (``2a - b``,
    ``2a - c`` ...), so that a trajectory keeps its velocity up to the ends instead of
    appearing to stop there (a straight line stays exactly straight).

    Parameters
    ----------
    x : np.ndarray
        Any shape; smoothed along ``axis``.
    sigma : float
        Standard deviation, samples (frames). 0 returns a float64 copy.
    axis : int
        The axis to smooth.
    mode : {"reflect", "odd"}
        The extension beyond the ends: mirror (for speeds, envelopes) or point reflection (for
        positions).

    Returns
    -------
    np.ndarray, float64, the shape of ``x``

    Raises
    ------
    ParameterError
        Negative or non-finite ``sigma``, unknown ``mode``.
    """
    if not (np.isfinite(sigma) and sigma >= 0):
        raise ParameterError(f"sigma must be a finite number >= 0 of samples, got {sigma}")
    if mode not in ("reflect", "odd"):
        raise ParameterError(f"mode must be 'reflect' or 'odd', got {mode!r}")
    x = np.asarray(x, dtype=np.float64)
    if sigma == 0 or x.shape[axis] == 0:
        return x.copy()
    radius = int(4.0 * sigma + 0.5)
    k = np.arange(-radius, radius + 1, dtype=np.float64)
    kernel = np.exp(-0.5 * (k / sigma) ** 2)
    kernel /= kernel.sum()
    x = np.moveaxis(x, axis, 0)
    n = x.shape[0]
    width = [(radius, radius)] + [(0, 0)] * (x.ndim - 1)
    if mode == "reflect" or n == 1:
        padded = np.pad(x, width, mode="symmetric")  # numpy's "symmetric" is scipy's "reflect"
    else:
        padded = np.pad(x, width, mode="reflect", reflect_type="odd")
    out = np.zeros_like(x)
    for i, w in enumerate(kernel):
        out += w * padded[i : i + n]
    return np.moveaxis(out, 0, axis)


def smooth_runs(x: np.ndarray, *, fps: float, sigma_s: float, median_s: float = 0.0) -> np.ndarray:
    """Smoothing over time of (T, ...) values within each run of finite rows (a gap ends a run:
    nothing is smoothed across it): a running median of ``median_s`` seconds (an odd number of
    rows, at least 3; none below), which takes out a row that jumps away and back (a pose
    estimator's one-frame slip), then a Gaussian of ``sigma_s`` seconds
    (``scipy.ndimage.gaussian_filter1d``, ``mode="nearest"``). float64."""
    from scipy.ndimage import gaussian_filter1d, median_filter

    out = np.array(x, dtype=np.float64)
    sigma, width = sigma_s * fps, int(round(median_s * fps)) | 1
    if (sigma <= 0 and width < 3) or len(out) == 0:
        return out
    ok = np.isfinite(out.reshape(len(out), -1)).all(axis=1)
    edges = np.flatnonzero(np.diff(np.r_[0, ok.astype(np.int8), 0]))
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        if b - a >= 3:
            if width >= 3:
                size = (width,) + (1,) * (out.ndim - 1)
                out[a:b] = median_filter(out[a:b], size=size, mode="nearest")
            if sigma > 0:
                out[a:b] = gaussian_filter1d(out[a:b], sigma, axis=0, mode="nearest")
    return out


def body_scale(joints: np.ndarray, *, root: int | Sequence[int] = 0) -> float:
    """The size of the body: the median over frames of the RMS distance of the joints to the root.

    A radius of gyration of the skeleton about its root. Unlike the height it does not depend
    on which way is up or on whether the dancer stands, crouches or lies; the median over
    frames makes it a property of the dancer, not of a pose. It is about 0.37 of the body
    height for a standing skeleton (dwm: 65-66 cm, the head about 175 cm above the toes).

    Parameters
    ----------
    joints : np.ndarray, shape (T, J, 3)
    root : int or sequence of int
        The root joint, or joints whose mean is the root (see :data:`ROOT_JOINTS`).

    Returns
    -------
    float
        In the units of ``joints``; > 0.

    Raises
    ------
    ParameterError
        Bad shapes or root, or a skeleton of zero size.
    """
    joints = _check_joints(joints)
    rel = joints - _root_position(joints, root)[:, None, :]
    radius = np.sqrt(np.mean(np.sum(rel**2, axis=-1), axis=1))  # (T,)
    scale = float(np.median(radius))
    if not scale > 0:
        raise ParameterError("the skeleton has zero size: all joints sit on the root")
    return scale


def normalize_motion(
    joints: np.ndarray,
    *,
    root: int | Sequence[int] = 0,
    up_axis: int = 1,
    keep_height: bool = False,
    fps: float | None = None,
    floor_window_s: float | None = DEFAULT_FLOOR_WINDOW_S,
) -> np.ndarray:
    """Root-relative, scale-normalised joint positions.

    Each frame is moved so that its root is at the origin (translation of the dancer across
    the floor removed), then every position is divided by :func:`body_scale` (the median RMS
    distance of the joints to the root), so that motions of dancers of different size, or in
    centimetres and metres, compare. The orientation is kept.

    Parameters
    ----------
    joints : np.ndarray, shape (T, J, 3)
        Positions, any unit.
    root : int or sequence of int
        The root joint, or joints whose mean is the root (see :data:`ROOT_JOINTS`).
    up_axis : int
        The vertical axis (0, 1 or 2), used only with ``keep_height``.
    keep_height : bool
        False: the root is at the origin in every frame. True: the root is moved to the origin
        only horizontally; vertically the positions are measured from the floor, so that the
        body's rise and fall, which marks the beat in many dances, stays in the normalised
        motion. The floor is the 5th percentile of the lowest joint's height within
        ``floor_window_s`` around each frame (see :func:`floor_height`).
    fps : float, optional
        Frames per second; needed with ``keep_height`` and a ``floor_window_s``.
    floor_window_s : float or None
        Window of the floor estimate, seconds; None: one floor for the whole clip.

    Returns
    -------
    np.ndarray, float64, shape (T, J, 3)
        Positions in body-scale units (dimensionless).

    Raises
    ------
    ParameterError
        Bad shapes, root or ``up_axis``, or ``keep_height`` with a window but no ``fps``.
    """
    joints = _check_joints(joints)
    _check_up_axis(up_axis)
    root_pos = _root_position(joints, root)  # (T, 3)
    offset = root_pos.copy()
    if keep_height:
        lowest = joints[:, :, up_axis].min(axis=1)
        offset[:, up_axis] = floor_height(lowest, fps=fps, window_s=floor_window_s)
    return (joints - offset[:, None, :]) / body_scale(joints, root=root)


def floor_height(
    height: np.ndarray,
    *,
    fps: float | None,
    window_s: float | None = DEFAULT_FLOOR_WINDOW_S,
    quantile: float = 0.05,
) -> np.ndarray:
    """The floor level under a foot (or under the lowest joint), per frame.

    The ``quantile`` of the height within ``window_s`` seconds centred on each frame (the
    window is cut at the ends of the clip). A running floor rather than one level for the whole
    clip, because motion capture drifts: on dwm the lowest joint rises from 5 cm to 43 cm over
    DANCE_W_1's 57 s (by 42, 11 and 27 cm on DANCE_W_10, C_2 and R_3), which would keep every
    foot "off the floor" in the second half. A centred window lags a steady drift by at most
    half its length times the rate (0.7 cm for 2 s at dwm's 0.7 cm/s). Within 2 s a dancing
    foot touches the floor at least once; a foot held up longer than the window is taken for
    the floor.

    Parameters
    ----------
    height : np.ndarray, shape (T,) or (T, n)
        Heights along the up axis, one column per foot.
    fps : float or None
        Frames per second (may be None when ``window_s`` is None).
    window_s : float or None
        Window length, seconds; None: the quantile over the whole clip.
    quantile : float
        In [0, 0.5).

    Returns
    -------
    np.ndarray, float64, the shape of ``height``

    Raises
    ------
    ParameterError
        Bad ``quantile``, ``window_s`` or ``fps``.
    """
    height = np.asarray(height, dtype=np.float64)
    if not 0 <= quantile < 0.5:
        raise ParameterError(f"quantile must be in [0, 0.5), got {quantile}")
    if height.shape[0] == 0:
        return height.copy()
    if window_s is None:
        return np.broadcast_to(np.quantile(height, quantile, axis=0), height.shape).copy()
    if fps is None:
        raise ParameterError("a floor window in seconds needs fps")
    _check_fps(fps)
    if not (np.isfinite(window_s) and window_s > 0):
        raise ParameterError(f"window_s must be positive seconds or None, got {window_s}")
    half = max(1, round(window_s * fps / 2))
    n = height.shape[0]
    out = np.empty_like(height)
    # windows in blocks, so that memory stays O(block * window) for long clips
    for a in range(0, n, 1024):
        b = min(n, a + 1024)
        lo, hi = max(0, a - half), min(n, b + half)
        seg = height[lo:hi]
        idx = np.arange(a, b)[:, None] + np.arange(-half, half + 1)[None, :]
        valid = (idx >= 0) & (idx < n)
        win = seg[np.clip(idx, 0, n - 1) - lo]  # (b - a, W[, n_feet])
        if win.ndim == 3:
            valid = valid[:, :, None]
        win = np.where(valid, win, np.nan)
        out[a:b] = np.nanquantile(win, quantile, axis=1)
    return out


def joint_speed(
    joints: np.ndarray,
    *,
    fps: float,
    sigma_s: float = BAILANDO_SIGMA_S,
    root: int | Sequence[int] | None = 0,
) -> np.ndarray:
    """Mean speed of the joints relative to the root, smoothed over time.

    The velocity at frame ``k`` is the central difference ``(x[k+1] - x[k-1]) * fps / 2``
    (one-sided at the ends), so the speed is centred on the frame, not half a frame late.
    Its norm is averaged over the joints (the root joint itself, always still, left out), then
    smoothed by a Gaussian of ``sigma_s`` seconds.

    Parameters
    ----------
    joints : np.ndarray, shape (T, J, 3)
        Positions, any unit.
    fps : float
        Frames per second.
    sigma_s : float
        Standard deviation of the Gaussian smoothing, seconds (0: none). Default
        :data:`BAILANDO_SIGMA_S`.
    root : int, sequence of int, or None
        Root joint(s) whose motion is removed first (see :data:`ROOT_JOINTS`); None: speeds in
        the world frame, as AIST++ and Bailando compute them (travel across the floor counts).

    Returns
    -------
    np.ndarray, float64, shape (T,)
        Units of ``joints`` per second.

    Raises
    ------
    ParameterError
        Bad shapes, root, ``fps`` or ``sigma_s``, or fewer than 2 frames.
    """
    joints = _check_joints(joints)
    _check_fps(fps)
    _check_sigma_s(sigma_s)
    if joints.shape[0] < 2:
        raise ParameterError(f"need at least 2 frames for a speed, got {joints.shape[0]}")
    keep = np.ones(joints.shape[1], dtype=bool)
    if root is not None:
        joints = joints - _root_position(joints, root)[:, None, :]
        if np.ndim(root) == 0:
            keep[int(root)] = False  # the root's relative speed is 0 by construction
    velocity = np.gradient(joints[:, keep], axis=0) * fps
    speed = np.linalg.norm(velocity, axis=-1).mean(axis=1)
    return gaussian_smooth(speed, sigma=sigma_s * fps)


def kinematic_beats(
    joints: np.ndarray,
    *,
    fps: float,
    sigma_s: float = BAILANDO_SIGMA_S,
    min_separation_s: float = 0.0,
    root: int | Sequence[int] | None = 0,
) -> np.ndarray:
    """Kinematic beats: the local minima of the smoothed mean joint speed, in seconds.

    Frame ``k`` is a beat when its speed (:func:`joint_speed`) is strictly lower than at every
    other frame within ``r = max(1, round(min_separation_s * fps))`` frames on each side, as
    ``scipy.signal.argrelextrema(speed, np.less, order=r)`` finds them (Bailando: ``r = 1``
    after smoothing with sigma 5 frames at 60 fps; AI Choreographer: ``r = 10`` at 60 fps
    without smoothing). The first and last frames are never beats.

    Parameters
    ----------
    joints : np.ndarray, shape (T, J, 3)
        Positions, any unit.
    fps : float
        Frames per second.
    sigma_s : float
        Smoothing of the speed, seconds (see :func:`joint_speed`).
    min_separation_s : float
        Half-width of the window a minimum must be the lowest point of, seconds; 0 (default):
        any strict local minimum. AI Choreographer's order 10 at 60 fps is 0.167 s.
    root : int, sequence of int, or None
        Root joint(s) whose motion is removed first; None: world-frame speeds.

    Returns
    -------
    np.ndarray, float64, shape (k,)
        Beat times ``frame / fps``, seconds from frame 0, increasing.

    Raises
    ------
    ParameterError
        As :func:`joint_speed`, or a negative ``min_separation_s``.
    """
    if not (np.isfinite(min_separation_s) and min_separation_s >= 0):
        raise ParameterError(f"min_separation_s must be >= 0 seconds, got {min_separation_s}")
    speed = joint_speed(joints, fps=fps, sigma_s=sigma_s, root=root)
    order = max(1, round(min_separation_s * fps))
    return _strict_minima(speed, order).astype(np.float64) / fps


def foot_contacts(
    joints: np.ndarray,
    *,
    fps: float,
    foot_joints: Sequence[int],
    up_axis: int = 1,
    floor_quantile: float = 0.05,
    floor_window_s: float | None = DEFAULT_FLOOR_WINDOW_S,
    height_threshold: float = 4.0,
    height_width: float = 1.0,
    speed_threshold: float = 30.0,
    speed_width: float = 7.5,
    sigma_s: float = 0.04,
) -> np.ndarray:
    """Probability that each foot is planted on the floor, per frame.

    A foot is on the floor when it is low *and* still. Its height ``h`` is measured from its
    own floor level, the ``floor_quantile`` quantile of its height within ``floor_window_s``
    around the frame (:func:`floor_height`; so neither the floor's position nor the joint's
    offset above the sole need be known, and a slow drift of the capture does not matter), and
    its speed ``v`` is taken in the world frame (a planted foot does not move, whatever the
    body does). The two are combined smoothly::

        contact = sigmoid((height_threshold - h) / height_width)
                  * sigmoid((speed_threshold - v) / speed_width)

    The defaults are for centimetres (AIST++, dwm): a foot within about 4 cm of its floor level
    moving slower than about 30 cm/s. A foot on the floor and still scores 0.96, one 8 cm up or
    moving at 60 cm/s below 0.02. For metres divide the thresholds and widths by 100. A foot
    that glides on the floor (ballroom) is in contact but not planted: on dwm one toe or the
    other is within 4 cm of its floor level in 95-99% of the frames, but the lower toe moves at
    a median 25-30 cm/s, and a foot reads as planted (> 0.5) in only 28-68% of the frames.

    Parameters
    ----------
    joints : np.ndarray, shape (T, J, 3)
        Absolute positions (not root-relative), centimetres for the default scales.
    fps : float
        Frames per second.
    foot_joints : sequence of int
        One joint per foot (see :data:`FOOT_JOINTS`).
    up_axis : int
        The vertical axis (0, 1 or 2); up is the positive direction.
    floor_quantile : float
        In [0, 0.5): the quantile of each foot's height taken as its floor level.
    floor_window_s : float or None
        Window of the floor level, seconds; None: one level for the whole clip.
    height_threshold, height_width : float
        Height above the floor level at which the height term is 0.5, and its width, units of
        ``joints``.
    speed_threshold, speed_width : float
        Speed at which the speed term is 0.5, and its width, units of ``joints`` per second.
    sigma_s : float
        Gaussian smoothing of the foot trajectories before the speed is taken, seconds (0:
        none); it keeps the jitter of triangulated keypoints from reading as motion.

    Returns
    -------
    np.ndarray, float64, shape (T, n_feet)
        Contact probability in [0, 1], one column per entry of ``foot_joints``.

    Raises
    ------
    ParameterError
        Bad shapes, indices or settings, or fewer than 2 frames.
    """
    joints = _check_joints(joints)
    _check_fps(fps)
    _check_up_axis(up_axis)
    _check_sigma_s(sigma_s)
    feet = _check_indices(foot_joints, joints.shape[1], "foot_joints")
    if len(feet) == 0:
        raise ParameterError("foot_joints is empty")
    for name, v in (("height_width", height_width), ("speed_width", speed_width)):
        if not (np.isfinite(v) and v > 0):
            raise ParameterError(f"{name} must be positive, got {v}")
    if joints.shape[0] < 2:
        raise ParameterError(f"need at least 2 frames for a speed, got {joints.shape[0]}")
    foot = gaussian_smooth(joints[:, feet], sigma=sigma_s * fps, mode="odd")  # (T, F, 3)
    height = foot[:, :, up_axis]
    height = height - floor_height(
        height, fps=fps, window_s=floor_window_s, quantile=floor_quantile
    )
    speed = np.linalg.norm(np.gradient(foot, axis=0) * fps, axis=-1)
    low = _sigmoid((height_threshold - height) / height_width)
    still = _sigmoid((speed_threshold - speed) / speed_width)
    return low * still


# --- checks and helpers ---------------------------------------------------------------------------


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # = 1 / (1 + exp(-x)), without overflow


def _strict_minima(x: np.ndarray, order: int) -> np.ndarray:
    """Indices k (not the first or last) with x[k] < x[j] for all 0 < |j - k| <= order."""
    n = len(x)
    if n < 3:
        return np.zeros(0, dtype=np.int64)
    is_min = np.ones(n, dtype=bool)
    is_min[0] = is_min[-1] = False
    for s in range(1, order + 1):
        # beyond the ends the signal is clipped to its edge value, as argrelextrema's "clip"
        left = x[np.maximum(np.arange(n) - s, 0)]
        right = x[np.minimum(np.arange(n) + s, n - 1)]
        is_min &= (x < left) | (np.arange(n) - s < 0)
        is_min &= (x < right) | (np.arange(n) + s > n - 1)
    return np.flatnonzero(is_min)


def _check_joints(joints: np.ndarray) -> np.ndarray:
    joints = np.asarray(joints, dtype=np.float64)
    if joints.ndim != 3 or joints.shape[2] != 3 or joints.shape[1] < 1:
        raise ParameterError(f"joints must have shape (T, J, 3), got {joints.shape}")
    if not np.all(np.isfinite(joints)):
        raise ParameterError("joints hold NaN or infinite positions")
    return joints


def _check_fps(fps: float) -> None:
    if not (np.isfinite(fps) and fps > 0):
        raise ParameterError(f"fps must be positive, got {fps}")


def _check_sigma_s(sigma_s: float) -> None:
    if not (np.isfinite(sigma_s) and sigma_s >= 0):
        raise ParameterError(f"sigma_s must be >= 0 seconds, got {sigma_s}")


def _check_up_axis(up_axis: int) -> None:
    if up_axis not in (0, 1, 2):
        raise ParameterError(f"up_axis must be 0, 1 or 2, got {up_axis}")


def _check_indices(idx, n_joints: int, name: str) -> list[int]:
    out = [int(i) for i in np.atleast_1d(np.asarray(idx)).reshape(-1)]
    bad = [i for i in out if not 0 <= i < n_joints]
    if bad:
        raise ParameterError(f"{name} {bad} out of range for {n_joints} joints")
    return out


def _root_position(joints: np.ndarray, root) -> np.ndarray:
    """(T, 3): the root joint, or the mean of the root joints."""
    idx = _check_indices(root, joints.shape[1], "root")
    if not idx:
        raise ParameterError("root is empty")
    return joints[:, idx].mean(axis=1)
