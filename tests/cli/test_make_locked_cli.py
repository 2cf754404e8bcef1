"""`mudar make-locked` end to end on made-up dwm-style dances, with a bad folder among them."""

from __future__ import annotations

import json

import pytest

from mudar.cli.main import main
from mudar.synthetic.motion import make_motion_dataset


@pytest.fixture(scope="module")
def src(tmp_path_factory):
    root = tmp_path_factory.mktemp("dances")
    make_motion_dataset(root, n=2, duration_s=4.0)
    bad = root / "DANCE_S_bad"
    bad.mkdir()
    (bad / "motion.npz").write_bytes(b"not an npz")
    (bad / "audio.ogg").write_bytes(b"")
    return root


def run_cli(capsys, *argv):
    code = main(["make-locked", *map(str, argv), "--no-progress"])
    out, err = capsys.readouterr()
    return code, out, err


def test_make_locked_writes_skips_the_bad_folder_and_resumes(src, tmp_path, capsys):
    out = tmp_path / "locked"
    code, text, err = run_cli(capsys, src, "--out", out, "--looks", "small,side", "--jobs", "1")
    assert code == 0, err
    bad = src / "DANCE_S_bad"
    assert f"mudar: error: {bad / 'motion.npz'}:" in err
    assert "1 of 3 dance(s) skipped" in err and str(bad) in err
    assert "Traceback" not in err
    assert "2 dance(s) written, 0 already complete, 1 skipped" in text
    assert "BAS before" in text and "all" in text
    assert not (out / "DANCE_S_bad").exists()  # nothing half-written
    for i in range(2):
        d = out / f"DANCE_S_{i}"
        assert {p.name for p in d.iterdir()} == {
            "meta.json",
            "motion.npz",
            "audio.ogg",
            "video_small.mp4",
            "video_side.mp4",
        }
        meta = json.loads((d / "meta.json").read_text())
        assert meta["locked"] and meta["source_id"] == f"DANCE_S_{i}"
        assert meta["lock"]["after"]["true"] > 0.8
    stamp = (out / "DANCE_S_0" / "video_small.mp4").stat().st_mtime_ns
    code, text, err = run_cli(capsys, src, "--out", out, "--looks", "small,side")
    assert code == 0
    assert "0 dance(s) written, 2 already complete, 1 skipped" in text
    assert (out / "DANCE_S_0" / "video_small.mp4").stat().st_mtime_ns == stamp
    meta = json.loads((out / "DANCE_S_0" / "meta.json").read_text())
    assert meta["bodies"] == {"small": "mannequin", "side": "mannequin"}
    # another body is another video: the dances are drawn again, as stick figures
    code, text, err = run_cli(capsys, src, "--out", out, "--looks", "small", "--body", "stick")
    assert code == 0 and "2 dance(s) written, 0 already complete" in text
    meta = json.loads((out / "DANCE_S_0" / "meta.json").read_text())
    assert meta["bodies"] == {"small": "stick"}


def test_make_locked_bad_arguments(src, tmp_path, capsys):
    code, _, err = run_cli(capsys, tmp_path / "missing", "--out", tmp_path / "o")
    assert code == 2 and err.startswith("mudar: error: ") and "not a directory" in err
    code, _, err = run_cli(capsys, src, "--out", tmp_path / "o", "--looks", "dwm,nope")
    assert code == 2 and "unknown look 'nope'" in err
    with pytest.raises(SystemExit):  # argparse: not one of the bodies
        run_cli(capsys, src, "--out", tmp_path / "o", "--body", "clay")
    code, _, err = run_cli(capsys, src, "--out", tmp_path / "o", "--speed-range", "1.1,1.3")
    assert code == 2 and err.count("speed_range") == 1  # once, not once per dance
    only_bad = tmp_path / "only_bad"
    (only_bad / "D").mkdir(parents=True)
    (only_bad / "D" / "audio.ogg").write_bytes(b"")
    code, _, err = run_cli(capsys, only_bad, "--out", tmp_path / "o2")
    assert code == 2 and "mudar: error: " in err and "motion.npz" in err


