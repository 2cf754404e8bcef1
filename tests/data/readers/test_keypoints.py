"""Keypoint loaders: AIST++ pickles written here in the dataset's format, the AIST tempo table,
dwm title tempi, layout discovery, and the real dwm motion capture."""

import json
import os
import pickle

import numpy as np
import pytest

from mudar.data.readers.keypoints import (
    AIST_FPS,
    MotionClip,
    aist_music_id,
    aist_tempo,
    find_motions,
    is_motion_path,
    load_aistpp,
    load_dwm_motion,
    load_motion,
    parse_title_tempo,
)
from mudar.errors import InputError, ParameterError
from mudar.features.kinematic import FOOT_JOINTS

NAME = "gBR_sBM_cAll_d04_mBR0_ch01"


def coco_dancer(n_frames: int = 120, *, rng=None) -> np.ndarray:
    """COCO-17 keypoints of a person standing along +y, in centimetres, swaying a little."""
    base = np.zeros((17, 3))
    base[0] = (0, 165, 8)  # nose
    base[1:5] = [(-3, 168, 5), (3, 168, 5), (-7, 166, 0), (7, 166, 0)]  # eyes, ears
    base[5:7] = [(-18, 145, 0), (18, 145, 0)]  # shoulders
    base[7:9] = [(-22, 118, 0), (22, 118, 0)]  # elbows
    base[9:11] = [(-24, 92, 5), (24, 92, 5)]  # wrists
    base[11:13] = [(-10, 95, 0), (10, 95, 0)]  # hips
    base[13:15] = [(-11, 50, 3), (11, 50, 3)]  # knees
    base[15:17] = [(-12, 8, 0), (12, 8, 0)]  # ankles
    t = np.arange(n_frames) / AIST_FPS
    sway = np.stack([10 * np.sin(2 * np.pi * t), 0 * t, 5 * np.cos(2 * np.pi * t)], axis=1)
    joints = base[None] + sway[:, None, :]
    if rng is not None:
        joints = joints + rng.normal(scale=0.3, size=joints.shape)
    return joints


def write_pickle(path, obj, protocol=pickle.HIGHEST_PROTOCOL):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=protocol)
    return path


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_aistpp_keypoints_prefer_the_optimised_ones(tmp_path, rng, protocol):
    optim = coco_dancer(rng=rng)
    raw = optim + 1.0
    raw[5:9, 3] = np.nan  # the raw triangulation loses joints; the optimised one does not
    p = write_pickle(
        tmp_path / "keypoints3d" / f"{NAME}.pkl",
        {"keypoints3d": raw, "keypoints3d_optim": optim},
        protocol,
    )
    clip = load_aistpp(p)
    assert isinstance(clip, MotionClip)
    assert clip.joints.shape == (120, 17, 3) and clip.joints.dtype == np.float32
    np.testing.assert_allclose(clip.joints, optim, atol=1e-4)
    assert clip.fps == AIST_FPS == 60.0
    assert clip.skeleton == "coco17"
    assert clip.up_axis == 1
    assert clip.tempo_bpm == 80.0  # mBR0
    assert clip.label == "break"
    assert clip.music is None
    assert clip.duration_s == pytest.approx(2.0)


def test_aistpp_raw_keypoints_gaps_are_interpolated(tmp_path):
    joints = coco_dancer()
    f = np.arange(120.0)
    joints[:, 9] = np.stack([f, 92 + 0.1 * f, 5 - 0.05 * f], axis=1)  # a wrist moving steadily
    holed = joints.copy()
    holed[10:20, 9] = np.nan  # lost for 10 frames
    holed[:3, 10] = np.nan  # lost at the start
    p = write_pickle(tmp_path / f"{NAME}.pkl", {"keypoints3d": holed})
    clip = load_aistpp(p)
    np.testing.assert_allclose(clip.joints[:, 9], joints[:, 9], atol=1e-4)  # linear: exact
    np.testing.assert_allclose(clip.joints[:3, 10], np.repeat(holed[3:4, 10], 3, 0), atol=1e-4)
    never = joints.copy()
    never[:, 4] = np.nan
    with pytest.raises(InputError, match="never located"):
        load_aistpp(write_pickle(tmp_path / "never" / f"{NAME}.pkl", {"keypoints3d": never}))


def test_aistpp_music_from_music_dir(tmp_path):
    p = write_pickle(
        tmp_path / "kp" / "gHO_sFM_cAll_d20_mHO5_ch13.pkl", {"keypoints3d": coco_dancer()}
    )
    music_dir = tmp_path / "music"
    music_dir.mkdir()
    assert load_aistpp(p, music_dir=music_dir).music is None  # the wav is not there
    (music_dir / "mHO5.wav").write_bytes(b"RIFF")
    clip = load_aistpp(p, music_dir=music_dir)
    assert clip.music == music_dir / "mHO5.wav"
    assert clip.tempo_bpm == 135.0 and clip.label == "house"


