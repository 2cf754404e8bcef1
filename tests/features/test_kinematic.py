"""Kinematic features: beats of a limb swinging at a known period, contacts of a foot planted on
known frames, normalisation invariances, and the numpy smoothing and minima against scipy."""

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter1d
from scipy.signal import argrelextrema

from mudar.errors import ParameterError
from mudar.features.kinematic import (
    BAILANDO_SIGMA_S,
    FOOT_JOINTS,
    ROOT_JOINTS,
    _strict_minima,
    body_scale,
    floor_height,
    foot_contacts,
    gaussian_smooth,
    joint_speed,
    kinematic_beats,
    normalize_motion,
    smooth_runs,
)

FPS = 50.0


def swinging_limbs(*, turn_every_s: float, duration_s: float, fps: float = FPS, first_s=0.0):
    """A root walking across the floor and bobbing, with two limbs swinging about it.

    Each limb's offset from the root is ``A cos(pi (t - first_s) / turn_every_s)``: it stops
    and turns back every ``turn_every_s`` seconds, at ``first_s + k * turn_every_s``.
    """
    t = np.arange(round(duration_s * fps) + 1) / fps
    phase = np.pi * (t - first_s) / turn_every_s
    root = np.stack([30.0 * t, 100 + 3 * np.sin(0.7 * t), -12.0 * t], axis=1)  # (T, 3)
    arm = np.stack([40 * np.cos(phase), 10 * np.cos(phase), np.zeros_like(t)], axis=1)
    leg = np.stack([np.zeros_like(t), -60 + 0 * t, 25 * np.cos(phase)], axis=1)
    return np.stack([root, root + arm, root + leg], axis=1).astype(np.float32)  # (T, 3, 3)


def test_swinging_limb_gives_beats_at_its_turns():
    joints = swinging_limbs(turn_every_s=0.4, duration_s=10.0)
    beats = kinematic_beats(joints, fps=FPS, root=0)
    # every turn but those on the first and last frame, to the frame
    np.testing.assert_allclose(beats, np.arange(1, 25) * 0.4, atol=1e-9)


def test_beats_at_an_offset_and_any_smoothing():
    joints = swinging_limbs(turn_every_s=0.5, duration_s=6.1, first_s=0.1)
    want = 0.1 + 0.5 * np.arange(12)
    np.testing.assert_allclose(kinematic_beats(joints, fps=FPS, sigma_s=0, root=0), want)
    for sigma_s in (BAILANDO_SIGMA_S, 0.1, 0.2):
        got = kinematic_beats(joints, fps=FPS, sigma_s=sigma_s, root=0)
        # smoothing is symmetric about a turn, so it leaves it in place (away from the ends,
        # where the mirrored speed may move the first turn by a frame or two)
        inner = (got > 4 * sigma_s) & (got < 6.1 - 4 * sigma_s)
        keep = (want > 4 * sigma_s) & (want < 6.1 - 4 * sigma_s)
        np.testing.assert_allclose(got[inner], want[keep], atol=1e-9)


def test_world_frame_speed_keeps_the_travel():
    joints = swinging_limbs(turn_every_s=0.4, duration_s=4.0)
    rel = joint_speed(joints, fps=FPS, sigma_s=0, root=0)
    world = joint_speed(joints, fps=FPS, sigma_s=0, root=None)
    # relative to the root the limbs stop at their turns; in the world they keep the root's pace
    assert rel.min() == pytest.approx(0.0, abs=1e-3)
    assert world.min() > 20.0


def test_joint_speed_known_value():
    # one limb circling the root at radius 10 cm, one turn a second: speed 2 pi 10 cm/s
    t = np.arange(200) / FPS
    limb = np.stack([10 * np.cos(2 * np.pi * t), 10 * np.sin(2 * np.pi * t), 0 * t], axis=1)
    joints = np.stack([np.zeros_like(limb), limb], axis=1)
    speed = joint_speed(joints, fps=FPS, sigma_s=0.0, root=0)
    np.testing.assert_allclose(speed[1:-1], 2 * np.pi * 10, rtol=3e-3)  # central differences


def test_min_separation_drops_a_minimum_near_a_lower_one():
    # a point moving along x at a speed with minima at 1.0 s (lowest), 1.1 s and 2.0 s
    t = np.arange(151) / FPS
    speed = 50 - 40 * np.exp(-(((t - 1.0) / 0.03) ** 2)) - 30 * np.exp(-(((t - 1.1) / 0.03) ** 2))
    speed -= 45 * np.exp(-(((t - 2.0) / 0.03) ** 2))
    x = np.concatenate([[0.0], np.cumsum((speed[1:] + speed[:-1]) / 2) / FPS])
    joints = np.stack([x, 0 * x, 0 * x], axis=1)[:, None, :]
    free = kinematic_beats(joints, fps=FPS, sigma_s=0, root=None)
    np.testing.assert_allclose(free, [1.0, 1.1, 2.0], atol=1e-9)
    spaced = kinematic_beats(joints, fps=FPS, sigma_s=0, root=None, min_separation_s=0.2)
    np.testing.assert_allclose(spaced, [1.0, 2.0], atol=1e-9)