def test_make_locked_in_parallel_gives_the_same_dances(src, tmp_path, capsys):
    one, two = tmp_path / "one", tmp_path / "two"
    assert run_cli(capsys, src, "--out", one, "--looks", "small", "--seconds", "3")[0] == 0
    code, text, err = run_cli(
        capsys, src, "--out", two, "--looks", "small", "--seconds", "3", "--jobs", "2"
    )
    assert code == 0 and "2 dance(s) written" in text and "1 of 3 dance(s) skipped" in err
    for i in range(2):
        a = json.loads((one / f"DANCE_S_{i}" / "meta.json").read_text())
        b = json.loads((two / f"DANCE_S_{i}" / "meta.json").read_text())
        assert a["warp_knots"] == b["warp_knots"] and a["lock"] == b["lock"]
        assert a["duration_s"] <= 3.0 * 1.25 + 0.05


def test_make_locked_songs_random_looks_and_free_pose(src, tmp_path, capsys):
    import numpy as np

    from mudar.data.readers.dataset import dance_group
    from mudar.features.pose import PoseTrack

    out = tmp_path / "many"
    argv = (src, "--out", out, "--songs", "1", "--random-looks", "1", "--pose", "--seed", "3")
    code, text, err = run_cli(capsys, *argv)
    assert code == 0, err
    own = sorted(p.name for p in out.iterdir() if "~" not in p.name)
    other = sorted(p.name for p in out.iterdir() if "~" in p.name)
    assert own == ["DANCE_S_1", "DANCE_S_2"] or own == sorted(own)  # the two good dances
    assert len(own) == 2 and len(other) == 2, (own, other)  # each onto the other's song
    for name in other:
        dance, song = name.split("~")
        meta = json.loads((out / name / "meta.json").read_text())
        assert meta["song_id"] == song != dance and meta["source_id"] == dance
        assert dance_group(f"{name}/video_rand0") == dance
        assert meta["videos"] == ["video_rand0.mp4"] and "rand0" in meta["look_params"]
        look = meta["look_params"]["rand0"]
        with np.load(out / name / "pose_rand0.npz") as z:
            track = PoseTrack.from_arrays(z)
        assert (track.width, track.height) == tuple(look["size"]) and track.fps == look["fps"]
        xy = track.keypoints[track.found]
        assert track.found_fraction > 0.7  # a few short runs lost, as an estimator loses them
        inside = (xy[..., 0] > -20) & (xy[..., 0] < look["size"][0] + 20)
        assert inside.mean() > 0.9  # the keypoints sit on the picture
    # the looks drawn differ between videos, and a second run has nothing left to do
    params = [json.loads((out / n / "meta.json").read_text())["look_params"]["rand0"] for n in own]
    assert params[0] != params[1]
    code, text, err = run_cli(capsys, *argv)
    assert code == 0 and "0 dance(s) written, 4 already complete" in text


def test_song_looks_make_a_bench_set_in_one_run(src, tmp_path, capsys):
    """``--looks side --song-looks '' --songs 1 --random-looks 1``: every warp in a random look
    to train on, each dance on its own music also in ``side`` to test on; it resumes; an
    unknown song look is one line."""
    out = tmp_path / "set"
    argv = (src, "--out", out, "--looks", "side", "--song-looks", "", "--songs", "1")
    argv += ("--random-looks", "1", "--pose", "--seed", "3")
    code, text, err = run_cli(capsys, *argv)
    assert code == 0, err
    for folder in (p for p in out.iterdir() if p.is_dir()):
        meta = json.loads((folder / "meta.json").read_text())
        own = "~" not in folder.name
        want = ["video_side.mp4", "video_rand0.mp4"] if own else ["video_rand0.mp4"]
        assert meta["videos"] == want, (folder.name, meta["videos"])
        assert sorted(p.name for p in folder.glob("video_*.mp4")) == sorted(want)
    assert len([p for p in out.iterdir() if "~" in p.name]) == 2
    code, text, err = run_cli(capsys, *argv)
    assert code == 0 and "0 dance(s) written, 4 already complete" in text
    code, text, err = run_cli(capsys, src, "--out", tmp_path / "x", "--song-looks", "nope")
    assert code != 0 and "nope" in err and "Traceback" not in err and len(err.splitlines()) == 1
    assert not (tmp_path / "x").exists() or not any((tmp_path / "x").iterdir())
