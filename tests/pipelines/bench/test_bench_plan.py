"""The plan (runs, budgets) and the seeded split of dances (grouped, stratified, reproducible)."""

import dataclasses

import pytest

from mudar.errors import ParameterError
from mudar.methods import BENCH, BENCH_DEFAULT, LEARNED, NEEDS_EXTRA
from mudar.pipelines.bench.plan import (
    ABLATIONS,
    FULL,
    QUICK,
    Budget,
    make_plan,
    retarget_pairs,
    split_dances,
    subsample_dances,
)

# the dwm genres: waltz 25, rumba 5, chacha 4, tango 1
GENRES = ["waltz"] * 25 + ["rumba"] * 5 + ["chacha"] * 4 + ["tango"]
ITEMS = [
    {"id": f"D{i:02d}/video", "label": g, "entry": f"items/h{i:02d}-cfg.npz"}
    for i, g in enumerate(GENRES)
]
LABEL = {it["id"]: it["label"] for it in ITEMS}


def test_quick_plan_trains_every_method_once_and_two_ablations():
    plan = make_plan(QUICK)
    assert plan.methods == BENCH_DEFAULT  # every method but those of an extra (pose, timing)
    extras = [m for m in NEEDS_EXTRA if m in BENCH]  # timing-beats is a row of timing's run
    assert make_plan(QUICK, methods=[*BENCH_DEFAULT, *extras]).methods == BENCH
    assert plan.seeds == (0,)
    names = [r.name for r in plan.runs]
    assert names[:4] == list(LEARNED)
    trained = [r for r in plan.runs if r.name not in LEARNED]
    assert len(trained) == 2 and all(r.method == "mudar" for r in trained)
    assert {r.dirname for r in plan.runs} == {f"{n}-s0" for n in names}
    assert set(plan.ablations) >= {"no-audio", "no-rhythm"}  # free ones, at evaluation


def test_full_plan_has_its_ablations_on_every_seed():
    plan = make_plan(FULL)
    assert plan.seeds == (0, 1, 2)
    assert set(FULL.ablations) < set(ABLATIONS)  # the loss-diagnosis ones are opt-in
    trained = sum(ABLATIONS[a].trained for a in FULL.ablations)
    assert len(plan.runs) == 3 * (len(LEARNED) + trained)
    crf = [r for r in plan.runs_for(1) if r.name == "mudar-crf"]
    assert crf[0].model_overrides == {"head": "crf"} and crf[0].tables == ("rhythm",)
    data25 = [r for r in plan.runs_for(2) if r.name == "mudar-data25"][0]
    assert data25.train_fraction == 0.25 and data25.dirname == "mudar-data25-s2"
    assert "motionbeat" in plan.methods  # a step of its own per seed, no MuDaR-style run
    assert not [r for r in plan.runs if r.method == "motionbeat"]
    triplet = [r for r in plan.runs_for(0) if r.name == "mudar-triplet"][0]
    assert triplet.train_overrides == {"implicit_loss": "triplet"} and triplet.method == "mudar"
    # a baseline has no rhythm head: no rhythm, no retargeting
    avts = [r for r in plan.runs_for(0) if r.name == "avts"][0]
    assert "rhythm" not in avts.tables and "retarget" not in avts.tables


def test_opt_in_ablations_train_their_variant():
    budget = dataclasses.replace(FULL, ablations=("contrastive", "detach"))
    runs = {r.name: r for r in make_plan(budget, seeds=1, methods=["mudar"]).runs}
    assert set(runs) == {"mudar", "mudar-contrastive", "mudar-detach"}
    assert runs["mudar-contrastive"].train_overrides == {"implicit_loss": "contrastive"}
    assert runs["mudar-detach"].model_overrides == {"explicit_detach": True}
    with pytest.raises(ParameterError, match="unknown ablation"):
        dataclasses.replace(FULL, ablations=("detatch",))


def test_methods_restrict_the_plan():
    plan = make_plan(FULL, seeds=2, methods=["hoof-flux", "avts"])
    assert plan.methods == ("avts", "hoof-flux")  # table order
    assert [r.dirname for r in plan.runs] == ["avts-s0", "avts-s1"]
    assert plan.ablations == ()  # ablations are MuDaR's
    with pytest.raises(ParameterError, match="unknown method"):
        make_plan(QUICK, methods=["mudar", "clip"])
    with pytest.raises(ParameterError, match="seeds"):
        make_plan(QUICK, seeds=0)


