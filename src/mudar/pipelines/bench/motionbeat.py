"""MotionBeat's step of the bench: train it on a seed's dances, score its downstream tables
(issue 6, "Downstream") beside baselines, write them as JSON.

Three tables, each ``{"<method>": {"<metric>": float}}`` (what :mod:`mudar.pipelines.bench`
averages over seeds):

- ``motionbeat_beats``, **beat tracking**: the encoder's frame-wise beat activation
  (:attr:`~mudar.models.motionbeat.MusicEmbedding.beat_activation`, 8 fps) turned into beat
  times by peak picking (``motionbeat``) or by librosa's dynamic programming on the activation
  (``motionbeat-dp``), beside ``librosa.beat.beat_track`` on the audio (``librosa``) and the
  beats row that the encoder itself reads as input (``input-beats``: mudar's port of the same
  dynamic programming on the SuperFlux envelope). F-measure (``mir_eval.beat.f_measure``, 70 ms)
  against hand-annotated beats (``F_annotated``: madmom's ``sample.wav``, 4 beats in 2.8 s) and,
  on the held-out dwm songs, against librosa's beats (``F_vs_librosa``): those songs have no
  annotated beats, librosa is only a sanity reference there (its own row would be 1 and is
  left out), and the dancers' steps are not one either.
- ``motionbeat_genre``, **genre** by a linear probe (:func:`mudar.models.logistic.fit_logistic`,
  class-balanced) on clip features, k folds grouped by dance
  (:func:`mudar.eval.classification.grouped_folds`; a genre with one dance is trained on, never
  tested; every row scored by :mod:`mudar.eval.classification`): MotionBeat's pooled music
  embedding, MuDaR's audio embedding (``mudar-audio``), raw summary statistics of the music
  features (``librosa``: mean and std of the log-mel bands, onset envelope, onset rate, tempo,
  mean tempogram, as :mod:`mudar.features.summary`), and the majority genre. The encoders saw
  most of these dances' music in training (no labels); the ``held_out_`` columns score only the
  dances MotionBeat was not trained on (the shipped MuDaR model held out others).
- ``motionbeat_retrieval``: **music -> motion** (``m2d_``) and **motion -> music** (``d2m_``)
  on the held-out dances' clips (non-overlapping), R@1, R@5 and mAP with the clip's own
  partner the one relevant item; ``motionbeat_retrieval_song``: the same with the other clips
  of the query's dance left out of its database (which *song*, rather than which moment of the
  song). Beside ``random`` (the exact expectation of a random ranking) and ``librosa``: tempo
  matching, the octave-folded distance between the music's beat rate (librosa-style beats) and
  the dance's kinematic beat rate, learning-free.

The clips and what each method makes of them are :mod:`mudar.tasks.motionbeat_clips`, the beat
scores :mod:`mudar.eval.beats`, the songs :mod:`mudar.pipelines.songs`. Everything here but
:func:`run_motionbeat_bench` is a pure function of arrays, a loaded model and prepared dances;
that one trains, reads files and writes ``tables.json``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mudar.atomic import write_text
from mudar.data.clips.motionbeat_set import DanceCache, find_dances
from mudar.errors import ParameterError
from mudar.eval.beats import activation_dp_beats, activation_peaks, beat_f_measure, librosa_beats
from mudar.eval.classification import (
    accuracy,
    balanced_accuracy,
    grouped_folds,
    majority_proba,
    out_of_fold,
)
from mudar.eval.retrieval import chance_retrieval, retrieval_scores
from mudar.features.music import music_features
from mudar.methods import BEAT_TRACKERS, CLASSIFY_FLOORS
from mudar.models.checkpoint import load_model, load_motionbeat
from mudar.models.presets import get_preset
from mudar.pipelines.songs import Song, load_songs
from mudar.tasks.classify_cv import logistic_proba
from mudar.tasks.motionbeat_clips import (
    beat_activation,
    clip_tempi,
    embed_clips,
    embed_mudar_audio,
    eval_clips,
    music_summary,
    tempo_similarity,
)
from mudar.threads import torch_threads
from mudar.training.motionbeat import train_motionbeat

RETRIEVAL_METRICS = ("R@1", "R@5", "mAP")
MAJORITY = CLASSIFY_FLOORS[0]
"""The genre probe's floor row."""


