"""The rhythm decision: the calibration split of the training videos, the paper's p > 0.5 rule."""

import numpy as np
import pytest

from mudar.errors import ParameterError
from mudar.training.calibrate import calibration_ids, paper_rule_frames


def test_calibration_ids_are_a_seeded_share_of_the_training_videos():
    ids = [f"v{i:02d}" for i in range(20)]
    got = calibration_ids(ids, seed=3)
    assert len(got) == 5 and set(got) <= set(ids)
    assert got == sorted(got, key=ids.index)  # in the training order
    assert calibration_ids(ids, seed=3) == got
    assert calibration_ids(ids, seed=4) != got
    assert len(calibration_ids(ids, fraction=0.5)) == 10
    assert calibration_ids(["only"], seed=0) == ["only"]  # at least one video
    assert calibration_ids([], seed=0) == []
    with pytest.raises(ParameterError):
        calibration_ids(ids, fraction=0.0)


def test_paper_rule_takes_every_frame_above_one_half():
    p = np.array([0.1, 0.6, 0.7, 0.5, 0.2, 0.51, 0.0])
    assert paper_rule_frames(p).tolist() == [1, 2, 5]  # 0.5 itself is not above
    assert paper_rule_frames(p, threshold=0.05).tolist() == [0, 1, 2, 3, 4, 5]
    assert paper_rule_frames(np.zeros(0)).tolist() == []
    with pytest.raises(ParameterError):
        paper_rule_frames(p[None])
    with pytest.raises(ParameterError):
        paper_rule_frames(p, threshold=1.5)
