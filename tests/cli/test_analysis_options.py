"""The analysis options every analysing command shares (``mudar.cli.options``)."""

import argparse

import pytest

from mudar.cli.options import add_analysis_options, analysis_config, analysis_options
from mudar.features.analysis import AnalysisConfig


def parse(*argv):
    p = argparse.ArgumentParser()
    add_analysis_options(p)
    return p.parse_args(list(argv))


def test_defaults_give_the_default_analysis():
    args = parse()
    assert analysis_config(args) == AnalysisConfig()
    # not given: left to the model (mudar.pipelines.method.analysis_setup)
    assert "stft_window" not in analysis_options(args) and "hoof_vote" not in analysis_options(args)


def test_paper_forms_of_eq1_and_eq4():
    args = parse("--stft-window", "hamming", "--hoof-vote", "literal")
    config = analysis_config(args)
    assert (config.stft_window, config.hoof_vote) == ("hamming", "literal")
    with pytest.raises(SystemExit):
        parse("--stft-window", "blackman")
