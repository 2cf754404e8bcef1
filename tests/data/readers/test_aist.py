"""An AIST++ tree as it ships, on a tiny fake one: discovery, ignore list, official splits, genres,
keypoints, and the videos `mudar prepare` makes of it (rendered keypoints, or a camera's video
with the wav as its sound)."""

import shutil

import numpy as np
import pytest

from aist_factory import IGNORED, LOCKED, SEQUENCES, SHIFTED, make_aist_tree
from mudar.data.clips.clipset import choose_split
from mudar.data.readers.aist import (
    AistSequence,
    aist_genre,
    is_aist_tree,
    load_sequence,
    read_aist_tree,
    read_names,
)
from mudar.data.readers.dataset import find_videos
from mudar.data.readers.keypoints import MotionClip
from mudar.data.store.aist_media import aist_items, render_sequence, upright_joints
from mudar.errors import InputError, ParameterError
from mudar.io import probe
from mudar.io.audio import load_audio
from mudar.io.write import write_video


@pytest.fixture(scope="module")
def tree_root(tmp_path_factory):
    return make_aist_tree(tmp_path_factory.mktemp("aist"))


def copy_tree(src, dst):
    shutil.copytree(src, dst)
    return dst


def test_discovery_ignore_list_genres_and_music(tree_root):
    assert is_aist_tree(tree_root) and not is_aist_tree(tree_root / "wav")
    tree = read_aist_tree(tree_root)
    names = [s.name for s in tree.sequences]
    assert names == sorted(n for n in SEQUENCES if n != IGNORED)
    assert tree.ignored == [IGNORED] and tree.skipped == [] and not tree.has_videos
    seq = {s.name: s for s in tree.sequences}[LOCKED]
    assert seq.genre == "break" and seq.music_id == "mBR0"
    assert seq.music == tree_root / "wav" / "mBR0.wav"
    assert seq.keypoints == tree_root / "keypoints3d" / f"{LOCKED}.pkl"
    assert {s.genre for s in tree.sequences} == {"break", "pop", "lock", "house"}
    assert seq.video(tree_root, "c03").name == "gBR_sBM_c03_d04_mBR0_ch01.mp4"


def test_official_splits(tree_root):
    tree = read_aist_tree(tree_root)
    assert set(tree.splits) == {"crossmodal_train", "crossmodal_val", "crossmodal_test"}
    by = {part: [s.name for s in tree.select(part)] for part in ("train", "val", "test")}
    assert by["test"] == [SHIFTED] and by["val"] == ["gLO_sBM_cAll_d06_mLO2_ch03"]
    assert IGNORED not in by["train"] and len(by["train"]) == 2  # ignored even when listed
    assert len(tree.select(None)) == len(tree.select("all")) == 4
    with pytest.raises(ParameterError, match="split must be"):
        tree.select("nope")


def test_split_files_without_test_and_names_of_videos(tree_root, tmp_path):
    root = copy_tree(tree_root, tmp_path / "t")
    (root / "splits" / "crossmodal_test.txt").unlink()
    (root / "ignore_list.txt").write_text("# unusable\ngWA_sBM_c05_d08_mWA0_ch05\n\n")
    tree = read_aist_tree(root)
    assert tree.ignored == [IGNORED]  # a camera's video name stands for its sequence
    with pytest.raises(ParameterError, match="crossmodal_test"):
        tree.select("test")
    assert read_names(root / "ignore_list.txt") == [IGNORED]


def test_load_sequence_keypoints(tree_root):
    seq = {s.name: s for s in read_aist_tree(tree_root).sequences}[LOCKED]
    clip = load_sequence(seq)
    assert isinstance(clip, MotionClip)
    assert clip.joints.shape == (360, 17, 3) and clip.fps == 60.0 and clip.skeleton == "coco17"
    assert clip.label == "break" and clip.music == seq.music and clip.tempo_bpm == 80.0
    assert clip.up_axis == 1


def test_bad_trees(tree_root, tmp_path):
    with pytest.raises(InputError, match="not an AIST"):
        read_aist_tree(tree_root / "wav")
    with pytest.raises(InputError, match="not a directory"):
        read_aist_tree(tmp_path / "gone")
    root = copy_tree(tree_root, tmp_path / "t")
    (root / "wav" / "mPO1.wav").unlink()
    (root / "keypoints3d" / "notes.pkl").write_bytes(b"x")
    tree = read_aist_tree(root)
    reasons = dict(tree.skipped)
    assert "mPO1" in reasons[str(root / "keypoints3d" / "gPO_sBM_cAll_d05_mPO1_ch02.pkl")]
    assert "not an AIST++ sequence name" in reasons[str(root / "keypoints3d" / "notes.pkl")]
    assert len(tree.sequences) == 3
    shutil.rmtree(root / "wav")
    with pytest.raises(InputError, match="no usable AIST.. sequence .*no music file"):
        read_aist_tree(root)