# --- beat tracking --------------------------------------------------------------------------


def beat_table(model, songs: Sequence[Song]) -> dict[str, dict[str, float]]:
    """The ``motionbeat_beats`` table (see the module notes).

    Parameters
    ----------
    model : MotionBeat
    songs : sequence of Song
        At ``model.config.clock.sr``; those with ``reference_s`` give ``F_annotated`` (mean
        over them), the others ``F_vs_librosa`` (mean over them).

    Returns
    -------
    dict
        ``{method: {"F_annotated": float, "F_vs_librosa": float}}`` (a metric is missing
        where no song gives it; ``librosa`` has no ``F_vs_librosa``).
    """
    c = model.config
    clock = c.clock
    scores: dict[str, dict[str, list[float]]] = {m: {} for m in BEAT_TRACKERS}
    for song in songs:
        if song.sr != clock.sr:
            raise ParameterError(
                f"{song.name}: audio at {song.sr} Hz, the model's clock is {clock.sr}"
            )
        act = beat_activation(model, song.y)
        est = {
            "motionbeat": activation_peaks(act, fps=c.fps),
            "motionbeat-dp": activation_dp_beats(act, fps=c.fps),
            "input-beats": music_features(np.asarray(song.y, np.float32), clock=clock).beat_times,
            "librosa": librosa_beats(song.y, sr=song.sr),
        }
        if song.reference_s is not None:
            ref, metric = song.reference_s, "F_annotated"
        else:
            ref, metric = est["librosa"], "F_vs_librosa"
        for m, times in est.items():
            if m == "librosa" and metric == "F_vs_librosa":
                continue
            scores[m].setdefault(metric, []).append(beat_f_measure(ref, times))
    return {
        m: {k: float(np.mean(v)) for k, v in cells.items()} for m, cells in scores.items() if cells
    }


# --- genre probe ----------------------------------------------------------------------------


def genre_probe(
    features: dict[str, np.ndarray],
    clip_dance: np.ndarray,
    dance_labels: Sequence[str],
    *,
    folds: int = 4,
    seed: int = 0,
    l2: float = 1e-2,
    held_out: Sequence[bool] | None = None,
) -> dict[str, dict[str, float]]:
    """Out-of-fold genre accuracy of a linear probe on each feature set, folds grouped by dance.

    Parameters
    ----------
    features : dict of str to np.ndarray, each shape (N, D)
        Method -> clip features.
    clip_dance : np.ndarray, int, shape (N,)
        Dance of each clip (index into ``dance_labels``).
    dance_labels : sequence of str
        Genre of each dance.
    folds : int
        k of :func:`mudar.eval.classification.grouped_folds` (a genre with one dance is always
        trained on).
    seed : int
    l2 : float
        Of the logistic probe (:func:`mudar.tasks.classify_cv.logistic_proba`, class-balanced).
    held_out : sequence of bool, optional
        Per dance: held out of the encoder's training. The probe's folds are the same; the
        out-of-fold predictions of these dances alone are scored too (an encoder may have
        learnt its training dances apart, labels or not).

    Returns
    -------
    dict
        Per method and ``majority``: ``clip_acc`` (tested clips), ``dance_acc`` (a dance's
        clips' mean probabilities), ``dance_balanced_acc`` (mean recall over the tested
        genres); with ``held_out``, ``held_out_clip_acc`` and ``held_out_dance_acc`` (the
        held-out dances that are tested).

    Raises
    ------
    ParameterError
        Shapes that do not fit, or a bad number of folds.
    """
    clip_dance = np.asarray(clip_dance, np.int64)
    labels = sorted(set(dance_labels))
    y_dance = np.array([labels.index(g) for g in dance_labels], np.int64)
    y = y_dance[clip_dance]
    c, nd = len(labels), len(dance_labels)
    for name, x in features.items():
        if x.ndim != 2 or len(x) != len(clip_dance):
            raise ParameterError(
                f"{name}: features must be (N={len(clip_dance)}, D), got {x.shape}"
            )
    fold = grouped_folds(list(dance_labels), k=folds, seed=seed)

    def proba(m: str, k: int, train: np.ndarray, test: np.ndarray) -> np.ndarray:
        if m == MAJORITY:
            return majority_proba(y[train], int(test.sum()), n_classes=c)
        return logistic_proba(features[m], y, train, test, n_classes=c, l2=l2, balanced=True)

    scores = out_of_fold(
        [*features, MAJORITY],
        proba,
        fold_of=fold,
        folds=folds,
        clip_file=clip_dance,
        clip_y=y,
        file_y=y_dance,
    )
    tested = fold >= 0
    if held_out is not None:
        held = np.asarray(held_out, bool)
        if held.shape != (nd,):
            raise ParameterError(f"held_out must have one flag per dance ({nd}), got {held.shape}")
        held_d = held & tested
    out = {}
    for m, s in scores.items():
        kc = s.clip_pred >= 0
        out[m] = {
            "clip_acc": accuracy(y[kc], s.clip_pred[kc]),
            "dance_acc": accuracy(y_dance[tested], s.file_pred[tested]),
            "dance_balanced_acc": balanced_accuracy(y_dance[tested], s.file_pred[tested]),
        }
        if held_out is not None and held_d.any():
            hc = held_d[clip_dance]
            out[m]["held_out_clip_acc"] = accuracy(y[hc], s.clip_pred[hc])
            out[m]["held_out_dance_acc"] = accuracy(y_dance[held_d], s.file_pred[held_d])
    return out


