"""Pose tracks on disk: ``mudar pose``'s ``.npz``, and AIST++'s ``keypoints2d`` pickles.

Two layouts hold a :class:`~mudar.features.pose.PoseTrack`:

- **npz**: the track's own arrays (:meth:`PoseTrack.to_arrays`: ``times_s``, ``keypoints``,
  ``confidence``, ``landmarks``, ``size``, ``fps``, ``estimator``) and ``source``, the video it
  was made from. Nothing is lost.
- **keypoints2d pickle**, as AIST++ ships ``keypoints2d/<name>.pkl``: a pickled dict of
  ``keypoints2d`` float32 (views, T, 17, 3), ``det_scores`` float32 (views, T) and
  ``timestamps`` int64 (T,), microseconds (:func:`mudar.features.keypoints2d.keypoints2d_arrays`).
  ``mudar pose`` writes one view (view 0) and nothing else, so one reader takes AIST++'s files
  and ours; the estimator's 33 landmarks and the picture size are not in it.

Pickles are read with :func:`mudar.data.readers.pickles.safe_unpickle`, which builds numpy
arrays only.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np

from mudar.atomic import atomic_path
from mudar.data.readers.pickles import safe_unpickle
from mudar.errors import InputError, MudarError, ParameterError
from mudar.features.keypoints2d import keypoints2d_arrays, track_from_keypoints2d
from mudar.features.pose import PoseTrack

__all__ = [
    "TRACK_SUFFIXES",
    "is_pose_track",
    "load_pose_track",
    "media_beside",
    "save_pose_track",
    "track_source",
]

TRACK_SUFFIXES = (".npz", ".pkl")
"""Extensions a pose track is written with: the track's arrays, or AIST++'s keypoints2d."""

_NPZ_KEYS = {"times_s", "keypoints", "confidence", "landmarks", "size", "fps"}
_BESIDE = (".mp4", ".mov", ".mkv", ".webm", ".m4v", ".avi", ".wav", ".flac", ".ogg", ".mp3")


def save_pose_track(
    path: str | os.PathLike, track: PoseTrack, *, source: str | os.PathLike | None = None
) -> Path:
    """Write ``track`` atomically: ``.npz`` (its arrays and ``source``) or ``.pkl`` (AIST++'s
    keypoints2d layout, one view).

    Parameters
    ----------
    path : path-like
        ``OUT.npz`` or ``OUT.pkl``; its folder is created.
    track : PoseTrack
    source : path-like, optional
        The video it was made from (npz only: the pickle holds what AIST++'s does, nothing more).

    Returns
    -------
    Path

    Raises
    ------
    ParameterError
        Another extension.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in TRACK_SUFFIXES:
        raise ParameterError(f"{p}: a pose track is written as .npz or .pkl, not {p.suffix!r}")
    with atomic_path(p) as tmp, open(tmp, "wb") as f:
        if suffix == ".npz":
            extra = {"source": np.array(str(source) if source is not None else "")}
            np.savez_compressed(f, **track.to_arrays(), **extra)
        else:
            pickle.dump(keypoints2d_arrays(track), f, protocol=4)
    return p


def is_pose_track(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a pose track: an ``.npz`` of ``mudar pose``, or a pickle holding
    ``keypoints2d`` (AIST++'s, or ours). Unreadable files are not."""
    p = Path(path)
    if not p.is_file():
        return False
    suffix = p.suffix.lower()
    try:
        if suffix == ".npz":
            with np.load(p, allow_pickle=False) as z:
                return _NPZ_KEYS <= set(z.files)
        if suffix in (".pkl", ".pickle"):
            data = safe_unpickle(p)
            return isinstance(data, dict) and "keypoints2d" in data
    except (MudarError, OSError, ValueError, EOFError):
        return False
    return False


def load_pose_track(path: str | os.PathLike, *, view: int = 0) -> PoseTrack:
    """Read a pose track: ``mudar pose``'s ``.npz``, or a keypoints2d pickle (AIST++'s or ours).

    Parameters
    ----------
    path : path-like
    view : int
        The camera view of a keypoints2d pickle (AIST++: 0-8 for c01-c09; ours: 0 only).

    Returns
    -------
    PoseTrack

    Raises
    ------
    InputError
        A missing or unreadable file, or one that is no pose track (the message says what
        was found).
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such file" if not p.exists() else f"{p}: not a file")
    suffix = p.suffix.lower()
    try:
        if suffix == ".npz":
            with np.load(p, allow_pickle=False) as z:
                missing = _NPZ_KEYS - set(z.files)
                if missing:
                    raise InputError(
                        f"{p}: not a pose track of `mudar pose` (no {', '.join(sorted(missing))})"
                    )
                return PoseTrack.from_arrays(z)
        if suffix in (".pkl", ".pickle"):
            data = safe_unpickle(p)
            if not isinstance(data, dict) or "keypoints2d" not in data:
                raise InputError(f"{p}: not a keypoints2d pickle (no 'keypoints2d' in it)")
            return track_from_keypoints2d(data, view=view, source=p.name)
    except ParameterError as e:
        raise InputError(str(e) if str(e).startswith(str(p)) else f"{p}: {e}") from None
    except (OSError, ValueError, EOFError, KeyError) as e:
        raise InputError(f"{p}: cannot be read as a pose track ({e})") from None
    raise InputError(f"{p}: a pose track is an .npz of `mudar pose` or a keypoints2d .pkl")


def track_source(path: str | os.PathLike) -> Path | None:
    """The video an ``.npz`` track was made from, as it was written (None for a pickle or an
    npz without one)."""
    p = Path(path)
    if p.suffix.lower() != ".npz":
        return None
    try:
        with np.load(p, allow_pickle=False) as z:
            source = str(z["source"]) if "source" in z.files else ""
    except (OSError, ValueError, EOFError):
        return None
    return Path(source) if source else None


def media_beside(path: str | os.PathLike) -> Path | None:
    """A media file beside ``path`` with its stem (``dance.pkl`` -> ``dance.mp4``, then
    ``.mov`` ... ``.wav`` ...), or None."""
    p = Path(path)
    for ext in _BESIDE:
        for cand in (p.with_suffix(ext), p.with_suffix(ext.upper())):
            if cand.is_file():
                return cand
    return None
