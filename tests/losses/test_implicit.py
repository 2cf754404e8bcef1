"""MuDaR's implicit losses: one table, one call, one contract (``return_parts``)."""

from __future__ import annotations

import pytest
import torch

from mudar import methods
from mudar.errors import ParameterError
from mudar.losses.contrastive import ContrastiveLoss, pair_distance
from mudar.losses.implicit import IMPLICIT, implicit_loss
from mudar.models.config import TrainConfig


def test_the_table_holds_every_implicit_loss_the_config_takes():
    assert tuple(IMPLICIT) == methods.IMPLICIT_LOSSES


@pytest.mark.parametrize("name", list(IMPLICIT))
def test_every_implicit_loss_takes_one_call_and_returns_its_parts_on_demand(name):
    g = torch.Generator().manual_seed(0)
    v, p, n = (torch.randn(4, 6, generator=g) for _ in range(3))
    groups = torch.tensor([0, 0, 1, 2])
    loss_fn = implicit_loss(TrainConfig(implicit_loss=name))
    loss = loss_fn(v, p, n, groups=groups)
    again, parts = loss_fn(v, p, n, groups=groups, return_parts=True)
    assert loss.ndim == 0 and torch.isfinite(loss)
    assert float(again) == float(loss)
    assert parts and all(not t.requires_grad for t in parts.values())


def test_the_contrastive_implicit_loss_is_the_pair_loss_on_embedding_distances():
    g = torch.Generator().manual_seed(1)
    v, p, n = (torch.randn(3, 5, generator=g) for _ in range(3))
    got = implicit_loss(TrainConfig(implicit_loss="contrastive"))(v, p, n)
    want = ContrastiveLoss()(pair_distance(v, p), pair_distance(v, n))
    assert float(got) == float(want)


def test_an_unknown_implicit_loss_is_refused():
    class Train:
        implicit_loss = "x"

    with pytest.raises(ParameterError, match="triplet"):
        implicit_loss(Train())
