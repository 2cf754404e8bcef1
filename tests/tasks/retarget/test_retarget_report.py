"""The report of a retargeting: its fields, and None for what is undefined."""

import pytest
from retarget_grid import FPS

from mudar.tasks.retarget import RetargetPlan, plan_retarget, retarget_report


def test_report_fields_and_undefined_values():
    plan = plan_retarget(
        [0.5, 1.0], [0.5, 1.0], method="shift", dance_duration_s=2.0, music_duration_s=2.0, fps=FPS
    )
    r = retarget_report(
        plan, dance_times=[0.5, 1.0], music_times=[0.5, 1.0], dance_after=[], music_after=[1.0]
    )
    assert {
        "method",
        "n_rhythm_points",
        "offset_before_s",
        "offset_after_s",
        "bas_before",
        "bas_after",
        "max_speed",
        "min_speed",
        "sigma_s",
    } <= set(r)
    assert r["bas_before"] == pytest.approx(1.0) and r["offset_before_s"] == 0.0
    assert r["bas_after"] is None and r["offset_after_s"] is None  # no dance point after
    assert r["max_speed"] == r["min_speed"] == pytest.approx(1.0)
    assert r["sigma_s"] == 0.1 and r["n_loops"] == 1
    assert isinstance(plan, RetargetPlan)
