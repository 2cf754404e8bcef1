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
``clip_hop_s``) with its hard negatives, drawn from ``rng_for(seed, epoch, index)``, and the
index of its dance (the ECL leaves same-dance pairs out). A training set can augment its clips
(:class:`Augment`), from a second stream seeded by the same three numbers: a random offset of
the window, the dancer mirrored left/right, scaled and turned about the vertical, and the
log-mel's bands re-weighted. 30 dances are few; without these the model learns them by heart.
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
from mudar.data.inputs import audio_input
from mudar.data.motionbeat_negatives import RowLayout, hard_negatives, normalise_rows
from mudar.data.sampling import rng_for
from mudar.errors import InputError, MudarError, ParameterError
from mudar.features.music import MusicFeatures

CACHE_VERSION = 2
"""2: the up axis is stored (mirroring and turning need it)."""

MIRROR_PAIRS: dict[str, tuple[tuple[int, int], ...]] = {
    # arm 3-6 <-> 12-15, leg 7-11 <-> 16-20, hand ends 21 <-> 22 (see kinematic.FOOT_JOINTS)
    "dwm23": ((3, 12), (4, 13), (5, 14), (6, 15), (7, 16), (8, 17), (9, 18), (10, 19), (11, 20))
    + ((21, 22),),
    # COCO: eyes, ears, shoulders, elbows, wrists, hips, knees, ankles
    "coco17": ((1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16)),
}
"""Left/right joint pairs of each skeleton, swapped when a dancer is mirrored."""


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


# --- augmentation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Augment:
    """How a training clip is augmented (all cheap, numpy, per item).

    Attributes
    ----------
    crop_frames : int
        The window starts up to this many frames earlier or later than its slot (uniform),
        kept inside the dance.
    mirror_p : float
        Probability that the dancer is mirrored (left and right joints swapped, one horizontal
        axis negated).
    scale : float
        The joints are multiplied by a factor uniform in ``[1 - scale, 1 + scale]``.
    rotate_deg : float
        The dancer turns about the vertical through the root by an angle uniform in
        ``[-rotate_deg, rotate_deg]`` degrees (180: any heading; the data's headings are the
        capture room's, not the dance's).
    mel_tilt : float
        Spectral tilt of the log-mel, standardised units: band ``b`` of ``n`` gets
        ``g * (2 b / (n - 1) - 1)`` with ``g`` uniform in ``[-mel_tilt, mel_tilt]`` (about
        ``mel_tilt`` times 15-20 dB at the extreme bands of real music). A plain gain would do
        nothing: each clip's log-mel is standardised.
    mel_band_sigma : float
        Plus an independent offset per band, normal with this standard deviation.
    """

    crop_frames: int = 8
    mirror_p: float = 0.5
    scale: float = 0.1
    rotate_deg: float = 180.0
    mel_tilt: float = 0.5
    mel_band_sigma: float = 0.1

    def __post_init__(self) -> None:
        if (
            self.crop_frames < 0
            or not 0 <= self.mirror_p <= 1
            or not 0 <= self.scale < 1
            or self.rotate_deg < 0
            or self.mel_tilt < 0
            or self.mel_band_sigma < 0
        ):
            raise ParameterError(f"augmentation settings out of range: {self}")

    @classmethod
    def from_train(cls, train, *, fps: float) -> Augment:
        """The augmentation of a :class:`~mudar.models.motionbeat.MotionBeatTrainConfig`."""
        return cls(
            crop_frames=round(train.crop_jitter_s * fps),
            mirror_p=train.mirror_p,
            scale=train.scale_jitter,
            rotate_deg=train.rotate_deg,
            mel_tilt=train.mel_tilt,
            mel_band_sigma=train.mel_band_sigma,
        )


def mirror_joints(joints: np.ndarray, *, skeleton: str, up_axis: int = 1) -> np.ndarray:
    """The dancer's mirror image: left and right joints swapped, axis ``(up_axis + 2) % 3``
    negated (x for y up: dwm's side-to-side axis; any horizontal axis would do, the mirror
    images through two vertical planes differ by a turn).

    Parameters
    ----------
    joints : np.ndarray, shape (T, J, 3)
        Root-relative horizontally (the mirror passes through the origin).
    skeleton : str
        A key of :data:`MIRROR_PAIRS`.
    up_axis : int

    Returns
    -------
    np.ndarray, float32, shape (T, J, 3)

    Raises
    ------
    ParameterError
        An unknown skeleton.
    """
    if skeleton not in MIRROR_PAIRS:
        raise ParameterError(f"no left/right pairs for skeleton {skeleton!r}")
    perm = np.arange(joints.shape[1])
    for a, b in MIRROR_PAIRS[skeleton]:
        perm[a], perm[b] = b, a
    out = np.array(joints[:, perm], dtype=np.float32)
    out[..., (up_axis + 2) % 3] *= -1
    return out


