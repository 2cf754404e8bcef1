"""InfoNCE implicit loss: known answers on tiny inputs."""

from __future__ import annotations

import math

import pytest
import torch

from mudar.errors import ParameterError
from mudar.losses.infonce import InfoNCELoss


def test_matches_hand_computation():
    v = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    a = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    n = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    tau = 0.5
    loss = InfoNCELoss(tau)(v, a, n)
    # v->a rows: true cos 1, other music 0, negative 0 -> -log(e^2 / (e^2 + 1 + 1))
    v2a = -math.log(math.exp(2) / (math.exp(2) + 2))
    a2v = -math.log(math.exp(2) / (math.exp(2) + 1))
    assert loss.item() == pytest.approx((v2a + a2v) / 2, rel=1e-6)


def test_same_video_pairs_are_not_negatives():
    torch.manual_seed(0)
    v, a = torch.randn(4, 8), torch.randn(4, 8)
    groups = torch.tensor([0, 0, 1, 2])
    masked = InfoNCELoss(0.1)(v, a, groups=groups)
    # by hand: leave out (0,1) and (1,0)
    s = torch.nn.functional.normalize(v, dim=-1) @ torch.nn.functional.normalize(a, dim=-1).T
    s = s / 0.1
    s[0, 1] = s[1, 0] = float("-inf")
    t = torch.arange(4)
    ref = (torch.nn.functional.cross_entropy(s, t) + torch.nn.functional.cross_entropy(s.T, t)) / 2
    assert masked.item() == pytest.approx(ref.item(), rel=1e-6)


def test_perfect_alignment_scores_lower_than_collapse():
    e = torch.eye(4)
    aligned = InfoNCELoss(0.1)(e, e)
    collapsed = InfoNCELoss(0.1)(torch.ones(4, 4), torch.ones(4, 4))
    assert collapsed.item() == pytest.approx(math.log(4), rel=1e-6)  # every candidate alike
    assert aligned < collapsed


def test_parts_and_bad_shapes():
    loss = InfoNCELoss(0.1)
    e = torch.eye(3)
    loss(e, e, torch.roll(e, 1, 0))
    assert loss.parts["acc"].item() == 1.0 and loss.parts["neg_acc"].item() == 1.0
    with pytest.raises(ParameterError):
        loss(torch.ones(3, 2), torch.ones(2, 2))
    with pytest.raises(ParameterError):
        loss(e, e, groups=torch.zeros(2))
    with pytest.raises(ParameterError):
        InfoNCELoss(0.0)
