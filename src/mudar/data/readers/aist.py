"""An AIST++ tree as it ships: its sequences, their music, genres and official splits.

The layout (the AIST++ annotations, with the AIST music beside them; videos optional)::

    AIST_ROOT/
      keypoints3d/<sequence>.pkl   COCO-17 keypoints, cm, 60 fps (read by load_aistpp)
      wav/<music id>.wav           the AIST Dance DB music, mBR0.wav .. mJB5.wav
      splits/crossmodal_train.txt  official splits, one sequence name a line (also
      splits/crossmodal_val.txt    pose_{train,val,test}.txt, read but not used by default)
      splits/crossmodal_test.txt
      ignore_list.txt              sequences whose keypoints are unusable
      videos/<video>.mp4           optional: the AIST Dance DB videos, one per camera

A sequence ``gBR_sBM_cAll_d04_mBR0_ch01`` is camera-agnostic (``cAll``); its videos are
``gBR_sBM_c01_d04_mBR0_ch01.mp4`` .. ``c09``. Its genre is ``gBR`` (break) and its music the
whole ``wav/mBR0.wav``: music offset 0 (sample 0 plays at keypoint frame 0).

What was checked against google/aistplusplus_api: ``aist_plusplus/loader.py`` (the
``keypoints3d/``, ``motions/``, ``ignore_list.txt`` paths, the ``keypoints3d`` and
``keypoints3d_optim`` keys, ``get_video_name``: ``cAll`` replaced by the camera ``c01``..``c09``)
and ``processing/run_splitting.py`` (``splits/{pose,crossmodal}_{train,val,test}.txt``, one
name a line, ``\\n``-joined).

The AIST++ annotations are CC BY 4.0; the music and videos are under the AIST Dance DB's terms:
mudar ships none of it and downloads nothing.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from mudar.data.readers.keypoints import AIST_GENRES, MotionClip, load_aistpp
from mudar.errors import InputError, ParameterError
from mudar.methods import DEFAULT_CAMERA

__all__ = [
    "DEFAULT_CAMERA",
    "SPLIT_FILES",
    "AistSequence",
    "AistTree",
    "aist_genre",
    "is_aist_tree",
    "load_sequence",
    "read_aist_tree",
    "read_names",
]


SPLIT_FILES = tuple(
    f"{kind}_{part}" for kind in ("crossmodal", "pose") for part in ("train", "val", "test")
)
"""The official split files of ``splits/`` (without ``.txt``)."""

OFFICIAL = "crossmodal"
"""The split family mudar uses: AI Choreographer's music-conditioned (cross-modal) split."""

_NAME = re.compile(
    r"^g(?P<genre>[A-Z]{2})_s[A-Z]{2}_c(?P<camera>All|\d{2})_d\d+_m(?P<music>[A-Z]{2}\d)_ch\d+$"
)


@dataclass(frozen=True)
class AistSequence:
    """One AIST++ sequence.

    Attributes
    ----------
    name : str
        Camera-agnostic name, e.g. ``gBR_sBM_cAll_d04_mBR0_ch01``.
    keypoints : Path
        ``keypoints3d/<name>.pkl``.
    music_id : str
        ``mBR0`` .. ``mJB5``.
    music : Path
        ``wav/<music_id>.wav`` (offset 0: sample 0 at keypoint frame 0).
    genre : str
        Genre name (``break``, ``pop``, ... see :data:`mudar.data.readers.keypoints.AIST_GENRES`).
    split : str or None
        ``train``, ``val`` or ``test`` in the official cross-modal split; None when unlisted.
    """

    name: str
    keypoints: Path
    music_id: str
    music: Path
    genre: str
    split: str | None = None

    def video(self, root: str | os.PathLike, camera: str = DEFAULT_CAMERA) -> Path:
        """``root/videos/<name with cAll replaced by camera>.mp4`` (it may not exist)."""
        return Path(root) / "videos" / f"{self.name.replace('_cAll_', f'_{camera}_')}.mp4"


@dataclass
class AistTree:
    """What :func:`read_aist_tree` found.

    Attributes
    ----------
    root : Path
    sequences : list of AistSequence
        Usable ones, sorted by name: not ignored, named as AIST++ names them, music present.
    ignored : list of str
        Names of ``ignore_list.txt`` that had keypoints (left out).
    skipped : list of (str, str)
        (file, reason) of keypoint files left out for another reason (a name that is not an
        AIST++ sequence name, no music file).
    splits : dict of str to list of str
        Each split file found (``crossmodal_train`` ...) and its names.
    has_videos : bool
        ``videos/`` exists.
    """

    root: Path
    sequences: list[AistSequence] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    splits: dict[str, list[str]] = field(default_factory=dict)
    has_videos: bool = False

    def select(self, split: str | None) -> list[AistSequence]:
        """The sequences of one official split (``train``, ``val``, ``test``), or all (None).

        Raises
        ------
        ParameterError
            An unknown split, or one the tree has no split file for.
        """
        if split is None or split == "all":
            return list(self.sequences)
        if split not in ("train", "val", "test"):
            raise ParameterError(f"split must be train, val, test or all, got {split!r}")
        if f"{OFFICIAL}_{split}" not in self.splits:
            raise ParameterError(
                f"{self.root}: no splits/{OFFICIAL}_{split}.txt, so no official {split} split"
            )
        return [s for s in self.sequences if s.split == split]