def turn_joints(joints: np.ndarray, angle: float, *, up_axis: int = 1) -> np.ndarray:
    """The joints turned by ``angle`` radians about the vertical axis through the origin, from
    axis ``(up_axis + 1) % 3`` towards ``(up_axis + 2) % 3`` (z towards x for y up).

    Returns float32 of the shape of ``joints`` ``(..., 3)``.
    """
    h1, h2 = (up_axis + 1) % 3, (up_axis + 2) % 3
    c, s = np.cos(angle), np.sin(angle)
    out = np.array(joints, dtype=np.float32)
    x, z = joints[..., h1], joints[..., h2]
    out[..., h1] = c * x - s * z
    out[..., h2] = s * x + c * z
    return out


def augment_joints(
    joints: np.ndarray,
    *,
    rng: np.random.Generator,
    augment: Augment,
    skeleton: str,
    up_axis: int = 1,
) -> np.ndarray:
    """A random mirror (where the skeleton's pairs are known), turn and scale of a clip's joints.

    Parameters
    ----------
    joints : np.ndarray, shape (T, J, 3)
        Normalised (root at the origin horizontally).
    rng : np.random.Generator
    augment : Augment
    skeleton : str
    up_axis : int

    Returns
    -------
    np.ndarray, float32, shape (T, J, 3)
    """
    # draw every number whatever applies, so that a setting does not shift the others' draws
    mirror = rng.random() < augment.mirror_p
    angle = np.deg2rad(rng.uniform(-augment.rotate_deg, augment.rotate_deg))
    scale = rng.uniform(1 - augment.scale, 1 + augment.scale)
    out = np.asarray(joints, dtype=np.float32)
    if mirror and skeleton in MIRROR_PAIRS:
        out = mirror_joints(out, skeleton=skeleton, up_axis=up_axis)
    return (turn_joints(out, angle, up_axis=up_axis) * scale).astype(np.float32)


def mel_gain(rows: np.ndarray, *, rng: np.random.Generator, augment: Augment, layout) -> np.ndarray:
    """The stacked audio rows with a random spectral tilt and per-band offsets on the log-mel.

    Parameters
    ----------
    rows : np.ndarray, shape (R, m)
        :func:`~mudar.data.inputs.audio_input` rows (log-mel standardised).
    rng : np.random.Generator
    augment : Augment
        ``mel_tilt`` and ``mel_band_sigma``.
    layout : RowLayout

    Returns
    -------
    np.ndarray, float32, shape (R, m)
        A new array; only the log-mel rows differ.
    """
    n = layout.n_mels
    tilt = rng.uniform(-augment.mel_tilt, augment.mel_tilt)
    offsets = rng.normal(0.0, augment.mel_band_sigma, size=n) if augment.mel_band_sigma else 0.0
    ramp = np.linspace(-1.0, 1.0, n) if n > 1 else np.zeros(1)
    out = np.array(rows, dtype=np.float32)
    out[:n] += (tilt * ramp + offsets).astype(np.float32)[:, None]
    return out


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
        """Clip ``index`` with its hard negatives (and augmentation) for the current epoch.

        Returns
        -------
        dict of str to torch.Tensor
            ``audio`` float32 (R, T * sub), the stacked audio rows (as
            :func:`~mudar.data.inputs.audio_input` of the clip); ``neg_audio`` float32
            (M, R, T * sub), the hard negatives (:func:`hard_negatives`); ``joints`` float32
            (T, J, 3); ``contact`` float32 (T,); ``kinematic_beats`` float32 (T,);
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
        negs = hard_negatives(
            rows,
            layout=self.layout,
            fps=self.config.fps,
            start=src_start,
            length=t * sub,
            rng=rng_for(tc.seed, self.epoch, index),
            stretch=tc.stretch,
            n_jitter=tc.n_jitter,
            fraction=tc.jitter_fraction,
            tempo_bpm=d.music.tempo_bpm,
        )
        sl = slice(start, start + t)
        joints = d.joints[sl]
        if aug is not None:
            joints = augment_joints(
                joints, rng=arng, augment=aug, skeleton=d.skeleton, up_axis=d.up_axis
            )
        return {
            "audio": torch.from_numpy(audio),
            "neg_audio": torch.from_numpy(negs),
            "joints": torch.from_numpy(np.ascontiguousarray(joints, dtype=np.float32)),
            "contact": torch.from_numpy(d.contact[sl].astype(np.float32)),
            "kinematic_beats": torch.from_numpy(d.kinematic_beats[sl].astype(np.float32)),
            "music_beats": torch.from_numpy(d.music.beats[sl].astype(np.float32)),
            "onset_strength": torch.from_numpy(d.music.onset_strength[sl].astype(np.float32)),
            "dance": torch.tensor(k, dtype=torch.int64),
            "start": torch.tensor(start, dtype=torch.int64),
        }
