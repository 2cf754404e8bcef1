"""``mudar train --recipe motionbeat``: MotionBeat on dwm-style dances, top to bottom.

Build data (each dance prepared once on the model's clock and cached in the run,
:mod:`mudar.data.clips.motionbeat_set`; dances split into training and validation, never clips;
training clips augmented), build the model (:class:`~mudar.models.motionbeat.MotionBeat`), fit
with ``L = L_ECL + lambda_sral * L_SRAL`` (:mod:`mudar.losses.motionbeat`, same-dance pairs
left out of the ECL; ``ecl_anchor`` and ``sral_form`` of the training config select each
loss's form, the summarised paper's ``"music"`` (motion negatives) and ``"soft_dtw"`` beside
the defaults) and AdamW, save.

Validation, per epoch: the losses on the held-out dances' clips in one fixed shuffled order
(so that a batch mixes dances, as a training batch does), with ``val/log_candidates`` the
chance level of ``val/motion_to_music``; and ``val/top1``, motion -> music retrieval over all
held-out clips at once, the true clip against every clip of the *other* held-out dances
(``val/top1_chance`` is what a random ranking scores).

A run folder holds ``cache/`` (one ``.npz`` per dance), ``split.json``, ``checkpoints/``
(every epoch and ``last.ckpt`` for ``--resume``), ``logs/`` (CSV: one row per epoch with the
mean of every loss part) and ``model.pt`` (weights and config, :func:`load_motionbeat`).

Everything random in an epoch is seeded from (seed, epoch): the clip order
(:class:`~mudar.training.module.EpochSampler`), the hard negatives (``rng_for(seed, epoch,
index)``) and dropout (reseeded before each batch), so a killed run resumed from its last
checkpoint ends with the same weights as an uninterrupted one.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from mudar.atomic import write_text
from mudar.errors import InputError, MudarError, ParameterError
from mudar.losses.motionbeat import EmbodiedContrastiveLoss, StructuralRhythmAlignmentLoss
from mudar.models.checkpoint import load_motionbeat, save_motionbeat
from mudar.models.motionbeat import MotionBeat, MotionBeatOutput
from mudar.models.motionbeat_config import MotionBeatConfig, MotionBeatTrainConfig
from mudar.training.module import SeededModule

__all__ = ["MotionBeatModule", "MotionBeatTrainResult", "load_motionbeat", "train_motionbeat"]


class MotionBeatModule(SeededModule):
    """Trains :class:`MotionBeat` with ``L_ECL + lambda_sral * L_SRAL`` and Adam.

    The SRAL aligns the accent head's probabilities with the motion's kinematic beats, over
    lags of at most ``sral_max_lag_s`` seconds.

    Parameters
    ----------
    model_config, train_config : dict
        ``MotionBeatConfig.to_dict()`` and ``MotionBeatTrainConfig.to_dict()`` (stored in the
        checkpoint).
    recipe : str
        ``"motionbeat"``: marks the Lightning checkpoint for :func:`load_motionbeat`.
    """

    def __init__(self, model_config: dict, train_config: dict, recipe: str = "motionbeat"):
        super().__init__()
        self.save_hyperparameters()
        self.config = MotionBeatConfig.from_dict(model_config)
        self.train_config = tc = MotionBeatTrainConfig.from_dict(train_config)
        self.model = MotionBeat(self.config)
        self.ecl = EmbodiedContrastiveLoss(
            tc.temperature,
            hard_weight=tc.hard_weight,
            anchor=tc.ecl_anchor,
            tempo_tol=tc.ecl_tempo_tol,
        )
        self.sral = StructuralRhythmAlignmentLoss(
            max(1, round(tc.sral_max_lag_s * self.config.fps)),
            tc.sral_temperature,
            corr_weight=tc.sral_corr_weight,
            form=tc.sral_form,
            beat_frames=beat_frames(torch.tensor([0.0]), self.config.fps).item(),
        )

    def losses(self, batch: dict) -> tuple[torch.Tensor, dict[str, torch.Tensor], MotionBeatOutput]:
        """The total loss of a batch, its parts (detached scalars) and the model's outputs."""
        tc = self.train_config
        music_anchor = tc.ecl_anchor == "music"
        out = self.model(
            batch["audio"],
            batch["joints"],
            batch["contact"],
            neg_audio=batch.get("neg_audio"),
            neg_joints=batch.get("neg_joints"),
            neg_contact=batch.get("neg_contact"),
        )
        groups = batch["dance"] if tc.mask_same_dance else None
        tempo = batch.get("tempo")
        l_ecl, p_ecl = self.ecl(
            out.music_emb,
            out.motion_emb,
            out.neg_motion_emb if music_anchor else out.neg_music_emb,
            groups=groups,
            # a song without a tempo (0) is nobody's tempo-aware negative
            tempo=torch.where(tempo > 0, tempo, torch.nan) if music_anchor else None,
            return_parts=True,
        )
        beats = None
        if tc.sral_form == "soft_dtw" and tempo is not None:
            beats = beat_frames(tempo, self.config.fps)
        l_sral, p_sral = self.sral(
            torch.sigmoid(out.accent_logits),
            batch["kinematic_beats"],
            beat_frames=beats,
            return_parts=True,
        )
        total = l_ecl + tc.lambda_sral * l_sral
        parts = {"loss": total.detach(), "ecl": l_ecl.detach(), **p_ecl, **p_sral}
        parts.pop("nce")  # = ecl
        return total, parts, out

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        total, parts, _ = self.losses(batch)
        bs = batch["audio"].shape[0]
        for k, v in parts.items():
            self.log(
                f"train/{k}", v, on_step=False, on_epoch=True, prog_bar=k == "loss", batch_size=bs
            )
        return total

    def on_validation_epoch_start(self) -> None:
        self._val_emb: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        _, parts, out = self.losses(batch)
        self._val_emb.append((out.music_emb.cpu(), out.motion_emb.cpu(), batch["dance"].cpu()))
        bs = batch["audio"].shape[0]
        for k, v in parts.items():
            self.log(f"val/{k}", v, prog_bar=k == "loss", batch_size=bs, sync_dist=True)

    def on_validation_epoch_end(self) -> None:
        if not getattr(self, "_val_emb", None):
            return
        music, motion, dance = (torch.cat(x) for x in zip(*self._val_emb, strict=True))
        top1, chance = other_dance_top1(music, motion, dance)
        self.log("val/top1", top1, prog_bar=True)
        self.log("val/top1_chance", chance)
        self._val_emb = []

    def configure_optimizers(self):
        tc = self.train_config
        return torch.optim.AdamW(self.model.parameters(), lr=tc.lr, weight_decay=tc.weight_decay)


