"""HOOF (Eq. 3-4): known directions, zero motion, camera compensation, streaming."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from mudar.errors import ParameterError
from mudar.features.flow import DISFlow, FarnebackFlow
from mudar.features.hoof import hoof, hoof_sequence

B = 32


def texture(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Multi-scale random texture, float32 in about [0, 255]."""
    t = np.zeros((h, w), np.float32)
    for sigma in (1, 2, 4, 8):
        n = cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), sigma)
        t += n / n.std() * sigma**0.5
    return 128 + 25 * t


def translating(rng, v: tuple[float, float], *, n: int = 6, size: int = 256) -> list[np.ndarray]:
    """``n`` frames of a texture whose content moves by ``v = (dx, dy)`` px per frame."""
    big = texture(rng, size + 2 * 64, size + 2 * 64)
    out = []
    for k in range(n):
        m = np.float32([[1, 0, -64 + k * v[0]], [0, 1, -64 + k * v[1]]])
        img = cv2.warpAffine(big, m, (size, size), flags=cv2.INTER_LINEAR)
        out.append(np.clip(img, 0, 255).astype(np.uint8))
    return out


def uniform_flow(dx: float, dy: float, shape=(20, 30)) -> np.ndarray:
    f = np.empty((*shape, 2), np.float32)
    f[..., 0], f[..., 1] = dx, dy
    return f


# --- hoof of one flow field -------------------------------------------------------------------


@pytest.mark.parametrize(
    "v, bin_",
    [((2, 0), 0), ((0, -2), 8), ((-2, 0), 16), ((0, 2), 24), ((1, -1), 4), ((-1, 1), 20)],
    ids=["right", "up", "left", "down", "up-right", "down-left"],
)
def test_uniform_flow_fills_one_bin(v, bin_):
    h = hoof(uniform_flow(*v), bins=B)
    assert h.shape == (B,) and h.dtype == np.float32
    assert h.argmax() == bin_
    # Eq. 4: the bin holds the summed magnitude of all 600 pixels
    np.testing.assert_allclose(h[bin_], 600 * np.hypot(*v), rtol=1e-4)
    np.testing.assert_allclose(h.sum(), h[bin_], rtol=1e-6)


@pytest.mark.parametrize("deg, bin_", [(5.0, 0), (-5.0, 0), (6.0, 1), (-6.0, 31), (174.0, 15)])
def test_bins_are_centred_on_their_direction(deg, bin_):
    # bin b spans 2*pi*b/B +- half a bin (5.625 degrees at 32 bins)
    a = np.radians(deg)
    h = hoof(uniform_flow(np.cos(a), -np.sin(a)), bins=B)
    assert h.argmax() == bin_ and h[bin_] == pytest.approx(h.sum())


def reference_hoof(flow: np.ndarray, bins: int) -> np.ndarray:
    """Eq. 3-4 written plainly: a loop over bins with exact arctan2."""
    dx, dy = flow[..., 0].astype(np.float64), flow[..., 1].astype(np.float64)
    theta = np.mod(np.arctan2(-dy, dx), 2 * np.pi)
    width = 2 * np.pi / bins
    out = np.zeros(bins)
    for b in range(bins):
        d = np.abs(np.angle(np.exp(1j * (theta - b * width))))  # circular distance to centre
        out[b] = np.hypot(dx, dy)[d < width / 2].sum()
    return out


def reference_hoof_literal(flow: np.ndarray, bins: int) -> np.ndarray:
    """Eq. 4 as written, plainly: every bin within 2 pi / B of the direction gets the vote."""
    dx, dy = flow[..., 0].astype(np.float64), flow[..., 1].astype(np.float64)
    theta = np.mod(np.arctan2(-dy, dx), 2 * np.pi)
    width = 2 * np.pi / bins
    out = np.zeros(bins)
    for b in range(bins):
        d = np.abs(np.angle(np.exp(1j * (theta - b * width))))
        out[b] = np.hypot(dx, dy)[d <= width].sum()
    return out


