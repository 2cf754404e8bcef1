"""MotionBeat's summarised loss forms in training (issue 13): ``ecl_anchor`` and ``sral_form``
reach the losses, the motion negatives are the clip's motion shifted by about a beat, every
combination trains, and configs and checkpoints without the fields still load."""

import dataclasses

import numpy as np
import pytest
import torch

from mudar.cli.main import main
from mudar.data.clips.motionbeat_set import MotionBeatSet, motion_jitter_starts, prepare_dance
from mudar.errors import ParameterError
from mudar.models.checkpoint import load_motionbeat
from mudar.models.motionbeat import MotionBeat
from mudar.models.motionbeat_config import MotionBeatTrainConfig
from mudar.models.presets import MOTIONBEAT_PRESETS as PRESETS
from mudar.synthetic.motion import make_motion_dataset
from mudar.training.motionbeat import MotionBeatModule, beat_frames, train_motionbeat

DEBUG = PRESETS["debug"]
COMBOS = [(a, f) for a in ("motion", "music") for f in ("lag_softmax", "soft_dtw")]


@pytest.fixture(scope="module")
def dances(tmp_path_factory):
    root = tmp_path_factory.mktemp("motionbeat-forms") / "dances"
    made = make_motion_dataset(root, n=4, seed=3, duration_s=8.0)
    return root, made


def module(**train):
    tc = dataclasses.replace(DEBUG.train, **train)
    return MotionBeatModule(DEBUG.model.to_dict(), tc.to_dict())


def test_defaults_are_unchanged():
    tc = MotionBeatTrainConfig()
    assert (tc.ecl_anchor, tc.sral_form) == ("motion", "lag_softmax")
    for p in PRESETS.values():
        assert (p.train.ecl_anchor, p.train.sral_form) == ("motion", "lag_softmax")


@pytest.mark.parametrize("anchor,form", COMBOS)
def test_options_reach_the_losses(anchor, form):
    m = module(ecl_anchor=anchor, sral_form=form, ecl_tempo_tol=0.1, hard_weight=2.0)
    assert m.ecl.anchor == anchor and m.ecl.tempo_tol == 0.1 and m.ecl.hard_weight == 2.0
    assert m.sral.form == form
    assert m.sral.beat_frames == 4  # 120 BPM at 8 fps, the fallback


def test_bad_forms_are_refused():
    with pytest.raises(ParameterError):
        MotionBeatTrainConfig(ecl_anchor="dance")
    with pytest.raises(ParameterError):
        MotionBeatTrainConfig(sral_form="dtw")
    with pytest.raises(ParameterError):
        MotionBeatTrainConfig(motion_jitter_beats=0)


def test_old_configs_and_checkpoints_load(dances, tmp_path):
    old = DEBUG.train.to_dict()
    for k in ("ecl_anchor", "ecl_tempo_tol", "motion_jitter_beats", "sral_form"):
        del old[k]
    tc = MotionBeatTrainConfig.from_dict(old)
    assert tc == DEBUG.train
    m = MotionBeatModule(DEBUG.model.to_dict(), old)  # a Lightning checkpoint's hparams
    assert (m.ecl.anchor, m.sral.form) == ("motion", "lag_softmax")
    # a model file whose meta lacks the fields
    root, _ = dances
    r = train_motionbeat(root, tmp_path / "run", preset="debug", epochs=1, progress=False)
    ckpt = torch.load(r.model_path, weights_only=False)
    for k in ("ecl_anchor", "ecl_tempo_tol", "motion_jitter_beats", "sral_form"):
        ckpt["meta"]["train"].pop(k)
    torch.save(ckpt, tmp_path / "old.pt")
    a = load_motionbeat(tmp_path / "old.pt").state_dict()
    b = load_motionbeat(r.model_path).state_dict()
    for k in b:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=0, msg=k)


def test_motion_jitter_starts_known_answers():
    rng = np.random.default_rng(0)
    # 120 BPM at 8 fps: a beat is 4 frames; fraction 0: exactly one beat either way
    for _ in range(20):
        (s,) = motion_jitter_starts(
            20, n_frames=100, length=32, fps=8, tempo_bpm=120, rng=rng, fraction=0
        )
        assert s in (16, 24)
    # at the start of the dance it can only go later, at the end only earlier
    assert motion_jitter_starts(0, n_frames=100, length=32, fps=8, tempo_bpm=120, rng=rng, n=5,
                                fraction=0) == [4] * 5  # fmt: skip
    assert (
        motion_jitter_starts(
            68, n_frames=100, length=32, fps=8, tempo_bpm=120, rng=rng, n=3, fraction=0
        )
        == [64] * 3
    )
    # about a beat: 0.75-1.25 beats of 60 BPM (8 frames) is 6-10 frames
    got = motion_jitter_starts(40, n_frames=120, length=32, fps=8, tempo_bpm=60, rng=rng, n=200)
    assert {abs(s - 40) for s in got} <= set(range(6, 11))
    # no tempo: 120 BPM; a dance of one clip cannot move
    assert motion_jitter_starts(
        5, n_frames=50, length=32, fps=8, tempo_bpm=0, rng=rng, fraction=0
    ) in ([1], [9])
    assert motion_jitter_starts(0, n_frames=32, length=32, fps=8, tempo_bpm=120, rng=rng) == [0]
    with pytest.raises(ParameterError):
        motion_jitter_starts(80, n_frames=100, length=32, fps=8, tempo_bpm=120, rng=rng)