def beat_frames(tempo: torch.Tensor, fps: float) -> torch.Tensor:
    """Frames per beat of each clip's song (the soft-DTW SRAL's beats), ``>= 1``.

    Parameters
    ----------
    tempo : torch.Tensor, shape (B,)
        BPM; 0 or NaN (no tempo found): 120.
    fps : float

    Returns
    -------
    torch.Tensor, int64, shape (B,)
    """
    bpm = torch.where(tempo > 0, tempo, torch.full_like(tempo, 120.0))
    return (fps * 60.0 / bpm).round().clamp_min(1).to(torch.int64)


def other_dance_top1(
    music: torch.Tensor, motion: torch.Tensor, dance: torch.Tensor
) -> tuple[float, float]:
    """Top-1 motion -> music retrieval of each clip's own music among the other dances' clips.

    Parameters
    ----------
    music, motion : torch.Tensor, shape (N, E)
        Clip embeddings (cosine similarity ranks).
    dance : torch.Tensor, int, shape (N,)

    Returns
    -------
    top1 : float
        Share of clips whose own music scores above every clip of another dance (ties count
        against it); the other clips of its own dance are left out (their music overlaps).
    chance : float
        The same for a random ranking: the mean of ``1 / (1 + other-dance clips)``.
    """
    sim = F.normalize(motion, dim=-1) @ F.normalize(music, dim=-1).T
    other = dance[:, None] != dance[None, :]
    pos = sim.diagonal()
    beaten = ((sim >= pos[:, None]) & other).any(1)
    n_other = other.sum(1).to(torch.float64)
    return float((~beaten).double().mean()), float((1 / (1 + n_other)).mean())