# --- retrieval ------------------------------------------------------------------------------


def retrieval_table(
    similarity: dict[str, np.ndarray],
    clip_dance: np.ndarray,
    *,
    song_level: bool = False,
) -> dict[str, dict[str, float]]:
    """Music -> motion and motion -> music retrieval of each clip's partner.

    Parameters
    ----------
    similarity : dict of str to np.ndarray, each shape (N, N)
        Method -> ``s[i, j]``, music clip ``i`` against motion clip ``j``.
    clip_dance : np.ndarray, int, shape (N,)
    song_level : bool
        Leave the other clips of the query's dance out of its database.

    Returns
    -------
    dict
        Per method and ``random``: ``m2d_R@1``, ``m2d_R@5``, ``m2d_mAP``, ``d2m_R@1``,
        ``d2m_R@5``, ``d2m_mAP`` (pessimistic ties, :func:`mudar.eval.retrieval.retrieval_scores`).
    """
    dance = np.asarray(clip_dance)
    n = len(dance)
    relevant = np.eye(n, dtype=bool)
    exclude = (dance[:, None] == dance[None, :]) & ~relevant if song_level else None
    out = {}
    for name, s in similarity.items():
        s = np.asarray(s, np.float64)
        if s.shape != (n, n):
            raise ParameterError(f"{name}: similarity must be ({n}, {n}), got {s.shape}")
        row = {}
        for prefix, mat in (("m2d_", s), ("d2m_", s.T)):
            r = retrieval_scores(mat, relevant, exclude=exclude, precision_ks=())
            row.update({prefix + k: r[k] for k in RETRIEVAL_METRICS})
        out[name] = row
    d = n - (exclude.sum(1) if exclude is not None else np.zeros(n))
    chance = chance_retrieval(d)
    out["random"] = {p + k: chance[k] for p in ("m2d_", "d2m_") for k in RETRIEVAL_METRICS}
    return out


# --- all tables -----------------------------------------------------------------------------


