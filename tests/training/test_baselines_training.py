"""`mudar train --method`: each baseline trains on the debug preset and loads as its own class."""

import csv

import numpy as np
import pytest
import torch

from mudar.cli.main import main
from mudar.clock import FrameClock
from mudar.data.clips.clipset import ClipSet
from mudar.data.store.cache import FeatureCache
from mudar.data.store.prepare import load_manifest, prepare
from mudar.errors import ParameterError
from mudar.features.analysis import AnalysisConfig
from mudar.models.baselines import BASELINES
from mudar.models.checkpoint import load_model
from mudar.models.mudar import MuDaR
from mudar.models.presets import MUDAR_PRESETS as PRESETS
from mudar.synthetic.video import make_dataset
from mudar.tasks.embed import embed_analysis
from mudar.training.baselines import BaselineModule, baseline_train_config
from mudar.training.train import train

DEBUG = PRESETS["debug"]


@pytest.fixture(scope="module")
def features(tmp_path_factory):
    root = tmp_path_factory.mktemp("baselines")
    make_dataset(root / "videos", n=4, seed=4, duration_s=8.0)
    m = DEBUG.model
    config = AnalysisConfig(
        clock=FrameClock(fps=m.fps, sub=m.sub), frame_size=m.frame_size, size=64
    )
    prepare(root / "videos", root / "features", config=config, progress=False)
    return root / "features"


def train_losses(run_dir) -> list[float]:
    rows = csv.DictReader((run_dir / "logs" / "version_0" / "metrics.csv").open())
    return [float(r["train/loss"]) for r in rows if r.get("train/loss")]


@pytest.mark.parametrize("method", list(BASELINES))
def test_each_baseline_trains_and_loads_as_itself(method, features, tmp_path):
    r = train(features, tmp_path / "run", preset="debug", epochs=2, progress=False, method=method)
    assert r.method == method and r.epochs == 2 and r.threshold is None
    losses = train_losses(tmp_path / "run")
    assert losses and np.all(np.isfinite(losses))
    model = load_model(r.model_path)
    assert type(model) is BASELINES[method] and model.config == DEBUG.model
    assert model.meta["method"] == method and model.meta["threshold"] is None
    # the method's negatives were the ClipSet's
    avts_from = model.meta["train"]["avts_from_epoch"]
    assert avts_from == {"multisensory": 0, "avts": DEBUG.train.avts_from_epoch, "lla": 2}[method]
    # the Lightning checkpoint of the run loads as the same model
    lightning = load_model(tmp_path / "run" / "checkpoints" / "last.ckpt")
    assert type(lightning) is type(model)
    for k, v in model.state_dict().items():
        torch.testing.assert_close(lightning.state_dict()[k], v, msg=k)
    # mudar embed takes it unchanged
    item = load_manifest(features)[0]
    analysis = FeatureCache(features).load(features / item["entry"])
    out = embed_analysis(model, analysis)
    n = len(out["clip_len"])
    assert out["visual"].shape == out["audio"].shape == (n, DEBUG.model.dim)
    np.testing.assert_allclose(np.linalg.norm(out["visual"], axis=1), 1, atol=1e-5)
    assert not out["visual_peaks"].any()  # no rhythm head, no rhythm


def test_baseline_negatives_follow_their_papers(features):
    tc = DEBUG.train
    ids = [it["id"] for it in load_manifest(features)]
    kinds = {}
    for method in BASELINES:
        t = baseline_train_config(method, tc)
        assert (t.epochs, t.lr, t.batch_size, t.seed) == (tc.epochs, tc.lr, tc.batch_size, tc.seed)
        clips = ClipSet(features, ids, DEBUG.model, t)
        kinds[method] = []
        for epoch in range(tc.epochs):
            clips.set_epoch(epoch)
            kinds[method].append({int(clips[i]["neg_kind"]) for i in range(len(clips))})
    avc, avts, k = {0}, {1}, tc.avts_from_epoch
    assert kinds["multisensory"] == [avts] * tc.epochs  # shifted music only
    assert kinds["avts"] == [avc] * k + [avts] * (tc.epochs - k)  # the curriculum
    assert kinds["lla"] == [avc] * tc.epochs  # other videos only
    with pytest.raises(ParameterError, match="unknown baseline"):
        baseline_train_config("mudar", tc)
    with pytest.raises(ParameterError, match="unknown baseline"):
        BaselineModule("mudar", DEBUG.model.to_dict(), tc.to_dict())


def test_killed_and_resumed_baseline_ends_with_the_same_weights(features, tmp_path):
    kw = {"preset": "debug", "progress": False, "method": "lla"}
    full = train(features, tmp_path / "full", epochs=3, **kw)
    train(features, tmp_path / "part", epochs=2, **kw)
    resumed = train(features, tmp_path / "part", epochs=3, resume=True, **kw)
    a = load_model(full.model_path).state_dict()
    b = load_model(resumed.model_path).state_dict()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=1e-6, msg=k)
    with pytest.raises(ParameterError, match="the run trains 'lla', not 'avts'"):
        train(features, tmp_path / "part", epochs=4, resume=True, **{**kw, "method": "avts"})


def test_unknown_method_and_the_cli(features, tmp_path, capsys):
    with pytest.raises(ParameterError, match="known: mudar, multisensory, avts, lla"):
        train(features, tmp_path / "r", method="nope")
    assert not (tmp_path / "r").exists()
    out = str(tmp_path / "cli")
    assert main(["train", "--data", str(features), "--out", out, "--method", "nope"]) == 2
    assert "unknown method 'nope'" in capsys.readouterr().err
    args = ["--epochs", "1", "--no-progress", "--method", "avts"]
    assert main(["train", "--data", str(features), "--out", out, *args]) == 0
    assert type(load_model(tmp_path / "cli" / "model.pt")) is BASELINES["avts"]


def test_the_shipped_checkpoint_still_loads_as_mudar():
    model = load_model()
    assert type(model) is MuDaR
