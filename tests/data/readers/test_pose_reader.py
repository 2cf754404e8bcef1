"""Pose tracks on disk: ``mudar pose``'s npz and AIST++'s keypoints2d pickle, read back by one
reader (no MediaPipe needed: the tracks are made here)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from mudar.data.readers.keypoints import load_motion, pose_track_music
from mudar.data.readers.pose import is_pose_track, load_pose_track, save_pose_track
from mudar.errors import InputError
from mudar.features.pose import PoseTrack


def _track(n: int = 30, fps: float = 30.0, gaps=(4, 5)) -> PoseTrack:
    rng = np.random.default_rng(0)
    kp = (rng.uniform(100, 300, (n, 17, 2))).astype(np.float32)
    kp[:, 0, 1] = 50.0  # the nose high in the picture (small y), the ankles low
    kp[:, 15:17, 1] = 350.0
    conf = rng.uniform(0.5, 1.0, (n, 17)).astype(np.float32)
    kp[list(gaps)] = np.nan
    conf[list(gaps)] = 0.0
    lm = np.zeros((n, 33, 4), np.float32)
    return PoseTrack(np.arange(n) / fps, kp, conf, lm, 640, 360, fps, "test")


def test_the_pickle_is_aist_keypoints2d_and_reads_back(tmp_path):
    track = _track()
    path = save_pose_track(tmp_path / "dance.pkl", track)
    with open(path, "rb") as f:
        raw = pickle.load(f)
    assert sorted(raw) == ["det_scores", "keypoints2d", "timestamps"]
    assert raw["keypoints2d"].dtype == np.float32 and raw["keypoints2d"].shape == (1, 30, 17, 3)
    assert raw["det_scores"].dtype == np.float32 and raw["det_scores"].shape == (1, 30)
    assert raw["timestamps"].dtype == np.int64 and raw["timestamps"][3] == 100000  # µs
    # a frame without a body: NaN in all three columns (as AIST++), score 0
    assert np.isnan(raw["keypoints2d"][0, 4]).all() and raw["det_scores"][0, 4] == 0
    assert raw["det_scores"][0, 0] == pytest.approx(track.confidence[0].mean())
    back = load_pose_track(path)
    np.testing.assert_array_equal(back.keypoints, track.keypoints)
    np.testing.assert_array_equal(back.confidence, track.confidence)
    np.testing.assert_allclose(back.times_s, track.times_s, atol=1e-6)
    assert back.fps == pytest.approx(30.0, rel=1e-4) and back.landmarks.shape == (30, 0, 4)


def test_the_npz_keeps_everything_and_its_source(tmp_path):
    track = _track()
    path = save_pose_track(tmp_path / "t.npz", track, source=tmp_path / "dance.mp4")
    assert is_pose_track(path)
    back = load_pose_track(path)
    np.testing.assert_array_equal(back.landmarks, track.landmarks)
    assert (back.width, back.height, back.estimator) == (640, 360, "test")


def test_an_aist_pickle_of_nine_views_gives_the_view_asked_for(tmp_path):
    kp = np.full((9, 12, 17, 3), np.nan, np.float32)
    for v in range(9):
        kp[v, :, :, :2] = 100.0 * (v + 1)
        kp[v, :, :, 2] = 0.8
    stamps = np.round(np.arange(12) * 1e6 / 60).astype(np.int64)
    path = tmp_path / "keypoints2d" / "gBR_sBM_cAll_d04_mBR0_ch01.pkl"
    path.parent.mkdir()
    with open(path, "wb") as f:
        pickle.dump({"keypoints2d": kp, "det_scores": np.ones((9, 12)), "timestamps": stamps}, f)
    track = load_pose_track(path, view=4)
    assert (track.keypoints == 500.0).all() and track.fps == pytest.approx(60.0, rel=1e-3)
    with pytest.raises(InputError, match="no view 9"):
        load_pose_track(path, view=9)
    wav = tmp_path / "wav" / "mBR0.wav"
    wav.parent.mkdir()
    wav.write_bytes(b"")
    assert pose_track_music(path) == wav  # AIST++: wav/<music id>.wav beside keypoints2d/


def test_a_track_is_motion_for_motionbeat(tmp_path):
    track = _track(gaps=(4, 5))
    path = save_pose_track(tmp_path / "dance.pkl", track)
    (tmp_path / "dance.mp4").write_bytes(b"")  # its video, beside it
    clip = load_motion(path)
    assert clip.skeleton == "coco17" and clip.up_axis == 1 and clip.joints.shape == (30, 17, 3)
    assert np.isfinite(clip.joints).all()  # the gap is interpolated
    assert (clip.joints[:, 0, 1] > clip.joints[:, 15, 1]).all()  # y up: the nose above the ankle
    assert (clip.joints[:, :, 2] == 0).all()
    assert clip.music == tmp_path / "dance.mp4"


def test_bad_tracks_are_one_clear_error(tmp_path):
    np.savez(tmp_path / "other.npz", joints=np.zeros((3, 17, 3)), fps=30.0)
    assert not is_pose_track(tmp_path / "other.npz")
    with pytest.raises(InputError, match="not a pose track"):
        load_pose_track(tmp_path / "other.npz")
    empty = _track(gaps=range(30))
    path = save_pose_track(tmp_path / "nobody.npz", empty)
    with pytest.raises(InputError, match="no dancer found"):
        load_motion(path)
    (tmp_path / "junk.pkl").write_bytes(b"not a pickle")
    with pytest.raises(InputError):
        load_pose_track(tmp_path / "junk.pkl")
