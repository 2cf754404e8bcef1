"""``mudar classify``'s work: train, predict and evaluate the two-stream genre classifier on
embedded files (:mod:`mudar.tasks.classify`, :mod:`mudar.tasks.classify_cv`)."""

from __future__ import annotations

import os

from mudar.errors import MudarError
from mudar.io.media import probe
from mudar.models.classifier import ClassifierConfig
from mudar.pipelines.embed import embed_files, expand_inputs
from mudar.tasks.classify import (
    SCHEDULES,
    Classifier,
    analysis_config_for,
    load_classifier,
    predict,
    save_classifier,
    train_classifier,
)
from mudar.tasks.classify_cv import TWO_STREAM, grouped_kfold_accuracy, raw_features

__all__ = ["AUDIO_ONLY", "evaluate_classifier", "predict_files", "raw_baseline", "train_and_save"]

AUDIO_ONLY = (
    "is audio only; the genre classifier tells dances apart (it reads the dancer's video "
    "with its music): give a dance video"
)


def train_and_save(
    emb, encoder, out: str | os.PathLike, *, rhythm: bool = True, **options
) -> tuple[Classifier, dict[str, int]]:
    """Train a classifier on ``emb`` (embedded by ``encoder``) and save it to ``out``.

    Parameters
    ----------
    emb : EmbeddingSet
    encoder : MuDaR
        The model that made ``emb``; saved with the classifier.
    out : path-like
        The classifier file.
    rhythm : bool
        Give the classifier the rhythm inputs.
    **options
        Keyword arguments of :func:`mudar.tasks.classify.train_classifier` (``epochs``, ``lr``,
        ``seed``, ``mode``, ``cache_dir``, ...).

    Returns
    -------
    (Classifier, dict of str to int)
        The classifier, and the number of training files of each genre, in its label order.
    """
    clf = train_classifier(emb, config=ClassifierConfig(rhythm=rhythm), encoder=encoder, **options)
    save_classifier(clf, out)
    counts = {lab: 0 for lab in clf.labels}
    for f in set(emb.clip_file.tolist()):
        counts[emb.labels[f]] += 1
    return clf, counts


def predict_files(
    model: str | os.PathLike,
    inputs: list[str],
    *,
    cache_dir: str | os.PathLike | None = None,
    jobs: int = 2,
    progress: bool = True,
):
    """The genre of each file of ``inputs`` (files or folders) by the classifier at ``model``,
    each embedded with the classifier's own model.

    An audio file (a song, cover art or not) is refused with :data:`AUDIO_ONLY`: the
    classifier was trained on dances, and its audio stream alone named a 2.8 s song "chacha".

    Returns
    -------
    (predictions or None, list of (str, str), int)
        :func:`mudar.tasks.classify.predict`'s result (``.records()``: one dict per file; None
        when no file could be embedded), the files skipped with the reason (refused or not
        embedded), and the number of files asked for.
    """
    clf = load_classifier(model)
    encoder = clf.encoder_model()
    paths, _ = expand_inputs(inputs)
    dances, skipped = [], []
    for p in paths:
        try:
            if not probe(p).has_video:
                skipped.append((str(p), AUDIO_ONLY))
                continue
        except MudarError:
            pass  # unreadable: the embedding reports why
        dances.append(p)
    if not dances:
        return None, skipped, len(paths)
    emb = embed_files(dances, model=encoder, cache_dir=cache_dir, jobs=jobs, progress=progress)
    return predict(clf, emb), skipped + list(emb.skipped), len(paths)


def raw_baseline(emb, encoder, *, cache_dir: str | os.PathLike | None):
    """The raw librosa + HOOF statistics of ``emb``'s files, from the feature cache.

    Raises
    ------
    InputError
        A file's features are not in the cache (the baseline is then left out).
    """
    return raw_features(emb, cache_dir=cache_dir, config=analysis_config_for(encoder.config))


def evaluate_classifier(
    emb,
    encoder,
    *,
    raw=None,
    rhythm: bool = True,
    schedule: str = "scaled",
    epochs: int | None = None,
    lr: float | None = None,
    plot: str | os.PathLike | None = None,
    **options,
):
    """k-fold accuracy grouped by dance, with baselines, on ``emb``.

    Parameters
    ----------
    emb, encoder
        As for :func:`train_and_save`.
    raw : optional
        :func:`raw_baseline`'s features (None: no raw-feature row).
    rhythm : bool
        Give the classifier the rhythm inputs.
    schedule : str
        A :data:`mudar.methods.CLASSIFY_SCHEDULES` name; ``epochs`` and ``lr`` default to its.
    plot : path-like, optional
        Where to draw the two-stream classifier's confusion matrix (per file).
    **options
        Keyword arguments of :func:`mudar.tasks.classify_cv.grouped_kfold_accuracy` (``folds``,
        ``seed``, ``mode``, ...).

    Returns
    -------
    CVReport
    """
    report = grouped_kfold_accuracy(
        emb,
        raw=raw,
        config=ClassifierConfig(rhythm=rhythm),
        epochs=epochs if epochs is not None else SCHEDULES[schedule].epochs,
        lr=lr if lr is not None else SCHEDULES[schedule].lr,
        encoder=encoder,
        schedule=schedule,
        **options,
    )
    if plot:
        from mudar.report.plots import plot_confusion  # matplotlib, only for a plot

        folds, mode = options.get("folds", 5), options.get("mode", "frozen")
        title = f"{TWO_STREAM} ({mode}), {folds}-fold grouped by dance, per file"
        plot_confusion(report.confusion(TWO_STREAM), report.labels, plot, title=title)
    return report
