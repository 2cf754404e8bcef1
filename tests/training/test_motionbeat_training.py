"""MotionBeat's data and training on synthetic dances: one clock, caching, split by dance,
the debug preset in seconds, exact resume, the CLI recipe."""

import json

import numpy as np
import pytest
import torch

from mudar.cli.main import main
from mudar.data.clips.inputs import audio_input
from mudar.data.clips.motionbeat_set import (
    DanceCache,
    MotionBeatSet,
    find_dances,
    prepare_dance,
)
from mudar.errors import InputError, ParameterError
from mudar.models.checkpoint import load_motionbeat
from mudar.models.presets import MOTIONBEAT_PRESETS as PRESETS
from mudar.synthetic.motion import make_motion_dataset
from mudar.training.motionbeat import other_dance_top1, train_motionbeat

DEBUG = PRESETS["debug"]


@pytest.fixture(scope="module")
def dances(tmp_path_factory):
    root = tmp_path_factory.mktemp("motionbeat") / "dances"
    made = make_motion_dataset(root, n=4, seed=2, duration_s=8.0)
    return root, made


def test_prepared_dance_is_on_one_clock(dances):
    root, made = dances
    d = prepare_dance(made[0].folder, config=DEBUG.model, train=DEBUG.train)
    n = d.n_frames
    assert n == 64  # 8 s at 8 fps
    assert d.music.n_frames == n and d.music.mel.shape[1] == n * DEBUG.model.sub
    assert d.joints.shape == (n, 23, 3) and d.contact.shape == d.kinematic_beats.shape == (n,)
    # the synthetic dancer marks the music's beats: kinematic beats within a frame of them
    beat_frames = np.round(made[0].beat_times * 8).astype(int)
    kin = np.flatnonzero(d.kinematic_beats)
    assert len(kin) >= len(beat_frames) - 2
    assert np.all(np.min(np.abs(kin[:, None] - beat_frames[None]), axis=1) <= 1)
    # feet planted on the beats, in the air between them
    mid = np.round((made[0].beat_times[:-1] + np.diff(made[0].beat_times) / 2) * 8).astype(int)
    assert d.contact[beat_frames[beat_frames < n]].mean() > 0.7
    assert d.contact[mid[mid < n]].mean() < 0.2


def test_cache_is_reused_and_keyed_by_settings(dances, tmp_path):
    _, made = dances
    cache = DanceCache(tmp_path / "cache")
    a, hit_a = cache.get(made[1].folder, config=DEBUG.model, train=DEBUG.train)
    b, hit_b = cache.get(made[1].folder, config=DEBUG.model, train=DEBUG.train)
    assert (hit_a, hit_b) == (False, True)
    np.testing.assert_array_equal(a.joints, b.joints)
    np.testing.assert_array_equal(a.music.mel, b.music.mel)
    assert a.label == b.label == made[1].genre
    other = DEBUG.train.__class__(kinematic_min_separation_s=0.3)
    assert cache.get(made[1].folder, config=DEBUG.model, train=other)[1] is False
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 2


def test_items_are_seeded_and_consistent(dances):
    _, made = dances
    prepared = [prepare_dance(m.folder, config=DEBUG.model, train=DEBUG.train) for m in made[:2]]
    ds = MotionBeatSet(prepared, DEBUG.model, DEBUG.train)
    c = DEBUG.model
    assert len(ds) == 2 * 5  # 4 s windows every 1 s over 8 s
    item = ds[3]
    t = c.n_frames
    assert item["audio"].shape == (c.audio_rows, t * c.sub)
    assert item["neg_audio"].shape == (3, c.audio_rows, t * c.sub)
    assert item["joints"].shape == (t, 23, 3) and item["contact"].shape == (t,)
    # the music rows of a clip are audio_input of the clip: the same input as MuDaR's
    k, start = ds.clips[3]
    clip = prepared[k].music.slice(start, start + t, clock=c.clock)
    np.testing.assert_allclose(
        item["audio"].numpy(), audio_input(clip, config=c.audio_config()), atol=1e-4
    )
    again = ds[3]
    torch.testing.assert_close(again["neg_audio"], item["neg_audio"])
    ds.set_epoch(1)
    other = ds[3]
    torch.testing.assert_close(other["neg_audio"][:2], item["neg_audio"][:2])  # stretches
    assert not torch.equal(other["neg_audio"][2], item["neg_audio"][2])  # a new jitter


