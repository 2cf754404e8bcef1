"""The output frame rate and frame times the retargeting tests share."""

import numpy as np

FPS = 25.0


def grid(duration_s, fps=FPS):
    """Output frame times ``j / fps`` over ``duration_s``, seconds."""
    return np.arange(round(duration_s * fps)) / fps