@dataclass
class MotionBeatTrainResult:
    """What a MotionBeat run did.

    Attributes
    ----------
    metrics : dict of str to float
        The last epoch's mean of every logged part (``train/...``, ``val/...``).
    history : list of dict
        One dict per epoch (``epoch`` and the logged means), from the CSV log.
    skipped : list of (str, str)
        Dances that could not be prepared, and why.
    """

    model_path: Path
    run_dir: Path
    n_train_dances: int
    n_val_dances: int
    n_train_clips: int
    n_val_clips: int
    epochs: int
    seconds: float
    prepare_seconds: float
    cached_dances: int
    metrics: dict[str, float] = field(default_factory=dict)
    history: list[dict] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def train_motionbeat(
    data: str | os.PathLike,
    run_dir: str | os.PathLike,
    *,
    preset: str = "debug",
    resume: bool = False,
    epochs: int | None = None,
    seed: int | None = None,
    progress: bool = True,
    devices: int | str = 1,
    accelerator: str = "auto",
    model_overrides: dict | None = None,
    train_overrides: dict | None = None,
    val_dances: Sequence[str] | None = None,
    cache_dir: str | os.PathLike | None = None,
    threads: int | None = None,
) -> MotionBeatTrainResult:
    """Train MotionBeat on the dwm-style dances under ``data``.

    Parameters
    ----------
    data : path-like
        A folder of dance folders (``motion.npz`` + ``audio.ogg`` each) and/or pose tracks of
        dance videos (``mudar pose``: ``.npz`` or keypoints2d ``.pkl``, their music beside); a
        folder of pose tracks only trains a model of 17 joints (COCO-17) unless
        ``model_overrides`` says otherwise.
    run_dir : path-like
        The run folder (see the module notes).
    preset : str
        ``debug``, ``cpu`` or ``paper`` (:data:`mudar.models.presets.MOTIONBEAT_PRESETS`).
    resume : bool
        Continue from ``run_dir/checkpoints/last.ckpt``.
    epochs, seed : int, optional
        Override the preset's.
    progress : bool
        Show progress bars.
    devices, accelerator
        As Lightning's Trainer.
    model_overrides, train_overrides : dict, optional
        Fields of the preset's configs to replace.
    val_dances : sequence of str, optional
        The held-out dances (folder names); default ``val_fraction`` of them drawn by the seed.
    cache_dir : path-like, optional
        Where the prepared dances are cached; default ``run_dir/cache`` (share one between
        runs with the same clock to prepare each dance once).
    threads : int, optional
        Torch threads while training (restored after); default torch's setting. On a shared
        machine 1 is the fast choice: two threads that wait for each other on 2 busy cores
        took 5.2 s a step of the ``cpu`` preset against 0.8 s for one.

    Returns
    -------
    MotionBeatTrainResult

    Raises
    ------
    InputError
        Nothing to resume, no dance, or no training clip.
    ParameterError
        Unknown preset, a bad override, or ``val_dances`` naming a dance not found.
    """

    from torch.utils.data import DataLoader
    from tqdm import tqdm

    from mudar.data.clips.augment import Augment
    from mudar.data.clips.clipset import split_videos
    from mudar.data.clips.motionbeat_set import DanceCache, MotionBeatSet, find_dances
    from mudar.training.trainer import fit_run, start_run, train_loader

    t0 = time.perf_counter()
    dirs = find_dances(data)
    if all(d.is_file() for d in dirs) and "n_joints" not in (model_overrides or {}):
        # only pose tracks of dance videos: COCO-17 joints, not dwm's 23
        model_overrides = {**(model_overrides or {}), "n_joints": 17}
    run_dir, mc, tc, last = start_run(
        "motionbeat",
        preset,
        run_dir,
        resume=resume,
        model_overrides=model_overrides,
        train_overrides=train_overrides,
        epochs=epochs,
        seed=seed,
    )
    run_dir.mkdir(parents=True, exist_ok=True)

    # data: every dance prepared once (cached in the run), split by dance, never by clip
    cache = DanceCache(run_dir / "cache" if cache_dir is None else cache_dir)
    dances, skipped, cached = {}, [], 0
    for d in tqdm(dirs, desc="prepare", unit="dance", disable=not progress):
        try:
            dances[d.name], hit = cache.get(d, config=mc, train=tc)
            cached += hit
        except MudarError as e:
            skipped.append((str(d), str(e)))
    prepare_s = time.perf_counter() - t0
    if not dances:
        raise InputError(f"{data}: no dance could be prepared ({skipped[:1]})")
    if val_dances is None:
        train_ids, val_ids = split_videos(sorted(dances), tc.val_fraction, tc.seed)
    else:
        unknown = sorted(set(val_dances) - set(dances))
        if unknown:
            raise ParameterError(f"val_dances not among the prepared dances: {unknown}")
        val_ids = sorted(set(val_dances))
        train_ids = sorted(set(dances) - set(val_ids))
    write_text(run_dir / "split.json", json.dumps({"train": train_ids, "val": val_ids}, indent=1))
    augment = Augment.from_train(tc, fps=mc.fps) if tc.augment else None
    train_set = MotionBeatSet([dances[i] for i in train_ids], mc, tc, augment=augment)
    val_set = MotionBeatSet([dances[i] for i in val_ids], mc, tc) if val_ids else None
    if len(train_set) == 0:
        raise InputError(f"{data}: no training clip of {mc.clip_s:g} s was found")
    loader = train_loader(train_set, tc)
    val_loader = None
    if val_set is not None and len(val_set):
        # one fixed shuffled order: batches mix dances, and every epoch sees the same batches
        order = np.random.default_rng([tc.seed, 17]).permutation(len(val_set)).tolist()
        val_loader = DataLoader(
            val_set, batch_size=tc.batch_size, sampler=order, num_workers=tc.workers
        )

    # model and fit
    module, trainer = fit_run(
        lambda: MotionBeatModule(mc.to_dict(), tc.to_dict()),
        loader,
        val_loader,
        run_dir=run_dir,
        train=tc,
        last=last,
        resume=resume,
        devices=devices,
        accelerator=accelerator,
        progress=progress,
        tensorboard=False,
        threads=threads,
    )

    # save: the weights, their config, and what they were trained on
    metrics = {k: float(v) for k, v in trainer.callback_metrics.items()}
    model = module.model.cpu().eval()
    meta = {
        "recipe": "motionbeat",
        "preset": preset,
        "train": tc.to_dict(),
        "train_dances": train_ids,
        "val_dances": val_ids,
        "metrics": metrics,
    }
    model_path = save_motionbeat(model, run_dir / "model.pt", meta=meta)
    return MotionBeatTrainResult(
        model_path=model_path,
        run_dir=run_dir,
        n_train_dances=len(train_set.dances),
        n_val_dances=len(val_set.dances) if val_set is not None else 0,
        n_train_clips=len(train_set),
        n_val_clips=len(val_set) if val_set is not None else 0,
        epochs=tc.epochs,
        seconds=time.perf_counter() - t0,
        prepare_seconds=prepare_s,
        cached_dances=cached,
        metrics=metrics,
        history=run_history(Path(trainer.logger.log_dir).parent),
        skipped=skipped,
    )


