"""PWC-Net: pyramid shapes, cost volume against a naive loop, warping, NVlabs names, loading."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from mudar.errors import InputError, ParameterError
from mudar.features.flow import FLOW_BACKENDS, PWCNetFlow, get_flow_backend
from mudar.models.pwcnet import (
    FeaturePyramid,
    PWCNet,
    correlation,
    load_pwcnet,
    warp,
)

# The parameter names of NVlabs' PWCDCNet (NVlabs/PWC-Net, PyTorch/models/PWCNet.py).
NVLABS_PYRAMID = [f"conv{level}{s}" for level in range(1, 6) for s in ("a", "aa", "b")] + [
    "conv6aa",
    "conv6a",
    "conv6b",
]
NVLABS_DECODER = (
    [f"conv{level}_{k}" for level in range(6, 1, -1) for k in range(5)]
    + [f"predict_flow{level}" for level in range(6, 1, -1)]
    + [f"deconv{level}" for level in range(6, 1, -1)]
    + [f"upfeat{level}" for level in range(6, 2, -1)]
    + [f"dc_conv{k}" for k in range(1, 8)]
)


def _module_names(state: dict) -> set[str]:
    return {k.split(".")[0] for k in state}


@pytest.fixture(scope="module")
def pwcnet() -> PWCNet:
    torch.manual_seed(0)
    return PWCNet().eval()


@pytest.fixture(scope="module")
def saved_state(pwcnet, tmp_path_factory):
    path = tmp_path_factory.mktemp("pwc") / "pwc.pth"
    torch.save(pwcnet.state_dict(), path)
    return path


# --- pyramid ------------------------------------------------------------------------------


@pytest.mark.parametrize("channels", [(16, 32, 64, 96, 128, 196), (16, 32, 64, 96), (8, 16), (4,)])
def test_pyramid_shapes(channels):
    m = FeaturePyramid(channels)
    x = torch.randn(2, 3, 64, 128)
    feats = m(x)
    assert m.out_channels == channels[-1]
    assert [tuple(f.shape) for f in feats] == [
        (2, c, 64 // 2 ** (i + 1), 128 // 2 ** (i + 1)) for i, c in enumerate(channels)
    ]


def test_pyramid_names_are_nvlabs():
    m = FeaturePyramid()
    assert [n for n, _ in m.named_children()] == NVLABS_PYRAMID
    assert m.conv6aa[0].stride == (2, 2) and m.conv6a[0].stride == (1, 1)
    assert m.conv1a[0].stride == (2, 2) and m.conv1aa[0].stride == (1, 1)


def test_pyramid_gradient_reaches_every_parameter():
    m = FeaturePyramid((8, 16, 24))
    feats = m(torch.randn(2, 3, 32, 32))
    sum(f.square().mean() for f in feats).backward()
    for name, p in m.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


@pytest.mark.parametrize("channels", [(), (1, 2, 3, 4, 5, 6, 7), (8, 0)])
def test_pyramid_bad_channels(channels):
    with pytest.raises(ParameterError):
        FeaturePyramid(channels)


# --- cost volume and warping --------------------------------------------------------------


def _naive_correlation(f1, f2, d):
    n, c, h, w = f1.shape
    out = torch.zeros(n, (2 * d + 1) ** 2, h, w, dtype=f1.dtype)
    for dy in range(-d, d + 1):
        for dx in range(-d, d + 1):
            ch = (dy + d) * (2 * d + 1) + (dx + d)
            for y in range(h):
                for x in range(w):
                    if 0 <= y + dy < h and 0 <= x + dx < w:
                        out[:, ch, y, x] = (f1[:, :, y, x] * f2[:, :, y + dy, x + dx]).sum(1) / c
    return out


@pytest.mark.parametrize("d", [1, 4])
def test_correlation_equals_naive_loop(d):
    g = torch.Generator().manual_seed(0)
    f1 = torch.randn(2, 5, 6, 7, generator=g, dtype=torch.float64)
    f2 = torch.randn(2, 5, 6, 7, generator=g, dtype=torch.float64)
    torch.testing.assert_close(correlation(f1, f2, d), _naive_correlation(f1, f2, d))


def test_warp_zero_flow_is_identity():
    x = torch.randn(2, 3, 8, 9)
    torch.testing.assert_close(warp(x, torch.zeros(2, 2, 8, 9)), x)


def test_warp_integer_flow_is_a_shift():
    x = torch.randn(1, 3, 12, 12)
    flow = torch.zeros(1, 2, 12, 12)
    flow[:, 0], flow[:, 1] = 2.0, -1.0  # out[y, x] = x[y - 1, x + 2]
    out = warp(x, flow)
    torch.testing.assert_close(out[..., 1:, :-2], x[..., :-1, 2:])
    assert (out[..., 0, :] == 0).all() and (out[..., -2:] == 0).all()  # sampled outside: masked


# --- the whole network --------------------------------------------------------------------


def test_pwcnet_output_shapes(pwcnet):
    im1, im2 = torch.rand(2, 1, 3, 64, 128).unbind(0)
    with torch.no_grad():
        flows = pwcnet(im1, im2)
    assert [tuple(f.shape) for f in flows] == [
        (1, 2, 64 // 2**level, 128 // 2**level) for level in range(2, 7)
    ]
    assert all(torch.isfinite(f).all() for f in flows)


def test_pwcnet_rejects_sizes_not_multiple_of_64(pwcnet):
    with pytest.raises(ParameterError, match="multiples of 64"):
        pwcnet(torch.rand(1, 3, 48, 64), torch.rand(1, 3, 48, 64))


def test_pwcnet_has_exactly_the_nvlabs_names(pwcnet):
    assert _module_names(pwcnet.state_dict()) == set(NVLABS_PYRAMID + NVLABS_DECODER)
    state = pwcnet.state_dict()
    # a few shapes of NVlabs' PWCDCNet (md=4: 81 cost channels; dense widths 128+128+96+64+32)
    assert state["conv6_0.0.weight"].shape == (128, 81, 3, 3)
    assert state["predict_flow6.weight"].shape == (2, 81 + 448, 3, 3)
    assert state["conv5_0.0.weight"].shape == (128, 81 + 128 + 4, 3, 3)
    assert state["upfeat3.weight"].shape == (81 + 64 + 4 + 448, 2, 4, 4)
    assert state["dc_conv1.0.weight"].shape == (128, 81 + 32 + 4 + 448, 3, 3)
    assert state["dc_conv5.0.weight"].shape == (64, 96, 3, 3)
    assert pwcnet.dc_conv5[0].dilation == (16, 16)
    assert state["dc_conv7.weight"].shape == (2, 32, 3, 3)


@pytest.mark.parametrize("wrapped", [False, True])
def test_load_pwcnet_round_trip(pwcnet, saved_state, tmp_path, wrapped):
    path = saved_state
    if wrapped:
        path = tmp_path / "wrapped.pth.tar"
        torch.save({"state_dict": pwcnet.state_dict(), "epoch": 3}, path)
    loaded = load_pwcnet(path)
    assert not loaded.training
    for k, v in pwcnet.state_dict().items():
        assert torch.equal(loaded.state_dict()[k], v), k


def test_load_pwcnet_bad_path(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_pwcnet(tmp_path / "nope.pth")
    with pytest.raises(InputError, match="not found"):
        load_pwcnet(tmp_path)
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match="cannot read"):
        load_pwcnet(junk)


def test_load_pwcnet_wrong_keys(saved_state, tmp_path):
    state = torch.load(saved_state, weights_only=True)
    state["conv1a.0.kernel"] = state.pop("conv1a.0.weight")
    del state["dc_conv7.bias"]
    path = tmp_path / "bad.pth"
    torch.save(state, path)
    with pytest.raises(ParameterError, match=r"missing.*conv1a\.0\.weight.*unexpected"):
        load_pwcnet(path)
    feature_only = tmp_path / "pyramid.pth"
    torch.save(FeaturePyramid().state_dict(), feature_only)
    with pytest.raises(ParameterError, match="missing"):
        load_pwcnet(feature_only)


# --- the flow backend ---------------------------------------------------------------------


def test_backend_needs_weights():
    assert "pwcnet" in FLOW_BACKENDS
    with pytest.raises(ParameterError, match="--pwcnet-weights PATH"):
        get_flow_backend("pwcnet")
    with pytest.raises(ParameterError, match="needs trained weights"):
        PWCNetFlow()


def test_backend_shape_and_dtype(saved_state, rng):
    backend = get_flow_backend("pwcnet", weights=saved_state)
    assert backend.name == "pwcnet"
    prev = rng.integers(0, 256, (50, 70), dtype=np.uint8)
    flow = backend(prev, np.roll(prev, 1, axis=1))
    assert flow.shape == (50, 70, 2) and flow.dtype == np.float32
    with pytest.raises(ParameterError):
        backend(prev, prev[:-1])


def test_flow_module_does_not_import_torch():
    code = "import sys, mudar.features.flow; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def _texture(rng, h, w):
    import cv2

    noise = rng.random((h // 4, w // 4)).astype(np.float32)
    img = cv2.resize(noise, (w, h), interpolation=cv2.INTER_CUBIC)
    return np.clip(img * 255, 0, 255).astype(np.uint8)


@pytest.mark.skipif(
    not os.environ.get("MUDAR_PWCNET_WEIGHTS"),
    reason="set MUDAR_PWCNET_WEIGHTS to NVlabs' pwc_net.pth.tar to test trained PWC-Net flow",
)
def test_trained_pwcnet_recovers_a_translation(rng):
    backend = PWCNetFlow(os.environ["MUDAR_PWCNET_WEIGHTS"])
    big = _texture(rng, 160, 200)
    dx, dy = 3, 2
    prev = big[16:144, 16:176]
    nxt = big[16 - dy : 144 - dy, 16 - dx : 176 - dx]  # nxt[y + dy, x + dx] = prev[y, x]
    flow = backend(prev, nxt)
    inner = flow[16:-16, 16:-16].reshape(-1, 2)
    np.testing.assert_allclose(np.median(inner, axis=0), [dx, dy], atol=0.5)
