"""The tiny MuDaR config the model tests share.

A test takes it as the ``tiny`` fixture; a file that needs another size or option overrides the
fixture with ``dataclasses.replace`` of this one, so what it changes is written beside it.
"""

from __future__ import annotations

import pytest

from mudar.clock import FrameClock
from mudar.models.config import MudarConfig


@pytest.fixture
def tiny() -> MudarConfig:
    """A MuDaR small enough to train a few steps on a CPU within a test: clips of 1 s at 8 fps
    (8 frames of 16 x 16 pixels, 2 audio frames per video frame, 8 mel bands, 4 tempogram rows,
    4 HOOF bins), encoders of 4 and 8 channels, d = 16, one transformer layer of two heads."""
    return MudarConfig(
        clip_s=1.0,
        clock=FrameClock(fps=8.0, sub=2),
        frame_size=16,
        hoof_bins=4,
        n_mels=8,
        tempogram_rows=4,
        encoder_channels=(4, 8),
        audio_channels=(4, 8),
        dim=16,
        layers=1,
        heads=2,
    )
