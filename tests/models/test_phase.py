"""Bar phase, metre and downbeat estimates, and the bar-equivariance of phase-rotated attention."""

import math

import numpy as np
import pytest
import torch

from mudar.clock import FrameClock
from mudar.data.clipset import audio_input
from mudar.errors import ParameterError
from mudar.features.music import music_features
from mudar.models.mudar import sinusoid
from mudar.models.phase import (
    PhaseAttention,
    bar_phase,
    clip_phase,
    estimate_meter,
    pair_harmonics,
    phase_from_rows,
    rotate_pairs,
)
from mudar.models.presets import MOTIONBEAT_PRESETS as PRESETS
from mudar.synthetic.video import synth_music

TWO_PI = 2 * math.pi


def test_bar_phase_known_values():
    beats = np.arange(0.0, 4.0, 0.5)  # 120 BPM
    phi = bar_phase(beats, n_frames=32, fps=8.0, beats_per_bar=4, downbeat=0)
    # frame k at k / 8 s is beat 2 k / 8 = k / 4: a quarter bar every 4 frames
    assert phi[[0, 4, 8, 12, 16, 2]] == pytest.approx(
        [0, 0.5 * math.pi, math.pi, 1.5 * math.pi, 0, math.pi / 4]
    )
    # another downbeat: every phase moves by the same quarter turn
    phi1 = bar_phase(beats, n_frames=32, fps=8.0, beats_per_bar=4, downbeat=1)
    assert np.allclose(np.mod(phi - phi1, TWO_PI), 0.5 * math.pi)
    assert np.all((phi >= 0) & (phi < TWO_PI))


def test_bar_phase_extrapolates_and_falls_back():
    beats = np.array([1.0, 1.5, 2.0])  # frames before 1 s and after 2 s carry on at 0.5 s
    phi = bar_phase(beats, n_frames=24, fps=8.0, beats_per_bar=3)
    assert phi[0] == pytest.approx(TWO_PI * (1 - 2 / 3))  # t = 0 is beat -2: position 1 of 3
    assert phi[20] == pytest.approx(TWO_PI * np.mod(2 + 1, 3) / 3)  # t = 2.5 s is beat 3
    assert np.all(bar_phase([], n_frames=5, fps=8.0) == 0)
    tempo = bar_phase([], n_frames=9, fps=8.0, tempo_bpm=120)
    assert tempo[4] == pytest.approx(math.pi / 2)
    with pytest.raises(ParameterError):
        bar_phase([1.0, 0.5], n_frames=4, fps=8.0)


def test_estimate_meter_tells_three_from_four(rng):
    bars = rng.normal(size=(8, 16))  # one spectrum per beat position, repeated every bar
    four, three = np.tile(bars[:4], (4, 1)), np.tile(bars[:3], (5, 1))
    flat4, flat3 = np.ones(17), np.ones(16)
    assert estimate_meter(four, flat4) == (4, 0)
    assert estimate_meter(three, flat3) == (3, 0)
    # the loudest position is the downbeat
    assert estimate_meter(three, np.tile([0.5, 0.5, 1.0], 6)[:16]) == (3, 2)
    # accents alone decide where the spectra say nothing
    noise = rng.normal(size=(15, 16))
    assert estimate_meter(noise, np.tile([1.0, 0.5, 0.5], 6)[:16], accent_weight=10)[0] == 3
    assert estimate_meter(noise, np.tile([1.0, 0.5, 0.5, 0.5], 4), accent_weight=10)[0] == 4
    assert estimate_meter(np.zeros((2, 16)), np.ones(3)) == (4, 0)  # too short: the default
    assert estimate_meter(four, flat4, meters=(3,)) == (3, 0)
    with pytest.raises(ParameterError):
        estimate_meter(four, flat4, meters=())


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
