"""Grouped k-fold evaluation of dance classification (paper sec. 4.2), beside its floors.

k folds grouped by file (a dance's clips are never on both sides), stratified by genre
(:func:`mudar.eval.classification.grouped_folds`); a genre with a single file cannot be both
trained and tested, so its file stays in every training fold and is never scored. Methods, by
name (:data:`METHODS`; :data:`TITLES` are their table titles):

- ``two-stream``: the classifier of :mod:`mudar.tasks.classify`, trained on each fold;
- ``no-rhythm``: the same without its rhythm inputs;
- ``majority``: the majority class of the training clips;
- ``raw``: a logistic regression (:func:`logistic_proba`) on summary statistics of the raw
  learning-free features of each clip (:func:`raw_features`: log-mel, onset envelope,
  tempogram, tempo, HOOF, flow magnitude, hoof-flux).

Every method is scored by :mod:`mudar.eval.classification`, as the bench's classification table
and MotionBeat's genre probe are.
"""

from __future__ import annotations

import copy
import dataclasses
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from mudar.data.clips.windows import cut
from mudar.data.store.cached import cached_analyses
from mudar.errors import ParameterError
from mudar.eval.classification import (
    MethodScores,
    balanced_accuracy,
    confusion_matrix,
    grouped_folds,
    majority_proba,
    out_of_fold,
)
from mudar.features.summary import raw_clip_matrix
from mudar.methods import CLASSIFY_FLOORS, TWO_STREAM
from mudar.models.classifier import ClassifierConfig
from mudar.models.logistic import fit_logistic
from mudar.tasks.classify import (
    BATCH_SIZE,
    MODES,
    SCHEDULES,
    fit_two_stream,
    load_analyses,
    training_labels,
    two_stream_proba,
)
from mudar.tasks.classify_inputs import EmbeddingInputs, MediaInputs

NO_RHYTHM = "no-rhythm"
MAJORITY, RAW = CLASSIFY_FLOORS
METHODS = (TWO_STREAM, NO_RHYTHM, MAJORITY, RAW)
"""What :func:`grouped_kfold_accuracy` scores, by name (the keys of its report)."""

TITLES = {
    TWO_STREAM: "two-stream",
    NO_RHYTHM: "two-stream, no rhythms",
    MAJORITY: "majority class",
    RAW: "raw features (logistic)",
}
"""How the report's tables and progress lines show each method."""


# --- the logistic-probe floor ------------------------------------------------------------------


def logistic_proba(
    x: np.ndarray,
    y: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
    *,
    n_classes: int,
    l2: float = 1e-2,
    balanced: bool = False,
) -> np.ndarray:
    """A logistic regression fitted on the training rows, its probabilities of the test rows.

    Parameters
    ----------
    x : np.ndarray, shape (N, D)
        Features of every clip.
    y : np.ndarray, int, shape (N,)
        Class of every clip (those of the training rows are read).
    train, test : np.ndarray, bool or int index
        The rows to fit on and to answer for.
    n_classes, l2, balanced
        Of :func:`mudar.models.logistic.fit_logistic`.

    Returns
    -------
    np.ndarray, float32, shape (len(x[test]), n_classes)
    """
    model = fit_logistic(x[train], y[train], n_classes=n_classes, l2=l2, balanced=balanced)
    return model.predict_proba(x[test])


# --- raw clip features from the cache ----------------------------------------------------------


def raw_features(emb, *, cache_dir: str | os.PathLike, config, bands: int = 32) -> np.ndarray:
    """:func:`~mudar.features.summary.raw_clip_features` of every clip of an EmbeddingSet, from
    the feature cache.

    Parameters
    ----------
    emb : EmbeddingSet
    cache_dir : path-like
        The feature cache the embeddings were made with.
    config : AnalysisConfig
        The analysis settings of the cache entries
        (:func:`~mudar.tasks.classify.analysis_config_for` of the model).
    bands : int
        Mel bands and tempogram lags kept.

    Returns
    -------
    np.ndarray, float32, shape (N, D)

    Raises
    ------
    InputError
        A file that is not in the cache.
    """
    analyses = cached_analyses(emb.files, cache_dir, config)
    x = raw_clip_matrix(_clips_by_file(emb, analyses), bands=bands)
    out = np.empty_like(x)
    out[np.argsort(np.asarray(emb.clip_file), kind="stable")] = x
    return out


