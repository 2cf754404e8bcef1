"""A pose track in AIST++'s ``keypoints2d`` layout, and as 3-D joints for what reads motion
capture.

AIST++ ships, per sequence, ``keypoints2d/<name>.pkl``: a pickled dict of ``keypoints2d``
float32 (views, T, 17, 3), ``det_scores`` float32 (views, T) and ``timestamps`` (T,). These
functions turn a :class:`~mudar.features.pose.PoseTrack` into that dict and back (the file is
:mod:`mudar.data.readers.pose`'s), and make its keypoints joints ``(x, -y, 0)``.
"""

from __future__ import annotations

import numpy as np

from mudar.errors import ParameterError
from mudar.features.pose import PoseTrack

__all__ = ["keypoints2d_arrays", "pose_joints3d", "track_from_keypoints2d"]


def keypoints2d_arrays(track: PoseTrack) -> dict[str, np.ndarray]:
    """The track in AIST++'s ``keypoints2d`` layout, as one view (view 0).

    AIST++ ships, per sequence, a pickled dict of ``keypoints2d`` float32 (views, T, 17, 3)
    (``x``, ``y`` in pixels and the joint's confidence), ``det_scores`` float32 (views, T) and
    ``timestamps`` (T,); a frame where its detector found nobody is NaN in all three columns of
    every joint, with score 0 (``aist_plusplus/utils.py``, ``load_keypoints2d_file``). The same
    here: a frame without a body is NaN, score 0. MediaPipe's legacy API gives no detection
    score, so a frame's score is the mean confidence of its 17 joints.

    Parameters
    ----------
    track : PoseTrack

    Returns
    -------
    dict
        ``keypoints2d`` float32 (1, T, 17, 3); ``det_scores`` float32 (1, T);
        ``timestamps`` int64 (T,), microseconds from the start of the file.
    """
    found = track.found
    kp = np.concatenate([track.keypoints, track.confidence[:, :, None]], axis=2)
    kp = kp.astype(np.float32)
    kp[~found] = np.nan
    scores = np.where(found, track.confidence.mean(axis=1), 0.0).astype(np.float32)
    return {
        "keypoints2d": kp[None],
        "det_scores": scores[None],
        "timestamps": np.round(track.times_s * 1e6).astype(np.int64),
    }


def track_from_keypoints2d(
    data: dict, *, view: int = 0, source: str = "", width: int = 0, height: int = 0
) -> PoseTrack:
    """A :class:`PoseTrack` of one view of an AIST++ ``keypoints2d`` dict (AIST++'s own, or
    :func:`keypoints2d_arrays`'s).

    ``timestamps`` are read as microseconds (a 60 fps sequence steps by about 16667); a file
    whose median step is under 1000 is read as milliseconds. The frame rate is one over the
    median step. Confidences are clipped to [0, 1]; a NaN joint has confidence 0. The pickle
    holds no estimator landmarks (``landmarks`` is (T, 0, 4)) and no picture size (``width``,
    ``height`` 0 unless given).

    Parameters
    ----------
    data : dict
        ``keypoints2d`` (views, T, 17, 3), ``timestamps`` (T,); ``det_scores`` is not needed.
    view : int
        Which camera view (AIST++: 0-8 for c01-c09; mudar's exports have only view 0).
    source : str
        Where it was read from (the track's ``estimator`` names it).
    width, height : int
        The picture's size, pixels, when known.

    Returns
    -------
    PoseTrack

    Raises
    ------
    ParameterError
        Missing keys, wrong shapes, a view out of range, timestamps that do not increase.
    """
    if "keypoints2d" not in data or "timestamps" not in data:
        raise ParameterError(
            f"{source}: a keypoints2d file needs 'keypoints2d' and 'timestamps' (keys: "
            f"{', '.join(map(str, data))})"
        )
    try:
        kp = np.asarray(data["keypoints2d"], dtype=np.float32)
        stamps = np.asarray(data["timestamps"], dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as e:
        raise ParameterError(f"{source}: keypoints2d or timestamps are not numeric ({e})") from e
    if kp.ndim == 3:  # one view without its axis
        kp = kp[None]
    if kp.ndim != 4 or kp.shape[2:] != (17, 3):
        raise ParameterError(f"{source}: keypoints2d must be (views, T, 17, 3), got {kp.shape}")
    if not 0 <= view < kp.shape[0]:
        raise ParameterError(f"{source}: no view {view}; the file has views 0-{kp.shape[0] - 1}")
    kp = kp[view]
    if len(stamps) != kp.shape[0]:
        raise ParameterError(
            f"{source}: {len(stamps)} timestamps for {kp.shape[0]} frames of keypoints2d"
        )
    steps = np.diff(stamps)
    if len(stamps) < 2 or not (steps > 0).all():
        raise ParameterError(f"{source}: timestamps must increase, over two frames or more")
    step = float(np.median(steps))
    unit = 1e-6 if step >= 1000 else 1e-3
    xy = kp[:, :, :2].copy()
    seen = np.isfinite(xy).all(axis=2)
    xy[~seen] = np.nan
    conf = np.where(seen, np.nan_to_num(np.clip(kp[:, :, 2], 0.0, 1.0)), 0.0)
    return PoseTrack(
        times_s=stamps * unit,
        keypoints=xy,
        confidence=conf.astype(np.float32),
        landmarks=np.zeros((len(stamps), 0, 4), np.float32),
        width=int(width),
        height=int(height),
        fps=1.0 / (step * unit),
        estimator=f"keypoints2d view {view}" + (f" of {source}" if source else ""),
    )


def pose_joints3d(track: PoseTrack) -> np.ndarray:
    """The track as 3-D joints for what reads motion capture (MotionBeat, kinematic beats):
    ``(x, -y, 0)`` in pixels, so that y points up as in dwm and AIST++'s ``keypoints3d`` (the
    picture's y points down) and the depth is 0.

    Returns
    -------
    np.ndarray, float32, shape (T, 17, 3)
        NaN where the keypoint is NaN.
    """
    k = track.keypoints.astype(np.float32)
    out = np.zeros((len(track), 17, 3), np.float32)
    out[:, :, 0] = k[:, :, 0]
    out[:, :, 1] = -k[:, :, 1]
    out[~np.isfinite(k).all(axis=2)] = np.nan
    return out