def test_the_timing_model_is_one_run_a_seed_for_the_rhythm_table():
    assert "timing" in BENCH and "timing" not in BENCH_DEFAULT  # it may read the pose extra
    plan = make_plan(FULL, methods=["timing", "motion-energy", "mudar"])
    runs = [r for r in plan.runs if r.method == "timing"]
    assert [r.dirname for r in runs] == ["timing-s0", "timing-s1", "timing-s2"]
    assert all(r.name == "timing" and r.is_main and r.tables == ("rhythm",) for r in runs)
    assert [r.name for r in plan.runs_for(0)][:2] == ["mudar", "timing"]  # main runs first
    assert FULL.timing_steps == 1500 and QUICK.timing_steps < FULL.timing_steps
    with pytest.raises(ParameterError, match="timing_steps"):
        dataclasses.replace(QUICK, timing_steps=0)
    # the full budget trains the shipped recipe, an ensemble of three; quick one model
    from mudar.models.timing import TIMING_PRESETS

    assert FULL.timing_members == TIMING_PRESETS["cpu"].members and QUICK.timing_members == 1
    with pytest.raises(ParameterError, match="timing_members"):
        dataclasses.replace(QUICK, timing_members=0)


def test_every_learned_method_gets_the_same_budget():
    o = FULL.train_overrides_for(2)
    assert o == {"epochs": 4, "clip_hop_s": 5.0, "avts_from_epoch": 3, "seed": 2}
    assert QUICK.train_overrides_for(0)["avts_from_epoch"] == 1
    with pytest.raises(ParameterError, match="unknown preset"):
        dataclasses.replace(QUICK, preset="huge")
    with pytest.raises(ParameterError, match="unknown ablation"):
        dataclasses.replace(QUICK, ablations=("no-music",))
    with pytest.raises(ParameterError, match="test_fraction"):
        Budget(name="x", epochs=1, clip_hop_s=1.0, seeds=1, ablations=(), test_fraction=1.0)


def test_split_is_by_dance_stratified_and_seeded():
    train, test = split_dances(ITEMS, test_fraction=0.3, seed=0)
    assert sorted(train + test) == sorted(LABEL) and not set(train) & set(test)
    counts = {g: sum(LABEL[i] == g for i in test) for g in ("waltz", "rumba", "chacha", "tango")}
    # round(0.3 n), at least one, never all; the only tango dance is trained on
    assert counts == {"waltz": 8, "rumba": 2, "chacha": 1, "tango": 0}
    assert split_dances(ITEMS, test_fraction=0.3, seed=0) == (train, test)
    others = [split_dances(ITEMS, test_fraction=0.3, seed=s)[1] for s in (1, 2)]
    assert all(o != test for o in others)


def test_copies_of_one_video_stay_on_one_side():
    copy = {"id": "copy-of-D00/video", "label": "waltz", "entry": "items/h00-cfg.npz"}
    for seed in range(5):
        train, test = split_dances([*ITEMS, copy], test_fraction=0.3, seed=seed)
        assert ("D00/video" in test) == ("copy-of-D00/video" in test)


def test_nothing_to_test_is_an_error():
    one_each = [{"id": g, "label": g, "entry": f"items/{g}-c.npz"} for g in ("a", "b")]
    with pytest.raises(ParameterError, match="two dances"):
        split_dances(one_each, test_fraction=0.3, seed=0)
    with pytest.raises(ParameterError, match="test_fraction"):
        split_dances(ITEMS, test_fraction=0.0, seed=0)


def test_data_subsets_are_stratified_and_nested():
    train, _ = split_dances(ITEMS, test_fraction=0.3, seed=0)
    q = subsample_dances(train, LABEL, fraction=0.25, seed=0)
    h = subsample_dances(train, LABEL, fraction=0.5, seed=0)
    assert set(q) < set(h) < set(train)
    assert subsample_dances(train, LABEL, fraction=1.0, seed=0) == sorted(train)
    # every genre keeps at least one dance: waltz 17 -> 5, rumba 3 -> 1, chacha 3 -> 1, tango 1
    assert sorted(LABEL[i] for i in q).count("waltz") == 5
    assert {LABEL[i] for i in q} == {"waltz", "rumba", "chacha", "tango"}
    assert subsample_dances(train, LABEL, fraction=0.25, seed=0) == q


