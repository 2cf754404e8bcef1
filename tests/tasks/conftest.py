"""Fixtures of the task tests: a small untrained model and a few synthetic dance videos."""

import pytest
import torch

from mudar.data.synthetic import make_dataset
from mudar.models.checkpoint import save_model
from mudar.models.config import PRESETS
from mudar.models.mudar import MuDaR


@pytest.fixture(scope="session")
def debug_checkpoint(tmp_path_factory):
    """A randomly initialised model of the ``debug`` preset, saved as a checkpoint."""
    torch.manual_seed(0)
    model = MuDaR(PRESETS["debug"].model).eval()
    path = tmp_path_factory.mktemp("model") / "debug.pt"
    return save_model(model, path, meta={"threshold": 0.2})


@pytest.fixture(scope="session")
def synthetic_videos(tmp_path_factory):
    """Four synthetic dances of 10 s in the dwm layout (genre in meta.json)."""
    root = tmp_path_factory.mktemp("synthetic")
    make_dataset(root, n=4, seed=3, duration_s=10.0)
    return root
