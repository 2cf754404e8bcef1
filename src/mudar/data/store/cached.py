"""The cached analyses of a given list of files: every file must be in the feature cache.

The tasks that read whole-file features after ``mudar embed`` or ``mudar prepare`` (fine-tuning
the classifier, the raw-feature baseline) take them from here, so they never decode a file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from mudar.data.store.cache import FeatureCache
from mudar.errors import InputError
from mudar.features.analysis import Analysis, AnalysisConfig


def cache_entries(
    files: Sequence[str | os.PathLike], cache_dir: str | os.PathLike, config: AnalysisConfig
) -> list[Path]:
    """The cache entry of each file under ``config``, each checked to be there.

    Raises
    ------
    InputError
        A file missing from disk (its entry is keyed by its bytes) or from the cache.
    """
    cache = FeatureCache(cache_dir)
    entries = []
    for f in files:
        if not Path(f).is_file():
            raise InputError(f"{f}: no such file (needed to find its cached features)")
        entry = cache.entry(f, config)
        if not entry.is_file():
            raise InputError(
                f"{f}: not in the feature cache {cache_dir} "
                "(embed or prepare the files with this --cache first)"
            )
        entries.append(entry)
    return entries


def cached_analyses(
    files: Sequence[str | os.PathLike], cache_dir: str | os.PathLike, config: AnalysisConfig
) -> Iterator[Analysis]:
    """The whole-file :class:`Analysis` of each file, in order, read one at a time.

    Every entry is checked before the first is read (:func:`cache_entries`).

    Raises
    ------
    InputError
        A file missing from disk or from the cache (at the call), or an entry that cannot be
        read (when it is reached).
    """
    entries = cache_entries(files, cache_dir, config)
    return _read(FeatureCache(cache_dir), files, entries)


def _read(cache: FeatureCache, files, entries) -> Iterator[Analysis]:
    for f, entry in zip(files, entries, strict=True):
        a = cache.load(entry)
        if a is None:
            raise InputError(f"{f}: its cache entry {entry} cannot be read")
        yield a
