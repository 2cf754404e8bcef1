import numpy as np
import pytest

from mudar.data.clips import cut, middle_window, sliding_windows
from mudar.errors import ParameterError
from mudar.features.analysis import AnalysisConfig
from mudar.features.extract import analyze


def test_middle_window_is_the_papers_8_s():
    assert middle_window(480, fps=8) == (208, 272)  # 4 s either side of 30 s
    assert middle_window(50, fps=8) == (0, 50)


def test_sliding_windows_cover_the_file():
    w = sliding_windows(100, fps=8, window_s=8, hop_s=4)
    assert w[0] == (0, 64) and w[-1] == (36, 100)
    assert all(b - a == 64 for a, b in w)
    assert sliding_windows(10, fps=8) == [(0, 10)]
    assert sliding_windows(0, fps=8) == []
    with pytest.raises(ParameterError):
        sliding_windows(100, fps=8, hop_s=0.01)


def test_cut_keeps_modalities_aligned(dance_clip):
    a = analyze(dance_clip.path, AnalysisConfig(size=64, frame_size=16))
    start, stop = 8, 24
    c = cut(a, start, stop)
    n = stop - start
    assert c.n_frames == n and c.start_s == pytest.approx(1.0)
    assert c.music.onsets.shape == (n,) and c.music.mel.shape[1] == n * a.clock.sub
    assert c.dance.hoof.shape[0] == n and c.frames.shape[0] == n
    np.testing.assert_array_equal(c.music.beats, a.music.beats[start:stop])
    # event times are re-based on the clip and fall on its per-frame indicators
    frames = np.round(c.music.beat_times * a.clock.fps).astype(int)
    assert np.all(c.music.beats[frames] == 1)
    assert np.all((c.dance.rhythm_frames >= 0) & (c.dance.rhythm_frames < n))
    with pytest.raises(ParameterError):
        cut(a, 10, a.n_frames + 1)
