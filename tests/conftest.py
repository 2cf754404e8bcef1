"""Shared fixtures: a seeded rng, the shared data folder, and small media files made on the fly.

The media files are written once per test session (see ``media_factory.py``) into a temporary
folder; tests must not modify them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import media_factory as mf
from mudar.synthetic.video import make_dataset

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def rng() -> np.random.Generator:
    """A numpy Generator seeded with 0, fresh for each test."""
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the repository; skips the test when it is absent."""
    p = REPO.parent / "shared" / "data"
    if not p.is_dir():
        pytest.skip("../shared/data not found: real-data tests need the shared data folder")
    return p


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    """A session-wide folder for the made-up media files."""
    return tmp_path_factory.mktemp("media")


# --- bad inputs ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def empty_file(media_dir) -> Path:
    """A zero-byte ``.mp4``."""
    return mf.make_empty(media_dir)


@pytest.fixture(scope="session")
def text_mp4(media_dir) -> Path:
    """A text file named ``.mp4``."""
    return mf.make_text_as_mp4(media_dir)


@pytest.fixture(scope="session")
def truncated_mp4(media_dir) -> Path:
    """The first 40% of a plain mp4: its index, written last, is lost."""
    return mf.make_truncated_mp4(media_dir, faststart=False)


@pytest.fixture(scope="session")
def truncated_faststart_mp4(media_dir) -> Path:
    """The first 40% of a faststart mp4: the index survives, the media data is cut short."""
    return mf.make_truncated_mp4(media_dir, faststart=True)


@pytest.fixture
def missing_path(tmp_path) -> Path:
    """A path where nothing exists."""
    return tmp_path / "no_such_video.mp4"


@pytest.fixture
def directory_path(tmp_path) -> Path:
    """A directory, named like a video to make it trickier."""
    p = tmp_path / "folder.mp4"
    p.mkdir()
    return p


# --- odd but valid inputs -------------------------------------------------------------------


@pytest.fixture(scope="session")
def bar_video(media_dir) -> Path:
    """2 s at 25 fps of the moving time bar (see ``media_factory``), with a tone."""
    return mf.make_bar_video(media_dir, "bar.mp4", duration_s=2.0, fps=25.0)


@pytest.fixture(scope="session")
def video_no_audio(media_dir) -> Path:
    """2 s at 25 fps of the time bar, no audio stream."""
    return mf.make_bar_video(media_dir, "silent.mp4", duration_s=2.0, fps=25.0, audio=False)


@pytest.fixture(scope="session")
def audio_wav(media_dir) -> Path:
    """1.5 s of a 440 Hz tone, wav, no video."""
    return mf.make_audio_file(media_dir, "tone.wav")


@pytest.fixture(scope="session")
def audio_ogg(media_dir) -> Path:
    """1.5 s of a 440 Hz tone, Ogg Vorbis, no video."""
    return mf.make_audio_file(media_dir, "tone.ogg")


@pytest.fixture(scope="session")
def short_video(media_dir) -> Path:
    """0.5 s: 12 frames at 24 fps, with sound."""
    return mf.make_short_video(media_dir)


@pytest.fixture(scope="session")
def vfr_video(media_dir) -> Path:
    """3 s of the time bar at irregular timestamps (``media_factory.vfr_times()``)."""
    return mf.make_vfr_video(media_dir)


@pytest.fixture(scope="session")
def rotated_video(media_dir) -> Path:
    """A phone-style portrait video: landscape-coded, display matrix -90 ("rotate=90")."""
    return mf.make_rotated_video(media_dir, rotation=-90)


@pytest.fixture(scope="session")
def non_ascii_video(media_dir) -> Path:
    """A 1 s video with sound in a file named ``tänz_ダンス.mp4``."""
    return mf.make_bar_video(media_dir, "tänz_ダンス.mp4", duration_s=1.0)


@pytest.fixture(scope="session")
def dance_clip(media_dir) -> mf.SyntheticClip:
    """A 4 s synthetic dance at 120 BPM with music, and its ground truth."""
    return mf.make_dance_clip(media_dir / "dance")


@pytest.fixture(scope="session")
def synthetic_videos(tmp_path_factory):
    """Four synthetic dances of 10 s in the dwm layout (genre in meta.json)."""
    root = tmp_path_factory.mktemp("synthetic")
    make_dataset(root, n=4, seed=3, duration_s=10.0)
    return root


@pytest.fixture(scope="session")
def debug_checkpoint(tmp_path_factory):
    """A randomly initialised model of the ``debug`` preset, saved as a checkpoint."""
    import torch

    from mudar.models.checkpoint import save_model
    from mudar.models.mudar import MuDaR
    from mudar.models.presets import MUDAR_PRESETS as PRESETS

    torch.manual_seed(0)
    model = MuDaR(PRESETS["debug"].model).eval()
    path = tmp_path_factory.mktemp("model") / "debug.pt"
    return save_model(model, path, meta={"threshold": 0.2})


@pytest.fixture(scope="session")
def synthetic_dances(tmp_path_factory):
    """Six synthetic dances of 8 s (two per genre), prepared (and cached) on the debug clock of
    MotionBeat: ``(root, made, dances)``."""
    from mudar.data.clips.motionbeat_set import DanceCache
    from mudar.models.presets import MOTIONBEAT_PRESETS as PRESETS
    from mudar.synthetic.motion import make_motion_dataset

    debug = PRESETS["debug"]
    root = tmp_path_factory.mktemp("mb_eval")
    made = make_motion_dataset(root / "dances", n=6, seed=4, duration_s=8.0)
    cache = DanceCache(root / "cache")
    dances = [cache.get(m.folder, config=debug.model, train=debug.train)[0] for m in made]
    return root, made, dances


@pytest.fixture(scope="session")
def video_cache(tmp_path_factory):
    """The feature cache of :func:`video_emb` (the classification tests embed into it too)."""
    return tmp_path_factory.mktemp("classify-cache")


@pytest.fixture(scope="session")
def video_emb(debug_checkpoint, synthetic_videos, video_cache):
    """The synthetic videos embedded by the (random) debug model, features in ``video_cache``."""
    from mudar.data.readers.dataset import find_videos
    from mudar.pipelines.embed import embed_files

    items = find_videos(synthetic_videos)
    return embed_files(
        [it.path for it in items],
        checkpoint=debug_checkpoint,
        labels=[it.label for it in items],
        cache_dir=video_cache,
        progress=False,
    )