def aist_genre(name: str) -> str | None:
    """The genre of an AIST++ sequence or video name (``gBR_sBM_c01_d04_mBR0_ch01.mp4`` ->
    ``break``), or None for another name."""
    m = _NAME.match(Path(name).name.split(".")[0])
    return AIST_GENRES.get(m.group("genre")) if m else None


def is_aist_tree(root: str | os.PathLike) -> bool:
    """Whether ``root`` is a folder laid out as AIST++ ships it (``keypoints3d/*.pkl``)."""
    kp = Path(root) / "keypoints3d"
    return kp.is_dir() and any(kp.glob("*.pkl"))


def read_names(path: str | os.PathLike) -> list[str]:
    """The sequence names of a split file or ignore list: one a line, camera made ``cAll``.

    Blank lines and ``#`` comments are skipped; a video name (``..._c01_...``) stands for its
    sequence.

    Raises
    ------
    InputError
        The file cannot be read as text.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{p}: cannot be read ({e})") from None
    names = []
    for line in text.splitlines():
        name = line.split("#", 1)[0].strip()
        if name:
            names.append(_camera_agnostic(Path(name).stem if name.endswith(".pkl") else name))
    return names


def read_aist_tree(root: str | os.PathLike, *, music_dir: str | None = None) -> AistTree:
    """List the usable sequences of an AIST++ tree, with genre, music and official split.

    Parameters
    ----------
    root : path-like
        The tree (see the module docstring).
    music_dir : str, optional
        The music folder, default ``root/wav``.

    Returns
    -------
    AistTree

    Raises
    ------
    InputError
        ``root`` is not an AIST++ tree, a split file or the ignore list cannot be read, or no
        sequence is usable (the message says why the first ones were left out).
    """
    r = Path(root)
    if not r.is_dir():
        raise InputError(f"{r}: not a directory")
    if not is_aist_tree(r):
        raise InputError(f"{r}: not an AIST++ tree (no keypoints3d/*.pkl)")
    music = Path(music_dir) if music_dir is not None else r / "wav"
    ignore_file = r / "ignore_list.txt"
    ignore = set(read_names(ignore_file)) if ignore_file.is_file() else set()
    splits = {
        stem: read_names(r / "splits" / f"{stem}.txt")
        for stem in SPLIT_FILES
        if (r / "splits" / f"{stem}.txt").is_file()
    }
    split_of: dict[str, str] = {}
    for part in ("train", "val", "test"):
        for name in splits.get(f"{OFFICIAL}_{part}", []):
            split_of.setdefault(name, part)
    tree = AistTree(root=r, splits=splits, has_videos=(r / "videos").is_dir())
    for pkl in sorted((r / "keypoints3d").glob("*.pkl")):
        m = _NAME.match(pkl.stem)
        if m is None or m.group("genre") not in AIST_GENRES:
            tree.skipped.append((str(pkl), "not an AIST++ sequence name (g<GG>_s.._cAll_..)"))
            continue
        name = _camera_agnostic(pkl.stem)
        if name in ignore:
            tree.ignored.append(name)
            continue
        music_id = f"m{m.group('music')}"
        wav = music / f"{music_id}.wav"
        if not wav.is_file():
            tree.skipped.append((str(pkl), f"no music file {wav} for {music_id}"))
            continue
        tree.sequences.append(
            AistSequence(
                name=name,
                keypoints=pkl,
                music_id=music_id,
                music=wav,
                genre=AIST_GENRES[m.group("genre")],
                split=split_of.get(name),
            )
        )
    if not tree.sequences:
        why = "; ".join(f"{Path(p).name}: {reason}" for p, reason in tree.skipped[:3])
        raise InputError(f"{r}: no usable AIST++ sequence" + (f" ({why})" if why else ""))
    return tree


def load_sequence(seq: AistSequence) -> MotionClip:
    """The keypoints of a sequence as a :class:`~mudar.data.readers.keypoints.MotionClip` (COCO-17,
    cm, 60 fps, ``music`` its wav, ``label`` its genre).

    Raises
    ------
    InputError
        A missing, corrupt or malformed pickle (see
        :func:`~mudar.data.readers.keypoints.load_aistpp`).
    """
    clip = load_aistpp(seq.keypoints, music_dir=seq.music.parent)
    if clip.skeleton != "coco17":
        raise InputError(
            f"{seq.keypoints}: {clip.joints.shape[1]} keypoints, AIST++ keypoints3d has 17"
        )
    clip.music = seq.music
    return clip


def _camera_agnostic(name: str) -> str:
    """``gBR_sBM_c01_d04_mBR0_ch01`` -> ``gBR_sBM_cAll_d04_mBR0_ch01``; other names unchanged."""
    parts = name.split("_")
    if len(parts) == 6 and re.fullmatch(r"c(All|\d{2})", parts[2]):
        parts[2] = "cAll"
    return "_".join(parts)