def test_music_anchor_items_hold_shifted_motion(dances):
    _, made = dances
    tc = dataclasses.replace(DEBUG.train, ecl_anchor="music", n_jitter=2, augment=False)
    prepared = [prepare_dance(m.folder, config=DEBUG.model, train=tc) for m in made[:2]]
    ds = MotionBeatSet(prepared, DEBUG.model, tc)
    t = DEBUG.model.n_frames
    for index in range(len(ds)):
        item = ds[index]
        assert "neg_audio" not in item  # no music hard negatives in this form
        assert item["neg_joints"].shape == (2, t, 23, 3)
        assert item["neg_contact"].shape == (2, t)
        k, start = ds.clips[index]
        d = ds.dances[k]
        beat = 8 * 60 / d.music.tempo_bpm
        assert float(item["tempo"]) == pytest.approx(d.music.tempo_bpm)
        for neg, contact in zip(item["neg_joints"], item["neg_contact"], strict=True):
            # the negative is a window of the same dance, about one beat away
            shifts = [
                s - start
                for s in range(d.n_frames - t + 1)
                if np.array_equal(d.joints[s : s + t], neg.numpy())
            ]
            assert len(shifts) == 1 and 0.7 * beat <= abs(shifts[0]) <= 1.3 * beat + 0.5
            s = start + shifts[0]
            np.testing.assert_array_equal(contact.numpy(), d.contact[s : s + t])
    # seeded: the same item twice is the same
    torch.testing.assert_close(ds[1]["neg_joints"], ds[1]["neg_joints"])


def test_model_encodes_motion_negatives_as_motion():
    torch.manual_seed(0)
    model = MotionBeat(DEBUG.model).eval()
    c = DEBUG.model
    b, m, t = 2, 3, c.n_frames
    audio = torch.randn(b, c.audio_rows, t * c.sub)
    joints = torch.randn(b, t, c.n_joints, 3)
    contact = torch.rand(b, t)
    neg_joints = torch.randn(b, m, t, c.n_joints, 3)
    neg_contact = torch.rand(b, m, t)
    out = model(audio, joints, contact, neg_joints=neg_joints, neg_contact=neg_contact)
    assert out.neg_music_emb is None and out.neg_motion_emb.shape == (b, m, c.dim)
    _, alone = model.embed_motion(neg_joints.flatten(0, 1), neg_contact.flatten(0, 1))
    torch.testing.assert_close(out.neg_motion_emb, alone.view(b, m, -1), atol=1e-5, rtol=1e-5)
    _, pos = model.embed_motion(joints, contact)
    torch.testing.assert_close(out.motion_emb, pos, atol=1e-5, rtol=1e-5)
    with pytest.raises(ParameterError):
        model(audio, joints, contact, neg_joints=neg_joints)  # contact without neg_contact
    with pytest.raises(ParameterError):
        model(audio, joints, contact, neg_joints=neg_joints[:, :, :-1], neg_contact=neg_contact)


def test_beat_frames_from_tempo():
    got = beat_frames(torch.tensor([120.0, 60.0, 0.0, float("nan"), 480.0, 1000.0]), 8)
    assert got.tolist() == [4, 8, 4, 4, 1, 1]


@pytest.mark.parametrize("anchor,form", COMBOS)
def test_a_step_of_every_combination(dances, anchor, form):
    _, made = dances
    torch.manual_seed(0)
    m = module(ecl_anchor=anchor, sral_form=form, augment=True)
    prepared = [prepare_dance(d.folder, config=DEBUG.model, train=m.train_config) for d in made]
    from mudar.data.clips.augment import Augment

    ds = MotionBeatSet(
        prepared, DEBUG.model, m.train_config, augment=Augment.from_train(m.train_config, fps=8)
    )
    batch = torch.utils.data.default_collate([ds[i] for i in range(0, len(ds), 3)])
    total, parts, _ = m.losses(batch)
    assert torch.isfinite(total)
    total.backward()
    grads = [p.grad for p in m.model.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)
    if anchor == "music":
        assert "tempo_negatives" in parts and parts["hard_acc"] >= 0
    assert ("beat_sdtw" in parts) == (form == "soft_dtw")


def test_training_and_cli_select_the_forms(dances, tmp_path):
    root, _ = dances
    args = ["train", "--recipe", "motionbeat", "--data", str(root), "--no-progress"]
    out = tmp_path / "both"
    assert (
        main(
            [
                *args,
                "--out",
                str(out),
                "--epochs",
                "1",
                "--ecl-anchor",
                "music",
                "--sral-form",
                "soft_dtw",
            ]
        )  # fmt: skip
        == 0
    )
    meta = load_motionbeat(out / "model.pt").meta
    assert meta["train"]["ecl_anchor"] == "music" and meta["train"]["sral_form"] == "soft_dtw"
    assert "val/tempo_negatives" in meta["metrics"] and "val/beat_sdtw" in meta["metrics"]
    with pytest.raises(SystemExit):  # argparse's choices
        main([*args, "--out", str(tmp_path / "x"), "--sral-form", "nope"])
    # the mudar recipe has no such losses
    mudar = ["train", "--data", str(root), "--out", str(tmp_path / "m"), "--no-progress"]
    assert main([*mudar, "--ecl-anchor", "music"]) == 2