def test_corrupt_pickle_is_an_input_error(tree_root, tmp_path):
    bad = tmp_path / "keypoints3d" / LOCKED
    bad.parent.mkdir()
    bad = bad.with_suffix(".pkl")
    bad.write_bytes(b"\x80\x04not a pickle")
    seq = AistSequence(LOCKED, bad, "mBR0", tree_root / "wav" / "mBR0.wav", "break")
    with pytest.raises(InputError, match="not an AIST.. pickle"):
        load_sequence(seq)


def test_upright_joints_turns_z_up_and_puts_the_floor_at_zero(tree_root):
    seq = read_aist_tree(tree_root).sequences[0]
    clip = load_sequence(seq)
    y_up = upright_joints(clip)
    assert np.percentile(y_up[:, 15:17, 1].min(axis=1), 2) == pytest.approx(8.0)
    j = clip.joints.astype(np.float64)
    z_up = np.stack([j[..., 0], -j[..., 2], j[..., 1]], axis=-1)  # the same dance, z up
    clip2 = MotionClip(z_up, fps=60.0, up_axis=2, skeleton="coco17", source="x")
    np.testing.assert_allclose(upright_joints(clip2), y_up, atol=1e-9)


def test_render_sequence_is_a_dance_video_with_its_music(tree_root, tmp_path):
    seq = {s.name: s for s in read_aist_tree(tree_root).sequences}[LOCKED]
    out = render_sequence(seq, tmp_path / "v.mp4")
    info = probe(out)
    assert info.has_video and info.has_audio
    assert (info.width, info.height) == (160, 160)
    assert info.duration_s == pytest.approx(6.0, abs=0.1)
    # the music at offset 0: the sound is the wav's first 6 s
    wav = load_audio(seq.music, sr=16000)[: 6 * 16000]
    snd = load_audio(out, sr=16000)[: len(wav)]
    n = min(len(wav), len(snd))
    assert np.corrcoef(wav[:n], snd[:n])[0, 1] > 0.9


def test_camera_videos_get_the_wav_as_their_sound(tree_root, tmp_path):
    root = copy_tree(tree_root, tmp_path / "t")
    (root / "videos").mkdir()
    frames = [np.full((64, 64, 3), 40 + 20 * (k % 5), np.uint8) for k in range(150)]
    for name in SEQUENCES:
        if name != SHIFTED:  # camera c01 of one sequence is missing
            video = root / "videos" / f"{name.replace('cAll', 'c01')}.mp4"
            write_video(video, frames, fps=25.0)
    items, skipped = aist_items(root, tmp_path / "feat", camera="c01")
    assert [it.id for it in items] == sorted(n for n in SEQUENCES if n not in (IGNORED, SHIFTED))
    assert [p for p, _ in skipped] == [str(root / "keypoints3d" / f"{SHIFTED}.pkl")]
    assert "no video gHO_sBM_c01_d07_mHO5_ch04.mp4 of camera c01" in skipped[0][1]
    it = items[0]
    assert it.path.parent == tmp_path / "feat" / "media" / "c01"
    assert it.label == "break" and it.split == "train"
    info = probe(it.path)
    assert info.has_audio and info.duration_s == pytest.approx(6.0, abs=0.1)
    # AIST++ names label the videos anywhere (mudar embed, mudar classify on a folder)
    found = {v.path.name: v.label for v in find_videos(root / "videos")}
    assert found["gBR_sBM_c01_d04_mBR0_ch01.mp4"] == "break" and len(found) == 4
    assert aist_genre("gJB_sFM_cAll_d09_mJB5_ch10") == "ballet jazz" and aist_genre("x.mp4") is None


def test_choose_split():
    items = [
        {"id": "a", "split": "train"},
        {"id": "b", "split": "train"},
        {"id": "c", "split": "val"},
        {"id": "d", "split": "test"},
        {"id": "e"},
    ]
    assert choose_split(items, "auto", 0.25, 0) == (["a", "b"], ["c"], "official")
    assert choose_split(items, "official", 0.25, 0)[:2] == (["a", "b"], ["c"])
    train, val, used = choose_split(items, "random", 0.4, 0)
    assert used == "random" and sorted(train + val) == list("abcde")
    plain = [{"id": i} for i in "abcd"]
    assert choose_split(plain, "auto", 0.25, 0)[2] == "random"
    with pytest.raises(ParameterError, match="official split"):
        choose_split(plain, "official", 0.25, 0)
    with pytest.raises(ParameterError, match="split must be"):
        choose_split(plain, "nope", 0.25, 0)
    with pytest.raises(InputError, match="no training video"):
        choose_split([{"id": "d", "split": "test"}], "official", 0.25, 0)