def _clips_by_file(emb, analyses) -> Iterator:
    """Each clip of ``emb`` cut from its file's analysis, file after file (one whole-file
    analysis in memory at a time)."""
    clip_file = np.asarray(emb.clip_file)
    for f, a in enumerate(analyses):
        a.frames = None  # not needed; frees the memory early
        for i in np.flatnonzero(clip_file == f):
            start = round(float(emb.clip_start_s[i]) * a.clock.fps)
            yield cut(a, start, start + int(emb.clip_len[i]))


# --- the report --------------------------------------------------------------------------------


@dataclass
class CVReport:
    """Grouped k-fold results of several methods on one EmbeddingSet.

    Attributes
    ----------
    labels, files : list of str, lengths C and F
        The classes in order, and the files.
    file_y : np.ndarray, int64, shape (F,)
        True class of each file.
    clip_file : np.ndarray, int64, shape (N,)
    folds : np.ndarray, int64, shape (F,)
        Test fold of each file; -1 for files never tested (a label with one file).
    methods : dict of str to MethodScores
        By method name (:data:`METHODS`, or any other the caller adds).
    """

    labels: list[str]
    files: list[str]
    file_y: np.ndarray
    clip_file: np.ndarray
    folds: np.ndarray
    methods: dict[str, MethodScores]

    @property
    def clip_y(self) -> np.ndarray:
        return self.file_y[self.clip_file]

    @property
    def untested(self) -> list[str]:
        return [f for f, k in zip(self.files, self.folds, strict=True) if k < 0]

    def confusion(self, method: str, *, level: str = "file") -> np.ndarray:
        """(C, C) counts of the tested clips or files: row = true, column = predicted."""
        s = self.methods[method]
        if level == "file":
            t, p = self.file_y, s.file_pred
        elif level == "clip":
            t, p = self.clip_y, s.clip_pred
        else:
            raise ParameterError(f"level must be 'file' or 'clip', got {level!r}")
        keep = p >= 0
        return confusion_matrix(t[keep], p[keep], n_classes=len(self.labels))

    def summary(self) -> dict[str, dict[str, float]]:
        """Per method: accuracy mean and std over folds (clip, file) and balanced accuracy of
        the pooled out-of-fold predictions (clip, file)."""
        out = {}
        for name, s in self.methods.items():
            kc, kf = s.clip_pred >= 0, s.file_pred >= 0
            out[name] = {
                "clip_acc_mean": float(np.mean(s.clip_acc)),
                "clip_acc_std": float(np.std(s.clip_acc)),
                "file_acc_mean": float(np.mean(s.file_acc)),
                "file_acc_std": float(np.std(s.file_acc)),
                "clip_balanced_acc": balanced_accuracy(self.clip_y[kc], s.clip_pred[kc]),
                "file_balanced_acc": balanced_accuracy(self.file_y[kf], s.file_pred[kf]),
            }
        return out

    def to_dict(self) -> dict:
        counts = np.bincount(self.file_y, minlength=len(self.labels))
        return {
            "labels": self.labels,
            "files_per_label": dict(zip(self.labels, counts.tolist(), strict=True)),
            "n_files": len(self.files),
            "n_clips": len(self.clip_file),
            "folds": int(self.folds.max()) + 1,
            "never_tested": self.untested,
            "methods": self.summary(),
            "file_confusion": {m: self.confusion(m).tolist() for m in self.methods},
        }

    def markdown(self) -> str:
        """The results as a Markdown table (methods by their :data:`TITLES`)."""
        rows = [
            "| method | clip acc | file acc | clip bal. acc | file bal. acc |",
            "|---|---|---|---|---|",
        ]
        for name, s in self.summary().items():
            rows.append(
                f"| {TITLES.get(name, name)} "
                f"| {s['clip_acc_mean']:.3f} +- {s['clip_acc_std']:.3f} "
                f"| {s['file_acc_mean']:.3f} +- {s['file_acc_std']:.3f} "
                f"| {s['clip_balanced_acc']:.3f} | {s['file_balanced_acc']:.3f} |"
            )
        return "\n".join(rows)


# --- the evaluation ----------------------------------------------------------------------------