@pytest.mark.parametrize(
    "transform, up",
    [
        (lambda j: j * np.array([-1.0, -1.0, 1.0]), 1),  # y down (camera-style), turned back
        (lambda j: j[..., [0, 2, 1]] * np.array([1.0, -1.0, 1.0]), 2),  # z up
    ],
)
def test_aistpp_up_axis_found_from_the_skeleton(tmp_path, transform, up):
    joints = transform(coco_dancer())
    clip = load_aistpp(write_pickle(tmp_path / f"{NAME}.pkl", {"keypoints3d_optim": joints}))
    assert clip.up_axis == up
    # the nose above the ankles along +up, and a rotation (no mirror): distances are kept
    assert np.all(clip.joints[:, 0, up] > clip.joints[:, 15, up] + 100)
    d = np.linalg.norm(clip.joints[:, 5] - clip.joints[:, 16], axis=-1)
    np.testing.assert_allclose(d, np.linalg.norm(joints[:, 5] - joints[:, 16], axis=-1), rtol=1e-5)
    assert np.sign(_handedness(clip.joints)) == np.sign(_handedness(joints))


def _handedness(j):
    """Triple product of (right shoulder - left), (nose - ankles), (nose - ears) at frame 0."""
    across = j[0, 6] - j[0, 5]
    up = j[0, 0] - j[0, 15:17].mean(axis=0)
    forward = j[0, 0] - j[0, 3:5].mean(axis=0)
    return float(np.dot(np.cross(across, up), forward))


def test_smpl_motion_pickle_is_refused_clearly(tmp_path):
    p = write_pickle(
        tmp_path / "motions" / f"{NAME}.pkl",
        {
            "smpl_poses": np.zeros((10, 72)),
            "smpl_trans": np.zeros((10, 3)),
            "smpl_scaling": np.array([93.0]),
            "smpl_loss": 0.5,
        },
    )
    with pytest.raises(InputError, match="SMPL body model"):
        load_aistpp(p)


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > pwned.txt",))


def test_pickles_that_are_not_arrays_are_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    p = write_pickle(tmp_path / "evil.pkl", {"keypoints3d": _Evil()})
    with pytest.raises(InputError, match="refusing"):
        load_aistpp(p)
    assert not (tmp_path / "pwned.txt").exists()
    with pytest.raises(InputError, match="no 'keypoints3d'"):
        load_aistpp(write_pickle(tmp_path / "other.pkl", {"poses": np.zeros((3, 17, 3))}))
    with pytest.raises(InputError, match="shape"):
        load_aistpp(write_pickle(tmp_path / "flat.pkl", {"keypoints3d": np.zeros((3, 51))}))
    (tmp_path / "text.pkl").write_text("not a pickle")
    with pytest.raises(InputError):
        load_aistpp(tmp_path / "text.pkl")
    with pytest.raises(InputError, match="no such file"):
        load_aistpp(tmp_path / "missing.pkl")


@pytest.mark.parametrize(
    "music_id, bpm",
    [
        ("mBR0", 80.0),
        ("mBR5", 130.0),
        ("mPO1", 90.0),
        ("mLO2", 100.0),
        ("mMH3", 110.0),
        ("mLH4", 120.0),
        ("mWA5", 130.0),
        ("mKR0", 80.0),
        ("mJS3", 110.0),
        ("mJB1", 90.0),
        ("mHO0", 110.0),
        ("mHO3", 125.0),
        ("mHO5", 135.0),
        ("BR2", 100.0),  # the leading m may be left out
    ],
)
def test_aist_tempo_table(music_id, bpm):
    assert aist_tempo(music_id) == bpm


@pytest.mark.parametrize("bad", ["mXX0", "mBR6", "mBR", "BR", "mbr0", ""])
def test_aist_tempo_rejects_unknown_ids(bad):
    with pytest.raises(ParameterError):
        aist_tempo(bad)


def test_aist_music_id_from_names():
    assert aist_music_id(f"{NAME}.pkl") == "mBR0"
    assert aist_music_id("/x/keypoints3d/gWA_sFM_cAll_d27_mWA2_ch21.pkl") == "mWA2"
    assert aist_music_id("gWA_sFM_c01_d27_mWA2_ch21") == "mWA2"  # a video name
    assert aist_music_id("DANCE_W_1") is None


@pytest.mark.parametrize(
    "title, genre, bpm",
    [
        ("Sugar (Waltz 29bpm).mp3", "waltz", 87.0),  # bars a minute for a waltz
        ("03 SW-29-Writings On The Wall", "waltz", 87.0),
        ("Some Cha 120 BPM", "chacha", 120.0),
        ("Fast Waltz 174bpm", "waltz", 174.0),  # already beats
        ("03 SW-29-Writings On The Wall", "rumba", None),  # SW is a waltz tag only
        ("Another Day of Sun", "chacha", None),
        ("华尔兹-04.mp3", "waltz", None),
    ],
)
def test_title_tempo(title, genre, bpm):
    assert parse_title_tempo(title, genre=genre) == bpm