def motionbeat_tables(
    model,
    dances: Sequence,
    *,
    test_dances: Sequence[str],
    songs: Sequence[Song] = (),
    mudar_model=None,
    seed: int = 0,
    folds: int = 4,
) -> dict[str, dict[str, dict[str, float]]]:
    """Every downstream table of a trained MotionBeat (see the module notes).

    Parameters
    ----------
    model : MotionBeat
        In eval mode.
    dances : sequence of DanceFeatures
        Every labelled dance (the genre probe's), on the model's clock.
    test_dances : sequence of str
        Ids of the dances held out of MotionBeat's training: retrieval runs on their clips.
    songs : sequence of Song
        For the beat table (none: no beat table).
    mudar_model : MuDaR, optional
        For the ``mudar-audio`` probe row.
    seed, folds : int
        Of the genre probe's folds.

    Returns
    -------
    dict
        ``{"motionbeat_beats": ..., "motionbeat_genre": ..., "motionbeat_retrieval": ...,
        "motionbeat_retrieval_song": ...}``, each ``{method: {metric: float}}``.

    Raises
    ------
    ParameterError
        A test dance not among ``dances``, or fewer than two test clips.
    """
    ids = [d.id for d in dances]
    missing = sorted(set(test_dances) - set(ids))
    if missing:
        raise ParameterError(f"test dances not among the dances: {missing}")
    c = model.config
    out: dict[str, dict] = {}
    if songs:
        out["motionbeat_beats"] = beat_table(model, songs)

    labelled = [d for d in dances if d.label]
    if len({d.label for d in labelled}) >= 2:
        clips = eval_clips(labelled, c)
        music, _ = embed_clips(model, clips)
        feats = {
            "motionbeat": music,
            "librosa": np.stack([music_summary(m) for m in clips.music]),
        }
        if mudar_model is not None:
            feats["mudar-audio"] = embed_mudar_audio(mudar_model, clips)
        out["motionbeat_genre"] = genre_probe(
            feats,
            clips.dance,
            [d.label for d in labelled],
            folds=folds,
            seed=seed,
            held_out=[d.id in set(test_dances) for d in labelled],
        )

    test = eval_clips([d for d in dances if d.id in set(test_dances)], c)
    if len(test) < 2:
        raise ParameterError("retrieval needs at least two test clips")
    music, motion = embed_clips(model, test)
    sims = {
        "motionbeat": music @ motion.T,
        "librosa": tempo_similarity(*clip_tempi(test, fps=c.fps)),
    }
    out["motionbeat_retrieval"] = retrieval_table(sims, test.dance)
    out["motionbeat_retrieval_song"] = retrieval_table(sims, test.dance, song_level=True)
    return out


# --- the bench's entry point: train, score, write -------------------------------------------


def run_motionbeat_bench(
    data: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    seed: int = 0,
    budget_epochs: int | None = None,
    test_dances: Sequence[str] | None = None,
    preset: str = "cpu",
    music_dir: str | os.PathLike | None = None,
    mudar_checkpoint: str | os.PathLike | None = None,
    use_mudar: bool = True,
    cache_dir: str | os.PathLike | None = None,
    folds: int = 4,
    threads: int | None = None,
    progress: bool = False,
    train_overrides: dict | None = None,
) -> dict[str, dict[str, dict[str, float]]]:
    """Train MotionBeat on the dwm-style dances under ``data`` (one seed), then every table.

    Parameters
    ----------
    data : path-like
        Dance folders (:func:`mudar.data.clips.motionbeat_set.find_dances`).
    out_dir : path-like
        ``run/`` (the training run) and ``tables.json`` go here.
    seed : int
        Of the training (and of the split, when ``test_dances`` is None) and of the probe's
        folds.
    budget_epochs : int, optional
        Epochs; default the preset's.
    test_dances : sequence of str, optional
        Held out of training (retrieval and the dwm beat column run on them); default the
        preset's ``val_fraction`` drawn by ``seed``.
    preset : str
    music_dir : path-like, optional
        A folder with ``sample.wav`` and ``sample.beats`` (madmom's annotated sample) for
        ``F_annotated``; None: no such column.
    mudar_checkpoint : path-like, optional
        MuDaR model of the ``mudar-audio`` probe row; default the shipped one.
    use_mudar : bool
        False: no ``mudar-audio`` row.
    cache_dir : path-like, optional
        Prepared dances, shared between seeds (default ``out_dir/run/cache``).
    folds : int
    threads : int, optional
        Torch threads for the training and the evaluation (restored after); default torch's
        setting (1 is fastest on a busy shared machine, see
        :func:`~mudar.training.motionbeat.train_motionbeat`).
    progress : bool
    train_overrides : dict, optional
        Fields of the preset's training config to replace (e.g. ``{"ecl_anchor": "music",
        "sral_form": "soft_dtw"}``, the summarised losses).

    Returns
    -------
    dict
        :func:`motionbeat_tables`'s tables and ``motionbeat_train``: ``{"motionbeat":
        {"train_s", "eval_s", "epochs", "val_top1", "val_top1_chance", "val_ecl",
        "val_log_candidates", "train_ecl", "train_log_candidates"}}`` (seconds; the last
        epoch's training and validation figures).
    """
    with torch_threads(threads):
        return _run_bench(
            data,
            Path(out_dir),
            seed=seed,
            budget_epochs=budget_epochs,
            test_dances=test_dances,
            preset=preset,
            music_dir=music_dir,
            mudar_checkpoint=mudar_checkpoint,
            use_mudar=use_mudar,
            cache_dir=cache_dir,
            folds=folds,
            progress=progress,
            train_overrides=train_overrides,
        )


