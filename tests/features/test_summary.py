"""Summary statistics of a clip's learning-free features (the raw-feature baseline)."""

import numpy as np
import pytest

from mudar.features.summary import raw_clip_features, raw_feature_names


def test_raw_clip_features_without_music():
    from mudar.clock import FrameClock
    from mudar.features.analysis import Analysis, AnalysisConfig
    from mudar.features.dance import DanceFeatures

    t = 16
    dance = DanceFeatures(
        hoof=np.full((t, 32), 1 / 32, np.float32),
        magnitude=np.ones(t, np.float32),
        strength=np.zeros(t, np.float32),
        rhythm_frames=np.array([3, 9]),
    )
    a = Analysis(path="x", config=AnalysisConfig(clock=FrameClock()), n_frames=t, dance=dance)
    x = raw_clip_features(a)
    names = raw_feature_names()
    assert x.shape == (len(names),) and not x[: names.index("has_dance")].any()
    assert x[names.index("rhythm_rate")] == pytest.approx(2 / t)


def test_band_means():
    from mudar.features.summary import band_means

    x = np.arange(12, dtype=float).reshape(6, 2)
    assert band_means(x, 3).tolist() == [[1, 2], [5, 6], [9, 10]]
    assert band_means(x, 4).shape == (4, 2)
