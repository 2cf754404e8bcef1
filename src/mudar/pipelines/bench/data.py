"""The dances a bench works on: prepared once, then subsets of them for each training run.

A training run sees only its seed's training dances: a feature folder of its own whose manifest
lists them, with entries pointing at the one prepared copy (absolute paths: nothing is copied).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from mudar.atomic import write_text
from mudar.data.readers.dataset import find_videos, is_locked, look_of, meta_beside, pose_name
from mudar.data.store.cache import FeatureCache
from mudar.data.store.prepare import MANIFESTS, analyze_files, load_manifest, prepare
from mudar.errors import InputError, ParameterError
from mudar.features.analysis import FEATURES_VERSION, AnalysisConfig
from mudar.features.pose import PoseTrack


def is_prepared(data: str | os.PathLike) -> bool:
    """Whether ``data`` is a folder of features made by ``mudar prepare`` (not of videos)."""
    return (Path(data) / MANIFESTS).is_dir()


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
    if is_prepared(data):
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
    if is_prepared(data):
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


def free_pose_track(item: Mapping) -> PoseTrack | None:
    """The free pose track beside a video of a beat-locked set, or None where it has none.

    ``<dance>/pose_<look>.npz``, as ``mudar make-locked --pose`` writes it: the joints its camera
    sees, spoiled as an estimator would (:func:`mudar.synthetic.looks.free_pose`). A file that
    cannot be read counts as none.
    """
    item = dict(item)
    look = look_of(item)
    if look is None or not is_locked(item):
        return None
    try:
        with np.load(Path(str(item["path"])).with_name(pose_name(look))) as z:
            return PoseTrack.from_arrays(z)
    except (OSError, ValueError, KeyError):
        return None


def with_pose_tracks(
    features: str | os.PathLike,
    items: Sequence[dict],
    analyses: Mapping[str, object],
    config: AnalysisConfig,
    *,
    test_looks: Sequence[str],
    jobs: int = 2,
    progress: bool = True,
) -> tuple[dict, list[tuple[str, str]]]:
    """``analyses`` (made without a pose track) each with one: the free track of a video in a
    look never tested (:func:`free_pose_track`), else the estimator's.

    A beat-locked set's renders carry their pose track (``make-locked --pose``), so the videos
    only trained on need no estimator (MediaPipe runs at about real time on a CPU); the test
    looks are always estimated from the pictures, as a user's video is. The estimates are
    analyses with ``config`` in the same feature cache (resumable).

    Parameters
    ----------
    features : path-like
        The feature folder the analyses come from (its cache takes the estimates too).
    items : sequence of dict
        Their manifest items.
    analyses : mapping of str to Analysis
        By id, without a pose track.
    config : AnalysisConfig
        The analysis with the pose track (``pose_stride > 0``).
    test_looks : sequence of str
        Looks that are tested: never given a free track.
    jobs : int
    progress : bool

    Returns
    -------
    analyses : dict of str to Analysis
        By id; an item whose estimate failed is left out.
    skipped : list of (path, reason)
    """
    out, estimate = {}, {}
    for it in items:
        track = None if look_of(it) in set(test_looks) else free_pose_track(it)
        if track is None:
            estimate[str(it["path"])] = str(it["id"])
        else:
            out[str(it["id"])] = dataclasses.replace(analyses[str(it["id"])], pose=track)
    cache, skipped = FeatureCache(features), []
    for path, status, payload in analyze_files(
        list(estimate), cache, config, jobs=jobs, progress=progress
    ):
        if status == "skip":
            skipped.append((path, str(payload)))
            continue
        estimated = cache.load(cache.root / payload["entry"])
        if estimated is None:
            skipped.append((path, f"its features {payload['entry']} cannot be read"))
            continue
        out[estimate[path]] = dataclasses.replace(analyses[estimate[path]], pose=estimated.pose)
    return out, skipped
