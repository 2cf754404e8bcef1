"""How the dancer is drawn: a clothed mannequin or a stick figure.

:mod:`mudar.synthetic.skeleton` projects the joints with its camera and calls one of
:data:`BODIES` per frame, by the look's ``body``. The ``stick`` figure (thick limbs and a head
disc) is what dwm's own ``video.mp4`` shows; optical flow is happy with it, a pose estimator is
not (MediaPipe Pose finds no person in most of its frames). The ``mannequin`` is drawn so that
one can: a shaded torso wider at the shoulders, limbs of body width (tapered capsules: upper
arm, forearm, hand, thigh, shin, shoe), a neck and a head with hair and a face (eyes, nose,
mouth), in shirt, trousers and shoe colours, the parts drawn back to front by their depth from
the camera so that the nearer limbs occlude the farther ones.

Every length here is in centimetres in the world and becomes pixels through the camera
(``focal * size / depth``), so the mannequin keeps its proportions at every picture size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

__all__ = ["BODIES", "BodyJoints", "draw_mannequin", "draw_stick"]

_NEAR_CM = 20.0  # as the camera's near plane in skeleton.py: nothing nearer is drawn
_SHIFT = 4  # bits of sub-pixel precision of every cv2 drawing call
_ONE = 1 << _SHIFT


class _Cam(Protocol):
    focal: float

    def to_camera(self, p: np.ndarray) -> np.ndarray: ...

    def to_pixels(self, c: np.ndarray) -> np.ndarray: ...


Colour = tuple[int, int, int]


class Look(Protocol):
    """The colours a body is drawn in (:class:`mudar.synthetic.skeleton.Look` has them)."""

    figure: Colour
    head: Colour
    skin: Colour
    hair: Colour
    trousers: Colour
    shoes: Colour


class Skeleton(Protocol):
    """What a body needs of a layout (:class:`mudar.synthetic.skeleton.Skeleton` has it)."""

    bones: tuple[tuple[int, int], ...]
    torso: frozenset
    head: int
    body: BodyJoints


@dataclass(frozen=True)
class BodyJoints:
    """Where the mannequin's landmarks are among a skeleton's points (joints, then mids).

    Attributes
    ----------
    ears : (int, int)
        The right and the left side of the head: the head's centre, its left-right axis and so
        (with the neck) the way the face looks.
    shoulders, elbows, wrists, hips, knees, ankles : (int, int)
        Right, left.
    heels, toes : (int, int) or None
        The feet's ends; ``None`` where the skeleton has none (COCO-17): the shoes are then
        put under the ankles, pointing where the hips face.
    """

    ears: tuple[int, int]
    shoulders: tuple[int, int]
    elbows: tuple[int, int]
    wrists: tuple[int, int]
    hips: tuple[int, int]
    knees: tuple[int, int]
    ankles: tuple[int, int]
    heels: tuple[int, int] | None = None
    toes: tuple[int, int] | None = None

    def coco_body(self) -> tuple[int, ...]:
        """The points that are COCO-17 keypoints 5-16, in COCO's order (shoulders, elbows,
        wrists, hips, knees, ankles; left before right): where a pose estimator's body
        landmarks should land."""
        pairs = (self.shoulders, self.elbows, self.wrists, self.hips, self.knees, self.ankles)
        return tuple(i for right, left in pairs for i in (left, right))


# --- the stick figure ----------------------------------------------------------------------------

_LIMB_RADIUS_CM = 4.5
_TORSO_RADIUS_CM = 6.0
_HEAD_RADIUS_CM = 11.0


def draw_stick(img: np.ndarray, cam: _Cam, points: np.ndarray, look: Look, sk: Skeleton) -> None:
    """Thick limbs in ``look.figure`` (the trunk thicker, farther limbs darker), a head disc.

    Parameters
    ----------
    img : np.ndarray, uint8, shape (H, W, 3)
        Drawn into.
    cam : camera
        World (cm) to camera to pixels, as ``skeleton._Camera``.
    points : np.ndarray, shape (P, 3)
        The skeleton's joints and mids (:meth:`Skeleton.points`), world centimetres.
    look, sk : Look, Skeleton
    """
    bone_a = np.array([a for a, _ in sk.bones])
    bone_b = np.array([b for _, b in sk.bones])
    radii = np.array([_TORSO_RADIUS_CM if b in sk.torso else _LIMB_RADIUS_CM for b in sk.bones])
    c = cam.to_camera(points)
    if np.any(c[:, 2] < _NEAR_CM):
        return  # the dancer is behind the camera (cannot happen with a following camera)
    px = cam.to_pixels(c)
    dark = tuple(int(v * 0.72) for v in look.figure)
    depth = (c[bone_a, 2] + c[bone_b, 2]) / 2
    far = depth > float(np.median(c[:, 2])) + 8  # far limbs a shade darker
    thick = np.maximum(1, np.round(2 * cam.focal * radii / depth)).astype(int)
    ends = np.round(px * _ONE).astype(np.int64)
    for i in np.argsort(-depth):  # far to near
        colour = dark if far[i] else look.figure
        pa, pb = tuple(ends[bone_a[i]]), tuple(ends[bone_b[i]])
        cv2.line(img, pa, pb, colour, int(thick[i]), cv2.LINE_AA, shift=_SHIFT)
    r = cam.focal * _HEAD_RADIUS_CM / c[sk.head, 2]
    centre = tuple(ends[sk.head])
    cv2.circle(img, centre, max(_ONE, int(r * _ONE)), look.head, -1, cv2.LINE_AA, shift=_SHIFT)


# --- the mannequin -------------------------------------------------------------------------------

# body widths, centimetres: (radius at the proximal end, at the distal end)
_UPPER_ARM = (5.5, 4.4)
_FOREARM = (4.4, 3.3)
_HAND = (3.6, 3.0)
_HAND_CM = 9.0  # hand length beyond the wrist, along the forearm
_THIGH = (8.5, 6.0)
_SHIN = (6.0, 4.3)
_SHOE = (4.6, 4.0)
_NECK = (5.5, 5.0)
_HEAD_R = 10.5  # the skull's radius
_TORSO_BIAS_CM = 6.0  # the torso's depth key is its front, not its middle (arms at the sides)
_SHADE = 0.6  # shadow colour = colour * _SHADE; the lit part is the colour itself
_LIGHT = np.array([-0.35, -0.45])  # where the light comes from, in the picture (up and left)


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(n, 1e-9)


def _shade(colour) -> tuple[int, int, int]:
    return tuple(int(round(v * _SHADE)) for v in colour)


def _fill(img: np.ndarray, px: np.ndarray, colour) -> None:
    cv2.fillConvexPoly(img, np.round(px * _ONE).astype(np.int32), colour, cv2.LINE_AA, _SHIFT)


def _capsule_outline(a: np.ndarray, b: np.ndarray, ra: float, rb: float, n: int = 8) -> np.ndarray:
    """The outline ``(2n + 2, 2)`` of a tapered capsule from ``a`` (radius ``ra``) to ``b``
    (``rb``), pixels: a half circle round each end joined by straight sides."""
    d = b - a
    length = float(np.hypot(*d))
    if length < 1e-6:
        d = np.array([1.0, 0.0])
    else:
        d = d / length
    normal = np.array([-d[1], d[0]])
    t = np.linspace(0.0, np.pi, n + 1)[:, None]
    back = a + ra * (np.cos(t) * normal - np.sin(t) * d)  # from +normal round the a end
    front = b + rb * (-np.cos(t) * normal + np.sin(t) * d)  # from -normal round the b end
    return np.concatenate([back, front])


def _capsule(img, a, b, ra, rb, colour) -> None:
    """A shaded capsule: the whole in shadow, a narrower lit capsule towards the light."""
    _fill(img, _capsule_outline(a, b, ra, rb), _shade(colour))
    off = _LIGHT * 0.3 * (ra + rb)
    _fill(img, _capsule_outline(a + off, b + off, 0.72 * ra, 0.72 * rb), colour)


def _hull(img, px: np.ndarray, colour) -> None:
    """A shaded convex body: its hull in shadow, the hull shrunk towards the light lit."""
    hull = cv2.convexHull(px.astype(np.float32)).reshape(-1, 2).astype(np.float64)
    _fill(img, hull, _shade(colour))
    centre = hull.mean(axis=0)
    size = float(np.sqrt(max(cv2.contourArea(hull.astype(np.float32)), 1.0)))
    lit = centre + _LIGHT * 0.12 * size + 0.82 * (hull - centre)
    _fill(img, lit, colour)


def _ellipse(img, centre, axes, angle_deg: float, colour) -> None:
    cen = tuple(int(v) for v in np.round(np.asarray(centre) * _ONE))
    ax = tuple(max(1, int(round(v * _ONE))) for v in axes)
    cv2.ellipse(img, cen, ax, angle_deg, 0, 360, colour, -1, cv2.LINE_AA, _SHIFT)


def _ring(centre, left, fwd, half_width: float, half_depth: float, n: int = 10) -> np.ndarray:
    """``n`` points ``(n, 3)`` round an elliptic cross-section of the trunk, world cm."""
    t = np.linspace(0.0, 2 * np.pi, n, endpoint=False)[:, None]
    return centre + np.cos(t) * half_width * left + np.sin(t) * half_depth * fwd


def _frame(points: np.ndarray, bj: BodyJoints) -> dict[str, np.ndarray]:
    """The mannequin's landmarks and axes in the world from a skeleton's points (cm)."""
    p = points
    sh_r, sh_l = p[bj.shoulders[0]], p[bj.shoulders[1]]
    hip_r, hip_l = p[bj.hips[0]], p[bj.hips[1]]
    mid_sh, mid_hip = (sh_r + sh_l) / 2, (hip_r + hip_l) / 2
    up = _unit(mid_sh - mid_hip)
    across = (sh_l - sh_r) + (hip_l - hip_r)  # the body's left, from both girdles
    left = _unit(across - np.dot(across, up) * up)
    fwd = np.cross(left, up)  # right-handed, y up: left x up points where the chest faces
    ear_r, ear_l = p[bj.ears[0]], p[bj.ears[1]]
    head_left = _unit(ear_l - ear_r)
    if np.dot(head_left, left) < 0.3:  # ears not across the head (turned > 70 degrees: no
        head_left = left  # dancer does; a layout whose two head points are not the ears)
    head = (ear_r + ear_l) / 2
    head_up = head - mid_sh
    head_up = _unit(head_up - np.dot(head_up, head_left) * head_left)
    head = head + 2.0 * head_up  # the ears sit a little below the skull's centre
    return {
        "sh_r": sh_r,
        "sh_l": sh_l,
        "hip_r": hip_r,
        "hip_l": hip_l,
        "mid_sh": mid_sh,
        "mid_hip": mid_hip,
        "up": up,
        "left": left,
        "fwd": fwd,
        "head": head,
        "head_up": head_up,
        "head_left": head_left,
        "head_fwd": np.cross(head_left, head_up),
    }


def draw_mannequin(
    img: np.ndarray, cam: _Cam, points: np.ndarray, look: Look, sk: Skeleton
) -> None:
    """A clothed, shaded mannequin of the skeleton's points, parts drawn far to near.

    Parameters
    ----------
    img : np.ndarray, uint8, shape (H, W, 3)
        Drawn into.
    cam : camera
        World (cm) to camera to pixels, as ``skeleton._Camera``.
    points : np.ndarray, shape (P, 3)
        The skeleton's joints and mids (:meth:`Skeleton.points`), world centimetres.
    look : Look
        Colours: ``figure`` (the shirt), ``trousers``, ``shoes``, ``skin``, ``hair``.
    sk : Skeleton
        Its ``body`` says which points are the shoulders, elbows ... (:class:`BodyJoints`).
    """
    if np.any(cam.to_camera(points)[:, 2] < _NEAR_CM):
        return  # the dancer is behind the camera (cannot happen with a following camera)
    bj = sk.body
    f = _frame(points, bj)
    up, left, fwd = f["up"], f["left"], f["fwd"]
    parts: list[tuple[float, Callable[[], None]]] = []  # (depth, draw)

    def to_px(world: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        c = cam.to_camera(world)
        return cam.to_pixels(c), c[..., 2]

    def limb(a: np.ndarray, b: np.ndarray, radii: tuple[float, float], colour) -> None:
        px, z = to_px(np.stack([a, b]))
        ra, rb = cam.focal * radii[0] / z[0], cam.focal * radii[1] / z[1]
        parts.append((float(z.mean()), lambda: _capsule(img, px[0], px[1], ra, rb, colour)))

    # trunk: elliptic cross-sections, each piece the hull of two of them
    sh_half = 0.5 * float(np.linalg.norm(f["sh_l"] - f["sh_r"]))
    hip_half = 0.5 * float(np.linalg.norm(f["hip_l"] - f["hip_r"]))
    mid_sh, mid_hip = f["mid_sh"], f["mid_hip"]
    rings = [
        _ring(mid_sh + 1.5 * up, left, fwd, sh_half + 5.5, 8.5),  # shoulders
        _ring(mid_sh * 0.72 + mid_hip * 0.28, left, fwd, sh_half + 3.0, 11.0),  # chest
        _ring(mid_sh * 0.25 + mid_hip * 0.75, left, fwd, hip_half + 3.0, 9.5),  # waist
        _ring(mid_hip - 3.0 * up, left, fwd, hip_half + 6.5, 10.5),  # hips
        _ring(mid_hip - 11.0 * up, left, fwd, hip_half + 3.5, 9.0),  # crotch
    ]
    clothes = (look.figure, look.figure, look.trousers, look.trousers)
    for lo, hi, colour in zip(rings[1:], rings[:-1], clothes, strict=True):
        px, z = to_px(np.concatenate([lo, hi]))
        depth = float(z.mean()) - _TORSO_BIAS_CM
        parts.append((depth, lambda px=px, colour=colour: _hull(img, px, colour)))

    # neck, behind the collar and the head
    head = f["head"]
    neck_top = head - 0.55 * _HEAD_R * f["head_up"]
    px, z = to_px(np.stack([mid_sh, neck_top]))
    r = cam.focal * _NECK[0] / z
    neck_depth = float(z.mean()) + 2.0

    def neck(px=px, r=r) -> None:
        _capsule(img, px[0], px[1], r[0], r[1], look.skin)

    parts.append((neck_depth, neck))

    for side in (0, 1):
        sh, el, wr = (points[j[side]] for j in (bj.shoulders, bj.elbows, bj.wrists))
        limb(sh, el, _UPPER_ARM, look.figure)  # short sleeves
        limb(el, wr, _FOREARM, look.skin)
        limb(wr, wr + _HAND_CM * _unit(wr - el), _HAND, look.skin)
        hp, kn, an = (points[j[side]] for j in (bj.hips, bj.knees, bj.ankles))
        limb(hp, kn, _THIGH, look.trousers)
        limb(kn, an, _SHIN, look.trousers)
        if bj.toes is not None and bj.heels is not None:
            heel, toe = points[bj.heels[side]], points[bj.toes[side]]
        else:  # no feet in the layout: a shoe under the ankle, pointing where the hips face
            flat = _unit(fwd * np.array([1.0, 0.0, 1.0]))
            foot = an + np.array([0.0, -min(6.0, max(an[1] - 4.0, 0.0)), 0.0])
            heel, toe = foot - 5.0 * flat, foot + 14.0 * flat
        limb(heel, toe, _SHOE, look.shoes)

    parts.append((float(cam.to_camera(head)[2]), lambda: _draw_head(img, cam, f, look)))
    for _, draw in sorted(parts, key=lambda p: -p[0]):  # far to near
        draw()


def _draw_head(img: np.ndarray, cam: _Cam, f: dict[str, np.ndarray], look: Look) -> None:
    """Hair and a face: two spheres drawn far to near, then the features that face the camera."""
    head, h_up, h_left, h_fwd = f["head"], f["head_up"], f["head_left"], f["head_fwd"]
    hair_c = head + 1.5 * h_up - 2.0 * h_fwd
    face_c = head + 2.5 * h_fwd - 1.5 * h_up
    fringe_c = head + 6.0 * h_up + 3.5 * h_fwd
    c = cam.to_camera(np.stack([head, hair_c, face_c, fringe_c, head + h_up]))
    px = cam.to_pixels(c)
    z = c[:, 2]
    # the head's up in the picture, for the face oval's tilt
    tilt = px[4] - px[0]
    angle = float(np.degrees(np.arctan2(tilt[1], tilt[0]))) + 90.0
    scale = cam.focal / z

    def hair() -> None:
        r = _HEAD_R * 1.05 * scale[1]
        _ellipse(img, px[1], (r, r * 1.04), angle, _shade(look.hair))
        _ellipse(img, px[1] + _LIGHT * 0.15 * r, (0.8 * r, 0.84 * r), angle, look.hair)

    def face() -> None:
        r = _HEAD_R * scale[2]
        _ellipse(img, px[2], (0.86 * r, 1.0 * r), angle, _shade(look.skin))
        _ellipse(img, px[2] + _LIGHT * 0.12 * r, (0.72 * r, 0.86 * r), angle, look.skin)

    for draw in (hair, face) if z[1] > z[2] else (face, hair):
        draw()
    to_cam = _unit(-c[0])  # from the head to the camera (at the origin of camera space)
    facing = float(np.dot(_unit(cam.to_camera(head + h_fwd) - c[0]), to_cam))
    if facing <= 0.15:
        return  # the back or the side of the head: hair only
    if z[3] < z[0]:
        r = 0.55 * _HEAD_R * scale[3]
        _ellipse(img, px[3], (1.3 * r, 0.7 * r), angle, look.hair)
    eye_col, mouth_col = (35, 30, 30), (150, 60, 60)
    feats = [
        (head + 0.9 * _HEAD_R * h_fwd + 0.5 * h_up + s * 3.3 * h_left, 1.2, 0.8, eye_col)
        for s in (-1, 1)
    ]
    feats.append((head + 1.05 * _HEAD_R * h_fwd - 2.2 * h_up, 1.1, 1.5, _shade(look.skin)))
    feats.append((head + 0.88 * _HEAD_R * h_fwd - 5.2 * h_up, 2.6, 0.9, mouth_col))
    for world, ax_w, ax_h, colour in feats:
        cf = cam.to_camera(world)
        if np.dot(_unit(cf - c[0]), to_cam) < 0.2:
            continue  # on the far side of the head's curve
        s = cam.focal / cf[2]
        _ellipse(img, cam.to_pixels(cf), (ax_w * s, ax_h * s), angle - 90.0, colour)


BODIES: dict[str, Callable[..., None]] = {"mannequin": draw_mannequin, "stick": draw_stick}
"""How a dancer can be drawn (:attr:`mudar.synthetic.skeleton.Look.body`, by these names)."""
