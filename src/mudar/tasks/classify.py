"""Dance classification (paper sec. 4.2): a genre per clip and per file from an EmbeddingSet.

The classifier is the two-stream head of :mod:`mudar.models.classifier` (visual embedding +
visual rhythm, audio embedding + music onsets), trained with Adam (lr 4e-3) and step decay (x
``gamma`` at fixed fractions of the epochs; :data:`SCHEDULES`: ``paper`` is sec. 4.2's 70 epochs
of batch 64, /10 after epochs 20 and 50; ``scaled``, the default, 40 epochs /10 after half and
three quarters of them), cross-entropy (optionally weighted by inverse class frequency), seeded
and on the CPU. A file's scores are the mean of its clips' probabilities.

Two modes:

- ``frozen`` (default): the encoders are fixed; the classifier reads the embeddings and rhythms
  of the :class:`~mudar.tasks.embed.EmbeddingSet`.
- ``finetune``: the implicit pathway of the MuDaR model (visual and audio encoders and their
  transformers) is trained with the classifier, at a lower learning rate, from the cached
  analyses of the files (:class:`~mudar.data.store.cache.FeatureCache`; no media is decoded here).
  The explicit pathway (injector, rhythm head) is not trained, but its visual rhythm is
  recomputed with the fine-tuned visual encoder, as ``mudar embed`` does with the saved model,
  so training and prediction see the same inputs. Batch-norm statistics stay frozen.

A classifier file (``torch.save`` dict, loaded with ``weights_only=True``) holds the classifier's
config, labels and weights, the MuDaR checkpoint (config, weights, meta) whose embeddings it
reads, so ``mudar classify predict`` needs nothing else, and its "none of these" rule
(:mod:`mudar.tasks.classify_open`, calibrated on the training dances; frozen mode only).

Grouped k-fold evaluation, with the baselines, is :mod:`mudar.tasks.classify_cv`; what the
classifier reads in each mode, :mod:`mudar.tasks.classify_inputs`.
"""

from __future__ import annotations

import copy
import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from mudar.errors import InputError, ParameterError
from mudar.eval.classification import file_means
from mudar.models.checkpoint import (
    checkpoint_doc,
    load_checkpoint,
    load_weights,
    model_from_doc,
    save_checkpoint,
    state_of,
)
from mudar.models.classifier import ClassifierConfig, TwoStreamClassifier
from mudar.tasks.classify_inputs import (
    EmbeddingInputs,
    MediaInputs,
    analysis_config_for,
    load_analyses,
)
from mudar.tasks.classify_open import OpenSet, calibrate_open_set, open_set_record
from mudar.threads import torch_threads

__all__ = [
    "BATCH_SIZE",
    "MODES",
    "SCHEDULES",
    "Schedule",
    "Classifier",
    "Predictions",
    "analysis_config_for",
    "encoder_doc",
    "fit_two_stream",
    "load_analyses",
    "load_classifier",
    "predict",
    "save_classifier",
    "train_classifier",
    "training_labels",
    "two_stream_proba",
]

MODES = ("frozen", "finetune")
BATCH_SIZE = {"frozen": 32, "finetune": 8}
"""Default clips per step: the fine-tuned encoders hold every frame's activations."""
LR_STEPS = (0.5, 0.75)
"""Fractions of the epochs after which the learning rate is multiplied by ``gamma``."""


@dataclass(frozen=True)
class Schedule:
    """Defaults of a classifier training schedule.

    Attributes
    ----------
    epochs : int
    lr : float
        Adam learning rate of the classifier.
    lr_steps : tuple of float
        Fractions of ``epochs`` after which the rate is multiplied by ``gamma`` (0.1).
    batch_size : int or None
        Clips per step; None: :data:`BATCH_SIZE` of the mode.
    """

    epochs: int
    lr: float
    lr_steps: tuple[float, ...]
    batch_size: int | None


SCHEDULES = {
    # the default: on dwm's ~300 training clips, 40 epochs of 32 are as many steps as the
    # paper's 70 of 64, and the shipped benches were measured so
    "scaled": Schedule(epochs=40, lr=4e-3, lr_steps=LR_STEPS, batch_size=None),
    # sec. 4.2: Adam 4e-3, /10 after 20 and 50 epochs, batch 64, 70 epochs
    "paper": Schedule(epochs=70, lr=4e-3, lr_steps=(20 / 70, 50 / 70), batch_size=64),
}
"""Classifier schedules by name; explicit ``epochs``, ``lr``, ``batch_size`` override them."""


