"""Optical-flow backends: known translations, the interface, the registry."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from mudar.errors import ParameterError
from mudar.features import flow as flow_mod
from mudar.features.flow import (
    FLOW_BACKENDS,
    DISFlow,
    FarnebackFlow,
    FlowBackend,
    get_flow_backend,
    register_flow_backend,
)


def texture(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Multi-scale random texture, uint8 (h, w): structure at every pyramid level."""
    t = np.zeros((h, w), np.float32)
    for sigma in (1, 2, 4, 8):
        n = cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), sigma)
        t += n / n.std() * sigma**0.5
    return np.clip(128 + 25 * t, 0, 255).astype(np.uint8)


def shifted_pair(rng, dx: int, dy: int, size: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """Two views of one texture whose content moves by (dx, dy) pixels (y down)."""
    big = texture(rng, size + 40, size + 40)
    y0 = x0 = 20
    prev = big[y0 : y0 + size, x0 : x0 + size]
    nxt = big[y0 - dy : y0 - dy + size, x0 - dx : x0 - dx + size]
    return np.ascontiguousarray(prev), np.ascontiguousarray(nxt)


BACKENDS = [DISFlow, FarnebackFlow]


@pytest.mark.parametrize("make", BACKENDS, ids=["dis", "farneback"])
@pytest.mark.parametrize("shift", [(3, 0), (0, -3), (2, -2), (-3, 2)])
def test_translation_gives_the_shift(make, shift, rng):
    prev, nxt = shifted_pair(rng, *shift)
    flow = make()(prev, nxt)
    assert flow.shape == (*prev.shape, 2) and flow.dtype == np.float32
    inner = flow[16:-16, 16:-16].reshape(-1, 2)
    np.testing.assert_allclose(np.median(inner, axis=0), shift, atol=0.3)


@pytest.mark.parametrize("preset", ["ultrafast", "fast", "medium"])
def test_dis_presets(preset, rng):
    prev, nxt = shifted_pair(rng, 2, 1)
    flow = DISFlow(preset)(prev, nxt)
    np.testing.assert_allclose(np.median(flow.reshape(-1, 2), axis=0), (2, 1), atol=0.3)


def test_identical_frames_give_zero_flow(rng):
    a = texture(rng, 64, 64)
    assert np.all(DISFlow()(a, a) == 0)


def test_backends_follow_the_protocol():
    for b in (DISFlow(), FarnebackFlow(), get_flow_backend()):
        assert isinstance(b, FlowBackend)
        assert b.name in FLOW_BACKENDS
    assert get_flow_backend().name == "dis"
    assert "DISFlow" in repr(DISFlow()) and "FarnebackFlow" in repr(FarnebackFlow())


def test_registry_lists_and_builds():
    assert {"dis", "farneback"} <= set(FLOW_BACKENDS)
    b = get_flow_backend("dis", preset="fast", finest_scale=1)
    assert b.preset == "fast" and b.finest_scale == 1
    assert isinstance(get_flow_backend("farneback", winsize=9), FarnebackFlow)


def test_unknown_backend_lists_the_known_ones():
    with pytest.raises(ParameterError, match="unknown flow backend 'pwc'.*dis.*farneback"):
        get_flow_backend("pwc")


def test_register_a_backend(monkeypatch):
    monkeypatch.setattr(flow_mod, "_REGISTRY", dict(flow_mod._REGISTRY))

    class Still:
        name = "still"

        def __init__(self, value: float = 0.0):
            self.value = value

        def __call__(self, prev, nxt):
            return np.full((*prev.shape, 2), self.value, np.float32)

    register_flow_backend("still", Still)
    assert "still" in FLOW_BACKENDS and "still" in tuple(FLOW_BACKENDS)
    b = get_flow_backend("still", value=1.5)
    assert isinstance(b, FlowBackend)
    assert b(np.zeros((4, 5), np.uint8), np.zeros((4, 5), np.uint8)).shape == (4, 5, 2)
    with pytest.raises(ParameterError):
        register_flow_backend("", Still)
    with pytest.raises(ParameterError):
        register_flow_backend("x", "not callable")


def test_bad_arguments(rng):
    a = texture(rng, 32, 32)
    with pytest.raises(ParameterError, match="preset"):
        DISFlow("slowest")
    with pytest.raises(ParameterError):
        DISFlow(finest_scale=9)
    with pytest.raises(ParameterError):
        FarnebackFlow(pyr_scale=1.5)
    for backend in (DISFlow(), FarnebackFlow()):
        with pytest.raises(ParameterError, match="uint8"):
            backend(a.astype(np.float32), a.astype(np.float32))
        with pytest.raises(ParameterError, match="shape"):
            backend(a, a[:-1])
        with pytest.raises(ParameterError, match="gray"):
            backend(np.dstack([a] * 3), np.dstack([a] * 3))
