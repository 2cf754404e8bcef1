"""The learned timing model: shapes, training on a known pattern, threshold, checkpoint."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mudar.errors import InputError, ParameterError
from mudar.features.candidates import CHANNELS, N_SCALARS, candidate_labels, timing_inputs
from mudar.models.checkpoint import load_timing, save_timing
from mudar.models.timing import TimingConfig, TimingModel, predict_probs
from mudar.training.timing import TimingTrainConfig, choose_threshold, train_timing

SMALL = TimingConfig(hidden=16, dilations=(1, 2, 4, 8), heads=2)


def _video(seed: int, seconds: float = 32.0):
    """Motion energy with deep stops on a 1 s beat and shallower ones half-way between."""
    rng = np.random.default_rng(seed)
    fps, steps = 8.0, 4
    n = int(seconds * fps)
    t = (np.arange(n)[:, None] + ((np.arange(steps) + 0.5) / steps - 0.5)[None]) / fps
    beats = np.arange(0.4 + rng.uniform(0, 0.3), seconds - 0.3, 1.0)
    e = np.ones_like(t) + 0.05 * rng.random(t.shape)
    for b in beats:
        e -= 0.8 * np.exp(-0.5 * ((t - b) / 0.06) ** 2)
    for s in beats[:-1] + 0.5 + rng.uniform(-0.05, 0.05, size=len(beats) - 1):
        e -= 0.35 * np.exp(-0.5 * ((t - s) / 0.06) ** 2)  # a shallower stop off the beat
    return timing_inputs(e.astype(np.float32), fps=fps), beats


def test_forward_shapes_and_padding():
    m = TimingModel(SMALL)
    seq = torch.randn(2, 100, len(CHANNELS))
    out = m(seq, torch.tensor([[3.5, 50.0, 99.0], [0.0, 1.0, 2.0]]), torch.zeros(2, 3, N_SCALARS))
    assert out.shape == (2, 3) and torch.isfinite(out).all()
    with pytest.raises(ParameterError):
        m(torch.randn(2, 100, 3), torch.zeros(2, 1), torch.zeros(2, 1, N_SCALARS))
    with pytest.raises(ParameterError):
        TimingConfig(threshold=1.0)
    with pytest.raises(ParameterError):
        TimingConfig(labels="bars")


def test_without_pose_the_pose_channels_do_not_matter():
    m = TimingModel(SMALL).eval()
    seq = torch.randn(1, 64, len(CHANNELS))
    other = seq.clone()
    other[..., 2:] = torch.randn(1, 64, len(CHANNELS) - 2)
    pos, sca = torch.tensor([[10.0, 30.0]]), torch.zeros(1, 2, N_SCALARS)
    torch.testing.assert_close(m(seq, pos, sca), m(other, pos, sca))


def test_it_learns_which_stops_are_on_the_beat(tmp_path):
    import mir_eval

    train = [_video(s) for s in range(6)]
    model, losses = train_timing(
        train, SMALL, TimingTrainConfig(steps=100, batch_size=8, clip_s=8.0, seed=0)
    )
    assert np.mean(losses[-20:]) < 0.7 * np.mean(losses[:20])
    model, val_f = choose_threshold(model, [_video(10), _video(11)])
    x, beats = _video(20)
    p = predict_probs(model, x)
    y = candidate_labels(x.times, beats)
    assert p[y == 1].mean() > p[y == 0].mean() + 0.3
    est = x.times[p >= model.config.threshold]
    f_model = mir_eval.onset.f_measure(beats, est, window=0.07)[0]
    f_rule = mir_eval.onset.f_measure(beats, x.times, window=0.07)[0]
    assert f_model > f_rule + 0.1 and val_f > 0.8
    # the checkpoint keeps the weights and the threshold chosen
    path = save_timing(model, tmp_path / "t.pt", meta={"data": "test"})
    again = load_timing(path)
    assert again.config == model.config and again.meta == {"data": "test"}
    np.testing.assert_allclose(predict_probs(again, x), p, atol=1e-6)


def test_load_timing_errors(tmp_path):
    with pytest.raises(InputError):
        load_timing(tmp_path / "missing.pt")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises((InputError, ParameterError)):
        load_timing(bad)


def test_the_dense_head_finds_the_beat_between_the_stops():
    import dataclasses

    import mir_eval

    from mudar.models.timing import predict_times

    train = [_video(s) for s in range(6)]
    config = dataclasses.replace(SMALL, head="dense")
    model, losses = train_timing(
        train, config, TimingTrainConfig(steps=100, batch_size=8, clip_s=8.0, seed=0)
    )
    assert np.mean(losses[-20:]) < 0.8 * np.mean(losses[:20])
    model, _ = choose_threshold(model, [_video(10), _video(11)])
    x, beats = _video(20)
    times, probs = predict_times(model, x)
    assert len(times) == len(probs) and (probs >= model.config.threshold).all()
    f_model = mir_eval.onset.f_measure(beats, times, window=0.07)[0]
    f_rule = mir_eval.onset.f_measure(beats, x.times, window=0.07)[0]
    assert f_model > f_rule + 0.1


def test_the_shipped_timing_model_loads_with_its_card():
    from mudar.models.checkpoint import default_timing_path
    from mudar.models.timing import TIMING_PRESETS

    model = load_timing()  # the shipped one
    assert default_timing_path().stat().st_size < 2_000_000
    cpu = TIMING_PRESETS["cpu"]
    assert (model.config.head, model.config.use_pose) == (cpu.head, cpu.use_pose)
    assert model.config.members == cpu.members == 3
    assert 0 < model.config.threshold < 1 and model.config.labels == "beats"
    assert len(model.meta["dances"]) == 20 and len(model.meta["threshold_dances"]) == 4
    held = {"DANCE_C_8", "DANCE_R_5", "DANCE_R_9", "DANCE_W_1", "DANCE_W_4", "DANCE_W_6"}
    assert not held & set(model.meta["dances"] + model.meta["threshold_dances"])


def test_an_ensemble_averages_its_members_and_round_trips(tmp_path):
    import dataclasses

    from mudar.models.timing import TimingEnsemble, dense_probs

    config = dataclasses.replace(SMALL, head="dense")
    members = [TimingModel(config) for _ in range(3)]
    for i, m in enumerate(members):  # members that differ
        torch.manual_seed(i)
        m.dense.bias.data.normal_()
    ens = TimingEnsemble(members)
    assert ens.config.members == 3 and ens.config.head == "dense"
    x, _ = _video(3)
    mean = np.mean([dense_probs(m, x) for m in members], axis=0)
    np.testing.assert_allclose(dense_probs(ens, x), mean, atol=1e-5)
    cands = np.mean([predict_probs(m, x) for m in members], axis=0)
    np.testing.assert_allclose(predict_probs(ens, x), cands, atol=1e-5)
    # the checkpoint keeps every member, and a threshold chosen for the whole
    ens.config = dataclasses.replace(ens.config, threshold=0.3)
    again = load_timing(save_timing(ens, tmp_path / "e.pt"))
    assert isinstance(again, TimingEnsemble) and again.config == ens.config
    np.testing.assert_allclose(dense_probs(again, x), dense_probs(ens, x), atol=1e-6)
    with pytest.raises(ParameterError):
        TimingEnsemble([])


def test_a_stretched_clip_keeps_its_rhythm_on_its_dips():
    from mudar.training.timing import _stretched, sample_labels

    x, beats = _video(4, seconds=40.0)
    rng = np.random.default_rng(0)
    for _ in range(5):
        c, t = _stretched(x, beats, 128, rng, 1.25)
        assert 100 <= len(c.sequence) <= 160 and c.offset_s == 0.0 and len(c.times) == 0
        y = sample_labels(c, t)
        inside = t[(t > 0.2) & (t < len(c.sequence) / c.rate - 0.2)]
        assert len(inside) >= 2
        # every labelled beat sits on a deep dip of the resampled energy, within a sample
        e = c.sequence[:, 0]
        for b in inside:
            k = int(round(b * c.rate))
            assert y[k] == 1.0
            assert e[max(0, k - 1) : k + 2].min() <= np.percentile(e, 10)


def test_pose_dropout_and_stretch_train_the_dense_head():
    import dataclasses

    config = dataclasses.replace(SMALL, head="dense", use_pose=True)
    train = [_video(s) for s in range(3)]
    cfg = TimingTrainConfig(steps=30, batch_size=4, clip_s=8.0, stretch=1.2, pose_dropout=0.5)
    model, losses = train_timing(train, config, cfg)
    assert len(losses) == 30 and np.isfinite(losses).all()
    with pytest.raises(ParameterError):
        train_timing(train, SMALL, cfg)  # the candidates head keeps its candidates: no stretch
    with pytest.raises(ParameterError):
        TimingTrainConfig(stretch=0.9)


def test_mirror_names_a_training_clips_sides_the_other_way_round():
    from mudar.features.candidates import mirrored
    from mudar.training.timing import _batch

    x, beats = _video(2)
    x.sequence[:, 2:] = np.random.default_rng(1).random((len(x.sequence), len(CHANNELS) - 2))
    one = TimingTrainConfig(batch_size=1, clip_s=8.0)
    seq = _batch([(x, beats)], np.random.default_rng(0), one)[0]
    flipped = TimingTrainConfig(batch_size=1, clip_s=8.0, mirror=1.0)
    again = _batch([(x, beats)], np.random.default_rng(0), flipped)[0]
    np.testing.assert_array_equal(again.numpy(), mirrored(seq.numpy()))
    assert not np.array_equal(again.numpy(), seq.numpy())
    with pytest.raises(ParameterError):
        TimingTrainConfig(mirror=1.5)


def test_beat_points_keep_one_steady_phase_through_the_probabilities():
    """A probability with a bump on every beat (100 BPM, some missing) and weaker bumps half
    way between: one point a beat, on the beats, the gaps filled, the off-beats left out;
    nothing from a model that sees nothing."""
    import mir_eval

    from mudar.models.timing import beat_points

    x, _ = _video(3, seconds=40.0)  # its clock: 32 samples a second
    t = x.offset_s + np.arange(len(x.sequence)) / x.rate
    beats = np.arange(0.7, 39.5, 0.6)
    p = np.full(len(t), 0.02)
    for k, b in enumerate(beats):
        if k % 5 != 2:  # every fifth beat the model missed
            p += 0.8 * np.exp(-0.5 * ((t - b) / 0.04) ** 2)
        p += 0.3 * np.exp(-0.5 * ((t - b - 0.3) / 0.04) ** 2)  # and it half believes the "and"
    times, probs = beat_points(p, x)
    assert len(times) == len(probs) and np.all(np.diff(times) > 0.45)
    assert mir_eval.onset.f_measure(beats, times, window=0.07)[0] > 0.95
    assert mir_eval.onset.f_measure(beats + 0.3, times, window=0.07)[0] < 0.05
    assert beat_points(np.zeros(len(t)), x)[0].size == 0


def test_with_the_pose_the_sides_names_do_not_matter_and_the_shipped_model_averages_them():
    import dataclasses

    from mudar.features.candidates import JOINT_CHANNELS, TimingInputs, mirrored
    from mudar.models.timing import dense_probs

    x, _ = _video(5)
    rng = np.random.default_rng(0)
    seq = x.sequence.copy()
    seq[:, 2:] = rng.random((len(seq), len(CHANNELS) - 2))  # a pose track's speeds
    x = dataclasses.replace(x, sequence=seq)
    flipped = TimingInputs(**{**vars(x), "sequence": mirrored(seq)})
    first = CHANNELS.index(JOINT_CHANNELS[0])
    # the left ankle's speed becomes the right's (COCO 15 <-> 16), the mean speed stays
    np.testing.assert_array_equal(flipped.sequence[:, first + 15], seq[:, first + 16])
    np.testing.assert_array_equal(flipped.sequence[:, :first], seq[:, :first])
    np.testing.assert_array_equal(mirrored(flipped.sequence), seq)
    torch.manual_seed(0)
    model = TimingModel(dataclasses.replace(SMALL, use_pose=True, head="dense"))
    both = dense_probs(model, x)
    np.testing.assert_allclose(dense_probs(model, flipped), both, atol=1e-6)
    np.testing.assert_allclose(predict_probs(model, flipped), predict_probs(model, x), atol=1e-6)
    model.config = dataclasses.replace(model.config, mirror_average=False)
    one, other = dense_probs(model, x), dense_probs(model, flipped)
    assert np.abs(one - other).max() > 1e-4  # one view alone depends on the names
    np.testing.assert_allclose((one + other) / 2, both, atol=1e-6)
    assert load_timing().config.mirror_average  # the shipped model, saved before the option
