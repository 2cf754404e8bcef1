"""`mudar train` end to end on synthetic data: loss goes down, resume is exact, models load."""

import csv
import dataclasses

import numpy as np
import pytest
import torch

from mudar.cli.main import main
from mudar.clock import FrameClock
from mudar.data.store.prepare import prepare
from mudar.errors import InputError, ParameterError
from mudar.features.analysis import AnalysisConfig
from mudar.models.checkpoint import load_model
from mudar.models.presets import MUDAR_PRESETS as PRESETS
from mudar.synthetic.video import make_dataset
from mudar.training.train import train

DEBUG = PRESETS["debug"].model


@pytest.fixture(scope="module")
def features(tmp_path_factory):
    root = tmp_path_factory.mktemp("train")
    make_dataset(root / "videos", n=5, seed=1, duration_s=8.0)
    config = AnalysisConfig(
        clock=FrameClock(fps=DEBUG.fps, sub=DEBUG.sub), frame_size=DEBUG.frame_size, size=64
    )
    prepare(root / "videos", root / "features", config=config, progress=False)
    return root / "features"


def epoch_losses(run_dir):
    rows = list(csv.DictReader((run_dir / "logs" / "version_0" / "metrics.csv").open()))
    by_epoch: dict[int, list[float]] = {}
    for r in rows:
        if r.get("train/loss"):
            by_epoch.setdefault(int(r["epoch"]), []).append(float(r["train/loss"]))
    return [np.mean(by_epoch[e]) for e in sorted(by_epoch)]


def test_debug_training_lowers_the_loss(features, tmp_path):
    r = train(
        features,
        tmp_path / "run",
        preset="debug",
        epochs=6,
        progress=False,
        train_overrides={"avts_from_epoch": 100},  # AVC only: one task, so losses compare
    )
    losses = epoch_losses(tmp_path / "run")
    assert len(losses) == 6
    assert losses[-1] < losses[0], losses
    assert r.n_train_videos + r.n_val_videos == 5 and r.n_val_videos >= 1
    model = load_model(r.model_path)
    assert model.config == DEBUG
    assert 0 <= model.meta["threshold"] < 1
    # the threshold was calibrated on training videos, never on the held-out ones
    calib = model.meta["calibration_videos"]
    assert calib and set(calib) <= set(model.meta["train_videos"])
    assert not set(calib) & set(model.meta["val_videos"])
    assert (tmp_path / "run" / "split.json").is_file()


@pytest.mark.parametrize("loss", ["infonce", "contrastive"])
def test_other_implicit_losses_train(features, tmp_path, loss):
    r = train(
        features,
        tmp_path / "run",
        preset="debug",
        epochs=3,
        progress=False,
        train_overrides={"implicit_loss": loss, "avts_from_epoch": 100},
    )
    losses = epoch_losses(tmp_path / "run")
    assert len(losses) == 3 and np.isfinite(losses).all()
    assert losses[-1] < losses[0], losses
    assert load_model(r.model_path).meta["train"]["implicit_loss"] == loss
    with pytest.raises(ParameterError, match="implicit_loss"):
        train(features, tmp_path / "bad", preset="debug", train_overrides={"implicit_loss": "x"})


def test_augmented_training_runs_and_is_recorded(features, tmp_path):
    args = ["train", "--data", str(features), "--preset", "debug", "--epochs", "2"]
    assert main([*args, "--out", str(tmp_path / "run"), "--augment", "--no-progress"]) == 0
    losses = epoch_losses(tmp_path / "run")
    assert len(losses) == 2 and np.isfinite(losses).all()
    assert load_model(tmp_path / "run" / "model.pt").meta["train"]["augment"] is True


def test_killed_and_resumed_run_ends_with_the_same_weights(features, tmp_path):
    full = train(features, tmp_path / "full", preset="debug", epochs=3, progress=False)
    train(features, tmp_path / "part", preset="debug", epochs=2, progress=False)
    resumed = train(
        features, tmp_path / "part", preset="debug", epochs=3, resume=True, progress=False
    )
    a = load_model(full.model_path).state_dict()
    b = load_model(resumed.model_path).state_dict()
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=1e-6, msg=k)
    # the Lightning checkpoint of the run loads as the same model
    lightning = load_model(tmp_path / "part" / "checkpoints" / "last.ckpt").state_dict()
    for k in b:
        torch.testing.assert_close(lightning[k], b[k], msg=k)