def run_history(logs: Path) -> list[dict]:
    """:func:`epoch_history` over every CSV log of a run (``logs/version_*/metrics.csv``: one
    per start, so a resumed run keeps the epochs logged before it was stopped); a later log's
    figures win for an epoch both hold."""
    by_epoch: dict[int, dict] = {}
    versions = sorted(logs.glob("version_*"), key=lambda p: int(p.name.split("_")[-1]))
    for v in versions:
        for row in epoch_history(v / "metrics.csv"):
            by_epoch.setdefault(row["epoch"], {}).update(row)
    return [by_epoch[e] for e in sorted(by_epoch)]


def epoch_history(metrics_csv: Path) -> list[dict]:
    """The CSV log's rows merged by epoch: ``[{"epoch": e, "train/loss": ..., ...}, ...]``."""
    import csv

    if not metrics_csv.is_file():
        return []
    by_epoch: dict[int, dict] = {}
    with metrics_csv.open(newline="") as f:
        for row in csv.DictReader(f):
            if not row.get("epoch"):
                continue
            e = int(row["epoch"])
            d = by_epoch.setdefault(e, {"epoch": e})
            d.update({k: float(v) for k, v in row.items() if v and k not in ("epoch", "step")})
    return [by_epoch[e] for e in sorted(by_epoch)]
