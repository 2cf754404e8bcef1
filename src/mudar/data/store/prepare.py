"""``mudar prepare``: decode and featurise a whole dataset once, in parallel, resumably.

Each video becomes one cache entry (see :mod:`mudar.data.store.cache`); a manifest per shard lists
what
was done, so a cluster array job (``--shard I/N``) can split the work and the results still read as
one feature set. Bad files are skipped and reported; they never stop the batch.
"""

from __future__ import annotations

import json
import os
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import cv2
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from mudar.atomic import sweep_partials, write_text
from mudar.data.readers.aist import DEFAULT_CAMERA, is_aist_tree
from mudar.data.readers.dataset import VideoItem, find_videos
from mudar.data.store.aist_media import DEFAULT_LOOK, aist_items
from mudar.data.store.cache import FeatureCache
from mudar.data.store.engines import run_tasks
from mudar.errors import InputError, MudarError, ParameterError
from mudar.features.analysis import FEATURES_VERSION, AnalysisConfig
from mudar.features.extract import analyze
from mudar.io.media import check_path

MANIFESTS = "manifests"


@dataclass
class PrepareReport:
    """What a prepare run did: entries written, found in the cache, and files skipped."""

    done: list[dict] = field(default_factory=list)
    cached: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        """One line of counts (the skipped files are listed by the CLI)."""
        ok = len(self.done)
        return (
            f"{ok} file(s) ready ({ok - self.cached} extracted, {self.cached} already cached), "
            f"{len(self.skipped)} skipped"
        )


def parse_shard(text: str) -> tuple[int, int]:
    """``"I/N"`` -> (I, N) with 0 <= I < N."""
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise ParameterError(f"--shard must look like I/N (e.g. 0/4), got {text!r}") from None
    if not (n >= 1 and 0 <= i < n):
        raise ParameterError(f"--shard I/N needs 0 <= I < N, got {text!r}")
    return i, n


def prepare(
    data_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    config: AnalysisConfig | None = None,
    jobs: int = 1,
    shard: tuple[int, int] = (0, 1),
    progress: bool = True,
    engine: str = "local",
    address: str | None = None,
    camera: str = DEFAULT_CAMERA,
    look: str = DEFAULT_LOOK,
) -> PrepareReport:
    """Extract the features of every video under ``data_dir`` into ``out_dir``.

    Parameters
    ----------
    data_dir : path-like
        Dataset folder (see :func:`mudar.data.readers.dataset.find_videos`), or an AIST++ tree (see
        :mod:`mudar.data.readers.aist`): its sequences are made videos first, under
        ``out_dir/media`` (:func:`mudar.data.store.aist_media.aist_items`), and their manifest items
        carry the official ``split``.
    out_dir : path-like
        Feature folder: ``items/*.npz`` and ``manifests/shard-I-of-N.json``.
    config : AnalysisConfig, optional
    jobs : int
        Worker processes (1: in this process), or the CPUs of a local Ray.
    shard : (I, N)
        Only every N-th video, starting at the I-th.
    progress : bool
        Show a progress bar.
    engine : {"local", "ray"}
        Where the per-file work runs (:mod:`mudar.data.store.engines`); same entries either way.
    address : str, optional
        Ray cluster to join (``"auto"``); ``engine="ray"`` only.
    camera : str
        AIST++ with ``videos/``: the camera whose videos are used.
    look : str
        AIST++ without videos: the look of the rendered keypoints.

    Returns
    -------
    PrepareReport
    """
    config = config or AnalysisConfig()
    i, n = shard
    report = PrepareReport()
    if is_aist_tree(data_dir):
        items, report.skipped = aist_items(
            data_dir,
            out_dir,
            camera=camera,
            look=look,
            shard=shard,
            jobs=jobs,
            engine=engine,
            address=address,
            progress=progress,
            initializer=_init_worker,
        )
    else:
        items = find_videos(data_dir)[i::n]
    cache = FeatureCache(out_dir)
    sweep_partials(cache.root / "items")  # what a killed run was writing
    by_path = {str(it.path): it for it in items}
    results = analyze_files(
        list(by_path), cache, config, jobs=jobs, progress=progress, engine=engine, address=address
    )
    for path, status, payload in results:
        if status == "skip":
            report.skipped.append((path, payload))
            continue
        item: VideoItem = by_path[path]
        report.cached += status == "cached"
        official = {"split": item.split} if item.split is not None else {}
        report.done.append(
            {"id": item.id, "path": path, "label": item.label, **official, **payload}
        )
    report.done.sort(key=lambda d: d["id"])
    _write_manifest(Path(out_dir), shard, config, report)
    return report


