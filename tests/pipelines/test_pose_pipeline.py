"""``mudar pose``: a rendered dancer's track exported, read back, scored and trained on; and
the bad inputs of the pose path (nobody, two people, a tiny dancer, no video, a corrupt file).

Needs the ``pose`` extra (MediaPipe); the videos are short (a few seconds) to keep it fast.
"""

from __future__ import annotations

import dataclasses
import json
import pickle

import numpy as np
import pytest

pytest.importorskip(
    "mediapipe", reason="the pose track needs the pose extra: pip install 'mudar[pose]'"
)

from mudar.cli.main import main  # noqa: E402
from mudar.io import probe  # noqa: E402
from mudar.io.write import write_audio, write_video  # noqa: E402
from mudar.synthetic.motion import dance_joints  # noqa: E402
from mudar.synthetic.skeleton import LOOKS, render_frames  # noqa: E402
from mudar.synthetic.soundtrack import synth_music  # noqa: E402

FPS, SR = 25.0, 22050
BEATS = 0.4 + 0.625 * np.arange(16)  # 96 BPM


def _dancer_frames(duration_s: float, look: str = "side"):
    joints = dance_joints(BEATS, n_frames=int(duration_s * FPS), fps=FPS)
    return list(render_frames(joints, fps=FPS, look=LOOKS[look]))


@pytest.fixture(scope="module")
def dance(tmp_path_factory):
    """5 s of a dancer still on every beat, with its music (96 BPM, first beat at 0.4 s)."""
    folder = tmp_path_factory.mktemp("pose-video")
    y, _ = synth_music(tempo_bpm=96.0, duration_s=5.0, sr=SR, offset_s=0.4)
    return write_video(folder / "dance.mp4", _dancer_frames(5.0), fps=FPS, audio=y, sr=SR)


@pytest.fixture(scope="module")
def exported(dance, tmp_path_factory):
    """The dance's track as npz (in another folder) and as pkl beside the video."""
    out = tmp_path_factory.mktemp("pose-out")
    assert main(["pose", str(dance), "-o", str(out / "track.npz")]) == 0
    assert main(["pose", str(dance), "-o", str(dance.with_suffix(".pkl"))]) == 0
    return out / "track.npz", dance.with_suffix(".pkl")


def test_the_pkl_export_reads_back_through_the_aist_reader(exported):
    from mudar.data.readers.pose import load_pose_track

    npz, pkl = exported
    track, back = load_pose_track(npz), load_pose_track(pkl)
    assert track.found_fraction >= 0.9 and len(track) == 125
    np.testing.assert_array_equal(back.keypoints, track.keypoints)
    np.testing.assert_array_equal(back.confidence, track.confidence)
    np.testing.assert_allclose(back.times_s, track.times_s, atol=1e-6)
    with open(pkl, "rb") as f:
        raw = pickle.load(f)
    assert raw["keypoints2d"].shape == (1, 125, 17, 3) and raw["timestamps"].dtype == np.int64


def test_bas_of_the_track_is_bas_of_the_video(dance, exported):
    """The same motion beats (the pose track's joint-speed minima, below the frame) against the
    same music: the video's own sound, found from the npz's source and beside the pkl."""
    from mudar.pipelines.bas import bas_file

    video = bas_file(dance, method="pose")
    for track in exported:
        r = bas_file(track)
        assert r["motion_method"] == "pose"
        assert r["music"] in (str(dance), str(dance.resolve()))
        for key in ("n_motion_beats", "n_music_beats", "bas_motion", "bas_music"):
            assert r[key] == pytest.approx(video[key], abs=1e-3), (key, r, video)
    assert video["bas_motion"] > 0.5  # the dancer stops on the beats


