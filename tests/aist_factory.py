"""A tiny fake AIST++ tree, laid out as AIST++ ships it, with known beat-locked dances.

Each sequence is a COCO-17 figure (y up, centimetres, 60 fps) whose arms swing and knees bend
as ``cos(pi (t - t0) / beat)``: every joint stops at ``t0 + k * beat``. The music of its id is a
drum track at the id's AIST tempo (:func:`mudar.data.readers.keypoints.aist_tempo`) with its first
beat
at ``OFFSET_S``. A locked sequence has ``t0 = OFFSET_S`` (it stops on every beat); the shifted
control has ``t0`` half a beat later (it stops between the beats).
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from mudar.data.readers.keypoints import aist_tempo
from mudar.io.write import write_audio
from mudar.synthetic.video import synth_music

FPS = 60.0
SR = 22050
OFFSET_S = 0.2

# COCO-17 rest pose, centimetres, y up: nose, eyes, ears, shoulders, elbows, wrists, hips,
# knees, ankles (left side at +x)
REST = np.array(
    [
        [0, 165, 8],
        [3, 168, 6],
        [-3, 168, 6],
        [7, 165, 0],
        [-7, 165, 0],
        [18, 145, 0],
        [-18, 145, 0],
        [22, 118, 0],
        [-22, 118, 0],
        [26, 92, 0],
        [-26, 92, 0],
        [10, 95, 0],
        [-10, 95, 0],
        [10, 52, 0],
        [-10, 52, 0],
        [10, 8, 0],
        [-10, 8, 0],
    ],
    dtype=np.float64,
)

# name -> (official split or None, locked?)
SEQUENCES = {
    "gBR_sBM_cAll_d04_mBR0_ch01": ("train", True),
    "gPO_sBM_cAll_d05_mPO1_ch02": ("train", True),
    "gLO_sBM_cAll_d06_mLO2_ch03": ("val", True),
    "gHO_sBM_cAll_d07_mHO5_ch04": ("test", False),  # the shifted control
    "gWA_sBM_cAll_d08_mWA0_ch05": ("train", True),  # in the ignore list
}
IGNORED = "gWA_sBM_cAll_d08_mWA0_ch05"
LOCKED = "gBR_sBM_cAll_d04_mBR0_ch01"
SHIFTED = "gHO_sBM_cAll_d07_mHO5_ch04"


def dance_keypoints(*, beat_s: float, t0: float, duration_s: float) -> np.ndarray:
    """(T, 17, 3) keypoints whose limbs stop at ``t0 + k * beat_s``, centimetres, 60 fps."""
    t = np.arange(round(duration_s * FPS)) / FPS
    c = np.cos(np.pi * (t - t0) / beat_s)
    k = np.repeat(REST[None], len(t), axis=0)
    for j, side in ((7, 1), (9, 1), (8, -1), (10, -1)):  # arms swing forward and out
        reach = 1.0 if j in (9, 10) else 0.5
        k[:, j, 2] += 30 * reach * c
        k[:, j, 0] += side * 12 * reach * c
        k[:, j, 1] += 10 * reach * c
    for j in (13, 14):  # knees forward
        k[:, j, 2] += 10 * c
    k[:, :15, 1] -= 4 * (1 + c)[:, None]  # a small bounce, feet on the floor
    return k


def write_pickle(path: Path, keypoints: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        pickle.dump({"keypoints3d": keypoints, "keypoints3d_optim": keypoints}, f)


def make_aist_tree(root: Path, *, duration_s: float = 6.0) -> Path:
    """Write the tree of :data:`SEQUENCES` under ``root``; returns ``root``."""
    for name, (_, locked) in SEQUENCES.items():
        music_id = name.split("_")[4]
        beat = 60.0 / aist_tempo(music_id)
        t0 = OFFSET_S if locked else OFFSET_S + beat / 2
        write_pickle(
            root / "keypoints3d" / f"{name}.pkl",
            dance_keypoints(beat_s=beat, t0=t0, duration_s=duration_s),
        )
        wav = root / "wav" / f"{music_id}.wav"
        if not wav.exists() and name != IGNORED:
            y, _ = synth_music(
                tempo_bpm=aist_tempo(music_id),
                duration_s=duration_s + 2.0,  # AIST music runs past the dance
                sr=SR,
                offset_s=OFFSET_S,
                tonal_bed=False,
            )
            wav.parent.mkdir(parents=True, exist_ok=True)
            write_audio(wav, y, sr=SR)
    (root / "splits").mkdir(parents=True, exist_ok=True)
    for part in ("train", "val", "test"):
        names = [n for n, (s, _) in SEQUENCES.items() if s == part]
        (root / "splits" / f"crossmodal_{part}.txt").write_text("\n".join(names))
    (root / "ignore_list.txt").write_text(IGNORED + "\n")
    return root
