"""The Lightning Trainer every mudar recipe trains with: checkpoints, logs, DDP by flags."""

from __future__ import annotations

import dataclasses
from pathlib import Path


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


def last_checkpoint(run_dir: Path, *, resume: bool) -> Path:
    """The run's ``checkpoints/last.ckpt``; resuming without one is an InputError."""
    from mudar.errors import InputError

    last = Path(run_dir) / "checkpoints" / "last.ckpt"
    if resume and not last.is_file():
        raise InputError(f"{run_dir}: nothing to resume (no checkpoints/last.ckpt)")
    return last


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

    ``checkpoints/`` holds every epoch (``epochNNN.ckpt``) and ``last.ckpt`` (for resuming);
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
