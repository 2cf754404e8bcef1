"""Training the timing model: plain functions that read top to bottom.

Data: one :class:`~mudar.features.candidates.TimingInputs` per training video and the music's
rhythm times of that video (its beats or its onsets: the music supervises, as in the paper;
no hand labels). Each step draws clips of ``clip_s`` seconds at random (seeded by the seed and
the step), labels each candidate 1 when it lies within 70 ms of a rhythm time
(:func:`~mudar.features.candidates.candidate_labels`) and minimises the binary cross-entropy of
the model's logits, positives weighted by the negatives' share. The threshold is then the
probability that gives the best mean 70 ms F-measure on the validation videos (held out by
dance), over a grid.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from mudar.errors import ParameterError
from mudar.features.candidates import N_MOTION, TimingInputs, candidate_labels, mirrored
from mudar.models.timing import (
    TimingConfig,
    TimingEnsemble,
    TimingModel,
    head_probs,
    points,
)
from mudar.threads import torch_threads

__all__ = ["TimingTrainConfig", "choose_threshold", "train_ensemble", "train_timing"]

THRESHOLDS = tuple(np.round(np.r_[0.02, 0.05, np.arange(0.1, 0.91, 0.05)], 2))
"""Probabilities tried as the model's threshold."""


@dataclass(frozen=True)
class TimingTrainConfig:
    """How the timing model is trained.

    Attributes
    ----------
    steps : int
    batch_size : int
    clip_s : float
        Seconds of each training clip.
    lr : float
    weight_decay : float
    seed : int
    stretch : float
        Dense head: each clip is played faster or slower by a factor drawn log-uniformly in
        ``[1 / stretch, stretch]`` (the sequence resampled, the rhythm times with it), so that
        the model sees each dance at more tempi than its songs have; 1: none.
    pose_dropout : float
        Share of the clips whose pose channels are blanked (the body unknown, as where the
        estimator lost it), so that the model times from the motion energy too.
    mirror : float
        Share of the clips read with each left/right pair of joints named the other way round
        (:func:`~mudar.features.candidates.mirrored`): a pose estimator's names of a turning
        dancer's sides are a guess, a free track's never are.
    """

    steps: int = 1500
    batch_size: int = 16
    clip_s: float = 16.0
    lr: float = 2e-3
    weight_decay: float = 1e-4
    seed: int = 0
    stretch: float = 1.0
    pose_dropout: float = 0.0
    mirror: float = 0.0

    def __post_init__(self) -> None:
        if self.stretch < 1.0:
            raise ParameterError(f"stretch must be >= 1, got {self.stretch}")
        if not 0.0 <= self.pose_dropout < 1.0:
            raise ParameterError(f"pose_dropout must be in [0, 1), got {self.pose_dropout}")
        if not 0.0 <= self.mirror <= 1.0:
            raise ParameterError(f"mirror must be in [0, 1], got {self.mirror}")


def _batch(
    items: Sequence[tuple[TimingInputs, np.ndarray]],
    rng: np.random.Generator,
    cfg: TimingTrainConfig,
):
    clips, labels, dense = [], [], []
    for _ in range(cfg.batch_size):
        x, targets = items[int(rng.integers(len(items)))]
        length = int(round(cfg.clip_s * x.rate))
        if cfg.stretch > 1.0:
            c, targets = _stretched(x, targets, length, rng, cfg.stretch)
        else:
            start = int(rng.integers(0, max(1, len(x.sequence) - length)))
            c = x.clip(start, length)
        if cfg.pose_dropout and rng.random() < cfg.pose_dropout:
            c.sequence = c.sequence.copy()
            c.sequence[:, N_MOTION:] = 0.0  # the body unknown
        if cfg.mirror and rng.random() < cfg.mirror:
            c.sequence = mirrored(c.sequence)
        clips.append(c)
        labels.append(candidate_labels(c.times, targets))
        dense.append(sample_labels(c, targets))
    n = max(len(c.sequence) for c in clips)
    k = max(1, max(len(c.times) for c in clips))
    seq = np.zeros((len(clips), n, clips[0].sequence.shape[1]), np.float32)
    pad = np.ones((len(clips), n), bool)
    pos = np.zeros((len(clips), k), np.float32)
    sca = np.zeros((len(clips), k, clips[0].scalars.shape[1]), np.float32)
    y = np.zeros((len(clips), k), np.float32)
    valid = np.zeros((len(clips), k), bool)
    yd = np.zeros((len(clips), n), np.float32)
    for b, (c, lab) in enumerate(zip(clips, labels, strict=True)):
        seq[b, : len(c.sequence)] = c.sequence
        pad[b, : len(c.sequence)] = False
        yd[b, : len(c.sequence)] = dense[b]
        m = len(c.times)
        pos[b, :m], sca[b, :m], y[b, :m], valid[b, :m] = c.positions, c.scalars, lab, True
    t = torch.from_numpy
    return t(seq), t(pad), t(pos), t(sca), t(y), t(valid), t(yd)


def _stretched(
    x: TimingInputs, targets: np.ndarray, length: int, rng: np.random.Generator, stretch: float
) -> tuple[TimingInputs, np.ndarray]:
    """A clip of ``length`` samples of ``x`` played ``f`` times as fast (``f`` log-uniform in
    ``[1 / stretch, stretch]``; the sequence linearly resampled) and its rhythm times on the
    clip's own clock (offset 0). No candidates: for the dense head."""
    f = float(np.exp(rng.uniform(-np.log(stretch), np.log(stretch))))
    src = max(2, min(len(x.sequence), int(round(length * f))))
    start = int(rng.integers(0, max(1, len(x.sequence) - src)))
    seg = x.sequence[start : start + src]
    grid = np.arange(0.0, len(seg) - 1 + 1e-9, f)
    seq = np.stack(
        [np.interp(grid, np.arange(len(seg)), seg[:, j]) for j in range(seg.shape[1])], axis=1
    ).astype(np.float32)
    t0 = x.offset_s + start / x.rate
    clip = TimingInputs(
        seq,
        x.rate,
        0.0,
        np.zeros(0),
        np.zeros(0, np.float32),
        np.zeros((0, x.scalars.shape[1]), np.float32),
    )
    return clip, (np.asarray(targets, np.float64) - t0) / f


