"""`mudar eval` and the learned rhythm in `mudar rhythm`, with a freshly trained debug model."""

import json

import pytest

from mudar.cli.main import main
from mudar.synthetic.video import make_dataset
from mudar.training.train import train

KEYS = {"precision", "recall", "f1", "tolerance_frames", "exact"}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("evalcli")
    make_dataset(root / "videos", n=4, seed=2, duration_s=6.0)
    r = train(root / "videos", root / "run", preset="debug", epochs=1, progress=False)
    return root, r.model_path


def test_eval_reports_every_method_and_the_floors(trained, capsys):
    root, model = trained
    code = main(
        [
            "eval",
            "--data",
            str(root / "videos"),
            "--checkpoint",
            str(model),
            "--json",
            "--methods",
            "mudar,mudar-noaudio,hoof-flux",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    r = json.loads(out)
    assert {"data", "n_videos", "n_clips", "rhythm"} <= set(r)
    assert r["n_videos"] == 4 and r["n_clips"] >= 4
    assert list(r["rhythm"]) == ["mudar", "mudar-noaudio", "hoof-flux", "chance", "peaks", "all"]
    for s in r["rhythm"].values():
        assert set(s) == KEYS and s["tolerance_frames"] == 1
        assert 0 <= s["f1"] <= 1
    assert r["rhythm"]["all"]["recall"] == 1.0


def test_eval_without_model_and_bad_methods(trained, capsys):
    root, _ = trained
    assert main(["eval", "--data", str(root / "videos"), "--methods", "hoof-flux", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert list(r["rhythm"]) == ["hoof-flux", "chance", "peaks", "all"]
    assert main(["eval", "--data", str(root / "videos"), "--methods", "nope"]) == 2
    assert "unknown method" in capsys.readouterr().err


def test_rhythm_with_the_learned_model(trained, capsys):
    root, model = trained
    video = next((root / "videos").rglob("video.mp4"))
    for method in ("mudar", "mudar-noaudio"):
        code = main(
            ["rhythm", str(video), "--json", "--method", method, "--checkpoint", str(model)]
        )
        r = json.loads(capsys.readouterr().out)
        assert code == 0 and r["dance"]["method"] == method
        assert len(r["dance"]["rhythm_strength"]) == round(r["duration_s"] * 8)
    code = main(["rhythm", str(video), "--method", "mudar", "--checkpoint", str(root / "x.pt")])
    assert code == 2 and "no such checkpoint" in capsys.readouterr().err


def test_eval_held_out_videos_only(trained, capsys):
    from mudar.models.checkpoint import load_model

    root, model = trained
    held = load_model(model).meta["val_videos"]
    code = main(
        [
            "eval",
            "--data",
            str(root / "videos"),
            "--checkpoint",
            str(model),
            "--json",
            "--methods",
            "mudar-noaudio",
            "--held-out",
        ]
    )
    assert code == 0
    assert json.loads(capsys.readouterr().out)["n_videos"] == len(held) >= 1


def test_eval_reports_timing_gain_and_the_70ms_f_measure(trained, capsys):
    root, _ = trained
    assert main(["eval", "--data", str(root / "videos"), "--methods", "hoof-flux", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert set(r["timing"]) == {"hoof-flux", "chance"}
    for s in r["timing"].values():
        assert s["timing_gain"] == pytest.approx(s["f1"] - s["f1_shifted"], abs=1e-4)
    frame = r["timing_gain"]["hoof-flux"]
    assert frame == pytest.approx(r["rhythm"]["hoof-flux"]["f1"] - r["shifted"]["hoof-flux"]["f1"])
    assert main(["eval", "--data", str(root / "videos"), "--methods", "hoof-flux"]) == 0
    out = capsys.readouterr().out
    assert "F1@70ms" in out and "hoof-flux" in out.split("F1@70ms")[1]


def test_eval_of_the_motion_energy_measures_it_and_times_it_below_the_frame(trained, capsys):
    root, _ = trained
    args = ["eval", "--data", str(root / "videos"), "--methods", "hoof-flux,motion-energy"]
    assert main([*args, "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert list(r["rhythm"]) == ["hoof-flux", "motion-energy", "chance", "peaks", "all"]
    assert set(r["timing"]) == {"hoof-flux", "motion-energy", "chance"}
    assert 0 < r["rhythm"]["motion-energy"]["f1"] <= 1
    s = r["timing"]["motion-energy"]
    assert s["timing_gain"] == pytest.approx(s["f1"] - s["f1_shifted"], abs=1e-4)


def test_the_timing_model_is_refused_with_one_line(capsys, tmp_path):
    from mudar.cli.main import main as cli_main

    code = cli_main(["eval", "--data", str(tmp_path), "--methods", "timing"])
    out, err = capsys.readouterr()
    assert code != 0 and "bench_timing.py scores the timing model" in err
    assert "Traceback" not in err