# --- the fitted classifier ----------------------------------------------------------------------


@dataclass
class Classifier:
    """A trained two-stream classifier and what it needs to be used.

    Attributes
    ----------
    model : TwoStreamClassifier
        In eval mode.
    labels : list of str, length C
        Genre of each output, in order.
    mode : {"frozen", "finetune"}
    encoder : dict or None
        The MuDaR checkpoint (``format``, ``config``, ``state_dict``, ``meta``) whose embeddings
        the classifier reads (fine-tuned weights in ``finetune`` mode); None when trained from
        embeddings alone.
    info : dict
        How it was trained (epochs, lr, seed, clips, files).
    open_set : OpenSet or None
        Its "none of these" rule; None for a file written before it, or fine-tuned.
    """

    model: TwoStreamClassifier
    labels: list[str]
    mode: str = "frozen"
    encoder: dict | None = None
    info: dict = field(default_factory=dict)
    open_set: OpenSet | None = None

    @property
    def config(self) -> ClassifierConfig:
        return self.model.config

    def encoder_model(self):
        """The MuDaR model to embed new files with, in eval mode.

        Raises
        ------
        ParameterError
            If the classifier holds no embedding model.
        """
        if self.encoder is None:
            raise ParameterError(
                "this classifier holds no embedding model (it was trained from embeddings "
                "alone); train it with the checkpoint that made them"
            )
        return _encoder_from_doc(self.encoder)


@dataclass
class Predictions:
    """Class probabilities per clip and per file (the mean of its clips').

    Attributes
    ----------
    labels : list of str, length C
        Genre of each output, in order.
    files : list of str, length F
    clip_file : np.ndarray, int64, shape (N,)
    clip_proba : np.ndarray, float32, shape (N, C)
    file_proba : np.ndarray, float32, shape (F, C)
    open_set : OpenSet or None
        The classifier's "none of these" rule.
    file_distance : np.ndarray, float64, shape (F,), optional
        Each file's distance to the training dances (NaN: not measured).
    """

    labels: list[str]
    files: list[str]
    clip_file: np.ndarray
    clip_proba: np.ndarray
    file_proba: np.ndarray
    open_set: OpenSet | None = None
    file_distance: np.ndarray | None = None

    def file_labels(self) -> list[str]:
        return [self.labels[i] for i in self.file_proba.argmax(1)]

    def clip_labels(self) -> list[str]:
        return [self.labels[i] for i in self.clip_proba.argmax(1)]

    def records(self) -> list[dict]:
        """Per file ``{"file", "label", "scores": {label: p}, "genres"}`` (the JSON of
        ``predict``; ``genres``: the genres the classifier knows) and the "none of these" keys
        of :func:`~mudar.tasks.classify_open.open_set_record` (``label`` None when none of
        these; ``closest``, ``known``, ``none_of_these``, ``distance``, ``threshold``)."""
        far = self.file_distance
        if far is None:
            far = np.full(len(self.files), np.nan)
        return [
            {
                "file": f,
                **open_set_record(self.open_set, d, self.labels[int(p.argmax())]),
                "genres": list(self.labels),
                "scores": {lab: round(float(v), 4) for lab, v in zip(self.labels, p, strict=True)},
            }
            for f, p, d in zip(self.files, self.file_proba, far, strict=True)
        ]


# --- training ----------------------------------------------------------------------------------


def training_labels(emb, clips: np.ndarray) -> list[str]:
    """The sorted labels of the files of ``clips`` (a boolean mask over the clips of ``emb``).

    Raises
    ------
    InputError
        One of these files has no label, or they hold fewer than 2 labels.
    """
    files = np.unique(np.asarray(emb.clip_file)[clips])
    missing = [emb.files[f] for f in files if not emb.labels[f]]
    if missing:
        raise InputError(
            f"{len(missing)} file(s) have no label (e.g. {missing[0]}): give a labels.csv "
            "(path,label) at the data root or a meta.json with a 'genre' beside each video"
        )
    labels = sorted({emb.labels[f] for f in files})
    if len(labels) < 2:
        raise InputError(
            f"need at least 2 labels to train a classifier, got {len(labels)} ({labels})"
        )
    return labels


def _clip_mask(emb, mask, name: str) -> np.ndarray:
    n = len(emb)
    if mask is None:
        return np.ones(n, bool)
    m = np.asarray(mask)
    if m.shape != (n,) or m.dtype != bool:
        raise ParameterError(f"{name} must be a boolean array of shape ({n},), got {m.shape}")
    if not m.any():
        raise InputError(f"{name} selects no clip")
    return m


