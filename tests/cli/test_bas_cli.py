"""`mudar bas` on a real dwm dance, a synthetic motion.npz with its wav, a video, and bad input:
JSON keys fixed, the score where it should be, one clean error line and exit status 2."""

import json
import pickle

import numpy as np
import pytest

from mudar.cli.main import main
from mudar.io.write import write_audio
from mudar.synthetic.video import synth_music

KEYS = {
    "file",
    "music",
    "n_motion_beats",
    "n_music_beats",
    "sigma_s",
    "bas_motion",
    "bas_music",
    "fps",
    "motion_method",
    "duration_s",
    "music_tempo_bpm",
    "music_tempo_alternatives",
    "feedback",
}


def run_cli(capsys, *argv):
    code = main(["bas", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def bas_json(capsys, *argv):
    code, out, err = run_cli(capsys, *argv, "--json")
    assert code == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 1
    r = json.loads(lines[0])
    assert set(r) == KEYS
    return r


@pytest.fixture
def tiny_dance(tmp_path):
    """A 6 s motion.npz whose arm turns on each beat of a 100 BPM drum wav written beside it."""
    y, _ = synth_music(tempo_bpm=100.0, duration_s=6.0, sr=22050, offset_s=0.3)
    write_audio(tmp_path / "drums.wav", y, sr=22050)
    fps = 30.0
    t = np.arange(round(6.0 * fps)) / fps
    phase = np.pi * (t - 0.3) / 0.6
    root = np.stack([20 * t, 95 + 0 * t, 5 * t], axis=1)
    arm = np.stack([35 * np.cos(phase), 0 * t, 15 * np.cos(phase)], axis=1)
    joints = np.stack([root, root + arm], axis=1).astype(np.float32)
    np.savez(tmp_path / "motion.npz", joints=joints, fps=np.array(fps))
    return tmp_path / "motion.npz", tmp_path / "drums.wav"


def test_dwm_dance(capsys, shared_data):
    d = shared_data / "dwm" / "DANCE_W_1"
    r = bas_json(capsys, d)
    assert r["file"] == str(d) and r["music"] == str(d / "audio.ogg")
    assert r["fps"] == 25.0 and r["motion_method"] == "kinematic" and r["sigma_s"] == 0.1
    assert r["n_motion_beats"] > 40 and r["n_music_beats"] > 40
    assert 0 < r["bas_motion"] < 1 and 0 < r["bas_music"] < 1
    # the same through the npz, and the AIST++ kernel width
    assert bas_json(capsys, d / "motion.npz")["bas_motion"] == r["bas_motion"]
    assert bas_json(capsys, d, "--sigma", "0.05")["sigma_s"] == 0.05


def test_tiny_motion_with_music(capsys, tiny_dance):
    motion, music = tiny_dance
    r = bas_json(capsys, motion, "--music", music)
    assert r["music"] == str(music) and r["fps"] == 30.0
    # every beat is danced: the 10 kicks at 0.3 + 0.6 k s are tracked (librosa's trim left out
    # the first, and the motion's first stop then scored about 0)
    assert r["bas_music"] > 0.95
    assert r["n_motion_beats"] == 10 and r["n_music_beats"] == 10
    assert r["bas_motion"] > 0.95
    assert r["music_tempo_bpm"] == pytest.approx(100.0, rel=0.01)
    only = bas_json(capsys, motion, "--music", music, "--form", "music")
    assert only["bas_motion"] is None and only["bas_music"] == r["bas_music"]


def test_text_output(capsys, tiny_dance):
    motion, music = tiny_dance
    code, out, err = run_cli(capsys, motion, "--music", music)
    assert code == 0, err
    assert "BAS (sigma 0.1 s)" in out and "kinematic at 30 fps" in out
    assert "  on the beat: " in out and "accents were on the beat (within 70 ms)" in out


def test_video(capsys, dance_clip, tmp_path):
    png = tmp_path / "plots" / "feedback.png"
    r = bas_json(capsys, dance_clip.path, "--method", "hoof-flux", "--plot", png)
    assert r["motion_method"] == "hoof-flux" and r["fps"] == 8.0
    assert r["music"] == str(dance_clip.path)
    fb = r["feedback"]
    assert fb["summary"]["n_accents"] > 0 and len(fb["offsets"]) == fb["summary"]["n_accents"]
    assert {"time_s", "beat_s", "offset_s"} == set(fb["offsets"][0])
    # the picture: a real figure, not an empty canvas
    import matplotlib.image

    assert png.stat().st_size > 20_000
    img = matplotlib.image.imread(png)
    assert img.shape[0] > 300 and img.shape[1] > 1000
    assert img[..., :3].std() > 0.05  # dots, band, histogram and text on white
    assert list(png.parent.iterdir()) == [png]  # nothing half-written beside it


def one_error(capsys, *argv, match):
    code, out, err = run_cli(capsys, *argv)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mudar: error: "), err
    assert match in lines[0]


def test_bad_input(capsys, tmp_path, tiny_dance, audio_wav):
    motion, music = tiny_dance
    one_error(capsys, tmp_path / "gone.npz", match="no such")
    one_error(capsys, motion, match="--music")  # no audio.ogg beside it
    one_error(capsys, audio_wav, match="no video stream")
    one_error(capsys, motion, "--music", tmp_path / "gone.wav", match="no such file")
    one_error(capsys, motion, "--music", music, "--sigma", "0", match="sigma")
    with open(tmp_path / "gBR_sBM_cAll_d04_mBR0_ch01.pkl", "wb") as f:
        pickle.dump({"smpl_poses": np.zeros((4, 72)), "smpl_trans": np.zeros((4, 3)),
                     "smpl_scaling": np.ones(1)}, f)  # fmt: skip
    one_error(capsys, tmp_path / "gBR_sBM_cAll_d04_mBR0_ch01.pkl", match="SMPL body model")
    (tmp_path / "empty").mkdir()
    one_error(capsys, tmp_path / "empty", match="without motion.npz")
    one_error(capsys, motion, "--plot", tmp_path / "f.png", match="--music")
    assert not (tmp_path / "f.png").exists()


def test_a_videos_accents_are_named_in_words(capsys, dance_clip):
    code, out, err = run_cli(capsys, str(dance_clip.path), "--method", "motion-energy")
    assert code == 0, err
    assert "motion beats: motion-energy (the moments the picture stops moving) at 8 fps" in out


def test_the_text_names_the_half_tempo_of_a_breakbeat(capsys, tiny_dance):
    motion, _ = tiny_dance
    y, _ = synth_music(
        tempo_bpm=80.0, duration_s=6.0, sr=22050, accents=False, tonal_bed=False, hat_gain=1.3
    )
    write_audio(motion.parent / "break.wav", y, sr=22050)
    code, out, err = run_cli(capsys, motion, "--music", motion.parent / "break.wav")
    assert code == 0, err
    assert "BPM (or 80." in out, out
