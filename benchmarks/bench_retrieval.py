"""Music-dance retrieval on the real dances of ../shared/data/dwm (MuDaR paper sec. 4.3).

Run: `.venv/bin/python benchmarks/bench_retrieval.py [--emb EMB.npz] [--split SPLIT.json]`
(without --emb the dances are embedded with --checkpoint, default the shipped model).

Every clip of every dance (8 s, from `mudar embed`) is a query and every clip a database item.
- **sync**: the music of a clip must find the dance of the *same* clip among all clips
  (music2dance), and the dance its own music (dance2music): one relevant item per query.
- **genre**: relevant = a clip of another dance of the same genre; the other clips of the
  query's own video are left out of its database (they would be found by their shared
  dancers and room, not by the music).
Scores (R@1, R@5, P@10, mAP, median rank of the first relevant item; ties pessimistic) for the
hybrid similarity of Eq. 21 (exhaustive: every pair scored), embedding only (lambda3 = 1, the
paper's "w/o rhy" ablation), rhythm only (lambda3 = 0) and seeded random scores (chance).
With --split (a run's split.json) the scores are also given for the held-out videos' queries.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

DWM = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dwm"
METRICS = ("R@1", "R@5", "P@10", "mAP", "median_rank")


def load_or_embed(args):
    from mudar.pipelines.embed import default_cache, embed_files
    from mudar.tasks.embed import EmbeddingSet

    if args.emb:
        return EmbeddingSet.load(args.emb), args.emb
    if not DWM.is_dir():
        return None, f"{DWM} not found (give --emb EMB.npz or the shared dwm data)"
    from mudar.data.readers.dataset import find_videos

    items = find_videos(DWM)
    emb = embed_files(
        [it.path for it in items],
        checkpoint=args.checkpoint,
        labels=[it.label for it in items],
        cache_dir=args.cache or default_cache(),
    )
    return emb, f"embedded now with {args.checkpoint or 'the shipped model'}"


def table(title: str, rows: dict[str, dict]) -> str:
    head = f"| {title} | " + " | ".join(m.replace("_", " ") for m in METRICS) + " |"
    lines = [head, "|---" * (len(METRICS) + 1) + "|"]
    for name, s in rows.items():
        vals = [f"{s[m]:.3f}" if m != "median_rank" else f"{s[m]:.0f}" for m in METRICS]
        lines.append(f"| {name} | " + " | ".join(vals) + " |")
    return "\n".join(lines)


def two_stage_agreement(emb, lambda3: float, candidates: int = 100) -> float:
    """Share of the exhaustive hybrid top-10 that the index (FAISS top-`candidates` by S_e,
    then exact re-ranking) also returns, music2dance."""
    from mudar.pipelines.bench.retrieval import similarity_matrices
    from mudar.tasks.index import Index

    index = Index.from_embeddings(emb)
    full = similarity_matrices(emb, lambda3)[f"hybrid (lambda3={lambda3:g})"]
    found = 0
    for i in range(len(emb)):
        hits = index.search(
            emb.audio[i], emb.onsets[i], top_k=10, lambda3=lambda3, candidates=candidates
        )
        exact = np.lexsort((np.arange(full.shape[1]), -full[i]))[:10]
        found += len({h.clip for h in hits} & set(exact.tolist()))
    return found / (10 * len(emb))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--emb", help="EmbeddingSet of the dances (mudar embed ... -o EMB.npz)")
    ap.add_argument("--checkpoint", help="model to embed the dances with (without --emb)")
    ap.add_argument("--cache", help="feature cache (without --emb)")
    ap.add_argument("--lambda", dest="lambda3", type=float, default=0.5)
    ap.add_argument("--split", help="split.json of the training run: also score held-out queries")
    args = ap.parse_args()

    from mudar.eval.retrieval import retrieval_scores
    from mudar.pipelines.bench.retrieval import relevances, similarity_matrices

    emb, source = load_or_embed(args)
    if emb is None:
        print(f"skipped: {source}")
        return 0
    both = emb.has_audio & emb.has_video
    if not both.all():  # keep the clips that have music and pictures
        from dataclasses import replace

        keep = np.flatnonzero(both)
        emb = replace(emb, **{k: getattr(emb, k)[keep] for k in emb._ARRAYS[:-2]})
    n, files = len(emb), np.asarray(emb.clip_file)
    labels = np.array(emb.clip_labels)
    print(
        f"{n} clips of {len(set(files.tolist()))} dances, {len(set(labels.tolist()))} genres "
        f"({', '.join(sorted(set(labels.tolist())))}); {source}"
    )
    print(
        "S_r: Pearson correlation of the onsets (Gaussian, sigma 1 frame) with the visual "
        "rhythm, max over +-2 frames; ties pessimistic\n"
    )
    sims = similarity_matrices(emb, args.lambda3)
    # sync: the same clip; genre: another dance of the genre, the query's own dance left out
    # (a query whose genre no other dance has cannot be scored)
    cases = relevances(files, labels)
    held = None
    if args.split:
        val = set(json.loads(Path(args.split).read_text())["val"])
        ids = [Path(f).parent.name + "/" + Path(f).stem for f in emb.files]
        held = np.array([ids[f] in val for f in files])
        print(f"held-out videos of {args.split}: {sorted(val)}; {held.sum()} query clips\n")

    for direction in ("music2dance", "dance2music"):
        for task, (rel, exc, rows) in cases.items():
            groups = {"all queries": rows}
            if held is not None:
                groups["held-out queries"] = rows & held
            for group, q in groups.items():
                res = {}
                for name, s in sims.items():
                    s = s if direction == "music2dance" else s.T
                    res[name] = retrieval_scores(
                        s[q], rel[q], exclude=None if exc is None else exc[q]
                    )
                title = f"{task}, {direction}, {group} ({int(q.sum())})"
                print(table(title, res) + "\n")
    agree = two_stage_agreement(emb, args.lambda3)
    print(
        f"A two-stage search with 100 FAISS candidates by S_e, re-ranked exactly, returns "
        f"{100 * agree:.1f}% of the exhaustive hybrid top-10 (music2dance, "
        f"lambda3={args.lambda3:g}); by default the index scores all clips of sides up to "
        "10000 clips."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
