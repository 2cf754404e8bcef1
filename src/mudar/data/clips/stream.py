"""The stream that reads prepared shards (:mod:`mudar.data.store.shards`) on many ranks.

:class:`VideoStream` reads them as a ``torch`` IterableDataset: the shard list is permuted by
``(seed, epoch)`` (the same permutation on every rank), then split across distributed ranks and
DataLoader workers (webdataset's ``split_by_node`` / ``split_by_worker``), so each process reads
its own shards: no video (so no clip) is seen twice in an epoch, and together they read all of
them. Videos within a shard are shuffled with a seeded buffer. :class:`ShardClips` cuts them
into training clips.
"""

from __future__ import annotations

import io
import json
import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from torch.utils.data import IterableDataset

from mudar.data.clips.clipset import ClipSet
from mudar.data.clips.windows import sliding_windows, training_windows
from mudar.data.store.shards import ShardIndex, webdataset
from mudar.errors import ParameterError
from mudar.features.analysis import Analysis

__all__ = ["ShardClips", "VideoStream", "index_clips"]


def index_clips(
    index: ShardIndex, *, fps: float, clip_s: float, hop_s: float
) -> list[tuple[str, int]]:
    """Every ``(video id, start frame)`` clip of a shard set at a clip length and hop (those
    :class:`~mudar.data.clips.clipset.ClipSet` cuts)."""
    return [
        (v["id"], a)
        for s in index.shards
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
        wds = webdataset()
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
    """Training clips streamed from shards: what :class:`~mudar.data.clips.clipset.ClipSet` gives
    from
    the npz cache, read by each (rank, worker) from its own shards.

    Each process reads its shards' videos (:class:`VideoStream`), ``videos_per_set`` at a time,
    makes a :class:`~mudar.data.clips.clipset.ClipSet` of them in memory and yields its clips in a
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
        The videos to train on (one side of :func:`~mudar.data.clips.clipset.split_videos`).
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
        rank, world, _, _ = webdataset().utils.pytorch_worker_info()
        workers = max(1, self.train.workers)
        return self.per_process(world, workers) * workers

    def __iter__(self):
        rank, world, worker, workers = webdataset().utils.pytorch_worker_info()
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
