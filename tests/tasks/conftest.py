"""Fixtures of the task tests: a few synthetic dance videos and their embeddings (the model is in
tests/conftest.py)."""

import pytest

from mudar.data.dataset import find_videos
from mudar.synthetic.video import make_dataset
from mudar.tasks.embed import embed_files


@pytest.fixture(scope="session")
def synthetic_videos(tmp_path_factory):
    """Four synthetic dances of 10 s in the dwm layout (genre in meta.json)."""
    root = tmp_path_factory.mktemp("synthetic")
    make_dataset(root, n=4, seed=3, duration_s=10.0)
    return root


@pytest.fixture(scope="session")
def video_cache(tmp_path_factory):
    """The feature cache of :func:`video_emb` (the classification tests embed into it too)."""
    return tmp_path_factory.mktemp("classify-cache")


@pytest.fixture(scope="session")
def video_emb(debug_checkpoint, synthetic_videos, video_cache):
    """The synthetic videos embedded by the (random) debug model, features in ``video_cache``."""
    items = find_videos(synthetic_videos)
    return embed_files(
        [it.path for it in items],
        checkpoint=debug_checkpoint,
        labels=[it.label for it in items],
        cache_dir=video_cache,
        progress=False,
    )
