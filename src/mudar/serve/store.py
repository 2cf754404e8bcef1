"""The files the page works on: uploads (kept in the server's temporary folder, size-limited,
probed on arrival) and the media files offered to pick (demo clips or a ``--media`` folder)."""

from __future__ import annotations

import shutil
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from mudar.errors import DecodeError, InputError, MudarError
from mudar.io import probe

MEDIA_SUFFIXES = (".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v", ".wav", ".mp3", ".ogg", ".flac")
"""Files of a ``--media`` folder that are offered."""


class TooLarge(InputError):
    """An upload over the size limit."""


@dataclass
class StoredFile:
    """A file the page can use.

    Attributes
    ----------
    id : str
        What the page calls it.
    name : str
        Its name for people (the uploaded name, or the media file's).
    path : Path
    has_video, has_audio : bool
    duration_s : float
    picked : bool
        One of the offered media files (never removed).
    """

    id: str
    name: str
    path: Path
    has_video: bool
    has_audio: bool
    duration_s: float
    picked: bool = False

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "has_video": self.has_video,
            "has_audio": self.has_audio,
            "duration_s": round(self.duration_s, 3),
            "picked": self.picked,
        }


STORED_NAME_BYTES = 200
"""Longest name of an upload on disk, UTF-8 bytes (file systems allow 255)."""


def clean_name(name: str) -> str:
    """A file name as the user gave it, for people: NFC, without folders or control characters
    (accents, CJK and spaces kept, never shortened; ``upload`` if nothing is left)."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c) != "Cc").strip()
    return "upload" if name in ("", ".", "..") else name


def safe_name(name: str) -> str:
    """The name an upload is written under: :func:`clean_name`, no leading dot, and its stem
    shortened at the end to fit :data:`STORED_NAME_BYTES` (the extension kept)."""
    name = clean_name(name).lstrip(".") or "upload"
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext.encode()) > 16:
        stem, ext = name, ""
    ext = "." + ext if ext else ""
    room = STORED_NAME_BYTES - len(ext.encode())
    stem = stem.encode()[:room].decode("utf-8", errors="ignore").rstrip() or "upload"
    return stem + ext


def short_name(name: str, limit: int = 48) -> str:
    """``name`` for a narrow display: unchanged up to ``limit`` characters, else cut at the
    end with an ellipsis before its extension (``Très-longue-danse-de-mon-…mp4``). The page's
    ``shortName`` (static/app.js) does the same; JSON keeps the full name."""
    if len(name) <= limit:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext) > 8:
        return name[: limit - 1] + "…"
    return name[: max(1, limit - 1 - len(ext))] + "…" + ext


class FileStore:
    """Uploaded and offered files, by id.

    Parameters
    ----------
    root : Path
        Uploads go to ``root/<id>/<name>``.
    max_bytes : int
        Largest upload accepted.
    """

    def __init__(self, root: Path, *, max_bytes: int) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.max_bytes = int(max_bytes)
        self._files: dict[str, StoredFile] = {}
        self._lock = threading.Lock()
        self._n = 0

    def add_media(self, path: Path) -> StoredFile | None:
        """Offer an existing file to pick; None (left out) when it is not readable media."""
        try:
            info = probe(path)
        except MudarError:
            return None
        with self._lock:
            self._n += 1
            f = StoredFile(
                id=f"m{self._n}",
                name=path.name,
                path=Path(path),
                has_video=info.has_video,
                has_audio=info.has_audio,
                duration_s=info.duration_s,
                picked=True,
            )
            self._files[f.id] = f
        return f

    def offer(self, path: Path) -> StoredFile | None:
        """The offered file at ``path`` (a search result of the index, to preview or retarget
        onto): the one already offered there, else ``path`` offered now; None when it is gone
        or no readable media."""
        path = Path(path)
        if not path.is_file():
            return None
        where = path.resolve()
        with self._lock:
            known = [f for f in self._files.values() if f.picked and f.path.resolve() == where]
        return known[0] if known else self.add_media(path)

    def add_media_folder(self, folder: Path) -> list[StoredFile]:
        """Offer the media files of ``folder`` (not recursive), sorted by name."""
        folder = Path(folder)
        if not folder.is_dir():
            raise InputError(f"{folder}: no such directory")
        found = [p for p in sorted(folder.iterdir()) if p.suffix.lower() in MEDIA_SUFFIXES]
        return [f for p in found if (f := self.add_media(p)) is not None]

    def new_upload(self, name: str) -> tuple[str, Path]:
        """An id and the path an upload named ``name`` is written to."""
        with self._lock:
            self._n += 1
            file_id = f"u{self._n}"
        folder = self.root / file_id
        folder.mkdir()
        return file_id, folder / safe_name(name)

    def accept_upload(self, file_id: str, path: Path, name: str) -> StoredFile:
        """Probe a written upload and keep it; a file that is no media is removed.

        Raises
        ------
        InputError, DecodeError
            Empty, or not a video or audio file FFmpeg can read.
        """
        try:
            if path.stat().st_size == 0:
                raise InputError(f"{name}: the file is empty")
            try:
                info = probe(path)
            except MudarError as e:
                raise DecodeError(f"{name}: not a video or audio file mudar can read") from e
        except MudarError:
            self.discard_folder(file_id)
            raise
        f = StoredFile(
            id=file_id,
            name=clean_name(name),
            path=path,
            has_video=info.has_video,
            has_audio=info.has_audio,
            duration_s=info.duration_s,
        )
        with self._lock:
            self._files[file_id] = f
        return f

    def discard_folder(self, file_id: str) -> None:
        shutil.rmtree(self.root / file_id, ignore_errors=True)

    def get(self, file_id: str) -> StoredFile | None:
        with self._lock:
            return self._files.get(file_id)

    def media(self) -> list[StoredFile]:
        with self._lock:
            return [f for f in self._files.values() if f.picked]

    def remove(self, file_id: str) -> bool:
        """Forget an upload and delete it (offered media files stay)."""
        with self._lock:
            f = self._files.get(file_id)
            if f is None or f.picked:
                return False
            del self._files[file_id]
        self.discard_folder(file_id)
        return True