def test_bad_checkpoints(tmp_path):
    with pytest.raises(InputError, match="no such checkpoint"):
        load_model(tmp_path / "nope.pt")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match="cannot read"):
        load_model(junk)
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(ParameterError, match="not a mudar checkpoint"):
        load_model(tmp_path / "other.pt")


def test_cli_errors_are_one_line(features, tmp_path, capsys):
    assert (
        main(["train", "--data", str(features), "--out", str(tmp_path / "r"), "--preset", "nope"])
        == 2
    )
    assert "unknown preset 'nope'" in capsys.readouterr().err
    assert main(["train", "--data", str(features), "--out", str(tmp_path / "r"), "--resume"]) == 2
    assert "nothing to resume" in capsys.readouterr().err
    assert main(["train", "--data", str(tmp_path / "missing"), "--out", str(tmp_path / "r")]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_a_model_with_the_motion_energy_trains_and_reads_it_at_inference(tmp_path):
    """Videos -> features with the energy -> a model that reads it -> its rhythm of a file,
    the analysis asking for the energy because the model does."""
    from mudar.features.extract import analyze
    from mudar.pipelines.method import analysis_setup
    from mudar.tasks.rhythm import rhythm_report

    make_dataset(tmp_path / "videos", n=4, seed=2, duration_s=6.0)
    r = train(
        tmp_path / "videos",
        tmp_path / "run",
        preset="debug",
        epochs=1,
        progress=False,
        model_overrides={"motion_energy": 4},
    )
    model = load_model(r.model_path)
    assert model.config.motion_energy == 4 and model.config.motion_dim == DEBUG.motion_dim + 4
    video = sorted((tmp_path / "videos").rglob("*.mp4"))[0]
    config, loaded = analysis_setup("mudar-noaudio", checkpoint=r.model_path)
    assert config.energy_steps == 4
    report = rhythm_report(analyze(video, config), method="mudar-noaudio", model=loaded)
    assert len(report["dance"]["rhythm_strength"]) > 0
    # without the energy the model's input cannot be made: one clear error
    plain = analyze(video, dataclasses.replace(config, energy_steps=0))
    with pytest.raises(ParameterError, match="prepare them again"):
        rhythm_report(plain, method="mudar-noaudio", model=loaded)


def test_a_run_reads_the_manifest_once_and_each_video_once(features, tmp_path, monkeypatch):
    """Training, validation and calibration share one read of the manifest, and calibration
    reuses the training videos in memory; the threshold is the one a fresh read gives."""
    from mudar.data.clips import clipset
    from mudar.data.clips.clipset import ClipSet
    from mudar.data.store import prepare as prepare_module
    from mudar.data.store.cache import FeatureCache
    from mudar.training.calibrate import best_threshold

    manifests, loads = [], []
    real_manifest, real_load = prepare_module.load_manifest, FeatureCache.load

    def counted_manifest(d):
        manifests.append(d)
        return real_manifest(d)

    def counted_load(self, entry):
        loads.append(entry)
        return real_load(self, entry)

    monkeypatch.setattr(prepare_module, "load_manifest", counted_manifest)
    monkeypatch.setattr(clipset, "load_manifest", counted_manifest)
    monkeypatch.setattr(FeatureCache, "load", counted_load)
    r = train(features, tmp_path / "run", preset="debug", epochs=1, progress=False)
    assert len(manifests) == 1
    assert len(loads) == len(set(loads)) == r.n_train_videos + r.n_val_videos
    monkeypatch.undo()
    model = load_model(r.model_path)
    fresh = ClipSet(
        features, model.meta["calibration_videos"], model.config, PRESETS["debug"].train
    )
    assert len(fresh) and best_threshold(model, fresh) == model.meta["threshold"]
