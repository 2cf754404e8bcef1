"""Downstream evaluation of MotionBeat's music encoder (issue 6, "Downstream"), beside baselines.

Three tables, each ``{"<method>": {"<metric>": float}}`` (what :mod:`mudar.bench` averages over
seeds):

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
  tested): MotionBeat's pooled music embedding, MuDaR's audio embedding (``mudar-audio``), raw
  summary statistics of the music features (``librosa``: mean and std of the log-mel bands,
  onset envelope, onset rate, tempo, mean tempogram, as :mod:`mudar.features.summary`), and the
  majority genre. The encoders saw most of these dances' music in training (no labels); the
  ``held_out_`` columns score only the dances MotionBeat was not trained on (the shipped MuDaR
  model held out others).
- ``motionbeat_retrieval``: **music -> motion** (``m2d_``) and **motion -> music** (``d2m_``)
  on the held-out dances' clips (non-overlapping), R@1, R@5 and mAP with the clip's own
  partner the one relevant item; ``motionbeat_retrieval_song``: the same with the other clips
  of the query's dance left out of its database (which *song*, rather than which moment of the
  song). Beside ``random`` (the exact expectation of a random ranking) and ``librosa``: tempo
  matching, the octave-folded distance between the music's beat rate (librosa-style beats) and
  the dance's kinematic beat rate, learning-free.

Everything here but :func:`load_songs` and :func:`run_motionbeat_bench` is a pure function of
arrays, a loaded model and prepared dances; those two read files.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from mudar.errors import InputError, ParameterError
from mudar.methods import BEAT_TRACKERS
from mudar.threads import torch_threads

BEAT_WINDOW_S = 0.07
"""Tolerance of the beat F-measure, seconds (mir_eval's default)."""

MIN_BEAT_SEPARATION_S = 0.3
"""Peak picking keeps at most one beat per this many seconds (200 BPM)."""

RETRIEVAL_METRICS = ("R@1", "R@5", "mAP")


# --- inputs ---------------------------------------------------------------------------------


@dataclass
class Song:
    """Audio for the beat table.

    Attributes
    ----------
    name : str
    y : np.ndarray, float32, shape (n_samples,)
        Mono, at ``sr``.
    sr : int
        The model's clock rate (``FrameClock.sr``, 16 kHz).
    reference_s : np.ndarray or None
        Hand-annotated beats, seconds; None: score against librosa's beats instead.
    """

    name: str
    y: np.ndarray
    sr: int
    reference_s: np.ndarray | None = None


@dataclass
class EvalClips:
    """Non-overlapping clips of prepared dances, as the models take them.

    Attributes
    ----------
    audio : np.ndarray, float32, shape (N, R, T * sub)
        MotionBeat's audio rows (:func:`~mudar.data.clipset.audio_input` of each clip).
    joints : np.ndarray, float32, shape (N, T, J, 3)
    contact : np.ndarray, float32, shape (N, T)
    dance : np.ndarray, int64, shape (N,)
        Index into ``dance_ids``.
    start : np.ndarray, int64, shape (N,)
        First frame.
    music : list of MusicFeatures
        Of each clip (for the other models and the raw features).
    kinematic_beats : np.ndarray, float32, shape (N, T)
    dance_ids : list of str
    labels : list of str or None
        Genre of each dance.
    """

    audio: np.ndarray
    joints: np.ndarray
    contact: np.ndarray
    dance: np.ndarray
    start: np.ndarray
    music: list
    kinematic_beats: np.ndarray
    dance_ids: list[str]
    labels: list

    def __len__(self) -> int:
        return len(self.dance)


def eval_clips(dances: Sequence, config) -> EvalClips:
    """Consecutive, non-overlapping clips of ``config.clip_s`` seconds of each dance (the tail
    shorter than a clip is dropped; a dance shorter than a clip gives none).

    Parameters
    ----------
    dances : sequence of DanceFeatures
        On the model's clock (:func:`mudar.data.motionbeat_set.prepare_dance`).
    config : MotionBeatConfig

    Returns
    -------
    EvalClips

    Raises
    ------
    ParameterError
        No dance holds a whole clip.
    """
    from mudar.data.clipset import audio_input

    t, clock, ac = config.n_frames, config.clock(), config.audio_config()
    audio, joints, contact, dance, start, music, kin = [], [], [], [], [], [], []
    for k, d in enumerate(dances):
        for s in range(0, d.n_frames - t + 1, t):
            m = d.music.slice(s, s + t, clock=clock)
            audio.append(audio_input(m, config=ac))
            joints.append(d.joints[s : s + t])
            contact.append(d.contact[s : s + t])
            kin.append(d.kinematic_beats[s : s + t])
            music.append(m)
            dance.append(k)
            start.append(s)
    if not dance:
        raise ParameterError(f"no dance holds a whole clip of {config.clip_s:g} s")
    return EvalClips(
        audio=np.stack(audio).astype(np.float32),
        joints=np.stack(joints).astype(np.float32),
        contact=np.stack(contact).astype(np.float32),
        dance=np.asarray(dance, np.int64),
        start=np.asarray(start, np.int64),
        music=music,
        kinematic_beats=np.stack(kin).astype(np.float32),
        dance_ids=[d.id for d in dances],
        labels=[d.label for d in dances],
    )


@torch.no_grad()
def embed_clips(model, clips: EvalClips, *, batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """MotionBeat's clip embeddings of the music and of the motion.

    Returns
    -------
    music, motion : np.ndarray, float32, shape (N, E)
        L2-normalised.
    """
    model.eval()
    music, motion = [], []
    for i in range(0, len(clips), batch_size):
        sl = slice(i, i + batch_size)
        music.append(model.embed_music(torch.from_numpy(clips.audio[sl])).emb.numpy())
        _, v = model.embed_motion(
            torch.from_numpy(clips.joints[sl]), torch.from_numpy(clips.contact[sl])
        )
        motion.append(v.numpy())
    return np.concatenate(music), np.concatenate(motion)


@torch.no_grad()
def embed_mudar_audio(mudar_model, clips: EvalClips, *, batch_size: int = 64) -> np.ndarray:
    """MuDaR's audio clip embeddings (``model.embed(audio=...)``) of the clips' music.

    Raises
    ------
    ParameterError
        The MuDaR model runs on another frame clock than the clips.
    """
    from mudar.data.clipset import audio_input

    c = mudar_model.config
    m0 = clips.music[0]
    if m0.mel.shape[1] != m0.n_frames * c.sub:
        raise ParameterError(f"the MuDaR model's clock (sub={c.sub}) is not the clips'")
    mudar_model.eval()
    out = []
    for i in range(0, len(clips), batch_size):
        rows = np.stack([audio_input(m, config=c) for m in clips.music[i : i + batch_size]])
        out.append(mudar_model.embed(audio=torch.from_numpy(rows)).audio_emb.numpy())
    return np.concatenate(out)


def music_summary(music, *, bands: int = 32) -> np.ndarray:
    """Learning-free summary of a clip's music (the music half of
    :func:`mudar.features.summary.raw_clip_features`).

    Parameters
    ----------
    music : MusicFeatures
        Of one clip, ``n_frames >= 1``.
    bands : int
        Mel bands and tempogram lags kept.

    Returns
    -------
    np.ndarray, float32, shape (3 * bands + 4,)
        Log-mel band means and standard deviations over time (dB), onset envelope mean and
        std, onsets per frame, tempo / 100 BPM, mean tempogram per pooled lag.
    """
    from mudar.features.summary import band_means

    if music.n_frames < 1:
        raise ParameterError("the clip has no frames")
    mel = band_means(music.mel, bands)
    env = np.asarray(music.onset_envelope, np.float32)
    return np.concatenate(
        [
            mel.mean(1),
            mel.std(1),
            [env.mean(), env.std(), float(np.mean(music.onsets)), music.tempo_bpm / 100.0],
            band_means(music.tempogram, bands).mean(1),
        ]
    ).astype(np.float32)


# --- beat tracking --------------------------------------------------------------------------


@torch.no_grad()
def beat_activation(model, y: np.ndarray, *, batch_size: int = 16) -> np.ndarray:
    """MotionBeat's beat activation of a whole song, one value per video frame.

    The song is cut into windows of the model's clip length every half clip (a song shorter
    than a clip is one window), each window goes through the music encoder as a training clip
    would (its own features' normalisation and bar phase), and overlapping activations are
    averaged.

    Parameters
    ----------
    model : MotionBeat
    y : np.ndarray, shape (n_samples,)
        Mono audio at ``model.config.clock().sr``.

    Returns
    -------
    np.ndarray, float32, shape (n,)
        In [0, 1]; frame ``k`` at ``k / fps`` seconds, ``n`` the whole frames of ``y``.

    Raises
    ------
    ParameterError
        Audio shorter than one frame.
    """
    from mudar.data.clipset import audio_input
    from mudar.features.music import music_features

    c = model.config
    clock = c.clock()
    music = music_features(np.asarray(y, np.float32), clock=clock)
    n = music.n_frames
    if n < 1:
        raise ParameterError("the audio is shorter than one frame")
    t = min(c.n_frames, n)
    hop = max(1, t // 2)
    starts = list(range(0, n - t + 1, hop))
    if starts[-1] + t < n:
        starts.append(n - t)
    ac = c.audio_config()
    rows = np.stack([audio_input(music.slice(s, s + t, clock=clock), config=ac) for s in starts])
    model.eval()
    acts = np.concatenate(
        [
            model.embed_music(torch.from_numpy(rows[i : i + batch_size])).beat_activation.numpy()
            for i in range(0, len(rows), batch_size)
        ]
    )
    total = np.zeros(n, np.float64)
    count = np.zeros(n, np.float64)
    for s, a in zip(starts, acts, strict=True):
        total[s : s + t] += a
        count[s : s + t] += 1
    return (total / count).astype(np.float32)


def activation_peaks(
    activation: np.ndarray,
    *,
    fps: float,
    min_separation_s: float = MIN_BEAT_SEPARATION_S,
) -> np.ndarray:
    """Beat times from a frame-wise activation by peak picking.

    A frame is a beat when its activation is the largest within ``min_separation_s`` either
    side (the earliest of equal values wins) and above the activation's mean.

    Parameters
    ----------
    activation : np.ndarray, shape (n,)
    fps : float
        Frames per second; frame ``k`` is at ``k / fps`` seconds.
    min_separation_s : float

    Returns
    -------
    np.ndarray, float64, shape (b,)
        Beat times, seconds, increasing.

    Raises
    ------
    ParameterError
        Not 1-D finite, or a non-positive rate or separation.
    """
    a = np.asarray(activation, np.float64)
    if a.ndim != 1 or not np.isfinite(a).all():
        raise ParameterError("activation must be a 1-D array of finite numbers")
    if not (fps > 0 and min_separation_s > 0):
        raise ParameterError(
            f"need fps > 0 and min_separation_s > 0, got {fps}, {min_separation_s}"
        )
    if len(a) == 0:
        return np.zeros(0)
    w = max(1, int(round(min_separation_s * fps)))
    padded = np.pad(a, w, constant_values=-np.inf)
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * w + 1)
    left = windows[:, :w].max(1)  # strictly larger before: not the first of equal values
    right = windows[:, w + 1 :].max(1)
    peak = (a > left) & (a >= right) & (a > a.mean())
    return np.flatnonzero(peak) / fps


def activation_dp_beats(activation: np.ndarray, *, fps: float) -> np.ndarray:
    """Beat times from a frame-wise activation by librosa's dynamic programming
    (``librosa.beat.beat_track(onset_envelope=activation)``, its own tempo estimate).

    Parameters
    ----------
    activation : np.ndarray, shape (n,)
    fps : float
        A whole number of frames per second (librosa takes an integer rate).

    Returns
    -------
    np.ndarray, float64, shape (b,)
        Seconds.
    """
    import librosa

    a = np.asarray(activation, np.float64)
    if a.ndim != 1 or not np.isfinite(a).all():
        raise ParameterError("activation must be a 1-D array of finite numbers")
    if abs(fps - round(fps)) > 1e-9 or fps < 1:
        raise ParameterError(f"fps must be a whole number of frames per second, got {fps}")
    if len(a) < 2 or not np.any(a > 0):
        return np.zeros(0)
    _, beats = librosa.beat.beat_track(
        onset_envelope=a, sr=int(round(fps)), hop_length=1, units="time"
    )
    return np.asarray(beats, np.float64)


def librosa_beats(y: np.ndarray, *, sr: int) -> np.ndarray:
    """``librosa.beat.beat_track`` on the audio (its defaults), seconds."""
    import librosa

    _, beats = librosa.beat.beat_track(y=np.asarray(y, np.float32), sr=sr, units="time")
    return np.asarray(beats, np.float64)


def beat_f_measure(reference_s, estimated_s, *, window_s: float = BEAT_WINDOW_S) -> float:
    """``mir_eval.beat.f_measure`` of beat times, untrimmed (the annotated sample is shorter
    than the 5 s ``mir_eval.beat.trim_beats`` would cut); 0 when either is empty."""
    import warnings

    import mir_eval

    ref = np.sort(np.asarray(reference_s, np.float64))
    est = np.sort(np.asarray(estimated_s, np.float64))
    if len(ref) == 0 or len(est) == 0:
        return 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(mir_eval.beat.f_measure(ref, est, f_measure_threshold=window_s))


def beat_table(model, songs: Sequence[Song]) -> dict[str, dict[str, float]]:
    """The ``motionbeat_beats`` table (see the module notes).

    Parameters
    ----------
    model : MotionBeat
    songs : sequence of Song
        At ``model.config.clock().sr``; those with ``reference_s`` give ``F_annotated`` (mean
        over them), the others ``F_vs_librosa`` (mean over them).

    Returns
    -------
    dict
        ``{method: {"F_annotated": float, "F_vs_librosa": float}}`` (a metric is missing
        where no song gives it; ``librosa`` has no ``F_vs_librosa``).
    """
    from mudar.features.music import music_features

    c = model.config
    clock = c.clock()
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
        Of :func:`~mudar.models.logistic.fit_logistic` (class-balanced).
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
    from mudar.eval.classification import grouped_folds
    from mudar.models.logistic import fit_logistic

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
    methods = [*features, "majority"]
    clip_pred = {m: np.full(len(y), -1) for m in methods}
    dance_pred = {m: np.full(nd, -1) for m in methods}
    for k in range(folds):
        test_d = fold == k
        test = test_d[clip_dance]
        train = ~test
        for m in methods:
            if m == "majority":
                proba = np.zeros((int(test.sum()), c))
                proba[:, np.bincount(y[train], minlength=c).argmax()] = 1.0
            else:
                x = features[m]
                proba = fit_logistic(x[train], y[train], n_classes=c, l2=l2, balanced=True)
                proba = proba.predict_proba(x[test])
            clip_pred[m][test] = proba.argmax(1)
            for d in np.flatnonzero(test_d):
                dance_pred[m][d] = proba[clip_dance[test] == d].mean(0).argmax()
    tested = fold >= 0
    if held_out is not None:
        held = np.asarray(held_out, bool)
        if held.shape != (nd,):
            raise ParameterError(f"held_out must have one flag per dance ({nd}), got {held.shape}")
        held_d = held & tested
    out = {}
    for m in methods:
        kc = clip_pred[m] >= 0
        out[m] = {
            "clip_acc": float(np.mean(clip_pred[m][kc] == y[kc])),
            "dance_acc": float(np.mean(dance_pred[m][tested] == y_dance[tested])),
            "dance_balanced_acc": _balanced(y_dance[tested], dance_pred[m][tested]),
        }
        if held_out is not None and held_d.any():
            hc = held_d[clip_dance]
            out[m]["held_out_clip_acc"] = float(np.mean(clip_pred[m][hc] == y[hc]))
            out[m]["held_out_dance_acc"] = float(np.mean(dance_pred[m][held_d] == y_dance[held_d]))
    return out


def _balanced(y: np.ndarray, pred: np.ndarray) -> float:
    return float(np.mean([np.mean(pred[y == g] == g) for g in np.unique(y)]))


# --- retrieval ------------------------------------------------------------------------------


def clip_tempi(clips: EvalClips, *, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """Beat rates of each clip's music (its beats) and motion (its kinematic beats), per second;
    a clip with fewer than two beats takes its song's tempo (music) or 0 (motion)."""
    music = np.zeros(len(clips))
    motion = np.zeros(len(clips))
    for i, m in enumerate(clips.music):
        b = np.asarray(m.beat_times)
        music[i] = (len(b) - 1) / (b[-1] - b[0]) if len(b) >= 2 else m.tempo_bpm / 60.0
        k = np.flatnonzero(clips.kinematic_beats[i])
        motion[i] = (len(k) - 1) * fps / (k[-1] - k[0]) if len(k) >= 2 else 0.0
    return music, motion


def tempo_similarity(music_rate: np.ndarray, motion_rate: np.ndarray) -> np.ndarray:
    """Minus the octave-folded distance of beat rates: ``s[i, j]`` for music ``i`` and motion
    ``j`` is ``-min(f, 1 - f)`` with ``f`` the fractional part of ``|log2(r_i / q_j)|`` (a
    dancer stepping on every other beat matches); unknown rates (0) score -1."""
    a = np.asarray(music_rate, np.float64)[:, None]
    b = np.asarray(motion_rate, np.float64)[None, :]
    ok = (a > 0) & (b > 0)
    d = np.abs(np.log2(np.where(ok, a, 1.0) / np.where(ok, b, 1.0)))
    f = d - np.floor(d)
    return np.where(ok, -np.minimum(f, 1 - f), -1.0)


def chance_retrieval(n_candidates: np.ndarray, *, ks: Sequence[int] = (1, 5)) -> dict[str, float]:
    """Expected R@K and mAP of a random ranking with one relevant item among ``D_q`` each:
    ``R@K = min(K, D) / D`` and ``AP = E[1 / rank] = H_D / D``."""
    d = np.asarray(n_candidates, np.float64)
    out = {f"R@{k}": float(np.mean(np.minimum(k, d) / d)) for k in ks}
    harmonic = np.array([np.sum(1.0 / np.arange(1, int(n) + 1)) for n in d])
    out["mAP"] = float(np.mean(harmonic / d))
    return out


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
    from mudar.eval.retrieval import retrieval_scores

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


# --- files: the bench's entry point ---------------------------------------------------------


def load_songs(
    *,
    sr: int,
    dance_dirs: Sequence[str | os.PathLike] = (),
    annotated: Sequence[tuple[str | os.PathLike, str | os.PathLike]] = (),
) -> list[Song]:
    """Songs for :func:`beat_table`: dwm dances' ``audio.ogg`` (no reference) and annotated
    audio files with their beat files (first column of a text file, seconds; ``#`` comments).

    Raises
    ------
    InputError
        A missing or soundless file.
    """
    from mudar.io.audio import load_audio

    songs = []
    for d in dance_dirs:
        d = Path(d)
        y = load_audio(d / "audio.ogg", sr=sr)
        if y is None:
            raise InputError(f"{d}: no audio")
        songs.append(Song(d.name, y, sr))
    for audio, beats in annotated:
        y = load_audio(audio, sr=sr)
        if y is None:
            raise InputError(f"{audio}: no audio")
        ref = np.atleast_2d(np.loadtxt(beats, comments="#", ndmin=2))[:, 0]
        songs.append(Song(Path(audio).stem, y, sr, np.asarray(ref, np.float64)))
    return songs


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
) -> dict[str, dict[str, dict[str, float]]]:
    """Train MotionBeat on the dwm-style dances under ``data`` (one seed), then every table.

    Parameters
    ----------
    data : path-like
        Dance folders (:func:`mudar.data.motionbeat_set.find_dances`).
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
) -> dict:
    """:func:`run_motionbeat_bench` once the threads are set."""
    import time

    from mudar.atomic import write_text
    from mudar.data.motionbeat_set import DanceCache, find_dances
    from mudar.models.checkpoint import load_model
    from mudar.models.motionbeat import get_preset
    from mudar.models.motionbeat_checkpoint import load_motionbeat
    from mudar.training.motionbeat import train_motionbeat

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
    )
    t0 = time.perf_counter()
    model = load_motionbeat(r.model_path)
    meta = model.meta
    test_ids = list(meta["val_dances"])
    if not test_ids:
        raise ParameterError("no held-out dance: retrieval needs some (val_fraction > 0)")
    tc = get_preset(preset).train
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
        sr=model.config.clock().sr,
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
