"""Prepared features as WebDataset tar shards, and the stream that reads them on many ranks.

``mudar prepare ... --format shards`` packs the feature cache (one ``.npz`` per video, still
the resumable intermediate) into ``shards/shard-NNNNN.tar`` files of about ``max_bytes`` each:
one tar member pair per video, ``<key>.npz`` (its :meth:`~mudar.features.analysis.Analysis.
to_arrays`) and ``<key>.json`` (its manifest item). ``shards/index.json`` lists every shard with
its videos, their frame counts and the clips they hold, and is written last: a folder without
it is not a shard set. Each shard is written under a temporary name and renamed when complete.

:class:`VideoStream` reads them as a ``torch`` IterableDataset: the shard list is permuted by
``(seed, epoch)`` (the same permutation on every rank), then split across distributed ranks and
DataLoader workers (webdataset's ``split_by_node`` / ``split_by_worker``), so each process reads
its own shards: no video (so no clip) is seen twice in an epoch, and together they read all of
them. Videos within a shard are shuffled with a seeded buffer.
"""

from __future__ import annotations

import io
import json
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from torch.utils.data import IterableDataset
from tqdm import tqdm

from mudar.atomic import write_text
from mudar.data.cache import FeatureCache
from mudar.data.clips import sliding_windows, training_windows
from mudar.data.clipset import ClipSet
from mudar.data.prepare import load_manifest
from mudar.errors import InputError, ParameterError
from mudar.features.analysis import Analysis
from mudar.optional import require

SHARDS = "shards"
INDEX = "index.json"
FORMAT = "mudar-shards-1"
DEFAULT_SHARD_BYTES = 256 * 2**20


def _wds():
    return require("webdataset", purpose="--format shards")


def _key(video_id: str) -> str:
    """A tar key for a video id: WebDataset splits keys at the first dot of the file name."""
    return video_id.replace(".", "_").replace("/", "__")


def write_shards(
    features_dir: str | os.PathLike,
    *,
    max_bytes: int = DEFAULT_SHARD_BYTES,
    progress: bool = True,
) -> Path:
    """Pack a prepared feature folder into ``FEATURES_DIR/shards/``.

    Parameters
    ----------
    features_dir : path-like
        Output of ``mudar prepare`` (manifest + cache entries).
    max_bytes : int
        A shard is closed once it holds at least this many bytes (so shards are about this size;
        one video is never split).
    progress : bool

    Returns
    -------
    Path
        The ``shards`` folder.

    Raises
    ------
    InputError
        No prepared features, or no readable entry.
    """
    if max_bytes <= 0:
        raise ParameterError(f"max_bytes must be positive, got {max_bytes}")
    wds = _wds()
    features_dir = Path(features_dir)
    items = load_manifest(features_dir)
    cache = FeatureCache(features_dir)
    out = features_dir / SHARDS
    out.mkdir(parents=True, exist_ok=True)
    (out / INDEX).unlink(missing_ok=True)  # being rewritten: not a shard set until the end
    for old in out.glob("shard-*.tar"):
        old.unlink()
    shards: list[dict] = []
    current: dict | None = None
    writer = None
    tmp: Path | None = None

    def close() -> None:
        nonlocal writer, current, tmp
        if writer is None:
            return
        writer.close()
        final = out / current["name"]
        os.replace(tmp, final)
        current["bytes"] = final.stat().st_size
        shards.append(current)
        writer, current, tmp = None, None, None

    skipped = []
    for item in tqdm(items, desc="shards", unit="video", disable=not progress):
        analysis = cache.load(features_dir / item["entry"])
        if analysis is None:
            skipped.append(item["id"])
            continue
        buf = io.BytesIO()
        np.savez(buf, **analysis.to_arrays())
        blob = buf.getvalue()
        if writer is None:
            current = {"name": f"shard-{len(shards):05d}.tar", "videos": [], "size": 0}
            tmp = out / f".{current['name']}.tmp"
            writer = wds.TarWriter(str(tmp), encoder=False)
        writer.write(
            {
                "__key__": _key(item["id"]),
                "npz": blob,
                "json": json.dumps(item).encode(),
            }
        )
        current["videos"].append({"id": item["id"], "n_frames": int(analysis.n_frames)})
        current["size"] += len(blob)
        if current["size"] >= max_bytes:
            close()
    close()
    if not shards:
        raise InputError(f"{features_dir}: no readable feature entry to pack into shards")
    for s in shards:
        s.pop("size")
    doc = {"format": FORMAT, "shards": shards, "skipped": skipped}
    write_text(out / INDEX, json.dumps(doc, indent=1))
    return out


