"""The caches: one ``.npz`` per (file contents, parameters), written atomically.

:class:`NpzCache` is the mechanism (read, write, an unreadable entry is a missing one);
:class:`FeatureCache` holds the :class:`Analysis` of media files, keyed by a hash of the file's
bytes and of the :class:`AnalysisConfig`, so a renamed file is found again and a changed
parameter never returns stale features; MotionBeat's prepared dances
(:class:`mudar.data.clips.motionbeat_set.DanceCache`) are keyed by :func:`files_key`. No pickles:
arrays and one JSON string.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path

import numpy as np

from mudar.atomic import atomic_path
from mudar.features.analysis import Analysis, AnalysisConfig


def content_hash(path: str | os.PathLike, *, chunk: int = 1 << 20) -> str:
    """BLAKE2b of a file's bytes (hex, 20 chars)."""
    h = hashlib.blake2b(digest_size=10)
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


class NpzCache:
    """A folder of records, one ``.npz`` entry each, keyed by content and settings.

    A subclass says what a record is (:attr:`record`, a class with ``to_arrays()`` and
    ``from_arrays(dict)``) and where an entry lives (its own ``entry(...)`` method: the key says
    which contents and settings the record was computed from). Entries are written atomically
    (:func:`save_npz`) and read without pickles; an unreadable entry reads as missing.

    Parameters
    ----------
    root : path-like
        Folder; created on first write.
    """

    record: type
    """The class of the records (``to_arrays`` / ``from_arrays``)."""

    unreadable: tuple[type[BaseException], ...] = (
        OSError,
        ValueError,
        KeyError,
        zipfile.BadZipFile,
    )
    """What reading a bad entry raises: such an entry is missing (recomputed, rewritten)."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def load(self, entry: Path):
        """The cached record, or None if absent or unreadable (a partial write is never seen)."""
        if not entry.is_file():
            return None
        try:
            with np.load(entry, allow_pickle=False) as z:
                return self.record.from_arrays({k: z[k] for k in z.files})
        except self.unreadable:
            return None

    def save(self, entry: Path, record) -> None:
        """Write atomically: a temp file in the same folder, then rename."""
        save_npz(entry, record.to_arrays())


class FeatureCache(NpzCache):
    """A folder of cached :class:`Analysis` results, ``items/<content hash>-<config key>.npz``.

    Parameters
    ----------
    root : path-like
        Folder; created on first write.
    """

    record = Analysis

    def entry(self, path: str | os.PathLike, config: AnalysisConfig) -> Path:
        """Where the features of ``path`` under ``config`` live."""
        return self.root / "items" / f"{content_hash(path)}-{config.key()}.npz"


def files_key(files, settings: dict) -> str:
    """A key (16 hex chars) for what is computed from some files under some settings: a hash of
    the settings (as sorted JSON) and of each existing file's name and :func:`content_hash`,
    in the order given (missing files are left out).

    Parameters
    ----------
    files : iterable of Path
    settings : dict
        JSON-serialisable.
    """
    h = hashlib.blake2b(digest_size=8)
    h.update(json.dumps(settings, sort_keys=True).encode())
    for f in files:
        if f.is_file():
            h.update(f.name.encode())
            h.update(content_hash(f).encode())
    return h.hexdigest()


def save_npz(path: str | os.PathLike, arrays: dict[str, np.ndarray]) -> None:
    """``np.savez_compressed`` to ``path`` atomically."""
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, **arrays)
