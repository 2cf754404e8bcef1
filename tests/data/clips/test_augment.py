"""Look augmentation: the pictures move as the look says, and the motion input follows them;
MotionBeat's joints augmentation keeps heights."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mudar.data.clips.augment import Augment, apply_look, augment_joints, draw_look
from mudar.data.clips.sampling import rng_for
from mudar.errors import ParameterError

B = 32  # HOOF bins
S = 32  # frame side


def identity(**changes) -> dict:
    look = {
        "flip": False,
        "zoom": 1.0,
        "roll": 0.0,
        "shift": [0.0, 0.0],
        "gain": [1.0, 1.0, 1.0],
        "contrast": 1.0,
        "brightness": 0.0,
        "permute": [0, 1, 2],
    }
    return {**look, **changes}


def dot_frames(x: int, y: int) -> torch.Tensor:
    """One frame, black with a white 2x2 dot whose top-left pixel is (x, y)."""
    f = torch.zeros(1, 3, S, S)
    f[..., y : y + 2, x : x + 2] = 1.0
    return f


def brightest(frames: torch.Tensor) -> tuple[float, float]:
    """(x, y) of the brightness centroid of the first frame, pixels."""
    g = frames[0].mean(0)
    ys, xs = torch.meshgrid(torch.arange(S), torch.arange(S), indexing="ij")
    w = g / g.sum()
    return float((w * xs).sum()), float((w * ys).sum())


def motion_towards(bin_: int) -> torch.Tensor:
    m = torch.zeros(1, B + 1)
    m[0, bin_] = 1.0
    m[0, B] = float(np.log1p(2.0))  # mean speed 2 pixels per frame
    return m


def test_the_identity_look_changes_nothing():
    frames = torch.rand(4, 3, S, S)
    motion = torch.rand(4, B + 1)
    f, m = apply_look(frames, motion, identity())
    torch.testing.assert_close(f, frames, atol=1e-5, rtol=0)
    torch.testing.assert_close(m, motion)


def test_a_mirror_image_swaps_left_and_right_in_the_pictures_and_the_flow():
    frames = torch.rand(2, 3, S, S)
    f, _ = apply_look(frames, torch.zeros(2, B + 1), identity(flip=True))
    torch.testing.assert_close(f, frames.flip(-1), atol=1e-5, rtol=0)
    for before, after in ((0, B // 2), (B // 4, B // 4), (B // 8, 3 * B // 8)):
        _, m = apply_look(frames[:1], motion_towards(before), identity(flip=True))
        assert int(m[0, :B].argmax()) == after  # right <-> left, up stays up


def test_a_roll_turns_the_picture_and_the_flow_the_same_way():
    # anticlockwise by 90 degrees: a dot right of the centre goes above it, rightward motion
    # becomes upward motion
    f, m = apply_look(dot_frames(26, 15), motion_towards(0), identity(roll=90.0))
    x, y = brightest(f)
    assert abs(x - 15.5) < 1.0 and y < 8.0
    assert int(m[0, :B].argmax()) == B // 4
    _, m = apply_look(dot_frames(26, 15), motion_towards(0), identity(roll=11.25))
    assert int(m[0, :B].argmax()) == 1  # one bin is 11.25 degrees


def test_zooming_out_shrinks_the_picture_onto_black_and_slows_the_flow():
    frames = torch.ones(1, 3, S, S)
    f, m = apply_look(frames, motion_towards(3), identity(zoom=0.5))
    assert float(f[0, :, 0, 0].max()) == 0.0 and float(f[0, :, S // 2, S // 2].min()) > 0.99
    assert float(f.mean()) == pytest.approx(0.25, abs=0.03)
    assert float(torch.expm1(m[0, B])) == pytest.approx(1.0)  # 2 px/frame at half the size
    assert float(m[0, :B].sum()) == pytest.approx(1.0)  # the HOOF keeps its mass


def test_colours_stay_in_range_and_leave_the_flow_alone():
    frames = torch.rand(3, 3, S, S)
    motion = torch.rand(3, B + 1)
    look = identity(gain=[1.3, 0.7, 1.1], contrast=1.4, brightness=0.15, permute=[2, 0, 1])
    f, m = apply_look(frames, motion, look)
    assert float(f.min()) >= 0.0 and float(f.max()) <= 1.0
    assert not torch.allclose(f, frames)
    torch.testing.assert_close(m, motion)


def test_looks_are_drawn_from_the_items_generator():
    a = draw_look(rng_for(0, 1, 5))
    assert a == draw_look(rng_for(0, 1, 5))
    assert a != draw_look(rng_for(0, 2, 5))
    looks = [draw_look(rng_for(0, 0, i)) for i in range(200)]
    assert 0.35 < np.mean([x["flip"] for x in looks]) < 0.65
    zooms = np.array([x["zoom"] for x in looks])
    assert zooms.min() >= 0.6 and zooms.max() <= 1.5 and (zooms < 1).any() and (zooms > 1).any()


def test_augment_joints_keeps_heights_up_to_the_scale(rng):
    j = rng.normal(size=(8, 23, 3)).astype(np.float32)
    aug = Augment(scale=0.0, mirror_p=1.0)
    out = augment_joints(j, rng=rng, augment=aug, skeleton="dwm23")
    np.testing.assert_allclose(np.sort(out[..., 1], 1), np.sort(j[..., 1], 1), atol=1e-6)
    with pytest.raises(ParameterError):
        Augment(scale=1.5)
