"""The contrastive loss on pair distances (AVTS's, and MuDaR's "contrastive" implicit loss)."""

from __future__ import annotations

import pytest
import torch

from mudar.errors import ParameterError
from mudar.losses.contrastive import ETA, ContrastiveLoss, pair_distance


def test_contrastive_loss_known_values():
    loss = ContrastiveLoss()
    zero = loss(torch.zeros(3), torch.full((5,), 1.5))
    assert float(zero) == 0.0  # in-sync pairs together, negatives beyond the margin
    value, parts = loss(torch.ones(2), torch.zeros(4), return_parts=True)
    assert float(value) == pytest.approx(0.5 * (1 + ETA**2))
    assert float(parts["active"]) == 1.0 and float(parts["d_neg"]) == 0.0
    with pytest.raises(ParameterError):
        ContrastiveLoss(margin=0)


def test_pair_distance_is_euclidean_and_has_a_finite_gradient_at_zero():
    a = torch.tensor([[0.0, 0.0], [3.0, 4.0]], requires_grad=True)
    b = torch.zeros(2, 2)
    d = pair_distance(a, b)
    torch.testing.assert_close(d, torch.tensor([1e-4, 5.0]))
    d.sum().backward()
    assert torch.isfinite(a.grad).all()