def analyze_files(
    paths: list[str],
    cache: FeatureCache,
    config: AnalysisConfig,
    *,
    jobs: int,
    progress: bool,
    engine: str = "local",
    address: str | None = None,
):
    """Analyse files into ``cache`` (in ``jobs`` workers of ``engine``), skipping those already
    there.

    Yields ``(path, "done" | "cached" | "skip", info | reason)`` as files finish; never raises
    for a bad file (its reason is yielded instead).
    """
    tasks = [(str(p), str(cache.root), config.to_dict()) for p in paths]
    bar = tqdm(total=len(tasks), desc="prepare", unit="file", disable=not progress)
    try:
        for result in run_tasks(
            prepare_one,
            tasks,
            engine=engine,
            jobs=jobs,
            address=address,
            initializer=_init_worker,
        ):
            yield result
            bar.update()
    finally:
        bar.close()


def _init_worker() -> None:
    """One thread per worker for OpenCV and BLAS: workers share the CPUs, and one BLAS thread
    makes every worker (of either engine) sum in the same order, so the features agree to the
    bit whichever engine made them."""
    cv2.setNumThreads(1)
    threadpool_limits(limits=1)


def prepare_one(path: str, cache_root: str, config_dict: dict) -> tuple[str, str, object]:
    """(path, 'done' | 'cached' | 'skip', entry info or reason). Never raises."""
    try:
        config = AnalysisConfig.from_dict(config_dict)
        cache = FeatureCache(cache_root)
        check_path(path)  # the cache key reads the bytes: a bad path is one line, not a bug
        entry = cache.entry(path, config)
        analysis = cache.load(entry)
        status = "cached"
        if analysis is None:
            analysis = analyze(path, config)
            cache.save(entry, analysis)
            status = "done"
        info = {
            "entry": str(entry.relative_to(cache.root)),
            "n_frames": analysis.n_frames,
            "duration_s": round(analysis.duration_s, 3),
            "has_music": analysis.music is not None,
            "has_dance": analysis.dance is not None,
        }
        return path, status, info
    except MudarError as e:
        return path, "skip", str(e)
    except Exception as e:  # a bug must not stop a batch of thousands; it is reported
        last = traceback.extract_tb(e.__traceback__)[-1]
        return (
            path,
            "skip",
            f"internal error {type(e).__name__}: {e} ({last.filename}:{last.lineno})",
        )


def _write_manifest(out: Path, shard: tuple[int, int], config, report: PrepareReport) -> None:
    i, n = shard
    doc = {
        "config": config.to_dict(),
        "features_version": FEATURES_VERSION,
        "shard": [i, n],
        "items": report.done,
        "skipped": [{"path": p, "reason": r} for p, r in report.skipped],
    }
    write_text(out / MANIFESTS / f"shard-{i}-of-{n}.json", json.dumps(doc, indent=1))


def load_manifest(features_dir: str | os.PathLike) -> list[dict]:
    """All prepared items of a feature folder (every shard), sorted by id.

    Raises
    ------
    InputError
        No manifest in ``features_dir``.
    """
    folder = Path(features_dir) / MANIFESTS
    files = sorted(folder.glob("shard-*-of-*.json")) if folder.is_dir() else []
    if not files:
        raise InputError(f"{features_dir}: no prepared features (run `mudar prepare` first)")
    items: dict[str, dict] = {}
    for f in files:
        for it in json.loads(f.read_text(encoding="utf-8"))["items"]:
            items[it["id"]] = it
    return [items[k] for k in sorted(items)]
