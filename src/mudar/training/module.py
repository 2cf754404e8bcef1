"""The Lightning module: one MuDaR model, the joint loss (Eq. 20), Adam, and the logged parts.

Everything random in an epoch is seeded from (seed, epoch): the clip order (see
:class:`EpochSampler`), the negatives (see :mod:`mudar.data.clips.sampling`) and dropout (the torch
generator is reseeded before each batch), so a run killed and resumed from its last epoch
checkpoint ends with the same weights as an uninterrupted one.
"""

from __future__ import annotations

import lightning as L
import numpy as np
import torch
from torch.utils.data import Sampler

from mudar.losses.implicit import implicit_loss
from mudar.losses.joint import JointLoss
from mudar.models.config import MudarConfig, TrainConfig
from mudar.models.mudar import MuDaR


class EpochSampler(Sampler[int]):
    """A permutation of ``range(n)`` drawn from (seed, epoch); Lightning calls ``set_epoch``."""

    def __init__(self, n: int, *, seed: int, shuffle: bool = True):
        self.n, self.seed, self.shuffle, self.epoch = n, seed, shuffle, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self):
        if not self.shuffle:
            return iter(range(self.n))
        rng = np.random.default_rng([self.seed, self.epoch, 7])
        return iter(rng.permutation(self.n).tolist())

    def __len__(self) -> int:
        return self.n


class SeededModule(L.LightningModule):
    """A LightningModule whose epochs are functions of (seed, epoch): the dataset's negatives
    follow the epoch (its ``set_epoch``), and the torch generator is reseeded before each batch
    from ``(train_config.seed, epoch, batch)``, so dropout masks do not depend on how much of
    the global generator Lightning's loops consumed before (they consume differently on
    resume). Every recipe's module is one; a subclass sets ``self.train_config``."""

    def on_train_epoch_start(self) -> None:
        dataset = self.trainer.train_dataloader.dataset
        if hasattr(dataset, "set_epoch"):
            dataset.set_epoch(self.current_epoch)

    def on_train_batch_start(self, batch: dict, batch_idx: int) -> None:
        seed = np.random.SeedSequence([self.train_config.seed, self.current_epoch, batch_idx])
        torch.manual_seed(int(seed.generate_state(1)[0]))


class MudarModule(SeededModule):
    """Trains :class:`MuDaR` with lambda1 * implicit + lambda2 * rhythm head (explicit) loss.

    The implicit loss is the triplet loss of Eq. 18, InfoNCE, or AVTS's contrastive loss
    (``TrainConfig.implicit_loss``, :data:`mudar.losses.implicit.IMPLICIT`).

    Parameters
    ----------
    model_config, train_config : dict
        ``MudarConfig.to_dict()`` and ``TrainConfig.to_dict()`` (stored in the checkpoint).
    """

    def __init__(self, model_config: dict, train_config: dict):
        super().__init__()
        self.save_hyperparameters()
        self.config = MudarConfig.from_dict(model_config)
        self.train_config = TrainConfig(**train_config)
        self.model = MuDaR(self.config)
        self.implicit = implicit_loss(self.train_config)
        self.joint = JointLoss.from_config(self.train_config)

    def _losses(self, batch: dict, *, audio_dropout: bool) -> tuple[torch.Tensor, dict]:
        out = self.model(
            batch["frames"],
            batch["motion"],
            batch["audio"],
            neg_audio=batch["neg_audio"],
            audio_dropout=audio_dropout,
        )
        l_im = self.implicit(
            out.visual_emb,
            out.audio_emb,
            out.neg_audio_emb,
            groups=batch.get("music_group", batch.get("video")),  # same music: no negative
        )
        l_ex = self.model.head.loss(out.head_out, batch["onsets"], batch["onset_strength"])
        return self.joint(l_im, l_ex, return_parts=True)

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        total, parts = self._losses(batch, audio_dropout=True)
        bs = batch["frames"].shape[0]
        self.log("train/loss", total, prog_bar=True, batch_size=bs)
        for k, v in parts.items():
            self.log(f"train/{k}", v, batch_size=bs)
        return total

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        total, parts = self._losses(batch, audio_dropout=False)
        bs = batch["frames"].shape[0]
        self.log("val/loss", total, prog_bar=True, batch_size=bs, sync_dist=True)
        for k, v in parts.items():
            self.log(f"val/{k}", v, batch_size=bs, sync_dist=True)

    def configure_optimizers(self):
        return torch.optim.Adam(self.model.parameters(), lr=self.train_config.lr)
