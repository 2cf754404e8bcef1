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

METRICS = ("accuracy", "file_accuracy", "balanced_accuracy")
"""Columns of the classification table."""


def _scores(
    clip_y: np.ndarray, clip_pred: np.ndarray, clip_file: np.ndarray, clip_proba: np.ndarray
) -> dict[str, float]:
    from mudar.eval.classification import accuracy, balanced_accuracy

    files = np.unique(clip_file)
    file_y = np.array([clip_y[clip_file == f][0] for f in files])
    file_pred = np.array([clip_proba[clip_file == f].mean(0).argmax() for f in files])
    return {
        "accuracy": accuracy(clip_y, clip_pred),
        "file_accuracy": accuracy(file_y, file_pred),
        "balanced_accuracy": balanced_accuracy(clip_y, clip_pred),
    }


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
    from mudar.models.classifier import ClassifierConfig
    from mudar.tasks.classify import predict, train_classifier

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
    proba = pred.clip_proba[test]
    return _scores(clip_y[test], proba.argmax(1), np.asarray(emb.clip_file)[test], proba)


def floor_scores(
    raw: np.ndarray, clip_labels: Sequence[str], clip_file: np.ndarray, test: np.ndarray
) -> dict[str, dict[str, float]]:
    """The ``majority`` and ``raw`` (logistic regression) rows.

    Parameters
    ----------
    raw : np.ndarray, shape (N, D)
        Raw clip features (:func:`raw_clip_matrix`).
    clip_labels : sequence of str, length N
    clip_file : np.ndarray, int, shape (N,)
    test : np.ndarray, bool, shape (N,)

    Returns
    -------
    dict
        Row -> :data:`METRICS`.
    """
    from mudar.models.logistic import fit_logistic

    labels = sorted(set(clip_labels))
    index = {lab: i for i, lab in enumerate(labels)}
    y = np.array([index[lab] for lab in clip_labels])
    test = np.asarray(test, bool)
    clip_file = np.asarray(clip_file)
    c = len(labels)
    majority = np.zeros((int(test.sum()), c), np.float32)
    majority[:, np.bincount(y[~test], minlength=c).argmax()] = 1.0
    model = fit_logistic(raw[~test], y[~test], n_classes=c)
    out = {}
    for name, proba in (("majority", majority), ("raw", model.predict_proba(raw[test]))):
        out[name] = _scores(y[test], proba.argmax(1), clip_file[test], proba)
    return out


def clip_windows(analyses: Sequence, *, clip_s: float) -> list[tuple[int, int, int]]:
    """``(file, start, stop)`` frames of each clip, as :func:`mudar.tasks.embed.embed_analysis`
    cuts them (non-overlapping, the last aligned to the end)."""
    from mudar.data.clips import sliding_windows

    out = []
    for f, a in enumerate(analyses):
        fps = a.clock.fps
        for start, stop in sliding_windows(a.n_frames, fps=fps, window_s=clip_s, hop_s=clip_s):
            out.append((f, start, stop))
    return out


def raw_clip_matrix(analyses: Sequence, windows: Sequence[tuple[int, int, int]]) -> np.ndarray:
    """:func:`mudar.features.summary.raw_clip_features` of each clip window, (N, D)."""
    from mudar.data.clips import cut
    from mudar.features.summary import raw_clip_features

    return np.stack([raw_clip_features(cut(analyses[f], a, b)) for f, a, b in windows])
