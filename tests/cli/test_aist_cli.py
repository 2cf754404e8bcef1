"""Every command on an AIST++ tree (a tiny fake one): `mudar bas` per sequence and pooled,
`mudar prepare` renders and caches, `mudar train` and `mudar eval` on the official split; a bad
tree gives skipped sequences or one error line, never a traceback."""

import json
import shutil

import pytest

from aist_factory import IGNORED, LOCKED, SEQUENCES, SHIFTED, make_aist_tree
from mudar.cli.main import main


@pytest.fixture(scope="module")
def tree_root(tmp_path_factory):
    return make_aist_tree(tmp_path_factory.mktemp("aistcli"))


def run(capsys, *argv):
    code = main([*map(str, argv)])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_bas_per_sequence_and_pooled(capsys, tree_root):
    code, out, err = run(capsys, "bas", tree_root, "--json")
    assert code == 0 and err == ""
    r = json.loads(out)
    assert r["n_sequences"] == 4 and r["ignored"] == [IGNORED] and r["skipped"] == []
    by = {s["sequence"]: s for s in r["sequences"]}
    assert set(by) == set(SEQUENCES) - {IGNORED}
    assert by[LOCKED]["genre"] == "break" and by[LOCKED]["split"] == "train"
    assert by[LOCKED]["music"] == str(tree_root / "wav" / "mBR0.wav")
    assert by[LOCKED]["fps"] == 60.0 and by[LOCKED]["motion_method"] == "kinematic"
    # the locked dances stop on every beat; the control stops half a beat off
    for name, s in by.items():
        if name == SHIFTED:
            assert s["bas_motion"] < 0.3 and s["bas_music"] < 0.3
        else:
            assert s["bas_motion"] > 0.95 and s["bas_music"] > 0.95
    mean = sum(s["bas_motion"] for s in by.values()) / 4
    assert r["bas_motion"] == pytest.approx(mean, abs=1e-4)
    assert all("feedback" not in s for s in r["sequences"])  # one dance's coaching only
    code, out, err = run(capsys, "bas", tree_root, "--plot", tree_root / "f.png")
    assert code == 2 and "--plot draws one dance's feedback" in err
    assert not (tree_root / "f.png").exists()

    code, out, _ = run(capsys, "bas", tree_root, "--split", "test", "--json")
    only = json.loads(out)
    assert [s["sequence"] for s in only["sequences"]] == [SHIFTED] and only["split"] == "test"

    code, out, _ = run(capsys, "bas", tree_root)
    assert code == 0 and "4 sequence(s) scored" in out and "mean BAS:" in out
    assert LOCKED in out and IGNORED not in out

    # one sequence's pickle: its wav is found in the tree
    code, out, _ = run(capsys, "bas", tree_root / "keypoints3d" / f"{LOCKED}.pkl", "--json")
    assert code == 0 and json.loads(out)["bas_motion"] == by[LOCKED]["bas_motion"]


def test_prepare_train_eval_on_the_official_split(capsys, tree_root, tmp_path):
    feats, run_dir = tmp_path / "features", tmp_path / "run"
    code, _, err = run(capsys, "prepare", tree_root, "--out", feats, "--jobs", "1", "--no-progress")
    assert code == 0 and "4 file(s) ready (4 extracted" in err
    videos = sorted(p.name for p in (feats / "media" / "rendered-small").glob("*.mp4"))
    assert videos == sorted(f"{n}.mp4" for n in SEQUENCES if n != IGNORED)
    items = json.loads((feats / "manifests" / "shard-0-of-1.json").read_text())["items"]
    assert {it["id"]: (it["label"], it["split"]) for it in items}[SHIFTED] == ("house", "test")
    assert all(it["has_music"] and it["has_dance"] for it in items)
    # resumable: the rendered videos and their features are reused
    code, _, err = run(capsys, "prepare", tree_root, "--out", feats, "--jobs", "1", "--no-progress")
    assert code == 0 and "(0 extracted, 4 already cached)" in err

    code, _, err = run(
        capsys, "train", "--data", feats, "--out", run_dir, "--epochs", "1", "--no-progress"
    )
    assert code == 0, err
    assert "official split" in err
    split = json.loads((run_dir / "split.json").read_text())
    assert split == {
        "split": "official",
        "train": ["gBR_sBM_cAll_d04_mBR0_ch01", "gPO_sBM_cAll_d05_mPO1_ch02"],
        "val": ["gLO_sBM_cAll_d06_mLO2_ch03"],
    }

    # eval on the tree itself (prepared into the same features: nothing is made again)
    methods = "mudar-noaudio,hoof-flux"
    args = ["eval", "--data", tree_root, "--features", feats, "--methods", methods, "--json"]
    code, out, err = run(capsys, *args, "--checkpoint", run_dir / "model.pt")
    assert code == 0, err
    r = json.loads(out)
    assert r["split"] == "test" and r["n_videos"] == 1 and r["n_clips"] >= 1
    assert set(r["rhythm"]) >= {"mudar-noaudio", "hoof-flux"}
    code, out, _ = run(capsys, "eval", "--data", feats, "--methods", "hoof-flux", "--split", "all")
    assert code == 0 and "4 videos," in out


def test_a_bad_tree_skips_or_fails_in_one_line(capsys, tree_root, tmp_path):
    root = tmp_path / "bad"
    shutil.copytree(tree_root, root)
    (root / "wav" / "mPO1.wav").unlink()
    (root / "keypoints3d" / f"{LOCKED}.pkl").write_bytes(b"\x80\x04 truncated")
    code, out, err = run(capsys, "bas", root, "--json")
    assert code == 0
    skipped = [line for line in err.splitlines() if line.startswith("mudar: skipped ")]
    assert len(skipped) == 2 and err.splitlines()[2:] == ["mudar: 2 of 4 file(s) skipped"]
    assert any("mPO1" in s for s in skipped) and any("not an AIST++ pickle" in s for s in skipped)
    assert json.loads(out)["n_sequences"] == 2

    code, _, err = run(capsys, "prepare", root, "--out", tmp_path / "f", "--no-progress")
    assert code == 0 and "2 file(s) ready" in err and "2 skipped" in err

    for name in ("gLO_sBM_cAll_d06_mLO2_ch03", SHIFTED):
        (root / "keypoints3d" / f"{name}.pkl").write_bytes(b"")
    code, out, err = run(capsys, "bas", root)
    assert code == 2 and out == ""
    assert err.splitlines()[-1].startswith("mudar: error: ")
    assert "no sequence could be scored" in err

    shutil.rmtree(root / "wav")
    for argv in (
        ["bas", root],
        ["prepare", root, "--out", tmp_path / "g", "--no-progress"],
        ["train", "--data", root, "--out", tmp_path / "r", "--no-progress"],
    ):
        code, out, err = run(capsys, *argv)
        lines = err.strip().splitlines()
        assert code == 2 and len(lines) == 1, err
        assert lines[0].startswith("mudar: error: ") and "no music file" in lines[0]


def test_a_tree_has_its_own_music(capsys, tree_root):
    code, _, err = run(capsys, "bas", tree_root, "--music", tree_root / "wav" / "mBR0.wav")
    assert code == 2 and "wav/<music id>.wav" in err


def test_bad_options_are_one_line(capsys, tree_root, tmp_path):
    code, _, err = run(capsys, "prepare", tree_root, "--out", tmp_path / "f", "--view", "c10")
    assert code == 2 and err.strip().splitlines() == [
        "mudar: error: camera must be one of c01 .. c09 (AIST's views), got 'c10'"
    ]
