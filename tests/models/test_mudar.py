"""MuDaR end to end: shapes, gradient flow, audio-free inference, and an overfit check."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from mudar.errors import ParameterError
from mudar.losses.triplet import TripletLoss
from mudar.methods import RHYTHM_HEADS
from mudar.models.config import MudarConfig
from mudar.models.mudar import Embeddings, MuDaR, MudarOutput
from mudar.models.presets import get_preset


@pytest.fixture
def tiny(tiny: MudarConfig) -> MudarConfig:
    return dataclasses.replace(tiny, audio_dropout=0.25)  # 1 clip of 4 runs without audio


def batch(config: MudarConfig, b: int, seed: int = 0) -> dict[str, torch.Tensor]:
    """A batch by the contract of :meth:`MuDaR.forward`, random."""
    g = torch.Generator().manual_seed(seed)
    t, s, r = config.n_frames, config.frame_size, config.audio_rows
    return {
        "frames": torch.rand(b, t, 3, s, s, generator=g),
        "motion": torch.randn(b, t, config.motion_dim, generator=g),
        "audio": torch.randn(b, r, t * config.sub, generator=g),
        "neg_audio": torch.randn(b, r, t * config.sub, generator=g),
        "onsets": (torch.rand(b, t, generator=g) < 0.25).float(),
        "onset_strength": torch.rand(b, t, generator=g),
    }


def step_loss(model: MuDaR, x: dict, out: MudarOutput | None = None) -> torch.Tensor:
    out = out or model(x["frames"], x["motion"], x["audio"], neg_audio=x["neg_audio"])
    l_im = TripletLoss()(out.visual_emb, out.audio_emb, out.neg_audio_emb)
    return l_im + model.head.loss(out.head_out, x["onsets"], x["onset_strength"])


def test_forward_shapes(tiny):
    torch.manual_seed(0)
    model = MuDaR(tiny).train()
    x = batch(tiny, 4)
    out = model(x["frames"], x["motion"], x["audio"], neg_audio=x["neg_audio"])
    b, t, e = 4, tiny.n_frames, tiny.dim
    assert out.visual_emb.shape == out.audio_emb.shape == out.neg_audio_emb.shape == (b, e)
    assert out.visual_frames.shape == out.audio_frames.shape == (b, t, e)
    assert out.head_out.shape == (b, t)
    for emb in (out.visual_emb, out.audio_emb, out.neg_audio_emb):
        torch.testing.assert_close(emb.norm(dim=-1), torch.ones(b))
    assert out.n_without_audio == 1  # floor(4 * 0.25), in training
    model.eval()
    assert model(x["frames"], x["motion"], x["audio"]).n_without_audio == 0
    assert model(x["frames"], x["motion"], x["audio"], audio_dropout=True).n_without_audio == 1


@pytest.mark.parametrize("kind", RHYTHM_HEADS)
def test_every_parameter_gets_a_gradient(kind, tiny):
    torch.manual_seed(0)
    model = MuDaR(dataclasses.replace(tiny, head=kind)).train()
    x = batch(tiny, 4)  # one clip without audio, three with: both gate paths run
    step_loss(model, x).backward()
    missing = [k for k, p in model.named_parameters() if p.grad is None]
    assert not missing


@pytest.mark.parametrize("detach", [False, True])
def test_explicit_detach_keeps_the_rhythm_loss_out_of_the_encoders(detach, tiny):
    torch.manual_seed(0)
    model = MuDaR(dataclasses.replace(tiny, explicit_detach=detach)).train()
    x = batch(tiny, 4)
    out = model(x["frames"], x["motion"], x["audio"], neg_audio=x["neg_audio"])
    model.head.loss(out.head_out, x["onsets"], x["onset_strength"]).backward()
    for encoder in (model.visual_encoder, model.audio_encoder):
        grads = [p.grad for p in encoder.parameters()]
        reached = any(g is not None and bool(g.abs().sum() > 0) for g in grads)
        assert reached is not detach
    # the injector and head still learn, and the implicit loss still reaches the encoders
    assert all(p.grad is not None for p in model.head.parameters())
    model.zero_grad()
    out = model(x["frames"], x["motion"], x["audio"], neg_audio=x["neg_audio"])
    TripletLoss()(out.visual_emb, out.audio_emb, out.neg_audio_emb).backward()
    assert all(p.grad is not None for p in model.visual_encoder.parameters())


def test_without_audio(tiny):
    torch.manual_seed(0)
    model = MuDaR(tiny).eval()
    x = batch(tiny, 3)
    out = model(x["frames"], x["motion"], None)
    assert out.audio_emb is None and out.audio_frames is None and out.neg_audio_emb is None
    assert out.n_without_audio == 3 and out.head_out.shape == (3, tiny.n_frames)
    r = model.rhythm(x["frames"], x["motion"])
    assert r.shape == (3, tiny.n_frames) and bool(((r >= 0) & (r <= 1)).all())
    torch.testing.assert_close(r, torch.sigmoid(out.head_out))
    # with audio the rhythm changes (AGVA), and equals the full forward's head in evaluation
    ra = model.rhythm(x["frames"], x["motion"], x["audio"])
    out_a = model(x["frames"], x["motion"], x["audio"])
    torch.testing.assert_close(ra, torch.sigmoid(out_a.head_out))
    assert not torch.allclose(ra, r)
    with pytest.raises(ParameterError):
        model(x["frames"], x["motion"], None, neg_audio=x["neg_audio"])


def test_implicit_pathways_do_not_interact(tiny):
    """The visual embedding does not depend on the audio, nor the audio one on the frames."""
    torch.manual_seed(0)
    model = MuDaR(tiny).eval()
    x, y = batch(tiny, 2, seed=0), batch(tiny, 2, seed=1)
    with torch.no_grad():
        a = model(x["frames"], x["motion"], x["audio"])
        b = model(x["frames"], x["motion"], y["audio"])
        c = model(y["frames"], y["motion"], x["audio"])
    torch.testing.assert_close(a.visual_emb, b.visual_emb)
    torch.testing.assert_close(a.audio_emb, c.audio_emb)


def test_embed(tiny):
    torch.manual_seed(0)
    model = MuDaR(tiny).eval()
    x = batch(tiny, 2)
    with torch.no_grad():
        out = model(x["frames"], x["motion"], x["audio"])
        both = model.embed(x["frames"], x["audio"], motion=x["motion"])
        v = model.embed(frames=x["frames"], motion=x["motion"])
        a = model.embed(audio=x["audio"])
    assert isinstance(both, Embeddings)
    torch.testing.assert_close(both.visual_emb, out.visual_emb)
    torch.testing.assert_close(both.audio_frames, out.audio_frames)
    torch.testing.assert_close(v.visual_frames, out.visual_frames)
    assert v.audio_emb is None and a.visual_emb is None
    torch.testing.assert_close(a.audio_emb, out.audio_emb)
    with pytest.raises(ParameterError):
        model.embed()
    with pytest.raises(ParameterError, match="motion"):  # the visual token takes the motion
        model.embed(frames=x["frames"])


def test_visual_embedding_sees_motion_and_layout(tiny):
    # two clips with the same frames but different motion, or the same motion with the
    # content moved within the frame, must not embed alike (the collapse of the first model)
    torch.manual_seed(0)
    model = MuDaR(tiny).eval()
    x = batch(tiny, 1)
    other_motion = torch.roll(x["motion"], 1, dims=-1)
    moved = torch.roll(x["frames"], tiny.frame_size // 2, dims=-1)
    with torch.no_grad():
        e = model.embed(frames=x["frames"], motion=x["motion"]).visual_frames
        e_motion = model.embed(frames=x["frames"], motion=other_motion).visual_frames
        e_moved = model.embed(frames=moved, motion=x["motion"]).visual_frames
    assert (e - e_motion).abs().max() > 1e-3
    assert (e - e_moved).abs().max() > 1e-3


def test_old_config_keeps_the_old_visual_token(tiny):
    d = tiny.to_dict()
    del d["visual_grid"], d["visual_motion"]
    old = MudarConfig.from_dict(d)
    assert not old.visual_grid and not old.visual_motion
    model = MuDaR(old)
    assert model.visual_motion_proj is None
    assert model.visual_proj.in_features == model.visual_encoder.out_channels


def test_bad_shapes(tiny):
    model = MuDaR(tiny)
    x = batch(tiny, 2)
    with pytest.raises(ParameterError):
        model(x["frames"][:, :, :, :8], x["motion"], x["audio"])
    with pytest.raises(ParameterError):
        model(x["frames"], x["motion"][:, :-1], x["audio"])
    with pytest.raises(ParameterError):
        model(x["frames"], x["motion"], x["audio"][:, :, :-2])
    with pytest.raises(ParameterError):
        model(x["frames"], x["motion"], x["audio"][:1])


def test_cpu_preset_shapes():
    cfg = get_preset("mudar", "cpu").model
    model = MuDaR(cfg).eval()
    x = batch(cfg, 1)
    with torch.no_grad():
        out = model(x["frames"], x["motion"], x["audio"], neg_audio=x["neg_audio"])
    assert out.visual_emb.shape == (1, cfg.dim) and out.head_out.shape == (1, cfg.n_frames)


@pytest.mark.parametrize("kind", ["focal", "crf"])
def test_a_few_steps_on_a_fixed_batch_reduce_the_loss(kind, tiny):
    torch.manual_seed(0)
    cfg = dataclasses.replace(tiny, head=kind, dropout=0.0)
    model = MuDaR(cfg).train()
    x = batch(cfg, 4, seed=3)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(25):
        loss = step_loss(model, x)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0], losses
