"""Time maps: where V's rhythm points land in the output."""

import numpy as np
from retarget_grid import FPS, grid

from mudar.tasks.retarget import dance_times_in_output


def test_dance_times_in_output_inverts_the_map():
    s = 2.0 + 1.5 * grid(4.0)  # 1.5x from 2 s of V
    out = dance_times_in_output([2.3, 5.0, 7.9, 9.0], s, fps=FPS, dance_duration_s=10.0)
    np.testing.assert_allclose(out, [0.2, 2.0, 3.9333333], atol=1e-6)  # 9.0 is past the end
    # the identity over a looped V repeats its points
    out = dance_times_in_output([0.5], grid(5.0), fps=FPS, dance_duration_s=2.0)
    np.testing.assert_allclose(out, [0.5, 2.5, 4.5])
