"""MotionBeat's evaluation clips and the learning-free tempo matching of its retrieval table."""

import numpy as np
import pytest

from mudar.data.clips.inputs import audio_input
from mudar.models.presets import MOTIONBEAT_PRESETS as PRESETS
from mudar.tasks.motionbeat_clips import eval_clips, tempo_similarity

DEBUG = PRESETS["debug"]


def test_eval_clips_are_consecutive_and_take_the_model_inputs(synthetic_dances):
    _, _, dances = synthetic_dances
    c = DEBUG.model
    clips = eval_clips(dances[:2], c)
    t = c.n_frames
    assert len(clips) == 2 * (dances[0].n_frames // t)
    assert clips.audio.shape == (len(clips), c.audio_rows, t * c.sub)
    assert clips.joints.shape == (len(clips), t, 23, 3)
    np.testing.assert_array_equal(clips.start[clips.dance == 0], np.arange(0, 64 - t + 1, t))
    m = dances[1].music.slice(t, 2 * t, clock=c.clock)
    i = int(np.flatnonzero((clips.dance == 1) & (clips.start == t))[0])
    np.testing.assert_allclose(clips.audio[i], audio_input(m, config=c.audio_config()))


def test_tempo_similarity_folds_octaves():
    s = tempo_similarity(np.array([2.0, 1.5, 0.0]), np.array([1.0, 2.0]))
    assert s[0, 0] == pytest.approx(0.0) and s[0, 1] == pytest.approx(0.0)  # 2x and 1x
    assert s[1, 0] == pytest.approx(-(1 - np.log2(1.5)))  # 1.5 is 0.585 octave above 1
    assert s[2, 0] == -1.0  # unknown
