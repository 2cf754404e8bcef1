"""The named presets of every model family, and the one function that finds them.

A preset is a model config and the config that trains it. Each family has ``debug`` (seconds,
synthetic data, used by tests), ``cpu`` (what runs on the 2-core machine: the shipped MuDaR
model, all of the dwm dances in <= 15 min) and ``paper`` (the paper's settings, for GPUs); MuDaR
also ``cpu-energy``, the ``cpu`` preset with the motion energy in its motion input.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from mudar.errors import ParameterError
from mudar.models.config import MudarConfig, TrainConfig
from mudar.models.motionbeat_config import MotionBeatConfig, MotionBeatTrainConfig

__all__ = ["FAMILIES", "MOTIONBEAT_PRESETS", "MUDAR_PRESETS", "PRESETS", "Preset", "get_preset"]


@dataclass(frozen=True)
class Preset:
    """A model config and its training config.

    Attributes
    ----------
    model : MudarConfig or MotionBeatConfig
    train : TrainConfig or MotionBeatTrainConfig
    """

    model: MudarConfig | MotionBeatConfig
    train: TrainConfig | MotionBeatTrainConfig


MUDAR_PRESETS: dict[str, Preset] = {
    "debug": Preset(
        MudarConfig(
            clip_s=4.0,
            frame_size=32,
            n_mels=128,
            encoder_channels=(8, 16),
            audio_channels=(8,),
            dim=32,
            layers=1,
            heads=2,
        ),
        TrainConfig(epochs=3, avts_from_epoch=2, batch_size=4, lr=1e-3, clip_hop_s=2.0),
    ),
    # the shipped model: a thinner pyramid halves the step time (0.55 s for 16 clips of 8 s);
    # InfoNCE, because on the 30 training dances the triplet loss collapses (see losses/infonce)
    # agva_order="legacy": the shipped model was trained so (docs/paper.md, Eq. 7)
    "cpu": Preset(
        MudarConfig(
            frame_size=64,
            encoder_channels=(8, 16, 32, 64),
            dim=128,
            layers=2,
            agva_order="legacy",
        ),
        TrainConfig(
            epochs=16,
            avts_from_epoch=11,
            batch_size=16,
            lr=3e-4,
            clip_hop_s=2.0,
            implicit_loss="infonce",
        ),
    ),
    # "cpu-energy": the cpu preset with the motion energy in the motion input (4 samples a
    # frame): the dancer's stops, which the 8 fps HOOF loses (features/energy). Not the
    # shipped model's recipe (it predates the energy): added below, from "cpu"
    # the paper's form of every item (docs/paper.md; tests/models/test_paper_preset.py checks
    # each setting against sec. 3-4.1). PWC-Net flow needs its weights: prepare the features
    # with `mudar prepare --flow pwcnet --pwcnet-weights PATH --aspect squash --frame-size 256
    # --hoof-vote literal --stft-window hamming`
    "paper": Preset(
        MudarConfig(
            clip_s=8.0,
            frame_size=256,
            encoder_channels=(16, 32, 64, 96, 128, 196),
            dim=512,
            layers=4,
            heads=8,
            visual_motion=False,  # HOOF in the implicit token is ours
            explicit_detach=False,
            agva_order="paper",
            hoof_vote="literal",
            flow="pwcnet",
            aspect="squash",
            stft_window="hamming",  # Eq. 1 (docs/paper.md: Eq. 1 over "LibROSA defaults")
        ),
        TrainConfig(
            epochs=50,
            avts_from_epoch=35,
            batch_size=384,
            lr=1e-4,
            implicit_loss="triplet",
            augment=False,
            avc_rule="paper",
            clip_mode="middle",
        ),
    ),
}

MUDAR_PRESETS["cpu-energy"] = Preset(
    dataclasses.replace(MUDAR_PRESETS["cpu"].model, motion_energy=4), MUDAR_PRESETS["cpu"].train
)

MOTIONBEAT_PRESETS: dict[str, Preset] = {
    # seconds on a tiny synthetic set: the tests
    "debug": Preset(
        MotionBeatConfig(
            clip_s=4.0,
            n_mels=16,
            tempogram_rows=8,
            audio_channels=(8,),
            dim=32,
            heads=2,
            music_layers=1,
            motion_layers=1,
            motion_conv_layers=1,
        ),
        MotionBeatTrainConfig(epochs=3, batch_size=4, lr=1e-3, clip_hop_s=1.0),
    ),
    # the dwm dances (37 min, 30 trained): 8 epochs of 27 steps, 0.8 s a step on one torch
    # thread, about 3-4 minutes on the 2 shared cores. Augmented, regularised and stopped
    # early: held-out song retrieval peaks near epoch 8 and falls after 10 (30 dances are few)
    "cpu": Preset(
        MotionBeatConfig(dim=64, dropout=0.2),
        MotionBeatTrainConfig(
            epochs=8,
            batch_size=32,
            lr=5e-4,
            weight_decay=0.05,
            lambda_sral=0.25,
            clip_hop_s=2.0,
        ),
    ),
    # GPU-sized: the paper's encoders are larger and train on AIST++ / FineDance
    "paper": Preset(
        MotionBeatConfig(
            n_mels=128,
            audio_channels=(16, 32, 64),
            dim=512,
            heads=8,
            music_layers=4,
            motion_layers=4,
            motion_conv_layers=3,
        ),
        MotionBeatTrainConfig(epochs=100, batch_size=128, lr=1e-4, clip_hop_s=1.0),
    ),
}


PRESETS: dict[str, dict[str, Preset]] = {"mudar": MUDAR_PRESETS, "motionbeat": MOTIONBEAT_PRESETS}
"""The preset tables by model family."""

FAMILIES = tuple(PRESETS)
"""The model families with presets."""

_LABEL = {"mudar": "", "motionbeat": "MotionBeat "}  # as the error messages have always read


def get_preset(family: str, name: str) -> Preset:
    """The named preset of a model family.

    Parameters
    ----------
    family : {"mudar", "motionbeat"}
        The model family (:data:`FAMILIES`).
    name : str
        ``"debug"``, ``"cpu"`` or ``"paper"``.

    Returns
    -------
    Preset

    Raises
    ------
    ParameterError
        If the family or the preset is unknown; the message lists the known ones.
    """
    if family not in PRESETS:
        raise ParameterError(
            f"unknown model family {family!r}; known: {', '.join(sorted(PRESETS))}"
        )
    table = PRESETS[family]
    if name not in table:
        raise ParameterError(
            f"unknown {_LABEL[family]}preset {name!r}; known: {', '.join(sorted(table))}"
        )
    return table[name]
