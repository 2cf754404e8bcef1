"""Looks drawn at random, and the pose track a look's camera would give for free.

Training a timing model on a handful of named looks teaches it those pictures. A look drawn from
a wide distribution (:func:`random_look`: colours, picture size, 24-60 fps, camera height, angle,
distance and framing, the mannequin or the stick figure) shows it a new picture in every video.

A rendered dance's pose track needs no estimator: its joints are known, so the keypoints are
the joints as the look's camera sees them (:func:`mudar.synthetic.skeleton.project_joints`),
spoiled as an estimator spoils them (:func:`free_pose`: a slow wobble and a per-frame jitter of
each joint, a confidence per joint, lost frames in short runs). Numbers in, numbers out.
"""

from __future__ import annotations

import math

import numpy as np

from mudar.features.pose import PoseTrack
from mudar.synthetic.skeleton import Look, project_joints

__all__ = ["DWM23_TO_COCO17", "LOOK_RANGES", "free_pose", "random_look"]

LOOK_RANGES = {
    "fps": (24.0, 60.0),
    "pitch_deg": (-5.0, 35.0),
    "yaw_deg": (0.0, 360.0),
    "distance_cm": (300.0, 620.0),
    "aim_cm": (70.0, 120.0),
    "zoom": (0.95, 1.9),
    "follow_s": (0.2, 1.6),
}
"""Uniform ranges of :func:`random_look`'s camera and clock. The pitch stops short of the
``high`` look's 40 degrees, so that a set tested in ``high`` is tested from a height no training
look had."""

SIZES = ((320, 320), (256, 256), (480, 270), (640, 360), (360, 640), (400, 300), (224, 224))
"""Picture sizes (width, height) :func:`random_look` picks from: square, landscape, portrait."""

FPS_CHOICES = (24.0, 25.0, 29.97, 30.0, 48.0, 50.0, 59.94, 60.0)
"""Frame rates :func:`random_look` picks from (cameras' and editors' common rates)."""

BODY_SHARE = {"mannequin": 0.75, "stick": 0.25}
"""How often each body is drawn."""

# COCO-17 keypoint k is dwm23 joint DWM23_TO_COCO17[k]; the face (0-4) from the head's sides
DWM23_TO_COCO17 = (None, None, None, 1, 0, 12, 3, 13, 4, 15, 6, 16, 7, 17, 8, 18, 9)
"""dwm23 joint of each COCO-17 keypoint (``None``: the nose and eyes, put between the ears)."""


def _colour(rng: np.random.Generator, lo: int = 0, hi: int = 255) -> tuple[int, int, int]:
    return tuple(int(v) for v in rng.integers(lo, hi + 1, size=3))


def random_look(rng: np.random.Generator, name: str = "random") -> Look:
    """A look drawn at random from a wide distribution (:data:`LOOK_RANGES`, :data:`SIZES`,
    :data:`FPS_CHOICES`, :data:`BODY_SHARE`, any colours; mirrored half the time).

    Parameters
    ----------
    rng : np.random.Generator
    name : str
        The look's name.

    Returns
    -------
    Look
    """
    r = {k: float(rng.uniform(*v)) for k, v in LOOK_RANGES.items()}
    bodies = list(BODY_SHARE)
    body = bodies[int(rng.choice(len(bodies), p=list(BODY_SHARE.values())))]
    wall = _colour(rng, 40, 240)
    return Look(
        name,
        size=SIZES[int(rng.integers(len(SIZES)))],
        fps=FPS_CHOICES[int(rng.integers(len(FPS_CHOICES)))],
        body=body,
        figure=_colour(rng),
        head=_colour(rng, 60, 255),
        skin=_colour(rng, 60, 240),
        hair=_colour(rng, 0, 160),
        trousers=_colour(rng),
        shoes=_colour(rng, 0, 120),
        wall=wall,
        panel=_colour(rng, 30, 220),
        floor=_colour(rng, 30, 200),
        line=_colour(rng, 0, 120),
        yaw_deg=r["yaw_deg"],
        pitch_deg=r["pitch_deg"],
        distance_cm=r["distance_cm"],
        aim_cm=r["aim_cm"],
        zoom=r["zoom"],
        follow_s=r["follow_s"],
        mirror=bool(rng.random() < 0.5),
    )