@pytest.mark.parametrize(
    "deg, bins_",
    [(0.0, (31, 0, 1)), (90.0, (7, 8, 9)), (45.0, (3, 4, 5)), (5.625, (0, 1)), (-8.0, (31, 0))],
)
def test_literal_vote_is_eq_4_as_written(deg, bins_):
    # a direction on a bin centre is within 2 pi / B of three centres, between two of two
    a = np.radians(deg)
    h = hoof(uniform_flow(2 * np.cos(a), -2 * np.sin(a)), bins=B, vote="literal")
    assert set(np.flatnonzero(h > 0)) == set(bins_)
    np.testing.assert_allclose(h[list(bins_)], 600 * 2.0, rtol=1e-4)  # each the full magnitude
    near = hoof(uniform_flow(2 * np.cos(a), -2 * np.sin(a)), bins=B)
    np.testing.assert_allclose(h.sum(), len(bins_) * near.sum(), rtol=1e-4)


def test_literal_vote_equals_its_reference(rng):
    # directions kept 0.05 bin or more off the centres, where a rounding could flip a vote
    u = rng.uniform(0, B, 4000)
    u = np.floor(u) + 0.05 + 0.9 * (u - np.floor(u))
    a, r = u * 2 * np.pi / B, rng.uniform(0.5, 4, 4000)
    flow = np.stack([r * np.cos(a), -r * np.sin(a)], -1).reshape(80, 50, 2).astype(np.float32)
    got = hoof(flow, bins=B, vote="literal")
    np.testing.assert_allclose(got, reference_hoof_literal(flow, B), rtol=1e-4)
    np.testing.assert_allclose(got.sum(), 2 * hoof(flow, bins=B).sum(), rtol=1e-4)
    with pytest.raises(ParameterError):
        hoof(flow, bins=B, vote="soft")


def test_literal_vote_reaches_the_analysis_without_changing_the_default_key():
    from mudar.features.analysis import AnalysisConfig
    from mudar.models.config import MudarConfig
    from mudar.models.presets import MUDAR_PRESETS as PRESETS

    # the default keys, as without the option (they change with FEATURES_VERSION only)
    assert AnalysisConfig().key() == "85731f504c38"
    assert PRESETS["cpu"].model.analysis_config().key() == "e67d2dc7c14a"
    literal = AnalysisConfig(hoof_vote="literal")
    assert literal.key() != AnalysisConfig().key()
    assert AnalysisConfig.from_dict(literal.to_dict()) == literal
    assert AnalysisConfig.from_dict(AnalysisConfig().to_dict()) == AnalysisConfig()
    assert MudarConfig(hoof_vote="literal").analysis_config().hoof_vote == "literal"
    with pytest.raises(ParameterError):
        AnalysisConfig(hoof_vote="soft")


def test_hoof_equals_reference(rng):
    flow = rng.normal(0, 3, (64, 48, 2)).astype(np.float32)
    fast, slow = hoof(flow, bins=12), reference_hoof(flow, 12)
    np.testing.assert_allclose(fast.sum(), slow.sum(), rtol=1e-5)
    # the fast angle is good to ~0.3 degree: only vectors on a bin edge may land next door
    assert np.abs(fast - slow).sum() < 2e-3 * slow.sum()


def test_zero_flow_gives_zero_histogram():
    h = hoof(np.zeros((16, 16, 2), np.float32))
    assert h.shape == (32,) and np.all(h == 0)


def test_min_speed_drops_slow_vectors():
    f = uniform_flow(0.05, 0.0)
    f[:5] = (3.0, 0.0)
    h = hoof(f, min_speed=0.1)
    np.testing.assert_allclose(h.sum(), 5 * 30 * 3.0, rtol=1e-5)


def test_hoof_rejects_bad_input():
    with pytest.raises(ParameterError):
        hoof(np.zeros((4, 4, 3)))
    with pytest.raises(ParameterError):
        hoof(np.zeros((4, 4, 2)), bins=1)
    with pytest.raises(ParameterError):
        hoof(np.zeros((4, 4, 2)), min_speed=-1)


# --- hoof_sequence ----------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["dis", "farneback"])
@pytest.mark.parametrize(
    "v, bin_", [((3, 0), 0), ((0, -3), 8), ((3, -3), 4)], ids=["right", "up", "up-right"]
)
def test_steady_translation_fills_its_bin(backend, v, bin_, rng):
    frames = translating(rng, v)
    h, mag = hoof_sequence(frames, backend=backend, camera="none", bins=B)
    assert h.shape == (6, B) and h.dtype == np.float32 and mag.shape == (6,)
    assert np.all(h[0] == 0) and mag[0] == 0  # no flow into frame 0
    assert np.all(h[1:].argmax(axis=1) == bin_)
    assert np.all(h[1:, bin_] > 0.8), h[1:, bin_]
    np.testing.assert_allclose(h[1:].sum(axis=1), 1, rtol=1e-5)
    # total magnitude in input pixels: every one of the 256 x 256 pixels moves |v|
    np.testing.assert_allclose(mag[1:], 256 * 256 * np.hypot(*v), rtol=0.15)