def sample_labels(x: TimingInputs, targets: np.ndarray) -> np.ndarray:
    """(N,) per-sample labels of the dense head: 1 at the sample nearest each target time,
    0.5 at its two neighbours, else 0."""
    y = np.zeros(len(x.sequence), np.float32)
    k = np.round((np.asarray(targets, np.float64) - x.offset_s) * x.rate).astype(int)
    k = k[(k >= 0) & (k < len(y))]
    for d, w in ((-1, 0.5), (1, 0.5), (0, 1.0)):
        j = np.clip(k + d, 0, len(y) - 1)
        y[j] = np.maximum(y[j], w)
    return y


def train_timing(
    items: Sequence[tuple[TimingInputs, np.ndarray]],
    config: TimingConfig,
    train: TimingTrainConfig,
    *,
    progress: Callable | None = None,
    threads: int | None = 1,
) -> tuple[TimingModel, list[float]]:
    """Train a timing model on (inputs, rhythm times) pairs.

    Parameters
    ----------
    items : sequence of (TimingInputs, np.ndarray)
        Each training video's inputs and its music's rhythm times (seconds).
    config : TimingConfig
    train : TimingTrainConfig
    progress : callable, optional
        ``progress(iterable, total=n) -> iterable`` (e.g. tqdm) over the steps.
    threads : int or None
        Torch threads while training (default 1: the model is small, and two threads on two
        busy cores ran 35 times slower); None keeps the caller's.

    Returns
    -------
    model : TimingModel
        In eval mode.
    losses : list of float
        The loss of every step.

    Raises
    ------
    ParameterError
        No training videos, or none with a candidate.
    """
    items = [it for it in items if len(it[0].times)]
    if not items:
        raise ParameterError("no training videos with motion candidates")
    if train.stretch > 1.0 and config.head != "dense":
        raise ParameterError("stretch is for the dense head (it drops the candidates)")
    with torch_threads(threads):
        return _train(items, config, train, progress)


def train_ensemble(
    items: Sequence[tuple[TimingInputs, np.ndarray]],
    config: TimingConfig,
    train: TimingTrainConfig,
    members: int = 1,
    *,
    progress: Callable | None = None,
    threads: int | None = 1,
) -> tuple[TimingModel | TimingEnsemble, list[float]]:
    """``members`` timing models trained as :func:`train_timing` does, each with its own seed
    (``train.seed * members + j``), as one model: itself when there is one, else their
    :class:`~mudar.models.timing.TimingEnsemble`; and the losses of every step of each member in
    turn. The shipped model's recipe is three (``TIMING_PRESETS["cpu"].members``).

    Raises
    ------
    ParameterError
        As :func:`train_timing`, or ``members < 1``.
    """
    if members < 1:
        raise ParameterError(f"members must be >= 1, got {members}")
    models, losses = [], []
    for j in range(members):
        seed = train.seed * members + j
        m, ls = train_timing(
            items, config, dataclasses.replace(train, seed=seed), progress=progress, threads=threads
        )
        models.append(m)
        losses += ls
    return (models[0] if members == 1 else TimingEnsemble(models)), losses


def _train(items, config, train, progress):
    torch.manual_seed(train.seed)
    rng = np.random.default_rng(train.seed)
    dense = config.head == "dense"
    if dense:
        ys = np.concatenate([sample_labels(x, t) for x, t in items])
    else:
        ys = np.concatenate([candidate_labels(x.times, t) for x, t in items])
    pos_weight = torch.tensor(float((1 - ys.mean()) / max(ys.mean(), 1e-3)))
    model = TimingModel(config)
    opt = torch.optim.AdamW(model.parameters(), lr=train.lr, weight_decay=train.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=train.lr, total_steps=train.steps)
    losses = []
    steps = range(train.steps)
    for _ in progress(steps, total=train.steps) if progress else steps:
        seq, pad, pos, sca, y, valid, yd = _batch(items, rng, train)
        model.train()
        if dense:
            logits, y, valid = model.dense_logits(seq, pad), yd, ~pad
        else:
            logits = model(seq, pos, sca, mask=pad)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            logits[valid], y[valid], pos_weight=pos_weight
        )
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append(float(loss.detach()))
    model.eval()
    return model, losses


def choose_threshold(
    model: TimingModel, items: Sequence[tuple[TimingInputs, np.ndarray]]
) -> tuple[TimingModel, float]:
    """The model with the threshold of :data:`THRESHOLDS` that gives the best mean 70 ms
    F-measure on ``items`` (validation videos), and that mean."""
    import mir_eval

    if not items:
        return model, float("nan")
    head = model.config.head
    probs = [head_probs(model, x) for x, _ in items]
    best, best_f = model.config.threshold, -1.0
    for th in THRESHOLDS:
        fs = []
        for (x, ref), p in zip(items, probs, strict=True):
            est = points(p, x, head=head, threshold=th)[0]
            ok = len(ref) and len(est)
            fs.append(mir_eval.onset.f_measure(np.sort(ref), est, window=0.07)[0] if ok else 0.0)
        if np.mean(fs) > best_f:
            best, best_f = float(th), float(np.mean(fs))
    model.config = dataclasses.replace(model.config, threshold=best)
    return model, best_f
