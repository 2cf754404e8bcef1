"""Grouped k-fold evaluation of the classifier with its floors, and ``mudar classify eval``."""

from __future__ import annotations

import json

import numpy as np
import pytest
from labelled_sets import make_emb

from mudar.cli.main import main
from mudar.errors import InputError
from mudar.features.summary import raw_feature_names
from mudar.models.checkpoint import load_model
from mudar.models.classifier import ClassifierConfig
from mudar.tasks import classify_cv
from mudar.tasks.classify import analysis_config_for
from mudar.tasks.classify_cv import (
    MAJORITY,
    NO_RHYTHM,
    RAW,
    TWO_STREAM,
    grouped_kfold_accuracy,
    raw_features,
)

FAST = ClassifierConfig(hidden=32, fc=32)


def test_cross_validation_never_splits_a_file_and_scores_the_baselines(monkeypatch):
    emb = make_emb({"waltz": 6, "rumba": 3, "chacha": 3, "tango": 1}, seed=2)
    raw = np.concatenate([emb.visual_frames.mean(1), emb.audio_frames.mean(1)], 1).astype(float)
    seen = []
    fit = classify_cv.fit_two_stream

    def spy(source, emb_, train, labels, **kw):
        seen.append(train.copy())
        return fit(source, emb_, train, labels, **kw)

    monkeypatch.setattr(classify_cv, "fit_two_stream", spy)
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


def test_raw_features_from_the_cache(video_emb, debug_checkpoint, video_cache):
    cfg = analysis_config_for(load_model(debug_checkpoint).config)
    x = raw_features(video_emb, cache_dir=video_cache, config=cfg)
    names = raw_feature_names(hoof_bins=cfg.hoof_bins)
    assert x.shape == (len(video_emb), len(names)) and np.isfinite(x).all()
    assert (x[:, names.index("has_music")] == 1).all() and (
        x[:, names.index("has_dance")] == 1
    ).all()
    with pytest.raises(InputError, match="not in the feature cache"):
        raw_features(video_emb, cache_dir=video_cache / "elsewhere", config=cfg)


def run_cli(argv: list[str]) -> int:
    """``mudar classify ...`` as the program runs it."""
    return main([str(a) for a in argv])


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
