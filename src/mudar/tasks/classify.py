"""Dance classification (paper sec. 4.2): a genre per clip and per file from an EmbeddingSet.

The classifier is the two-stream head of :mod:`mudar.models.classifier` (visual embedding +
visual rhythm, audio embedding + music onsets), trained with Adam (lr 4e-3) and step decay
(x ``gamma`` at fixed fractions of the epochs, the paper's schedule scaled to the epochs run),
cross-entropy (optionally weighted by inverse class frequency), seeded and on the CPU. A file's
scores are the mean of its clips' probabilities.

Two modes:

- ``frozen`` (default): the encoders are fixed; the classifier reads the embeddings and rhythms
  of the :class:`~mudar.tasks.embed.EmbeddingSet`.
- ``finetune``: the implicit pathway of the MuDaR model (visual and audio encoders and their
  transformers) is trained with the classifier, at a lower learning rate, from the cached
  analyses of the files (:class:`~mudar.data.cache.FeatureCache`; no media is decoded here).
  The explicit pathway (injector, rhythm head) is not trained, but its visual rhythm is
  recomputed with the fine-tuned visual encoder, as ``mudar embed`` does with the saved model,
  so training and prediction see the same inputs. Batch-norm statistics stay frozen.

A classifier file (``torch.save`` dict, loaded with ``weights_only=True``) holds the classifier's
config, labels and weights, and the MuDaR checkpoint (config, weights, meta) whose embeddings it
reads, so ``mudar classify predict`` needs nothing else.

Evaluation (:func:`grouped_kfold_accuracy`): k folds grouped by file (a dance's clips are never
on both sides), stratified by genre; a genre with a single file cannot be both trained and
tested, so its file stays in every training fold and is never scored. Baselines: the majority
class of the training clips, and a logistic regression on summary statistics of the raw
learning-free features (:func:`raw_clip_features`: log-mel, onset envelope, tempogram, tempo,
HOOF, flow magnitude, hoof-flux).
"""

from __future__ import annotations

import copy
import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from mudar.errors import InputError, ParameterError
from mudar.eval.classification import accuracy, balanced_accuracy, confusion_matrix
from mudar.features.summary import raw_clip_features, raw_feature_names
from mudar.models.classifier import ClassifierConfig, TwoStreamClassifier
from mudar.models.logistic import LogisticRegression, fit_logistic
from mudar.threads import torch_threads

__all__ = [
    "MAJORITY",
    "MODES",
    "NO_RHYTHM",
    "RAW",
    "TWO_STREAM",
    "Classifier",
    "CVReport",
    "LogisticRegression",
    "MethodScores",
    "Predictions",
    "analysis_config_for",
    "file_means",
    "fit_logistic",
    "grouped_folds",
    "grouped_kfold_accuracy",
    "load_analyses",
    "load_classifier",
    "predict",
    "raw_clip_features",
    "raw_feature_names",
    "raw_features",
    "save_classifier",
    "train_classifier",
]

FORMAT = "mudar-classifier"
MODES = ("frozen", "finetune")
BATCH_SIZE = {"frozen": 32, "finetune": 8}
"""Default clips per step: the fine-tuned encoders hold every frame's activations."""
LR_STEPS = (0.5, 0.75)
"""Fractions of the epochs after which the learning rate is multiplied by ``gamma``."""


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
    """

    model: TwoStreamClassifier
    labels: list[str]
    mode: str = "frozen"
    encoder: dict | None = None
    info: dict = field(default_factory=dict)

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
    files : list of str, length F
    clip_file : np.ndarray, int64, shape (N,)
    clip_proba : np.ndarray, float32, shape (N, C)
    file_proba : np.ndarray, float32, shape (F, C)
    """

    labels: list[str]
    files: list[str]
    clip_file: np.ndarray
    clip_proba: np.ndarray
    file_proba: np.ndarray

    def file_labels(self) -> list[str]:
        return [self.labels[i] for i in self.file_proba.argmax(1)]

    def clip_labels(self) -> list[str]:
        return [self.labels[i] for i in self.clip_proba.argmax(1)]

    def records(self) -> list[dict]:
        """Per file ``{"file", "label", "scores": {label: p}}`` (the JSON of ``predict``)."""
        return [
            {
                "file": f,
                "label": self.labels[int(p.argmax())],
                "scores": {lab: round(float(v), 4) for lab, v in zip(self.labels, p, strict=True)},
            }
            for f, p in zip(self.files, self.file_proba, strict=True)
        ]


