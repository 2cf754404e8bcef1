"""The dancer's skeleton drawn over a picture: a pose track made visible (``mudar pose
--overlay``).

Limbs of the body's left side are orange, of its right side blue, the torso and face white;
each limb and joint is blended into the picture by its confidence (a joint seen surely is
opaque, a doubtful one faint). Nothing is drawn where no body was found.
"""

from __future__ import annotations

import numpy as np

from mudar.features.pose import COCO17, COCO17_BONES

__all__ = ["LEFT", "RIGHT", "CENTRE", "draw_pose"]

LEFT = (255, 150, 40)
"""RGB of the body's left side (orange)."""
RIGHT = (40, 150, 255)
"""RGB of the body's right side (blue)."""
CENTRE = (235, 235, 235)
"""RGB of the torso and face."""


def _side(joint: int) -> str:
    name = COCO17[joint]
    return "left" if name.startswith("left") else "right" if name.startswith("right") else ""


def _bone_colour(a: int, b: int) -> tuple[int, int, int]:
    sa, sb = _side(a), _side(b)
    if sa == sb == "left":
        return LEFT
    if sa == sb == "right":
        return RIGHT
    return CENTRE


def draw_pose(rgb: np.ndarray, keypoints: np.ndarray, confidence: np.ndarray) -> np.ndarray:
    """The picture with one frame's skeleton drawn over it.

    Parameters
    ----------
    rgb : np.ndarray, uint8, shape (H, W, 3)
        The picture (not modified).
    keypoints : np.ndarray, float, shape (17, 2)
        COCO-17 ``(x, y)`` in pixels of this picture; NaN where unknown.
    confidence : np.ndarray, float, shape (17,)
        In [0, 1]: the opacity of each joint (a limb takes the lower of its two joints').

    Returns
    -------
    np.ndarray, uint8, shape (H, W, 3)
        A new picture; ``rgb`` itself (a copy) where no joint is known.
    """
    import cv2

    out = rgb.copy()
    k = np.asarray(keypoints, np.float64)
    c = np.clip(np.nan_to_num(np.asarray(confidence, np.float64)), 0.0, 1.0)
    ok = np.isfinite(k).all(axis=1) & (c > 0)
    if not ok.any():
        return out
    h, w = out.shape[:2]
    thick = max(2, round(min(h, w) / 120))
    layer = np.zeros_like(out)
    alpha = np.zeros((h, w), np.uint8)
    pts = {j: (round(k[j, 0]), round(k[j, 1])) for j in np.flatnonzero(ok)}
    for a, b in COCO17_BONES:
        if a in pts and b in pts:
            cv2.line(layer, pts[a], pts[b], _bone_colour(a, b), thick, cv2.LINE_AA)
            cv2.line(alpha, pts[a], pts[b], round(255 * min(c[a], c[b])), thick, cv2.LINE_AA)
    for j, p in pts.items():
        colour = {"left": LEFT, "right": RIGHT}.get(_side(j), CENTRE)
        cv2.circle(layer, p, thick + 1, colour, -1, cv2.LINE_AA)
        cv2.circle(alpha, p, thick + 1, round(255 * c[j]), -1, cv2.LINE_AA)
    a = alpha[:, :, None].astype(np.float32) / 255.0
    blended = out.astype(np.float32) * (1.0 - a) + layer.astype(np.float32) * a
    return np.clip(blended + 0.5, 0, 255).astype(np.uint8)
