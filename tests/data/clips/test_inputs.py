"""The model inputs: row pooling, padding, frames as tensors."""

import numpy as np
import torch

from mudar.data.clips.inputs import frames_input, pad_to, pool_rows, resize_frames


def test_pool_rows():
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    assert np.allclose(pool_rows(x, 3), [[1, 2], [5, 6], [9, 10]])
    y = pool_rows(x, 4)  # 1.5 rows each
    assert y.shape == (4, 2) and np.allclose(y.mean(0), x.mean(0))
    assert np.allclose(y[0], (x[0] + 0.5 * x[1]) / 1.5)
    assert np.allclose(pool_rows(np.ones((7, 3)), 2), 1.0)


def test_pad_to_fills_with_zeros_or_the_last_entry():
    x = torch.arange(6.0).reshape(3, 2)
    assert pad_to(x, 2) is x
    assert pad_to(x, 5)[3:].tolist() == [[0.0, 0.0], [0.0, 0.0]]
    assert pad_to(x, 5, "edge")[3:].tolist() == [[4.0, 5.0], [4.0, 5.0]]


def test_frames_are_channels_first_in_unit_range():
    frames = np.full((2, 8, 8, 3), 255, dtype=np.uint8)
    frames[..., 1] = 0
    x = frames_input(frames)
    assert x.shape == (2, 3, 8, 8) and x.dtype == torch.float32
    assert x[:, 0].eq(1).all() and x[:, 1].eq(0).all()
    assert resize_frames(frames, 8) is frames
    assert resize_frames(frames, 4).shape == (2, 4, 4, 3)


def _analysis(energy):
    from mudar.features.analysis import Analysis, AnalysisConfig
    from mudar.features.dance import DanceFeatures

    t = 6
    dance = DanceFeatures(
        hoof=np.full((t, 4), 0.25, np.float32),
        magnitude=np.full(t, 256.0 * 256.0, np.float32),
        strength=np.zeros(t, np.float32),
        rhythm_frames=np.zeros(0, int),
        energy=energy,
    )
    return Analysis(path="clip.mp4", config=AnalysisConfig(), n_frames=t, dance=dance)


def test_motion_input_appends_the_energy_relative_to_the_clip():
    import pytest

    from mudar.data.clips.inputs import motion_input
    from mudar.errors import ParameterError

    e = np.arange(24, dtype=np.float32).reshape(6, 4) * 0.001
    a = _analysis(e)
    plain = motion_input(a)
    assert plain.shape == (6, 5) and np.allclose(plain[:, 4], np.log1p(1.0))
    m = motion_input(a, energy=4)
    assert m.shape == (6, 9) and np.array_equal(m[:, :5], plain)
    np.testing.assert_allclose(m[:, 5:], np.log1p(e / e.mean()), rtol=1e-4)
    # a brighter, bigger figure (energy x 10) gives the same input
    np.testing.assert_allclose(motion_input(_analysis(e * 10), energy=4), m, rtol=1e-4)
    with pytest.raises(ParameterError, match="prepare them again"):
        motion_input(a, energy=8)
    with pytest.raises(ParameterError, match="none"):
        motion_input(_analysis(None), energy=4)