def test_debug_training_runs_in_seconds_and_loads(dances, tmp_path):
    root, _ = dances
    r = train_motionbeat(root, tmp_path / "run", preset="debug", epochs=3, progress=False)
    assert r.seconds < 60
    assert r.n_train_dances + r.n_val_dances == 4 and r.n_val_dances == 1
    split = json.loads((tmp_path / "run" / "split.json").read_text())
    assert not set(split["train"]) & set(split["val"])  # by dance, never by clip
    assert len(r.history) == 3
    for h in r.history:
        for k in ("train/loss", "train/ecl", "train/sral", "val/loss", "val/hard_acc", "val/top1"):
            assert np.isfinite(h[k]), (k, h)
        # one validation dance: every other clip is masked, the chance level is log(1 + M)
        assert h["val/log_candidates"] == pytest.approx(np.log(1 + 3), abs=1e-5)
    model = load_motionbeat(r.model_path)
    assert model.config == DEBUG.model and model.meta["val_dances"] == split["val"]
    # a second run finds every dance in the cache
    again = train_motionbeat(root, tmp_path / "run", preset="debug", epochs=1, progress=False)
    assert again.cached_dances == 4


def test_other_dance_top1_known_answers():
    dance = torch.tensor([0, 0, 1, 1, 2])
    e = torch.eye(5)
    assert other_dance_top1(e, e, dance) == (
        1.0,
        pytest.approx((2 * 1 / 4 + 2 * 1 / 4 + 1 / 5) / 5),
    )
    # every motion closest to music 0: clip 0 finds its own, so does clip 1 (music 0 is of its
    # own dance, left out), clips 2-4 do not
    motion = 0.5 * torch.eye(5)
    motion[:, 0] = 1.0
    top1, _ = other_dance_top1(e, motion, dance)
    assert top1 == pytest.approx(2 / 5)


def test_held_out_dances_can_be_named(dances, tmp_path):
    root, made = dances
    names = [m.folder.name for m in made]
    r = train_motionbeat(
        root,
        tmp_path / "run",
        preset="debug",
        epochs=1,
        progress=False,
        val_dances=names[:2],
        cache_dir=tmp_path / "shared-cache",
        train_overrides={"augment": False, "weight_decay": 0.01},
    )
    assert load_motionbeat(r.model_path).meta["val_dances"] == sorted(names[:2])
    assert r.n_val_dances == 2 and len(list((tmp_path / "shared-cache").glob("*.npz"))) == 4
    with pytest.raises(ParameterError):
        train_motionbeat(root, tmp_path / "r2", preset="debug", epochs=1, val_dances=["nope"])


def test_killed_and_resumed_run_ends_with_the_same_weights(dances, tmp_path):
    root, _ = dances
    full = train_motionbeat(root, tmp_path / "full", preset="debug", epochs=2, progress=False)
    train_motionbeat(root, tmp_path / "part", preset="debug", epochs=1, progress=False)
    resumed = train_motionbeat(
        root, tmp_path / "part", preset="debug", epochs=2, resume=True, progress=False
    )
    a = load_motionbeat(full.model_path).state_dict()
    b = load_motionbeat(resumed.model_path).state_dict()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=1e-6, msg=k)
    lightning = load_motionbeat(tmp_path / "part" / "checkpoints" / "last.ckpt").state_dict()
    for k in b:
        torch.testing.assert_close(lightning[k], b[k], msg=k)


def test_cli_recipe_and_errors(dances, tmp_path):
    root, _ = dances
    args = ["train", "--recipe", "motionbeat", "--data", str(root), "--no-progress"]
    assert main([*args, "--out", str(tmp_path / "r"), "--epochs", "1"]) == 0
    assert (tmp_path / "r" / "model.pt").is_file()
    assert main([*args, "--out", str(tmp_path / "r2"), "--resume"]) == 2
    assert main([*args, "--out", str(tmp_path / "r3"), "--preset", "nope"]) == 2
    assert main([*args, "--out", str(tmp_path / "r4"), "--augment"]) == 2  # the mudar recipe's
    with pytest.raises(InputError):
        find_dances(tmp_path / "r")  # a folder without dances