@dataclass(frozen=True)
class ShardIndex:
    """What a shard folder holds: shard file names, and per shard its videos' ids and frames."""

    root: Path
    shards: tuple[dict, ...]

    @classmethod
    def load(cls, root: str | os.PathLike) -> ShardIndex:
        """Read ``root/index.json`` (``root``: a ``shards`` folder or the feature folder)."""
        root = Path(root)
        if not (root / INDEX).is_file() and (root / SHARDS / INDEX).is_file():
            root = root / SHARDS
        try:
            doc = json.loads((root / INDEX).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"{root}: no {INDEX} (run `mudar prepare --format shards`)") from None
        except json.JSONDecodeError as e:
            raise InputError(f"{root / INDEX}: not a shard index ({e})") from None
        if doc.get("format") != FORMAT:
            raise InputError(f"{root / INDEX}: not a {FORMAT} index")
        return cls(root=root, shards=tuple(doc["shards"]))

    @property
    def video_ids(self) -> list[str]:
        return [v["id"] for s in self.shards for v in s["videos"]]

    def clips(self, *, fps: float, clip_s: float, hop_s: float) -> list[tuple[str, int]]:
        """Every ``(video id, start frame)`` clip of the set at a clip length and hop (those
        :class:`~mudar.data.clipset.ClipSet` cuts)."""
        return [
            (v["id"], a)
            for s in self.shards
            for v in s["videos"]
            for a, _ in sliding_windows(v["n_frames"], fps=fps, window_s=clip_s, hop_s=hop_s)
        ]


def _decode(sample: dict) -> tuple[str, Analysis, dict]:
    item = json.loads(sample["json"])
    with np.load(io.BytesIO(sample["npz"]), allow_pickle=False) as z:
        analysis = Analysis.from_arrays({k: z[k] for k in z.files})
    return item["id"], analysis, item


class VideoStream(IterableDataset):
    """The videos of a shard set, each read by exactly one (rank, worker) per epoch.

    Parameters
    ----------
    root : path-like
        A shard folder (or the feature folder holding ``shards/``).
    seed : int
        Of the shard permutation and the shuffle buffer.
    buffer : int
        Videos in the seeded shuffle buffer (0: shard order).
    ids : collection of str, optional
        Keep only these videos (e.g. the training side of a split).
    split : bool
        Split the shards across ranks and workers (False: every process reads them all, as
        a validation set is read).

    Yields
    ------
    (str, Analysis, dict)
        Video id, its features, its manifest item.
    """

    def __init__(self, root, *, seed: int = 0, buffer: int = 16, ids=None, split: bool = True):
        super().__init__()
        self.index = ShardIndex.load(root)
        self.seed = int(seed)
        self.buffer = int(buffer)
        self.epoch = 0
        self.ids = None if ids is None else frozenset(ids)
        self.split = bool(split)

    def set_epoch(self, epoch: int) -> None:
        """Another permutation of shards and buffer for ``epoch``."""
        self.epoch = int(epoch)

    def urls(self) -> list[str]:
        """Every shard file, in this epoch's order (the same on every rank)."""
        names = [s["name"] for s in self.index.shards]
        random.Random(f"{self.seed}-{self.epoch}").shuffle(names)
        return [str(self.index.root / n) for n in names]

    def __iter__(self) -> Iterator[tuple[str, Analysis, dict]]:
        wds = _wds()
        ds = wds.WebDataset(
            self.urls(),
            shardshuffle=False,  # permuted above, identically on every rank
            nodesplitter=wds.split_by_node if self.split else _every_shard,
            workersplitter=wds.split_by_worker if self.split else _every_shard,
            empty_check=False,  # a rank may get no shard when there are fewer than ranks
        )
        rank, _, worker, _ = wds.utils.pytorch_worker_info()
        rng = random.Random(f"{self.seed}-{self.epoch}-{rank}-{worker}")
        pending: list = []
        for sample in ds:
            vid, analysis, item = _decode(sample)
            if self.ids is not None and vid not in self.ids:
                continue
            if self.buffer <= 0:
                yield vid, analysis, item
                continue
            pending.append((vid, analysis, item))
            if len(pending) >= self.buffer:
                yield pending.pop(rng.randrange(len(pending)))
        rng.shuffle(pending)
        yield from pending


