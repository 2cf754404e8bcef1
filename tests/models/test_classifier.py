"""The two-stream classifier: shapes, gradient flow, masking of padded frames, missing streams."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from mudar.errors import ParameterError
from mudar.models.classifier import ClassifierConfig, TwoStreamClassifier, frame_mask

CFG = ClassifierConfig(n_classes=3, dim=8, hidden=16, fc=16, dropout=0.0, stream_dropout=0.0)


def inputs(b: int = 4, t: int = 6, e: int = 8, seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return {
        "visual_frames": torch.randn(b, t, e, generator=g),
        "visual_rhythm": torch.rand(b, t, generator=g),
        "audio_frames": torch.randn(b, t, e, generator=g),
        "onsets": (torch.rand(b, t, generator=g) < 0.3).float(),
        "lengths": torch.full((b,), t),
        "has_video": torch.ones(b, dtype=torch.bool),
        "has_audio": torch.ones(b, dtype=torch.bool),
    }


def model(config: ClassifierConfig = CFG) -> TwoStreamClassifier:
    torch.manual_seed(0)
    return TwoStreamClassifier(config).eval()


def test_shapes_and_float16_inputs():
    x = inputs()
    assert model()(**x).shape == (4, 3)
    x["visual_frames"] = x["visual_frames"].half()
    x["audio_frames"] = x["audio_frames"].half()
    assert model()(**x).dtype == torch.float32


def test_gradient_reaches_every_parameter():
    m = model().train()
    m(**inputs()).sum().backward()
    for name, p in m.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_padded_frames_are_ignored():
    m = model()
    x = inputs()
    x["lengths"] = torch.tensor([6, 3, 1, 5])
    ref = m(**x)
    for k in ("visual_frames", "visual_rhythm", "audio_frames", "onsets"):
        y = dict(x)
        noisy = y[k].clone()
        for i, n in enumerate(x["lengths"].tolist()):
            noisy[i, n:] = 100.0
        y[k] = noisy
        torch.testing.assert_close(m(**y), ref)
    # a clip's logits depend on its valid frames only: the same as the clip cut to its length
    short = {k: v[1:2, :3] if v.ndim > 1 else v[1:2] for k, v in x.items()}
    torch.testing.assert_close(m(**short), ref[1:2])


def test_missing_audio_stream_is_zeroed():
    m = model()
    x = inputs()
    x["has_audio"] = torch.tensor([True, False, True, False])
    ref = m(**x)
    y = dict(x, audio_frames=torch.randn(4, 6, 8), onsets=torch.ones(4, 6))
    out = m(**y)
    torch.testing.assert_close(out[1], ref[1])
    torch.testing.assert_close(out[3], ref[3])
    assert not torch.allclose(out[0], ref[0])
    # a song without pictures works the same way; a clip with neither stream is an error
    x["has_video"] = torch.tensor([False, True, True, True])
    x["has_audio"] = torch.tensor([True, True, True, False])
    assert torch.isfinite(m(**x)).all()
    x["has_video"][3] = False
    with pytest.raises(ParameterError, match="pictures or music"):
        m(**x)


def test_without_rhythms_the_rhythms_are_not_read():
    m = model(dataclasses.replace(CFG, rhythm=False))
    assert m.visual_stream[0].in_features == CFG.dim
    x = inputs()
    ref = m(**x)
    y = dict(x, visual_rhythm=torch.rand(4, 6), onsets=torch.ones(4, 6))
    torch.testing.assert_close(m(**y), ref)
    assert model().visual_stream[0].in_features == CFG.dim + 1


def test_stream_dropout_drops_one_stream_at_most_and_only_in_training():
    m = model(dataclasses.replace(CFG, stream_dropout=0.9))
    v, a = torch.ones(1000, dtype=torch.bool), torch.ones(1000, dtype=torch.bool)
    v2, a2 = m._drop_streams(v, a, torch.Generator().manual_seed(0))
    assert (v2 | a2).all() and 0.35 < (~a2).float().mean() < 0.55
    x = inputs()
    torch.testing.assert_close(m(**x), m(**x))  # eval mode: no dropout


def test_bad_inputs_raise():
    m = model()
    x = inputs()
    with pytest.raises(ParameterError, match="lengths"):
        m(**dict(x, lengths=torch.tensor([0, 6, 6, 6])))
    with pytest.raises(ParameterError, match="shape"):
        m(**dict(x, audio_frames=torch.randn(4, 5, 8)))
    with pytest.raises(ParameterError, match="onsets"):
        m(**dict(x, onsets=torch.zeros(4, 5)))
    with pytest.raises(ParameterError):
        ClassifierConfig(n_classes=1)
    with pytest.raises(ParameterError):
        ClassifierConfig(stream_dropout=1.0)


def test_frame_mask():
    assert frame_mask(torch.tensor([2, 0, 3]), 3).tolist() == [
        [True, True, False],
        [False, False, False],
        [True, True, True],
    ]


def test_standardization_uses_valid_frames_of_present_streams():
    m = model()
    x = inputs()
    ref = m(**x)
    x["lengths"] = torch.tensor([6, 2, 6, 6])
    x["has_audio"] = torch.tensor([True, True, False, True])
    x["visual_frames"][1, 2:] = 1e6  # padding: not in the statistics
    x["audio_frames"][2] = -1e6  # no audio: not in the statistics
    m.set_standardization(
        x["visual_frames"],
        x["audio_frames"],
        lengths=x["lengths"],
        has_video=x["has_video"],
        has_audio=x["has_audio"],
    )
    valid = torch.cat([x["visual_frames"][0], x["visual_frames"][1, :2], *x["visual_frames"][2:]])
    torch.testing.assert_close(m.visual_mean, valid.mean(0))
    audio = torch.cat([x["audio_frames"][0], x["audio_frames"][1, :2], x["audio_frames"][3]])
    torch.testing.assert_close(m.audio_scale, audio.std(0, correction=0))
    # a shift and scale shared by every clip does not change the standardised classifier
    y = inputs()
    m.set_standardization(
        y["visual_frames"],
        y["audio_frames"],
        lengths=y["lengths"],
        has_video=y["has_video"],
        has_audio=y["has_audio"],
    )
    out = m(**y)
    z = dict(y, visual_frames=3 * y["visual_frames"] + 5, audio_frames=1e-3 * y["audio_frames"] - 7)
    m.set_standardization(
        z["visual_frames"],
        z["audio_frames"],
        lengths=z["lengths"],
        has_video=z["has_video"],
        has_audio=z["has_audio"],
    )
    torch.testing.assert_close(m(**z), out, rtol=1e-4, atol=1e-4)
    assert not torch.allclose(out, ref)
    assert "visual_mean" in m.state_dict()  # saved with the weights
