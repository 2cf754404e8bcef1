"""MotionBeat's training clips: music rows, motion, contacts, kinematic beats and hard negatives.

A dance (a dwm-style folder: ``motion.npz`` and the music ``audio.ogg``, t = 0 at motion frame
0; see :func:`mudar.data.readers.keypoints.load_dwm_motion`; or a dance video's 2-D pose track
of ``mudar pose``, ``.npz`` or keypoints2d ``.pkl``, with its music found as
:func:`mudar.data.readers.keypoints.pose_track_music` says: the keypoints as joints ``(x, -y,
0)``, COCO-17, so a model for them has ``n_joints=17``) becomes, once, on the model's frame
clock
(:func:`prepare_dance`):

- the music features of the whole song (:func:`mudar.features.music.music_features`);
- the joints, root-relative and scale-normalised with the height kept
  (:func:`mudar.features.kinematic.normalize_motion`, ``keep_height=True``: the rise and fall
  of the body marks the beat in many dances), resampled to the clock
  (:func:`~mudar.features.geometry.resample_motion`);
- the foot-contact probability (the most planted foot, :func:`foot_contacts` at the motion's
  own frame rate, then resampled) and the kinematic beats (:func:`kinematic_beats`, seconds,
  put on their nearest frame).

These are cached per dance in an ``.npz`` (:class:`DanceCache`, keyed by the files' contents and
every setting that changes them), so a second run, or a resumed one, does not recompute them;
within a run every dance is held in memory and clips are cut on the fly.

An item of :class:`MotionBeatSet` is a clip of ``clip_s`` seconds (sliding windows of
``clip_hop_s``) with its hard negatives, drawn from ``rng_for(seed, epoch, index)``, and the
index of its dance (the ECL leaves same-dance pairs out). A training set can augment its clips
(:class:`~mudar.data.clips.augment.Augment`), from a second stream seeded by the same three numbers:
a random offset of the window, the dancer mirrored left/right, scaled and turned about the
vertical, and the log-mel's bands re-weighted. 30 dances are few; without these the model
learns them by heart.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from mudar.data.clips.augment import Augment, augment_joints, mel_gain
from mudar.data.clips.clipset import EpochClips
from mudar.data.clips.inputs import model_inputs
from mudar.data.clips.motionbeat_negatives import RowLayout, hard_negatives, normalise_rows
from mudar.data.clips.sampling import rng_for
from mudar.data.clips.windows import sliding_windows
from mudar.data.store.cache import NpzCache, files_key
from mudar.errors import InputError, MudarError, ParameterError
from mudar.features.analysis import FEATURES_VERSION
from mudar.features.music import MusicFeatures

CACHE_VERSION = 2
"""2: the up axis is stored (mirroring and turning need it)."""


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
    up_axis : int
        The vertical axis of ``joints``.
    """

    id: str
    label: str | None
    music: MusicFeatures
    joints: np.ndarray
    contact: np.ndarray
    kinematic_beats: np.ndarray
    skeleton: str
    up_axis: int = 1

    @property
    def n_frames(self) -> int:
        return int(self.joints.shape[0])

    def to_arrays(self) -> dict[str, np.ndarray]:
        meta = {
            "id": self.id,
            "label": self.label,
            "skeleton": self.skeleton,
            "up_axis": self.up_axis,
        }
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
            up_axis=int(meta["up_axis"]),
        )


def dance_settings(config, train) -> dict:
    """Every setting :func:`prepare_dance` depends on (the cache key)."""
    clock = config.clock
    return {
        "version": CACHE_VERSION,
        "features_version": FEATURES_VERSION,  # the music features' beats and tempo
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
        A dwm-style dance or a pose track (see :func:`mudar.data.readers.keypoints.load_motion`)
        with its music.
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
    from mudar.data.readers.keypoints import load_motion
    from mudar.features.geometry import resample_motion
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
    clock = config.clock
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
        up_axis=clip.up_axis,
    )


