import numpy as np
import pytest

from mudar.clock import DEFAULT_CLOCK, FrameClock
from mudar.errors import ParameterError


def test_default_clock_ties_rates():
    c = DEFAULT_CLOCK
    assert (c.fps, c.sr, c.hop) == (8.0, 16000, 250)
    assert c.samples_per_frame == c.hop * c.sub
    assert c.fine_rate == 64.0


@pytest.mark.parametrize("duration", [0.5, 3.37, 7.999, 8.0, 61.23])
def test_audio_and_video_lengths_match(duration):
    c = DEFAULT_CLOCK
    n = c.n_frames(duration)
    y = np.zeros(int(duration * c.sr) + 17, np.float32)
    y = c.fit_audio(y, n)
    assert len(y) == n * c.samples_per_frame
    fine = np.arange(1 + len(y) // c.hop, dtype=float)  # librosa center=True frame count
    assert c.pool(fine, n).shape == (n,)


def test_pool_is_centred_on_frame_times():
    c = FrameClock(fps=8, sr=16000, sub=8)
    n = 5
    fine_t = np.arange(n * c.sub) / c.fine_rate
    centre = c.pool(fine_t, n, reduce="mean")
    # windows centred on k/fps (the first one is edge-padded, so it sits a little later)
    np.testing.assert_allclose(centre[1:], c.frame_times(n)[1:] - 0.5 / c.fine_rate, atol=1e-9)


def test_events_to_frames_nearest():
    c = DEFAULT_CLOCK
    x = c.events_to_frames(np.array([0.0, 0.26, 0.31, 99.0]), 10)
    assert np.flatnonzero(x).tolist() == [0, 2, 9]


def test_inconsistent_rates_are_refused():
    with pytest.raises(ParameterError, match="whole multiple"):
        FrameClock(fps=30, sr=16000, sub=8)
    with pytest.raises(ParameterError):
        FrameClock(fps=0)
