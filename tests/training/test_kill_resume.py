"""`mudar train` SIGKILLed (a real kill of a real process, mid-epoch) and resumed with
`--resume` ends with the weights of an uninterrupted run, bitwise; so does a run killed after
its last epoch but before ``model.pt`` was written. (Kills at random times, three per run:
benchmarks/robust_resume.py.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from mudar.cli.main import main
from mudar.clock import FrameClock
from mudar.data.store.prepare import prepare
from mudar.features.analysis import AnalysisConfig
from mudar.models.checkpoint import load_model
from mudar.models.presets import MUDAR_PRESETS
from mudar.synthetic.video import make_dataset
from mudar.threads import torch_threads
from mudar.training.train import train
from mudar.training.trainer import AtomicCheckpointIO, make_trainer

DEBUG = MUDAR_PRESETS["debug"].model
SRC = str(Path(__file__).resolve().parents[2] / "src")
EPOCHS = 4


@pytest.fixture(scope="module")
def features(tmp_path_factory):
    root = tmp_path_factory.mktemp("kill")
    make_dataset(root / "videos", n=5, seed=1, duration_s=8.0)
    config = AnalysisConfig(
        clock=FrameClock(fps=DEBUG.fps, sub=DEBUG.sub), frame_size=DEBUG.frame_size, size=64
    )
    prepare(root / "videos", root / "features", config=config, progress=False)
    return root / "features"


@pytest.fixture(scope="module")
def uninterrupted(features, tmp_path_factory):
    run = tmp_path_factory.mktemp("full") / "run"
    with torch_threads(1):  # as the killed subprocess (OMP_NUM_THREADS=1): bitwise comparable
        return train(features, run, preset="debug", epochs=EPOCHS, progress=False).model_path


def assert_same_weights(a: Path, b: Path) -> None:
    sa, sb = load_model(a).state_dict(), load_model(b).state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        assert torch.equal(sa[k], sb[k]), k  # bitwise


def test_sigkilled_mid_epoch_and_resumed_ends_with_the_same_weights(
    features, uninterrupted, tmp_path
):
    run = tmp_path / "run"
    argv = [sys.executable, "-m", "mudar", "train", "--data", str(features), "--preset", "debug"]
    argv += ["--epochs", str(EPOCHS), "--out", str(run), "--no-progress"]
    env = {**os.environ, "PYTHONPATH": SRC, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    last = run / "checkpoints" / "last.ckpt"  # written after epoch000.ckpt
    end = time.monotonic() + 120
    while not last.is_file() and proc.poll() is None and time.monotonic() < end:
        time.sleep(0.01)
    time.sleep(0.05)  # into the next epoch (one lasts 0.1-1 s: a longer wait saw it end)
    proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate()
    if proc.returncode != -signal.SIGKILL:
        pytest.skip(f"training ended before it could be killed: {err.decode()[-300:]}")
    assert not (run / "model.pt").exists()
    assert torch.load(last, weights_only=True)["epoch"] < EPOCHS - 1

    args = ["train", "--data", str(features), "--preset", "debug", "--epochs", str(EPOCHS)]
    with torch_threads(1):
        assert main([*args, "--out", str(run), "--resume", "--no-progress"]) == 0
    assert_same_weights(uninterrupted, run / "model.pt")


def test_killed_before_the_model_was_saved_resumes_to_it(features, uninterrupted, tmp_path):
    run = tmp_path / "run"
    with torch_threads(1):
        train(features, run, preset="debug", epochs=EPOCHS, progress=False)
        (run / "model.pt").unlink()  # as if killed after the last checkpoint
        train(features, run, preset="debug", epochs=EPOCHS, resume=True, progress=False)
    assert_same_weights(uninterrupted, run / "model.pt")


def test_checkpoints_are_written_beside_their_destination_and_renamed(tmp_path, monkeypatch):
    assert isinstance(
        make_trainer(tmp_path, epochs=1, progress=False, tensorboard=False).strategy.checkpoint_io,
        AtomicCheckpointIO,
    )
    written = []
    save = torch.save

    def spy(obj, f, *args, **kwargs):
        written.append(Path(f))
        return save(obj, f, *args, **kwargs)

    monkeypatch.setattr(torch, "save", spy)
    io = AtomicCheckpointIO()
    dest = tmp_path / "checkpoints" / "last.ckpt"
    io.save_checkpoint({"epoch": 3}, dest)
    # not in the system's temporary folder: a rename within the run's folder, never a copy
    assert written[0].parent == dest.parent and written[0] != dest
    assert torch.load(dest, weights_only=True)["epoch"] == 3

    class Unsaveable:
        def __reduce__(self):
            raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError, match="mid-write"):
        io.save_checkpoint({"epoch": 4, "x": Unsaveable()}, dest)
    assert torch.load(dest, weights_only=True)["epoch"] == 3  # the last whole one
    assert list(dest.parent.iterdir()) == [dest]