class DanceCache(NpzCache):
    """Prepared dances in a folder: ``<id>-<key>.npz`` (:class:`~mudar.data.store.cache.NpzCache`).

    ``key`` hashes the motion and music files' contents and :func:`dance_settings`
    (:func:`~mudar.data.store.cache.files_key`), so a changed file or setting is never served stale
    features.

    Parameters
    ----------
    root : path-like
        Created on first write.
    """

    record = DanceFeatures
    unreadable = (*NpzCache.unreadable, MudarError)

    def entry(self, dance_dir: Path, settings: dict) -> Path:
        if dance_dir.is_dir():
            files = [dance_dir / "motion.npz", dance_dir / "audio.ogg"]
        else:  # a motion or pose-track file, and the music it would be read with
            from mudar.data.readers.keypoints import pose_track_music

            music = pose_track_music(dance_dir)
            files = [dance_dir, *([music] if music is not None else [])]
        key = files_key(files, settings)
        return self.root / f"{dance_dir.name}-{key}.npz"

    def get(self, dance_dir: str | os.PathLike, *, config, train) -> tuple[DanceFeatures, bool]:
        """The prepared dance, from the cache or computed and saved; and whether it was cached."""
        dance_dir = Path(dance_dir)
        entry = self.entry(dance_dir, dance_settings(config, train))
        found = self.load(entry)
        if found is not None:
            return found, True
        dance = prepare_dance(dance_dir, config=config, train=train)
        self.save(entry, dance)
        return dance, False


def find_dances(root: str | os.PathLike) -> list[Path]:
    """The dances under ``root``, sorted: dwm-style folders (holding ``motion.npz``) and the
    pose tracks of dance videos (``mudar pose``'s ``.npz`` or keypoints2d ``.pkl``).

    Raises
    ------
    InputError
        ``root`` is missing or holds no dance.
    """
    from mudar.data.readers.keypoints import find_motions
    from mudar.data.readers.pose import is_pose_track

    found = [p for p in find_motions(root) if p.is_dir() or is_pose_track(p)]
    if not found:
        raise InputError(
            f"{root}: no dance folder with motion.npz and no pose track (`mudar pose` .npz/.pkl)"
        )
    return found


