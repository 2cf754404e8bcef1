"""Visual rhythm heads: Eq. 15 on a hand example, and the Table 1 ablation heads."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mudar.errors import ParameterError
from mudar.methods import RHYTHM_HEADS
from mudar.models.config import MudarConfig
from mudar.models.rhythm_head import (
    BCEHead,
    CRFHead,
    FocalHead,
    RegressionHead,
    build_head,
    envelope_peaks,
    local_peaks,
    temporal_difference,
)


@pytest.fixture
def tiny(tiny: MudarConfig) -> MudarConfig:
    """Narrower than the shared one: the heads see d = 8."""
    return dataclasses.replace(tiny, encoder_channels=(4, 6), audio_channels=(4,), dim=8)


def test_temporal_difference():
    x = torch.tensor([[[1.0], [3.0], [2.0], [2.0]]])
    want = torch.tensor([[[0.0], [2.0], [-1.0], [0.0]]])
    torch.testing.assert_close(temporal_difference(x), want)


def test_eq_15_on_a_hand_example(tiny):
    cfg = dataclasses.replace(tiny, hoof_bins=1, dim=2)
    head = FocalHead(cfg)
    with torch.no_grad():
        head.features.motion.weight.copy_(torch.eye(2))
        head.features.motion.bias.zero_()
        head.features.appearance.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, -1.0]]))
        head.features.appearance.bias.zero_()
        head.estimator.weight.copy_(torch.tensor([[1.0, 1.0, 2.0, -1.0]]))
        head.estimator.bias.fill_(-0.5)
    motion = torch.tensor([[[0.0, 0.0], [1.0, 2.0], [0.0, 1.0]]])
    injected = torch.tensor([[[1.0, 1.0], [1.0, 3.0], [4.0, 2.0]]])
    # dm = (0,0), (1,2), (-1,-1) -> ReLU: (0,0), (1,2), (0,0)
    # df = (0,0), (0,2), (3,-1) -> W_f df = (0,0), (0,-2), (3,1) -> ReLU: (0,0), (0,0), (3,1)
    # logits = w . [..] - 0.5 = -0.5, 1 + 2 - 0.5, 2*3 - 1 - 0.5
    logits = head(motion, injected)
    torch.testing.assert_close(logits, torch.tensor([[-0.5, 2.5, 4.5]]))
    torch.testing.assert_close(head.predict(logits), torch.sigmoid(logits))
    # the focal loss of Eq. 19, written out
    y = torch.tensor([[0.0, 1.0, 0.0]])
    p = torch.sigmoid(logits)
    fl = -(0.25 * (1 - p) ** 2 * y * torch.log(p) + 0.75 * p**2 * (1 - y) * torch.log(1 - p))
    torch.testing.assert_close(head.loss(logits, y, torch.zeros_like(y)), fl.mean())
    assert [f.tolist() for f in head.rhythm_frames(logits)] == [[2]]
    assert [f.tolist() for f in head.rhythm_frames(logits, threshold=0.99)] == [[]]


def test_bce_head_loss(tiny):
    head = BCEHead(tiny)
    logits = torch.randn(2, 5)
    y = (torch.rand(2, 5) > 0.5).float()
    torch.testing.assert_close(
        head.loss(logits, y, torch.rand(2, 5)), F.binary_cross_entropy_with_logits(logits, y)
    )


def test_local_peaks_and_envelope_peaks():
    x = np.array([0.1, 0.7, 0.2, 0.6, 0.6, 0.1, 0.9])
    assert local_peaks(x, 0.5).tolist() == [1, 3, 6]  # of a plateau, the first frame
    assert local_peaks(x, 0.8).tolist() == [6]
    env = np.array([0, 1, 0, 0, 0.5, 0, 0, 0, 0.9, 0.2])
    assert envelope_peaks(env).tolist() == [1, 4, 8]
    assert envelope_peaks(3 * env + 2).tolist() == [1, 4, 8]  # scale-free
    assert envelope_peaks(np.zeros(6)).tolist() == []


def test_regression_head_regresses_the_onset_strength(tiny):
    head = RegressionHead(tiny)
    out = torch.tensor([[0, 1, 0, 0, 0.5, 0, 0, 0, 0.9, 0.2]])
    strength = torch.rand(1, 10)
    torch.testing.assert_close(
        head.loss(out, torch.zeros(1, 10), strength), F.mse_loss(out, strength)
    )
    pred = head.predict(out)
    assert pred[0].nonzero()[:, 0].tolist() == [1, 4, 8]
    assert set(pred.unique().tolist()) <= {0.0, 1.0}
    assert [f.tolist() for f in head.rhythm_frames(out)] == [[1, 4, 8]]


def test_crf_head_predicts_marginals_and_decodes_viterbi(tiny):
    torch.manual_seed(0)
    head = CRFHead(tiny)
    out = head(torch.randn(3, 6, tiny.motion_dim), torch.randn(3, 6, tiny.dim))
    assert out.shape == (3, 6, 2)
    pred = head.predict(out)  # p(rhythm) per frame, for the calibrated peak decision
    assert pred.shape == (3, 6) and bool(((pred >= 0) & (pred <= 1)).all())
    torch.testing.assert_close(pred, head.crf.marginals(out)[..., 1])
    frames = head.rhythm_frames(out)
    viterbi = head.crf.viterbi(out).numpy()
    assert [f.tolist() for f in frames] == [np.flatnonzero(v).tolist() for v in viterbi]


@pytest.mark.parametrize("kind", RHYTHM_HEADS)
def test_every_head_trains(kind, tiny):
    torch.manual_seed(0)
    head = build_head(dataclasses.replace(tiny, head=kind))
    assert head.kind == kind
    b, t = 3, 9
    motion = torch.randn(b, t, tiny.motion_dim)
    injected = torch.randn(b, t, tiny.dim, requires_grad=True)
    onsets = (torch.rand(b, t) < 0.3).float()
    out = head(motion, injected)
    loss = head.loss(out, onsets, torch.rand(b, t))
    assert loss.ndim == 0 and torch.isfinite(loss)
    loss.backward()
    assert all(p.grad is not None for p in head.parameters())
    assert injected.grad is not None
    pred = head.predict(out.detach())
    assert pred.shape == (b, t) and bool(((pred >= 0) & (pred <= 1)).all())
    frames = head.rhythm_frames(out.detach())
    assert len(frames) == b and all(f.dtype == np.int64 for f in frames)


def test_head_input_checks(tiny):
    head = FocalHead(tiny)
    with pytest.raises(ParameterError):
        head(torch.randn(2, 5, tiny.hoof_bins), torch.randn(2, 5, tiny.dim))
    with pytest.raises(ParameterError):
        head(torch.randn(2, 5, tiny.motion_dim), torch.randn(2, 4, tiny.dim))
    with pytest.raises(ParameterError):
        head.loss(torch.randn(2, 5), torch.zeros(2, 4), torch.zeros(2, 5))
