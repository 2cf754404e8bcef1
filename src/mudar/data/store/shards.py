"""Prepared features as WebDataset tar shards: writing them, and the index that lists them.

``mudar prepare ... --format shards`` packs the feature cache (one ``.npz`` per video, still
the resumable intermediate) into ``shards/shard-NNNNN.tar`` files of about ``max_bytes`` each:
one tar member pair per video, ``<key>.npz`` (its :meth:`~mudar.features.analysis.Analysis.
to_arrays`) and ``<key>.json`` (its manifest item). ``shards/index.json`` lists every shard with
its videos, their frame counts and the clips they hold, and is written last: a folder without
it is not a shard set. Each shard is written under a temporary name and renamed when complete.
Training reads them with :mod:`mudar.data.clips.stream`.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from mudar.atomic import write_text
from mudar.data.store.cache import FeatureCache
from mudar.data.store.prepare import load_manifest
from mudar.errors import InputError, ParameterError
from mudar.optional import require

SHARDS = "shards"
INDEX = "index.json"
FORMAT = "mudar-shards-1"
DEFAULT_SHARD_BYTES = 256 * 2**20


def webdataset():
    """The ``webdataset`` module (the ``cluster`` extra), or one clear line naming it."""
    return require("webdataset", purpose="--format shards")


def shard_key(video_id: str) -> str:
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
    wds = webdataset()
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
                "__key__": shard_key(item["id"]),
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
