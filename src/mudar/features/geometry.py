"""The geometry of a skeleton's motion: resampling in time, mirror images and turns about the
vertical, for ``(T, J, 3)`` joints (as :mod:`mudar.features.kinematic`'s); pure numpy. Their use
is to make more dances of one (:mod:`mudar.data.clips.augment`) and to put a skeleton on another
frame rate. And a pose estimator's left and right labels kept continuous over time
(:func:`consistent_sides`, for :mod:`mudar.features.pose`'s COCO-17 tracks)."""

from __future__ import annotations

import numpy as np

from mudar.errors import ParameterError

MIRROR_PAIRS: dict[str, tuple[tuple[int, int], ...]] = {
    # arm 3-6 <-> 12-15, leg 7-11 <-> 16-20, hand ends 21 <-> 22 (see FOOT_JOINTS)
    "dwm23": ((3, 12), (4, 13), (5, 14), (6, 15), (7, 16), (8, 17), (9, 18), (10, 19), (11, 20))
    + ((21, 22),),
    # COCO: eyes, ears, shoulders, elbows, wrists, hips, knees, ankles
    "coco17": ((1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16)),
}
"""Left/right joint pairs of each skeleton, swapped when a dancer is mirrored."""


def resample_motion(
    x: np.ndarray, *, fps_in: float, fps_out: float, n_frames: int | None = None
) -> np.ndarray:
    """Resample a motion (or any per-frame series) to another frame rate.

    Output frame ``k`` is at ``k / fps_out`` seconds and takes the linear interpolation of the
    input frames around it (input frame ``i`` at ``i / fps_in``); beyond the last input frame
    the last value is repeated.

    Parameters
    ----------
    x : np.ndarray, shape (T_in, ...)
    fps_in, fps_out : float
        Frames per second.
    n_frames : int, optional
        Output frames; default the whole frames of the input's duration at ``fps_out``.

    Returns
    -------
    np.ndarray, float32, shape (n_frames, ...)

    Raises
    ------
    ParameterError
        If a rate is not positive or ``x`` is empty.
    """
    x = np.asarray(x)
    if not (fps_in > 0 and fps_out > 0) or x.shape[0] == 0:
        raise ParameterError(
            f"need positive rates and a non-empty series, got {fps_in}, {fps_out}, {x.shape}"
        )
    n = int(np.floor(x.shape[0] / fps_in * fps_out + 1e-6)) if n_frames is None else n_frames
    pos = np.arange(n, dtype=np.float64) * fps_in / fps_out
    lo = np.clip(np.floor(pos).astype(np.int64), 0, x.shape[0] - 1)
    hi = np.clip(lo + 1, 0, x.shape[0] - 1)
    w = np.clip(pos - lo, 0, 1).reshape(-1, *([1] * (x.ndim - 1)))
    return (x[lo] * (1 - w) + x[hi] * w).astype(np.float32)


def mirror_permutation(skeleton: str, n_joints: int) -> np.ndarray:
    """(n_joints,) index of each joint's left/right twin under :data:`MIRROR_PAIRS` (itself
    where it has none): ``x[:, perm]`` names every side the other way round.

    Raises
    ------
    ParameterError
        An unknown skeleton.
    """
    if skeleton not in MIRROR_PAIRS:
        raise ParameterError(f"no left/right pairs for skeleton {skeleton!r}")
    perm = np.arange(n_joints)
    for a, b in MIRROR_PAIRS[skeleton]:
        perm[a], perm[b] = b, a
    return perm


def mirror_joints(joints: np.ndarray, *, skeleton: str, up_axis: int = 1) -> np.ndarray:
    """The dancer's mirror image: left and right joints swapped, axis ``(up_axis + 2) % 3``
    negated (x for y up: dwm's side-to-side axis; any horizontal axis would do, the mirror
    images through two vertical planes differ by a turn).

    Parameters
    ----------
    joints : np.ndarray, shape (T, J, 3)
        Root-relative horizontally (the mirror passes through the origin).
    skeleton : str
        A key of :data:`MIRROR_PAIRS`.
    up_axis : int

    Returns
    -------
    np.ndarray, float32, shape (T, J, 3)

    Raises
    ------
    ParameterError
        An unknown skeleton.
    """
    out = np.array(joints[:, mirror_permutation(skeleton, joints.shape[1])], dtype=np.float32)
    out[..., (up_axis + 2) % 3] *= -1
    return out


