"""Directogram and impact envelope: one direction fills one bin, stops peak where they happen."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from mudar.errors import ParameterError
from mudar.features.analysis import Analysis, AnalysisConfig
from mudar.features.dance import DanceFeatures
from mudar.features.directogram import (
    directogram,
    directogram_rhythm,
    directogram_sequence,
    impact_envelope,
)
from mudar.methods import DANCE_RHYTHM, RHYTHM_EVAL
from mudar.tasks.rhythm import dance_rhythm

B = 32
FPS = 8.0
STOPS = [6, 17, 27]  # frames where the square arrives and stays
STARTS = [12, 24]  # frames after which it moves again


def uniform_flow(dx: float, dy: float, *, t: int = 3, shape=(12, 16)) -> np.ndarray:
    f = np.empty((t, *shape, 2), np.float32)
    f[..., 0], f[..., 1] = dx, dy
    return f


def texture(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Multi-scale random texture, float32 in about [0, 255]."""
    t = np.zeros((h, w), np.float32)
    for sigma in (1, 2, 4):
        n = cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), sigma)
        t += n / n.std() * sigma**0.5
    return 128 + 25 * t


def stop_and_go(rng, *, n: int = 32, speed: int = 4, size: int = 128) -> list[np.ndarray]:
    """A textured square moving right at ``speed`` px/frame into each frame of a moving spell
    (frames 1-6, 13-17, 25-27) and standing still otherwise, on a still backdrop."""
    moving = {*range(1, 7), *range(13, 18), *range(25, 28)}
    bg, obj = texture(rng, size, size), texture(rng, 32, 32) * 0.6 + 40
    x, frames = 8, []
    for k in range(n):
        x += speed if k in moving else 0
        img = bg.copy()
        img[48:80, x : x + 32] = obj
        img += rng.normal(0, 1.0, img.shape).astype(np.float32)
        frames.append(np.clip(img, 0, 255).astype(np.uint8))
    return frames


# --- the directogram ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dx", "dy", "bin_"),
    [(2.0, 0.0, 0), (0.0, -3.0, B // 4), (-1.5, 0.0, B // 2), (0, 2, 3 * B // 4)],
)
def test_one_direction_fills_one_bin(dx, dy, bin_):
    d = directogram(uniform_flow(dx, dy), bins=B)
    assert d.shape == (3, B) and d.dtype == np.float32
    speed = float(np.hypot(dx, dy))
    np.testing.assert_allclose(d[:, bin_], 12 * 16 * speed, rtol=1e-4)
    assert np.all(np.delete(d, bin_, axis=1) == 0)


def test_directogram_of_a_sequence_is_the_unnormalised_hoof(rng):
    frames = stop_and_go(rng, n=8)
    d = directogram_sequence(frames, bins=B, camera="none", scale=1.0)
    assert d.shape == (8, B)
    assert not d[0].any()  # no incoming flow
    # the square moves right: most of the magnitude lies around bin 0
    moving = d[1:7].sum(0)
    near_right = moving[[B - 1, 0, 1]].sum()
    assert near_right > 0.8 * moving.sum()


def test_directogram_rejects_bad_flow():
    with pytest.raises(ParameterError):
        directogram(np.zeros((4, 5, 2)))
    assert directogram(np.zeros((0, 4, 5, 2)), bins=8).shape == (0, 8)


# --- the impact envelope -----------------------------------------------------------------------


def test_stops_are_impacts_and_starts_are_not():
    speed = 5.0
    d = np.zeros((32, B), np.float32)
    for a, b, bin_ in ((1, 7, 0), (13, 18, 8), (25, 28, 20)):  # motion into frames a .. b-1
        d[a:b, bin_] = speed
    env = impact_envelope(d, sigma_deg=0)
    assert env.shape == (32,) and env.dtype == np.float32
    assert np.flatnonzero(env).tolist() == STOPS
    np.testing.assert_allclose(env[STOPS], 1.0)
    frames, env2 = directogram_rhythm(d, fps=FPS, sigma_deg=0)
    assert frames.tolist() == STOPS
    np.testing.assert_array_equal(env, env2)


def test_a_slight_turn_is_not_a_stop():
    """Motion turning by one bin goes on; smoothed over directions, it reads as far less of an
    impact than a stop."""
    d = np.zeros((10, B), np.float32)
    d[1:5, 0] = 4.0
    d[5:, 1] = 4.0  # turns by one bin (11 degrees) at frame 4
    d[8:] = 0  # and stops at frame 7
    env = impact_envelope(d)
    assert env[7] == pytest.approx(1.0) and env[4] < 0.5
    assert impact_envelope(d, sigma_deg=0)[4] == pytest.approx(1.0)


@pytest.mark.parametrize("backend", ["farneback", "dis"])
def test_impacts_of_real_flow_fall_on_the_stops(rng, backend):
    """Estimated flow varies in speed within a moving spell (small impacts, up to 0.35); the
    stops stand out above them and the starts give none."""
    frames = stop_and_go(rng)
    d = directogram_sequence(frames, backend=backend, bins=B, camera="none", scale=1.0)
    peaks, env = directogram_rhythm(d, fps=FPS, threshold=0.5)
    assert peaks.tolist() == STOPS
    assert sorted(np.argsort(env)[-3:].tolist()) == STOPS and env[STOPS].min() > 0.7
    assert np.delete(env, STOPS).max() < 0.4 and env[STARTS].max() < 0.1


def test_impact_envelope_inputs():
    assert impact_envelope(np.zeros((1, B))).tolist() == [0.0]
    assert not impact_envelope(np.zeros((5, B))).any()
    for bad in (np.zeros(5), -np.ones((5, B)), np.full((5, B), np.nan)):
        with pytest.raises(ParameterError):
            impact_envelope(bad)
    with pytest.raises(ParameterError):
        impact_envelope(np.zeros((5, B)), sigma_deg=-1)


# --- registered as a dance rhythm method -------------------------------------------------------


def test_registered_as_a_dance_rhythm_method():
    assert "directogram" in DANCE_RHYTHM and "directogram" in RHYTHM_EVAL
    raw = np.zeros((32, B), np.float32)
    for a, b in ((1, 7), (13, 18), (25, 28)):
        raw[a:b, 0] = 3.0
    magnitude = raw.sum(1)
    hoof = np.divide(raw, magnitude[:, None], out=np.zeros_like(raw), where=magnitude[:, None] > 0)
    dance = DanceFeatures(
        hoof=hoof,
        magnitude=magnitude,
        strength=np.zeros(32, np.float32),
        rhythm_frames=np.zeros(0, np.int64),
    )
    analysis = Analysis(path="x.mp4", config=AnalysisConfig(), n_frames=32, dance=dance)
    frames, strength = dance_rhythm(analysis, method="directogram")
    assert frames.tolist() == STOPS and strength.shape == (32,)
