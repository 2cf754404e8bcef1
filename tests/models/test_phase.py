"""The bar-equivariance of phase-rotated attention, and the bar phase of a batch of audio rows."""

import math

import numpy as np
import pytest
import torch

from mudar.clock import FrameClock
from mudar.data.clips.inputs import audio_input
from mudar.errors import ParameterError
from mudar.features.meter import bar_phase, clip_phase
from mudar.features.music import music_features
from mudar.models.mudar import sinusoid
from mudar.models.phase import PhaseAttention, pair_harmonics, phase_from_rows, rotate_pairs
from mudar.models.presets import MOTIONBEAT_PRESETS as PRESETS
from mudar.synthetic.video import synth_music

TWO_PI = 2 * math.pi


def test_clip_phase_of_a_waltz_click_track():
    clock = FrameClock(fps=8.0, sub=8)
    y, beats = synth_music(tempo_bpm=90, duration_s=8.0, sr=clock.sr, beats_per_bar=3, seed=1)
    music = music_features(y, clock=clock)
    audio = audio_input(music, config=PRESETS["debug"].model.audio_config())
    phi = clip_phase(audio[:16], audio[17], sub=8, fps=8.0)
    # downbeats (louder kicks, beats 0, 3, 6, ...) sit at phase ~0; the beats between at 1/3 turn
    downs = clock.times_to_frames(beats[::3], 64)
    others = clock.times_to_frames(beats[1::3], 64)
    dist = np.minimum(phi, TWO_PI - phi)
    assert np.median(dist[downs]) < 0.3
    assert np.median(np.abs(phi[others] - TWO_PI / 3)) < 0.3
    # the batch version is the same, on the frame grid
    batch = phase_from_rows(torch.from_numpy(audio)[None], n_mels=16, beat_row=17, sub=8, fps=8.0)
    assert batch.shape == (1, 64)
    np.testing.assert_allclose(batch[0].numpy(), phi, atol=1e-6)


def test_rotation_keeps_norms_and_harmonic_zero_pairs():
    h = pair_harmonics(8, 2)
    assert h.tolist() == [0, 1, 2, 0]
    x = torch.randn(2, 3, 5, 8)
    phase = torch.rand(2, 5) * TWO_PI
    y = rotate_pairs(x, phase, h)
    torch.testing.assert_close(y.norm(dim=-1), x.norm(dim=-1))
    torch.testing.assert_close(y[..., [0, 1, 6, 7]], x[..., [0, 1, 6, 7]])
    with pytest.raises(ParameterError):
        pair_harmonics(7, 2)


@pytest.fixture
def attention():
    torch.manual_seed(0)
    return PhaseAttention(32, 2, n_harmonics=4).eval()


def test_logits_depend_only_on_phase_differences(attention):
    x = torch.randn(1, 24, 32)
    phase = torch.rand(1, 24) * TWO_PI
    base, _ = attention.logits(x, phase)
    for offset in (0.7, math.pi, -2.0):  # e.g. another beat taken for the downbeat
        moved, _ = attention.logits(x, phase + offset)
        torch.testing.assert_close(moved, base, atol=1e-4, rtol=0)
    bent = phase.clone()
    bent[0, 3] += 1.0  # one frame's phase changes: its row and column do
    changed, _ = attention.logits(x, bent)
    assert (changed - base).abs().max() > 1e-2


def test_shifting_the_music_by_one_bar_leaves_the_attention_unchanged(attention):
    fps, bar = 8.0, 16  # 120 BPM, 4 beats a bar: 16 frames
    n, t = 64, 48
    feats = torch.randn(1, n, 32)  # any content, not periodic
    beats = np.arange(0.25, n / fps, 0.5)  # the first beat (a downbeat) at 0.25 s

    def window(start):
        """The clip of frames start .. start + t: its features and its own bar phase."""
        s = start / fps
        own = beats[(beats >= s) & (beats < s + t / fps)] - s  # re-based, as MusicFeatures.slice
        first = int(np.flatnonzero(beats >= s)[0])
        phi = bar_phase(own, n_frames=t, fps=fps, beats_per_bar=4, downbeat=(-first) % 4)
        return feats[:, start : start + t], torch.tensor(phi, dtype=torch.float32)[None]

    xa, pa = window(0)
    xb, pb = window(bar)
    wa = attention(xa, pa, return_weights=True)[1]
    wb = attention(xb, pb, return_weights=True)[1]
    la, _ = attention.logits(xa, pa)
    lb, _ = attention.logits(xb, pb)
    # the frames both clips hold: frame bar + i of clip A is frame i of clip B
    torch.testing.assert_close(
        la[..., bar:, bar:], lb[..., : t - bar, : t - bar], atol=1e-4, rtol=0
    )
    assert wa.shape == wb.shape == (1, 2, t, t)
    # an absolute position code instead would see the shift
    pe = sinusoid(t, 32)
    ca, _ = attention.logits(xa + pe)
    cb, _ = attention.logits(xb + pe)
    assert (ca[..., bar:, bar:] - cb[..., : t - bar, : t - bar]).abs().max() > 0.1


def test_key_bias_and_checks(attention):
    x = torch.randn(2, 10, 32)
    bias = torch.full((2, 10), -1e4)
    bias[:, 7] = 0
    _, w = attention(x, None, bias, return_weights=True)
    assert torch.allclose(w[..., 7], torch.ones(()), atol=1e-5)
    with pytest.raises(ParameterError):
        attention(x, torch.zeros(2, 9))
    with pytest.raises(ParameterError):
        attention(x, None, torch.zeros(1, 10))
    with pytest.raises(ParameterError):
        PhaseAttention(30, 4)