def turn_joints(joints: np.ndarray, angle: float, *, up_axis: int = 1) -> np.ndarray:
    """The joints turned by ``angle`` radians about the vertical axis through the origin, from
    axis ``(up_axis + 1) % 3`` towards ``(up_axis + 2) % 3`` (z towards x for y up).

    Returns float32 of the shape of ``joints`` ``(..., 3)``.
    """
    h1, h2 = (up_axis + 1) % 3, (up_axis + 2) % 3
    c, s = np.cos(angle), np.sin(angle)
    out = np.array(joints, dtype=np.float32)
    x, z = joints[..., h1], joints[..., h2]
    out[..., h1] = c * x - s * z
    out[..., h2] = s * x + c * z
    return out


SIDE_GROUPS: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...] = tuple(
    tuple(zip(*MIRROR_PAIRS["coco17"][a:b], strict=True)) for a, b in ((0, 2), (2, 5), (5, 8))
)
"""COCO-17 joints whose left and right labels an estimator swaps together, ``(lefts, rights)``
of the :data:`MIRROR_PAIRS` of the face (eyes, ears), the arms and the legs: a dancer who turns
is seen from behind, and MediaPipe puts her left arm on her right side for a few frames (see
:func:`consistent_sides`)."""


def consistent_sides(keypoints: np.ndarray) -> np.ndarray:
    """The keypoints with each :data:`SIDE_GROUPS` group's left and right labels kept
    continuous: where the estimator swaps them from one frame to the next (a dancer seen from
    behind), they are swapped back.

    Between two frames where a group is seen, its labels swap where the crossed match (the left
    joints onto the right ones of the frame before, and back) moves the joints less than the
    match as labelled. A swap once made holds until the next, so the labels keep to whichever
    side the track began with; a frame without the group compares with the last that had it.
    With two states whose cost depends only on whether they change, this frame-by-frame choice
    is the path of least total motion (what a Viterbi pass would find). The speeds then show no
    jump of a limb across the body where the estimator only renamed it.

    Parameters
    ----------
    keypoints : np.ndarray, shape (T, 17, C)
        COCO-17 rows, ``(x, y)`` first (NaN where unseen); the other channels (a confidence)
        move with their joints.

    Returns
    -------
    np.ndarray, float64, shape (T, 17, C)
    """
    k = np.array(keypoints, np.float64)
    if k.ndim != 3 or k.shape[1] != 17 or k.shape[2] < 2:
        raise ParameterError(f"keypoints must be (T, 17, C >= 2), got {k.shape}")
    for left, right in SIDE_GROUPS:
        a, b = k[:, list(left)], k[:, list(right)]  # copies (fancy indexing)
        seen = np.flatnonzero(
            np.isfinite(a[..., :2]).all(axis=(1, 2)) & np.isfinite(b[..., :2]).all(axis=(1, 2))
        )
        if len(seen) < 2:
            continue
        pa, pb = a[seen, :, :2], b[seen, :, :2]
        crossed = _moved(pa, pb) + _moved(pb, pa) < _moved(pa, pa) + _moved(pb, pb)
        swapped = seen[np.r_[0, np.cumsum(crossed) % 2].astype(bool)]
        k[np.ix_(swapped, list(left))] = b[swapped]
        k[np.ix_(swapped, list(right))] = a[swapped]
    return k


def _moved(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(T - 1,) how far joints ``x`` of each frame lie from joints ``y`` of the frame before,
    summed over the joints."""
    return np.linalg.norm(x[1:] - y[:-1], axis=2).sum(axis=1)
