"""Fixtures of the task tests: a few synthetic dance videos (the model is in tests/conftest.py)."""

import pytest

from mudar.synthetic.video import make_dataset


@pytest.fixture(scope="session")
def synthetic_videos(tmp_path_factory):
    """Four synthetic dances of 10 s in the dwm layout (genre in meta.json)."""
    root = tmp_path_factory.mktemp("synthetic")
    make_dataset(root, n=4, seed=3, duration_s=10.0)
    return root