def train_classifier(
    emb,
    *,
    config: ClassifierConfig | None = None,
    epochs: int | None = None,
    lr: float | None = None,
    gamma: float = 0.1,
    batch_size: int | None = None,
    weight_decay: float = 1e-4,
    balanced: bool = False,
    seed: int = 0,
    train_mask: np.ndarray | None = None,
    mode: str = "frozen",
    encoder=None,
    cache_dir: str | os.PathLike | None = None,
    encoder_lr: float = 1e-4,
    progress: bool = False,
    schedule: str = "scaled",
) -> Classifier:
    """Train the two-stream classifier on the labelled clips of an EmbeddingSet.

    Parameters
    ----------
    emb : EmbeddingSet
    config : ClassifierConfig, optional
        Sizes and options (e.g. ``rhythm=False``); ``n_classes`` and ``dim`` are set from the
        data.
    epochs : int, optional
        Passes over the training clips; default the schedule's (40; ``paper``: 70).
    lr : float, optional
        Adam learning rate of the classifier; default the schedule's (4e-3, the paper's),
        multiplied by ``gamma`` after the schedule's fractions of the epochs.
    batch_size : int, optional
        Clips per step; default the schedule's (``paper``: 64), else :data:`BATCH_SIZE` of
        the mode.
    weight_decay : float
        Adam's L2 penalty.
    balanced : bool
        Weight the cross-entropy by inverse class frequency. Off by default (the paper's plain
        loss); ``benchmarks/bench_classify.py`` reports both on dwm, where a genre of one dance
        weighs 9 times a waltz clip.
    seed : int
        Seeds initialisation, shuffling and dropout; the caller's global RNG is left as it was.
    train_mask : np.ndarray, bool, shape (N,), optional
        The clips to train on (default all).
    mode : {"frozen", "finetune"}
        See the module doc.
    encoder : MuDaR, optional
        The model that made ``emb``. Stored in the classifier (frozen mode, so that
        ``predict`` can embed new files) or fine-tuned (a copy; required).
    cache_dir : path-like, optional
        Feature cache holding the analyses of ``emb.files`` (fine-tuning only; required).
    encoder_lr : float
        Learning rate of the implicit pathway when fine-tuning.
    progress : bool
        Show a progress bar over the epochs.
    schedule : {"scaled", "paper"}
        Defaults of epochs, lr, lr steps and batch size (:data:`SCHEDULES`).

    Returns
    -------
    Classifier

    Raises
    ------
    InputError
        A training file without a label, fewer than 2 labels, a missing cache entry.
    ParameterError
        Bad mode, epochs, rates or mask; embeddings of another width than the encoder's.
    """
    if mode not in MODES:
        raise ParameterError(f"mode must be one of {MODES}, got {mode!r}")
    if schedule not in SCHEDULES:
        raise ParameterError(f"schedule must be one of {tuple(SCHEDULES)}, got {schedule!r}")
    plan = SCHEDULES[schedule]
    epochs = plan.epochs if epochs is None else epochs
    lr = plan.lr if lr is None else lr
    if batch_size is None:
        batch_size = plan.batch_size if plan.batch_size is not None else BATCH_SIZE[mode]
    if epochs < 1 or batch_size < 1:
        raise ParameterError(f"epochs and batch_size must be >= 1, got {epochs}, {batch_size}")
    if lr <= 0 or encoder_lr <= 0 or not 0 < gamma <= 1:
        raise ParameterError("lr and encoder_lr must be > 0 and gamma in (0, 1]")
    train = _clip_mask(emb, train_mask, "train_mask")
    labels = training_labels(emb, train)
    if encoder is not None and emb.visual_frames.shape[-1] != encoder.config.dim:
        raise ParameterError(
            f"the embeddings are {emb.visual_frames.shape[-1]}-dimensional, the encoder makes "
            f"{encoder.config.dim}: it did not make them"
        )
    if mode == "finetune":
        if encoder is None or cache_dir is None:
            raise ParameterError("fine-tuning needs the encoder (MuDaR model) and the cache_dir")
        source = MediaInputs(emb, copy.deepcopy(encoder), load_analyses(emb, cache_dir, encoder))
    else:
        source = EmbeddingInputs(emb)
    model = fit_two_stream(
        source,
        emb,
        train,
        labels,
        config=config,
        epochs=epochs,
        lr=lr,
        gamma=gamma,
        batch_size=batch_size,
        weight_decay=weight_decay,
        balanced=balanced,
        seed=seed,
        encoder_lr=encoder_lr,
        progress=progress,
        lr_steps=plan.lr_steps,
    )
    info = {
        "schedule": schedule,
        "epochs": epochs,
        "lr": lr,
        "gamma": gamma,
        "batch_size": batch_size,
        "lr_steps": list(plan.lr_steps),
        "seed": seed,
        "n_clips": int(train.sum()),
        "n_files": int(len(np.unique(np.asarray(emb.clip_file)[train]))),
    }
    open_set = None  # a fine-tuned encoder embeds new files unlike the training set's emb
    if mode == "finetune":
        info["encoder_lr"] = encoder_lr
        enc_doc = encoder_doc(source.encoder)
    else:
        enc_doc = encoder_doc(encoder) if encoder is not None else None
        open_set = calibrate_open_set(emb, train)
    return Classifier(model, labels, mode, enc_doc, info, open_set)


