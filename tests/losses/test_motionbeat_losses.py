"""MotionBeat's losses (ECL and SRAL) against hand computations."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mudar.errors import ParameterError
from mudar.losses.motionbeat import (
    EmbodiedContrastiveLoss,
    StructuralRhythmAlignmentLoss,
    soft_dtw,
)


def t(x):
    return torch.tensor(x, dtype=torch.float32)


# --- ECL --------------------------------------------------------------------------------------


def test_ecl_equals_hand_computation():
    # cos(motion i, music j) = identity; each clip's one hard negative scores 0.6 and 0.8
    music = t([[1.0, 0.0], [0.0, 1.0]])
    motion = t([[1.0, 0.0], [0.0, 1.0]])
    hard = t([[[0.6, 0.8]], [[0.6, 0.8]]])
    loss, parts = EmbodiedContrastiveLoss(temperature=1.0)(music, motion, hard, return_parts=True)
    e = math.e
    row0 = -math.log(e / (e + 1 + math.exp(0.6)))  # logits [1, 0 | 0.6]
    row1 = -math.log(e / (1 + e + math.exp(0.8)))  # logits [0, 1 | 0.8]
    v2a = (row0 + row1) / 2
    a2v = -math.log(e / (e + 1))  # no hard negatives this way
    assert parts["motion_to_music"].item() == pytest.approx(v2a, abs=1e-6)
    assert parts["music_to_motion"].item() == pytest.approx(a2v, abs=1e-6)
    assert loss.item() == pytest.approx((v2a + a2v) / 2, abs=1e-6)
    assert parts["acc"].item() == 1.0
    assert parts["hard_acc"].item() == 1.0
    assert parts["hard_gap"].item() == pytest.approx((0.4 + 0.2) / 2, abs=1e-6)


def test_ecl_without_negatives_is_symmetric_infonce(rng):
    a = torch.from_numpy(rng.normal(size=(5, 8))).float()
    v = torch.from_numpy(rng.normal(size=(5, 8))).float()
    tau = 0.2
    s = F.normalize(v, dim=-1) @ F.normalize(a, dim=-1).T / tau
    y = torch.arange(5)
    want = 0.5 * (F.cross_entropy(s, y) + F.cross_entropy(s.T, y))
    loss_fn = EmbodiedContrastiveLoss(tau)
    assert loss_fn(a, v).item() == pytest.approx(want.item(), abs=1e-6)
    assert loss_fn(a, v, torch.zeros(5, 0, 8)).item() == pytest.approx(want.item(), abs=1e-6)
    # embeddings are normalised inside: scaling changes nothing
    assert loss_fn(3 * a, 0.5 * v).item() == pytest.approx(want.item(), abs=1e-5)
    assert loss_fn.parts["hard_gap"].item() == 0.0


def test_ecl_hard_weight_counts_each_negative_w_times(rng):
    a = torch.from_numpy(rng.normal(size=(3, 4))).float()
    v = torch.from_numpy(rng.normal(size=(3, 4))).float()
    n = torch.from_numpy(rng.normal(size=(3, 1, 4))).float()
    weighted = EmbodiedContrastiveLoss(0.5, hard_weight=2.0)(a, v, n)
    duplicated = EmbodiedContrastiveLoss(0.5)(a, v, torch.cat([n, n], dim=1))
    assert weighted.item() == pytest.approx(duplicated.item(), abs=1e-6)


def test_ecl_hard_negatives_raise_the_loss_and_give_gradients():
    music = t([[1.0, 0.0], [0.0, 1.0]]).requires_grad_()
    motion = t([[1.0, 0.1], [0.1, 1.0]])
    easy = EmbodiedContrastiveLoss(0.1)(music, motion)
    hard_neg = t([[[1.0, 0.05]], [[0.05, 1.0]]]).requires_grad_()  # nearly the positives
    loss = EmbodiedContrastiveLoss(0.1)(music, motion, hard_neg)
    assert loss.item() > easy.item()
    loss.backward()
    assert music.grad.abs().sum() > 0 and hard_neg.grad.abs().sum() > 0


def test_ecl_checks():
    with pytest.raises(ParameterError):
        EmbodiedContrastiveLoss(0.0)
    with pytest.raises(ParameterError):
        EmbodiedContrastiveLoss(0.1, hard_weight=0.0)
    loss = EmbodiedContrastiveLoss()
    with pytest.raises(ParameterError):
        loss(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(ParameterError):
        loss(torch.ones(2, 3), torch.ones(2, 3), torch.ones(3, 1, 3))


# --- SRAL -------------------------------------------------------------------------------------


def test_sral_equals_hand_computation():
    # a = e = [1, 0, 0, 0]: standardised (mean 1/4, std sqrt(3)/4) to [3, -1, -1, -1] / sqrt(3)
    # c(0) = 1; c(+1) = c(-1) = (1/3) * (-3 + 1 + 1) / 3 = -1/9
    a = t([[1.0, 0.0, 0.0, 0.0]])
    sral = StructuralRhythmAlignmentLoss(max_lag=1, temperature=1.0, corr_weight=0.5)
    c = sral.lag_correlation(a, a)
    assert c[0].tolist() == pytest.approx([-1 / 9, 1.0, -1 / 9], abs=1e-5)
    loss, parts = sral(a, a, return_parts=True)
    p0 = math.e / (math.e + 2 * math.exp(-1 / 9))
    assert parts["p_lag0"].item() == pytest.approx(p0, abs=1e-5)
    assert parts["lag_ce"].item() == pytest.approx(-math.log(p0), abs=1e-5)
    assert parts["corr0"].item() == pytest.approx(1.0, abs=1e-5)
    assert loss.item() == pytest.approx(-math.log(p0) + 0.5 * 0.0, abs=1e-5)
    assert parts["best_lag"].item() == 0.0 and parts["valid"].item() == 1.0


def test_sral_temperature_sharpens_the_lag_softmax():
    a = t([[1.0, 0.0, 0.0, 0.0]])
    warm = StructuralRhythmAlignmentLoss(1, temperature=1.0, corr_weight=0)(a, a).item()
    cold = StructuralRhythmAlignmentLoss(1, temperature=0.1, corr_weight=0)(a, a).item()
    # at tau = 0.1: -log(1 / (1 + 2 exp(-(1 + 1/9) / 0.1)))
    assert cold == pytest.approx(math.log1p(2 * math.exp(-(10 / 9) / 0.1)), abs=1e-6)
    assert cold < warm


def test_sral_finds_late_accents():
    events = torch.zeros(1, 16)
    events[0, [2, 6, 10, 14]] = 1
    late = torch.roll(events, 1, dims=1)  # the music accents one frame after the dance's events
    sral = StructuralRhythmAlignmentLoss(max_lag=1, temperature=0.1)
    aligned, p_ok = sral(events, events, return_parts=True)
    off, p_off = sral(late, events, return_parts=True)
    # c(l) pairs accent t with event t + l: events one frame *before* the accents is l = -1
    assert p_off["best_lag"].item() == -1.0 and p_ok["best_lag"].item() == 0.0
    assert off.item() > aligned.item() + 1.0


def test_sral_skips_clips_without_events_and_gives_gradients():
    accent = torch.rand(2, 8, requires_grad=True)
    events = torch.zeros(2, 8)
    events[1, [1, 5]] = 1
    loss, parts = StructuralRhythmAlignmentLoss(max_lag=2)(accent, events, return_parts=True)
    assert parts["valid"].item() == 0.5
    loss.backward()
    assert accent.grad[0].abs().sum() == 0 and accent.grad[1].abs().sum() > 0
    none = StructuralRhythmAlignmentLoss(max_lag=2)(accent, torch.zeros(2, 8))
    assert none.item() == 0.0 and none.requires_grad


def test_sral_checks():
    with pytest.raises(ParameterError):
        StructuralRhythmAlignmentLoss(max_lag=0)
    with pytest.raises(ParameterError):
        StructuralRhythmAlignmentLoss(temperature=0)
    with pytest.raises(ParameterError):
        StructuralRhythmAlignmentLoss(max_lag=4)(torch.zeros(1, 4), torch.zeros(1, 4))
    with pytest.raises(ParameterError):
        StructuralRhythmAlignmentLoss()(torch.zeros(1, 8), torch.zeros(2, 8))


def test_ecl_leaves_same_dance_pairs_out(rng):
    a = torch.from_numpy(rng.normal(size=(4, 6))).float()
    v = torch.from_numpy(rng.normal(size=(4, 6))).float()
    n = torch.from_numpy(rng.normal(size=(4, 2, 6))).float()
    groups = torch.tensor([0, 0, 1, 2])
    tau = 0.5
    loss, parts = EmbodiedContrastiveLoss(tau)(a, v, n, groups=groups, return_parts=True)
    s = F.normalize(v, dim=-1) @ F.normalize(a, dim=-1).T / tau
    h = torch.einsum("be,bme->bm", F.normalize(v, dim=-1), F.normalize(n, dim=-1)) / tau
    keep = [[0, 2, 3], [1, 2, 3], [0, 1, 2, 3], [0, 1, 2, 3]]  # clips 0 and 1: one dance
    v2a = sum(
        -torch.log_softmax(torch.cat([s[i, keep[i]], h[i]]), 0)[keep[i].index(i)] for i in range(4)
    )
    a2v = sum(-torch.log_softmax(s[keep[i], i], 0)[keep[i].index(i)] for i in range(4))
    assert parts["motion_to_music"].item() == pytest.approx(v2a.item() / 4, abs=1e-5)
    assert parts["music_to_motion"].item() == pytest.approx(a2v.item() / 4, abs=1e-5)
    assert loss.item() == pytest.approx((v2a + a2v).item() / 8, abs=1e-5)
    # chance level: log of 3, 3, 4, 4 batch candidates plus the 2 hard negatives each
    want = (2 * math.log(5) + 2 * math.log(6)) / 4
    assert parts["log_candidates"].item() == pytest.approx(want, abs=1e-5)
    # one dance per clip: as without groups
    plain = EmbodiedContrastiveLoss(tau)(a, v, n)
    distinct = EmbodiedContrastiveLoss(tau)(a, v, n, groups=torch.arange(4))
    assert distinct.item() == pytest.approx(plain.item(), abs=1e-6)
    with pytest.raises(ParameterError):
        EmbodiedContrastiveLoss(tau)(a, v, groups=torch.zeros(3, dtype=torch.long))


# --- the summarised paper's forms (anchor="music", form="soft_dtw") ----------------------------


def test_ecl_music_anchor_without_negatives_is_the_same_infonce():
    torch.manual_seed(0)
    a, v = torch.randn(6, 8), torch.randn(6, 8)
    g = torch.tensor([0, 0, 1, 2, 3, 4])
    default = EmbodiedContrastiveLoss(0.1)(a, v, groups=g)
    music = EmbodiedContrastiveLoss(0.1, anchor="music")(a, v, groups=g)
    torch.testing.assert_close(music, default)


def test_ecl_music_anchor_uses_motion_negatives_and_tempo_by_hand():
    torch.manual_seed(1)
    a, v = torch.randn(4, 5), torch.randn(4, 5)
    neg = torch.randn(4, 2, 5)
    tempo = torch.tensor([120.0, 122.0, 90.0, 150.0])  # clips 0 and 1 within 6 %
    w, tau = 3.0, 0.2
    loss, parts = EmbodiedContrastiveLoss(tau, hard_weight=w, anchor="music")(
        a, v, neg, tempo=tempo, return_parts=True
    )
    an, vn, nn_ = F.normalize(a, dim=-1), F.normalize(v, dim=-1), F.normalize(neg, dim=-1)
    l_av = []
    for i in range(4):
        terms = []
        for j in range(4):
            bonus = math.log(w) if {i, j} == {0, 1} else 0.0
            terms.append(an[i] @ vn[j] / tau + bonus)
        terms += [an[i] @ nn_[i, m] / tau + math.log(w) for m in range(2)]
        l_av.append(-(an[i] @ vn[i] / tau - torch.logsumexp(torch.stack(terms), 0)))
    l_va = F.cross_entropy((vn @ an.T) / tau, torch.arange(4))
    torch.testing.assert_close(loss, 0.5 * (torch.stack(l_av).mean() + l_va))
    assert parts["tempo_negatives"] == pytest.approx(0.5)  # clips 0 and 1 have one each
    with pytest.raises(ParameterError):
        EmbodiedContrastiveLoss(anchor="dance")


def test_soft_dtw_tends_to_dtw_and_is_zero_divergence_for_equal_sequences(rng):
    x = torch.tensor(rng.normal(size=(1, 5)))
    y = torch.tensor(rng.normal(size=(1, 6)))
    c = ((x[0, :, None] - y[0, None, :]) ** 2).numpy()
    d = np.full((6, 7), np.inf)
    d[0, 0] = 0
    for i in range(1, 6):
        for j in range(1, 7):
            d[i, j] = c[i - 1, j - 1] + min(d[i - 1, j - 1], d[i - 1, j], d[i, j - 1])
    assert float(soft_dtw(x, y, gamma=1e-4)[0]) == pytest.approx(d[5, 6], abs=1e-3)
    assert float(soft_dtw(x, y, gamma=1.0)[0]) < d[5, 6]  # the soft minimum is below the min


def test_sral_soft_dtw_prefers_accents_on_the_events():
    t = 32
    events = torch.zeros(1, t)
    events[0, ::8] = 1  # one event a bar of 8 frames (2 beats of 4)
    on = events.clone()
    off = torch.roll(events, 4, dims=1)  # half a bar late
    sral = StructuralRhythmAlignmentLoss(form="soft_dtw", beat_frames=4, bar_beats=2, gamma=0.01)
    l_on, p_on = sral(on, events, return_parts=True)
    l_off, p_off = sral(off, events, return_parts=True)
    assert float(p_on["bar_tv"]) == pytest.approx(0.0, abs=1e-6)
    assert float(p_off["bar_tv"]) == pytest.approx(1.0, abs=1e-6)
    assert float(l_on) < float(l_off)
    x = on.clone().requires_grad_(True)
    sral(x, events).backward()
    assert torch.isfinite(x.grad).all()
    with pytest.raises(ParameterError):
        StructuralRhythmAlignmentLoss(form="dtw")


def test_ecl_music_anchor_log_candidates_counts_the_weighted_negatives():
    torch.manual_seed(2)
    a, v, neg = torch.randn(4, 5), torch.randn(4, 5), torch.randn(4, 2, 5)
    tempo = torch.tensor([120.0, 122.0, 90.0, float("nan")])  # nan: nobody's negative
    g = torch.tensor([0, 1, 1, 2])
    _, parts = EmbodiedContrastiveLoss(hard_weight=3.0, anchor="music")(
        a, v, neg, groups=g, tempo=tempo, return_parts=True
    )
    # clip 0: 4 in-batch + 2 (w - 1) for its tempo neighbour 1 + 2 w hard; clip 1: 3 (clip 2
    # is its dance) + 2 + 6; clip 2: 3 + 6; clip 3: 4 + 6
    want = np.log([4 + 2 + 6, 3 + 2 + 6, 3 + 6, 4 + 6]).mean()
    assert float(parts["log_candidates"]) == pytest.approx(want, rel=1e-6)
    assert float(parts["tempo_negatives"]) == pytest.approx(0.5)


def test_sral_soft_dtw_per_clip_beats_equal_each_length_alone(rng):
    acc = torch.tensor(rng.random((5, 24)), dtype=torch.float32)
    ev = torch.tensor(rng.random((5, 24)) > 0.7, dtype=torch.float32)
    k = torch.tensor([4, 3, 4, 6, 3])
    sral = StructuralRhythmAlignmentLoss(form="soft_dtw")
    loss, parts = sral(acc, ev, beat_frames=k, return_parts=True)
    per_clip = []
    for i in range(5):
        alone = StructuralRhythmAlignmentLoss(form="soft_dtw", beat_frames=int(k[i]))
        per_clip.append(alone(acc[i : i + 1], ev[i : i + 1]))
    torch.testing.assert_close(loss, torch.stack(per_clip).mean())
    # without beat_frames every clip takes the constructor's
    torch.testing.assert_close(
        sral(acc, ev), sral(acc, ev, beat_frames=torch.full((5,), 4)), rtol=0, atol=0
    )
    with pytest.raises(ParameterError):
        sral(acc, ev, beat_frames=torch.tensor([4, 0, 4, 4, 4]))