def test_motionbeat_loads_a_folder_of_tracks(dance, tmp_path):
    from mudar.data.clips.motionbeat_set import MotionBeatSet, find_dances, prepare_dance
    from mudar.models.presets import MOTIONBEAT_PRESETS

    assert main(["pose", str(dance), "-o", str(tmp_path), "--format", "pkl"]) == 0
    found = find_dances(tmp_path)
    assert found == [tmp_path / "dance.pkl"]
    preset = MOTIONBEAT_PRESETS["debug"]
    config = dataclasses.replace(preset.model, n_joints=17)
    (tmp_path / "dance.mp4").symlink_to(dance)  # the music beside the track
    d = prepare_dance(found[0], config=config, train=preset.train)
    assert d.skeleton == "coco17" and d.joints.shape[1:] == (17, 3)
    assert d.n_frames == 40 and d.kinematic_beats.sum() >= 3  # 5 s at 8 fps
    clips = MotionBeatSet([d], config, preset.train)
    assert len(clips) >= 1 and clips[0]["joints"].shape == (32, 17, 3)


def test_the_command_writes_track_overlay_and_json(dance, tmp_path, capsys):
    out, ov = tmp_path / "t.npz", tmp_path / "overlay.mp4"
    assert main(["pose", str(dance), "-o", str(out), "--overlay", str(ov), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert set(r) >= {"file", "frames", "found_fraction", "fps", "outputs", "dancer_found"}
    assert r["outputs"] == [str(out), str(ov)] and r["fps"] == pytest.approx(25.0)
    src, got = probe(dance), probe(ov)
    assert (got.width, got.height) == (src.width, src.height) and got.has_audio
    assert got.native_fps == pytest.approx(src.native_fps)
    # the skeleton is drawn: the overlay differs from the source where the body is
    from mudar.io.video import iter_decoded

    a = next(iter_decoded(dance))[1].astype(int)
    b = next(iter_decoded(ov))[1].astype(int)
    assert (np.abs(a - b).max(axis=2) > 60).mean() > 0.002


def test_nobody_is_a_clean_result(tmp_path, capsys):
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 255, (120, 160, 3), dtype=np.uint8) for _ in range(30)]
    path = write_video(tmp_path / "noise.mp4", frames, fps=20.0)
    assert main(["pose", str(path), "-o", str(tmp_path / "noise.npz")]) == 0
    assert "no dancer found" in capsys.readouterr().out
    assert (tmp_path / "noise.npz").is_file()


def test_two_people_give_one_track(tmp_path):
    """MediaPipe tracks one person (the most prominent): two dancers side by side still give a
    track, of one of them."""
    from mudar.pipelines.pose import pose_file

    one = _dancer_frames(2.0)
    two = [np.concatenate([f, f[:, ::-1]], axis=1) for f in one]  # 640x320: two dancers
    path = write_video(tmp_path / "two.mp4", two, fps=FPS)
    r = pose_file(path, tmp_path / "two.npz")
    assert r["dancer_found"] and r["found_fraction"] > 0.5


def test_a_tiny_dancer_is_reported_not_an_error(tmp_path):
    """A 40-px figure in a 640x360 picture: whatever is found is reported."""
    import cv2

    from mudar.pipelines.pose import pose_file

    frames = []
    for f in _dancer_frames(1.0):
        canvas = np.full((360, 640, 3), 90, np.uint8)
        canvas[160:200, 300:340] = cv2.resize(f, (40, 40), interpolation=cv2.INTER_AREA)
        frames.append(canvas)
    path = write_video(tmp_path / "tiny.mp4", frames, fps=FPS)
    r = pose_file(path, tmp_path / "tiny.npz")
    assert 0.0 <= r["found_fraction"] <= 1.0 and r["frames"] == 25


def test_a_long_video_shows_its_progress(dance, capfd):
    from mudar.features.extract import pose_track

    pose_track(dance, stride=5, progress=True)
    err = capfd.readouterr().err
    assert "pose" in err and "frame" in err


def test_no_video_or_a_corrupt_file_is_one_line(tmp_path, capsys):
    y, _ = synth_music(tempo_bpm=100.0, duration_s=1.0, sr=SR)
    song = write_audio(tmp_path / "song.wav", y, sr=SR)
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x01 not a video" * 50)
    for path, what in ((song, "no video stream"), (bad, "bad.mp4")):
        assert main(["pose", str(path), "-o", str(tmp_path / "x.npz")]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("mudar: error:") and what in err[0], err
    assert not (tmp_path / "x.npz").exists()
    # a batch carries on past them
    assert main(["pose", str(song), str(bad), "-o", str(tmp_path / "out")]) == 2
    assert "2 of 2 file(s) skipped" in capsys.readouterr().err
