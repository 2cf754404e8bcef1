"""The audio encoder: one d-vector per video frame, from the stacked audio rows."""

from __future__ import annotations

import math

import pytest
import torch

from mudar.clock import FrameClock
from mudar.errors import ParameterError
from mudar.models.audio_encoder import AudioEncoder, time_factors
from mudar.models.config import MudarConfig
from mudar.models.presets import get_preset

TINY = MudarConfig(
    clip_s=2.0,
    clock=FrameClock(fps=8.0, sub=8),
    frame_size=16,
    hoof_bins=4,
    n_mels=16,
    tempogram_rows=6,
    encoder_channels=(4, 8),
    audio_channels=(4, 8, 8),
    dim=16,
    layers=1,
    heads=2,
)


@pytest.mark.parametrize("sub", [1, 2, 3, 4, 6, 8, 9, 16])
@pytest.mark.parametrize("stages", [1, 2, 3, 5])
def test_time_factors_multiply_to_sub(sub, stages):
    f = time_factors(sub, stages)
    assert len(f) == stages and math.prod(f) == sub and min(f) >= 1


@pytest.mark.parametrize(
    "config", [TINY, get_preset("mudar", "debug").model, get_preset("mudar", "cpu").model], ids=str
)
def test_shape_is_one_feature_per_video_frame(config):
    enc = AudioEncoder(config)
    t = 12
    out = enc(torch.randn(2, config.audio_rows, t * config.sub))
    assert out.shape == (2, t, config.dim)
    assert bool((out >= 0).all())  # ReLU features


def test_every_parameter_gets_a_gradient():
    enc = AudioEncoder(TINY).train()
    enc(torch.randn(3, TINY.audio_rows, 10 * TINY.sub)).pow(2).mean().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in enc.parameters())


def test_features_are_local_in_time():
    """A change in the audio of frame 10 leaves frames more than 2 frames away untouched."""
    enc = AudioEncoder(TINY).eval()  # batch norm with running statistics: items independent
    x = torch.randn(1, TINY.audio_rows, 20 * TINY.sub)
    y = x.clone()
    y[:, :, 10 * TINY.sub : 11 * TINY.sub] += 5.0
    with torch.no_grad():
        d = (enc(x) - enc(y)).abs().sum(-1)[0]
    assert d[10] > 0
    assert d[:8].eq(0).all() and d[13:].eq(0).all()


def test_bad_shapes():
    enc = AudioEncoder(TINY)
    with pytest.raises(ParameterError):
        enc(torch.randn(2, TINY.audio_rows + 1, 8 * TINY.sub))
    with pytest.raises(ParameterError):
        enc(torch.randn(2, TINY.audio_rows, 8 * TINY.sub + 3))
    with pytest.raises(ParameterError):
        enc(torch.randn(TINY.audio_rows, 8 * TINY.sub))
