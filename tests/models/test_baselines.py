"""The baselines (multisensory, AVTS, LLA): shapes, MuDaR's embed contract, losses, checkpoints."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from mudar.errors import ParameterError
from mudar.methods import LEARNED
from mudar.models.baselines import AVTS, BASELINES, LLA, Multisensory, build_model
from mudar.models.baselines.multisensory import SyncBCELoss
from mudar.models.checkpoint import load_model, save_model
from mudar.models.config import MudarConfig
from mudar.models.mudar import Embeddings, MuDaR


@pytest.fixture
def tiny(tiny: MudarConfig) -> MudarConfig:
    return dataclasses.replace(tiny, dropout=0.0)  # the loss checks need deterministic steps


def batch(config: MudarConfig, b: int, seed: int = 0) -> dict[str, torch.Tensor]:
    """A random batch with the keys of a ClipSet batch that the baselines read."""
    g = torch.Generator().manual_seed(seed)
    t, s, r = config.n_frames, config.frame_size, config.audio_rows
    return {
        "frames": torch.rand(b, t, 3, s, s, generator=g),
        "motion": torch.rand(b, t, config.motion_dim, generator=g),
        "audio": torch.randn(b, r, t * config.sub, generator=g),
        "neg_audio": torch.randn(b, r, t * config.sub, generator=g),
        "video": torch.arange(b) // 2,  # clips 0-1 of video 0, 2-3 of video 1, ...
    }


def run(model, x: dict):
    return model(x["frames"], x["motion"], x["audio"], neg_audio=x["neg_audio"], video=x["video"])


def test_registry(tiny):
    assert LEARNED == ("mudar", "multisensory", "avts", "lla")
    assert {m: type(build_model(m, tiny)) for m in LEARNED} == {
        "mudar": MuDaR,
        "multisensory": Multisensory,
        "avts": AVTS,
        "lla": LLA,
    }
    assert all(cls.method == name for name, cls in BASELINES.items())
    with pytest.raises(ParameterError, match="known: mudar, multisensory, avts, lla"):
        build_model("nope", tiny)


@pytest.mark.parametrize("method", list(BASELINES))
def test_forward_shapes_and_gradients(method, tiny):
    torch.manual_seed(0)
    model = build_model(method, tiny).train()
    x = batch(tiny, 4)
    out = run(model, x)
    assert out.pos.shape == (4,)
    # LLA adds in-batch negatives: clip i with clip i+1's music, when from another video
    # (pairs 1-2 and 3-0 here)
    assert out.neg.shape == ((4 + 2,) if method == "lla" else (4,))
    assert out.kind == ("logit" if method == "multisensory" else "distance")
    loss, parts = model.loss(out)
    assert loss.ndim == 0 and torch.isfinite(loss) and "loss" in parts
    loss.backward()
    assert not [k for k, p in model.named_parameters() if p.grad is None]


@pytest.mark.parametrize("method", list(BASELINES))
def test_embed_contract(method, tiny):
    torch.manual_seed(0)
    model = build_model(method, tiny).eval()
    x = batch(tiny, 3)
    b, t, e = 3, tiny.n_frames, tiny.dim
    with torch.no_grad():
        emb = model.embed(x["frames"], x["audio"], motion=x["motion"])
    assert isinstance(emb, Embeddings)
    assert emb.visual_emb.shape == emb.audio_emb.shape == (b, e)
    assert emb.visual_frames.shape == emb.audio_frames.shape == (b, t, e)
    for z in (emb.visual_emb, emb.audio_emb):
        torch.testing.assert_close(z.norm(dim=-1), torch.ones(b))
    # no rhythm head: a constant (no peaks) when the motion is given, as MuDaR's contract
    assert emb.rhythm.shape == (b, t) and not emb.rhythm.any()
    # each modality alone gives the same embedding, and songs of another length embed too
    with torch.no_grad():
        alone = model.embed(audio=x["audio"])
        longer = model.embed(audio=torch.cat([x["audio"], x["audio"]], dim=2))
    assert alone.visual_emb is None and alone.rhythm is None
    torch.testing.assert_close(alone.audio_emb, emb.audio_emb)
    assert longer.audio_frames.shape == (b, 2 * t, e)
    with torch.no_grad():
        assert model.sync_score(x["frames"], x["audio"], motion=x["motion"]).shape == (b,)


def test_embed_errors(tiny):
    model = build_model("avts", tiny).eval()
    x = batch(tiny, 2)
    with pytest.raises(ParameterError, match="needs frames, audio"):
        model.embed()
    with pytest.raises(ParameterError, match="needs the motion"):
        model.embed(x["frames"])  # the visual token takes the motion (config.visual_motion)
    with pytest.raises(ParameterError, match="motion must have shape"):
        model.embed(x["frames"], motion=x["motion"][:, :-1])
    with pytest.raises(ParameterError, match="frames must have shape"):
        model.embed(x["frames"][:, :, :, :8], motion=x["motion"])
    with pytest.raises(ParameterError, match="neg_audio must cover"):
        model(x["frames"], x["motion"], x["audio"], neg_audio=x["neg_audio"][:1])
    with pytest.raises(ParameterError, match="no rhythm head"):
        model.rhythm(x["frames"], x["motion"])
    # without the motion in the visual token, frames alone are enough
    plain = build_model("avts", dataclasses.replace(tiny, visual_motion=False)).eval()
    assert plain.embed(x["frames"]).rhythm is None


def test_avts_sync_score_is_minus_the_embedding_distance(tiny):
    torch.manual_seed(0)
    model = build_model("avts", tiny).eval()
    x = batch(tiny, 3)
    with torch.no_grad():
        emb = model.embed(x["frames"], x["audio"], motion=x["motion"])
        score = model.sync_score(x["frames"], x["audio"], motion=x["motion"])
    torch.testing.assert_close(score, -(emb.visual_emb - emb.audio_emb).norm(dim=-1))


def test_multisensory_embeddings_are_the_streams_before_fusion(tiny):
    """Changing the fusion's weights changes the sync score, not the unimodal embeddings."""
    torch.manual_seed(0)
    model = build_model("multisensory", tiny).eval()
    x = batch(tiny, 2)
    with torch.no_grad():
        before = model.embed(x["frames"], x["audio"], motion=x["motion"])
        s0 = model.sync_score(x["frames"], x["audio"], motion=x["motion"])
        for p in model.fusion.parameters():
            p.add_(0.5)
        after = model.embed(x["frames"], x["audio"], motion=x["motion"])
        s1 = model.sync_score(x["frames"], x["audio"], motion=x["motion"])
    torch.testing.assert_close(before.visual_emb, after.visual_emb)
    torch.testing.assert_close(before.audio_frames, after.audio_frames)
    assert not torch.allclose(s0, s1)