def _every_shard(src):
    yield from src


class ShardClips(IterableDataset):
    """Training clips streamed from shards: what :class:`~mudar.data.clipset.ClipSet` gives from
    the npz cache, read by each (rank, worker) from its own shards.

    Each process reads its shards' videos (:class:`VideoStream`), ``videos_per_set`` at a time,
    makes a :class:`~mudar.data.clipset.ClipSet` of them in memory and yields its clips in a
    seeded order of ``(seed, epoch, rank, worker)``. Negatives are drawn within that set: AVC
    music from another of its videos (so a set needs two or more), AVTS shifts as always. Items
    carry the video's index in the whole shard set (``video``, ``neg_video``), so the in-batch
    negatives of the loss never mistake two videos for one.

    Every (rank, worker) yields the same number of clips per epoch: the fewest any of them holds
    (from the index), so DDP ranks step together; with unequal shards the surplus clips of an
    epoch wait for another epoch's permutation. Videos that ClipSet skips (silent, too short)
    are not in that count: prepare such sets without them.

    Parameters
    ----------
    root : path-like
        Shard folder (or the feature folder holding ``shards/``).
    ids : collection of str
        The videos to train on (one side of :func:`~mudar.data.clipset.split_videos`).
    config, train : MudarConfig, TrainConfig
    videos_per_set : int
        Videos held in memory together (and the AVC candidates of a clip).
    augment : bool
        A random look per clip, as for ClipSet.
    """

    def __init__(self, root, ids, config, train, *, videos_per_set: int = 8, augment=False):
        super().__init__()
        if videos_per_set < 1:
            raise ParameterError(f"videos_per_set must be >= 1, got {videos_per_set}")
        self.videos = VideoStream(root, seed=train.seed, buffer=0, ids=ids)
        self.index = self.videos.index
        self.config, self.train = config, train
        self.videos_per_set = int(videos_per_set)
        self.augment = bool(augment)
        self.ids = frozenset(ids)
        self.global_index = {vid: i for i, vid in enumerate(self.index.video_ids)}
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)
        self.videos.set_epoch(epoch)

    def _clips_of(self, shard: dict) -> int:
        cfg = self.config
        return sum(
            len(
                training_windows(
                    v["n_frames"],
                    fps=cfg.fps,
                    window_s=cfg.clip_s,
                    hop_s=self.train.clip_hop_s,
                    mode=self.train.clip_mode,
                )
            )
            for v in shard["videos"]
            if v["id"] in self.ids and v["n_frames"] >= cfg.n_frames
        )

    def per_process(self, world: int, workers: int) -> int:
        """Clips each (rank, worker) yields per epoch: the fewest any holds."""
        by_name = {s["name"]: s for s in self.index.shards}
        names = [Path(u).name for u in self.videos.urls()]
        counts = []
        for rank in range(world):
            mine = names[rank::world]
            for w in range(workers):
                counts.append(sum(self._clips_of(by_name[n]) for n in mine[w::workers]))
        return min(counts)

    def __len__(self) -> int:
        rank, world, _, _ = _wds().utils.pytorch_worker_info()
        workers = max(1, self.train.workers)
        return self.per_process(world, workers) * workers

    def __iter__(self):
        rank, world, worker, workers = _wds().utils.pytorch_worker_info()
        cap = self.per_process(world, workers)
        rng = np.random.default_rng([self.train.seed, self.epoch, rank, worker])
        done = 0
        group: list = []

        def clips_of(group):
            cs = ClipSet.from_videos(
                [(vid, a) for vid, a, _ in group],
                self.config,
                self.train,
                epoch=self.epoch,
                augment=self.augment,
            )
            for i in rng.permutation(len(cs)):
                item = cs[int(i)]
                item["video"].fill_(self.global_index[cs.video_ids[int(item["video"])]])
                item["neg_video"].fill_(self.global_index[cs.video_ids[int(item["neg_video"])]])
                yield item

        for video in self.videos:
            group.append(video)
            if len(group) < self.videos_per_set:
                continue
            for item in clips_of(group):
                if done >= cap:
                    return
                done += 1
                yield item
            group = []
        if group:
            for item in clips_of(group):
                if done >= cap:
                    return
                done += 1
                yield item
