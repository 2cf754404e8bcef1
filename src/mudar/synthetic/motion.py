"""Synthetic dances as 3-D keypoints on a click track, in the dwm layout, for tests and demos.

The music is :func:`mudar.synthetic.video.synth_music` (a kick on every beat, louder on the
downbeats, off-beat hi-hats, a chord bed). The dancer is a 23-joint skeleton in the ``dwm23``
layout (y up, centimetres) that marks every beat in three ways:

- the arms swing from one key pose to the other and back, ``s = (1 - cos(pi b)) / 2`` with
  ``b`` the fractional beat index: they stop and turn round exactly on each beat, so the mean
  joint speed has its minima (the kinematic beats) on the beats;
- the body bobs and both feet lift between beats, ``h = H sin^2(pi b)``: the feet are on the
  floor and still around each beat (foot contact) and in the air between them;
- downbeats get a wider arm swing.

Everything is seeded from ``(seed, i)``: the same arguments give the same files.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mudar.errors import ParameterError
from mudar.io.write import write_audio
from mudar.synthetic.video import synth_music

# rest pose of the dwm23 skeleton, centimetres, x to the side, y up, z forward
# (joints: head 0-1, waist 2, arm 3-6, hip-knee-ankle-heel-toe 7-11, arm 12-15, leg 16-20,
# 21-22 the hands' far ends)
REST_POSE = np.array(
    [
        [0, 170, 0],
        [0, 164, 5],
        [0, 115, 0],
        [-18, 148, 0],
        [-22, 122, 0],
        [-24, 98, 0],
        [-25, 90, 0],
        [-10, 105, 0],
        [-11, 55, 0],
        [-12, 12, 0],
        [-12, 6, -4],
        [-12, 2, 14],
        [18, 148, 0],
        [22, 122, 0],
        [24, 98, 0],
        [25, 90, 0],
        [10, 105, 0],
        [11, 55, 0],
        [12, 12, 0],
        [12, 6, -4],
        [12, 2, 14],
        [-25, 84, 3],
        [25, 84, 3],
    ],
    dtype=np.float64,
)
ARM_A = (4, 5, 6, 21)
ARM_B = (13, 14, 15, 22)
LEG_A = (9, 10, 11)
LEG_B = (18, 19, 20)
GENRES = {"waltz": ((84.0, 100.0), 3), "chacha": ((112.0, 128.0), 4), "rumba": ((96.0, 108.0), 4)}
"""Genre -> (tempo range, BPM; beats per bar) of :func:`make_motion_dataset`."""


@dataclass
class SyntheticDance:
    """One synthetic dance and its ground truth.

    Attributes
    ----------
    folder : Path
        ``DANCE_<id>/`` with ``motion.npz``, ``audio.ogg`` and ``meta.json``.
    joints : np.ndarray, float32, shape (T, 23, 3)
    fps : float
    beat_times : np.ndarray, float64, shape (k,)
        Music beats, seconds; the dancer's beats are the same.
    tempo_bpm : float
    beats_per_bar : int
    genre : str
    """

    folder: Path
    joints: np.ndarray = field(repr=False)
    fps: float
    beat_times: np.ndarray = field(repr=False)
    tempo_bpm: float
    beats_per_bar: int
    genre: str


def dance_joints(
    beat_times: np.ndarray,
    *,
    n_frames: int,
    fps: float,
    beats_per_bar: int = 4,
    arm_cm: float = 30.0,
    hop_cm: float = 8.0,
    rng: np.random.Generator | None = None,
    noise_cm: float = 0.2,
) -> np.ndarray:
    """Joint positions of a dancer who marks every beat (see the module notes).

    Parameters
    ----------
    beat_times : np.ndarray, shape (k,)
        Beats, seconds, at least two.
    n_frames : int
    fps : float
    beats_per_bar : int
        Downbeats (beats ``0, m, 2m, ...``) get a 1.5 times wider swing.
    arm_cm, hop_cm : float
        Arm swing and hop height, centimetres.
    rng : np.random.Generator, optional
        For the measurement noise.
    noise_cm : float
        Standard deviation of white noise added to every coordinate, centimetres.

    Returns
    -------
    np.ndarray, float32, shape (n_frames, 23, 3)

    Raises
    ------
    ParameterError
        Fewer than two beats, or a setting out of range.
    """
    beats = np.asarray(beat_times, dtype=np.float64)
    if len(beats) < 2 or n_frames < 1 or not fps > 0 or beats_per_bar < 1:
        raise ParameterError("need two beats or more, n_frames >= 1, fps > 0, beats_per_bar >= 1")
    t = np.arange(n_frames) / fps
    period = float(np.median(np.diff(beats)))
    b = np.interp(t, beats, np.arange(len(beats), dtype=np.float64))
    b = np.where(t < beats[0], (t - beats[0]) / period, b)
    b = np.where(t > beats[-1], len(beats) - 1 + (t - beats[-1]) / period, b)
    k = np.floor(b).astype(np.int64)
    u = b - k

    # the arms reach an extreme on every beat, alternately forward and back, further on the
    # downbeats, and ease between extremes: still on the beats, fastest between them
    def extreme(i: np.ndarray) -> np.ndarray:
        wide = np.where(np.mod(i, beats_per_bar) == 0, 1.5, 1.0)
        return np.where(np.mod(i, 2) == 0, -0.5, 0.5) * wide * arm_cm

    ease = (1 - np.cos(np.pi * u)) / 2
    swing = extreme(k) + (extreme(k + 1) - extreme(k)) * ease
    lift = np.sin(np.pi * b) ** 2  # 0 on the beats, 1 between
    j = np.repeat(REST_POSE[None], n_frames, axis=0)
    for arm, side in ((ARM_A, -1.0), (ARM_B, 1.0)):
        j[:, list(arm), 2] += swing[:, None]  # forward and back
        j[:, list(arm), 1] += (0.5 * side * swing)[:, None]  # and up and down
    j[:, :, 1] += (0.5 * hop_cm * lift)[:, None]  # the body bobs
    for leg in (LEG_A, LEG_B):
        j[:, list(leg), 1] += (0.5 * hop_cm * lift)[:, None]  # feet leave the floor
    if rng is not None and noise_cm > 0:
        j += rng.normal(0.0, noise_cm, size=j.shape)
    return j.astype(np.float32)


def make_motion_dance(
    folder: str | os.PathLike,
    *,
    tempo_bpm: float,
    duration_s: float,
    fps: float = 25.0,
    beats_per_bar: int = 4,
    genre: str = "synthetic",
    offset_s: float = 0.2,
    sr: int = 22050,
    seed: int = 0,
) -> SyntheticDance:
    """Write one synthetic dance in the dwm layout.

    Files: ``motion.npz`` (``joints`` float32 (T, 23, 3), ``fps``), ``audio.ogg`` (the music,
    t = 0 at motion frame 0), ``meta.json`` (id, genre, fps, n_frames, duration_s,
    ``song_title_tag`` "<genre> <tempo> bpm", beat_times, beats_per_bar).

    Parameters
    ----------
    folder : path-like
        Created if missing.
    tempo_bpm, duration_s, fps : float
    beats_per_bar : int
    genre : str
    offset_s : float
        First beat, seconds.
    sr : int
        Audio sample rate, Hz.
    seed : int

    Returns
    -------
    SyntheticDance
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    y, beats = synth_music(
        tempo_bpm=tempo_bpm,
        duration_s=duration_s,
        sr=sr,
        beats_per_bar=beats_per_bar,
        offset_s=offset_s,
        seed=seed,
    )
    n = int(np.floor(duration_s * fps + 1e-6))
    rng = np.random.default_rng([seed, 1])
    joints = dance_joints(beats, n_frames=n, fps=fps, beats_per_bar=beats_per_bar, rng=rng)
    np.savez(folder / "motion.npz", joints=joints, fps=np.float32(fps))
    write_audio(folder / "audio.ogg", y, sr=sr)
    meta = {
        "id": folder.name,
        "genre": genre,
        "fps": fps,
        "n_frames": n,
        "duration_s": round(n / fps, 3),
        "song_title_tag": f"{genre} {tempo_bpm:g} bpm",
        "beat_times": [round(float(b), 4) for b in beats],
        "beats_per_bar": beats_per_bar,
    }
    (folder / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return SyntheticDance(folder, joints, fps, beats, float(tempo_bpm), beats_per_bar, genre)


def make_motion_dataset(
    out_dir: str | os.PathLike,
    *,
    n: int = 4,
    seed: int = 0,
    duration_s: float = 8.0,
    fps: float = 25.0,
) -> list[SyntheticDance]:
    """Write ``n`` synthetic dances ``DANCE_S_<i>/`` of the genres of :data:`GENRES` in turn.

    Dance ``i`` has a tempo drawn from its genre's range and a first beat in 0.1-0.5 s, seeded
    from ``(seed, i)``.

    Parameters
    ----------
    out_dir : path-like
        Created if missing.
    n : int
        ``>= 1``.
    seed : int
    duration_s, fps : float

    Returns
    -------
    list of SyntheticDance
    """
    if n < 1:
        raise ParameterError(f"n must be at least 1, got {n}")
    names = sorted(GENRES)
    out = []
    for i in range(n):
        genre = names[i % len(names)]
        (lo, hi), bpb = GENRES[genre]
        rng = np.random.default_rng([seed, i])
        out.append(
            make_motion_dance(
                Path(out_dir) / f"DANCE_S_{i}",
                tempo_bpm=float(np.round(rng.uniform(lo, hi), 1)),
                duration_s=duration_s,
                fps=fps,
                beats_per_bar=bpb,
                genre=genre,
                offset_s=float(np.round(rng.uniform(0.1, 0.5), 3)),
                seed=seed * 1000 + i,
            )
        )
    return out
