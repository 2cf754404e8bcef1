"""The report of a retargeting: its fields, and None for what is undefined."""

import numpy as np
import pytest
from retarget_grid import FPS

from mudar.tasks.retarget import RetargetPlan, plan_retarget, retarget_report
from mudar.tasks.retarget.report import dance_use


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
    assert r["bas_before"] is None and r["offset_before_s"] is None  # no own music given
    assert r["bas_before_new_song"] == pytest.approx(1.0) and r["offset_before_new_song_s"] == 0
    assert r["bas_after"] is None and r["offset_after_s"] is None  # no dance point after
    assert r["max_speed"] == r["min_speed"] == pytest.approx(1.0)
    assert r["sigma_s"] == 0.1 and r["n_loops"] == 1
    assert isinstance(plan, RetargetPlan)


def test_before_is_the_dance_on_its_own_music():
    plan = plan_retarget(
        [0.5, 1.0], [0.75], method="shift", dance_duration_s=2.0, music_duration_s=2.0, fps=FPS
    )
    r = retarget_report(
        plan,
        dance_times=[0.5, 1.0],
        music_times=[0.75],
        dance_after=[0.75],
        music_after=[0.75],
        own_music_times=[0.5, 1.0],
    )
    assert r["bas_before"] == pytest.approx(1.0)  # on its own music's points
    assert r["bas_before_new_song"] == pytest.approx(0.044, abs=1e-3)  # 0.25 s off the new song
    assert r["bas_after"] == pytest.approx(1.0) and r["worse"] is False


def test_a_method_that_lowers_the_fit_is_flagged_with_a_sentence():
    plan = plan_retarget(
        [0.5, 1.0], [0.5, 1.0], method="dtw", dance_duration_s=2.0, music_duration_s=2.0, fps=FPS
    )
    r = retarget_report(
        plan, dance_times=[0.5, 1.0], music_times=[0.5, 1.0], dance_after=[0.7], music_after=[1.0]
    )
    assert r["bas_before_new_song"] == pytest.approx(1.0) and r["bas_after"] < 0.1
    assert r["worse"] is True
    (note,) = [n for n in r["notes"] if n.startswith("dtw lowered the fit on the new song")]
    assert "BAS 1.000 with the dance as it is -> 0.1" not in note  # 0.7 s is far off 1.0 s
    assert f"-> {r['bas_after']:.3f} after" in note
    # the plan kept the points on the beats: the loss is the re-detection's, and it says so
    assert r["bas_plan"] == pytest.approx(1.0) and "the plan reached 1.000" in note
    # a plan 0.3 s late, below the dance as it is: the dance as it is fits better
    late = RetargetPlan("shift", FPS, np.arange(50) / FPS + 0.3, 4.0, 2.0)
    r = retarget_report(
        late, dance_times=[0.5, 1.0], music_times=[0.5, 1.0], dance_after=[0.2], music_after=[0.5]
    )
    assert r["worse"] and r["bas_plan"] < 0.1 < r["bas_before_new_song"]
    assert r["notes"][1].endswith("so the dance as it is fits this song better")


@pytest.mark.parametrize(
    "dance_s, song_s, played, used, cut, words",
    [
        (3.0, 10.0, 10 / 3, 3.0, 0.0, "played 3.3 times"),
        (12.0, 2.8, 2.8 / 12, 2.8, 9.2, "9.2 s (77 %) is cut"),
        (4.0, 4.0, 1.0, 4.0, 0.0, "The whole dance (4.0 s) is shown once"),
    ],
)
def test_dance_use_in_numbers_and_words(dance_s, song_s, played, used, cut, words):
    plan = plan_retarget(
        [0.5], [0.5], method="shift", dance_duration_s=dance_s, music_duration_s=song_s, fps=FPS
    )
    u = dance_use(plan)
    assert u["played_times"] == pytest.approx(played, abs=0.01)
    assert u["used_s"] == pytest.approx(used, abs=0.05) and u["cut_s"] == pytest.approx(
        cut, abs=0.05
    )
    assert words in u["sentence"]


def test_dance_use_of_a_window_through_the_end_and_of_a_sped_up_dance():
    t = np.arange(round(15 * FPS)) / FPS
    through = RetargetPlan("accel", FPS, t + 40.0, dance_duration_s=49.0, music_duration_s=15.0)
    u = dance_use(through)
    assert u["played_times"] == pytest.approx(15 / 49, abs=0.01) and u["cut_s"] == pytest.approx(34)
    assert "from 40.0 s and on from its start" in u["sentence"] and "loops" not in u["sentence"]
    t = np.arange(round(8 * FPS)) / FPS
    fast = RetargetPlan("dtw", FPS, 2 * t, dance_duration_s=10.0, music_duration_s=8.0)
    u = dance_use(fast)
    assert u["played_times"] == pytest.approx(1.6, abs=0.01)
    assert u["sentence"].startswith("At the speeds played, the song (8.0 s) outlasts the dance")
