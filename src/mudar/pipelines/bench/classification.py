"""Table 2: genre classification of the test dances' clips.

The two-stream classifier (:func:`mudar.tasks.classify.train_classifier`, frozen embeddings)
is trained on the clips of the seed's training dances and scored on those of its test dances,
per clip (``accuracy``, the paper's number), per dance (``file_accuracy``: the mean of a
dance's clip probabilities) and as the mean per-genre recall of the clips
(``balanced_accuracy``; the genres are unbalanced). Floors: the training clips' ``majority``
genre and a logistic regression on summary statistics of the ``raw`` learning-free features
(log-mel, onsets, tempogram, HOOF, flow magnitude, hoof-flux).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mudar.data.clips.windows import sliding_windows
from mudar.eval.classification import SCORES, majority_proba, prediction_scores
from mudar.methods import CLASSIFY_FLOORS
from mudar.models.classifier import ClassifierConfig
from mudar.tasks.classify import predict, train_classifier
from mudar.tasks.classify_cv import logistic_proba

METRICS = SCORES
"""Columns of the classification table (:func:`mudar.eval.classification.prediction_scores`)."""


def classifier_scores(
    emb, test: np.ndarray, *, epochs: int, seed: int, rhythm: bool = True
) -> dict[str, float]:
    """Train the two-stream classifier on the clips outside ``test``, score it on ``test``.

    Parameters
    ----------
    emb : EmbeddingSet
        Every file labelled.
    test : np.ndarray, bool, shape (N,)
        The test clips (whole dances).
    epochs, seed : int
    rhythm : bool
        False: the ``NO_RHYTHM`` ablation (embeddings only).

    Returns
    -------
    dict
        :data:`METRICS`.
    """

    test = np.asarray(test, bool)
    clf = train_classifier(
        emb,
        config=ClassifierConfig(rhythm=rhythm),
        epochs=epochs,
        seed=seed,
        train_mask=~test,
    )
    pred = predict(clf, emb)
    index = {lab: i for i, lab in enumerate(clf.labels)}
    clip_y = np.array([index.get(lab, -1) for lab in emb.clip_labels])
    return prediction_scores(clip_y[test], pred.clip_proba[test], np.asarray(emb.clip_file)[test])


def floor_scores(
    raw: np.ndarray, clip_labels: Sequence[str], clip_file: np.ndarray, test: np.ndarray
) -> dict[str, dict[str, float]]:
    """The floor rows (:data:`~mudar.methods.CLASSIFY_FLOORS`): ``majority`` and ``raw``.

    Parameters
    ----------
    raw : np.ndarray, shape (N, D)
        Raw clip features (:func:`mudar.features.summary.raw_clip_matrix`).
    clip_labels : sequence of str, length N
    clip_file : np.ndarray, int, shape (N,)
    test : np.ndarray, bool, shape (N,)

    Returns
    -------
    dict
        Row -> :data:`METRICS`.
    """

    labels = sorted(set(clip_labels))
    index = {lab: i for i, lab in enumerate(labels)}
    y = np.array([index[lab] for lab in clip_labels])
    test = np.asarray(test, bool)
    clip_file = np.asarray(clip_file)
    c = len(labels)
    majority, raw_row = CLASSIFY_FLOORS
    floors = {
        majority: majority_proba(y[~test], int(test.sum()), n_classes=c),
        raw_row: logistic_proba(raw, y, ~test, test, n_classes=c),
    }
    return {name: prediction_scores(y[test], p, clip_file[test]) for name, p in floors.items()}


def clip_windows(analyses: Sequence, *, clip_s: float) -> list[tuple[int, int, int]]:
    """``(file, start, stop)`` frames of each clip, as :func:`mudar.tasks.embed.embed_analysis`
    cuts them (non-overlapping, the last aligned to the end)."""

    out = []
    for f, a in enumerate(analyses):
        fps = a.clock.fps
        for start, stop in sliding_windows(a.n_frames, fps=fps, window_s=clip_s, hop_s=clip_s):
            out.append((f, start, stop))
    return out
