"""`mudar bench` end to end on tiny synthetic dances with a budget of seconds."""

import dataclasses
import json

import pytest
import torch
from bench_data import TINY, as_locked, tiny_dances

from mudar.cli.main import main
from mudar.methods import BENCH_DEFAULT, LEARNING_FREE, MUSIC_ENCODERS, NEEDS_EXTRA
from mudar.pipelines.bench.plan import TABLES, Budget
from mudar.pipelines.bench.run import run_bench


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    """Five synthetic dances of 8 s, two genres (so that each genre can be tested)."""
    return tiny_dances(tmp_path_factory.mktemp("bench-videos"))


@pytest.fixture(scope="module")
def bench(videos, tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "out"
    before = torch.get_num_threads()
    result = run_bench(videos, out, budget=TINY, threads=1, progress=False)
    result.meta["threads_after"] = (before, torch.get_num_threads())
    return result


def test_torch_threads_are_set_and_given_back(bench):
    assert bench.meta["torch_threads"] == 1
    before, after = bench.meta["threads_after"]
    assert after == before


def test_tables_follow_the_schema(bench):
    doc = json.loads((bench.out / "tables.json").read_text())
    assert doc == bench.tables
    assert set(doc) <= set(TABLES)
    assert {"rhythm", "classification", "retrieval_sync", "retarget", "speed"} <= set(doc)
    for rows in doc.values():
        for metrics in rows.values():
            assert metrics
            for cell in metrics.values():
                assert set(cell) == {"mean", "std"}
                assert isinstance(cell["mean"], float) and cell["std"] == 0.0  # one seed
    assert not bench.meta["failed"], bench.meta["failed"]


def test_every_method_is_in_the_tables_it_applies_to(bench):
    t = bench.tables
    # these videos have no keypoints: the MotionBeat step is skipped, not failed
    assert not any(k.startswith("motionbeat") for k in t)
    video_methods = set(BENCH_DEFAULT) - set(MUSIC_ENCODERS)
    free = [m for m in LEARNING_FREE if m not in NEEDS_EXTRA]  # the default bench's
    assert video_methods == set(t["speed"])
    assert {"mudar", *free, "mudar-audio", "mudar-data50"} <= set(t["rhythm"])
    assert {"chance", "all"} <= set(t["rhythm"])
    assert "mudar (p>0.5)" in t["rhythm"]  # the paper's decision rule, beside the peaks
    assert not {"multisensory", "avts", "lla"} & set(t["rhythm"])  # no rhythm head
    assert {"mudar", "multisensory", "avts", "lla", "mudar-norhythm", "majority", "raw"} <= set(
        t["classification"]
    )
    assert video_methods | {"mudar-norhythm", "chance"} <= set(t["retrieval_sync"])
    # sync by the rhythm times below the frame: every method with a rhythm, none without
    timed = {f"{m} (timed)" for m in ("mudar", *free)}
    assert timed <= set(t["retrieval_sync"]) and not timed & set(t.get("retrieval_genre", {}))
    assert "multisensory (timed)" not in t["retrieval_sync"]
    expected = t["retrieval_sync"]["chance (expected)"]  # 1 / N: one relevant clip among N
    n = round(1 / expected["R@1"]["mean"])
    assert expected["R@5"]["mean"] == pytest.approx(min(5, n) / n)
    assert expected["P@10"]["mean"] == pytest.approx(min(10, n) / n / 10)
    for row in timed:
        assert 0 <= t["retrieval_sync"][row]["R@1"]["mean"] <= 1
    assert set(t["retarget"]) == {"mudar", "hoof-flux", "directogram", "motion-energy"}
    timing = {"gain", "f1_70ms", "gain_70ms", "f1_70ms_beats", "gain_70ms_beats"}
    assert set(t["rhythm"]["mudar"]) == {"precision", "recall", "f1", "f1_exact", "f1_shifted"} | (
        timing
    )
    assert timing <= set(t["rhythm"]["hoof-flux"]) and "f1_70ms" in t["rhythm"]["chance"]
    assert set(bench.meta["timing"]["mudar"]) == {"gain", "gain_70ms", "gain_70ms_beats"}
    assert set(t["retarget"]["mudar"]) == {
        "bas_true",
        "bas_before",
        "bas_shift",
        "bas_accel",
        "bas_dtw",
        "bas_dtw-points",
    }
    for row in t["rhythm"].values():
        assert 0 <= row["f1"]["mean"] <= 1
    assert t["speed"]["mudar"]["train_s"]["mean"] > 0
    assert t["speed"]["hoof-flux"]["train_s"]["mean"] == 0


def test_outputs_of_a_bench(bench):
    out = bench.out
    for name in ("tables.md", "report.html", "meta.json", "plan.json", "splits/s0/split.json"):
        assert (out / name).is_file(), name
    split = json.loads((out / "splits" / "s0" / "split.json").read_text())
    assert not set(split["train"]) & set(split["test"])
    trained = json.loads((out / "runs" / "mudar-s0" / "split.json").read_text())
    assert set(trained["train"]) | set(trained["val"]) == set(split["train"])  # no test dance
    md = (out / "tables.md").read_text()
    assert "### Visual rhythm" in md and "| mudar |" in md
    page = (out / "report.html").read_text()
    assert "<img src='plots/rhythm.png'>" in page
    assert (
        "<img src='plots/rhythm-timing.png'>" in page
        and (out / "plots/rhythm-timing.png").is_file()
    )


def test_a_finished_bench_resumes_without_training(bench, videos, monkeypatch):
    import mudar.training.train as training

    def no_training(*args, **kwargs):
        raise AssertionError("a finished run was trained again")

    monkeypatch.setattr(training, "train", no_training)
    again = run_bench(videos, bench.out, budget=TINY, progress=False)
    assert again.tables == bench.tables


def test_a_failing_run_is_reported_and_skipped(bench, videos, monkeypatch):
    import mudar.pipelines.bench.run as run

    real = run.score_run

    def failing(r, *args, **kwargs):
        if r.name == "lla":
            raise RuntimeError("lla broke")
        return real(r, *args, **kwargs)

    (bench.out / "runs" / "lla-s0" / "results.json").unlink()
    monkeypatch.setattr(run, "score_run", failing)
    again = run_bench(videos, bench.out, budget=TINY, progress=False)
    assert again.meta["failed"] == [{"run": "lla-s0", "error": "RuntimeError: lla broke"}]
    assert "lla" not in again.tables["classification"]
    assert "mudar" in again.tables["classification"]  # the others carry on
    assert "lla broke" in (bench.out / "runs" / "lla-s0" / "error.txt").read_text()
    assert "lla-s0: RuntimeError: lla broke" in (bench.out / "tables.md").read_text()


def test_cli_prints_the_json(bench, videos, monkeypatch, capsys):
    import mudar.pipelines.bench.plan as plan

    monkeypatch.setattr(plan, "QUICK", TINY)  # the finished tiny bench, read back
    code = main(
        ["bench", "--data", str(videos), "--out", str(bench.out), "--quick", "--json"]
        + ["--no-progress"]
    )
    doc = json.loads(capsys.readouterr().out)
    assert code in (0, 1)  # 1: the run failed in the test above
    assert set(doc["speed"]) >= {"mudar", "hoof-flux", "directogram"}


def test_cli_without_data_says_where_it_looked(tmp_path, capsys):
    code = main(["bench", "--data", str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    assert code == 2
    err = capsys.readouterr().err
    assert "nope: no such folder of dance videos" in err and "--data" in err


@pytest.mark.parametrize(
    "option, value, said",
    [
        ("--ablations", "detatch", ("unknown ablation(s) detatch", "contrastive")),
        ("--preset", "huge", ("unknown preset 'huge'", "cpu-energy")),
    ],
)
def test_cli_unknown_choice_is_one_line_and_writes_nothing(tmp_path, capsys, option, value, said):
    out = tmp_path / "o"
    code = main(["bench", "--data", str(tmp_path), "--out", str(out), option, value])
    assert code == 2 and not out.exists()
    err = capsys.readouterr().err
    assert all(x in err for x in said) and "Traceback" not in err


def test_an_out_folder_of_another_budget_is_refused(bench, videos):
    from mudar.errors import ParameterError

    other = Budget(name="other", preset="debug", epochs=2, clip_hop_s=2.0, seeds=1, ablations=())
    with pytest.raises(ParameterError, match="another budget"):
        run_bench(videos, bench.out, budget=other, progress=False)


@pytest.fixture(scope="module")
def locked_videos(videos, tmp_path_factory):
    """The dances laid out as a beat-locked set: two looks of each, ``<dance>/video_<look>``."""
    return as_locked(videos, tmp_path_factory.mktemp("bench-locked"))


def test_a_locked_set_is_tested_in_looks_never_trained_on(locked_videos, tmp_path):
    budget = dataclasses.replace(TINY, ablations=())
    out = tmp_path / "out"
    result = run_bench(
        locked_videos,
        out,
        budget=budget,
        methods=["mudar", "hoof-flux"],
        threads=1,
        progress=False,
        test_looks=["side"],
    )
    split = json.loads((out / "splits" / "s0" / "split.json").read_text())
    assert split["test_looks"] == ["side"]
    assert split["test"] and all(i.endswith("/video_side") for i in split["test"])
    assert split["train"] and all(i.endswith("/video_front") for i in split["train"])
    dances = {i.split("/")[0] for i in split["test"]}
    assert not dances & {i.split("/")[0] for i in split["train"]}
    assert result.meta["test_looks"] == ["side"] and not result.meta["failed"]
    assert "gain_70ms" in result.tables["rhythm"]["mudar"]
    assert "gain_70ms" in result.tables["rhythm"]["accents (oracle)"]  # the reference row
    assert "accents (oracle) (timed)" in result.tables["retrieval_sync"]
    assert "look(s) side only" in (out / "tables.md").read_text()
    # the same folder with other test looks would mix two benches
    from mudar.errors import ParameterError

    with pytest.raises(ParameterError, match="other test looks"):
        run_bench(locked_videos, out, budget=budget, methods=["hoof-flux"], progress=False)


def test_cli_test_looks_on_videos_that_are_not_a_locked_set(videos, tmp_path, capsys):
    out = tmp_path / "o"
    code = main(
        ["bench", "--data", str(videos), "--out", str(out), "--quick", "--methods", "hoof-flux"]
        + ["--test-looks", "side", "--no-progress"]
    )
    err = capsys.readouterr().err
    assert code == 2 and "beat-locked set" in err and "Traceback" not in err
    assert not out.exists()  # refused before anything is written


def test_an_aist_tree_is_benched_as_it_ships(tmp_path):
    """`mudar bench --data aist/`: the AIST++ sequences are rendered, prepared and split by
    sequence like any dance (two per genre here, so that each genre can be tested)."""
    import aist_factory as F

    root = F.make_aist_tree(tmp_path / "aist", duration_s=10.0)
    extra = []
    for genre, music_id, t0 in (("HO", "mHO3", 0.1), ("BR", "mBR2", 0.15), ("PO", "mPO3", 0.05)):
        name = f"g{genre}_sBM_cAll_d19_{music_id}_ch09"
        beat = 60.0 / F.aist_tempo(music_id)
        keypoints = F.dance_keypoints(beat_s=beat, t0=t0, duration_s=10.0)
        F.write_pickle(root / "keypoints3d" / f"{name}.pkl", keypoints)
        y, _ = F.synth_music(
            tempo_bpm=F.aist_tempo(music_id),
            duration_s=12.0,
            sr=F.SR,
            offset_s=t0,
            tonal_bed=False,
        )
        F.write_audio(root / "wav" / f"{music_id}.wav", y, sr=F.SR)
        extra.append(name)
    train = root / "splits" / "crossmodal_train.txt"
    train.write_text("\n".join(train.read_text().split() + extra))
    budget = dataclasses.replace(TINY, ablations=())
    result = run_bench(
        root,
        tmp_path / "out",
        budget=budget,
        methods=["hoof-flux", "motion-energy"],
        threads=1,
        progress=False,
    )
    assert not result.meta["failed"]
    assert {"hoof-flux", "motion-energy"} <= set(result.tables["rhythm"])
    assert "motion-energy (timed)" in result.tables["retrieval_sync"]
    split = json.loads((tmp_path / "out" / "splits" / "s0" / "split.json").read_text())
    assert split["test"] and all(i.startswith("g") for i in split["test"] + split["train"])


def test_cli_without_data_is_one_line(tmp_path, capsys):
    """No default folder: a library does not know where it is checked out."""
    code = main(["bench", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("mudar: error: --data DIR is required")
