"""``mudar.tasks.bas``: the report by hand."""

import math

import numpy as np
import pytest

from mudar.tasks.bas import bas_report


def test_report_by_hand():
    motion, music = [0.0, 1.0, 2.05], [0.0, 1.1, 2.0, 3.0]
    r = bas_report(motion, music, sigma_s=0.1)
    fact = (1 + math.exp(-0.01 / 0.02) + math.exp(-0.0025 / 0.02)) / 3
    d = np.array([0.0, 0.1, 0.05, 0.95])
    bailando = np.mean(np.exp(-(d**2) / 0.02))
    assert r == {
        "n_motion_beats": 3,
        "n_music_beats": 4,
        "sigma_s": 0.1,
        "bas_motion": round(fact, 4),
        "bas_music": round(bailando, 4),
    }
    only = bas_report(motion, music, sigma_s=0.1, form="motion")
    assert only["bas_motion"] == r["bas_motion"] and only["bas_music"] is None
    # beats past the span (the end of the shorter of motion and music) do not count
    cut = bas_report(motion, music, sigma_s=0.1, span_s=2.5)
    assert cut["n_music_beats"] == 3 and cut["bas_music"] == pytest.approx(
        np.mean(np.exp(-(d[:3] ** 2) / 0.02)), abs=1e-4
    )
    empty = bas_report([], music)
    assert empty["bas_motion"] is None and empty["bas_music"] == 0.0
