"""Frame resampling: nearest and blended frames, streamed, and bad input."""

import numpy as np
import pytest
from retarget_grid import FPS, grid

from mudar.errors import ParameterError
from mudar.tasks.retarget import resample_frames


def numbered_frames(n, pulled):
    """Frames whose pixels hold their index (x 2), counting how many were taken."""
    for k in range(n):
        pulled.append(k)
        yield np.full((4, 6, 3), 2 * k, np.uint8)


def test_nearest_takes_the_nearest_source_frame():
    pulled = []
    s = np.array([0.0, 0.03, 0.05, 0.21, 0.21, 0.4])  # frames at 25 fps: 0, 0.75, 1.25, 5.25 ...
    out = list(resample_frames(numbered_frames(20, pulled), s, fps=FPS, mode="nearest"))
    assert [int(f[0, 0, 0]) // 2 for f in out] == [0, 1, 1, 5, 5, 10]
    assert max(pulled) <= 11  # streamed: read only as far as needed


def test_blend_mixes_the_two_neighbours():
    s = np.array([0.0, 0.01, 0.02, 0.1]) / 1.0  # positions 0, 0.25, 0.5, 2.5
    out = list(resample_frames(numbered_frames(10, []), s, fps=FPS, mode="blend"))
    got = [float(f[0, 0, 0]) for f in out]
    assert got == pytest.approx([0.0, 0.5, 1.0, 5.0], abs=0.51)  # 2k: 0, 0.5, 1, 5
    assert all(f.dtype == np.uint8 and f.shape == (4, 6, 3) for f in out)


def test_a_source_that_ends_early_repeats_its_last_frame():
    s = grid(1.0)  # 25 output frames, 4 source frames
    out = list(resample_frames(numbered_frames(4, []), s, fps=FPS, mode="blend"))
    assert len(out) == 25
    assert {int(f[0, 0, 0]) for f in out[4:]} == {6}


def test_resample_rejects_bad_input():
    with pytest.raises(ParameterError):
        list(resample_frames(numbered_frames(3, []), [0.2, 0.1], fps=FPS))
    with pytest.raises(ParameterError):
        list(resample_frames(numbered_frames(3, []), [0.0], fps=FPS, mode="cubic"))
    with pytest.raises(ParameterError):
        list(resample_frames(iter([]), [0.0], fps=FPS))
