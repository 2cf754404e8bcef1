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


def test_one_check_that_an_analysis_fits_the_model():
    """Duck-typed: a model never imports the data layer."""
    from types import SimpleNamespace

    import numpy as np

    from mudar.features.analysis import AnalysisConfig

    c = MudarConfig(motion_energy=4)

    def analysis(clock=c.clock, frames=True, bins=c.hoof_bins, **made):
        config = AnalysisConfig(**{"clock": clock, "energy_steps": 4, **made})
        dance = SimpleNamespace(hoof=np.zeros((3, bins)))
        return SimpleNamespace(
            path="v.mp4", clock=clock, config=config, dance=dance, frames=[] if frames else None
        )

    c.check_analysis(analysis())
    c.check_analysis(analysis(stft_window="hamming"))  # inference may ask for other settings
    c.check_analysis(analysis(frames=False), video=False)  # its music alone
    bad = {
        "fps, sub": analysis(clock=FrameClock(fps=10.0, sub=c.sub)),
        "RGB frames": analysis(frames=False),
        "HOOF bins": analysis(bins=16),
        "prepare them again with --motion-energy": analysis(energy_steps=0),
    }
    for what, a in bad.items():
        with pytest.raises(ParameterError, match=what) as e:
            c.check_analysis(a)
        assert str(e.value).startswith("v.mp4: ") and "\n" not in str(e.value)
    with pytest.raises(ParameterError, match="^clip-7: .*--stft-window hann"):
        c.check_analysis(analysis(stft_window="hamming"), name="clip-7", training=True)
