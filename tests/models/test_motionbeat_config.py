"""MotionBeat's config: sizes it refuses, and its audio input tied to MuDaR's."""

import pytest

from mudar.errors import ParameterError
from mudar.models.motionbeat_config import MotionBeatConfig
from mudar.models.presets import MOTIONBEAT_PRESETS as PRESETS

DEBUG = PRESETS["debug"].model


def test_configs_refuse_bad_sizes():
    with pytest.raises(ParameterError):
        MotionBeatConfig(dim=30, heads=4)  # head width not even
    with pytest.raises(ParameterError):
        MotionBeatConfig(contact_eps=0)


def test_audio_config_ties_the_input_to_mudar():
    a = DEBUG.audio_config()
    assert (a.fps, a.sub, a.n_mels, a.tempogram_rows) == (8.0, 8, 16, 8)
    assert a.audio_rows == DEBUG.audio_rows
    assert DEBUG.clock.sr == 16000 and DEBUG.clock.hop * DEBUG.sub * 8 == 16000
