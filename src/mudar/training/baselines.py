"""The Lightning module of the baselines: MuDaR's clips, optimiser, epochs and seeding; only
the model, its loss and its negatives differ.

The ClipSet gives every clip one negative music clip, AVC (another video) before
``TrainConfig.avts_from_epoch`` and AVTS (the clip's own music, shifted) from then on; each
method keeps the part of that curriculum its paper uses (:func:`baseline_train_config`):

- ``multisensory``: shifted music only (AVTS from the first epoch);
- ``avts``: the curriculum as it is, easy then hard;
- ``lla``: another video's music throughout (AVC), plus in-batch negatives in the model.

As in :class:`~mudar.training.module.MudarModule`, everything random in an epoch is seeded from
(seed, epoch): the clip order, the negatives and dropout (the torch generator is reseeded
before each batch), so a killed and resumed run ends with the same weights.
"""

from __future__ import annotations

import dataclasses

import torch

from mudar.errors import ParameterError
from mudar.models.baselines import BASELINES, build_model
from mudar.models.config import MudarConfig, TrainConfig
from mudar.training.module import SeededModule

NEGATIVES = {"multisensory": "avts", "avts": "curriculum", "lla": "avc"}
"""The ClipSet negatives each baseline trains with (see the module docstring)."""


def baseline_train_config(method: str, train: TrainConfig) -> TrainConfig:
    """``train`` with the curriculum set to ``method``'s negatives.

    Parameters
    ----------
    method : str
        One of :data:`mudar.models.baselines.BASELINES`.
    train : TrainConfig
        The preset's (optimiser, epochs, batch size and seed are kept).

    Returns
    -------
    TrainConfig
        ``avts_from_epoch`` 0 for ``multisensory`` (AVTS throughout), ``train.epochs`` for
        ``lla`` (AVC throughout), unchanged for ``avts``.

    Raises
    ------
    ParameterError
        If ``method`` is not a baseline.
    """
    if method not in BASELINES:
        raise ParameterError(f"unknown baseline {method!r}; known: {', '.join(BASELINES)}")
    kind = NEGATIVES[method]
    if kind == "avts":
        return dataclasses.replace(train, avts_from_epoch=0)
    if kind == "avc":
        return dataclasses.replace(train, avts_from_epoch=max(train.epochs, train.avts_from_epoch))
    return train


class BaselineModule(SeededModule):
    """Trains one baseline of :mod:`mudar.models.baselines` with its own loss.

    Parameters
    ----------
    method : str
        One of :data:`mudar.models.baselines.BASELINES`.
    model_config, train_config : dict
        ``MudarConfig.to_dict()`` and ``TrainConfig.to_dict()`` (stored in the checkpoint, with
        ``method``, so that :func:`mudar.models.checkpoint.load_model` rebuilds the model).
        ``train_config`` is used as given: pass it through :func:`baseline_train_config` to
        build the ClipSets with the method's negatives.
    """

    def __init__(self, method: str, model_config: dict, train_config: dict):
        super().__init__()
        if method not in BASELINES:
            raise ParameterError(f"unknown baseline {method!r}; known: {', '.join(BASELINES)}")
        self.save_hyperparameters()
        self.method = method
        self.config = MudarConfig.from_dict(model_config)
        self.train_config = TrainConfig(**train_config)
        self.model = build_model(method, self.config)

    def _losses(self, batch: dict) -> tuple[torch.Tensor, dict]:
        out = self.model(
            batch["frames"],
            batch["motion"],
            batch["audio"],
            neg_audio=batch["neg_audio"],
            video=batch.get("music_group", batch.get("video")),  # same music, not a negative
        )
        return self.model.loss(out)

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        total, parts = self._losses(batch)
        bs = batch["frames"].shape[0]
        self.log("train/loss", total, prog_bar=True, batch_size=bs)
        for k, v in parts.items():
            if k != "loss":
                self.log(f"train/{k}", v, batch_size=bs)
        return total

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        total, parts = self._losses(batch)
        bs = batch["frames"].shape[0]
        self.log("val/loss", total, prog_bar=True, batch_size=bs, sync_dist=True)
        for k, v in parts.items():
            if k != "loss":
                self.log(f"val/{k}", v, batch_size=bs, sync_dist=True)

    def configure_optimizers(self):
        return torch.optim.Adam(self.model.parameters(), lr=self.train_config.lr)
