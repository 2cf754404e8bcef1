"""``mudar classify train|predict|eval``: dance genres from the music-dance embeddings.

- ``train --data DIR_OR_EMB --out CLS``: train the two-stream classifier (labels from
  labels.csv or meta.json ``genre``; an ``.npz`` is an EmbeddingSet of ``mudar embed``);
- ``predict --model CLS FILE_OR_DIR...``: a genre and scores per file;
- ``eval --data DIR_OR_EMB --folds 5``: k-fold accuracy grouped by dance, with baselines.
"""

from __future__ import annotations

import argparse
import json
import sys

from mudar.cli.batch import report_skipped
from mudar.cli.options import add_cache_options, add_checkpoint, add_json, feature_cache
from mudar.methods import CLASSIFY_SCHEDULES


def add_parser(sub) -> None:
    p = sub.add_parser(
        "classify",
        help="dance genre classification from the learned embeddings",
        description=(
            "Train a two-stream classifier (visual embedding + visual rhythm, audio embedding "
            "+ music onsets) on labelled dances, predict the genre of new files, or evaluate "
            "it with k folds grouped by dance."
        ),
    )
    cmds = p.add_subparsers(dest="classify_command", metavar="ACTION", required=True)

    t = cmds.add_parser(
        "train",
        help="train a classifier",
        description=(
            "Train on DIR (videos, searched recursively; labels from labels.csv or a meta.json "
            "'genre' beside each video; embedded with --checkpoint, features cached) or on an "
            "EMB.npz of `mudar embed` (then --checkpoint must be the model that made it). The "
            "classifier file holds that model too, so predict needs nothing else."
        ),
    )
    t.add_argument("--data", required=True, metavar="DIR_OR_EMB")
    t.add_argument("--out", "-o", required=True, metavar="CLS")
    _model_options(t)
    t.set_defaults(run=run_train)

    q = cmds.add_parser(
        "predict",
        help="genre of each file",
        description=(
            "Embed each file with the classifier's own model and print its genre and the "
            "scores of every genre (the mean of its clips' probabilities), after the genres "
            "the classifier knows; a dance farther from the training dances than the "
            "classifier's calibrated level is 'none of these (closest: GENRE)'. Audio files "
            "are refused (it classifies dances). Bad files are reported and skipped; the exit "
            "status is 2 only if none could be classified."
        ),
    )
    q.add_argument("inputs", nargs="+", metavar="FILE_OR_DIR")
    q.add_argument("--model", "-m", required=True, metavar="CLS", help="from classify train")
    add_json(q, 'one {"file", "label", "known", "none_of_these", "closest", ...} per line')
    add_cache_options(q)
    q.set_defaults(run=run_predict)

    e = cmds.add_parser(
        "eval",
        help="grouped k-fold accuracy, with baselines",
        description=(
            "k folds grouped by dance (a file's clips are never on both sides) and stratified "
            "by genre; a genre with a single dance is trained on, never tested. Reports clip "
            "and file accuracy (mean +- std over folds) and balanced accuracy, for the "
            "two-stream classifier, without rhythms, the majority class and a logistic "
            "regression on raw librosa + HOOF features (needs the feature cache)."
        ),
    )
    e.add_argument("--data", required=True, metavar="DIR_OR_EMB")
    e.add_argument("--folds", type=int, default=5)
    e.add_argument("--plot", metavar="PNG", help="confusion matrix of the two-stream (per file)")
    add_json(e, "the report as one JSON object")
    _model_options(e, rhythm_flag=False)
    e.set_defaults(run=run_eval)


def _model_options(p: argparse.ArgumentParser, *, rhythm_flag: bool = True) -> None:
    add_checkpoint(p, help="MuDaR model (default: the shipped one)")
    p.add_argument(
        "--schedule",
        choices=CLASSIFY_SCHEDULES,
        default="scaled",
        help="scaled (default): 40 epochs, lr /10 after 1/2 and 3/4 of them; paper (sec. 4.2): "
        "70 epochs of batch 64, /10 after epochs 20 and 50",
    )
    p.add_argument("--epochs", type=int, default=None, help="default: the schedule's")
    p.add_argument("--lr", type=float, default=None, help="Adam learning rate (default 4e-3)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--mode",
        choices=("frozen", "finetune"),
        default="frozen",
        help="frozen encoders (default) or fine-tune the implicit pathway with the classifier",
    )
    p.add_argument(
        "--encoder-lr", type=float, default=1e-4, help="learning rate of the fine-tuned encoders"
    )
    p.add_argument(
        "--balanced", action="store_true", help="weight the loss by inverse genre frequency"
    )
    if rhythm_flag:
        p.add_argument("--no-rhythm", action="store_true", help="leave the rhythm inputs out")
    add_cache_options(p)


