"""Dance classification on the real dances of ../shared/data/dwm (MuDaR paper sec. 4.2).

Run: `.venv/bin/python benchmarks/bench_classify.py [--emb EMB.npz --cache DIR --checkpoint CKPT]
[--plot confusion.png]`

Without ``--emb`` the 35 dances are embedded with ``--checkpoint`` (default: the shipped model),
features cached in ``--cache`` (default: a temporary folder). Every dance is one group: k folds
(default 5) grouped by dance and stratified by genre, so a dance's clips are never on both sides.
The genres are unbalanced (waltz 25, rumba 5, chacha 4, tango 1): the single tango dance cannot
be both trained and tested, so it stays in every training fold (the classifiers may predict
tango) and is never scored; balanced accuracy (mean per-genre recall over the three tested
genres) is reported beside accuracy, since always answering "waltz" scores 25/34 of the files.

Methods: the two-stream classifier on frozen embeddings, the same without the rhythm inputs, the
majority class of the training clips, a logistic regression on summary statistics of the raw
librosa + HOOF features of each clip (read from the feature cache), and, for reference, a
logistic regression on the pooled clip embeddings (visual and audio). Each learned method is run
with plain and with class-weighted cross-entropy.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DWM = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dwm"
POOLED = "pooled MuDaR embeddings (logistic)"


def dwm_embeddings(model, *, emb_file: str | None, cache: Path, jobs: int):
    """The dwm dances' embeddings: those saved in ``emb_file``, else ``model``'s (features
    cached in ``cache``)."""
    from mudar.pipelines.embed import embed_files, expand_inputs
    from mudar.tasks.embed import EmbeddingSet

    if emb_file:
        return EmbeddingSet.load(emb_file)
    paths, labels = expand_inputs([str(DWM)])
    return embed_files(paths, model=model, labels=labels, cache_dir=cache, jobs=jobs)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--emb", help="EmbeddingSet of the dwm dances (default: embed them now)")
    ap.add_argument("--cache", help="feature cache of those dances (raw-feature baseline)")
    ap.add_argument("--checkpoint", help="the MuDaR model of the embeddings (default: shipped)")
    ap.add_argument("--plot", help="confusion matrix PNG of the two-stream classifier")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()

    from mudar.errors import MudarError
    from mudar.models.checkpoint import default_checkpoint_path, load_model
    from mudar.tasks.classify import analysis_config_for
    from mudar.tasks.classify_cv import RAW, TWO_STREAM, grouped_kfold_accuracy, raw_features

    if args.emb is None and not DWM.is_dir():
        print(f"skipped: {DWM} not found (the benchmark needs the shared dwm data)")
        return 0
    if args.checkpoint is None and not default_checkpoint_path().is_file():
        print(f"skipped: no --checkpoint and no shipped model at {default_checkpoint_path()}")
        return 0
    model = load_model(args.checkpoint)
    cache = Path(args.cache or tempfile.mkdtemp(prefix="mudar-features-"))
    emb = dwm_embeddings(model, emb_file=args.emb, cache=cache, jobs=args.jobs)
    t0 = time.perf_counter()
    try:
        raw = raw_features(emb, cache_dir=cache, config=analysis_config_for(model.config))
    except MudarError as e:
        print(f"raw-feature baseline skipped: {e}", file=sys.stderr)
        raw = None
    pooled = np.concatenate([emb.visual, emb.audio], axis=1)  # clip embeddings (N, 2E)
    reports = {}
    for balanced in (False, True):
        kw = dict(folds=args.folds, seed=args.seed, epochs=args.epochs, balanced=balanced)
        report = grouped_kfold_accuracy(emb, raw=raw, progress=True, **kw)
        extra = grouped_kfold_accuracy(emb, raw=pooled, methods=[RAW], **kw)
        assert np.array_equal(extra.folds, report.folds)
        report.methods[POOLED] = extra.methods[RAW]
        reports[balanced] = report
    elapsed = time.perf_counter() - t0
    report = reports[False]
    d = report.to_dict()
    genres = ", ".join(f"{k} {v}" for k, v in d["files_per_label"].items())
    print()
    print(
        f"{d['n_files']} dances ({genres}), {d['n_clips']} clips of {emb.clip_len.max()} frames "
        f"at {emb.fps:g} fps; {args.folds} folds grouped by dance, stratified by genre; "
        f"never tested (only dance of its genre, kept in every training fold): "
        f"{', '.join(Path(f).parent.name for f in report.untested) or 'none'}"
    )
    print(
        f"accuracy: mean +- std over the {args.folds} folds; balanced accuracy: mean per-genre "
        f"recall of all out-of-fold predictions; {args.epochs} epochs, seed {args.seed}; "
        f"{elapsed:.0f} s"
    )
    for balanced, rep in reports.items():
        loss = "class-weighted" if balanced else "plain (the default)"
        print(f"\ncross-entropy: {loss}\n")
        print(rep.markdown())
    if args.plot:
        from mudar.report.plots import plot_confusion

        title = f"{TWO_STREAM} (frozen), {args.folds}-fold grouped by dance, per dance"
        plot_confusion(report.confusion(TWO_STREAM), report.labels, args.plot, title=title)
        print(f"\nconfusion matrix (per dance, plain cross-entropy): {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
