"""The dances a bench works on: prepared once, then subsets of them for each training run.

A training run sees only its seed's training dances: a feature folder of its own whose manifest
lists them, with entries pointing at the one prepared copy (absolute paths: nothing is copied).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mudar.atomic import write_text
from mudar.data.readers.dataset import find_videos, is_locked, meta_beside
from mudar.data.store.cache import FeatureCache
from mudar.data.store.prepare import MANIFESTS, load_manifest, prepare
from mudar.errors import InputError, ParameterError
from mudar.features.analysis import FEATURES_VERSION, AnalysisConfig


def prepared_features(
    data: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    config,
    jobs: int = 2,
    progress: bool = True,
) -> Path:
    """The feature folder of ``data``: itself when it is prepared, else prepared into ``out_dir``
    (resumably: files already there are not analysed again).

    Parameters
    ----------
    data : path-like
        A folder of videos, or of features made by ``mudar prepare``.
    out_dir : path-like
    config : AnalysisConfig
        The analysis the models need (their frame clock and frame size).
    jobs : int
        Worker processes of the analysis.
    progress : bool

    Returns
    -------
    Path

    Raises
    ------
    InputError
        ``data`` is not a folder, or no video could be prepared.
    ParameterError
        Prepared features made with another analysis than ``config``, or by another version
        of the analysis code (:data:`~mudar.features.analysis.FEATURES_VERSION`).
    """

    data = Path(data)
    if (data / MANIFESTS).is_dir():
        for f in sorted((data / MANIFESTS).glob("shard-*-of-*.json")):
            doc = json.loads(f.read_text(encoding="utf-8"))
            found = AnalysisConfig.from_dict(doc["config"])
            if found.key() != config.key():
                raise ParameterError(
                    f"{data}: prepared with another analysis ({found}) than the bench needs "
                    f"({config}); give the videos instead"
                )
            version = doc.get("features_version", 1)
            if version != FEATURES_VERSION:
                raise ParameterError(
                    f"{data}: prepared by another version of mudar's analysis ({version}, this "
                    f"one is {FEATURES_VERSION}); prepare it again or give the videos instead"
                )
        return data
    if not data.is_dir():
        raise InputError(f"{data}: not a folder of videos or of prepared features")
    report = prepare(data, out_dir, config=config, jobs=jobs, progress=progress)
    if not report.done:
        raise InputError(f"{data}: no video could be prepared")
    return Path(out_dir)


def video_ids(data: str | os.PathLike) -> list[str]:
    """The ids of the videos of ``data`` (a folder of videos, or of features made by ``mudar
    prepare``) without analysing anything.

    Raises
    ------
    InputError
        Not a folder, or no video in it.
    """
    data = Path(data)
    if (data / MANIFESTS).is_dir():
        return [str(it["id"]) for it in load_manifest(data)]
    return [v.id for v in find_videos(data)]


def usable_items(features: str | os.PathLike) -> list[dict]:
    """The manifest items with both music and pictures (the others have nothing to score).

    Raises
    ------
    InputError
        None has both.
    """

    items = [
        it
        for it in load_manifest(features)
        if it.get("has_music", True) and it.get("has_dance", True)
    ]
    if not items:
        raise InputError(f"{features}: no video with both music and pictures")
    return items


def write_subset(
    features: str | os.PathLike, items: Sequence[dict], out: str | os.PathLike
) -> Path:
    """A feature folder of some of the prepared items, without copying them.

    Parameters
    ----------
    features : path-like
        The prepared folder the items come from.
    items : sequence of dict
        Its manifest items to keep.
    out : path-like
        The new folder: ``manifests/shard-0-of-1.json`` only, its entries absolute.

    Returns
    -------
    Path
        ``out``, a folder :func:`mudar.training.train.train` takes as ``data``.
    """

    features = Path(features).resolve()
    config, version = None, None
    for f in sorted((features / MANIFESTS).glob("shard-*-of-*.json")):
        source = json.loads(f.read_text(encoding="utf-8"))
        config, version = source["config"], source.get("features_version", 1)
        break
    doc = {
        "config": config,
        "features_version": version,
        "shard": [0, 1],
        "items": [{**it, "entry": str(features / it["entry"])} for it in items],
        "skipped": [],
    }
    out = Path(out)
    write_text(out / MANIFESTS / "shard-0-of-1.json", json.dumps(doc, indent=1))
    return out


def load_analyses(features: str | os.PathLike, items: Sequence[dict]) -> dict:
    """The cached :class:`~mudar.features.analysis.Analysis` of each item, by id.

    Raises
    ------
    InputError
        An entry that cannot be read.
    """

    cache = FeatureCache(features)
    out = {}
    for it in items:
        a = cache.load(Path(features) / it["entry"])
        if a is None:
            raise InputError(f"{it['path']}: its features {it['entry']} cannot be read")
        out[it["id"]] = a
    return out


def locked_accents(items: Sequence[dict]) -> dict[str, np.ndarray]:
    """The dancer's own kinematic accents of the videos of a beat-locked set, by id.

    ``detected_accent_times`` (seconds) of the ``meta.json`` beside each video
    (:func:`mudar.pipelines.locked.lock_dance` re-detects them on the warped joints): the timing a
    visual rhythm could at best recover, the reference above every method. Items of another
    layout, or whose meta.json is gone, are left out.
    """
    out = {}
    for it in items:
        doc = meta_beside(str(it.get("path", ""))) if is_locked(it) else {}
        if "detected_accent_times" in doc:
            out[str(it["id"])] = np.asarray(doc["detected_accent_times"], np.float64)
    return out