def load_data(args):
    """The EmbeddingSet and the MuDaR model of ``--data`` (:func:`load_or_embed`); the files
    that could not be embedded are reported."""
    from mudar.errors import with_path
    from mudar.pipelines.embed import load_or_embed

    emb, encoder = load_or_embed(
        args.data,
        checkpoint=args.checkpoint,
        cache_dir=feature_cache(args),
        jobs=args.jobs,
        progress=not args.quiet,
    )
    for path, reason in emb.skipped:  # the data of train and eval: listed before the work
        print(f"mudar: skipped {with_path(path, reason)}", file=sys.stderr)
    return emb, encoder


def run_train(args: argparse.Namespace) -> int:
    from mudar.pipelines.classify import train_and_save

    emb, encoder = load_data(args)
    clf, counts = train_and_save(
        emb,
        encoder,
        args.out,
        rhythm=not getattr(args, "no_rhythm", False),
        epochs=args.epochs,
        lr=args.lr,
        seed=args.seed,
        mode=args.mode,
        cache_dir=feature_cache(args) if args.mode == "finetune" else None,
        encoder_lr=args.encoder_lr,
        balanced=args.balanced,
        progress=not args.quiet,
        schedule=args.schedule,
    )
    genres = ", ".join(f"{lab} {n}" for lab, n in counts.items())
    print(
        f"{args.out}: {args.mode} classifier of {len(clf.labels)} genres ({genres} files), "
        f"{clf.info['n_clips']} clips, {clf.info['epochs']} epochs"
    )
    return 0


def run_predict(args: argparse.Namespace) -> int:
    from mudar.pipelines.classify import predict_files

    predictions, skipped, n = predict_files(
        args.model,
        args.inputs,
        cache_dir=feature_cache(args),
        jobs=args.jobs,
        progress=not args.quiet,
    )
    records = predictions.records() if predictions is not None else []
    if records and not args.json:
        genres = ", ".join(records[0]["genres"])
        print(f"genres known: {genres} (else: none of these)", flush=True)
    for rec in records:
        print(json.dumps(rec) if args.json else _genre_line(rec), flush=True)
    return report_skipped(skipped, n, what="classified")


def _genre_line(rec: dict) -> str:
    """``FILE: waltz (0.81)``, ``FILE: none of these (closest: rumba)``, or the genre with why
    "none of these" could not be judged."""
    if rec["none_of_these"]:
        return f"{rec['file']}: none of these (closest: {rec['closest']})"
    p = rec["scores"][rec["closest"]]
    if rec["known"] is None:
        return f"{rec['file']}: {rec['closest']} ({p:.2f}; {rec['note']})"
    return f"{rec['file']}: {rec['label']} ({p:.2f})"


def run_eval(args: argparse.Namespace) -> int:
    from mudar.errors import InputError
    from mudar.pipelines.classify import evaluate_classifier, raw_baseline

    emb, encoder = load_data(args)
    raw = None
    try:
        raw = raw_baseline(emb, encoder, cache_dir=feature_cache(args))
    except InputError as e:
        print(f"mudar: raw-feature baseline skipped: {e}", file=sys.stderr)
    report = evaluate_classifier(
        emb,
        encoder,
        raw=raw,
        rhythm=not getattr(args, "no_rhythm", False),
        schedule=args.schedule,
        epochs=args.epochs,
        lr=args.lr,
        plot=args.plot,
        folds=args.folds,
        seed=args.seed,
        mode=args.mode,
        cache_dir=feature_cache(args) if args.mode == "finetune" else None,
        encoder_lr=args.encoder_lr,
        balanced=args.balanced,
        progress=not args.quiet and not args.json,
    )
    if args.json:
        print(json.dumps(report.to_dict()))
        return 0
    d = report.to_dict()
    genres = ", ".join(f"{k} {v}" for k, v in d["files_per_label"].items())
    print(f"{d['n_files']} files ({genres}), {d['n_clips']} clips, {args.folds} folds by dance")
    if report.untested:
        print(f"never tested (the only file of its genre): {', '.join(report.untested)}")
    print(report.markdown())
    if args.plot:
        print(f"confusion matrix: {args.plot}")
    return 0