def test_numpy_smoothing_equals_scipy(rng):
    x = rng.normal(size=(37, 4))
    for sigma in (0.5, 1.5, 4.1, 30.0):  # 30: the kernel is wider than the signal
        np.testing.assert_allclose(
            gaussian_smooth(x, sigma=sigma), gaussian_filter1d(x, sigma, axis=0), atol=1e-12
        )
    np.testing.assert_allclose(
        gaussian_smooth(x, sigma=2.0, axis=1), gaussian_filter1d(x, 2.0, axis=1), atol=1e-12
    )
    np.testing.assert_array_equal(gaussian_smooth(x, sigma=0.0), x)
    # point reflection: a straight line stays straight up to its ends
    line = 3.0 * np.arange(20.0) - 7
    np.testing.assert_allclose(gaussian_smooth(line, sigma=3.0, mode="odd"), line, atol=1e-12)
    assert not np.allclose(gaussian_smooth(line, sigma=3.0), line)


def test_minima_equal_scipy_argrelextrema(rng):
    x = np.round(rng.normal(size=300), 1)  # ties on purpose
    for order in (1, 2, 5, 10):
        want = argrelextrema(x, np.less, order=order)[0]
        np.testing.assert_array_equal(_strict_minima(x, order), want)


def test_normalize_is_translation_and_scale_invariant(rng):
    joints = rng.normal(scale=30, size=(60, 17, 3))
    drift = np.cumsum(rng.normal(scale=5, size=(60, 1, 3)), axis=0)  # any per-frame shift
    moved = 0.01 * joints + drift  # metres, walking about
    root = ROOT_JOINTS["coco17"]
    a = normalize_motion(joints, root=root)
    np.testing.assert_allclose(normalize_motion(moved, root=root), a, atol=1e-9)
    np.testing.assert_allclose(a[:, list(root)].mean(axis=1), 0.0, atol=1e-12)
    # body-scale units: the median RMS distance to the root is 1
    assert body_scale(a, root=root) == pytest.approx(1.0)


def test_normalize_keeping_height_keeps_the_bob(rng):
    t = np.arange(100) / FPS
    body = rng.normal(scale=20, size=(1, 5, 3)) + np.zeros((100, 1, 1))
    body[:, 4, 1] = -80  # a foot, the lowest joint
    body[:, :4, 1] += 5 * np.sin(2 * np.pi * t)[:, None]  # everything but the foot bobs
    walk = np.stack([20 * t, 0 * t, 0 * t], axis=1)[:, None, :]
    a = normalize_motion(body + walk, root=0, keep_height=True, fps=FPS)
    b = normalize_motion(2 * body + 7, root=0, keep_height=True, fps=FPS)
    np.testing.assert_allclose(a, b, atol=1e-9)
    np.testing.assert_allclose(a[:, 4, 1], 0.0, atol=1e-9)  # the foot on the floor
    assert np.ptp(a[:, 0, 1]) > 0.1  # the root still rises and falls
    assert np.ptp(normalize_motion(body, root=0)[:, 0, 1]) == 0  # without keep_height it is 0
    with pytest.raises(ParameterError):
        normalize_motion(body, keep_height=True)  # a floor window needs fps


def test_body_scale_by_hand():
    joints = np.zeros((3, 3, 3))
    joints[:, 1, 0] = 3.0
    joints[:, 2, 1] = 4.0
    assert body_scale(joints, root=0) == pytest.approx(np.sqrt((0 + 9 + 16) / 3))


