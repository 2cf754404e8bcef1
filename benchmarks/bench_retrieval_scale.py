"""Retrieval at scale: the approximate FAISS index of `mudar index` on 1M random 256-d vectors.

Run: `.venv/bin/python benchmarks/bench_retrieval_scale.py [--n 1000000] [--threads 2]`

Database: N i.i.d. Gaussian vectors, L2-normalised (seeded), searched by inner product (= the
cosine S_e of mudar). The index is the one `mudar.tasks.index.build_faiss` builds above
FLAT_MAX clips: a product quantiser of 4-bit codes on pairs of dimensions scanned with SIMD
(`IndexPQFastScan`), whose best `k_factor * k` are re-scored with the exact vectors
(`IndexRefineFlat`). Measured per setting of `k_factor`: top-10 latency of single queries
(median and p95 over --queries), batched throughput, and recall@10 against exact search
(`IndexFlatIP`). Two query sets: random vectors (the worst case: i.i.d. high-dimensional data
has no neighbourhoods, and the true top 10 are barely closer than the rest) and near
duplicates (a database vector plus noise, a query that has a true match).
`Index.search` is the whole search of mudar: 100 FAISS candidates, exact S_hyb re-ranking
(rhythm part included). OMP_WAIT_POLICY=PASSIVE unless set (see below).
--hnsw-n builds an HNSW index (M=32) on that many vectors for comparison (slow to build).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

# OpenMP threads that spin while waiting cost ~20 ms per query when other jobs share the CPUs;
# set before faiss loads its OpenMP runtime (an explicit setting is kept)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402


def unit_rows(rng, n: int, d: int, chunk: int = 100_000) -> np.ndarray:
    x = np.empty((n, d), np.float32)
    for i in range(0, n, chunk):
        b = rng.standard_normal((min(chunk, n - i), d), dtype=np.float32)
        x[i : i + len(b)] = b / np.linalg.norm(b, axis=1, keepdims=True)
    return x


def latencies(search, queries: np.ndarray) -> np.ndarray:
    out = []
    for q in queries:
        t = time.perf_counter()
        search(q[None])
        out.append(time.perf_counter() - t)
    return np.array(out) * 1e3


def recall_at(found: np.ndarray, truth: np.ndarray) -> float:
    k = truth.shape[1]
    return float(np.mean([len(set(f) & set(t)) / k for f, t in zip(found, truth, strict=True)]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--k-factors", default="10,20,50,100")
    ap.add_argument("--hnsw-n", type=int, default=0, help="also HNSW on this many vectors")
    args = ap.parse_args()

    import faiss

    from mudar.tasks.index import PQ_K_FACTOR, Index, build_faiss
    from mudar.tasks.retrieve import Side

    faiss.omp_set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    t = time.perf_counter()
    x = unit_rows(rng, args.n, args.dim)
    q_random = unit_rows(rng, args.queries, args.dim)
    src = rng.choice(args.n, args.queries, replace=False)
    noise = rng.standard_normal((args.queries, args.dim), dtype=np.float32) / np.sqrt(args.dim)
    noisy = x[src] + 0.5 * noise  # cosine ~0.9 with its source
    q_near = (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)
    print(
        f"{args.n} x {args.dim} float32 (normalised), {args.queries} queries per set, "
        f"{args.threads} FAISS thread(s), faiss {faiss.__version__}; "
        f"data made in {time.perf_counter() - t:.1f} s\n"
    )
    k = 10
    rows = []

    flat = faiss.IndexFlatIP(args.dim)
    flat.add(x)
    t = time.perf_counter()
    truth = {name: flat.search(q, k)[1] for name, q in (("random", q_random), ("near", q_near))}
    batch_s = (time.perf_counter() - t) / (2 * args.queries)
    lat = latencies(lambda q: flat.search(q, k), q_random[:20])
    rows.append(("exact IndexFlatIP", "-", np.median(lat), np.percentile(lat, 95), batch_s, 1, 1))
    del flat

    t = time.perf_counter()
    index = build_faiss(x, kind="pq-refine")
    build_s = time.perf_counter() - t
    for kf in [int(v) for v in args.k_factors.split(",")]:
        index.k_factor = kf
        lat = latencies(lambda q, index=index: index.search(q, k), q_random)
        t = time.perf_counter()
        found = index.search(q_random, k)[1]
        batch_s = (time.perf_counter() - t) / args.queries
        rec = recall_at(found, truth["random"])
        rec_near = recall_at(index.search(q_near, k)[1], truth["near"])
        name = f"PQ{args.dim // 2}x4 fast scan + exact refine, k_factor {kf}"
        rows.append(
            (name, f"{build_s:.0f}", np.median(lat), np.percentile(lat, 95), batch_s, rec, rec_near)
        )

    # the whole mudar search: FAISS candidates, then exact S_hyb with the rhythm part
    index.k_factor = PQ_K_FACTOR
    T = 64
    side = Side(
        clips=np.arange(args.n),
        embeddings=x,
        rhythm=np.zeros((args.n, T), np.float32),
        length=np.full(args.n, T),
    )
    mudar_index = Index(
        files=["random"],
        labels=[""],
        fps=8.0,
        clip_file=np.zeros(args.n, np.int64),
        clip_start_s=np.zeros(args.n),
        clip_len=np.full(args.n, T),
        sides={"dance": side},
        faiss_idx={"dance": index},
        meta={},
    )
    onsets = (rng.random((args.queries, T)) < 0.2).astype(np.uint8)
    found, lat = {}, []
    for name, qs in (("random", q_random), ("near", q_near)):
        found[name] = []
        for q, o in zip(qs, onsets, strict=True):
            t0 = time.perf_counter()
            # lambda3 = 1 so that recall is against exact search; S_r is computed all the same
            hits = mudar_index.search(q, o, top_k=k, lambda3=1.0, candidates=100)
            lat.append(1e3 * (time.perf_counter() - t0))
            found[name].append([h.clip for h in hits])
    rows.append(
        (
            f"mudar Index.search: 100 candidates (k_factor {PQ_K_FACTOR}), exact S_hyb re-rank",
            f"{build_s:.0f}",
            np.median(lat),
            np.percentile(lat, 95),
            float("nan"),
            recall_at(np.array(found["random"]), truth["random"]),
            recall_at(np.array(found["near"]), truth["near"]),
        )
    )
    del mudar_index, index

    if args.hnsw_n:
        sub = x[: args.hnsw_n]
        flat = faiss.IndexFlatIP(args.dim)
        flat.add(sub)
        sub_truth = flat.search(q_random, k)[1]
        sub_truth_near = flat.search(q_near, k)[1]
        hnsw = faiss.IndexHNSWFlat(args.dim, 32, faiss.METRIC_INNER_PRODUCT)
        t = time.perf_counter()
        hnsw.add(sub)
        hb = time.perf_counter() - t
        for ef in (64, 128, 256):
            hnsw.hnsw.efSearch = ef
            lat = latencies(lambda q, hnsw=hnsw: hnsw.search(q, k), q_random)
            t = time.perf_counter()
            found = hnsw.search(q_random, k)[1]
            batch_s = (time.perf_counter() - t) / args.queries
            rows.append(
                (
                    f"HNSW M=32 efSearch {ef} (on {args.hnsw_n} vectors only)",
                    f"{hb:.0f}",
                    np.median(lat),
                    np.percentile(lat, 95),
                    batch_s,
                    recall_at(found, sub_truth),
                    recall_at(hnsw.search(q_near, k)[1], sub_truth_near),
                )
            )

    print(
        "| index | build s | top-10 latency median ms | p95 ms | batched ms/query "
        "| recall@10 random queries | recall@10 near-duplicate queries |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, b, med, p95, bq, r, rn in rows:
        cells = [f"{med:.2f}", f"{p95:.2f}", f"{1e3 * bq:.2f}" if bq == bq else "-"]
        cells += [f"{r:.3f}" if r == r else "-", f"{rn:.3f}" if rn == rn else "-"]
        print(f"| {name} | {b} | " + " | ".join(cells) + " |")
    print(
        "\nexact single-query latency: over the first 20 queries only; build: PQ training on "
        "100k vectors + adding all (the refine stage keeps the exact vectors)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
