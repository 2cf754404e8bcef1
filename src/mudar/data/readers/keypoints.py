"""3-D keypoint motion from disk: dwm motion capture and AIST++ keypoints, as :class:`MotionClip`.

Two layouts are read:

- **dwm** (Dance with Melody): a folder ``DANCE_<G>_<n>/`` with ``motion.npz`` (``joints``
  float32 (T, 23, 3), y up, about cm; ``fps`` 25), ``audio.ogg`` (the music, t = 0 at motion
  frame 0) and ``meta.json`` (genre, song title). Any ``.npz`` with ``joints`` and ``fps`` is
  read the same way.
- **AIST++**: ``keypoints3d/<name>.pkl``, a pickled dict with ``keypoints3d`` and/or
  ``keypoints3d_optim`` (T, 17, 3), COCO-17 joints triangulated from 9 views, centimetres, 60
  fps. ``<name>`` is ``g<genre>_s<situation>_c<camera>_d<dancer>_m<music>_ch<choreography>``,
  e.g. ``gBR_sBM_cAll_d04_mBR0_ch01``; the music ``mBR0`` is ``<music_dir>/mBR0.wav``. The
  ``motions/`` pickles (SMPL ``smpl_poses``, ``smpl_trans``, ``smpl_scaling``) hold no joint
  positions: those need the SMPL body model, which mudar does not ship.

- **a 2-D pose track** (``mudar pose``'s ``.npz``, or a ``keypoints2d`` pickle, AIST++'s or
  ours: :mod:`mudar.data.readers.pose`): COCO-17 keypoints in pixels made 3-D joints
  ``(x, -y, 0)`` (y up, depth 0: :func:`mudar.features.keypoints2d.pose_joints3d`), at the
  track's rate (:func:`load_pose_motion`).

Pickles are read with an unpickler that only builds numpy arrays and plain containers, so a
crafted file cannot run code.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mudar.data.readers.pickles import safe_unpickle
from mudar.data.readers.pose import is_pose_track, load_pose_track, media_beside, track_source
from mudar.errors import InputError, ParameterError

__all__ = [
    "AIST_FPS",
    "AIST_GENRES",
    "MotionClip",
    "aist_music_id",
    "aist_tempo",
    "find_motions",
    "is_motion_path",
    "load_aistpp",
    "load_dwm_motion",
    "load_motion",
    "load_pose_motion",
    "pose_track_music",
    "parse_title_tempo",
]

AIST_FPS = 60.0
"""Frame rate of AIST++ keypoints and motions, frames per second."""

AIST_GENRES = {
    "BR": "break",
    "PO": "pop",
    "LO": "lock",
    "MH": "middle hip-hop",
    "LH": "LA-style hip-hop",
    "HO": "house",
    "WA": "waack",
    "KR": "krump",
    "JS": "street jazz",
    "JB": "ballet jazz",
}
"""AIST++ genre codes (the ``g..`` and ``m..`` parts of a sequence name) and their names."""

_AIST_NAME = re.compile(
    r"^g(?P<genre>[A-Z]{2})_s(?P<situation>[A-Z]{2})_c(?P<camera>\w+?)_d(?P<dancer>\d+)"
    r"_m(?P<music>[A-Z]{2}\d)_ch(?P<choreo>\d+)$"
)
_SMPL_KEYS = {"smpl_poses", "smpl_trans", "smpl_scaling"}
_KEYPOINT_KEYS = ("keypoints3d_optim", "keypoints3d")  # the optimised ones first: fewer NaNs


@dataclass
class MotionClip:
    """One dance as 3-D joint positions, with what is known about its music.

    Attributes
    ----------
    joints : np.ndarray, float32, shape (T, J, 3)
        Absolute positions, units of the source (centimetres for dwm and AIST++).
    fps : float
        Frames per second.
    up_axis : int
        The vertical axis (0, 1 or 2); up is its positive direction.
    skeleton : str
        Joint layout: ``"dwm23"``, ``"coco17"``, or ``"j<J>"`` for an unknown one (see
        :data:`mudar.features.kinematic.ROOT_JOINTS` and ``FOOT_JOINTS``).
    source : str
        The file or folder it was read from.
    music : Path or None
        The music the dance was recorded to, t = 0 at frame 0, if the file is at hand.
    tempo_bpm : float or None
        The music's tempo when the dataset states it (AIST++ music ids, a dwm title such as
        "Waltz 29bpm"), beats per minute; None when unknown.
    label : str or None
        Genre.
    """

    joints: np.ndarray
    fps: float
    up_axis: int
    skeleton: str
    source: str
    music: Path | None = None
    tempo_bpm: float | None = None
    label: str | None = None

    def __post_init__(self) -> None:
        j = np.asarray(self.joints)
        if j.ndim != 3 or j.shape[2] != 3 or j.shape[0] < 1 or j.shape[1] < 1:
            raise ParameterError(f"joints must have shape (T, J, 3), got {j.shape}")
        if not (np.isfinite(self.fps) and self.fps > 0):
            raise ParameterError(f"fps must be positive, got {self.fps}")
        if self.up_axis not in (0, 1, 2):
            raise ParameterError(f"up_axis must be 0, 1 or 2, got {self.up_axis}")

    @property
    def n_frames(self) -> int:
        """Frames T."""
        return int(self.joints.shape[0])

    @property
    def duration_s(self) -> float:
        """Length, seconds (``T / fps``)."""
        return self.n_frames / self.fps


# --- dwm ------------------------------------------------------------------------------------


def load_dwm_motion(dance_dir: str | os.PathLike) -> MotionClip:
    """A dwm dance (its folder, or its ``motion.npz``) as a :class:`MotionClip`.

    ``music`` is ``audio.ogg`` beside the npz when present; ``label`` is the genre of
    ``meta.json``; ``tempo_bpm`` is read from the song title when it states one
    (:func:`parse_title_tempo`). Any ``.npz`` with ``joints`` (T, J, 3) and ``fps`` loads; an
    optional ``up_axis`` entry overrides the default y-up (1).

    Parameters
    ----------
    dance_dir : path-like
        ``DANCE_<G>_<n>/`` or a ``.npz`` file.

    Returns
    -------
    MotionClip
        ``skeleton`` ``"dwm23"`` for 23 joints, ``"coco17"`` for 17, else ``"j<J>"``.

    Raises
    ------
    InputError
        A missing path, a folder without ``motion.npz``, or a file that is not such an npz.
    """
    p = Path(dance_dir)
    npz = p / "motion.npz" if p.is_dir() else p
    if not npz.is_file():
        where = f"{p}: no motion.npz in the folder" if p.is_dir() else f"{p}: no such file"
        raise InputError(where)
    try:
        with np.load(npz, allow_pickle=False) as z:
            if "joints" not in z or "fps" not in z:
                raise InputError(f"{npz}: an npz without 'joints' and 'fps', not a motion file")
            joints = np.asarray(z["joints"], dtype=np.float32)
            fps = float(z["fps"])
            up_axis = int(z["up_axis"]) if "up_axis" in z else 1
    except InputError:
        raise
    except (OSError, ValueError, EOFError) as e:  # not an npz, truncated, or object arrays
        raise InputError(f"{npz}: cannot be read as a motion npz ({e})") from e
    joints = _check_loaded(joints, npz)
    if not (np.isfinite(fps) and fps > 0):
        raise InputError(f"{npz}: fps must be positive, got {fps}")
    meta = _read_meta(npz.parent / "meta.json")
    label = meta.get("genre")
    title = meta.get("song_title_tag")
    audio = npz.parent / "audio.ogg"
    return MotionClip(
        joints=joints,
        fps=fps,
        up_axis=up_axis,
        skeleton=_skeleton_name(joints.shape[1]),
        source=str(p),
        music=audio if audio.is_file() else None,
        tempo_bpm=parse_title_tempo(title, genre=label) if isinstance(title, str) else None,
        label=str(label) if label is not None else None,
    )


def parse_title_tempo(title: str, *, genre: str | None = None) -> float | None:
    """The tempo a song title states, beats per minute, or None.

    Two forms are read: ``"<N>bpm"`` / ``"<N> BPM"`` and, for a waltz, the slow-waltz tag
    ``"SW-<N>"``. Ballroom music is labelled in *bars* per minute, so for a waltz (3 beats a
    bar) ``N`` below 40 is taken as bars and multiplied by 3: "Waltz 29bpm" and "SW-29" are
    87 BPM, which the beat tracker confirms on dwm's DANCE_W_1 and DANCE_W_12 (87.3 BPM).

    Parameters
    ----------
    title : str
        A song title (e.g. dwm's ``song_title_tag``).
    genre : str, optional
        The dance genre, ``"waltz"`` enabling the bar reading.

    Returns
    -------
    float or None
    """
    waltz = (genre or "").lower() == "waltz"
    m = re.search(r"(\d+(?:\.\d+)?)\s*bpm\b", title, flags=re.IGNORECASE)
    if m is None and waltz:
        m = re.search(r"\bSW-(\d+)\b", title)
    if m is None:
        return None
    n = float(m.group(1))
    if waltz and n < 40:
        n *= 3.0
    return n if 30.0 <= n <= 300.0 else None


# --- AIST++ ---------------------------------------------------------------------------------


def aist_music_id(name: str) -> str | None:
    """The music id (e.g. ``"mBR0"``) of an AIST++ sequence name or file name, or None."""
    m = _AIST_NAME.match(Path(name).name.split(".")[0])
    return f"m{m.group('music')}" if m else None


def aist_tempo(music_id: str) -> float:
    """Tempo of an AIST++ music track, beats per minute.

    The AIST Dance DB recorded six pieces per genre at fixed tempi: ``m<GG><d>`` is
    ``80 + 10 d`` BPM (80-130) for every genre but house, whose ``mHO<d>`` is ``110 + 5 d``
    (110-135).

    Parameters
    ----------
    music_id : str
        ``"mBR0"`` .. ``"mJB5"``; the leading ``m`` may be left out.

    Returns
    -------
    float

    Raises
    ------
    ParameterError
        An id that is not a known genre code followed by a digit 0-5.
    """
    m = re.fullmatch(r"m?([A-Z]{2})([0-5])", str(music_id))
    if m is None or m.group(1) not in AIST_GENRES:
        raise ParameterError(
            f"unknown AIST++ music id {music_id!r}; expected m<genre><0-5> with genre one of "
            f"{', '.join(AIST_GENRES)}"
        )
    d = int(m.group(2))
    return 110.0 + 5.0 * d if m.group(1) == "HO" else 80.0 + 10.0 * d


def load_aistpp(
    path: str | os.PathLike, *, music_dir: str | os.PathLike | None = None
) -> MotionClip:
    """An AIST++ keypoints3d pickle as a :class:`MotionClip` (COCO-17, centimetres, 60 fps).

    ``keypoints3d_optim`` (bundle-adjusted, bone-length constrained) is preferred over the raw
    triangulation ``keypoints3d``. Joints the triangulation lost (NaN) are filled by linear
    interpolation over time from the frames where they were seen. The up axis is found from
    the data (the axis from the ankles to the nose) and made positive: if the skeleton stands
    along ``-axis`` the clip is turned 180 degrees about another axis (no mirroring).

    Parameters
    ----------
    path : path-like
        ``<name>.pkl``; the music id in ``<name>`` gives ``tempo_bpm`` (:func:`aist_tempo`) and
        the genre ``label``.
    music_dir : path-like, optional
        Folder of the AIST music (``mBR0.wav`` ...); ``music`` is set when the file is there.

    Returns
    -------
    MotionClip

    Raises
    ------
    InputError
        A missing or unreadable file, an SMPL ``motions/`` pickle (no joint positions without
        the SMPL model), a pickle without ``keypoints3d``, or keypoints of the wrong shape.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such file" if not p.exists() else f"{p}: not a file")
    data = safe_unpickle(p)
    if not isinstance(data, dict):
        raise InputError(f"{p}: expected a pickled dict, got {type(data).__name__}")
    key = next((k for k in _KEYPOINT_KEYS if k in data and data[k] is not None), None)
    if key is None:
        if _SMPL_KEYS <= set(data):
            raise InputError(
                f"{p}: an AIST++ SMPL motion (smpl_poses, smpl_trans, smpl_scaling) holds joint "
                "angles, not positions; computing joints needs the SMPL body model, which mudar "
                "does not ship. Use the keypoints3d/<same name>.pkl file instead"
            )
        raise InputError(
            f"{p}: no 'keypoints3d' or 'keypoints3d_optim' in the pickle (keys: "
            f"{', '.join(map(str, data)) or 'none'})"
        )
    try:
        joints = np.asarray(data[key], dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise InputError(f"{p}: {key} is not a numeric array ({e})") from e
    if joints.ndim != 3 or joints.shape[2] != 3 or joints.shape[0] < 1:
        raise InputError(f"{p}: {key} must have shape (T, J, 3), got {joints.shape}")
    joints = _fill_gaps(joints, p)
    skeleton = _skeleton_name(joints.shape[1])
    joints, up_axis = _stand_up(joints) if skeleton == "coco17" else (joints, 1)
    music_id = aist_music_id(p.name)
    music = None
    if music_id is not None and music_dir is not None:
        wav = Path(music_dir) / f"{music_id}.wav"
        music = wav if wav.is_file() else None
    m = _AIST_NAME.match(p.stem)
    return MotionClip(
        joints=joints.astype(np.float32),
        fps=AIST_FPS,
        up_axis=up_axis,
        skeleton=skeleton,
        source=str(p),
        music=music,
        tempo_bpm=aist_tempo(music_id) if music_id is not None else None,
        label=AIST_GENRES.get(m.group("genre")) if m else None,
    )


# --- any layout -----------------------------------------------------------------------------


def find_motions(root: str | os.PathLike) -> list[Path]:
    """The motions under ``root``: dwm dance folders, AIST++ keypoint pickles, pose tracks.

    A dwm dance is a folder holding ``motion.npz`` (the folder is returned); a pose track of
    ``mudar pose`` is an ``.npz`` holding one (:func:`mudar.data.readers.pose.is_pose_track`);
    an AIST++ motion (or a keypoints2d pickle of ``mudar pose``) is a ``.pkl`` file, except
    those under ``motions/`` (SMPL, see :func:`load_aistpp`),
    ``keypoints2d/``, ``cameras/`` or ``splits/``. Folders are searched recursively; a file
    ``root`` is returned as itself.

    Parameters
    ----------
    root : path-like
        A dataset folder (``dwm/``, an AIST++ annotation folder or its ``keypoints3d/``), a
        dance folder, or one motion file.

    Returns
    -------
    list of Path
        Sorted; empty when nothing is recognised.

    Raises
    ------
    InputError
        ``root`` does not exist.
    """
    r = Path(root)
    if not r.exists():
        raise InputError(f"{r}: no such file or directory")
    if r.is_file():
        return [r]
    skip = {"motions", "keypoints2d", "cameras", "splits"}
    found = [npz.parent for npz in r.rglob("motion.npz")]
    found += [
        npz
        for npz in r.rglob("*.npz")
        if npz.name != "motion.npz" and not npz.name.startswith(".") and is_pose_track(npz)
    ]
    found += [
        pkl
        for pkl in r.rglob("*.pkl")
        if not skip & set(pkl.relative_to(r).parts[:-1]) and pkl.is_file()
    ]
    return sorted(set(found))


def load_motion(
    path: str | os.PathLike,
    *,
    music_dir: str | os.PathLike | None = None,
    view: int = 0,
) -> MotionClip:
    """Load one motion whatever its layout: a dwm folder or ``.npz``, an AIST++ ``.pkl``, or a
    2-D pose track (:func:`load_pose_motion`).

    Parameters
    ----------
    path : path-like
    music_dir : path-like, optional
        For AIST++: the folder of the music files (see :func:`load_aistpp`).
    view : int
        For a keypoints2d pickle: the camera view.

    Returns
    -------
    MotionClip

    Raises
    ------
    InputError
        A missing path, or one that is neither layout.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file or directory")
    if p.is_dir():
        if (p / "motion.npz").is_file():
            return load_dwm_motion(p)
        raise InputError(
            f"{p}: a folder without motion.npz; give one dance (a dwm folder, a .npz or an "
            "AIST++ .pkl)"
        )
    suffix = p.suffix.lower()
    if suffix in (".npz", ".pkl", ".pickle") and is_pose_track(p):
        return load_pose_motion(p, view=view, music_dir=music_dir)
    if suffix == ".npz":
        return load_dwm_motion(p)
    if suffix in (".pkl", ".pickle"):
        return load_aistpp(p, music_dir=music_dir)
    raise InputError(f"{p}: not a motion file (expected a dwm folder, a .npz or an AIST++ .pkl)")


def load_pose_motion(
    path: str | os.PathLike, *, view: int = 0, music_dir: str | os.PathLike | None = None
) -> MotionClip:
    """A 2-D pose track as a :class:`MotionClip` for what reads motion capture (MotionBeat).

    The COCO-17 keypoints become joints ``(x, -y, 0)`` in pixels (y up, depth 0:
    :func:`mudar.features.keypoints2d.pose_joints3d`); frames without a body are filled by linear
    interpolation over time from the frames around them (as AIST++'s lost joints are). Frame
    ``k`` is taken at ``k / fps`` (the track's rate): a track starts at the video's first frame.

    Parameters
    ----------
    path : path-like
        ``mudar pose``'s ``.npz`` or a keypoints2d ``.pkl``.
    view : int
        Camera view of a keypoints2d pickle.
    music_dir : path-like, optional
        Folder of the AIST music, for an AIST++ name (see :func:`pose_track_music`).

    Returns
    -------
    MotionClip
        ``skeleton`` ``"coco17"``, ``up_axis`` 1, ``music`` from :func:`pose_track_music`.

    Raises
    ------
    InputError
        Not a pose track, or one where no dancer was found.
    """
    p = Path(path)
    track = load_pose_track(p, view=view)
    if not track.found.any():
        raise InputError(f"{p}: no dancer found in the pose track, so no motion")
    from mudar.features.keypoints2d import pose_joints3d

    joints = _fill_gaps(pose_joints3d(track).astype(np.float64), p)
    music_id = aist_music_id(p.name)
    m = _AIST_NAME.match(p.stem)
    return MotionClip(
        joints=joints.astype(np.float32),
        fps=track.fps,
        up_axis=1,
        skeleton="coco17",
        source=str(p),
        music=pose_track_music(p, music_dir=music_dir),
        tempo_bpm=aist_tempo(music_id) if music_id is not None else None,
        label=AIST_GENRES.get(m.group("genre")) if m else None,
    )


def pose_track_music(
    path: str | os.PathLike, *, music_dir: str | os.PathLike | None = None
) -> Path | None:
    """The music of a pose track file, where none is given: the first that exists of

    1. the video the track was made from (an ``.npz`` of ``mudar pose`` records it);
    2. a media file beside the track with its stem (``dance.pkl`` -> ``dance.mp4``, ...,
       ``dance.wav``): ``mudar pose dance.mp4 -o dance.pkl`` needs nothing more;
    3. for an AIST++ name, ``<music_dir>/<music id>.wav``, by default ``wav/`` beside the
       ``keypoints2d/`` folder of the pickle (music offset 0).

    Returns
    -------
    Path or None
    """
    p = Path(path)
    source = track_source(p)
    if source is not None and source.is_file():
        return source
    beside = media_beside(p)
    if beside is not None:
        return beside
    music_id = aist_music_id(p.name)
    if music_id is None:
        return None
    folder = Path(music_dir) if music_dir is not None else p.parent.parent / "wav"
    wav = folder / f"{music_id}.wav"
    return wav if wav.is_file() else None


def is_motion_path(path: str | os.PathLike) -> bool:
    """Whether :func:`load_motion` would try ``path`` (a folder with motion.npz, .npz, .pkl)."""
    p = Path(path)
    if p.is_dir():
        return (p / "motion.npz").is_file()
    return p.suffix.lower() in (".npz", ".pkl", ".pickle")


# --- helpers --------------------------------------------------------------------------------


def _skeleton_name(n_joints: int) -> str:
    return {23: "dwm23", 17: "coco17"}.get(n_joints, f"j{n_joints}")


def _check_loaded(joints: np.ndarray, path: Path) -> np.ndarray:
    if joints.ndim != 3 or joints.shape[2] != 3 or joints.shape[0] < 1 or joints.shape[1] < 1:
        raise InputError(f"{path}: joints must have shape (T, J, 3), got {joints.shape}")
    if not np.all(np.isfinite(joints)):
        raise InputError(f"{path}: joints hold NaN or infinite positions")
    return joints


def _read_meta(path: Path) -> dict:
    if not path.is_file():
        return {}
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise InputError(f"{path}: not valid JSON ({e})") from e
    return meta if isinstance(meta, dict) else {}


def _fill_gaps(joints: np.ndarray, path: Path) -> np.ndarray:
    """Linear interpolation over time of NaN coordinates; edges take the nearest seen value."""
    bad = ~np.isfinite(joints)
    if not bad.any():
        return joints
    seen = ~bad.any(axis=2)  # (T, J): all three coordinates known
    never = np.flatnonzero(~seen.any(axis=0))
    if len(never):
        raise InputError(f"{path}: joints {never.tolist()} are never located (all NaN)")
    out = joints.copy()
    t = np.arange(joints.shape[0])
    for j in np.flatnonzero(~seen.all(axis=0)):
        ok = seen[:, j]
        for c in range(3):
            out[:, j, c] = np.interp(t, t[ok], joints[ok, j, c])
    return out


def _stand_up(joints: np.ndarray) -> tuple[np.ndarray, int]:
    """COCO-17 joints turned so that the body stands along +axis; returns (joints, up_axis).

    Up is the axis of the median vector from the ankles (15, 16) to the nose (0). A skeleton
    standing along -axis is rotated by 180 degrees about axis ``(up + 2) % 3`` (two
    coordinates negated: a proper rotation, not a mirror image).
    """
    v = np.median(joints[:, 0] - joints[:, 15:17].mean(axis=1), axis=0)
    up = int(np.argmax(np.abs(v)))
    if v[up] < 0:
        joints = joints.copy()
        joints[..., up] *= -1
        joints[..., (up + 1) % 3] *= -1
    return joints, up
