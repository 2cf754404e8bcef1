"""The paper's baselines, on MuDaR's encoders and clips (``mudar train --method NAME``).

- ``multisensory`` (Owens & Efros 2018): early fusion, binary cross-entropy, in sync against
  shifted music (:mod:`~mudar.models.baselines.multisensory`);
- ``avts`` (Korbar et al. 2018): two streams, contrastive loss on distances, curriculum from
  another video's music to shifted music (:mod:`~mudar.models.baselines.avts`);
- ``lla`` (Cheng et al. 2020): two streams with co-attention, contrastive, other videos' music
  (:mod:`~mudar.models.baselines.lla`).

Every one is built from a :class:`~mudar.models.config.MudarConfig` and has MuDaR's ``embed``
contract (:class:`~mudar.models.baselines.streams.Streams`). The learning-free visual rhythm
baseline, the directogram, is a feature: :mod:`mudar.features.directogram`.
"""

from __future__ import annotations

from mudar import methods
from mudar.errors import ParameterError
from mudar.models.baselines.avts import AVTS
from mudar.models.baselines.lla import LLA
from mudar.models.baselines.multisensory import Multisensory
from mudar.models.baselines.streams import Streams, SyncOutput

BASELINES: dict[str, type[Streams]] = {
    "multisensory": Multisensory,
    "avts": AVTS,
    "lla": LLA,
}

assert tuple(BASELINES) == methods.BASELINES


def build_model(method: str, config):
    """A fresh model of ``method`` (one of :data:`mudar.methods.LEARNED`) built from ``config``.

    Raises
    ------
    ParameterError
        If ``method`` is unknown; the message lists the known ones.
    """
    if method == "mudar":
        from mudar.models.mudar import MuDaR

        return MuDaR(config)
    if method not in BASELINES:
        raise ParameterError(f"unknown method {method!r}; known: {', '.join(methods.LEARNED)}")
    return BASELINES[method](config)


__all__ = [
    "AVTS",
    "BASELINES",
    "LLA",
    "Multisensory",
    "Streams",
    "SyncOutput",
    "build_model",
]
