import numpy as np
import pytest

from mudar.data.clips.windows import (
    CLIP_MODES,
    cut,
    middle_window,
    sliding_windows,
    training_windows,
)
from mudar.errors import ParameterError
from mudar.features.analysis import AnalysisConfig
from mudar.features.extract import analyze


def test_middle_window_is_the_papers_8_s():
    assert middle_window(480, fps=8) == (208, 272)  # 4 s either side of 30 s
    assert middle_window(50, fps=8) == (0, 50)


def test_training_windows_modes():
    assert CLIP_MODES == ("windows", "middle")
    assert training_windows(160, fps=8, mode="middle") == [(48, 112)]  # 20 s: 6-14 s
    assert training_windows(100, fps=8, hop_s=4) == sliding_windows(100, fps=8, hop_s=4)
    assert training_windows(50, fps=8, mode="middle") == [(0, 50)]  # shorter than a clip
    assert training_windows(0, fps=8, mode="middle") == []
    with pytest.raises(ParameterError):
        training_windows(100, fps=8, mode="all")


def test_middle_clip_of_a_20_s_video_is_6_to_14_s(tmp_path):
    from mudar.clock import FrameClock
    from mudar.synthetic.video import make_dataset

    make_dataset(tmp_path, n=1, seed=0, duration_s=20.0)
    (video,) = sorted(tmp_path.rglob("*.mp4"))
    a = analyze(video, AnalysisConfig(clock=FrameClock(fps=8.0, sub=2), size=32))
    assert a.n_frames == 160
    ((start, stop),) = training_windows(a.n_frames, fps=8.0, window_s=8.0, mode="middle")
    clip = cut(a, start, stop)
    assert clip.start_s == pytest.approx(6.0)
    assert clip.start_s + clip.n_frames / 8.0 == pytest.approx(14.0)
    np.testing.assert_array_equal(clip.music.onsets, a.music.onsets[48:112])


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
