"""Aggregation of per-seed results into mean +- std, the JSON schema and the Markdown notes."""

import json

import numpy as np
import pytest

from mudar.pipelines.bench.tables import (
    aggregate,
    markdown,
    mean_std,
    not_beaten,
    paired_gaps,
    write_tables,
)


def test_mean_and_sample_std_of_known_numbers():
    assert mean_std([0.5, 0.7, 0.9]) == pytest.approx({"mean": 0.7, "std": 0.2})
    assert mean_std([2.0, 4.0]) == pytest.approx({"mean": 3.0, "std": np.sqrt(2.0)})
    assert mean_std([0.25]) == {"mean": 0.25, "std": 0.0}  # one seed: no spread


def test_aggregate_over_seeds():
    seeds = [
        {"rhythm": {"hoof-flux": {"f1": 0.4}, "mudar": {"f1": 0.5, "recall": 0.6}}},
        {"rhythm": {"mudar": {"f1": 0.7, "recall": None}, "hoof-flux": {"f1": 0.6}}},
        {"rhythm": {"mudar": {"f1": 0.9, "recall": float("nan")}}},
    ]
    t = aggregate(seeds)
    assert list(t) == ["rhythm"]
    assert list(t["rhythm"]) == ["mudar", "hoof-flux"]  # the table's row order
    assert list(t["rhythm"]["mudar"]) == ["recall", "f1"]  # the table's metric order
    assert t["rhythm"]["mudar"]["f1"] == pytest.approx({"mean": 0.7, "std": 0.2})
    # None and NaN are seeds that could not compute the number: left out, not zeros
    assert t["rhythm"]["mudar"]["recall"] == {"mean": 0.6, "std": 0.0}
    assert t["rhythm"]["hoof-flux"]["f1"] == pytest.approx({"mean": 0.5, "std": np.sqrt(0.02)})


def test_tables_keep_the_schema_and_their_order():
    seeds = [
        {
            "speed": {"mudar": {"train_s": 10.0}},
            "rhythm": {"chance": {"f1": 0.4}, "mudar": {"f1": 0.5}},
            "classification": {"raw": {"accuracy": 0.7}},
        }
    ]
    t = aggregate(seeds)
    assert list(t) == ["rhythm", "classification", "speed"]
    for rows in t.values():
        for metrics in rows.values():
            for cell in metrics.values():
                assert set(cell) == {"mean", "std"}
                assert all(isinstance(v, float) for v in cell.values())
    assert list(t["rhythm"]) == ["mudar", "chance"]  # methods first, floors last


def test_what_beats_mudar_is_listed_by_the_right_direction():
    t = aggregate(
        [
            {
                "rhythm": {
                    "mudar": {"f1": 0.5, "precision": 0.9},
                    "hoof-flux": {"f1": 0.6, "precision": 0.4},
                    "mudar-bce": {"f1": 0.8},  # an ablation is no competitor
                    "chance": {"f1": 0.5},  # a tie is not a win
                },
                "speed": {
                    "mudar": {"train_s": 30.0, "analysis_x_realtime": 10.0},
                    "avts": {"train_s": 20.0, "analysis_x_realtime": 5.0},
                },
            }
        ]
    )
    lost = {(d["table"], d["metric"], d["row"]) for d in not_beaten(t)}
    assert lost == {
        ("rhythm", "f1", "hoof-flux"),
        ("rhythm", "f1", "chance"),
        ("speed", "train_s", "avts"),  # less is better for time
    }
    md = markdown(t, meta={"seeds": [0], "budget": {"name": "quick"}})
    assert "**MuDaR does not beat**" in md
    assert "- f1 (mudar 0.500): hoof-flux (0.600), chance (0.500)" in md
    assert "- train_s (mudar 30.0): avts (20.0)" in md