def _set_standardization(model, emb, ids: torch.Tensor) -> None:
    """Standardise the classifier's inputs with the statistics of the training clips' frame
    embeddings (those of ``emb``: the initial encoder's, when fine-tuning)."""
    idx = ids.numpy()
    model.set_standardization(
        torch.from_numpy(np.asarray(emb.visual_frames[idx], np.float32)),
        torch.from_numpy(np.asarray(emb.audio_frames[idx], np.float32)),
        lengths=torch.from_numpy(np.asarray(emb.clip_len[idx], np.int64)),
        has_video=torch.from_numpy(np.asarray(emb.has_video[idx], bool)),
        has_audio=torch.from_numpy(np.asarray(emb.has_audio[idx], bool)),
    )


def _head_threads(source):
    """One torch thread while only the small head trains or runs: on 2 busy cores that is 30x
    faster than two contending threads. Fine-tuning keeps the caller's setting."""
    return torch_threads(None if source.modules() else 1)


def fit_two_stream(
    source,
    emb,
    train: np.ndarray,
    labels: list[str],
    *,
    config: ClassifierConfig | None,
    epochs: int,
    lr: float,
    gamma: float,
    batch_size: int,
    weight_decay: float,
    balanced: bool,
    seed: int,
    encoder_lr: float,
    progress: bool,
    lr_steps: tuple[float, ...] = LR_STEPS,
) -> TwoStreamClassifier:
    """The training loop: Adam, step decay, (balanced) cross-entropy, seeded.

    Parameters
    ----------
    source : EmbeddingInputs or MediaInputs
        What the classifier reads (:mod:`mudar.tasks.classify_inputs`); the modules it names
        train too, at ``encoder_lr``.
    emb : EmbeddingSet
        Its clip labels are the targets; its frame embeddings standardise the inputs.
    train : np.ndarray, bool, shape (N,)
        The clips to train on.
    labels : list of str, length C
        The classifier's outputs, in order (:func:`training_labels`).
    config, epochs, lr, gamma, batch_size, weight_decay, balanced, seed, encoder_lr, progress
        As :func:`train_classifier` (all given).
    lr_steps : tuple of float
        Fractions of the epochs after which the rate is multiplied by ``gamma``.

    Returns
    -------
    TwoStreamClassifier
        In eval mode.
    """
    from tqdm import tqdm

    dim = emb.visual_frames.shape[-1]
    cfg = dataclasses.replace(config or ClassifierConfig(), n_classes=len(labels), dim=dim)
    index = {lab: i for i, lab in enumerate(labels)}
    y = torch.tensor([index.get(lab, -1) for lab in emb.clip_labels], dtype=torch.int64)
    ids = torch.from_numpy(np.flatnonzero(train))
    counts = torch.bincount(y[ids], minlength=len(labels)).double()
    weight = (len(ids) / (len(labels) * counts)) if balanced else torch.ones(len(labels))
    weight = weight.float()
    milestones = sorted({max(1, round(f * epochs)) for f in lr_steps})
    with _head_threads(source), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # initialisation and dropout draw from the global generator
        gen = torch.Generator().manual_seed(seed)  # shuffling and stream dropout
        model = TwoStreamClassifier(cfg)
        _set_standardization(model, emb, ids)
        groups = [{"params": list(model.parameters()), "lr": lr}]
        enc_params = [p for m in source.modules() for p in m.parameters()]
        if enc_params:
            groups.append({"params": enc_params, "lr": encoder_lr})
        opt = torch.optim.Adam(groups, weight_decay=weight_decay)
        sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=milestones, gamma=gamma)
        for _ in tqdm(range(epochs), desc="classify", unit="epoch", disable=not progress):
            model.train()
            source.set_train(True)
            for batch in ids[torch.randperm(len(ids), generator=gen)].split(batch_size):
                loss = F.cross_entropy(
                    source.logits(model, batch, generator=gen), y[batch], weight=weight
                )
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            sched.step()
    model.eval()
    source.set_train(False)
    return model


