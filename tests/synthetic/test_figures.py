"""The dancer's bodies: the mannequin covers the joints, occludes by depth, shows a face from
the front and hair from behind, in both layouts; MediaPipe Pose finds it where the joints are."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from mudar import methods
from mudar.errors import ParameterError
from mudar.synthetic.figures import BODIES
from mudar.synthetic.motion import REST_POSE, dance_joints
from mudar.synthetic.skeleton import (
    LOOKS,
    Look,
    get_skeleton,
    project_joints,
    render_frames,
)

FPS = 25.0
# clothes in colours the room (greys and grey-blues) never takes, so a pixel's colour says
# whether it is the mannequin's; follow_s = 0: the camera looks straight at the waist
VIVID = Look(
    "vivid",
    figure=(210, 30, 30),
    trousers=(30, 170, 60),
    shoes=(200, 0, 200),
    skin=(240, 190, 120),
    hair=(120, 60, 0),
    follow_s=0.0,
)


def _palette(look: Look) -> np.ndarray:
    """Each clothing colour lit and in shadow (the figure's shading), (k, 3)."""
    base = np.array([look.figure, look.trousers, look.shoes, look.skin, look.hair], float)
    return np.concatenate([base, base * 0.6])


def _mannequin_mask(img: np.ndarray, look: Look, tol: float = 30.0) -> np.ndarray:
    d = np.abs(img[:, :, None, :].astype(float) - _palette(look)).max(axis=-1)
    return d.min(axis=-1) < tol


def _still(pose: np.ndarray, n: int = 1) -> np.ndarray:
    return np.repeat(pose[None], n, axis=0).copy()


def _coco_rest() -> np.ndarray:
    from aist_factory import REST

    return REST


@pytest.mark.parametrize("layout", ["dwm23", "coco17"])
def test_the_mannequin_fills_the_box_of_its_joints(layout):
    pose = REST_POSE.copy() if layout == "dwm23" else _coco_rest().copy()
    arms = (3, 4, 5, 6, 12, 13, 14, 15, 21, 22) if layout == "dwm23" else (7, 8, 9, 10)
    pose[list(arms), 1] += 15.0  # arms a little raised, out of the trunk's outline
    joints = _still(pose, 2)
    img = next(render_frames(joints, fps=FPS, look=VIVID, skeleton=layout))
    px = project_joints(joints, fps=FPS, look=VIVID, skeleton=layout)[0]
    mask = _mannequin_mask(img, VIVID)
    ys, xs = np.nonzero(mask)
    height = np.ptp(px[:, 1])  # the joints' height in the picture, px
    # every joint the mannequin is built on lies on it
    body = list(get_skeleton(layout).body.coco_body())
    for x, y in np.round(px[body]).astype(int):
        assert mask[y - 1 : y + 2, x - 1 : x + 2].any()
    # the figure spans its joints' box, and its flesh adds at most 15 % of the height round it
    assert xs.min() <= px[:, 0].min() and xs.max() >= px[:, 0].max()
    assert ys.min() <= px[:, 1].min() and ys.max() >= px[:, 1].max()
    assert xs.min() > px[:, 0].min() - 0.15 * height and xs.max() < px[:, 0].max() + 0.15 * height
    assert ys.min() > px[:, 1].min() - 0.15 * height and ys.max() < px[:, 1].max() + 0.15 * height
    # a body, not a skeleton: the trunk is solid and the figure a good share of its box
    box = (xs.max() - xs.min()) * (ys.max() - ys.min())
    assert mask.sum() > 0.25 * box


@pytest.mark.parametrize(("z", "seen"), [(30.0, "skin"), (-30.0, "figure")])
def test_the_nearer_part_occludes(z, seen):
    """The right forearm across the chest: in front of the shirt it shows (skin), behind the
    back the shirt hides it, wherever the parts are in the drawing list."""
    pose = REST_POSE.copy()
    pose[4] = (-4.0, 128.0, 0.6 * z)  # elbow
    pose[5] = (4.0, 124.0, z)
    pose[6] = (10.0, 122.0, z)  # wrist
    pose[21] = (16.0, 121.0, z)
    joints = _still(pose, 2)
    img = next(render_frames(joints, fps=FPS, look=VIVID))
    px = project_joints(joints, fps=FPS, look=VIVID)[0]
    x, y = np.round((px[4] + px[6]) / 2).astype(int)  # the forearm's middle
    colour = np.array(getattr(VIVID, seen), float)
    got = img[y - 1 : y + 2, x - 1 : x + 2].reshape(-1, 3).astype(float)
    near = np.minimum(np.abs(got - colour).max(-1), np.abs(got - 0.6 * colour).max(-1))
    assert (near < 30).sum() >= 5  # most of the 3x3 patch


def test_a_face_from_the_front_and_hair_from_behind():
    joints = _still(REST_POSE, 2)
    eye = np.array((35, 30, 30), float)
    for yaw, face in ((0.0, True), (180.0, False)):
        look = dataclasses.replace(VIVID, yaw_deg=yaw)
        img = next(render_frames(joints, fps=FPS, look=look)).astype(float)
        px = project_joints(joints, fps=FPS, look=look)[0]
        cx, cy = np.round((px[0] + px[1]) / 2).astype(int)  # the head
        head = img[cy - 5 : cy + 8, cx - 6 : cx + 7].reshape(-1, 3)  # the face, or hair
        eyes = (np.abs(head - eye).max(-1) < 30).sum()
        skin = (np.abs(head - VIVID.skin).max(-1) < 30).sum()
        hair = (np.abs(head - VIVID.hair).max(-1) < 30).sum()
        if face:
            assert eyes >= 2 and skin > hair
        else:
            assert eyes == 0 and hair > skin


def test_renders_are_deterministic_and_the_stick_figure_stays():
    joints = dance_joints(
        np.arange(0.2, 1.0, 0.5), n_frames=6, fps=FPS, rng=np.random.default_rng(1)
    )
    a = list(render_frames(joints, fps=FPS))
    b = list(render_frames(joints, fps=FPS))
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    stick = next(render_frames(joints, fps=FPS, look=LOOKS["stick"]))
    assert LOOKS["dwm"].body == "mannequin" and LOOKS["stick"].body == "stick"
    assert np.abs(stick.astype(int) - a[0]).mean() > 1  # another picture of the same dance
    coco = _still(_coco_rest(), 2)
    c1 = next(render_frames(coco, fps=FPS, skeleton="coco17"))
    c2 = next(render_frames(coco, fps=FPS, skeleton="coco17"))
    assert np.array_equal(c1, c2)


def test_bodies_are_named_in_methods_and_checked():
    assert methods.BODY_NAMES == tuple(BODIES)
    assert {lk.body for lk in LOOKS.values()} == set(BODIES)
    with pytest.raises(ParameterError, match="unknown body 'clay'"):
        Look("x", body="clay")


# --- MediaPipe Pose on the mannequin -------------------------------------------------------------

# BlazePose landmarks of COCO-17 keypoints 5-16: shoulders, elbows, wrists, hips, knees, ankles
BLAZE_BODY = (11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)
POSE_TOL = 0.06  # median landmark error allowed, as a fraction of the figure's height


@pytest.mark.parametrize("look_name", ["dwm", "side"])
def test_mediapipe_finds_the_mannequin_where_its_joints_are(look_name):
    mp = pytest.importorskip("mediapipe", reason="needs MediaPipe: pip install 'mudar[pose]'")
    beats = np.arange(0.2, 2.0, 0.5)
    joints = dance_joints(beats, n_frames=40, fps=FPS, rng=np.random.default_rng(0))
    look = LOOKS[look_name]
    truth = project_joints(joints, fps=FPS, look=look)
    height = float(np.median(np.ptp(truth[..., 1], axis=1)))
    truth = truth[:, list(get_skeleton("dwm23").body.coco_body())]  # (n, 12, 2), left first
    w, h = look.size
    found, err = [], []
    with mp.solutions.pose.Pose(model_complexity=1, static_image_mode=False) as pose:
        for k, img in enumerate(render_frames(joints, fps=FPS, look=look)):
            res = pose.process(img)
            found.append(res.pose_landmarks is not None)
            if res.pose_landmarks is not None:
                lm = res.pose_landmarks.landmark
                est = np.array([[lm[i].x * w, lm[i].y * h] for i in BLAZE_BODY])
                err.append(np.linalg.norm(est - truth[k], axis=-1) / height)
    assert np.mean(found) >= 0.9
    med = np.median(np.array(err), axis=0).reshape(6, 2)  # group, left/right
    # shoulders, hips, knees, ankles, with MediaPipe's own left and right (no mirror here)
    for group in (0, 3, 4, 5):
        assert med[group].max() < POSE_TOL, (group, med)