def test_lla_in_batch_negatives_skip_clips_of_one_video(tiny):
    torch.manual_seed(0)
    model = build_model("lla", tiny).eval()
    x = batch(tiny, 4)
    with torch.no_grad():
        assert run(model, {**x, "video": torch.zeros(4, dtype=torch.long)}).neg.shape == (4,)
        assert run(model, {**x, "video": torch.arange(4)}).neg.shape == (8,)
        assert run(model, {**x, "video": None}).neg.shape == (4,)


# --- the losses ------------------------------------------------------------------------------


def test_sync_bce_known_values():
    loss, parts = SyncBCELoss()(torch.full((3,), 20.0), torch.full((2,), -20.0), return_parts=True)
    assert float(loss) < 1e-6 and float(parts["accuracy"]) == 1.0
    loss, parts = SyncBCELoss()(torch.zeros(3), torch.zeros(2), return_parts=True)
    assert float(loss) == pytest.approx(torch.log(torch.tensor(2.0)).item())


@pytest.mark.parametrize("method", list(BASELINES))
def test_each_loss_decreases_on_a_tiny_batch(method, tiny):
    torch.manual_seed(0)
    model = build_model(method, tiny).train()
    x = batch(tiny, 4)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(20):
        loss, _ = model.loss(run(model, x))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.5 * losses[0], losses


# --- checkpoints ----------------------------------------------------------------------------


@pytest.mark.parametrize("method", list(BASELINES))
def test_checkpoint_records_the_method(method, tmp_path, tiny):
    torch.manual_seed(0)
    model = build_model(method, tiny).eval()
    path = save_model(model, tmp_path / "m.pt", meta={"method": method})
    assert torch.load(path, weights_only=True)["method"] == method
    back = load_model(path)
    assert type(back) is type(model) and back.config == tiny and not back.training
    for k, v in model.state_dict().items():
        torch.testing.assert_close(back.state_dict()[k], v, msg=k)


def test_checkpoints_without_a_method_are_mudar(tmp_path, tiny):
    model = MuDaR(tiny).eval()
    doc = torch.load(save_model(model, tmp_path / "m.pt"), weights_only=True)
    assert doc.pop("method") == "mudar"
    torch.save(doc, tmp_path / "old.pt")  # as written before the baselines
    assert type(load_model(tmp_path / "old.pt")) is MuDaR
    doc["method"] = "nope"
    torch.save(doc, tmp_path / "bad.pt")
    with pytest.raises(ParameterError, match="unknown method 'nope'"):
        load_model(tmp_path / "bad.pt")
