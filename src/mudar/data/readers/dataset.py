"""A dataset is a folder of videos, searched recursively, with optional labels.

Labels come from ``labels.csv`` at the root (columns ``path,label``, paths relative to the root)
or from a ``meta.json`` beside a video with a ``genre`` field (the layout of the dwm data), else
from an AIST++ name (``gBR_sBM_c01_d04_mBR0_ch01.mp4`` is break). An AIST++ tree is read by
:mod:`mudar.data.store.aist_media` instead (its items carry official splits). A beat-locked set
(``mudar make-locked``) holds several looks of each dance, ``<dance>/video_<look>.mp4``:
:func:`dance_group` and :func:`look_of` read them off the ids.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from pathlib import Path

from mudar.data.readers.aist import aist_genre
from mudar.errors import InputError

VIDEO_EXTENSIONS = frozenset(
    {".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi", ".mpg", ".mpeg", ".ts", ".flv", ".wmv"}
)
AUDIO_EXTENSIONS = frozenset({".wav", ".mp3", ".ogg", ".flac", ".m4a", ".aac", ".opus"})


@dataclass(frozen=True)
class VideoItem:
    """One video of a dataset.

    Attributes
    ----------
    path : Path
    id : str
        Path relative to the dataset root, without extension ('/'-separated); unique.
    label : str or None
    split : str or None
        An official split (``train``, ``val``, ``test``) when the dataset has one (AIST++).
    """

    path: Path
    id: str
    label: str | None = None
    split: str | None = None


def find_videos(root: str | os.PathLike) -> list[VideoItem]:
    """All videos under ``root`` (sorted, recursive) with their labels.

    Raises
    ------
    InputError
        ``root`` missing or not a directory, a malformed labels.csv, or no video found.
    """
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"{root}: not a directory")
    labels = _read_labels_csv(root)
    items = []
    for p in sorted(root.rglob("*")):
        if p.suffix.lower() not in VIDEO_EXTENSIONS or not p.is_file() or p.name.startswith("."):
            continue
        rel = p.relative_to(root).as_posix()
        label = labels.get(rel) or labels.get(p.name) or meta_label(p) or aist_genre(p.name)
        items.append(VideoItem(path=p, id=rel.rsplit(".", 1)[0], label=label))
    if not items:
        raise InputError(
            f"{root}: no video files found (looked for {', '.join(sorted(VIDEO_EXTENSIONS))})"
        )
    return items


def _read_labels_csv(root: Path) -> dict[str, str]:
    f = root / "labels.csv"
    if not f.is_file():
        return {}
    try:
        with f.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise InputError(f"{f}: cannot read ({e})") from None
    if rows and not {"path", "label"} <= set(rows[0]):
        raise InputError(f"{f}: needs the columns 'path,label'")
    return {Path(r["path"]).as_posix(): r["label"] for r in rows if r.get("path")}


def meta_label(video: Path) -> str | None:
    """The ``genre`` of the ``meta.json`` beside a file (the dwm layout), or None."""
    genre = meta_beside(video).get("genre")
    return str(genre) if genre else None


def meta_beside(path: str | os.PathLike) -> dict:
    """The ``meta.json`` beside a file (the dwm and locked layouts); ``{}`` when there is none
    or it cannot be read as a JSON object."""
    meta = Path(path).parent / "meta.json"
    try:
        doc = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


SONG_SEP = "~"
"""Between a dance's name and its song's in the folder of a locked dance re-timed onto another
dance's music (``mudar make-locked --songs``)."""


def video_name(look: str) -> str:
    """File name of a look's video in a locked dance's folder."""
    return f"video_{look}.mp4"


def pose_name(look: str) -> str:
    """File name of a locked dance's free pose track in ``look`` (``make-locked --pose``)."""
    return f"pose_{look}.npz"


def dance_group(item: dict | str) -> str:
    """The dance a video of the locked set belongs to: its folder, up to :data:`SONG_SEP` (every
    song a dance was re-timed onto stays with it).

    For :func:`mudar.data.clips.clipset.split_videos` (``group=dance_group``): every look of one
    dance (``<dance>/video_<look>.mp4``, id ``<dance>/video_<look>``) goes to the same side.

    Parameters
    ----------
    item : dict or str
        A manifest item (its ``id``) or a bare id.
    """
    vid = item if isinstance(item, str) else str(item["id"])
    folder = vid.rsplit("/", 1)[0] if "/" in vid else vid
    return folder.split(SONG_SEP, 1)[0]  # <dance>~<song>: a warp of the dance onto a song


def look_of(item: dict | str) -> str | None:
    """The look of a video of the locked set (``<dance>/video_<look>``), or None for an id of
    another layout.

    Parameters
    ----------
    item : dict or str
        A manifest item (its ``id``) or a bare id.
    """
    vid = item if isinstance(item, str) else str(item["id"])
    if "/" not in vid:
        return None
    name = vid.rsplit("/", 1)[1]
    return name[len("video_") :] if name.startswith("video_") and len(name) > 6 else None


def is_locked(item: dict) -> bool:
    """Whether a manifest item (its ``path``) is a video of a beat-locked set: its id is
    ``<dance>/video_<look>`` and the ``meta.json`` beside it says ``"locked": true`` (what
    ``mudar make-locked`` writes). Another layout, or a video no longer there, is not."""
    if look_of(item) is None:
        return False
    return meta_beside(str(item.get("path", ""))).get("locked") is True