def test_retarget_pairs():
    genre = {"a": "x", "b": "x", "c": "y"}
    pairs = retarget_pairs(genre, 2, seed=0)
    assert pairs == retarget_pairs(genre, 2, seed=0)
    same = [p for p in pairs if p[2] == "same genre"]
    other = [p for p in pairs if p[2] == "other genre"]
    assert len(same) == 2 and all(genre[i] == genre[j] and i != j for i, j, _ in same)
    assert len(other) == 2 and all(genre[i] != genre[j] for i, j, _ in other)
    assert retarget_pairs({"a": "x", "b": "y"}, 3, seed=0) == [
        p for p in retarget_pairs({"a": "x", "b": "y"}, 3, seed=0) if p[2] == "other genre"
    ]


LOOKS = ("dwm", "side", "high")


@pytest.fixture
def locked(tmp_path):
    """The dances as a beat-locked set: three looks each, beside a meta.json that says so."""
    items = []
    for k, it in enumerate(ITEMS):
        dance = it["id"].split("/")[0]
        (tmp_path / dance).mkdir()
        (tmp_path / dance / "meta.json").write_text('{"locked": true}')
        for look in LOOKS:
            items.append(
                {
                    "id": f"{dance}/video_{look}",
                    "path": str(tmp_path / dance / f"video_{look}.mp4"),
                    "label": it["label"],
                    "entry": f"e/h{k}{look}-cfg.npz",  # each look its own content
                }
            )
    return items


def test_a_locked_set_is_split_by_dance_with_all_its_looks(locked):
    # every look has its own content (entry), but the looks of one dance go together
    train, test = split_dances(locked, test_fraction=0.3, seed=0)
    dance = {i.split("/")[0] for i in test}
    assert not dance & {i.split("/")[0] for i in train}
    assert len(test) == 3 * len(dance)  # every look of a test dance is tested


def test_test_looks_are_never_seen_in_training(locked):
    train, test = split_dances(locked, test_fraction=0.3, seed=0, test_looks=["high"])
    assert {i.rsplit("_", 1)[1] for i in test} == {"high"}
    assert {i.rsplit("_", 1)[1] for i in train} == {"dwm", "side"}
    assert not {i.split("/")[0] for i in train} & {i.split("/")[0] for i in test}
    # the same dances as without test looks: only the looks differ
    _, all_looks = split_dances(locked, test_fraction=0.3, seed=0)
    assert {i.split("/")[0] for i in test} == {i.split("/")[0] for i in all_looks}


@pytest.mark.parametrize(
    "which, looks, match",
    [
        ("plain", ["high"], "beat-locked set"),
        ("unmarked", ["high"], "beat-locked set"),  # the names alone do not make a locked set
        ("locked", ["back"], "not in the set; it has dwm, high, side"),
        ("locked", ["dwm", "side", "high"], "no look to train on"),
    ],
)
def test_bad_test_looks_are_one_clear_error(locked, which, looks, match):
    items = {
        "plain": ITEMS,
        "locked": locked,
        "unmarked": [{k: v for k, v in it.items() if k != "path"} for it in locked],
    }[which]
    with pytest.raises(ParameterError, match=match):
        split_dances(items, test_fraction=0.3, seed=0, test_looks=looks)


def test_videos_named_like_looks_without_the_lock_are_split_by_content(locked):
    """A folder of clips/video_01.mp4 ... is not a locked set: each video is its own dance."""
    unmarked = [{k: v for k, v in it.items() if k != "path"} for it in locked]
    train, test = split_dances(unmarked, test_fraction=0.3, seed=0)
    by_dance = {}
    for i in test:
        by_dance.setdefault(i.split("/")[0], []).append(i)
    assert any(len(v) < len(LOOKS) for v in by_dance.values())  # looks split apart
