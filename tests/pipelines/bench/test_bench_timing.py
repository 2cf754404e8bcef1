"""The learned timing model in `mudar bench`: trained per seed on the training dances' videos
in the training looks, scored in the rhythm table, read against the best rule, kept."""

import dataclasses
import json
from pathlib import Path

import pytest
from bench_data import TINY, as_locked, tiny_dances

from mudar.cli.main import main
from mudar.models.checkpoint import load_timing
from mudar.pipelines.bench import timing
from mudar.pipelines.bench.run import run_bench
from mudar.training import timing as training_timing
from mudar.training.timing import THRESHOLDS

BUDGET = dataclasses.replace(TINY, ablations=(), seeds=2, timing_steps=4)
METHODS = ["timing", "motion-energy"]


@pytest.fixture(scope="module")
def locked(tmp_path_factory):
    videos = tiny_dances(tmp_path_factory.mktemp("timing-videos"))
    return as_locked(videos, tmp_path_factory.mktemp("timing-locked"))


@pytest.fixture(scope="module")
def bench(locked, tmp_path_factory):
    out = tmp_path_factory.mktemp("timing-bench") / "out"
    kw = {"methods": METHODS, "threads": 1, "progress": False, "test_looks": ["side"]}
    return run_bench(locked, out, budget=BUDGET, **kw), kw


def test_a_timing_model_is_trained_per_seed_on_training_looks_only(bench):
    result, _ = bench
    assert not result.meta["failed"], result.meta["failed"]
    for seed in (0, 1):
        split = json.loads((result.out / "splits" / f"s{seed}" / "split.json").read_text())
        run = result.out / "runs" / f"timing-s{seed}"
        info = json.loads((run / "run.json").read_text())
        assert info["steps"] == 4 and info["labels"] == "beats"
        assert info["use_pose"] is False  # no pose method: the analyses have no pose track
        assert info["n_train_videos"] + info["n_threshold_videos"] == len(split["train"])
        assert info["threshold_dances"] >= 1 and info["train_dances"] >= 1
        model = load_timing(run / "model.pt")
        assert model.config.head == "dense" and not model.config.use_pose
        assert model.config.threshold in THRESHOLDS
        held = model.meta["threshold_ids"]
        assert set(held) < set(split["train"])  # test dances and test looks never seen
        assert all(i.endswith("/video_front") for i in held)
        # a fifth of the training dances, all of a dance's videos on one side
        dances = {i.split("/")[0] for i in held}
        fit = set(split["train"]) - set(held)
        assert not dances & {i.split("/")[0] for i in fit}


def test_the_timing_rows_have_the_70ms_columns_and_a_line_each_against_the_best_rule(bench):
    """One model, two rows: its rhythm points (``timing``) and the dance's beats through its
    probabilities (``timing-beats``), each read against the best rule."""
    result, _ = bench
    rhythm = result.tables["rhythm"]
    columns = {"f1", "gain", "f1_70ms", "gain_70ms", "f1_70ms_beats", "gain_70ms_beats"}
    for row in ("timing", "timing-beats", "motion-energy"):
        assert columns <= set(rhythm[row]), row
    assert "accents (oracle)" in rhythm
    assert list(rhythm).index("timing-beats") == list(rhythm).index("timing") + 1
    for row in ("timing", "timing-beats"):
        assert set(result.meta["timing"][row]) == {"gain", "gain_70ms", "gain_70ms_beats"}
    per_seed = [
        json.loads((result.out / "results" / f"s{s}.json").read_text())["rhythm"] for s in (0, 1)
    ]
    md = (result.out / "tables.md").read_text()
    html = (result.out / "report.html").read_text()
    assert [vs["row"] for vs in result.meta["timing_vs_rule"]] == ["timing", "timing-beats"]
    for vs in result.meta["timing_vs_rule"]:
        assert vs["rule"] == "motion-energy" and vs["metric"] == "gain_70ms_beats"
        assert vs["n"] == 2 and vs["low"] <= vs["mean"] <= vs["high"]
        row = vs["row"]
        diffs = [
            r[row]["gain_70ms_beats"] - r["motion-energy"]["gain_70ms_beats"] for r in per_seed
        ]
        assert vs["mean"] == pytest.approx(sum(diffs) / 2, abs=1e-4)
        line = f"Learned {row} minus the best learning-free rule (motion-energy) in gain_70ms_beats"
        assert line in md and line in html
        assert f"| {row} |" in md


def test_a_finished_timing_run_is_kept(bench, locked, monkeypatch):
    result, kw = bench

    def no_training(*args, **kwargs):
        raise AssertionError("a finished timing run was trained again")

    monkeypatch.setattr(training_timing, "train_timing", no_training)
    again = run_bench(locked, result.out, budget=BUDGET, **kw)
    assert not again.meta["failed"] and again.tables == result.tables


