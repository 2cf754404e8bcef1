"""The geometry of a skeleton's motion: resampling in time, mirror images, turns."""

from __future__ import annotations

import numpy as np
import pytest

from mudar.errors import ParameterError
from mudar.features.geometry import mirror_joints, resample_motion, turn_joints
from mudar.synthetic.motion import REST_POSE


def test_resample_motion_is_linear_in_time():
    x = np.arange(50, dtype=np.float64)[:, None] * 2.0  # 2 units per frame at 25 fps
    y = resample_motion(x, fps_in=25.0, fps_out=8.0)
    assert y.shape == (16, 1)  # 2 s
    np.testing.assert_allclose(y[:, 0], np.arange(16) * 25 / 8 * 2.0, atol=1e-5)
    tail = resample_motion(x, fps_in=25.0, fps_out=8.0, n_frames=20)
    assert tail[-1, 0] == x[-1, 0]  # past the end: the last frame


def test_the_rest_pose_is_its_own_mirror_image_and_mirroring_twice_is_identity(rng):
    rest = REST_POSE[None].astype(np.float32)
    np.testing.assert_allclose(mirror_joints(rest, skeleton="dwm23"), rest)
    j = rng.normal(size=(5, 23, 3)).astype(np.float32)
    once = mirror_joints(j, skeleton="dwm23")
    np.testing.assert_allclose(once[:, 3], j[:, 12] * [-1, 1, 1])  # left arm <- right arm
    np.testing.assert_allclose(mirror_joints(once, skeleton="dwm23"), j)
    np.testing.assert_allclose(once[:, 0], j[:, 0] * [-1, 1, 1])  # the head stays
    with pytest.raises(ParameterError):
        mirror_joints(j, skeleton="j23")


def test_a_quarter_turn_about_the_vertical():
    j = np.array([[[1.0, 2.0, 0.0], [0.0, 5.0, 3.0]]])
    out = turn_joints(j, np.pi / 2, up_axis=1)
    np.testing.assert_allclose(out, [[[0.0, 2.0, -1.0], [3.0, 5.0, 0.0]]], atol=1e-6)
    # heights and horizontal radii are kept whatever the angle and the up axis
    z_up = turn_joints(j, 1.0, up_axis=2)
    np.testing.assert_allclose(z_up[..., 2], j[..., 2])
    np.testing.assert_allclose(np.hypot(z_up[..., 0], z_up[..., 1]), np.hypot(j[..., 0], j[..., 1]))