def look_params(look: Look) -> dict:
    """A look's fields as plain JSON values (for a ``meta.json``)."""
    from dataclasses import asdict

    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(look).items()}


def free_pose(
    joints: np.ndarray,
    *,
    fps: float,
    look: Look,
    rng: np.random.Generator,
    jitter: float = 0.008,
    wobble: float = 0.015,
    lost: float = 0.02,
) -> PoseTrack:
    """The pose track an estimator would give on the video of ``joints`` rendered in ``look``.

    Parameters
    ----------
    joints : np.ndarray, shape (T, 23, 3)
        dwm23 positions, y up, centimetres, at ``fps``.
    fps : float
        Frame rate of ``joints``.
    look : Look
        The video's look; the track has one row per video frame (``look.fps``).
    rng : np.random.Generator
    jitter : float
        Per-frame noise of each keypoint (standard deviation), in body heights.
    wobble : float
        Slow noise of each keypoint (smoothed over about 0.3 s), in body heights. MediaPipe
        strays further on rendered dances (``benchmarks/bench_pose_noise.py``: per frame
        1.4-1.9 %, slowly 4.5-5.9 %), but its slow part is systematic (where it puts a joint on
        a given body and pose), not random: a timing model trained with random noise that large
        chose a lower F on its threshold dances (0.38-0.41 against 0.43) and timed the held-out
        dances worse (docs/results.md), so the defaults stay the lighter first guess.
    lost : float
        Share of frames with no body, in runs of 1-12 frames.

    Returns
    -------
    PoseTrack
        COCO-17 keypoints in the picture's pixels; ``estimator`` ``"free (rendered joints)"``.
    """
    px = project_joints(joints, fps=fps, look=look, skeleton="dwm23")  # (n, 23, 2)
    n = len(px)
    kp = np.empty((n, 17, 2))
    head = (px[:, 0] + px[:, 1]) / 2
    for k, j in enumerate(DWM23_TO_COCO17):
        kp[:, k] = head if j is None else px[:, j]
    # eyes a little towards each ear, as a face seen from the front
    kp[:, 1] = head + 0.3 * (px[:, 1] - head)
    kp[:, 2] = head + 0.3 * (px[:, 0] - head)
    height = np.nanmedian(np.ptp(kp[:, :, 1], axis=1)) or float(look.size[1]) / 2
    smooth = max(1, int(round(0.3 * look.fps)))
    slow = rng.normal(size=(n + smooth, 17, 2))
    kernel = np.hanning(smooth + 2)[1:-1]
    kernel /= math.sqrt(float((kernel**2).sum()))
    slow = np.apply_along_axis(lambda v: np.convolve(v, kernel, mode="valid")[:n], 0, slow)
    kp += height * (wobble * slow + jitter * rng.normal(size=kp.shape))
    conf = np.clip(rng.beta(8, 1.5, size=(n, 17)), 0.0, 1.0)
    gone = np.zeros(n, bool)
    i = 0
    while i < n:
        if rng.random() < lost / 6.0:
            run = int(rng.integers(1, 13))
            gone[i : i + run] = True
            i += run
        i += 1
    kp[gone] = np.nan
    conf[gone] = 0.0
    times = np.arange(n) / look.fps
    landmarks = np.concatenate([kp, np.zeros((n, 17, 1)), conf[..., None]], axis=2)
    return PoseTrack(
        times_s=times,
        keypoints=kp.astype(np.float32),
        confidence=conf.astype(np.float32),
        landmarks=landmarks.astype(np.float32),
        width=int(look.size[0]),
        height=int(look.size[1]),
        fps=float(look.fps),
        estimator="free (rendered joints)",
    )
