"""RetargetOptions: its defaults name things that exist."""

from mudar.methods import DANCE_RHYTHM
from mudar.pipelines.retarget_options import RetargetOptions
from mudar.tasks.retarget import (
    MUSIC_RHYTHMS,
    PLANNERS,
    RESAMPLE_MODES,
    plan_retarget,
)


def test_the_defaults_are_known_choices_and_plan():
    o = RetargetOptions()
    assert o.method in PLANNERS and o.dance_method in DANCE_RHYTHM
    assert o.music_rhythm in MUSIC_RHYTHMS and o.resample in RESAMPLE_MODES
    plan = plan_retarget(
        [0.5, 1.0],
        [0.4, 1.1],
        method=o.method,
        dance_duration_s=2.0,
        music_duration_s=2.0,
        fps=25.0,
        min_speed=o.min_speed,
        max_speed=o.max_speed,
        width_s=o.sigma_s,
    )
    assert plan.notes == ()
