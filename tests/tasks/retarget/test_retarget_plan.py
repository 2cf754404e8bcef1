"""``plan_retarget``: the plan of one retargeting, whichever planner of the table makes it."""

import numpy as np
import pytest
from retarget_grid import FPS, grid

from mudar.errors import ParameterError
from mudar.eval.bas import beat_alignment_score
from mudar.methods import RETARGET
from mudar.tasks.retarget import PLANNERS, Planner, dance_times_in_output, plan_retarget


def test_dtw_follows_a_tempo_change():
    d = 0.3 + 0.6 * np.arange(30)  # dance at 100 BPM, 18 s
    m = 0.1 + 0.5 * np.arange(20)  # music at 120 BPM, 10 s
    plan = plan_retarget(d, m, method="dtw", dance_duration_s=18.0, music_duration_s=10.0, fps=FPS)
    out = dance_times_in_output(d, plan.source_times, fps=FPS, dance_duration_s=18.0)
    before = beat_alignment_score(d[d < 10], m)
    after = beat_alignment_score(out, m)
    assert before < 0.7 and after > 0.95
    # on average V runs 1.2x, as the tempo ratio says
    assert np.mean(plan.speeds) == pytest.approx(1.2, abs=0.05)
    assert plan.notes == ()


@pytest.mark.parametrize("method", RETARGET)
def test_a_short_video_is_looped_to_the_music_length(method):
    d = 0.25 + 0.5 * np.arange(6)  # 3 s of dance
    m = 0.1 + 0.45 * np.arange(22)  # 10 s of music
    plan = plan_retarget(d, m, method=method, dance_duration_s=3.0, music_duration_s=10.0, fps=FPS)
    assert plan.n_frames == 250
    assert plan.n_loops >= 3
    assert np.all(np.diff(plan.source_times) > 0)
    out = dance_times_in_output(d, plan.source_times, fps=FPS, dance_duration_s=3.0)
    assert len(out) >= 15  # the points of every pass
    assert out.max() < 10.0


@pytest.mark.parametrize("method", RETARGET)
@pytest.mark.parametrize("dance, music", [([], [1.0, 2.0]), ([1.0, 2.0], []), ([], [])])
def test_no_rhythm_points_fall_back_to_the_identity(method, dance, music):
    plan = plan_retarget(
        dance, music, method=method, dance_duration_s=4.0, music_duration_s=3.0, fps=FPS
    )
    np.testing.assert_allclose(plan.source_times, grid(3.0))
    assert len(plan.notes) == 1 and "no " in plan.notes[0]


def test_accel_with_a_single_point_falls_back_to_shift():
    plan = plan_retarget(
        [1.5], [0.5, 1.0], method="accel", dance_duration_s=4.0, music_duration_s=3.0, fps=FPS
    )
    np.testing.assert_allclose(plan.source_times, grid(3.0) + 1.0)  # 1.5 on 0.5
    assert "shift" in plan.notes[0]


def test_tiny_music_gives_one_frame():
    for method in RETARGET:
        plan = plan_retarget(
            [0.1], [0.01], method=method, dance_duration_s=1.0, music_duration_s=0.01, fps=FPS
        )
        assert plan.n_frames == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"method": "warp"},
        {"min_speed": 1.2},
        {"max_speed": 0.9},
        {"min_speed": 0.0},
        {"fps": 0.0},
        {"music_duration_s": -1.0},
        {"dance_times": [1.0, float("nan")]},
        {"music_times": [[1.0]]},
    ],
)
def test_bad_parameters(kwargs):
    args = dict(
        dance_times=[1.0],
        music_times=[1.0],
        method="dtw",
        dance_duration_s=2.0,
        music_duration_s=2.0,
        fps=FPS,
    )
    args.update(kwargs)
    d, m = args.pop("dance_times"), args.pop("music_times")
    with pytest.raises(ParameterError):
        plan_retarget(d, m, **args)


def test_a_new_planner_is_one_entry_of_the_table(monkeypatch):
    """Registered in the table, a planner is planned with, by name, with the options it names
    and no others; nothing else needs an edit."""
    seen = {}

    def backwards(dance_times, music_times, *, dance_duration_s, music_duration_s, fps, **opts):
        seen.update(opts)
        n = max(1, round(music_duration_s * fps))
        return dance_duration_s - np.arange(n)[::-1] / fps, ["made up"]

    monkeypatch.setitem(PLANNERS, "backwards", Planner(backwards, needs=("max_speed",)))
    plan = plan_retarget(
        [1.0], [1.0], method="backwards", dance_duration_s=4.0, music_duration_s=2.0, fps=FPS
    )
    assert plan.method == "backwards" and plan.notes == ("made up",)
    assert plan.n_frames == 50 and plan.source_times[-1] == 4.0
    assert seen == {"max_speed": 2.0}
    # and the unknown-method message lists it
    with pytest.raises(ParameterError, match="backwards"):
        plan_retarget(
            [1.0], [1.0], method="warp", dance_duration_s=4.0, music_duration_s=2.0, fps=FPS
        )
