"""Dance classification: training, prediction, files, grouped k-fold evaluation, the CLI."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch

from mudar.cli.main import main
from mudar.data.dataset import find_videos
from mudar.errors import InputError, ParameterError
from mudar.models.checkpoint import load_model
from mudar.models.classifier import ClassifierConfig
from mudar.pipelines.embed import embed_files
from mudar.tasks import classify
from mudar.tasks.classify import (
    MAJORITY,
    NO_RHYTHM,
    RAW,
    TWO_STREAM,
    grouped_folds,
    grouped_kfold_accuracy,
    load_classifier,
    predict,
    raw_feature_names,
    save_classifier,
    train_classifier,
)
from mudar.tasks.embed import EmbeddingSet

E, T = 16, 8
FAST = ClassifierConfig(hidden=32, fc=32)


def make_emb(
    files_per_label: dict[str, int], *, seed: int = 0, clips: int = 3, e: int = E, t: int = T
) -> EmbeddingSet:
    """Separable classes: each label has its own mean direction in both frame embeddings."""
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(99).normal(size=(len(files_per_label), e))
    files, labels, clip_file, rows_v, rows_a = [], [], [], [], []
    for c, (lab, n) in enumerate(files_per_label.items()):
        for i in range(n):
            f = len(files)
            files.append(f"{lab}_{i}.mp4")
            labels.append(lab)
            for _ in range(clips):
                clip_file.append(f)
                rows_v.append(centres[c] + 0.5 * rng.normal(size=(t, e)))
                rows_a.append(-centres[c] + 0.5 * rng.normal(size=(t, e)))
    n = len(clip_file)
    visual = np.stack(rows_v).astype(np.float16)
    audio = np.stack(rows_a).astype(np.float16)
    pooled = visual.mean(1).astype(np.float32)
    return EmbeddingSet(
        files=files,
        labels=labels,
        fps=8.0,
        clip_file=np.array(clip_file, np.int64),
        clip_start_s=np.zeros(n),
        clip_len=np.full(n, t, np.int64),
        audio=pooled,
        visual=pooled,
        audio_frames=audio,
        visual_frames=visual,
        has_audio=np.ones(n, bool),
        has_video=np.ones(n, bool),
        onsets=(rng.random((n, t)) < 0.2).astype(np.uint8),
        visual_rhythm=rng.random((n, t)).astype(np.float32),
        visual_peaks=np.zeros((n, t), np.uint8),
        file_audio=np.zeros((len(files), e), np.float32),
        file_visual=np.zeros((len(files), e), np.float32),
    )


def test_learns_separable_classes_and_generalises():
    train = make_emb({"waltz": 4, "tango": 3, "rumba": 3}, seed=0)
    test = make_emb({"waltz": 2, "tango": 2, "rumba": 2}, seed=1)
    clf = train_classifier(train, config=FAST, epochs=40, seed=0)
    assert clf.labels == ["rumba", "tango", "waltz"]
    pred = predict(clf, test)
    assert pred.clip_proba.shape == (len(test), 3)
    np.testing.assert_allclose(pred.clip_proba.sum(1), 1, atol=1e-5)
    assert np.mean(np.array(pred.clip_labels()) == np.array(test.clip_labels)) >= 0.95
    assert pred.file_labels() == test.labels
    rec = pred.records()[0]
    assert set(rec) == {"file", "label", "scores"} and set(rec["scores"]) == set(clf.labels)


def test_training_is_seeded_and_leaves_the_global_rng_alone():
    emb = make_emb({"a": 2, "b": 2})
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    one = train_classifier(emb, config=FAST, epochs=2, seed=5)
    assert torch.rand(1) == before
    two = train_classifier(emb, config=FAST, epochs=2, seed=5)
    for k, v in one.model.state_dict().items():
        torch.testing.assert_close(v, two.model.state_dict()[k])


def test_labels_are_checked():
    emb = make_emb({"a": 2, "b": 2})
    emb.labels[1] = ""
    with pytest.raises(InputError, match="no label"):
        train_classifier(emb, epochs=1)
    one = make_emb({"a": 3})
    with pytest.raises(InputError, match="at least 2 labels"):
        train_classifier(one, epochs=1)
    # a train_mask can leave the unlabelled file out
    mask = emb.clip_file != 1
    assert train_classifier(emb, config=FAST, epochs=1, train_mask=mask).labels == ["a", "b"]
    with pytest.raises(ParameterError, match="mode"):
        train_classifier(emb, mode="magic")
    with pytest.raises(ParameterError, match="fine-tuning needs"):
        train_classifier(emb, train_mask=mask, mode="finetune")


def test_save_load_roundtrip(tmp_path):
    emb = make_emb({"a": 2, "b": 2})
    clf = train_classifier(emb, config=ClassifierConfig(rhythm=False), epochs=2)
    path = save_classifier(clf, tmp_path / "sub" / "genre.cls")
    back = load_classifier(path)
    assert back.labels == clf.labels and back.config == clf.config and back.mode == "frozen"
    np.testing.assert_array_equal(predict(back, emb).clip_proba, predict(clf, emb).clip_proba)
    assert not list(path.parent.glob(".*.part"))
    with pytest.raises(ParameterError, match="holds no embedding model"):
        back.encoder_model()
    torch.save({"format": "other"}, tmp_path / "x.cls")
    with pytest.raises(ParameterError, match="not a mudar classifier"):
        load_classifier(tmp_path / "x.cls")
    (tmp_path / "junk.cls").write_text("junk")
    with pytest.raises(InputError, match="cannot read"):
        load_classifier(tmp_path / "junk.cls")
    with pytest.raises(InputError, match="no such"):
        load_classifier(tmp_path / "missing.cls")


def test_grouped_folds_are_stratified_and_keep_single_files_out():
    labels = ["w"] * 25 + ["r"] * 5 + ["c"] * 4 + ["t"]
    folds = grouped_folds(labels, k=5, seed=0)
    assert folds[-1] == -1 and (folds[:-1] >= 0).all()
    assert np.bincount(folds[:-1]).tolist() == [7, 7, 7, 7, 6]
    lab = np.array(labels)
    for k in range(5):
        assert (lab[folds == k] == "w").sum() == 5 and (lab[folds == k] == "r").sum() == 1
    assert np.array_equal(folds, grouped_folds(labels, k=5, seed=0))
    with pytest.raises(ParameterError, match="folds"):
        grouped_folds(["a", "a", "b"], k=3)


def test_cross_validation_never_splits_a_file_and_scores_the_baselines(monkeypatch):
    emb = make_emb({"waltz": 6, "rumba": 3, "chacha": 3, "tango": 1}, seed=2)
    raw = np.concatenate([emb.visual_frames.mean(1), emb.audio_frames.mean(1)], 1).astype(float)
    seen = []
    fit = classify._fit

    def spy(source, emb_, train, labels, **kw):
        seen.append(train.copy())
        return fit(source, emb_, train, labels, **kw)

    monkeypatch.setattr(classify, "_fit", spy)
    report = grouped_kfold_accuracy(emb, folds=3, seed=0, raw=raw, config=FAST, epochs=30)
    assert len(seen) == 2 * 3  # two-stream with and without rhythms, per fold
    for k in range(3):
        train_files = set(emb.clip_file[seen[2 * k]].tolist())
        test_files = set(np.flatnonzero(report.folds == k).tolist())
        assert test_files and not train_files & test_files
        assert train_files | test_files == set(range(len(emb.files)))
    assert report.untested == ["tango_0.mp4"]
    s = report.summary()
    assert set(s) == {TWO_STREAM, NO_RHYTHM, MAJORITY, RAW}
    assert s[TWO_STREAM]["clip_acc_mean"] >= 0.95 and s[RAW]["file_acc_mean"] >= 0.95
    # the majority class of the training clips is waltz in every fold
    y, keep = report.clip_y, report.folds[emb.clip_file] >= 0
    waltz = report.labels.index("waltz")
    assert (report.methods[MAJORITY].clip_pred[keep] == waltz).all()
    expected = [np.mean(y[report.folds[emb.clip_file] == k] == waltz) for k in range(3)]
    np.testing.assert_allclose(report.methods[MAJORITY].clip_acc, expected)
    assert s[MAJORITY]["file_balanced_acc"] == pytest.approx(1 / 3)  # 3 tested genres
    m = report.confusion(TWO_STREAM)
    assert m.sum() == 12 and m[report.labels.index("tango")].sum() == 0
    assert "| two-stream |" in report.markdown()
    json.dumps(report.to_dict())


# --- on synthetic videos, with a real (untrained) model -----------------------------------------


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("classify-cache")


@pytest.fixture(scope="module")
def video_emb(debug_checkpoint, synthetic_videos, cache):
    items = find_videos(synthetic_videos)
    return embed_files(
        [it.path for it in items],
        checkpoint=debug_checkpoint,
        labels=[it.label for it in items],
        cache_dir=cache,
        progress=False,
    )


def test_raw_features_from_the_cache(video_emb, debug_checkpoint, cache):
    from mudar.tasks.classify import analysis_config_for, raw_features

    cfg = analysis_config_for(load_model(debug_checkpoint).config)
    x = raw_features(video_emb, cache_dir=cache, config=cfg)
    names = raw_feature_names(hoof_bins=cfg.hoof_bins)
    assert x.shape == (len(video_emb), len(names)) and np.isfinite(x).all()
    assert (x[:, names.index("has_music")] == 1).all() and (
        x[:, names.index("has_dance")] == 1
    ).all()
    with pytest.raises(InputError, match="not in the feature cache"):
        raw_features(video_emb, cache_dir=cache / "elsewhere", config=cfg)


def test_finetune_trains_the_encoder_and_predicts(video_emb, debug_checkpoint, cache, tmp_path):
    encoder = load_model(debug_checkpoint)
    before = {k: v.clone() for k, v in encoder.state_dict().items()}
    clf = train_classifier(
        video_emb, config=FAST, epochs=1, mode="finetune", encoder=encoder, cache_dir=cache
    )
    for k, v in encoder.state_dict().items():  # the caller's model is left as it was
        torch.testing.assert_close(v, before[k])
    tuned = clf.encoder["state_dict"]
    assert not torch.equal(tuned["visual_proj.weight"], before["visual_proj.weight"])
    for k in tuned:  # the explicit pathway is not trained
        if k.startswith(("head.", "injector.")):
            assert torch.equal(tuned[k], before[k]), k
    back = load_classifier(save_classifier(clf, tmp_path / "ft.cls"))
    assert back.mode == "finetune"
    emb = embed_files(
        video_emb.files[:1], model=back.encoder_model(), cache_dir=cache, progress=False
    )
    assert predict(back, emb).file_proba.shape == (1, len(clf.labels))


def run_cli(argv: list[str]) -> int:
    """``mudar classify ...`` as the program runs it."""
    return main([str(a) for a in argv])


def test_cli_train_predict_end_to_end(
    capsys, video_emb, debug_checkpoint, synthetic_videos, cache, text_mp4, tmp_path
):
    cls = tmp_path / "genre.cls"
    common = [
        "--checkpoint",
        str(debug_checkpoint),
        "--cache",
        str(cache),
        "--quiet",
        "--jobs",
        "1",
    ]
    code = run_cli(
        ["classify", "train", "--data", str(synthetic_videos), "--out", str(cls), "--epochs", "3"]
        + common
    )
    out = capsys.readouterr().out
    assert code == 0 and cls.is_file() and "classifier of 4 genres" in out
    videos = [str(it.path) for it in find_videos(synthetic_videos)]
    argv = ["classify", "predict", "--model", str(cls), *videos[:2], str(text_mp4), "--json"]
    code = run_cli(argv + ["--cache", str(cache), "--quiet", "--jobs", "1"])
    captured = capsys.readouterr()
    assert code == 0
    recs = [json.loads(line) for line in captured.out.splitlines()]
    assert [r["file"] for r in recs] == videos[:2]
    labels = load_classifier(cls).labels
    for r in recs:
        assert r["label"] in labels and set(r["scores"]) == set(labels)
        assert sum(r["scores"].values()) == pytest.approx(1, abs=1e-3)
    assert captured.err.count("mudar: error:") == 1 and str(text_mp4) in captured.err
    # nothing readable: one error line, exit 2
    code = run_cli(["classify", "predict", "--model", str(cls), str(text_mp4), "--quiet"])
    assert code == 2 and capsys.readouterr().err.startswith("mudar: error: no file")


def test_cli_errors_are_one_line(
    capsys, video_emb, debug_checkpoint, synthetic_videos, cache, tmp_path
):
    lone = tmp_path / "lone"
    lone.mkdir()
    shutil.copy(find_videos(synthetic_videos)[0].path, lone / "dance.mp4")  # no meta.json
    common = [
        "--checkpoint",
        str(debug_checkpoint),
        "--cache",
        str(cache),
        "--quiet",
        "--jobs",
        "1",
    ]
    code = run_cli(
        ["classify", "train", "--data", str(lone), "--out", str(tmp_path / "x.cls")] + common
    )
    err = capsys.readouterr().err
    assert code == 2 and "no label" in err and len(err.strip().splitlines()) == 1
    code = run_cli(["classify", "predict", "--model", str(tmp_path / "none.cls"), str(lone)])
    assert code == 2 and "no such classifier" in capsys.readouterr().err
    # embeddings of another model than --checkpoint's
    small = make_emb({"a": 2, "b": 2}).save(tmp_path / "small.npz")
    code = run_cli(
        ["classify", "train", "--data", str(small), "--out", str(tmp_path / "y.cls")] + common
    )
    assert code == 2 and "give the --checkpoint that made them" in capsys.readouterr().err


def test_cli_eval_on_embeddings(capsys, debug_checkpoint, tmp_path):
    cfg = load_model(debug_checkpoint).config
    emb = make_emb({"waltz": 4, "rumba": 2, "tango": 1}, e=cfg.dim, t=cfg.n_frames)
    path = emb.save(tmp_path / "emb.npz")
    png = tmp_path / "confusion.png"
    argv = ["classify", "eval", "--data", str(path), "--folds", "2", "--epochs", "20"]
    argv += ["--checkpoint", str(debug_checkpoint), "--plot", str(png), "--json"]
    code = run_cli(argv)
    captured = capsys.readouterr()
    assert code == 0 and png.stat().st_size > 0
    assert "raw-feature baseline skipped" in captured.err  # the files are made up
    report = json.loads(captured.out)
    assert report["never_tested"] == ["tango_0.mp4"] and report["folds"] == 2
    assert set(report["methods"]) == {TWO_STREAM, NO_RHYTHM, MAJORITY}
    assert report["methods"][TWO_STREAM]["file_acc_mean"] == 1.0