def test_normalised_hoof_times_magnitude_is_the_hoof(rng):
    frames = translating(rng, (2.5, -1), n=3, size=128)
    h, mag = hoof_sequence(frames, backend=DISFlow(), camera="none", scale=1.0, bins=B)
    for k in (1, 2):
        direct = hoof(DISFlow()(frames[k - 1], frames[k]), bins=B)
        np.testing.assert_allclose(h[k] * mag[k], direct, rtol=1e-4, atol=1e-2)


def test_magnitude_does_not_depend_on_scale(rng):
    frames = translating(rng, (4, 0), n=3)
    _, full = hoof_sequence(frames, backend=FarnebackFlow(), camera="none", scale=1.0)
    _, half = hoof_sequence(frames, backend=FarnebackFlow(), camera="none", scale=0.5)
    np.testing.assert_allclose(half[1:], full[1:], rtol=0.1)


def test_still_frames_give_zeros(rng):
    still = np.clip(texture(rng, 128, 128), 0, 255).astype(np.uint8)
    h, mag = hoof_sequence([still] * 4, backend=DISFlow())
    assert np.all(h == 0) and np.all(mag == 0)


def test_median_removes_camera_pan(rng):
    # background pans right at 3 px/frame; a 64 x 64 textured square moves up relative to it
    size, n = 256, 6
    bg = texture(rng, size + 64, size + 64)
    obj = texture(rng, 64, 64) * 0.5 + 60
    frames = []
    for k in range(n):
        pan = 3.0 * k
        m = np.float32([[1, 0, -32 + pan], [0, 1, -32]])
        img = cv2.warpAffine(bg, m, (size, size), flags=cv2.INTER_LINEAR)
        x0, y0 = round(96 + pan), 140 - 4 * k  # the square: pan plus 4 px/frame up
        img[y0 : y0 + 64, x0 : x0 + 64] = obj
        frames.append(np.clip(img, 0, 255).astype(np.uint8))
    raw, _ = hoof_sequence(frames, camera="none")
    comp, _ = hoof_sequence(frames, camera="median")
    up = slice(B // 4 - 2, B // 4 + 3)  # within 2 bins (22.5 degrees) of straight up
    # the pan dominates the raw flow...
    assert np.all(raw[1:].argmax(axis=1) == 0)
    assert np.all(raw[1:, up].sum(axis=1) < 0.1)
    # ...and the square's own motion the compensated one (the rest: its edges, flow noise)
    assert np.all(comp[1:].argmax(axis=1) == B // 4), comp[1:].argmax(axis=1)
    assert np.all(comp[1:, up].sum(axis=1) > 0.4), comp[1:, up].sum(axis=1)


def test_streams_and_accepts_backend_objects(rng):
    frames = translating(rng, (2, 0), n=4)
    gen = (f for f in frames)  # a one-shot iterator
    h, mag = hoof_sequence(gen, backend=DISFlow("fast"), bins=8, camera="none")
    assert h.shape == (4, 8) and h[1:].argmax(axis=1).tolist() == [0, 0, 0]


def test_empty_and_single_frame(rng):
    h, mag = hoof_sequence([], bins=B)
    assert h.shape == (0, B) and mag.shape == (0,)
    h, mag = hoof_sequence(translating(rng, (1, 0), n=1))
    assert h.shape == (1, B) and np.all(h == 0) and mag.tolist() == [0.0]


def test_sequence_rejects_bad_input(rng):
    frames = translating(rng, (1, 0), n=2)
    with pytest.raises(ParameterError, match="uint8"):
        hoof_sequence([f.astype(np.float32) for f in frames])
    with pytest.raises(ParameterError, match="shape"):
        hoof_sequence([frames[0], frames[1][:-2]])
    with pytest.raises(ParameterError, match="camera"):
        hoof_sequence(frames, camera="affine")
    with pytest.raises(ParameterError, match="scale"):
        hoof_sequence(frames, scale=0)
    with pytest.raises(ParameterError, match="unknown flow backend"):
        hoof_sequence(frames, backend="nope")
