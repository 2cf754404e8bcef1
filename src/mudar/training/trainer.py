"""The Lightning Trainer every mudar recipe trains with: checkpoints, logs, DDP by flags."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import torch
from lightning.fabric.plugins import TorchCheckpointIO
from torch.utils.data import DataLoader

from mudar.atomic import atomic_path
from mudar.models.presets import get_preset
from mudar.threads import torch_threads
from mudar.training.module import EpochSampler


class AtomicCheckpointIO(TorchCheckpointIO):
    """Lightning checkpoints written to a temporary file beside their destination, then renamed
    (:func:`mudar.atomic.atomic_path`).

    Lightning's own save writes a temporary file in the system's temporary folder and moves it:
    a copy, not a rename, when that folder is on another filesystem than the run (a cluster
    node's local ``/tmp``, a shared run folder), so a run killed during the copy left a
    truncated ``last.ckpt`` that ``--resume`` cannot read, and the temporary file behind.
    """

    def save_checkpoint(self, checkpoint: dict, path, storage_options=None) -> None:
        if storage_options is not None:
            raise TypeError(f"{type(self).__name__} takes no storage_options")
        with atomic_path(path) as tmp:
            torch.save(checkpoint, tmp)


def quiet_lightning() -> None:
    """Silence Lightning's banner lines and CPU-run warnings: noise for a command-line tool."""
    import logging
    import warnings

    logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message=".*LeafSpec.*")
    warnings.filterwarnings("ignore", message=".*does not have many workers.*")


def preset_configs(
    preset,
    *,
    model_overrides: dict | None = None,
    train_overrides: dict | None = None,
    epochs: int | None = None,
    seed: int | None = None,
):
    """``(model_config, train_config)`` of a preset (anything with ``.model`` and ``.train``
    dataclasses) with the overrides applied; ``epochs`` and ``seed`` win over the same keys in
    ``train_overrides``."""
    mc = dataclasses.replace(preset.model, **(model_overrides or {}))
    tc = dataclasses.replace(
        preset.train,
        **{
            **(train_overrides or {}),
            **({"epochs": epochs} if epochs else {}),
            **({"seed": seed} if seed is not None else {}),
        },
    )
    return mc, tc


def start_run(
    family: str,
    preset: str,
    run_dir: str | os.PathLike,
    *,
    resume: bool,
    model_overrides: dict | None = None,
    train_overrides: dict | None = None,
    epochs: int | None = None,
    seed: int | None = None,
):
    """What every recipe does first: Lightning made quiet, the preset's configs with the
    overrides applied (:func:`preset_configs`), and the run's checkpoint to resume from.

    Parameters
    ----------
    family : {"mudar", "motionbeat"}
        The preset family (:func:`mudar.models.presets.get_preset`).
    preset : str
    run_dir : path-like
    resume : bool
        Resuming needs ``run_dir/checkpoints/last.ckpt``.
    model_overrides, train_overrides, epochs, seed
        As :func:`preset_configs`.

    Returns
    -------
    run_dir : Path
    model_config, train_config
    last : Path
        ``run_dir/checkpoints/last.ckpt`` (:func:`last_checkpoint`).

    Raises
    ------
    ParameterError
        An unknown preset or a bad override.
    InputError
        Resuming without a checkpoint.
    """
    quiet_lightning()
    run_dir = Path(run_dir)
    mc, tc = preset_configs(
        get_preset(family, preset),
        model_overrides=model_overrides,
        train_overrides=train_overrides,
        epochs=epochs,
        seed=seed,
    )
    return run_dir, mc, tc, last_checkpoint(run_dir, resume=resume)


def train_loader(dataset, train, *, stream: bool = False):
    """The training ``DataLoader`` of every recipe: batches of ``train.batch_size`` in the
    order of an :class:`~mudar.training.module.EpochSampler` of ``train.seed``, ``train.workers``
    workers, and the last, incomplete batch dropped when there is more than one batch.
    ``stream``: an iterable dataset that orders (and splits) itself, read as it comes."""
    if stream:
        return DataLoader(
            dataset,
            batch_size=train.batch_size,
            num_workers=train.workers,
            drop_last=len(dataset) > train.batch_size,
        )
    return DataLoader(
        dataset,
        batch_size=train.batch_size,
        sampler=EpochSampler(len(dataset), seed=train.seed),
        num_workers=train.workers,
        drop_last=len(dataset) > train.batch_size,
    )