# --- prediction --------------------------------------------------------------------------------


def two_stream_proba(model, source, idx: np.ndarray) -> np.ndarray:
    """Softmax of the classifier's logits for the clips ``idx`` of ``source``, (len(idx), C)
    float32, in eval mode and without gradients."""
    batch_size = 8 if source.modules() else 64
    model.eval()
    source.set_train(False)
    out = []
    with _head_threads(source), torch.no_grad():
        for batch in torch.from_numpy(np.asarray(idx, np.int64)).split(batch_size):
            out.append(torch.softmax(source.logits(model, batch), dim=-1).numpy())
    c = model.config.n_classes
    return np.concatenate(out).astype(np.float32) if out else np.zeros((0, c), np.float32)


def predict(clf: Classifier, emb) -> Predictions:
    """Genre probabilities of every clip and file of an EmbeddingSet.

    Parameters
    ----------
    clf : Classifier
    emb : EmbeddingSet
        Made with ``clf.encoder_model()`` (``mudar classify predict`` does so): a fine-tuned
        classifier reads the embeddings of its own fine-tuned encoder.

    Returns
    -------
    Predictions

    Raises
    ------
    ParameterError
        Embeddings of another width than the classifier's.
    """
    dim = emb.visual_frames.shape[-1]
    if dim != clf.config.dim:
        raise ParameterError(
            f"the embeddings are {dim}-dimensional, the classifier reads {clf.config.dim} "
            "(embed the files with the classifier's own model)"
        )
    clip_proba = two_stream_proba(clf.model, EmbeddingInputs(emb), np.arange(len(emb)))
    clip_file = np.asarray(emb.clip_file, np.int64)
    return Predictions(
        labels=list(clf.labels),
        files=list(emb.files),
        clip_file=clip_file,
        clip_proba=clip_proba,
        file_proba=file_means(clip_proba, clip_file, len(emb.files)),
        open_set=clf.open_set,
        file_distance=clf.open_set.file_distances(emb) if clf.open_set else None,
    )


# --- files ------------------------------------------------------------------------------------


def encoder_doc(model) -> dict:
    """A MuDaR model as the dict :func:`mudar.models.checkpoint.save_model` writes (its
    weights copied)."""
    return checkpoint_doc(
        family="mudar",
        config=model.config.to_dict(),
        state_dict=state_of(model, copy=True),
        meta=getattr(model, "meta", None),
    )


def _encoder_from_doc(doc: dict):
    return model_from_doc(doc, where="the classifier's embedding model")


def save_classifier(clf: Classifier, path: str | os.PathLike) -> Path:
    """Write a classifier file atomically (a ``torch.save`` dict without pickled code,
    :func:`mudar.models.checkpoint.save_checkpoint` of the ``"classifier"`` family)."""
    return save_checkpoint(
        path,
        family="classifier",
        mode=clf.mode,
        config=clf.config.to_dict(),
        labels=list(clf.labels),
        state_dict=state_of(clf.model),
        encoder=clf.encoder,
        info=dict(clf.info),
        open_set=clf.open_set.to_doc() if clf.open_set is not None else None,
    )


def load_classifier(path: str | os.PathLike) -> Classifier:
    """Read a file written by :func:`save_classifier` (``weights_only=True``).

    Raises
    ------
    InputError
        Missing or unreadable file.
    ParameterError
        Not a mudar classifier, or weights that do not fit its config.
    """
    doc = load_checkpoint(path, family="classifier")
    model = TwoStreamClassifier(ClassifierConfig.from_dict(doc["config"]))
    load_weights(model, doc["state_dict"], f"{Path(path)}: weights do not fit the stored config")
    return Classifier(
        model=model.eval(),
        labels=list(doc["labels"]),
        mode=doc.get("mode", "frozen"),
        encoder=doc.get("encoder"),
        info=dict(doc.get("info") or {}),
        open_set=OpenSet.from_doc(doc.get("open_set")),
    )
