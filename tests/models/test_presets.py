"""The presets of every model family: they build, round-trip, and unknown names are refused."""

import pytest

from mudar.errors import ParameterError
from mudar.models.config import MudarConfig
from mudar.models.motionbeat_config import MotionBeatConfig, MotionBeatTrainConfig
from mudar.models.presets import (
    FAMILIES,
    MOTIONBEAT_PRESETS,
    MUDAR_PRESETS,
    PRESETS,
    get_preset,
)


def test_motionbeat_presets_build_and_unknown_names_are_refused():
    assert set(MOTIONBEAT_PRESETS) == {"debug", "cpu", "paper"}
    for p in MOTIONBEAT_PRESETS.values():
        assert p.model.fps == 8.0 and p.model.n_frames == round(p.model.clip_s * 8)
        assert MotionBeatConfig.from_dict(p.model.to_dict()) == p.model
        assert MotionBeatTrainConfig.from_dict(p.train.to_dict()) == p.train
    assert get_preset("motionbeat", "cpu") is MOTIONBEAT_PRESETS["cpu"]
    with pytest.raises(ParameterError, match="unknown MotionBeat preset"):
        get_preset("motionbeat", "huge")


def test_mudar_presets_round_trip_and_unknown_names_are_refused():
    assert set(MUDAR_PRESETS) == {"debug", "cpu", "cpu-energy", "paper"}
    for p in MUDAR_PRESETS.values():
        assert MudarConfig.from_dict(p.model.to_dict()) == p.model
    assert get_preset("mudar", "debug") is MUDAR_PRESETS["debug"]
    # cpu-energy is cpu with the motion energy; cpu stays the shipped model's recipe
    cpu, energy = MUDAR_PRESETS["cpu"], MUDAR_PRESETS["cpu-energy"]
    assert cpu.model.motion_energy == 0 and energy.model.motion_energy == 4
    assert energy.model.motion_dim == cpu.model.motion_dim + 4 and energy.train == cpu.train
    assert cpu.model.analysis_config().energy_steps == 0  # the shipped model's features
    assert energy.model.analysis_config().energy_steps == 4
    with pytest.raises(
        ParameterError, match="unknown preset 'huge'; known: cpu, cpu-energy, debug, paper"
    ):
        get_preset("mudar", "huge")


def test_an_unknown_family_names_the_known_ones():
    assert set(FAMILIES) == set(PRESETS) == {"mudar", "motionbeat"}
    with pytest.raises(
        ParameterError, match="unknown model family 'gpt'; known: motionbeat, mudar"
    ):
        get_preset("gpt", "cpu")
