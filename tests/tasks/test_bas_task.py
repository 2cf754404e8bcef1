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


def test_feedback_report_of_a_rushed_section_in_words():
    from mudar.tasks.bas import feedback_report

    beats = 0.5 * np.arange(1, 61)  # 120 BPM, 0.5 s to 30 s
    accents = beats.copy()
    accents[(beats >= 12.0) & (beats <= 19.0)] -= 0.06  # rushed from 0:12 to 0:19
    accents[[3, 40]] += 0.1  # two stray late accents: off the beat, no stretch
    fb = feedback_report(accents, beats, span_s=40.0)
    s = fb["summary"]
    assert s["n_accents"] == 60 and s["n_left_out"] == 0
    assert s["on_beat_share"] == pytest.approx(58 / 60, abs=1e-3)
    assert s["late_share"] == pytest.approx(2 / 60, abs=1e-3) and s["early_share"] == 0.0
    (st,) = fb["stretches"]
    assert st == {"kind": "early", "start_s": 11.94, "end_s": 18.94,
                  "median_offset_s": -0.06, "n_accents": 15}  # fmt: skip
    assert fb["offsets"][0] == {"time_s": 0.5, "beat_s": 0.5, "offset_s": 0.0}
    assert fb["text"] == (
        "97 % of your 60 accents were on the beat (within 70 ms); "
        "rushed from 0:12 to 0:19 by about 60 ms."
    )


def test_feedback_words_without_stretches_or_accents():
    from mudar.tasks.bas import feedback_report

    beats = np.arange(1.0, 20.0)
    assert feedback_report(beats - 0.02, beats)["text"] == (
        "100 % of your 19 accents were on the beat (within 70 ms); "
        "no stretch rushed or dragged; typically 20 ms early."
    )
    assert feedback_report(beats, beats)["text"].endswith("typically right on the beat.")
    # the span leaves out a dance after the music: nothing among the beats
    fb = feedback_report([30.0, 31.0], beats, span_s=25.0)
    assert fb["summary"]["n_accents"] == 0 and fb["offsets"] == [] and fb["stretches"] == []
    assert fb["text"].startswith("No movement accent falls among the music's beats")
