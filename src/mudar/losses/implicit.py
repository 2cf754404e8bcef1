"""MuDaR's implicit losses by name (``TrainConfig.implicit_loss``), one table.

Every one takes the batch's clip embeddings the same way,
``loss(visual, audio_pos, audio_neg, *, groups=None, return_parts=False)`` with (B, D)
embeddings of the dance, its own music and its negative music and ``groups`` (B,) the music
of each clip (clips of one music are no negatives of each other; only InfoNCE, which takes the
batch's other music as negatives, needs it). A new implicit loss is one entry here and one name
in :data:`mudar.methods.IMPLICIT_LOSSES`.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from mudar.errors import ParameterError
from mudar.losses.contrastive import EmbeddingContrastiveLoss
from mudar.losses.infonce import InfoNCELoss
from mudar.losses.triplet import TripletLoss

IMPLICIT: dict[str, Callable[..., nn.Module]] = {
    "triplet": lambda train: TripletLoss(margin=train.margin),  # Eq. 18, the paper's
    "infonce": lambda train: InfoNCELoss(temperature=train.temperature),
    "contrastive": lambda train: EmbeddingContrastiveLoss(),  # AVTS's, margin 0.99
}
"""Builders of each implicit loss from a :class:`~mudar.models.config.TrainConfig`."""


def implicit_loss(train) -> nn.Module:
    """The implicit loss a :class:`~mudar.models.config.TrainConfig` asks for.

    Raises
    ------
    ParameterError
        If ``train.implicit_loss`` is unknown; the message lists the known ones.
    """
    if train.implicit_loss not in IMPLICIT:
        raise ParameterError(
            f"unknown implicit loss {train.implicit_loss!r}; known: {', '.join(IMPLICIT)}"
        )
    return IMPLICIT[train.implicit_loss](train)
