"""Losses of MuDaR (Eq. 18-20) against hand computations."""

import math

import pytest
import torch
import torch.nn.functional as F

from mudar.errors import ParameterError
from mudar.losses.focal import FocalLoss
from mudar.losses.joint import JointLoss
from mudar.losses.triplet import TripletLoss


def t(x):
    return torch.tensor(x, dtype=torch.float32)


# --- triplet (Eq. 18) -------------------------------------------------------------------------


def test_triplet_equals_hand_computation():
    # item 0: d+ = |(1,0)-(.6,.8)|^2 = .16 + .64 = .8, d- = |(1,0)-(0,1)|^2 = 2: 0.8 - 2 + 1 < 0
    # item 1: d+ = 2, d- = .8: 2 - .8 + 1 = 2.2
    v = t([[1.0, 0.0], [1.0, 0.0]])
    pos = t([[0.6, 0.8], [0.0, 1.0]])
    neg = t([[0.0, 1.0], [0.6, 0.8]])
    loss, parts = TripletLoss(margin=1.0)(v, pos, neg, return_parts=True)
    assert loss.item() == pytest.approx(1.1, abs=1e-6)
    assert parts["d_pos"].tolist() == pytest.approx([0.8, 2.0], abs=1e-6)
    assert parts["d_neg"].tolist() == pytest.approx([2.0, 0.8], abs=1e-6)
    assert parts["loss"].tolist() == pytest.approx([0.0, 2.2], abs=1e-6)
    assert parts["active"].item() == pytest.approx(0.5)


def test_triplet_normalises_and_plain_distance():
    v = t([[3.0, 0.0]])
    pos = t([[0.0, 5.0]])  # after normalising: d+ = 2, plain sqrt(2)
    neg = t([[0.6, 0.8]])  # d- = 0.8, plain sqrt(0.8)
    assert TripletLoss(1.0)(v, pos, neg).item() == pytest.approx(2.2, abs=1e-6)
    plain = TripletLoss(0.5, squared=False)(v, pos, neg).item()
    assert plain == pytest.approx(math.sqrt(2) - math.sqrt(0.8) + 0.5, abs=1e-6)


def test_triplet_zero_when_negatives_far(rng):
    v = torch.from_numpy(rng.normal(size=(16, 8))).float()
    pos = v + 0.01 * torch.from_numpy(rng.normal(size=(16, 8))).float()
    loss_fn = TripletLoss(margin=1.0)
    loss = loss_fn(v, pos, -v)  # d- = 4, d+ ~ 0
    assert loss.item() == 0.0
    assert loss_fn.parts["active"].item() == 0.0


def test_triplet_gradient_and_checks():
    v = t([[1.0, 0.0, 0.0]]).requires_grad_()
    loss = TripletLoss(1.0)(v, t([[0.0, 1.0, 0.0]]), t([[1.0, 0.1, 0.0]]))
    loss.backward()
    assert torch.isfinite(v.grad).all() and v.grad.abs().sum() > 0
    with pytest.raises(ParameterError):
        TripletLoss(1.0)(t([[1.0, 0.0]]), t([[1.0, 0.0, 0.0]]), t([[1.0, 0.0]]))
    with pytest.raises(ParameterError):
        TripletLoss(-1.0)


# --- focal (Eq. 19) ---------------------------------------------------------------------------


def _focal_by_hand(x, y, gamma, alpha):
    p = 1 / (1 + math.exp(-x))
    if y:
        return -alpha * (1 - p) ** gamma * math.log(p)
    return -(1 - alpha) * p**gamma * math.log(1 - p)


