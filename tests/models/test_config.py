"""Model configs hold one FrameClock; dicts written before that (fps, sub fields) still read."""

import pytest

from mudar.clock import FrameClock
from mudar.errors import ParameterError
from mudar.models.config import MudarConfig
from mudar.models.motionbeat_config import MotionBeatConfig


@pytest.mark.parametrize("cls", [MudarConfig, MotionBeatConfig])
def test_the_clock_is_the_one_source_of_fps_and_sub(cls):
    c = cls(clock=FrameClock(fps=10.0, sub=4))
    assert (c.fps, c.sub, c.clock.sr) == (10.0, 4, 16000)
    assert c.n_frames == round(c.clip_s * 10)
    assert cls.from_dict(c.to_dict()) == c
    assert c.to_dict()["clock"] == {"fps": 10.0, "sr": 16000, "sub": 4}
    with pytest.raises(ParameterError, match="clock must be a FrameClock"):
        cls(clock={"fps": 8.0})


@pytest.mark.parametrize("cls", [MudarConfig, MotionBeatConfig])
def test_old_dicts_with_fps_and_sub_still_read(cls):
    old = {k: v for k, v in cls().to_dict().items() if k != "clock"}
    back = cls.from_dict({**old, "fps": 10.0, "sub": 4})
    assert back.clock == FrameClock(fps=10.0, sub=4) and back == cls(clock=FrameClock(10.0, sub=4))
    assert cls.from_dict(old) == cls()  # no clock at all: the default one


def test_motionbeat_audio_config_shares_the_clock():
    c = MotionBeatConfig(clock=FrameClock(fps=10.0, sub=4))
    assert c.audio_config().clock is c.clock
