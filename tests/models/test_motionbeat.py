"""The MotionBeat model: presets, shapes, contact-guided attention, motion features, checkpoints."""

import dataclasses

import pytest
import torch

from mudar.errors import InputError, ParameterError
from mudar.models.checkpoint import load_motionbeat, save_motionbeat
from mudar.models.motionbeat import MotionBeat
from mudar.models.presets import MOTIONBEAT_PRESETS as PRESETS

DEBUG = PRESETS["debug"].model


def batch(config, b=2, t=None, m=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    t = t or config.n_frames
    audio = torch.randn(b, config.audio_rows, t * config.sub, generator=g)
    beats = torch.zeros(t)
    beats[::4] = 1  # a beat every 4 frames
    audio[:, config.n_mels + 1] = beats.repeat_interleave(config.sub)
    joints = torch.randn(b, t, config.n_joints, 3, generator=g)
    contact = torch.rand(b, t, generator=g)
    neg = torch.randn(b, m, config.audio_rows, t * config.sub, generator=g)
    return audio, joints, contact, neg


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return MotionBeat(DEBUG).eval()


def test_forward_shapes(model):
    audio, joints, contact, neg = batch(DEBUG)
    out = model(audio, joints, contact, neg_audio=neg)
    b, t, e = 2, DEBUG.n_frames, DEBUG.dim
    assert out.music_emb.shape == out.motion_emb.shape == (b, e)
    assert out.neg_music_emb.shape == (b, 3, e)
    assert out.music_frames.shape == out.motion_frames.shape == (b, t, e)
    assert out.accent_logits.shape == (b, t)
    torch.testing.assert_close(out.music_emb.norm(dim=-1), torch.ones(b))
    torch.testing.assert_close(out.neg_music_emb.norm(dim=-1), torch.ones(b, 3))
    # negatives go through the same encoder: a negative equal to the positive embeds the same
    same = model(audio, joints, contact, neg_audio=audio[:, None])
    torch.testing.assert_close(same.neg_music_emb[:, 0], same.music_emb, atol=1e-5, rtol=0)
    assert model(audio, joints).neg_music_emb is None


def test_embed_music_for_downstream(model):
    audio, *_ = batch(DEBUG, b=3, t=48)  # any length
    e = model.embed_music(audio)
    assert e.frames.shape == (3, 48, DEBUG.dim) and e.emb.shape == (3, DEBUG.dim)
    assert e.beat_activation.shape == e.phase.shape == (3, 48)
    assert ((e.beat_activation >= 0) & (e.beat_activation <= 1)).all()
    assert not e.emb.requires_grad
    frames, emb = model.embed_motion(torch.randn(3, 48, DEBUG.n_joints, 3))
    assert frames.shape == (3, 48, DEBUG.dim) and emb.shape == (3, DEBUG.dim)


def test_contact_guided_attention_concentrates_on_the_contact_frame(model):
    t = DEBUG.n_frames
    contact = torch.zeros(2, t)
    contact[:, 11] = 1.0  # a foot planted on frame 11 only
    bias = model.contact_bias(contact)
    # beta * log(eps) elsewhere, beta * log(1 + eps) there
    assert bias[0, 0].item() == pytest.approx(DEBUG.contact_beta * torch.log(torch.tensor(0.01)))
    attn = model.motion_transformer.layers[0].attn
    x = torch.randn(2, t, DEBUG.dim)
    _, w = attn(x, None, bias, return_weights=True)
    assert (w.argmax(-1) == 11).all()  # every query, every head
    assert w[..., 11].min() > 0.5
    _, w0 = attn(x, None, None, return_weights=True)
    assert w0[..., 11].mean() < 0.2
    # a sharper bias concentrates further
    sharp = MotionBeat(dataclasses.replace(DEBUG, contact_beta=2.0, contact_eps=1e-3)).eval()
    _, w2 = sharp.motion_transformer.layers[0].attn(
        x, None, sharp.contact_bias(contact), return_weights=True
    )
    assert w2[..., 11].min() > 0.95


def test_the_motion_encoder_uses_the_contacts(model):
    _, joints, contact, _ = batch(DEBUG)
    a = model.encode_motion(joints, contact)[1]
    b = model.encode_motion(joints, torch.roll(contact, 5, dims=1))[1]
    c = model.encode_motion(joints)[1]
    assert (a - b).abs().max() > 1e-4 and (a - c).abs().max() > 1e-4
    off = MotionBeat(dataclasses.replace(DEBUG, contact_beta=0.0))
    off.load_state_dict(model.state_dict())
    off.eval()
    torch.testing.assert_close(off.encode_motion(joints, contact)[1], off.encode_motion(joints)[1])


def test_motion_features_positions_then_velocities(model):
    t = 10
    joints = torch.zeros(1, t, DEBUG.n_joints, 3)
    joints[..., 1] = torch.arange(t, dtype=torch.float32)[None, :, None] * 0.1  # rises 0.1 / frame
    f = model.motion_features(joints).view(1, t, 2, DEBUG.n_joints, 3)
    torch.testing.assert_close(f[:, :, 0], joints)
    torch.testing.assert_close(
        f[:, :, 1, :, 1], torch.full((1, t, DEBUG.n_joints), 0.8)
    )  # 0.1 * 8 fps


def test_the_bar_phase_drives_the_music_encoder(model):
    audio, *_ = batch(DEBUG)
    phase = model.phase(audio)
    assert phase.shape == (2, DEBUG.n_frames)
    a = model.encode_music(audio, phase)[1]
    b = model.encode_music(audio, phase + 1.0)[1]  # bar-equivariant: same embedding
    c = model.encode_music(audio, torch.zeros_like(phase))[1]
    torch.testing.assert_close(a, b, atol=1e-5, rtol=0)
    assert (a - c).abs().max() > 1e-4


def test_shape_checks(model):
    audio, joints, contact, neg = batch(DEBUG)
    with pytest.raises(ParameterError):
        model(audio[:, :-1], joints)
    with pytest.raises(ParameterError):
        model(audio, joints[:, :, :5])
    with pytest.raises(ParameterError):
        model(audio, joints[:, :-1])
    with pytest.raises(ParameterError):
        model(audio, joints, contact[:, :-1])
    with pytest.raises(ParameterError):
        model(audio, joints, neg_audio=neg[:1])


def test_checkpoint_round_trip(model, tmp_path):
    path = save_motionbeat(model, tmp_path / "m.pt", meta={"preset": "debug"})
    back = load_motionbeat(path)
    assert back.config == DEBUG and back.meta == {"preset": "debug"} and not back.training
    audio, joints, contact, _ = batch(DEBUG)
    torch.testing.assert_close(back.embed_music(audio).emb, model.embed_music(audio).emb)
    with pytest.raises(InputError):
        load_motionbeat(tmp_path / "missing.pt")
    torch.save({"format": "other"}, tmp_path / "x.pt")
    with pytest.raises(ParameterError):
        load_motionbeat(tmp_path / "x.pt")
