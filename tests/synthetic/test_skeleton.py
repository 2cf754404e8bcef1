"""The skeleton renderer: sizes and frame counts per look, pixels that follow the joints."""

from __future__ import annotations

import numpy as np
import pytest

from mudar.errors import ParameterError
from mudar.synthetic.motion import REST_POSE, dance_joints
from mudar.synthetic.skeleton import (
    LOOKS,
    Look,
    get_look,
    n_output_frames,
    project_joints,
    render_frames,
)

FPS = 25.0


@pytest.fixture(scope="module")
def joints() -> np.ndarray:
    beats = np.arange(0.2, 3.0, 0.5)
    return dance_joints(beats, n_frames=50, fps=FPS, rng=np.random.default_rng(0))


@pytest.mark.parametrize("name", sorted(LOOKS))
def test_every_look_gives_its_size_and_frame_count(joints, name):
    look = LOOKS[name]
    frames = list(render_frames(joints[:20], fps=FPS, look=look))
    w, h = look.size
    # 20 frames at 25 fps span 0.76 s: frames at k / fps_out up to that
    assert len(frames) == int(np.floor(19 / FPS * look.fps + 1e-9)) + 1
    assert len(frames) == n_output_frames(20, FPS, look.fps)
    for f in frames:
        assert f.shape == (h, w, 3) and f.dtype == np.uint8
    assert frames[0].std() > 10  # a picture, not a blank


def test_frames_stream_one_at_a_time(joints):
    it = render_frames(joints, fps=FPS)
    first = next(it)
    assert first.shape == (320, 320, 3)
    assert sum(1 for _ in it) == 49


def test_moving_joints_change_the_pixels(joints):
    still = np.repeat(REST_POSE[None], 10, axis=0)
    a = list(render_frames(still, fps=FPS))
    # a still dancer and a still camera: every frame the same
    assert all(np.array_equal(a[0], f) for f in a[1:])
    b = list(render_frames(joints[:10], fps=FPS))
    diff = [np.abs(b[i + 1].astype(int) - b[i]).mean() for i in range(9)]
    assert min(diff) > 0.05


def test_raising_an_arm_changes_the_pixels_near_the_figure():
    pose = np.repeat(REST_POSE[None], 2, axis=0).copy()
    pose[1, [4, 5, 6], 1] += 60.0  # one arm raised
    f0, f1 = render_frames(pose, fps=FPS)
    changed = np.any(f0 != f1, axis=-1)
    assert changed.mean() > 0.003
    ys, xs = np.nonzero(changed)
    assert 60 < xs.mean() < 260  # near the figure in the middle, not the backdrop's edges


def test_the_camera_angle_changes_the_picture(joints):
    front = next(render_frames(joints, fps=FPS, look=LOOKS["dwm"]))
    side = next(render_frames(joints, fps=FPS, look=LOOKS["side"]))
    high = next(render_frames(joints, fps=FPS, look=LOOKS["high"]))
    assert np.abs(front.astype(int) - side).mean() > 5
    assert np.abs(front.astype(int) - high).mean() > 5


def test_mirror_flips_the_picture(joints):
    look = Look("m", mirror=True)
    plain = next(render_frames(joints, fps=FPS))
    mirrored = next(render_frames(joints, fps=FPS, look=look))
    assert np.array_equal(mirrored, plain[:, ::-1])


def test_the_camera_follows_a_travelling_dancer():
    walk = np.repeat(REST_POSE[None], 50, axis=0).copy()
    walk[:, :, 0] += np.linspace(0, 300, 50)[:, None]  # 3 m to the side in 2 s
    frames = list(render_frames(walk, fps=FPS, look=Look("t", follow_s=0.2)))
    for f in (frames[0], frames[25], frames[-1]):
        figure = np.all(np.abs(f.astype(int) - Look().figure) < 30, axis=-1)
        assert figure.sum() > 200
        assert 100 < np.nonzero(figure)[1].mean() < 220  # kept near the middle


@pytest.mark.parametrize("body", ["stick", "mannequin"])
@pytest.mark.parametrize("mirror", [False, True])
def test_projected_joints_land_on_the_drawn_figure(joints, mirror, body):
    look = Look("t", yaw_deg=30.0, pitch_deg=20.0, mirror=mirror, body=body)
    px = project_joints(joints[:12], fps=FPS, look=look)
    assert px.shape == (n_output_frames(12, FPS, look.fps), 23, 2)
    # the waist: on the stick's thick trunk; at the mannequin's belt line, on its shirt or
    # trousers, lit or in shadow
    clothes = [look.figure, look.trousers]
    colours = [look.figure] if body == "stick" else clothes + [np.multiply(c, 0.6) for c in clothes]
    for img, p in zip(render_frames(joints[:12], fps=FPS, look=look), px, strict=True):
        x, y = np.round(p[2]).astype(int)
        assert min(np.abs(img[y, x].astype(int) - c).max() for c in colours) < 40


def test_a_camera_that_does_not_lag_keeps_the_waist_in_the_middle():
    walk = np.repeat(REST_POSE[None], 20, axis=0).copy()
    walk[:, :, 0] += np.linspace(0, 100, 20)[:, None]
    px = project_joints(walk, fps=FPS, look=Look("t", follow_s=0.0, yaw_deg=0.0))
    np.testing.assert_allclose(px[:, 2, 0], 160.0, atol=1e-9)  # waist straight ahead: x = w/2
    assert np.all(px[:, 0, 1] < px[:, 9, 1])  # y down: the head above the ankle


def test_coco17_keypoints_are_drawn_and_follow_the_arm():
    from aist_factory import REST

    pose = np.repeat(REST[None], 2, axis=0).copy()
    pose[1, [7, 9], 1] += 50.0  # the left arm raised
    f0, f1 = render_frames(pose, fps=FPS, skeleton="coco17")
    assert f0.shape == (320, 320, 3) and f0.std() > 10
    changed = np.any(f0 != f1, axis=-1)
    assert changed.mean() > 0.003
    assert 60 < np.nonzero(changed)[1].mean() < 260
    with pytest.raises(ParameterError, match=r"\(T, 17, 3\) for coco17"):
        next(render_frames(np.zeros((5, 23, 3)), fps=FPS, skeleton="coco17"))
    with pytest.raises(ParameterError, match="unknown skeleton"):
        next(render_frames(pose, fps=FPS, skeleton="smpl24"))


def test_bad_inputs():
    with pytest.raises(ParameterError, match="shape"):
        next(render_frames(np.zeros((5, 17, 3)), fps=FPS))
    with pytest.raises(ParameterError, match="fps"):
        next(render_frames(np.zeros((5, 23, 3)), fps=0))
    with pytest.raises(ParameterError, match="even"):
        Look("odd", size=(321, 320))
    with pytest.raises(ParameterError, match="unknown look"):
        get_look("nope")