def test_paired_gaps_say_whether_a_lead_over_mudar_is_significant():
    # avts leads by 0.10 on every seed: significant; lla by +0.2, -0.1, +0.05: within noise
    seeds = [
        {
            "classification": {
                "mudar": {"accuracy": m},
                "avts": {"accuracy": m + 0.1},
                "lla": {"accuracy": m + d},
            },
            "speed": {"mudar": {"train_s": 10.0}, "avts": {"train_s": 10.0 - d}},
        }
        for m, d in ((0.5, 0.2), (0.7, -0.1), (0.6, 0.05))
    ]
    gaps = paired_gaps(seeds)
    avts = gaps["classification"]["avts"]["accuracy"]
    assert avts["mean"] == pytest.approx(0.1) and avts["n"] == 3 and avts["significant"]
    lla = gaps["classification"]["lla"]["accuracy"]
    assert lla["mean"] == pytest.approx(0.05) and lla["significant"] is False
    # less is better for time: a faster row has a positive gap
    assert gaps["speed"]["avts"]["train_s"]["mean"] == pytest.approx(0.05)
    t = aggregate(seeds)
    lost = {d["row"]: d for d in not_beaten(t, gaps) if d["table"] == "classification"}
    assert lost["avts"]["gap"]["significant"] and not lost["lla"]["gap"]["significant"]
    md = markdown(t, meta={"seeds": [0, 1, 2]}, gaps=gaps)
    assert "avts (0.700; paired gap 0.100 ± 0.000 over 3 seeds, significant)" in md
    assert "lla (0.650; paired gap 0.050 ± 0.150 over 3 seeds, within noise)" in md
    # one seed: no verdict
    one = paired_gaps(seeds[:1])
    assert one["classification"]["avts"]["accuracy"]["significant"] is None
    md1 = markdown(aggregate(seeds[:1]), meta={"seeds": [0]}, gaps=one)
    assert "avts (0.600)" in md1 and "paired gap" not in md1


def test_motionbeat_leads_its_own_tables():
    t = aggregate(
        [
            {
                "motionbeat_genre": {
                    "motionbeat": {"clip_acc": 0.8},
                    "librosa": {"clip_acc": 0.9},
                    "mudar-audio": {"clip_acc": 0.7},  # MuDaR's encoder: a competitor here
                },
            }
        ]
    )
    lost = not_beaten(t)
    assert [(d["row"], d["lead"]) for d in lost] == [("librosa", "motionbeat")]
    md = markdown(t, meta={"seeds": [0]})
    assert "**MotionBeat does not beat**" in md
    assert "- clip_acc (motionbeat 0.800): librosa (0.900)" in md


def test_mudar_ahead_everywhere_says_so():
    t = aggregate([{"rhythm": {"mudar": {"f1": 0.7}, "hoof-flux": {"f1": 0.6}}}] * 2)
    md = markdown(t, meta={"seeds": [0, 1]})
    assert "MuDaR beats every other method and floor here on every metric." in md
    assert "| mudar | 0.700 ± 0.000 |" in md


def test_write_tables(tmp_path):
    t = aggregate([{"rhythm": {"mudar": {"f1": 0.5}}}, {"rhythm": {"mudar": {"f1": 0.7}}}])
    j, m = write_tables(
        tmp_path, t, meta={"seeds": [0, 1], "failed": [{"run": "lla-s0", "error": "E"}]}
    )
    assert json.loads(j.read_text()) == {
        "rhythm": {
            "mudar": {"f1": {"mean": pytest.approx(0.6), "std": pytest.approx(0.1414, abs=1e-4)}}
        }
    }
    text = m.read_text()
    assert "0.600 ± 0.141" in text
    assert "lla-s0: E" in text  # failed runs are named