# --- inputs ------------------------------------------------------------------------------------


class _EmbeddingInputs:
    """Frozen mode: the classifier's inputs straight from an EmbeddingSet."""

    def __init__(self, emb):
        self.t = {
            "visual_frames": torch.from_numpy(np.asarray(emb.visual_frames, np.float32)),
            "visual_rhythm": torch.from_numpy(np.asarray(emb.visual_rhythm, np.float32)),
            "audio_frames": torch.from_numpy(np.asarray(emb.audio_frames, np.float32)),
            "onsets": torch.from_numpy(np.asarray(emb.onsets, np.float32)),
        }
        self.lengths = torch.from_numpy(np.asarray(emb.clip_len, np.int64))
        self.has_video = torch.from_numpy(np.asarray(emb.has_video, bool))
        self.has_audio = torch.from_numpy(np.asarray(emb.has_audio, bool))

    def modules(self) -> list[torch.nn.Module]:
        return []

    def set_train(self, train: bool) -> None:
        pass

    def logits(self, model, idx: torch.Tensor, generator=None) -> torch.Tensor:
        return model(
            **{k: v[idx] for k, v in self.t.items()},
            lengths=self.lengths[idx],
            has_video=self.has_video[idx],
            has_audio=self.has_audio[idx],
            generator=generator,
        )


class _MediaInputs:
    """Fine-tuning mode: the MuDaR implicit pathway runs on each batch, from cached analyses.

    Clips are cut and padded exactly as :func:`mudar.tasks.embed.embed_analysis` does.
    """

    def __init__(self, emb, encoder, analyses):
        self.emb, self.encoder, self.analyses = emb, encoder, analyses
        self.onsets = torch.from_numpy(np.asarray(emb.onsets, np.float32))
        self.lengths = torch.from_numpy(np.asarray(emb.clip_len, np.int64))
        self.has_video = torch.from_numpy(np.asarray(emb.has_video, bool))
        self.has_audio = torch.from_numpy(np.asarray(emb.has_audio, bool))

    def modules(self) -> list[torch.nn.Module]:
        """The implicit pathway: the parts whose weights fine-tuning changes."""
        e = self.encoder
        return [
            e.visual_encoder,
            e.visual_proj,
            *([e.visual_motion_proj] if e.visual_motion_proj is not None else []),
            e.visual_transformer,
            e.audio_encoder,
            e.audio_transformer,
        ]

    def set_train(self, train: bool) -> None:
        self.encoder.eval()
        if train:
            for m in self.modules():
                m.train()
            for m in self.encoder.modules():  # small batches: keep the trained statistics
                if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                    m.eval()

    def _media(self, idx: torch.Tensor):
        from mudar.data.clips import cut
        from mudar.data.clipset import clip_inputs

        cfg, emb = self.encoder.config, self.emb
        t, s, b = cfg.n_frames, cfg.frame_size, len(idx)
        frames = torch.zeros(b, t, 3, s, s)
        motion = torch.zeros(b, t, cfg.hoof_bins + 1)
        audio = torch.zeros(b, cfg.audio_rows, t * cfg.sub)
        for k, i in enumerate(idx.tolist()):
            start = round(float(emb.clip_start_s[i]) * cfg.fps)
            c = cut(self.analyses[int(emb.clip_file[i])], start, start + int(emb.clip_len[i]))
            f, m, a = clip_inputs(
                c, cfg, video=bool(emb.has_video[i]), audio=bool(emb.has_audio[i])
            )
            if f is not None:
                frames[k], motion[k] = f, m
            if a is not None:
                audio[k] = a
        return frames, motion, audio

    def logits(self, model, idx: torch.Tensor, generator=None) -> torch.Tensor:
        enc = self.encoder
        frames, motion, audio = self._media(idx)
        f_rgb = enc.encode_frames(frames)
        v_frames, _ = enc.implicit_visual(f_rgb, motion)
        a_frames, _ = enc.implicit_audio(enc.audio_encoder(audio))
        with torch.no_grad():  # the explicit pathway as mudar embed runs it: without the music
            rhythm = enc.head.predict(enc.head_output(f_rgb.detach(), motion)).float()
        return model(
            v_frames,
            rhythm,
            a_frames,
            self.onsets[idx],
            lengths=self.lengths[idx],
            has_video=self.has_video[idx],
            has_audio=self.has_audio[idx],
            generator=generator,
        )


