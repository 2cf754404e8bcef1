"""The learned rhythm of a whole file: windows that tile it, their outputs put back in place."""

import numpy as np
import pytest

from mudar.data.clips.inputs import batch_inputs
from mudar.data.clips.windows import cut
from mudar.features.extract import analyze
from mudar.models.checkpoint import load_model
from mudar.tasks.rhythm import learned_rhythm


@pytest.fixture(scope="module")
def model(debug_checkpoint):
    return load_model(debug_checkpoint)


@pytest.fixture(scope="module")
def analysis(model, synthetic_videos):
    path = sorted(synthetic_videos.rglob("*.mp4"))[0]
    return analyze(path, model.config.analysis_config(size=64))


def one_window_at_a_time(model, analysis, starts: list[int]) -> np.ndarray:
    """The slow reference: each window through the model alone, overlaps averaged."""
    t, n = model.config.n_frames, analysis.n_frames
    total, count = np.zeros(n), np.zeros(n)
    for s in starts:
        frames, motion, audio = batch_inputs([cut(analysis, s, s + t)], model.config)
        total[s : s + t] += model.rhythm(frames, motion, audio).numpy()[0]
        count[s : s + t] += 1
    return total / count


@pytest.mark.parametrize("batch_size", [1, 8])
def test_windows_tile_the_file_and_the_last_one_ends_it(model, analysis, batch_size):
    t, n = model.config.n_frames, analysis.n_frames
    assert n % t != 0  # so that the last window overlaps the one before it
    r = learned_rhythm(model, analysis, batch_size=batch_size)
    starts = [*range(0, n - t + 1, t), n - t]
    assert r.n_windows == len(starts) == -(-n // t)
    assert r.probability.shape == (n,) and r.probability.dtype == np.float32
    expected = one_window_at_a_time(model, analysis, starts)
    np.testing.assert_allclose(r.probability, expected, rtol=1e-4, atol=1e-5)
    assert np.all(np.diff(r.frames) > 0) and (r.frames.size == 0 or r.frames[-1] < n)