def stepping_foot(*, fps=FPS, drift_cm_s=0.0):
    """A foot 2 s a cycle: 1 s planted at 6 cm, 0.5 s hovering at 30 cm, 0.5 s swinging forward
    at 120 cm/s at 30 cm. Returns joints (T, 2, 3) (a hip and the foot) and the phase label."""
    t = np.arange(round(10 * fps)) / fps
    c = t % 2.0
    planted, hover = c < 1.0, (c >= 1.0) & (c < 1.5)
    x = np.where(c >= 1.5, 120 * (c - 1.5), np.where(planted, 0.0, 0.0)) + 60 * (t // 2)
    x = np.where(planted, 60 * (t // 2), x)
    x = np.where(hover, 60 * (t // 2), x)
    y = np.where(planted, 6.0, 30.0) + drift_cm_s * t
    foot = np.stack([x, y, 0 * t], axis=1)
    hip = foot + np.array([0.0, 90.0, 0.0])
    label = np.where(planted, "planted", np.where(hover, "hover", "swing"))
    return np.stack([hip, foot], axis=1), label, t


def _away_from_changes(label, t, margin_s=0.2):
    change = np.flatnonzero(label[1:] != label[:-1]) + 1
    near = np.zeros(len(t), bool)
    for k in change:
        near |= np.abs(t - t[k]) < margin_s
    return ~near


@pytest.mark.parametrize("drift", [0.0, 0.7])
def test_foot_contact_on_known_frames(drift):
    joints, label, t = stepping_foot(drift_cm_s=drift)  # 0.7 cm/s: dwm's capture drift
    p = foot_contacts(joints, fps=FPS, foot_joints=[1])
    assert p.shape == (len(t), 1)
    assert np.all((p >= 0) & (p <= 1))
    ok = _away_from_changes(label, t)
    assert p[ok & (label == "planted"), 0].min() > 0.9
    assert p[ok & (label == "hover"), 0].max() < 0.05  # still but up
    assert p[ok & (label == "swing"), 0].max() < 0.05  # up and moving


def test_foot_contact_speed_term_alone():
    # on the floor all the time, still in the first half, sliding at 80 cm/s in the second
    t = np.arange(200) / FPS
    x = np.where(t < 2, 0.0, 80 * (t - 2))
    foot = np.stack([x, 5 + 0 * t, 0 * t], axis=1)[:, None, :]
    p = foot_contacts(foot, fps=FPS, foot_joints=(0,), floor_window_s=None)[:, 0]
    assert p[t < 1.8].min() > 0.9
    assert p[t > 2.2].max() < 0.01


def test_running_floor_follows_drift():
    t = np.arange(500) / FPS
    h = 5 + 2.0 * t + 20 * (np.sin(2 * np.pi * t) > 0)  # on the floor half of each second
    floor = floor_height(h, fps=FPS, window_s=2.0)
    inner = (t > 1) & (t < 9)
    np.testing.assert_allclose(floor[inner], 5 + 2.0 * t[inner], atol=2.5)
    whole = floor_height(h, fps=None, window_s=None)
    assert np.ptp(whole) == 0


def test_foot_joint_tables():
    assert FOOT_JOINTS["coco17"] == (15, 16)
    assert set(FOOT_JOINTS) == set(ROOT_JOINTS) == {"dwm23", "coco17"}


@pytest.mark.parametrize(
    "call",
    [
        lambda j: kinematic_beats(j, fps=0),
        lambda j: kinematic_beats(j, fps=FPS, sigma_s=-1),
        lambda j: kinematic_beats(j, fps=FPS, min_separation_s=-0.1),
        lambda j: kinematic_beats(j[:, :, :2], fps=FPS),
        lambda j: kinematic_beats(j, fps=FPS, root=5),
        lambda j: joint_speed(j[:1], fps=FPS),
        lambda j: normalize_motion(j, up_axis=3),
        lambda j: normalize_motion(np.where(np.ones_like(j, bool), np.nan, j)),
        lambda j: foot_contacts(j, fps=FPS, foot_joints=[]),
        lambda j: foot_contacts(j, fps=FPS, foot_joints=[9]),
        lambda j: foot_contacts(j, fps=FPS, foot_joints=[1], floor_quantile=0.7),
        lambda j: foot_contacts(j, fps=FPS, foot_joints=[1], speed_width=0),
        lambda j: gaussian_smooth(j, sigma=float("nan")),
        lambda j: body_scale(np.zeros_like(j)),
    ],
)
def test_bad_arguments(call):
    joints = swinging_limbs(turn_every_s=0.4, duration_s=1.0)
    with pytest.raises(ParameterError):
        call(joints)


def test_running_median_takes_out_a_slip_keeps_a_stop_and_not_across_a_gap():
    # a keypoint that moves, stops, and moves back; one frame slips away at 10 and a gap at 30
    x = np.r_[np.linspace(0, 10, 20), np.full(20, 10.0), np.linspace(10, 0, 20)][:, None]
    x[10] += 50.0
    x[30] = np.nan
    out = smooth_runs(x, fps=25.0, sigma_s=0.0, median_s=0.12)  # 3 frames at 25 fps
    assert abs(out[10, 0] - (x[9, 0] + x[11, 0]) / 2) < 1.0  # the slip is gone
    np.testing.assert_allclose(out[20:29], 10.0)  # the stop stays a stop
    assert np.isnan(out[30, 0]) and out[29, 0] == 10.0 and out[31, 0] == 10.0  # nothing crosses
    # below three frames no median: the values as they were (and the Gaussian alone after it)
    np.testing.assert_array_equal(smooth_runs(x, fps=10.0, sigma_s=0.0, median_s=0.12), x)
    ref = smooth_runs(x, fps=25.0, sigma_s=0.04)
    np.testing.assert_allclose(ref[:30], gaussian_filter1d(x[:30], 1.0, axis=0, mode="nearest"))