def test_rhythm_rows_have_the_timing_columns():
    from mudar.pipelines.bench.rhythm import rhythm_rows

    fps, n = 8.0, 400
    rng = np.random.default_rng(0)
    onsets = np.zeros(n, int)
    onsets[rng.choice(n, 90, replace=False)] = 1
    frames = np.flatnonzero(onsets)
    times = frames / fps
    # a rhythm that is the onsets (timing) and one at their rate but elsewhere (rate only)
    elsewhere = np.sort(rng.choice(n, len(frames), replace=False))
    videos = [(onsets, {"locked": frames, "rate": elsewhere})]
    timed = [(times, n / fps, {"locked": times, "rate": elsewhere / fps})]
    rows = rhythm_rows(videos, seed=0, fps=fps, timed=timed)
    assert rows["locked"]["f1"] == 1.0 and rows["locked"]["f1_70ms"] == 1.0
    assert rows["locked"]["gain"] == pytest.approx(1.0 - rows["locked"]["f1_shifted"])
    assert rows["locked"]["gain_70ms"] > 0.5
    assert abs(rows["rate"]["gain_70ms"]) < 0.15
    assert "f1_70ms" not in rhythm_rows(videos, seed=0, fps=fps)["locked"]
    assert "f1_70ms_beats" not in rows["locked"]
    # against beats: every other onset is a beat here
    with_beats = [(*timed[0], times[::2])]
    rows = rhythm_rows(videos, seed=0, fps=fps, timed=with_beats)
    assert rows["locked"]["f1_70ms_beats"] == pytest.approx(2 / 3, abs=0.01)  # p 1/2, r 1
    assert rows["locked"]["gain_70ms_beats"] > 0.3


def test_timing_intervals_say_found_only_when_the_interval_leaves_out_zero():
    from mudar.pipelines.bench.tables import timing_intervals, timing_markdown

    seeds = [
        {"rhythm": {"mudar": {"gain": 0.02, "gain_70ms": g}, "hoof-flux": {"gain_70ms": h}}}
        for g, h in ((0.20, 0.05), (0.22, -0.04), (0.18, 0.01))
    ]
    t = timing_intervals(seeds)
    assert t["mudar"]["gain_70ms"]["found"] and t["mudar"]["gain_70ms"]["n"] == 3
    assert not t["hoof-flux"]["gain_70ms"]["found"]
    assert list(t) == ["mudar", "hoof-flux"]
    md = timing_markdown(t)
    assert "| mudar | +0.020 [+0.020, +0.020] **yes** | +0.200 [" in md
    assert "| hoof-flux |  | +0.007 [" in md and md.count("] **yes**") == 2


def test_the_timing_model_is_read_against_the_best_rule_paired_by_seed():
    """Known numbers: the model gains 0.05 more than the best rule on each seed (0.04, 0.05,
    0.06), so its interval leaves out 0 and the mean reaches the bar."""
    from scipy.stats import t as student_t

    from mudar.pipelines.bench.tables import TIMING_BAR, model_minus_rule, model_minus_rule_text

    def seed(model, energy, hoof):
        rows = {"motion-energy": energy, "hoof-flux": hoof, "accents (oracle)": 0.9}
        rows["timing"] = model
        return {"rhythm": {k: {"gain_70ms_beats": v} for k, v in rows.items() if v is not None}}

    seeds = [seed(0.54, 0.50, 0.2), seed(0.45, 0.40, 0.3), seed(0.66, 0.60, 0.1)]
    d = model_minus_rule(seeds)
    assert d["rule"] == "motion-energy"  # the best learning-free rule; never the oracle
    half = float(student_t.ppf(0.975, 2)) * 0.01 / np.sqrt(3)
    assert d["mean"] == pytest.approx(0.05, abs=1e-4) and d["n"] == 3
    assert d["low"] == pytest.approx(0.05 - half, abs=1e-4)
    assert d["met"] and d["bar"] == TIMING_BAR
    assert json.loads(json.dumps(d)) == d  # meta.json holds it (a bar met once broke that)
    text = model_minus_rule_text(d)
    assert "rule (motion-energy) in gain_70ms_beats, paired by seed: +0.050 [" in text
    assert text.endswith("the interval above 0: met.")
    # below the bar, or one seed: not met
    assert not model_minus_rule([seed(0.52, 0.50, 0.2), seed(0.43, 0.40, 0.3)])["met"]
    one = model_minus_rule(seeds[:1])
    assert not one["met"] and "not met (one seed cannot say)" in model_minus_rule_text(one)
    # a seed whose timing run failed is left out of the pairs; no timing row: no line
    assert model_minus_rule([*seeds, seed(None, 0.1, 0.1)])["n"] == 3
    assert model_minus_rule([seed(None, 0.1, 0.1)]) is None and model_minus_rule_text(None) == ""