class MotionBeatSet(EpochClips):
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
    augment : Augment, optional
        Augment the clips (training sets); None: every item is the clip as it is.

    Attributes
    ----------
    clips : list of (int, int)
        ``(dance, start frame)`` of each clip.
    skipped : collections.Counter
        Dances left out: ``too_short`` (under one clip), ``skeleton`` (another joint count than
        the model's).
    """

    def __init__(
        self,
        dances: Sequence[DanceFeatures],
        config,
        train,
        *,
        epoch: int = 0,
        augment: Augment | None = None,
    ):
        self.config, self.train = config, train
        self.augment = augment
        self.layout = RowLayout.from_config(config)
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
            # the whole song's rows once (it is at least a clip long, so nothing is padded);
            # each clip re-normalises its cut (normalise_rows)
            rows = model_inputs(d, self.audio_config, video=False)[2]
            self.rows.append(rows.numpy())
            for start, _ in sliding_windows(
                d.n_frames, fps=config.fps, window_s=config.clip_s, hop_s=train.clip_hop_s
            ):
                self.clips.append((k, start))

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        """Clip ``index`` with its hard negatives (and augmentation) for the current epoch.

        Returns
        -------
        dict of str to torch.Tensor
            ``audio`` float32 (R, T * sub), the stacked audio rows (as
            :func:`~mudar.data.clips.inputs.audio_input` of the clip); ``neg_audio`` float32
            (M, R, T * sub), the hard negatives (:func:`hard_negatives`), or, with
            ``ecl_anchor="music"``, ``neg_joints`` float32 (M, T, J, 3) and ``neg_contact``
            float32 (M, T), the motion shifted by about a beat (:func:`motion_jitter_starts`;
            augmented as the clip); ``joints`` float32 (T, J, 3); ``contact`` float32 (T,);
            ``tempo`` float32 (), the song's tempo, BPM (0: none); ``kinematic_beats`` float32
            (T,);
            ``music_beats`` float32 (T,) and ``onset_strength`` float32 (T,) of the music;
            ``dance`` int64 (index in :attr:`dances`); ``start`` int64 (first frame, after the
            crop offset).
        """
        if not 0 <= index < len(self.clips):
            raise IndexError(f"clip {index} out of range 0:{len(self.clips)}")
        k, start = self.clips[index]
        d, rows = self.dances[k], self.rows[k]
        t, sub = self.config.n_frames, self.config.sub
        tc = self.train
        aug = self.augment
        if aug is not None:
            # a stream of its own: the negatives stay those of rng_for(seed, epoch, index)
            arng = np.random.default_rng([tc.seed, self.epoch, index, 1])
            shift = int(arng.integers(-aug.crop_frames, aug.crop_frames + 1))
            start = min(max(start + shift, 0), d.n_frames - t)
            # re-weight the bands of the clip and of the music around it (its negatives read
            # up to a clip either side), so that a negative differs in its rhythm only
            lo, hi = max(0, (start - t) * sub), min(rows.shape[1], (start + 2 * t) * sub)
            rows = mel_gain(rows[:, lo:hi], rng=arng, augment=aug, layout=self.layout)
            src_start = start * sub - lo
        else:
            src_start = start * sub
        audio = normalise_rows(rows[:, src_start : src_start + t * sub], layout=self.layout)
        rng = rng_for(tc.seed, self.epoch, index)
        item = {"audio": torch.from_numpy(audio)}
        sl = slice(start, start + t)
        joints = d.joints[sl]
        if tc.ecl_anchor == "music":
            # motion negatives: the clip's motion shifted by about one beat (same augmentation)
            starts = motion_jitter_starts(
                start,
                n_frames=d.n_frames,
                length=t,
                fps=self.config.fps,
                tempo_bpm=d.music.tempo_bpm,
                rng=rng,
                n=tc.n_jitter,
                beats=tc.motion_jitter_beats,
                fraction=tc.jitter_fraction,
            )
            joints = np.concatenate([joints, *(d.joints[s : s + t] for s in starts)])
            neg_contact = np.zeros((len(starts), t), np.float32)
            for i, s in enumerate(starts):
                neg_contact[i] = d.contact[s : s + t]
            item["neg_contact"] = torch.from_numpy(neg_contact)
        else:
            negs = hard_negatives(
                rows,
                layout=self.layout,
                fps=self.config.fps,
                start=src_start,
                length=t * sub,
                rng=rng,
                stretch=tc.stretch,
                n_jitter=tc.n_jitter,
                fraction=tc.jitter_fraction,
                tempo_bpm=d.music.tempo_bpm,
            )
            item["neg_audio"] = torch.from_numpy(negs)
        if aug is not None:
            joints = augment_joints(
                joints, rng=arng, augment=aug, skeleton=d.skeleton, up_axis=d.up_axis
            )
        joints = np.ascontiguousarray(joints, dtype=np.float32)
        if tc.ecl_anchor == "music":
            item["neg_joints"] = torch.from_numpy(joints[t:].reshape(-1, t, *joints.shape[1:]))
            joints = joints[:t]
        return {
            **item,
            "joints": torch.from_numpy(joints),
            "contact": torch.from_numpy(d.contact[sl].astype(np.float32)),
            "tempo": torch.tensor(d.music.tempo_bpm, dtype=torch.float32),
            "kinematic_beats": torch.from_numpy(d.kinematic_beats[sl].astype(np.float32)),
            "music_beats": torch.from_numpy(d.music.beats[sl].astype(np.float32)),
            "onset_strength": torch.from_numpy(d.music.onset_strength[sl].astype(np.float32)),
            "dance": torch.tensor(k, dtype=torch.int64),
            "start": torch.tensor(start, dtype=torch.int64),
        }


def motion_jitter_starts(
    start: int,
    *,
    n_frames: int,
    length: int,
    fps: float,
    tempo_bpm: float,
    rng: np.random.Generator,
    n: int = 1,
    beats: float = 1.0,
    fraction: float = 0.25,
) -> list[int]:
    """First frames of a clip's beat-jitter motion negatives: the window moved by about a beat.

    Each negative moves the window by ``beats + u`` beats, ``u`` uniform in ``[-fraction,
    fraction]``, later or earlier at random (the other way where the dance ends first), and
    by at least one frame; a window that fits neither way is moved as far as the dance allows.

    Parameters
    ----------
    start : int
        The clip's first frame.
    n_frames : int
        Frames of the dance.
    length : int
        Frames of a clip, ``<= n_frames``.
    fps : float
    tempo_bpm : float
        The song's tempo; 0 (none found): 120.
    rng : np.random.Generator
    n : int
        Negatives, ``>= 0``.
    beats, fraction : float
        The shift and its spread, beats.

    Returns
    -------
    list of int
        ``n`` first frames, each in ``[0, n_frames - length]``.

    Raises
    ------
    ParameterError
        A clip longer than the dance, or a start outside it.
    """
    last = n_frames - length
    if n < 0 or last < 0 or not 0 <= start <= last:
        raise ParameterError(
            f"need n >= 0 and 0 <= start <= n_frames - length, got n={n}, start={start}, "
            f"n_frames={n_frames}, length={length}"
        )
    beat = fps * 60.0 / (tempo_bpm if tempo_bpm > 0 else 120.0)
    out = []
    for _ in range(n):
        shift = max(1, round((beats + rng.uniform(-fraction, fraction)) * beat))
        sign = 1 if rng.random() < 0.5 else -1
        if not 0 <= start + sign * shift <= last:
            sign = -sign
        out.append(min(max(start + sign * shift, 0), last))
    return out