def grouped_kfold_accuracy(
    emb,
    *,
    folds: int = 5,
    seed: int = 0,
    raw: np.ndarray | None = None,
    methods: Sequence[str] | None = None,
    config: ClassifierConfig | None = None,
    epochs: int = 40,
    lr: float = 4e-3,
    mode: str = "frozen",
    encoder=None,
    cache_dir: str | os.PathLike | None = None,
    encoder_lr: float = 1e-4,
    balanced: bool = False,
    progress: bool = False,
    schedule: str = "scaled",
) -> CVReport:
    """Accuracy of the two-stream classifier and baselines, k folds grouped by file.

    Parameters
    ----------
    emb : EmbeddingSet
        Every file labelled.
    folds : int
        k (see :func:`~mudar.eval.classification.grouped_folds`; a label with one file is
        trained on, never tested).
    seed : int
        Seeds the folds and the training.
    raw : np.ndarray, shape (N, D), optional
        Raw clip features (:func:`raw_features`) for the logistic-regression baseline.
    methods : sequence of str, optional
        Among :data:`METHODS`; default all (``RAW`` only with ``raw``).
    config, epochs, lr, mode, encoder, cache_dir, encoder_lr
        Passed to the training of the two-stream classifiers
        (:func:`~mudar.tasks.classify.train_classifier`).
    balanced : bool
        Class-weighted cross-entropy for the two-stream classifiers and the logistic
        regression alike.
    progress : bool
        Print a line per fold and method.
    schedule : {"scaled", "paper"}
        Lr steps and batch size of the two-stream training
        (:data:`~mudar.tasks.classify.SCHEDULES`); ``epochs``, ``lr`` given explicitly.

    Returns
    -------
    CVReport

    Raises
    ------
    InputError
        Unlabelled files, fewer than 2 labels.
    ParameterError
        Bad ``folds``, an unknown method, ``RAW`` without ``raw``, ``raw`` of the wrong length.
    """
    if mode not in MODES:
        raise ParameterError(f"mode must be one of {MODES}, got {mode!r}")
    if methods is None:
        methods = [m for m in METHODS if m != RAW or raw is not None]
    for m in methods:
        if m not in METHODS:
            raise ParameterError(f"unknown method {m!r}; known: {', '.join(METHODS)}")
    if RAW in methods and (raw is None or len(raw) != len(emb)):
        raise ParameterError(f"the {RAW!r} baseline needs raw features of every clip")
    labels = training_labels(emb, np.ones(len(emb), bool))
    index = {lab: i for i, lab in enumerate(labels)}
    file_y = np.array([index[lab] for lab in emb.labels], np.int64)
    clip_file = np.asarray(emb.clip_file, np.int64)
    clip_y = file_y[clip_file]
    fold_of = grouped_folds(emb.labels, k=folds, seed=seed)
    c = len(labels)

    if mode == "finetune":
        if encoder is None or cache_dir is None:
            raise ParameterError("fine-tuning needs the encoder (MuDaR model) and the cache_dir")
        analyses = load_analyses(emb, cache_dir, encoder)
    else:
        frozen = EmbeddingInputs(emb)
    base_cfg = config or ClassifierConfig()

    def proba(m: str, k: int, train: np.ndarray, test: np.ndarray) -> np.ndarray:
        if m == MAJORITY:
            return majority_proba(clip_y[train], int(test.sum()), n_classes=c)
        if m == RAW:
            return logistic_proba(raw, clip_y, train, test, n_classes=c, balanced=balanced)
        train_labels = training_labels(emb, train)  # every label with >= 2 files is in it
        cols = np.array([index[lab] for lab in train_labels])
        cfg = dataclasses.replace(base_cfg, rhythm=(m == TWO_STREAM) and base_cfg.rhythm)
        if mode == "finetune":
            source = MediaInputs(emb, copy.deepcopy(encoder), analyses)
        else:
            source = frozen
        model = fit_two_stream(
            source,
            emb,
            train,
            train_labels,
            config=cfg,
            epochs=epochs,
            lr=lr,
            gamma=0.1,
            batch_size=SCHEDULES[schedule].batch_size or BATCH_SIZE[mode],
            weight_decay=1e-4,
            balanced=balanced,
            seed=seed + k,
            encoder_lr=encoder_lr,
            progress=False,
            lr_steps=SCHEDULES[schedule].lr_steps,
        )
        out = np.zeros((int(test.sum()), c), np.float32)
        out[:, cols] = two_stream_proba(model, source, np.flatnonzero(test))
        return out

    def report(k: int, m: str, s: MethodScores) -> None:
        print(
            f"fold {k + 1}/{folds} {TITLES.get(m, m)}: clip acc {s.clip_acc[-1]:.3f}, "
            f"file acc {s.file_acc[-1]:.3f}",
            flush=True,
        )

    scores = out_of_fold(
        methods,
        proba,
        fold_of=fold_of,
        folds=folds,
        clip_file=clip_file,
        clip_y=clip_y,
        file_y=file_y,
        on_fold=report if progress else None,
    )
    return CVReport(
        labels=labels,
        files=list(emb.files),
        file_y=file_y,
        clip_file=clip_file,
        folds=fold_of,
        methods=scores,
    )