def _run_bench(
    data,
    out_dir: Path,
    *,
    seed,
    budget_epochs,
    test_dances,
    preset,
    music_dir,
    mudar_checkpoint,
    use_mudar,
    cache_dir,
    folds,
    progress,
    train_overrides=None,
) -> dict:
    """:func:`run_motionbeat_bench` once the threads are set."""

    run_dir = out_dir / "run"
    resumed = (run_dir / "checkpoints" / "last.ckpt").is_file()  # a rescoring keeps the model
    r = train_motionbeat(
        data,
        run_dir,
        preset=preset,
        epochs=budget_epochs,
        seed=seed,
        progress=progress,
        val_dances=test_dances,
        cache_dir=cache_dir,
        resume=resumed,
        train_overrides=train_overrides,
    )
    t0 = time.perf_counter()
    model = load_motionbeat(r.model_path)
    meta = model.meta
    test_ids = list(meta["val_dances"])
    if not test_ids:
        raise ParameterError("no held-out dance: retrieval needs some (val_fraction > 0)")
    tc = get_preset("motionbeat", preset).train
    cache = DanceCache(run_dir / "cache" if cache_dir is None else cache_dir)
    dirs = {p.name: p for p in find_dances(data)}
    dances = [
        cache.get(dirs[i], config=model.config, train=tc)[0]
        for i in sorted(set(meta["train_dances"]) | set(test_ids))
    ]
    annotated = []
    if music_dir is not None:
        md = Path(music_dir)
        annotated = [(md / "sample.wav", md / "sample.beats")]
    songs = load_songs(
        sr=model.config.clock.sr,
        dance_dirs=[dirs[i] for i in test_ids],
        annotated=annotated,
    )
    mudar_model = load_model(mudar_checkpoint) if use_mudar else None
    tables = motionbeat_tables(
        model,
        dances,
        test_dances=test_ids,
        songs=songs,
        mudar_model=mudar_model,
        seed=seed,
        folds=folds,
    )
    last = r.history[-1] if r.history else {}
    # a run resumed with nothing left to train took no training time now: the time it took
    # when it was trained is kept beside it
    seconds_file = run_dir / "train_seconds.json"
    train_s = float(r.seconds)
    if resumed and seconds_file.is_file():
        train_s = float(json.loads(seconds_file.read_text())["train_s"])
    else:
        write_text(seconds_file, json.dumps({"train_s": train_s}))
    tables["motionbeat_train"] = {
        "motionbeat": {
            "train_s": train_s,
            "eval_s": time.perf_counter() - t0,
            "epochs": float(r.epochs),
            **{
                k.replace("/", "_"): float(last[k])
                for k in (
                    "val/top1",
                    "val/top1_chance",
                    "val/ecl",
                    "val/log_candidates",
                    "train/ecl",
                    "train/log_candidates",
                )
                if k in last
            },
        }
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    write_text(out_dir / "tables.json", json.dumps(tables, indent=1))
    return tables