def last_checkpoint(run_dir: Path, *, resume: bool) -> Path:
    """The run's ``checkpoints/last.ckpt``; resuming without one is an InputError."""
    from mudar.errors import InputError

    last = Path(run_dir) / "checkpoints" / "last.ckpt"
    if resume and not last.is_file():
        raise InputError(f"{run_dir}: nothing to resume (no checkpoints/last.ckpt)")
    return last


def fit_run(
    make_module,
    loader,
    val_loader,
    *,
    run_dir: Path,
    train,
    last: Path,
    resume: bool,
    devices: int | str = 1,
    accelerator: str = "auto",
    progress: bool = True,
    tensorboard: bool = True,
    threads: int | None = None,
):
    """Seed, build the module, fit it: the middle of every recipe.

    Every generator is seeded from ``train.seed`` (``lightning.seed_everything``) before
    ``make_module()`` draws the initial weights; the Trainer is :func:`make_trainer`'s.

    Parameters
    ----------
    make_module : callable
        ``make_module()`` returns the LightningModule to train.
    loader, val_loader : DataLoader
        Training and validation batches (``val_loader`` may be None).
    run_dir : Path
    train
        The training config (``seed``, ``epochs``).
    last : Path
        The checkpoint a resumed run starts from (:func:`start_run`).
    resume : bool
    devices, accelerator, progress, tensorboard
        As :func:`make_trainer`.
    threads : int, optional
        Torch threads while fitting (:func:`mudar.threads.torch_threads`); None keeps the
        current setting.

    Returns
    -------
    module : LightningModule
        Trained.
    trainer : lightning.Trainer
    """
    import lightning as L

    L.seed_everything(train.seed, workers=True, verbose=False)
    module = make_module()
    trainer = make_trainer(
        run_dir,
        epochs=train.epochs,
        devices=devices,
        accelerator=accelerator,
        progress=progress,
        tensorboard=tensorboard,
    )
    with torch_threads(threads):
        trainer.fit(module, loader, val_loader, ckpt_path=str(last) if resume else None)
    return module, trainer


def make_trainer(
    run_dir: Path,
    *,
    epochs: int,
    devices: int | str = 1,
    accelerator: str = "auto",
    progress: bool = True,
    tensorboard: bool = True,
):
    """A deterministic ``lightning.Trainer`` writing into ``run_dir``.

    ``checkpoints/`` holds every epoch (``epochNNN.ckpt``) and ``last.ckpt`` (for resuming),
    each written atomically (:class:`AtomicCheckpointIO`);
    ``logs/version_N/metrics.csv`` the CSV log (a resumed run adds a version), and ``tb/`` the
    TensorBoard log when ``tensorboard`` is installed and asked for. ``devices`` > 1 trains with
    DDP.
    """
    import lightning as L
    from lightning.pytorch.callbacks import ModelCheckpoint
    from lightning.pytorch.loggers import CSVLogger

    loggers = [CSVLogger(run_dir, name="logs")]
    if tensorboard:
        try:
            import tensorboard as _tb  # noqa: F401
            from lightning.pytorch.loggers import TensorBoardLogger

            loggers.append(TensorBoardLogger(run_dir, name="tb"))
        except ImportError:
            pass
    return L.Trainer(
        max_epochs=epochs,
        accelerator=accelerator,
        devices=devices,
        strategy="ddp" if isinstance(devices, int) and devices > 1 else "auto",
        logger=loggers,
        plugins=[AtomicCheckpointIO()],
        callbacks=[
            ModelCheckpoint(
                dirpath=run_dir / "checkpoints",
                save_last=True,
                save_top_k=-1,
                every_n_epochs=1,
                filename="epoch{epoch:03d}",
                auto_insert_metric_name=False,
            )
        ],
        enable_progress_bar=progress,
        enable_model_summary=False,
        log_every_n_steps=1,
        deterministic=True,
        num_sanity_val_steps=0,
        default_root_dir=run_dir,
    )
