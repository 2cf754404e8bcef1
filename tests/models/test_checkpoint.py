"""One checkpoint format for every model family: tags, family checks, the shipped model."""

import pytest
import torch

from mudar.errors import InputError, ParameterError
from mudar.models.checkpoint import (
    FORMATS,
    checkpoint_doc,
    default_checkpoint_path,
    load_checkpoint,
    load_motionbeat,
    model_from_doc,
    save_checkpoint,
    save_model,
    save_motionbeat,
    state_of,
)
from mudar.models.motionbeat import MotionBeat
from mudar.models.mudar import MuDaR
from mudar.models.presets import MOTIONBEAT_PRESETS, MUDAR_PRESETS


@pytest.fixture(scope="module")
def mudar_model():
    torch.manual_seed(0)
    return MuDaR(MUDAR_PRESETS["debug"].model).eval()


@pytest.fixture(scope="module")
def motionbeat_model():
    torch.manual_seed(0)
    return MotionBeat(MOTIONBEAT_PRESETS["debug"].model).eval()


def test_each_family_has_its_tag(mudar_model, motionbeat_model, tmp_path):
    a = load_checkpoint(save_model(mudar_model, tmp_path / "a.pt", meta={"x": 1}))
    b = load_checkpoint(save_motionbeat(motionbeat_model, tmp_path / "b.pt"))
    assert (a["format"], a["family"], a["method"], a["meta"]) == (
        FORMATS["mudar"],
        "mudar",
        "mudar",
        {"x": 1},
    )
    assert (b["format"], b["family"], b["meta"]) == (FORMATS["motionbeat"], "motionbeat", {})
    assert set(FORMATS.values()) == {
        "mudar-checkpoint",
        "mudar-motionbeat",
        "mudar-classifier",
        "mudar-timing",
    }


def test_a_file_of_another_family_is_refused(mudar_model, motionbeat_model, tmp_path):
    mb = save_motionbeat(motionbeat_model, tmp_path / "mb.pt")
    with pytest.raises(ParameterError, match="not a mudar checkpoint"):
        load_checkpoint(mb, family="mudar")
    with pytest.raises(ParameterError, match="not a MotionBeat checkpoint"):
        load_motionbeat(save_model(mudar_model, tmp_path / "m.pt"))
    with pytest.raises(ParameterError, match="not a mudar classifier"):
        load_checkpoint(mb, family="classifier")
    with pytest.raises(ParameterError, match="unknown model family 'gpt'"):
        load_checkpoint(mb, family="gpt")
    with pytest.raises(InputError, match="no such checkpoint"):
        load_checkpoint(tmp_path / "gone.pt", family="motionbeat")


def test_a_checkpoint_of_another_format_version_is_refused(mudar_model, tmp_path):
    doc = torch.load(save_model(mudar_model, tmp_path / "m.pt"), weights_only=True)
    assert doc["version"] == 1
    doc["version"] = 2  # as a later mudar would write it
    torch.save(doc, tmp_path / "v2.pt")
    with pytest.raises(ParameterError, match="format version 2, written by another mudar"):
        load_checkpoint(tmp_path / "v2.pt", family="mudar")


def test_extra_fields_round_trip_and_the_doc_rebuilds_the_model(mudar_model, tmp_path):
    path = save_checkpoint(
        tmp_path / "c.pt",
        family="classifier",
        config={"a": 1},
        state_dict={"w": torch.ones(2)},
        labels=["x", "y"],
    )
    doc = load_checkpoint(path, family="classifier")
    assert doc["labels"] == ["x", "y"] and doc["config"] == {"a": 1} and doc["meta"] == {}
    copied = checkpoint_doc(
        family="mudar",
        config=mudar_model.config.to_dict(),
        state_dict=state_of(mudar_model, copy=True),
    )
    back = model_from_doc(copied)
    assert type(back) is MuDaR and not back.training
    for k, v in mudar_model.state_dict().items():
        torch.testing.assert_close(back.state_dict()[k], v, msg=k)
    with pytest.raises(ParameterError, match="holds no MuDaR or MotionBeat model"):
        model_from_doc(doc)


def test_the_shipped_checkpoint_is_a_mudar_checkpoint():
    doc = load_checkpoint(default_checkpoint_path())
    assert doc["family"] == "mudar" and doc["format"] == "mudar-checkpoint"
    assert {"fps", "sub"} <= set(doc["config"])  # written before configs held a FrameClock