# --- training ----------------------------------------------------------------------------------


def _training_labels(emb, clips: np.ndarray) -> list[str]:
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
    epochs: int = 40,
    lr: float = 4e-3,
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
) -> Classifier:
    """Train the two-stream classifier on the labelled clips of an EmbeddingSet.

    Parameters
    ----------
    emb : EmbeddingSet
    config : ClassifierConfig, optional
        Sizes and options (e.g. ``rhythm=False``); ``n_classes`` and ``dim`` are set from the
        data.
    epochs : int
        Passes over the training clips.
    lr : float
        Adam learning rate of the classifier (paper: 4e-3), multiplied by ``gamma`` after
        half and three quarters of the epochs.
    batch_size : int, optional
        Clips per step; default :data:`BATCH_SIZE` of the mode.
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
    batch_size = BATCH_SIZE[mode] if batch_size is None else batch_size
    if epochs < 1 or batch_size < 1:
        raise ParameterError(f"epochs and batch_size must be >= 1, got {epochs}, {batch_size}")
    if lr <= 0 or encoder_lr <= 0 or not 0 < gamma <= 1:
        raise ParameterError("lr and encoder_lr must be > 0 and gamma in (0, 1]")
    train = _clip_mask(emb, train_mask, "train_mask")
    labels = _training_labels(emb, train)
    if encoder is not None and emb.visual_frames.shape[-1] != encoder.config.dim:
        raise ParameterError(
            f"the embeddings are {emb.visual_frames.shape[-1]}-dimensional, the encoder makes "
            f"{encoder.config.dim}: it did not make them"
        )
    if mode == "finetune":
        if encoder is None or cache_dir is None:
            raise ParameterError("fine-tuning needs the encoder (MuDaR model) and the cache_dir")
        source = _MediaInputs(emb, copy.deepcopy(encoder), load_analyses(emb, cache_dir, encoder))
    else:
        source = _EmbeddingInputs(emb)
    model = _fit(
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
    )
    info = {
        "epochs": epochs,
        "lr": lr,
        "gamma": gamma,
        "lr_steps": list(LR_STEPS),
        "seed": seed,
        "n_clips": int(train.sum()),
        "n_files": int(len(np.unique(np.asarray(emb.clip_file)[train]))),
    }
    if mode == "finetune":
        info["encoder_lr"] = encoder_lr
        enc_doc = encoder_doc(source.encoder)
    else:
        enc_doc = encoder_doc(encoder) if encoder is not None else None
    return Classifier(model=model, labels=labels, mode=mode, encoder=enc_doc, info=info)


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


def _fit(
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
) -> TwoStreamClassifier:
    """The training loop: Adam, step decay, (balanced) cross-entropy, seeded."""
    from tqdm import tqdm

    dim = emb.visual_frames.shape[-1]
    cfg = dataclasses.replace(config or ClassifierConfig(), n_classes=len(labels), dim=dim)
    index = {lab: i for i, lab in enumerate(labels)}
    y = torch.tensor([index.get(lab, -1) for lab in emb.clip_labels], dtype=torch.int64)
    ids = torch.from_numpy(np.flatnonzero(train))
    counts = torch.bincount(y[ids], minlength=len(labels)).double()
    weight = (len(ids) / (len(labels) * counts)) if balanced else torch.ones(len(labels))
    weight = weight.float()
    milestones = sorted({max(1, round(f * epochs)) for f in LR_STEPS})
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


def _proba(model, source, idx: np.ndarray) -> np.ndarray:
    batch_size = 8 if source.modules() else 64
    model.eval()
    source.set_train(False)
    out = []
    with _head_threads(source), torch.no_grad():
        for batch in torch.from_numpy(np.asarray(idx, np.int64)).split(batch_size):
            out.append(torch.softmax(source.logits(model, batch), dim=-1).numpy())
    c = model.config.n_classes
    return np.concatenate(out).astype(np.float32) if out else np.zeros((0, c), np.float32)


def file_means(clip_proba: np.ndarray, clip_file: np.ndarray, n_files: int) -> np.ndarray:
    """Mean of the clip probabilities of each file.

    Parameters
    ----------
    clip_proba : np.ndarray, shape (N, C)
    clip_file : np.ndarray, int, shape (N,)
        File index of each clip, < ``n_files``.
    n_files : int

    Returns
    -------
    np.ndarray, float32, shape (n_files, C)
        Zeros for a file without clips.
    """
    sums = np.zeros((n_files, clip_proba.shape[1]), np.float64)
    np.add.at(sums, clip_file, clip_proba)
    n = np.bincount(clip_file, minlength=n_files)[:, None]
    return (sums / np.maximum(n, 1)).astype(np.float32)


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
    clip_proba = _proba(clf.model, _EmbeddingInputs(emb), np.arange(len(emb)))
    clip_file = np.asarray(emb.clip_file, np.int64)
    return Predictions(
        labels=list(clf.labels),
        files=list(emb.files),
        clip_file=clip_file,
        clip_proba=clip_proba,
        file_proba=file_means(clip_proba, clip_file, len(emb.files)),
    )


# --- files ------------------------------------------------------------------------------------


def encoder_doc(model) -> dict:
    """A MuDaR model as the dict :func:`mudar.models.checkpoint.save_model` writes."""
    from mudar.models.checkpoint import FORMAT as CHECKPOINT_FORMAT

    return {
        "format": CHECKPOINT_FORMAT,
        "version": 1,
        "config": model.config.to_dict(),
        "state_dict": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        "meta": dict(getattr(model, "meta", None) or {}),
    }


def _encoder_from_doc(doc: dict):
    from mudar.models.config import MudarConfig
    from mudar.models.mudar import MuDaR

    model = MuDaR(MudarConfig.from_dict(doc["config"]))
    try:
        model.load_state_dict(doc["state_dict"])
    except RuntimeError as e:
        first = str(e).splitlines()[0]
        raise ParameterError(f"the classifier's embedding model does not load ({first})") from None
    model.meta = dict(doc.get("meta") or {})
    return model.eval()


def save_classifier(clf: Classifier, path: str | os.PathLike) -> Path:
    """Write a classifier file atomically (a ``torch.save`` dict without pickled code)."""
    from mudar.atomic import atomic_path

    doc = {
        "format": FORMAT,
        "version": 1,
        "mode": clf.mode,
        "config": clf.config.to_dict(),
        "labels": list(clf.labels),
        "state_dict": {k: v.detach().cpu() for k, v in clf.model.state_dict().items()},
        "encoder": clf.encoder,
        "info": dict(clf.info),
    }
    with atomic_path(path) as tmp:
        torch.save(doc, tmp)
    return Path(path)


def load_classifier(path: str | os.PathLike) -> Classifier:
    """Read a file written by :func:`save_classifier` (``weights_only=True``).

    Raises
    ------
    InputError
        Missing or unreadable file.
    ParameterError
        Not a mudar classifier, or weights that do not fit its config.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such classifier file")
    try:
        doc = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for a bad file
        raise InputError(f"{p}: cannot read classifier ({type(e).__name__})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ParameterError(f"{p}: not a mudar classifier (make one with mudar classify train)")
    model = TwoStreamClassifier(ClassifierConfig.from_dict(doc["config"]))
    try:
        model.load_state_dict(doc["state_dict"])
    except RuntimeError as e:
        first = str(e).splitlines()[0]
        raise ParameterError(f"{p}: weights do not fit the stored config ({first})") from None
    return Classifier(
        model=model.eval(),
        labels=list(doc["labels"]),
        mode=doc.get("mode", "frozen"),
        encoder=doc.get("encoder"),
        info=dict(doc.get("info") or {}),
    )


# --- the raw-feature baseline ------------------------------------------------------------------


def analysis_config_for(model_config):
    """The :class:`AnalysisConfig` ``mudar embed`` analyses files with for a MuDaR config."""
    return model_config.analysis_config()


def _cache_entries(emb, cache_dir, config) -> list[Path]:
    from mudar.data.cache import FeatureCache

    cache = FeatureCache(cache_dir)
    entries = []
    for f in emb.files:
        if not Path(f).is_file():
            raise InputError(f"{f}: no such file (needed to find its cached features)")
        entry = cache.entry(f, config)
        if not entry.is_file():
            raise InputError(
                f"{f}: not in the feature cache {cache_dir} "
                "(embed or prepare the files with this --cache first)"
            )
        entries.append(entry)
    return entries


def load_analyses(emb, cache_dir: str | os.PathLike, encoder) -> list:
    """The cached whole-file :class:`Analysis` of every file of ``emb``, on ``encoder``'s clock.

    Raises
    ------
    InputError
        A file missing from the cache (or from disk).
    """
    from mudar.data.cache import FeatureCache

    cache = FeatureCache(cache_dir)
    out = []
    for f, entry in zip(
        emb.files, _cache_entries(emb, cache_dir, analysis_config_for(encoder.config)), strict=True
    ):
        a = cache.load(entry)
        if a is None:
            raise InputError(f"{f}: its cache entry {entry} cannot be read")
        out.append(a)
    return out


def raw_features(emb, *, cache_dir: str | os.PathLike, config, bands: int = 32) -> np.ndarray:
    """:func:`raw_clip_features` of every clip of an EmbeddingSet, from the feature cache.

    Parameters
    ----------
    emb : EmbeddingSet
    cache_dir : path-like
        The feature cache the embeddings were made with.
    config : AnalysisConfig
        The analysis settings of the cache entries (:func:`analysis_config_for` of the model).

    Returns
    -------
    np.ndarray, float32, shape (N, D)

    Raises
    ------
    InputError
        A file that is not in the cache.
    """
    from mudar.data.cache import FeatureCache
    from mudar.data.clips import cut

    cache = FeatureCache(cache_dir)
    entries = _cache_entries(emb, cache_dir, config)
    clip_file = np.asarray(emb.clip_file)
    rows: list[np.ndarray | None] = [None] * len(emb)
    for f, entry in enumerate(entries):
        a = cache.load(entry)
        if a is None:
            raise InputError(f"{emb.files[f]}: its cache entry {entry} cannot be read")
        a.frames = None  # not needed; frees the memory early
        for i in np.flatnonzero(clip_file == f):
            start = round(float(emb.clip_start_s[i]) * a.clock.fps)
            rows[i] = raw_clip_features(cut(a, start, start + int(emb.clip_len[i])), bands=bands)
    return np.stack(rows)


# --- grouped k-fold evaluation -----------------------------------------------------------------


def grouped_folds(file_labels: Sequence[str], *, k: int, seed: int = 0) -> np.ndarray:
    """Deal files to k test folds, stratified by label, one file never split.

    Each label's files are shuffled (seeded) and dealt round-robin, the deal carrying on from
    one label to the next so that folds get about equal numbers of files. A label with a single
    file cannot be both trained and tested: its file gets fold -1 (always trained on).

    Parameters
    ----------
    file_labels : sequence of str, length F
    k : int
        Number of folds, 2 <= k <= the number of files that can be tested.
    seed : int

    Returns
    -------
    np.ndarray, int64, shape (F,)
        The test fold of each file, or -1.

    Raises
    ------
    ParameterError
        ``k`` out of range.
    """
    labels = list(file_labels)
    rng = np.random.default_rng(seed)
    folds = np.full(len(labels), -1, np.int64)
    by_label: dict[str, list[int]] = {}
    for i, lab in enumerate(labels):
        by_label.setdefault(lab, []).append(i)
    testable = sum(len(v) for v in by_label.values() if len(v) >= 2)
    if not 2 <= k <= testable:
        raise ParameterError(
            f"folds must be in 2..{testable} (files of labels with >= 2 files), got {k}"
        )
    at = 0
    for lab in sorted(by_label, key=lambda s: (-len(by_label[s]), s)):
        members = by_label[lab]
        if len(members) < 2:
            continue
        for i in rng.permutation(members):
            folds[i] = at % k
            at += 1
    return folds


@dataclass
class MethodScores:
    """Out-of-fold results of one method.

    Attributes
    ----------
    clip_acc, file_acc : list of float
        Accuracy on each fold's test clips / files.
    clip_pred : np.ndarray, int64, shape (N,)
        Predicted class of each clip when it was tested (-1: never tested).
    file_pred : np.ndarray, int64, shape (F,)
    """

    clip_acc: list[float] = field(default_factory=list)
    file_acc: list[float] = field(default_factory=list)
    clip_pred: np.ndarray | None = None
    file_pred: np.ndarray | None = None


@dataclass
class CVReport:
    """Grouped k-fold results of several methods on one EmbeddingSet.

    Attributes
    ----------
    labels : list of str, length C
    files : list of str, length F
    file_y : np.ndarray, int64, shape (F,)
        True class of each file.
    clip_file : np.ndarray, int64, shape (N,)
    folds : np.ndarray, int64, shape (F,)
        Test fold of each file; -1 for files never tested (a label with one file).
    methods : dict of str to MethodScores
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
        """The results as a Markdown table."""
        rows = [
            "| method | clip acc | file acc | clip bal. acc | file bal. acc |",
            "|---|---|---|---|---|",
        ]
        for name, s in self.summary().items():
            rows.append(
                f"| {name} | {s['clip_acc_mean']:.3f} +- {s['clip_acc_std']:.3f} "
                f"| {s['file_acc_mean']:.3f} +- {s['file_acc_std']:.3f} "
                f"| {s['clip_balanced_acc']:.3f} | {s['file_balanced_acc']:.3f} |"
            )
        return "\n".join(rows)


TWO_STREAM = "two-stream"
NO_RHYTHM = "two-stream, no rhythms"
MAJORITY = "majority class"
RAW = "raw features (logistic)"


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
) -> CVReport:
    """Accuracy of the two-stream classifier and baselines, k folds grouped by file.

    Parameters
    ----------
    emb : EmbeddingSet
        Every file labelled.
    folds : int
        k (see :func:`grouped_folds`; a label with one file is trained on, never tested).
    seed : int
        Seeds the folds and the training.
    raw : np.ndarray, shape (N, D), optional
        Raw clip features (:func:`raw_features`) for the logistic-regression baseline.
    methods : sequence of str, optional
        Among ``TWO_STREAM``, ``NO_RHYTHM``, ``MAJORITY``, ``RAW``; default all (``RAW`` only
        with ``raw``).
    config, epochs, lr, mode, encoder, cache_dir, encoder_lr
        Passed to the training of the two-stream classifiers (:func:`train_classifier`).
    balanced : bool
        Class-weighted cross-entropy for the two-stream classifiers and the logistic
        regression alike.
    progress : bool
        Print a line per fold and method.

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
    known = (TWO_STREAM, NO_RHYTHM, MAJORITY, RAW)
    if methods is None:
        methods = [m for m in known if m != RAW or raw is not None]
    for m in methods:
        if m not in known:
            raise ParameterError(f"unknown method {m!r}; known: {', '.join(known)}")
    if RAW in methods and (raw is None or len(raw) != len(emb)):
        raise ParameterError(f"the {RAW!r} baseline needs raw features of every clip")
    labels = _training_labels(emb, np.ones(len(emb), bool))
    index = {lab: i for i, lab in enumerate(labels)}
    file_y = np.array([index[lab] for lab in emb.labels], np.int64)
    clip_file = np.asarray(emb.clip_file, np.int64)
    clip_y = file_y[clip_file]
    fold_of = grouped_folds(emb.labels, k=folds, seed=seed)
    n, nf, c = len(emb), len(emb.files), len(labels)

    if mode == "finetune":
        if encoder is None or cache_dir is None:
            raise ParameterError("fine-tuning needs the encoder (MuDaR model) and the cache_dir")
        analyses = load_analyses(emb, cache_dir, encoder)
    else:
        frozen = _EmbeddingInputs(emb)
    scores = {m: MethodScores(clip_pred=np.full(n, -1), file_pred=np.full(nf, -1)) for m in methods}
    base_cfg = config or ClassifierConfig()
    for k in range(folds):
        test_files = fold_of == k
        test = test_files[clip_file]
        train = ~test
        train_labels = _training_labels(emb, train)  # every label with >= 2 files is in it
        cols = np.array([index[lab] for lab in train_labels])
        for m in methods:
            proba = np.zeros((int(test.sum()), c), np.float32)
            if m in (TWO_STREAM, NO_RHYTHM):
                cfg = dataclasses.replace(base_cfg, rhythm=(m == TWO_STREAM) and base_cfg.rhythm)
                if mode == "finetune":
                    source = _MediaInputs(emb, copy.deepcopy(encoder), analyses)
                else:
                    source = frozen
                model = _fit(
                    source,
                    emb,
                    train,
                    train_labels,
                    config=cfg,
                    epochs=epochs,
                    lr=lr,
                    gamma=0.1,
                    batch_size=BATCH_SIZE[mode],
                    weight_decay=1e-4,
                    balanced=balanced,
                    seed=seed + k,
                    encoder_lr=encoder_lr,
                    progress=False,
                )
                proba[:, cols] = _proba(model, source, np.flatnonzero(test))
            elif m == MAJORITY:
                proba[:, np.bincount(clip_y[train], minlength=c).argmax()] = 1.0
            else:
                lr_model = fit_logistic(raw[train], clip_y[train], n_classes=c, balanced=balanced)
                proba = lr_model.predict_proba(raw[test])
            s = scores[m]
            s.clip_pred[test] = proba.argmax(1)
            fp = file_means(proba, clip_file[test], nf)[test_files]
            s.file_pred[test_files] = fp.argmax(1)
            s.clip_acc.append(accuracy(clip_y[test], s.clip_pred[test]))
            s.file_acc.append(accuracy(file_y[test_files], s.file_pred[test_files]))
            if progress:
                print(
                    f"fold {k + 1}/{folds} {m}: clip acc {s.clip_acc[-1]:.3f}, "
                    f"file acc {s.file_acc[-1]:.3f}",
                    flush=True,
                )
    return CVReport(
        labels=labels,
        files=list(emb.files),
        file_y=file_y,
        clip_file=clip_file,
        folds=fold_of,
        methods=scores,
    )
