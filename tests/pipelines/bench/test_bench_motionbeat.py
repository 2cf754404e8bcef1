"""MotionBeat's bench step: the tables' pieces with known answers, then the tables end to end on
synthetic dances (a click track and a dancer who marks its beats)."""

import json

import numpy as np
import pytest
import torch

from mudar.errors import ParameterError
from mudar.eval.retrieval import chance_retrieval
from mudar.io.write import write_audio
from mudar.models.checkpoint import load_motionbeat
from mudar.models.motionbeat import MotionBeat
from mudar.models.presets import MOTIONBEAT_PRESETS as PRESETS
from mudar.pipelines.bench.motionbeat import (
    beat_table,
    genre_probe,
    motionbeat_tables,
    retrieval_table,
    run_motionbeat_bench,
)
from mudar.pipelines.songs import Song
from mudar.synthetic.video import synth_music
from mudar.training.motionbeat import MotionBeatModule

DEBUG = PRESETS["debug"]


@pytest.fixture(scope="module")
def model():
    import torch

    torch.manual_seed(0)
    return MotionBeat(DEBUG.model).eval()


# --- beats ------------------------------------------------------------------------------------


def test_beat_table_on_a_click_track(model):
    sr = DEBUG.model.clock.sr
    y, beats = synth_music(tempo_bpm=120.0, duration_s=6.0, sr=sr, offset_s=0.25, seed=1)
    songs = [Song("click", y, sr, beats), Song("click-unannotated", y, sr)]
    table = beat_table(model, songs)
    assert set(table) == {"motionbeat", "motionbeat-dp", "input-beats", "librosa"}
    # the learning-free trackers get the clicks; an untrained model's activation is a number
    assert table["librosa"]["F_annotated"] > 0.9
    assert table["input-beats"]["F_annotated"] > 0.9
    assert "F_vs_librosa" not in table["librosa"]  # its own reference
    for m in ("motionbeat", "motionbeat-dp", "input-beats"):
        assert 0.0 <= table[m]["F_vs_librosa"] <= 1.0
    with pytest.raises(ParameterError):
        beat_table(model, [Song("wrong rate", y, 22050, beats)])


# --- retrieval --------------------------------------------------------------------------------


def test_identical_embeddings_retrieve_perfectly_and_random_is_its_expectation(rng):
    e = np.linalg.qr(rng.normal(size=(6, 6)))[0]  # orthonormal rows
    dance = np.array([0, 0, 0, 1, 1, 1])
    t = retrieval_table({"same": e @ e.T}, dance)
    assert t["same"] == {f"{p}{k}": 1.0 for p in ("m2d_", "d2m_") for k in ("R@1", "R@5", "mAP")}
    assert t["random"]["m2d_R@1"] == pytest.approx(1 / 6)
    assert t["random"]["m2d_R@5"] == pytest.approx(5 / 6)
    assert t["random"]["m2d_mAP"] == pytest.approx(sum(1 / r for r in range(1, 7)) / 6)
    # the expectation matches random rankings
    draws = [
        retrieval_table({"r": rng.normal(size=(6, 6))}, dance)["r"]["m2d_mAP"] for _ in range(400)
    ]
    assert np.mean(draws) == pytest.approx(t["random"]["m2d_mAP"], abs=0.02)


def test_song_level_leaves_the_query_dance_out():
    # music and motion of a dance all alike: the right song, never the right moment
    dance = np.array([0, 0, 1, 1])
    sim = (dance[:, None] == dance[None, :]).astype(float)
    clip = retrieval_table({"song": sim}, dance)
    song = retrieval_table({"song": sim}, dance, song_level=True)
    assert clip["song"]["m2d_R@1"] == 0.0  # ties go against the query
    assert song["song"]["m2d_R@1"] == 1.0 and song["song"]["d2m_mAP"] == 1.0
    # 1 relevant among 3 candidates (its partner and the other dance's two)
    assert song["random"]["m2d_R@1"] == pytest.approx(1 / 3)
    assert chance_retrieval(np.array([3, 3]))["mAP"] == pytest.approx((1 + 1 / 2 + 1 / 3) / 3)


# --- genre ------------------------------------------------------------------------------------


