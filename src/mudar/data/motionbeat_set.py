"""MotionBeat's training clips: music rows, motion, contacts, kinematic beats and hard negatives.

A dance (a dwm-style folder: ``motion.npz`` and the music ``audio.ogg``, t = 0 at motion frame
0; see :func:`mudar.data.keypoints.load_dwm_motion`) becomes, once, on the model's frame clock
(:func:`prepare_dance`):

- the music features of the whole song (:func:`mudar.features.music.music_features`);
- the joints, root-relative and scale-normalised with the height kept
  (:func:`mudar.features.kinematic.normalize_motion`, ``keep_height=True``: the rise and fall
  of the body marks the beat in many dances), resampled to the clock (:func:`resample_motion`);
- the foot-contact probability (the most planted foot, :func:`foot_contacts` at the motion's
  own frame rate, then resampled) and the kinematic beats (:func:`kinematic_beats`, seconds,
  put on their nearest frame).

These are cached per dance in an ``.npz`` (:class:`DanceCache`, keyed by the files' contents and
every setting that changes them), so a second run, or a resumed one, does not recompute them;
within a run every dance is held in memory and clips are cut on the fly.

An item of :class:`MotionBeatSet` is a clip of ``clip_s`` seconds (sliding windows of
``clip_hop_s``) with its hard negatives, drawn from ``rng_for(seed, epoch, index)``.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from mudar.data.cache import content_hash, save_npz
from mudar.data.clips import sliding_windows
from mudar.data.clipset import audio_input
from mudar.data.motionbeat_negatives import hard_negatives, normalise_rows
from mudar.data.sampling import rng_for
from mudar.errors import InputError, MudarError, ParameterError
from mudar.features.music import MusicFeatures

CACHE_VERSION = 1


def resample_motion(
    x: np.ndarray, *, fps_in: float, fps_out: float, n_frames: int | None = None
) -> np.ndarray:
    """Resample a motion (or any per-frame series) to another frame rate.

    Output frame ``k`` is at ``k / fps_out`` seconds and takes the linear interpolation of the
    input frames around it (input frame ``i`` at ``i / fps_in``); beyond the last input frame
    the last value is repeated.

    Parameters
    ----------
    x : np.ndarray, shape (T_in, ...)
    fps_in, fps_out : float
        Frames per second.
    n_frames : int, optional
        Output frames; default the whole frames of the input's duration at ``fps_out``.

    Returns
    -------
    np.ndarray, float32, shape (n_frames, ...)

    Raises
    ------
    ParameterError
        If a rate is not positive or ``x`` is empty.
    """
    x = np.asarray(x)
    if not (fps_in > 0 and fps_out > 0) or x.shape[0] == 0:
        raise ParameterError(
            f"need positive rates and a non-empty series, got {fps_in}, {fps_out}, {x.shape}"
        )
    n = int(np.floor(x.shape[0] / fps_in * fps_out + 1e-6)) if n_frames is None else n_frames
    pos = np.arange(n, dtype=np.float64) * fps_in / fps_out
    lo = np.clip(np.floor(pos).astype(np.int64), 0, x.shape[0] - 1)
    hi = np.clip(lo + 1, 0, x.shape[0] - 1)
    w = np.clip(pos - lo, 0, 1).reshape(-1, *([1] * (x.ndim - 1)))
    return (x[lo] * (1 - w) + x[hi] * w).astype(np.float32)


@dataclass
class DanceFeatures:
    """One dance on the model's frame clock (``n`` frames).

    Attributes
    ----------
    id : str
        The folder's name.
    label : str or None
        Genre.
    music : MusicFeatures
        Of the whole song, ``n`` frames.
    joints : np.ndarray, float32, shape (n, J, 3)
        Normalised positions (body-scale units, height kept), see the module notes.
    contact : np.ndarray, float32, shape (n,)
        Probability that a foot is planted (the larger of the feet).
    kinematic_beats : np.ndarray, float32, shape (n,)
        1 on the frame nearest each kinematic beat.
    skeleton : str
    """

    id: str
    label: str | None
    music: MusicFeatures
    joints: np.ndarray
    contact: np.ndarray
    kinematic_beats: np.ndarray
    skeleton: str

    @property
    def n_frames(self) -> int:
        return int(self.joints.shape[0])

    def to_arrays(self) -> dict[str, np.ndarray]:
        meta = {"id": self.id, "label": self.label, "skeleton": self.skeleton}
        arrays = {f"music_{k}": v for k, v in self.music.to_arrays().items()}
        return {
            **arrays,
            "joints": self.joints,
            "contact": self.contact,
            "kinematic_beats": self.kinematic_beats,
            "meta": np.asarray(json.dumps(meta)),
        }

    @classmethod
    def from_arrays(cls, d) -> DanceFeatures:
        meta = json.loads(str(d["meta"]))
        music = MusicFeatures.from_arrays(
            {k.removeprefix("music_"): d[k] for k in d if k.startswith("music_")}
        )
        return cls(
            id=meta["id"],
            label=meta["label"],
            music=music,
            joints=np.asarray(d["joints"], dtype=np.float32),
            contact=np.asarray(d["contact"], dtype=np.float32),
            kinematic_beats=np.asarray(d["kinematic_beats"], dtype=np.float32),
            skeleton=meta["skeleton"],
        )


def dance_settings(config, train) -> dict:
    """Every setting :func:`prepare_dance` depends on (the cache key)."""
    clock = config.clock()
    return {
        "version": CACHE_VERSION,
        "fps": clock.fps,
        "sr": clock.sr,
        "sub": clock.sub,
        "kinematic_sigma_s": train.kinematic_sigma_s,
        "kinematic_min_separation_s": train.kinematic_min_separation_s,
    }


def prepare_dance(dance_dir: str | os.PathLike, *, config, train) -> DanceFeatures:
    """Music features, normalised motion, contacts and kinematic beats of one dance.

    Parameters
    ----------
    dance_dir : path-like
        A dwm-style dance (see :func:`mudar.data.keypoints.load_motion`) with its music.
    config : MotionBeatConfig
        The clock (``fps``, ``sub``).
    train : MotionBeatTrainConfig
        The kinematic beat settings.

    Returns
    -------
    DanceFeatures
        ``n`` = the whole frames that both the motion and the music cover.

    Raises
    ------
    InputError
        No music file, or a file that cannot be read.
    """
    from mudar.data.keypoints import load_motion
    from mudar.features.kinematic import (
        FOOT_JOINTS,
        ROOT_JOINTS,
        foot_contacts,
        kinematic_beats,
        normalize_motion,
    )
    from mudar.features.music import music_features
    from mudar.io.audio import load_audio

    clip = load_motion(dance_dir)
    if clip.music is None:
        raise InputError(f"{dance_dir}: no music file beside the motion")
    clock = config.clock()
    y = load_audio(clip.music, sr=clock.sr)
    if y is None:
        raise InputError(f"{clip.music}: no audio stream")
    n = min(clock.n_frames(clip.duration_s), clock.n_frames(len(y) / clock.sr))
    music = music_features(y, clock=clock, n_frames=n)
    root = ROOT_JOINTS.get(clip.skeleton, 0)
    joints = normalize_motion(
        clip.joints, root=root, up_axis=clip.up_axis, keep_height=True, fps=clip.fps
    )
    feet = FOOT_JOINTS.get(clip.skeleton)
    if feet is not None:
        contact = foot_contacts(
            clip.joints, fps=clip.fps, foot_joints=feet, up_axis=clip.up_axis
        ).max(axis=1)
    else:  # unknown skeleton: every frame alike, i.e. no contact bias
        contact = np.ones(clip.n_frames)
    beats_s = kinematic_beats(
        clip.joints,
        fps=clip.fps,
        sigma_s=train.kinematic_sigma_s,
        min_separation_s=train.kinematic_min_separation_s,
        root=root,
    )
    return DanceFeatures(
        id=Path(dance_dir).name,
        label=clip.label,
        music=music,
        joints=resample_motion(joints, fps_in=clip.fps, fps_out=clock.fps, n_frames=n),
        contact=resample_motion(contact, fps_in=clip.fps, fps_out=clock.fps, n_frames=n),
        kinematic_beats=clock.events_to_frames(beats_s, n),
        skeleton=clip.skeleton,
    )


class DanceCache:
    """Prepared dances in a folder: ``<id>-<key>.npz``, written atomically, no pickles.

    ``key`` hashes the motion and music files' contents and :func:`dance_settings`, so a changed
    file or setting is never served stale features.

    Parameters
    ----------
    root : path-like
        Created on first write.
    """

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def entry(self, dance_dir: Path, settings: dict) -> Path:
        h = hashlib.blake2b(digest_size=8)
        h.update(json.dumps(settings, sort_keys=True).encode())
        files = [dance_dir / "motion.npz", dance_dir / "audio.ogg"]
        for f in files if dance_dir.is_dir() else [dance_dir]:
            if f.is_file():
                h.update(f.name.encode())
                h.update(content_hash(f).encode())
        return self.root / f"{dance_dir.name}-{h.hexdigest()}.npz"

    def load(self, entry: Path) -> DanceFeatures | None:
        if not entry.is_file():
            return None
        try:
            with np.load(entry, allow_pickle=False) as z:
                return DanceFeatures.from_arrays({k: z[k] for k in z.files})
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, MudarError):
            return None

    def get(self, dance_dir: str | os.PathLike, *, config, train) -> tuple[DanceFeatures, bool]:
        """The prepared dance, from the cache or computed and saved; and whether it was cached."""
        dance_dir = Path(dance_dir)
        entry = self.entry(dance_dir, dance_settings(config, train))
        found = self.load(entry)
        if found is not None:
            return found, True
        dance = prepare_dance(dance_dir, config=config, train=train)
        save_npz(entry, dance.to_arrays())
        return dance, False


def find_dances(root: str | os.PathLike) -> list[Path]:
    """The dwm-style dance folders (holding ``motion.npz``) under ``root``, sorted.

    Raises
    ------
    InputError
        ``root`` is missing or holds no dance.
    """
    from mudar.data.keypoints import find_motions

    found = [p for p in find_motions(root) if p.is_dir()]
    if not found:
        raise InputError(f"{root}: no dance folder with motion.npz")
    return found


class MotionBeatSet(Dataset):
    """Training clips of MotionBeat from prepared dances.

    Parameters
    ----------
    dances : sequence of DanceFeatures
        On the model's clock (:func:`prepare_dance`).
    config : MotionBeatConfig
    train : MotionBeatTrainConfig
        Window hop, seed and the hard negatives.
    epoch : int
        Epoch of the negatives; change it with :meth:`set_epoch`.

    Attributes
    ----------
    clips : list of (int, int)
        ``(dance, start frame)`` of each clip.
    skipped : collections.Counter
        Dances left out: ``too_short`` (under one clip), ``skeleton`` (another joint count than
        the model's).
    """

    def __init__(self, dances: Sequence[DanceFeatures], config, train, *, epoch: int = 0):
        self.config, self.train = config, train
        self.layout = config.row_layout()
        self.audio_config = config.audio_config()
        self.epoch = 0
        self.set_epoch(epoch)
        self.skipped: Counter = Counter()
        self.dances: list[DanceFeatures] = []
        self.rows: list[np.ndarray] = []
        self.clips: list[tuple[int, int]] = []
        t = config.n_frames
        for d in dances:
            if d.n_frames < t:
                self.skipped["too_short"] += 1
                continue
            if d.joints.shape[1] != config.n_joints:
                self.skipped["skeleton"] += 1
                continue
            k = len(self.dances)
            self.dances.append(d)
            # the whole song's rows once; each clip re-normalises its cut (normalise_rows)
            self.rows.append(audio_input(d.music, config=self.audio_config))
            for start, _ in sliding_windows(
                d.n_frames, fps=config.fps, window_s=config.clip_s, hop_s=train.clip_hop_s
            ):
                self.clips.append((k, start))

    def set_epoch(self, epoch: int) -> None:
        """Draw the negatives of ``epoch`` from now on."""
        if epoch < 0:
            raise ParameterError(f"epoch must be >= 0, got {epoch}")
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        """Clip ``index`` with its hard negatives for the current epoch.

        Returns
        -------
        dict of str to torch.Tensor
            ``audio`` float32 (R, T * sub), the stacked audio rows (as
            :func:`~mudar.data.clipset.audio_input` of the clip); ``neg_audio`` float32
            (M, R, T * sub), the hard negatives (:func:`hard_negatives`); ``joints`` float32
            (T, J, 3); ``contact`` float32 (T,); ``kinematic_beats`` float32 (T,);
            ``music_beats`` float32 (T,) and ``onset_strength`` float32 (T,) of the music;
            ``dance`` int64; ``start`` int64 (first frame).
        """
        if not 0 <= index < len(self.clips):
            raise IndexError(f"clip {index} out of range 0:{len(self.clips)}")
        k, start = self.clips[index]
        d, rows = self.dances[k], self.rows[k]
        t, sub = self.config.n_frames, self.config.sub
        audio = normalise_rows(rows[:, start * sub : (start + t) * sub], layout=self.layout)
        tc = self.train
        negs = hard_negatives(
            rows,
            layout=self.layout,
            fps=self.config.fps,
            start=start * sub,
            length=t * sub,
            rng=rng_for(tc.seed, self.epoch, index),
            stretch=tc.stretch,
            n_jitter=tc.n_jitter,
            fraction=tc.jitter_fraction,
            tempo_bpm=d.music.tempo_bpm,
        )
        sl = slice(start, start + t)
        return {
            "audio": torch.from_numpy(audio),
            "neg_audio": torch.from_numpy(negs),
            "joints": torch.from_numpy(np.ascontiguousarray(d.joints[sl], dtype=np.float32)),
            "contact": torch.from_numpy(d.contact[sl].astype(np.float32)),
            "kinematic_beats": torch.from_numpy(d.kinematic_beats[sl].astype(np.float32)),
            "music_beats": torch.from_numpy(d.music.beats[sl].astype(np.float32)),
            "onset_strength": torch.from_numpy(d.music.onset_strength[sl].astype(np.float32)),
            "dance": torch.tensor(k, dtype=torch.int64),
            "start": torch.tensor(start, dtype=torch.int64),
        }