def write_dwm(folder, *, n=50, genre="waltz", title="Song (Waltz 29bpm)", audio=True):
    folder.mkdir(parents=True)
    np.savez(folder / "motion.npz", joints=np.zeros((n, 23, 3), np.float32), fps=np.array(25))
    (folder / "meta.json").write_text(json.dumps({"genre": genre, "song_title_tag": title}))
    if audio:
        (folder / "audio.ogg").write_bytes(b"OggS")
    return folder


def test_find_motions_in_both_layouts(tmp_path):
    dwm = tmp_path / "dwm"
    a = write_dwm(dwm / "DANCE_W_1")
    b = write_dwm(dwm / "DANCE_C_2")
    aist = tmp_path / "aist_plusplus_final"
    k1 = write_pickle(aist / "keypoints3d" / f"{NAME}.pkl", {"keypoints3d": coco_dancer(5)})
    k2 = write_pickle(
        aist / "keypoints3d" / "gWA_sFM_cAll_d27_mWA2_ch21.pkl", {"keypoints3d": coco_dancer(5)}
    )
    write_pickle(aist / "motions" / f"{NAME}.pkl", {"smpl_poses": np.zeros((5, 72))})
    write_pickle(aist / "keypoints2d" / f"{NAME}.pkl", {"keypoints2d": np.zeros((9, 5, 17, 3))})
    assert find_motions(dwm) == sorted([a, b])
    assert find_motions(aist) == sorted([k1, k2])
    assert find_motions(aist / "keypoints3d") == sorted([k1, k2])
    assert find_motions(tmp_path) == sorted([a, b, k1, k2])
    assert find_motions(k1) == [k1]
    assert find_motions(tmp_path / "dwm" / "DANCE_W_1") == [a]
    (tmp_path / "empty").mkdir()
    assert find_motions(tmp_path / "empty") == []
    with pytest.raises(InputError):
        find_motions(tmp_path / "nowhere")


def test_load_motion_dispatches_by_path(tmp_path):
    d = write_dwm(tmp_path / "DANCE_W_1")
    k = write_pickle(tmp_path / f"{NAME}.pkl", {"keypoints3d": coco_dancer(5)})
    for p, skeleton in ((d, "dwm23"), (d / "motion.npz", "dwm23"), (k, "coco17")):
        assert is_motion_path(p)
        assert load_motion(p).skeleton == skeleton
    clip = load_motion(d)
    assert clip.fps == 25.0 and clip.label == "waltz" and clip.tempo_bpm == 87.0
    assert clip.music == d / "audio.ogg"
    (tmp_path / "notes.txt").write_text("x")
    assert not is_motion_path(tmp_path / "notes.txt")
    with pytest.raises(InputError, match="not a motion file"):
        load_motion(tmp_path / "notes.txt")
    with pytest.raises(InputError, match="without motion.npz"):
        load_motion(tmp_path)
    with pytest.raises(InputError, match="no such"):
        load_motion(tmp_path / "gone.npz")


def test_npz_without_music_or_meta_and_bad_npz(tmp_path):
    p = tmp_path / "mine.npz"
    joints = np.random.default_rng(0).normal(size=(10, 17, 3)).astype(np.float32)
    np.savez(p, joints=joints, fps=60.0, up_axis=2)
    clip = load_dwm_motion(p)
    assert clip.music is None and clip.label is None and clip.tempo_bpm is None
    assert clip.skeleton == "coco17" and clip.up_axis == 2 and clip.fps == 60.0
    np.savez(tmp_path / "nofps.npz", joints=joints)
    with pytest.raises(InputError, match="'joints' and 'fps'"):
        load_dwm_motion(tmp_path / "nofps.npz")
    np.savez(tmp_path / "flat.npz", joints=np.zeros((10, 51)), fps=25)
    with pytest.raises(InputError, match="shape"):
        load_dwm_motion(tmp_path / "flat.npz")
    (tmp_path / "fake.npz").write_text("not a zip")
    with pytest.raises(InputError):
        load_dwm_motion(tmp_path / "fake.npz")


# --- real data ------------------------------------------------------------------------------


def test_dwm_dance_loads(shared_data):
    d = shared_data / "dwm" / "DANCE_W_1"
    clip = load_dwm_motion(d)
    assert clip.joints.shape == (1430, 23, 3) and clip.joints.dtype == np.float32
    assert clip.fps == 25.0 and clip.up_axis == 1 and clip.skeleton == "dwm23"
    assert clip.label == "waltz"
    assert clip.tempo_bpm == 87.0  # "Sugar (Waltz 29bpm).mp3"
    assert clip.music == d / "audio.ogg" and clip.music.is_file()
    assert len(find_motions(shared_data / "dwm")) == 35


def test_dwm_feet_are_the_lowest_joint_of_each_leg(shared_data):
    legs = [(7, 8, 9, 10, 11), (16, 17, 18, 19, 20)]
    for name in ("DANCE_W_1", "DANCE_C_2", "DANCE_R_3"):
        j = load_dwm_motion(shared_data / "dwm" / name).joints
        low = np.quantile(j[:, :, 1], 0.05, axis=0)
        for leg, foot in zip(legs, FOOT_JOINTS["dwm23"], strict=True):
            assert leg[int(np.argmin(low[list(leg)]))] == foot
