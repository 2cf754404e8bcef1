"""``mudar.pipelines.method``: the analysis and the model of each dance rhythm method."""

import pytest

from mudar.clock import FrameClock
from mudar.errors import ParameterError
from mudar.features.analysis import AnalysisConfig
from mudar.methods import DANCE_RHYTHM
from mudar.pipelines.method import analysis_setup, without_music


def test_without_music_only_changes_mudar():
    assert without_music("mudar") == "mudar-noaudio"
    assert [without_music(m) for m in DANCE_RHYTHM if m != "mudar"] == [
        m for m in DANCE_RHYTHM if m != "mudar"
    ]


def test_learning_free_methods_load_no_model():
    assert analysis_setup("hoof-flux") == (AnalysisConfig(), None)
    config, model = analysis_setup("directogram", fps=10.0, sr=16000, size=128)
    assert model is None and config == AnalysisConfig(clock=FrameClock(fps=10.0), size=128)


def test_learned_methods_run_on_the_models_clock(debug_checkpoint):
    config, model = analysis_setup("mudar-noaudio", checkpoint=debug_checkpoint)
    assert config == model.config.analysis_config()
    asked, _ = analysis_setup("mudar", checkpoint=debug_checkpoint, fps=model.config.fps)
    assert asked.frame_size == model.config.frame_size
    with pytest.raises(ParameterError, match="--fps must be the model's"):
        analysis_setup("mudar", checkpoint=debug_checkpoint, fps=30.0)


def test_a_model_brings_its_music_and_hoof_analysis(tmp_path):
    import dataclasses

    import torch

    from mudar.models.checkpoint import save_model
    from mudar.models.mudar import MuDaR
    from mudar.models.presets import MUDAR_PRESETS

    torch.manual_seed(0)
    mc = dataclasses.replace(
        MUDAR_PRESETS["debug"].model, stft_window="hamming", hoof_vote="literal"
    )
    path = save_model(MuDaR(mc).eval(), tmp_path / "paperish.pt", meta={"threshold": 0.2})
    config, _ = analysis_setup("mudar", checkpoint=path)
    assert (config.stft_window, config.hoof_vote) == ("hamming", "literal")
    # what the command line asks for wins
    config, _ = analysis_setup("mudar", checkpoint=path, stft_window="hann")
    assert (config.stft_window, config.hoof_vote) == ("hann", "literal")
