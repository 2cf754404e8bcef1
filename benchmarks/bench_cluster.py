"""Throughput of the paths to a cluster: prepare on the local pool vs Ray, reading npz vs shards.

Run: `.venv/bin/python benchmarks/bench_cluster.py [--data DIR] [--videos N] [--seconds S]
[--workers 1,2] [--out DIR]`

``--data`` is any dataset folder (default: N synthetic dance videos of S seconds, made here).
Each prepare run starts from an empty feature folder; the clip rate counts the training clips
(4 s every 2 s, the ``cpu`` preset's) the prepared videos hold. Reading: the time to load every
prepared video once, as a training epoch does, from the npz cache (one file per video) and from
WebDataset shards (:class:`mudar.data.clips.stream.VideoStream`, one process).

On one machine Ray costs its start-up (a few seconds) and gains nothing the process pool does
not have; it is there for many machines (``--address auto``). The table says what each costs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--videos", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()

    from mudar.data.clips.stream import VideoStream
    from mudar.data.store.cache import FeatureCache
    from mudar.data.store.prepare import load_manifest, prepare
    from mudar.data.store.shards import ShardIndex, write_shards
    from mudar.features.analysis import AnalysisConfig
    from mudar.synthetic.video import make_dataset

    workers = [int(w) for w in args.workers.split(",")]
    config = AnalysisConfig(frame_size=64)  # what `mudar prepare` keeps for training
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        out = args.out or tmp
        data = args.data
        if data is None:
            data = tmp / "data"
            make_dataset(data, n=args.videos, seed=0, duration_s=args.seconds, label_file="meta")
        rows = []
        for engine in ("local", "ray"):
            for w in workers:
                feat = out / f"features-{engine}-{w}"
                t0 = time.perf_counter()
                report = prepare(data, feat, config=config, jobs=w, engine=engine, progress=False)
                dt = time.perf_counter() - t0
                index_clips = _clips(feat)
                rows.append((f"prepare {engine}", w, len(report.done), index_clips, dt))
        feat = out / f"features-local-{workers[0]}"
        write_shards(feat, progress=False)
        items = load_manifest(feat)
        cache = FeatureCache(feat)
        t0 = time.perf_counter()
        for it in items:
            cache.load(feat / it["entry"])
        rows.append(("read npz", 1, len(items), _clips(feat), time.perf_counter() - t0))
        t0 = time.perf_counter()
        n = sum(1 for _ in VideoStream(feat, buffer=8))
        rows.append(("read shards", 1, n, _clips(feat), time.perf_counter() - t0))
        n_shards = len(ShardIndex.load(feat).shards)

    print(f"{'step':<16}{'workers':>8}{'videos':>8}{'clips':>8}{'seconds':>9}{'clips/s':>9}")
    for name, w, v, c, dt in rows:
        print(f"{name:<16}{w:>8}{v:>8}{c:>8}{dt:>9.2f}{c / dt:>9.1f}")
    print(f"({n_shards} shard(s); 4 s clips every 2 s)")
    return 0


def _clips(features: Path) -> int:
    from mudar.data.clips.windows import sliding_windows
    from mudar.data.store.prepare import load_manifest

    return sum(
        len(sliding_windows(it["n_frames"], fps=8.0, window_s=4.0, hop_s=2.0))
        for it in load_manifest(features)
    )


if __name__ == "__main__":
    sys.exit(main())