def test_a_failing_timing_run_is_reported_and_skipped(bench, locked, tmp_path, monkeypatch):
    _, kw = bench

    def broken(*args, **kwargs):
        raise RuntimeError("timing broke")

    monkeypatch.setattr(training_timing, "train_timing", broken)
    budget = dataclasses.replace(BUDGET, seeds=1)
    result = run_bench(locked, tmp_path / "out", budget=budget, **kw)
    assert result.meta["failed"] == [{"run": "timing-s0", "error": "RuntimeError: timing broke"}]
    assert "timing" not in result.tables["rhythm"] and "motion-energy" in result.tables["rhythm"]
    assert "timing-beats" not in result.tables["rhythm"]
    assert result.meta["timing_vs_rule"] == []


def test_the_command_line_offers_it(capsys):
    with pytest.raises(SystemExit):
        main(["bench", "--help"])
    assert "timing" in capsys.readouterr().out


def test_a_bench_folder_older_than_timing_steps_is_still_taken(tmp_path):
    """A folder whose budget predates ``timing_steps`` trained no timing model: resuming it
    (adding ``--methods ...,timing``) is allowed; another number of steps is another budget."""
    from mudar.errors import ParameterError
    from mudar.pipelines.bench.plan import make_plan
    from mudar.pipelines.bench.run import _check_out

    plan = make_plan(BUDGET, methods=METHODS)
    older = plan.budget.to_dict()
    del older["timing_steps"]
    (tmp_path / "plan.json").write_text(json.dumps({"budget": older, "test_looks": []}))
    _check_out(tmp_path, plan)
    other = {**older, "timing_steps": 99}
    (tmp_path / "plan.json").write_text(json.dumps({"budget": other, "test_looks": []}))
    with pytest.raises(ParameterError, match="another budget"):
        _check_out(tmp_path, plan)


def test_with_pose_tracks_the_model_reads_them(dance_clip, tmp_path):
    """Where the bench's analyses have pose tracks (``--methods ...,pose``), the model is built
    to read them; its row is scored all the same. Made-up tracks: MediaPipe runs at real time."""
    import numpy as np

    from mudar.errors import ParameterError
    from mudar.features.analysis import AnalysisConfig
    from mudar.features.extract import analyze
    from mudar.features.pose import PoseTrack
    from mudar.pipelines.bench.plan import Run, make_plan
    from mudar.pipelines.bench.scoring import Seed

    a = analyze(dance_clip.path, AnalysisConfig(size=64, energy_steps=4))
    t = np.arange(0, a.duration_s, 1 / 25)
    analyses = {}
    for k in range(4):  # four "dances": two to train on, one for the threshold, one to test
        rng = np.random.default_rng(k)
        kp = (100 + rng.standard_normal((len(t), 17, 2)).cumsum(0)).astype(np.float32)
        conf = np.ones((len(t), 17), np.float32)
        track = PoseTrack(t, kp, conf, np.zeros((len(t), 0, 4), np.float32), 160, 160, 25.0)
        analyses[f"d{k}"] = dataclasses.replace(a, pose=track)
    ids = sorted(analyses)
    items = {i: {"id": i, "label": "waltz"} for i in ids}
    ctx = Seed(0, ids, ids[:3], ids[3:], analyses, {i: "waltz" for i in ids}, items)
    assert timing.reads_pose(ctx)
    fit, held = timing.threshold_split(ctx)
    assert len(fit) == 2 and len(held) == 1 and not set(fit) & set(held)
    plan = make_plan(BUDGET, methods=METHODS)
    run = Run("timing", "timing", 0, tables=("rhythm",))
    info = timing.ensure_timing(run, ctx, plan, tmp_path, tmp_path, tmp_path / "run")
    assert info["use_pose"] is True and info["n_train_videos"] == 2
    assert load_timing(tmp_path / "run" / "model.pt").config.use_pose
    rows = timing.score_timing(run, ctx, plan, info, tmp_path / "run" / "model.pt")["rhythm"]
    assert {"f1_70ms", "gain_70ms", "f1_70ms_beats", "gain_70ms_beats"} <= set(rows["timing"])
    # one training dance: nothing left to choose the threshold on
    with pytest.raises(ParameterError, match="two training dances"):
        timing.threshold_split(dataclasses.replace(ctx, train_ids=ids[:1]))