def test_genre_probe_reads_a_feature_that_holds_the_genre(rng):
    labels = ["a", "a", "a", "b", "b", "b", "c"]  # c: one dance, trained on, never tested
    clip_dance = np.repeat(np.arange(7), 4)
    y = np.array([ord(labels[d]) - ord("a") for d in clip_dance])
    good = np.eye(3)[y] + 0.05 * rng.normal(size=(len(y), 3))
    noise = rng.normal(size=(len(y), 3))
    t = genre_probe({"good": good, "noise": noise}, clip_dance, labels, folds=3, seed=0)
    assert t["good"] == {"clip_acc": 1.0, "dance_acc": 1.0, "dance_balanced_acc": 1.0}
    assert set(t) == {"good", "noise", "majority"}
    assert t["majority"]["dance_balanced_acc"] <= 0.5
    # scored on the dances an encoder did not train on: the same out-of-fold predictions
    held = genre_probe({"good": good}, clip_dance, labels, folds=3, held_out=[1, 0, 0, 1, 0, 0, 1])
    assert held["good"]["held_out_dance_acc"] == held["good"]["held_out_clip_acc"] == 1.0
    assert held["majority"]["held_out_dance_acc"] == 0.5  # a and b tested, c never
    with pytest.raises(ParameterError):
        genre_probe({"short": good[:3]}, clip_dance, labels, folds=3)


# --- the tables -------------------------------------------------------------------------------


def test_motionbeat_tables_on_synthetic_dances(synthetic_dances, model):
    _, made, dances = synthetic_dances
    sr = DEBUG.model.clock.sr
    y, beats = synth_music(tempo_bpm=100.0, duration_s=5.0, sr=sr, seed=2)
    tables = motionbeat_tables(
        model,
        dances,
        test_dances=[d.id for d in dances[:3]],
        songs=[Song("s", y, sr, beats)],
        seed=0,
        folds=2,
    )
    assert set(tables) == {
        "motionbeat_beats",
        "motionbeat_genre",
        "motionbeat_retrieval",
        "motionbeat_retrieval_song",
    }
    assert set(tables["motionbeat_genre"]) == {"motionbeat", "librosa", "majority"}
    for name in ("motionbeat_retrieval", "motionbeat_retrieval_song"):
        assert set(tables[name]) == {"motionbeat", "librosa", "random"}
        for row in tables[name].values():
            assert all(0.0 <= v <= 1.0 for v in row.values())
    # each synthetic dance has its own tempo and the dancer steps on the beats: matching the
    # music's beat rate to the kinematic one finds the song
    assert tables["motionbeat_retrieval_song"]["librosa"]["m2d_R@1"] == 1.0
    with pytest.raises(ParameterError):
        motionbeat_tables(model, dances, test_dances=["nope"])


def test_run_motionbeat_bench_end_to_end(synthetic_dances, tmp_path, monkeypatch):
    root, _, _ = synthetic_dances
    sr = 22050
    y, beats = synth_music(tempo_bpm=110.0, duration_s=3.0, sr=sr, seed=5)
    music = tmp_path / "music"
    music.mkdir()
    write_audio(music / "sample.wav", y, sr=sr)
    (music / "sample.beats").write_text(
        "# beats\n" + "".join(f"{b:.4f}\t{i % 4 + 1}\n" for i, b in enumerate(beats))
    )
    args = (root / "dances", tmp_path / "bench")
    kwargs = dict(
        seed=0,
        budget_epochs=1,
        test_dances=["DANCE_S_0", "DANCE_S_1"],
        preset="debug",
        music_dir=music,
        cache_dir=root / "cache",
        folds=2,
        threads=1,
    )
    tables = run_motionbeat_bench(*args, **kwargs)
    assert json.loads((tmp_path / "bench" / "tables.json").read_text()) == tables
    assert tables["motionbeat_beats"]["librosa"]["F_annotated"] > 0.8
    assert "mudar-audio" in tables["motionbeat_genre"]
    train = tables["motionbeat_train"]["motionbeat"]
    assert train["epochs"] == 1 and 0 <= train["val_top1"] <= 1
    # validation clips are the training windows (4 s every 1 s): 5 of the other dance + its own
    assert train["val_top1_chance"] == pytest.approx(1 / 6)
    # scoring again keeps the trained run: no training step, the same weights and tables
    model_path = tmp_path / "bench" / "run" / "model.pt"
    before = load_motionbeat(model_path).state_dict()

    def no_training(*args, **kwargs):
        raise AssertionError("the finished run was trained again")

    monkeypatch.setattr(MotionBeatModule, "training_step", no_training)
    again = run_motionbeat_bench(*args, **kwargs)
    after = load_motionbeat(model_path).state_dict()
    for k in before:
        torch.testing.assert_close(after[k], before[k], rtol=0, atol=0, msg=k)
    for table in ("motionbeat_beats", "motionbeat_genre", "motionbeat_retrieval"):
        assert again[table] == tables[table]
    # the training figures are the run's, not the rescoring's: its logged epochs and its time
    first, second = (
        tables["motionbeat_train"]["motionbeat"],
        again["motionbeat_train"]["motionbeat"],
    )
    assert {k: v for k, v in second.items() if k != "eval_s"} == {
        k: v for k, v in first.items() if k != "eval_s"
    }
