"""The feature cache: one ``.npz`` per (file content, analysis parameters), written atomically.

Entries are keyed by a hash of the file's bytes and of the :class:`AnalysisConfig`, so a renamed
file is found again and a changed parameter never returns stale features. No pickles: arrays and
one JSON string.
"""

from __future__ import annotations

import hashlib
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


class FeatureCache:
    """A folder of cached :class:`Analysis` results.

    Parameters
    ----------
    root : path-like
        Folder; created on first write.
    """

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def entry(self, path: str | os.PathLike, config: AnalysisConfig) -> Path:
        """Where the features of ``path`` under ``config`` live."""
        return self.root / "items" / f"{content_hash(path)}-{config.key()}.npz"

    def load(self, entry: Path) -> Analysis | None:
        """The cached analysis, or None if absent or unreadable (a partial write is never seen)."""
        if not entry.is_file():
            return None
        try:
            with np.load(entry, allow_pickle=False) as z:
                return Analysis.from_arrays({k: z[k] for k in z.files})
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            return None

    def save(self, entry: Path, analysis: Analysis) -> None:
        """Write atomically: a temp file in the same folder, then rename."""
        save_npz(entry, analysis.to_arrays())


def save_npz(path: str | os.PathLike, arrays: dict[str, np.ndarray]) -> None:
    """``np.savez_compressed`` to ``path`` atomically."""
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, **arrays)
