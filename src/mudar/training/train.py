"""``mudar train``: build data, build model, fit, save — top to bottom.

A run folder holds ``features/`` (when trained from videos), ``split.json`` (which videos
trained and which validated), ``checkpoints/`` (Lightning, every epoch and ``last.ckpt`` for
``--resume``), ``logs/`` (CSV, and TensorBoard when installed) and ``model.pt`` (the final
weights with their config, loadable with :func:`mudar.load_model`).

``method`` picks what is trained: MuDaR, or one of the paper's baselines
(:mod:`mudar.models.baselines`) on the same clips, optimiser and epochs
(:mod:`mudar.training.baselines`).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from mudar.atomic import write_text
from mudar.errors import InputError, ParameterError
from mudar.methods import LEARNED


@dataclass
class TrainResult:
    model_path: Path
    run_dir: Path
    n_train_videos: int
    n_val_videos: int
    n_train_clips: int
    n_val_clips: int
    epochs: int
    seconds: float
    threshold: float | None = None
    method: str = "mudar"
    split: str = "random"


def features_for(data: str | os.PathLike, run_dir: Path, model_config, *, jobs: int) -> Path:
    """``data`` itself if it is a prepared feature folder, else prepare it into the run."""
    from mudar.data.store.prepare import MANIFESTS, prepare

    data = Path(data)
    if (data / MANIFESTS).is_dir():
        return data
    if not data.is_dir():
        raise InputError(f"{data}: not a folder of videos or of prepared features")
    out = run_dir / "features"
    report = prepare(data, out, config=model_config.analysis_config(), jobs=jobs)
    if not report.done:
        raise InputError(f"{data}: no video could be prepared for training")
    return out


def train(
    data: str | os.PathLike,
    run_dir: str | os.PathLike,
    *,
    preset: str = "debug",
    resume: bool = False,
    devices: int | str = 1,
    accelerator: str = "auto",
    epochs: int | None = None,
    seed: int | None = None,
    jobs: int = 2,
    progress: bool = True,
    model_overrides: dict | None = None,
    train_overrides: dict | None = None,
    method: str = "mudar",
    stream: bool = False,
    split: str = "auto",
) -> TrainResult:
    """Train MuDaR (or a baseline: ``method``) self-supervised on the videos (or prepared
    features) in ``data``.

    ``method`` is one of :data:`mudar.methods.LEARNED`; a baseline trains with the
    preset's model and training configs, the negatives of its paper
    (:func:`mudar.training.baselines.baseline_train_config`) and no threshold calibration
    (it has no rhythm head). The saved checkpoint records the method.

    ``stream`` reads the training clips from the WebDataset shards of the feature folder
    (``mudar prepare --format shards``; :class:`mudar.data.clips.stream.ShardClips`: each DDP rank
    and DataLoader worker its own shards, negatives within groups of videos) instead of
    holding every training video in memory; validation still reads the npz cache.

    ``split`` picks the training and validation videos
    (:func:`mudar.data.clips.clipset.choose_split`):
    the dataset's official split (an AIST++ tree: ``crossmodal_train`` trains,
    ``crossmodal_val`` validates, ``crossmodal_test`` is left for ``mudar eval``), a random one,
    or ``auto`` (official when there is one).
    """

    from torch.utils.data import DataLoader

    from mudar.data.clips.clipset import SPLITS, ClipSet, choose_split
    from mudar.data.store.prepare import load_manifest
    from mudar.models.checkpoint import save_model
    from mudar.training.baselines import BaselineModule, baseline_train_config
    from mudar.training.module import MudarModule
    from mudar.training.trainer import fit_run, start_run, train_loader

    if method not in LEARNED:
        raise ParameterError(f"unknown method {method!r}; known: {', '.join(LEARNED)}")
    if split not in SPLITS:
        raise ParameterError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")

    t0 = time.perf_counter()
    run_dir, mc, tc, last = start_run(
        "mudar",
        preset,
        run_dir,
        resume=resume,
        model_overrides=model_overrides,
        train_overrides=train_overrides,
        epochs=epochs,
        seed=seed,
    )
    if method != "mudar":
        tc = baseline_train_config(method, tc)
    if resume:
        import torch

        hp = torch.load(last, map_location="cpu", weights_only=True).get("hyper_parameters", {})
        if hp.get("method", "mudar") != method:
            raise ParameterError(
                f"{run_dir}: the run trains {hp.get('method', 'mudar')!r}, not {method!r}"
            )
    run_dir.mkdir(parents=True, exist_ok=True)

    # data: split by video, never by clip
    features = features_for(data, run_dir, mc, jobs=jobs)
    items = load_manifest(features)
    train_ids, val_ids, split_used = choose_split(items, split, tc.val_fraction, tc.seed)
    write_text(
        run_dir / "split.json",
        json.dumps({"split": split_used, "train": train_ids, "val": val_ids}, indent=1),
    )
    if stream:
        from mudar.data.clips.stream import ShardClips

        train_set = ShardClips(features, train_ids, mc, tc, augment=tc.augment)
    else:
        train_set = ClipSet(features, train_ids, mc, tc, augment=tc.augment, manifest=items)
    val_set = ClipSet(features, val_ids, mc, tc, manifest=items) if val_ids else None
    if len(train_set) == 0:
        raise InputError(f"{data}: no training clip of {mc.clip_s:g} s with music was found")
    loader = train_loader(train_set, tc, stream=stream)
    val_loader = (
        DataLoader(val_set, batch_size=tc.batch_size, num_workers=tc.workers)
        if val_set is not None and len(val_set)
        else None
    )

    # model and fit
    def make_module():
        if method == "mudar":
            return MudarModule(mc.to_dict(), tc.to_dict())
        return BaselineModule(method, mc.to_dict(), tc.to_dict())

    module, _ = fit_run(
        make_module,
        loader,
        val_loader,
        run_dir=run_dir,
        train=tc,
        last=last,
        resume=resume,
        devices=devices,
        accelerator=accelerator,
        progress=progress,
    )

    # save: the weights, their config, and what they were trained on
    model = module.model.cpu().eval()
    threshold, calib_ids = None, []
    if method == "mudar":  # on a split of the training videos: the held-out ones stay unseen
        from mudar.training.calibrate import best_threshold, calibration_ids

        calib_ids = calibration_ids(train_ids, seed=tc.seed)
        if isinstance(train_set, ClipSet):  # its analyses are in memory: not read again
            calib_set = train_set.subset(calib_ids)
        else:
            calib_set = ClipSet(features, calib_ids, mc, tc, manifest=items)
        threshold = best_threshold(model, calib_set) if len(calib_set) else None
    meta = {
        "method": method,
        "preset": preset,
        "train": tc.to_dict(),
        "train_videos": train_ids,
        "val_videos": val_ids,
        "split": split_used,
        "threshold": threshold,
        "calibration_videos": calib_ids,
    }
    model_path = save_model(model, run_dir / "model.pt", meta=meta)
    return TrainResult(
        model_path=model_path,
        run_dir=run_dir,
        n_train_videos=len(train_ids),
        n_val_videos=len(val_ids),
        n_train_clips=len(train_set),
        n_val_clips=len(val_set) if val_set is not None else 0,
        epochs=tc.epochs,
        seconds=time.perf_counter() - t0,
        threshold=threshold,
        method=method,
        split=split_used,
    )