def test_focal_equals_hand_computation():
    x = [[0.0, 2.0, -1.0], [3.0, -0.5, 1.5]]
    y = [[1, 0, 0], [1, 1, 0]]
    want = [
        [_focal_by_hand(a, b, 2.0, 0.25) for a, b in zip(r, s, strict=True)]
        for r, s in zip(x, y, strict=True)
    ]
    loss, parts = FocalLoss(gamma=2.0, alpha=0.25)(t(x), torch.tensor(y), return_parts=True)
    flat = [w for r in want for w in r]
    assert loss.item() == pytest.approx(sum(flat) / 6, rel=1e-5)
    assert parts["per_item"].tolist() == pytest.approx([sum(r) / 3 for r in want], rel=1e-5)
    # first entry by hand: p = 0.5, -0.25 * 0.25 * log 0.5
    assert parts["per_frame"][0, 0].item() == pytest.approx(0.0625 * math.log(2), rel=1e-6)


def test_focal_with_gamma_zero_is_weighted_bce():
    x = t([[0.3, -2.0, 4.0, 0.0]])
    y = t([[1.0, 0.0, 1.0, 0.0]])
    got = FocalLoss(gamma=0.0, alpha=0.5)(x, y)
    assert got.item() == pytest.approx(0.5 * F.binary_cross_entropy_with_logits(x, y).item())


def test_focal_is_stable_for_extreme_logits():
    x = t([[200.0, -200.0, 200.0, -200.0]]).requires_grad_()
    y = t([[0.0, 1.0, 1.0, 0.0]])
    loss = FocalLoss()(x, y)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(x.grad).all()
    # confidently wrong: 0.75 * 1 * 200 and 0.25 * 1 * 200; confidently right: 0
    assert loss.item() == pytest.approx((150 + 50) / 4, rel=1e-5)


def test_focal_mask_and_checks():
    x = t([[1.0, -1.0], [2.0, 5.0]])
    y = t([[1.0, 0.0], [0.0, 0.0]])
    mask = t([[1.0, 1.0], [1.0, 0.0]])
    f = FocalLoss()
    three = [_focal_by_hand(1.0, 1, 2, 0.25), _focal_by_hand(-1.0, 0, 2, 0.25)]
    three.append(_focal_by_hand(2.0, 0, 2, 0.25))
    assert f(x, y, mask=mask).item() == pytest.approx(sum(three) / 3, rel=1e-5)
    with pytest.raises(ParameterError):
        f(t([1.0, 2.0]), t([1.0, 0.0]))
    with pytest.raises(ParameterError):
        FocalLoss(alpha=1.5)


# --- joint (Eq. 20) ---------------------------------------------------------------------------


def test_joint_weighs_and_reports_parts():
    l_im = t(0.5).requires_grad_()
    l_ex = t([[0.1, 0.3], [0.2, 0.2]]).requires_grad_()
    total, parts = JointLoss(lambda_im=2.0, lambda_ex=3.0)(l_im, l_ex, return_parts=True)
    assert total.item() == pytest.approx(2 * 0.5 + 3 * 0.2)
    assert set(parts) == {"total", "implicit", "explicit"}
    assert parts["implicit"].item() == pytest.approx(0.5)
    assert parts["explicit"].item() == pytest.approx(0.2)
    assert not parts["total"].requires_grad
    total.backward()
    assert l_im.grad.item() == pytest.approx(2.0)
    assert l_ex.grad.flatten().tolist() == pytest.approx([0.75] * 4)


def test_joint_end_to_end_with_its_terms(rng):
    from mudar.models.config import TrainConfig

    tc = TrainConfig(lambda_im=1.0, lambda_ex=0.5)
    v, p, n = (torch.from_numpy(rng.normal(size=(4, 6))).float() for _ in range(3))
    logits = torch.from_numpy(rng.normal(size=(4, 8))).float()
    onsets = torch.from_numpy((rng.random((4, 8)) < 0.3).astype("float32"))
    l_im = TripletLoss(tc.margin)(v, p, n)
    l_ex = FocalLoss(tc.focal_gamma, tc.focal_alpha)(logits, onsets)
    total = JointLoss.from_config(tc)(l_im, l_ex)
    assert total.item() == pytest.approx(l_im.item() + 0.5 * l_ex.item(), rel=1e-6)
    with pytest.raises(ParameterError):
        JointLoss(-1.0, 1.0)
