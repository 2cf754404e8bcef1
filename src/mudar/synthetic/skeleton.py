"""Render a skeleton as a dance video: a clothed mannequin (or a stick figure) in a room.

The dancer stands on a floor with receding lines, in front of walls with panels (edges that
optical flow can lock on to), seen by a pinhole camera that follows the dancer smoothly, so
that a video has camera motion as well as body motion. The dancer is drawn as a look's
``body`` says (:mod:`mudar.synthetic.figures`): a shaded, clothed mannequin with a face, which
a pose estimator finds as on a real video (the default), or the stick figure of dwm's own
``video.mp4`` (thick limbs and a head disc; the ``stick`` look). A :class:`Look` sets the
picture size and frame rate, the body and its colours, the camera's viewing angle (yaw around
the vertical axis, pitch), distance and zoom, and a mirror; :data:`LOOKS` names a few.

The joints are ``(T, J, 3)``, y up, centimetres, floor at y = 0, in a layout named by a
:class:`Skeleton`: the dwm layout (23 joints, see ``shared/data/README.md``, the default) or
COCO-17 (AIST++ keypoints); frames are interpolated linearly at the output frame times, so any
output frame rate works. :func:`render_frames` is a generator: one frame is held at a time.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from mudar.errors import ParameterError
from mudar.synthetic.figures import BODIES, BodyJoints

__all__ = [
    "BONES",
    "LOOKS",
    "SKELETONS",
    "Look",
    "Skeleton",
    "camera_track",
    "get_look",
    "get_skeleton",
    "n_output_frames",
    "project_joints",
    "render_frames",
]

# extra points appended to the 23 joints: the mids the dwm bone list refers to
_MIDS = ((0, 1), (3, 12), (10, 11), (19, 20))
_HEAD, _NECK, _FOOT_A, _FOOT_B = 23, 24, 25, 26

BONES: tuple[tuple[int, int], ...] = (
    (0, 1),
    (3, 4),
    (4, 5),
    (5, 6),
    (12, 13),
    (13, 14),
    (14, 15),
    (2, 7),
    (7, 8),
    (8, 9),
    (10, 11),
    (2, 16),
    (16, 17),
    (17, 18),
    (19, 20),
    (_HEAD, _NECK),
    (3, _NECK),
    (12, _NECK),
    (2, _NECK),
    (9, _FOOT_A),
    (18, _FOOT_B),
)
"""Bones of the dwm skeleton as index pairs; indices 23-26 are mid(0,1), mid(3,12), mid(10,11),
mid(19,20) (the data README's list)."""

_NEAR_CM = 20.0  # near clipping plane of the camera


@dataclass(frozen=True)
class Skeleton:
    """A joint layout the renderer can draw.

    Attributes
    ----------
    name : str
    n_joints : int
        Joints J of the input ``(T, J, 3)``.
    mids : tuple of (int, int)
        Extra points appended after the joints (index ``J + i``): the mid-point of two joints.
    bones : tuple of (int, int)
        Limbs drawn, as index pairs into the joints and then the mids.
    torso : frozenset of (int, int)
        The bones drawn thicker (the trunk).
    head : int
        The point the stick figure's head disc is centred on.
    root : int
        The waist: the point the camera follows.
    body : BodyJoints
        Which points are the ears, shoulders, elbows ... that the mannequin is built on.
    """

    name: str
    n_joints: int
    mids: tuple[tuple[int, int], ...]
    bones: tuple[tuple[int, int], ...]
    torso: frozenset
    head: int
    root: int
    body: BodyJoints

    def points(self, pose: np.ndarray) -> np.ndarray:
        """The joints ``(..., J, 3)`` with the mids appended, ``(..., J + len(mids), 3)``."""
        mids = [(pose[..., a, :] + pose[..., b, :]) / 2 for a, b in self.mids]
        return np.concatenate([pose, np.stack(mids, axis=-2)], axis=-2) if mids else pose


# COCO-17: 0 nose, 1-2 eyes, 3-4 ears, 5-6 shoulders, 7-8 elbows, 9-10 wrists, 11-12 hips,
# 13-14 knees, 15-16 ankles (left first); mids 17 head (between the ears), 18 neck, 19 waist
_C_HEAD, _C_NECK, _C_WAIST = 17, 18, 19

SKELETONS: dict[str, Skeleton] = {
    "dwm23": Skeleton(
        "dwm23",
        23,
        _MIDS,
        BONES,
        frozenset({(2, _NECK), (3, _NECK), (12, _NECK)}),
        head=_HEAD,
        root=2,
        # 0 and 1 are the right and left sides of the head (0 -> 1 points along the shoulders
        # 3 -> 12 in dwm); 3-6 and 7-11 the right arm and leg; 6 and 15 the wrists
        body=BodyJoints(
            ears=(0, 1),
            shoulders=(3, 12),
            elbows=(4, 13),
            wrists=(6, 15),
            hips=(7, 16),
            knees=(8, 17),
            ankles=(9, 18),
            heels=(10, 19),
            toes=(11, 20),
        ),
    ),
    "coco17": Skeleton(
        "coco17",
        17,
        ((3, 4), (5, 6), (11, 12)),
        (
            (_C_HEAD, _C_NECK),
            (_C_NECK, 5),
            (_C_NECK, 6),
            (_C_WAIST, _C_NECK),
            (_C_WAIST, 11),
            (_C_WAIST, 12),
            (5, 7),
            (7, 9),
            (6, 8),
            (8, 10),
            (11, 13),
            (13, 15),
            (12, 14),
            (14, 16),
        ),
        frozenset({(_C_NECK, 5), (_C_NECK, 6), (_C_WAIST, _C_NECK)}),
        head=_C_HEAD,
        root=_C_WAIST,
        body=BodyJoints(
            ears=(4, 3),
            shoulders=(6, 5),
            elbows=(8, 7),
            wrists=(10, 9),
            hips=(12, 11),
            knees=(14, 13),
            ankles=(16, 15),
        ),
    ),
}
"""Joint layouts :func:`render_frames` draws: ``dwm23`` (dwm motion capture) and ``coco17``
(AIST++ keypoints3d), the names of :attr:`mudar.data.readers.keypoints.MotionClip.skeleton`."""


def get_skeleton(name: str) -> Skeleton:
    """The :data:`SKELETONS` entry ``name``.

    Raises
    ------
    ParameterError
        An unknown name.
    """
    try:
        return SKELETONS[name]
    except KeyError:
        raise ParameterError(f"unknown skeleton {name!r}; known: {', '.join(SKELETONS)}") from None


@dataclass(frozen=True)
class Look:
    """How a dance is pictured.

    Attributes
    ----------
    name : str
    size : tuple of int
        Picture (width, height), pixels; both even (H.264 4:2:0).
    fps : float
        Output frame rate, frames per second.
    body : str
        How the dancer is drawn (:data:`mudar.synthetic.figures.BODIES`): ``"mannequin"`` (the
        default: a clothed, shaded figure with a face, which a pose estimator finds) or
        ``"stick"`` (thick limbs and a head disc, as dwm's own ``video.mp4``).
    figure, head : tuple of int
        RGB colours of the stick figure's limbs (the mannequin's shirt) and of its head disc.
    skin, hair, trousers, shoes : tuple of int
        RGB colours of the mannequin.
    wall, panel, floor, line : tuple of int
        RGB colours of the walls, of their panels' outlines, of the floor and of its lines.
    yaw_deg : float
        Viewing angle around the vertical axis, degrees: 0 looks along -z (the camera on the +z
        side of the dancer), 90 along -x.
    pitch_deg : float
        Downward tilt of the camera, degrees (0: level; the camera is raised so that it looks
        at the aim point from above).
    distance_cm : float
        Horizontal distance from the camera to the dancer, centimetres.
    aim_cm : float
        Height of the point the camera looks at, centimetres above the floor.
    zoom : float
        Focal length in picture heights (larger: tighter framing).
    follow_s : float
        Time constant of the camera's tracking of the dancer, seconds (a Gaussian smoothing of
        the dancer's path; larger: a lazier camera).
    mirror : bool
        Flip the picture left-right.
    """

    name: str = "dwm"
    size: tuple[int, int] = (320, 320)
    fps: float = 25.0
    body: str = "mannequin"
    figure: tuple[int, int, int] = (158, 38, 40)
    head: tuple[int, int, int] = (240, 200, 175)
    skin: tuple[int, int, int] = (226, 178, 148)
    hair: tuple[int, int, int] = (62, 44, 34)
    trousers: tuple[int, int, int] = (42, 50, 74)
    shoes: tuple[int, int, int] = (28, 26, 26)
    wall: tuple[int, int, int] = (190, 204, 214)
    panel: tuple[int, int, int] = (120, 130, 140)
    floor: tuple[int, int, int] = (112, 120, 128)
    line: tuple[int, int, int] = (52, 58, 66)
    yaw_deg: float = 0.0
    pitch_deg: float = 8.0
    distance_cm: float = 420.0
    aim_cm: float = 95.0
    zoom: float = 1.55
    follow_s: float = 0.6
    mirror: bool = False

    def __post_init__(self) -> None:
        w, h = self.size
        if w < 16 or h < 16 or w % 2 or h % 2:
            raise ParameterError(f"look {self.name}: size must be even and >= 16, got {self.size}")
        if not (np.isfinite(self.fps) and self.fps > 0):
            raise ParameterError(f"look {self.name}: fps must be positive, got {self.fps}")
        if not (self.distance_cm > _NEAR_CM and self.zoom > 0 and self.follow_s >= 0):
            raise ParameterError(f"look {self.name}: distance, zoom or follow_s out of range")
        if not -80 <= self.pitch_deg <= 80:
            raise ParameterError(f"look {self.name}: pitch must be within +-80 degrees")
        if self.body not in BODIES:
            raise ParameterError(
                f"look {self.name}: unknown body {self.body!r}; known: {', '.join(BODIES)}"
            )


LOOKS: dict[str, Look] = {
    lk.name: lk
    for lk in (
        Look("dwm"),
        Look(
            "colours",
            figure=(40, 90, 170),
            head=(250, 220, 90),
            skin=(176, 124, 96),
            hair=(150, 96, 44),
            trousers=(196, 176, 132),
            shoes=(110, 60, 40),
            wall=(214, 196, 170),
            panel=(150, 110, 80),
            floor=(96, 120, 88),
            line=(40, 60, 36),
        ),
        Look("side", yaw_deg=60.0),
        Look("back", yaw_deg=180.0, mirror=True),
        Look("wide", size=(640, 360)),
        Look("small", size=(160, 160)),
        Look("fps30", fps=30.0),
        Look("fps12", fps=12.0),
        Look("high", pitch_deg=40.0, distance_cm=380.0),
        Look("far", zoom=1.0, follow_s=1.5),
        Look("stick", body="stick"),
    )
}
"""Named looks: ``dwm`` (close to dwm's own video), other colours, the camera 60 degrees round
(``side``) or behind and mirrored (``back``), 640x360 (``wide``), 160x160 (``small``), 30 and
12 fps, a camera from above (``high``), a wider, lazier shot (``far``), all with the mannequin;
``stick``: the ``dwm`` look with the stick figure (the renderer's pictures before the mannequin)."""


def get_look(name: str) -> Look:
    """The :data:`LOOKS` entry ``name``.

    Raises
    ------
    ParameterError
        An unknown name (the message lists the known ones).
    """
    try:
        return LOOKS[name]
    except KeyError:
        raise ParameterError(f"unknown look {name!r}; known: {', '.join(LOOKS)}") from None


def n_output_frames(n_frames: int, fps: float, out_fps: float) -> int:
    """Frames of a video at ``out_fps`` covering ``n_frames`` motion frames at ``fps``.

    Output frame ``k`` is at ``k / out_fps`` seconds; the last one is at or before the last
    motion frame, ``(n_frames - 1) / fps``.
    """
    if n_frames < 1:
        return 0
    return int(math.floor((n_frames - 1) / fps * out_fps + 1e-9)) + 1


def camera_track(
    joints: np.ndarray, *, fps: float, follow_s: float, skeleton: str = "dwm23"
) -> np.ndarray:
    """The point the camera follows: the dancer's waist on the floor, smoothed over time.

    Parameters
    ----------
    joints : np.ndarray, shape (T, J, 3)
    fps : float
    follow_s : float
        Gaussian smoothing, seconds (0: none).
    skeleton : str
        The layout of ``joints`` (:data:`SKELETONS`), which says where the waist is.

    Returns
    -------
    np.ndarray, float64, shape (T, 2)
        (x, z) per motion frame, centimetres.
    """
    from mudar.features.kinematic import gaussian_smooth

    sk = get_skeleton(skeleton)
    path = sk.points(np.asarray(joints, dtype=np.float64))[:, sk.root][:, [0, 2]]
    return gaussian_smooth(path, sigma=follow_s * fps, mode="odd")


def render_frames(
    joints: np.ndarray, *, fps: float, look: Look | None = None, skeleton: str = "dwm23"
) -> Iterator[np.ndarray]:
    """The frames of a dance video of ``joints``, one at a time.

    Parameters
    ----------
    joints : np.ndarray, shape (T, J, 3)
        Positions, y up, centimetres, floor at y = 0, at ``fps``.
    fps : float
        Frame rate of ``joints``, frames per second.
    look : Look, optional
        Default ``LOOKS["dwm"]``.
    skeleton : str
        The joint layout (:data:`SKELETONS`): ``dwm23`` (default, J = 23) or ``coco17``.

    Yields
    ------
    np.ndarray, uint8, shape (H, W, 3)
        RGB pictures at ``look.fps``, :func:`n_output_frames` of them; frame ``k`` shows the
        joints linearly interpolated at ``k / look.fps`` seconds.

    Raises
    ------
    ParameterError
        Joints not (T, J, 3) finite for the skeleton's J, an unknown skeleton, a bad ``fps``.
    """
    j, sk = _checked(joints, fps, skeleton)
    return _frames(j, fps, look or LOOKS["dwm"], sk)


def _checked(joints: np.ndarray, fps: float, skeleton: str) -> tuple[np.ndarray, Skeleton]:
    """The joints as float64 and their skeleton; raises as :func:`render_frames` says."""
    sk = get_skeleton(skeleton)
    j = np.asarray(joints, dtype=np.float64)
    if j.ndim != 3 or j.shape[1:] != (sk.n_joints, 3) or j.shape[0] < 1:
        raise ParameterError(
            f"joints must have shape (T, {sk.n_joints}, 3) for {sk.name}, got {j.shape}"
        )
    if not np.all(np.isfinite(j)):
        raise ParameterError("joints hold NaN or infinite positions")
    if not (np.isfinite(fps) and fps > 0):
        raise ParameterError(f"fps must be positive, got {fps}")
    return j, sk


def _cameras(j: np.ndarray, fps: float, look: Look, sk: Skeleton) -> Iterator[tuple]:
    """Per output frame: the interpolated pose (J, 3) and the following camera that sees it."""
    w, h = look.size
    track = camera_track(j, fps=fps, follow_s=look.follow_s, skeleton=sk.name)
    focal = look.zoom * h
    yaw, pitch = math.radians(look.yaw_deg), math.radians(look.pitch_deg)
    # camera axes (world): right, up, forward; forward points from the camera to the dancer
    fwd = np.array(
        [-math.sin(yaw) * math.cos(pitch), -math.sin(pitch), -math.cos(yaw) * math.cos(pitch)]
    )
    right = np.array([math.cos(yaw), 0.0, -math.sin(yaw)])
    up = np.cross(right, fwd)
    rot = np.stack([right, up, fwd])  # world -> camera
    n_out = n_output_frames(len(j), fps, look.fps)
    for k in range(n_out):
        pos = min(k / look.fps * fps, len(j) - 1.0)
        i0 = int(pos)
        i1 = min(i0 + 1, len(j) - 1)
        u = pos - i0
        pose = (1 - u) * j[i0] + u * j[i1]
        tx, tz = (1 - u) * track[i0] + u * track[i1]
        aim = np.array([tx, look.aim_cm, tz])
        eye = aim - fwd * (look.distance_cm / max(math.cos(pitch), 1e-6))
        yield pose, _Camera(rot, eye, focal, w, h)


def _frames(j: np.ndarray, fps: float, look: Look, sk: Skeleton) -> Iterator[np.ndarray]:
    w, h = look.size
    room = _Room.around(j)
    for pose, cam in _cameras(j, fps, look, sk):
        img = np.empty((h, w, 3), np.uint8)
        room.draw(img, cam, look)
        BODIES[look.body](img, cam, sk.points(pose), look, sk)
        if look.mirror:
            img = img[:, ::-1].copy()
        yield img


def project_joints(
    joints: np.ndarray, *, fps: float, look: Look | None = None, skeleton: str = "dwm23"
) -> np.ndarray:
    """Where the joints appear in the pictures of :func:`render_frames`: the dance as the
    following camera sees it.

    Parameters
    ----------
    joints : np.ndarray, shape (T, J, 3)
        Positions, y up, centimetres, floor at y = 0, at ``fps``.
    fps : float
        Frame rate of ``joints``, frames per second.
    look : Look, optional
        Default ``LOOKS["dwm"]``.
    skeleton : str
        The joint layout (:data:`SKELETONS`).

    Returns
    -------
    np.ndarray, float64, shape (n_output_frames, J, 2)
        ``(x, y)`` in pixels of the picture (x right, y down, mirrored as the picture is), at
        ``look.fps``: row ``k`` is output frame ``k`` of :func:`render_frames`.

    Raises
    ------
    ParameterError
        As :func:`render_frames`.
    """
    look = look or LOOKS["dwm"]
    j, sk = _checked(joints, fps, skeleton)
    px = np.stack([cam.to_pixels(cam.to_camera(pose)) for pose, cam in _cameras(j, fps, look, sk)])
    if look.mirror:
        px[..., 0] = look.size[0] - 1 - px[..., 0]  # column i of the picture goes to w - 1 - i
    return px


class _Camera:
    """Pinhole projection of world points (centimetres) to pixels."""

    def __init__(self, rot: np.ndarray, eye: np.ndarray, focal: float, w: int, h: int):
        self.rot, self.eye, self.focal, self.cx, self.cy = rot, eye, focal, w / 2.0, h / 2.0

    def to_camera(self, p: np.ndarray) -> np.ndarray:
        return (np.asarray(p) - self.eye) @ self.rot.T

    def to_pixels(self, c: np.ndarray) -> np.ndarray:
        z = np.maximum(c[..., 2], 1e-6)
        x = self.cx + self.focal * c[..., 0] / z
        y = self.cy - self.focal * c[..., 1] / z
        return np.stack([x, y], axis=-1)


class _Room:
    """A floor with a grid of lines, four walls with panels; drawn behind everything."""

    GRID_CM = 100.0
    WALL_CM = 320.0
    PANEL_CM = 150.0
    MARGIN_CM = 350.0

    def __init__(self, x0: float, x1: float, z0: float, z1: float):
        self.x0, self.x1, self.z0, self.z1 = x0, x1, z0, z1
        corners = [(x0, z0), (x1, z0), (x1, z1), (x0, z1)]
        self.walls = [(corners[i], corners[(i + 1) % 4]) for i in range(4)]
        self.floor = np.array([[x, 0.0, z] for x, z in corners])
        grid = []
        for x in np.arange(math.ceil(x0 / self.GRID_CM), math.floor(x1 / self.GRID_CM) + 1):
            grid.append(((x * self.GRID_CM, 0.0, z0), (x * self.GRID_CM, 0.0, z1)))
        for z in np.arange(math.ceil(z0 / self.GRID_CM), math.floor(z1 / self.GRID_CM) + 1):
            grid.append(((x0, 0.0, z * self.GRID_CM), (x1, 0.0, z * self.GRID_CM)))
        self.grid = np.array(grid)  # (n, 2, 3)
        panels = []  # rectangles on the walls, slightly inset
        for (ax, az), (bx, bz) in self.walls:
            length = math.hypot(bx - ax, bz - az)
            n = max(1, int(length // self.PANEL_CM))
            step = length / n
            for i in range(n):
                s0, s1 = (i * step + 18) / length, ((i + 1) * step - 18) / length
                p0 = (ax + (bx - ax) * s0, az + (bz - az) * s0)
                p1 = (ax + (bx - ax) * s1, az + (bz - az) * s1)
                panels.append(
                    [
                        (p0[0], 110.0, p0[1]),
                        (p1[0], 110.0, p1[1]),
                        (p1[0], 290.0, p1[1]),
                        (p0[0], 290.0, p0[1]),
                    ]
                )
        quads = np.array(panels)  # (n, 4, 3)
        self.panel_edges = np.concatenate(
            [np.stack([quads[:, i], quads[:, (i + 1) % 4]], axis=1) for i in range(4)]
        )  # (4n, 2, 3)
        skirting = np.array([[(ax, 0.0, az), (bx, 0.0, bz)] for (ax, az), (bx, bz) in self.walls])
        self.lines = np.concatenate([self.grid, skirting])

    @classmethod
    def around(cls, joints: np.ndarray) -> _Room:
        x, z = joints[:, :, 0], joints[:, :, 2]
        m = cls.MARGIN_CM
        return cls(float(x.min()) - m, float(x.max()) + m, float(z.min()) - m, float(z.max()) + m)

    def draw(self, img: np.ndarray, cam: _Camera, look: Look) -> None:
        img[:] = look.wall
        _fill(img, cam, self.floor, look.floor)
        for (ax, az), (bx, bz) in self.walls:
            quad = np.array(
                [[ax, 0, az], [bx, 0, bz], [bx, self.WALL_CM, bz], [ax, self.WALL_CM, az]]
            )
            _fill(img, cam, quad, look.wall)
        _segments(img, cam, self.panel_edges, look.panel, 2)
        _segments(img, cam, self.lines, look.line, 2)


def _clip_polygon(c: np.ndarray) -> np.ndarray:
    """Sutherland-Hodgman clipping of a camera-space polygon to z >= near."""
    out = []
    n = len(c)
    for i in range(n):
        p, q = c[i], c[(i + 1) % n]
        pin, qin = p[2] >= _NEAR_CM, q[2] >= _NEAR_CM
        if pin:
            out.append(p)
        if pin != qin:
            t = (_NEAR_CM - p[2]) / (q[2] - p[2])
            out.append(p + t * (q - p))
    return np.array(out)


def _fill(img: np.ndarray, cam: _Camera, world: np.ndarray, colour) -> None:
    c = _clip_polygon(cam.to_camera(world))
    if len(c) < 3:
        return
    px = np.round(cam.to_pixels(c) * 16).astype(np.int32)  # 4 bits of sub-pixel precision
    cv2.fillPoly(img, [px], colour, lineType=cv2.LINE_AA, shift=4)


def _segments(img: np.ndarray, cam: _Camera, world: np.ndarray, colour, thickness: int) -> None:
    """Draw world segments ``(n, 2, 3)``, each clipped to the camera's near plane."""
    c = cam.to_camera(world.reshape(-1, 3)).reshape(-1, 2, 3)
    p, q = c[:, 0], c[:, 1]
    keep = (p[:, 2] >= _NEAR_CM) | (q[:, 2] >= _NEAR_CM)
    p, q = p[keep], q[keep]
    dz = q[:, 2] - p[:, 2]
    t = np.where(np.abs(dz) > 1e-9, (_NEAR_CM - p[:, 2]) / np.where(dz == 0, 1, dz), 0.0)
    cut = p + t[:, None] * (q - p)
    p = np.where((p[:, 2] < _NEAR_CM)[:, None], cut, p)
    q = np.where((q[:, 2] < _NEAR_CM)[:, None], cut, q)
    px = cam.to_pixels(np.stack([p, q], axis=1))  # (m, 2, 2)
    px = np.clip(px, -(2**20), 2**20)
    lines = list(np.round(px * 16).astype(np.int32))
    if lines:
        cv2.polylines(img, lines, False, colour, thickness, cv2.LINE_AA, shift=4)