def test_each_seed_can_average_several_models_and_an_older_single_run_is_redone(
    bench, locked, tmp_path, monkeypatch
):
    from mudar.models.timing import TimingEnsemble

    _, kw = bench
    one = dataclasses.replace(BUDGET, seeds=1, timing_members=1)
    out = tmp_path / "out"
    run_bench(locked, out, budget=one, **kw)
    model = load_timing(out / "runs" / "timing-s0" / "model.pt")
    assert not isinstance(model, TimingEnsemble)
    seeds = []
    real = training_timing.train_timing

    def counted(items, config, train, **k):
        seeds.append(train.seed)
        return real(items, config, train, **k)

    monkeypatch.setattr(training_timing, "train_timing", counted)
    # a folder made before timing_members: its budget and its run say nothing of members
    for path, key in ((out / "plan.json", "budget"), (out / "runs" / "timing-s0" / "run.json", "")):
        doc = json.loads(path.read_text())
        (doc[key] if key else doc).pop("timing_members" if key else "members")
        path.write_text(json.dumps(doc))
    two = dataclasses.replace(one, timing_members=2)
    scores = out / "runs" / "timing-s0" / "results.json"
    from mudar.pipelines.bench.run import SCORING_VERSION

    old = {"version": SCORING_VERSION, "results": {"rhythm": {"timing": {"f1": -1.0}}}}
    scores.write_text(json.dumps(old))  # the old model's scores, current in form
    result = run_bench(locked, out, budget=two, **kw)
    assert json.loads(scores.read_text())["results"]["rhythm"]["timing"]["f1"] >= 0  # anew
    assert not result.meta["failed"] and seeds == [0, 1]  # seed * members + j
    model = load_timing(out / "runs" / "timing-s0" / "model.pt")
    assert isinstance(model, TimingEnsemble) and model.config.members == 2
    assert json.loads((out / "runs" / "timing-s0" / "run.json").read_text())["members"] == 2
    assert "timing" in result.tables["rhythm"]


def test_a_locked_set_trains_on_its_free_pose_tracks_and_estimates_only_the_test_looks(
    locked, tmp_path, monkeypatch
):
    """``make-locked --pose`` wrote each training look's pose track beside it: the model learns
    from those (as the shipped one did) and MediaPipe runs on the test looks only, where a
    user's video would have it run; a training video without a track is estimated too."""
    pytest.importorskip("mediapipe", reason="the pose rule needs the pose extra")
    import shutil

    import numpy as np

    from mudar.features.pose import PoseTrack
    from mudar.pipelines.bench import data as bench_data

    root = tmp_path / "locked"
    shutil.copytree(locked, root)
    dances = sorted(p for p in root.iterdir() if p.is_dir())
    t = np.arange(0, 8.0, 1 / 25)
    for k, dance in enumerate(dances[1:]):  # the first dance has none: estimated
        rng = np.random.default_rng(k)
        kp = (100 + rng.standard_normal((len(t), 17, 2)).cumsum(0)).astype(np.float32)
        conf = np.ones((len(t), 17), np.float32)
        track = PoseTrack(
            t, kp, conf, np.zeros((len(t), 0, 4), np.float32), 160, 160, 25.0, "free (test)"
        )
        np.savez(dance / "pose_front.npz", **track.to_arrays())
        np.savez(dance / "pose_side.npz", **track.to_arrays())  # a test look's: never read
    estimated = []
    real = bench_data.analyze_files

    def spied(paths, *args, **kwargs):
        estimated.extend(paths)
        return real(paths, *args, **kwargs)

    monkeypatch.setattr(bench_data, "analyze_files", spied)
    budget = dataclasses.replace(BUDGET, seeds=1)
    kw = {"threads": 1, "progress": False, "test_looks": ["side"], "jobs": 1}
    result = run_bench(root, tmp_path / "out", budget=budget, methods=[*METHODS, "pose"], **kw)
    assert not result.meta["failed"], result.meta["failed"]
    names = sorted(f"{p.parent.name}/{p.name}" for p in map(Path, estimated))
    assert names == sorted(
        [f"{d.name}/video_side.mp4" for d in dances] + [f"{dances[0].name}/video_front.mp4"]
    )
    info = json.loads((result.out / "runs" / "timing-s0" / "run.json").read_text())
    assert info["use_pose"] is True
    assert sum(info["train_pose"].values()) == info["n_train_videos"]
    split = json.loads((result.out / "splits" / "s0" / "split.json").read_text())
    held = load_timing(result.out / "runs" / "timing-s0" / "model.pt").meta["threshold_ids"]
    first = f"{dances[0].name}/video_front"  # estimated, whether trained on or not
    trained_on_first = int(first in split["train"] and first not in held)
    free = info["train_pose"].get("free (test)", 0)
    assert free == info["n_train_videos"] - trained_on_first > 0
    assert {"timing", "pose", "motion-energy"} <= set(result.tables["rhythm"])


def test_the_header_counts_dances_not_videos_on_a_locked_set(bench):
    """A beat-locked set has several videos a dance: the header says both."""
    result, _ = bench
    meta = result.meta
    assert meta["n_dances"] == 5 and meta["n_videos"] == 10 and meta["n_test"] >= 1
    line = f"5 dances (10 videos), {meta['n_test']} test videos per seed"
    assert line in (result.out / "tables.md").read_text()
    assert line in (result.out / "report.html").read_text()
