"""MotionBeat's downstream evaluation clips, and what each compared method makes of them.

Non-overlapping clips of prepared dances (:func:`eval_clips`), as the models take them; the music
and motion embeddings MotionBeat gives them (:func:`embed_clips`), MuDaR's audio embedding
(:func:`embed_mudar_audio`), a learning-free summary of their music (:func:`music_summary`), the
beat activation of a whole song (:func:`beat_activation`) and the beat rates of tempo matching
(:func:`clip_tempi`, :func:`tempo_similarity`). The tables that score them are
:mod:`mudar.pipelines.bench.motionbeat`. Pure functions of arrays, prepared dances and loaded
models.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from mudar.data.clips.inputs import audio_input
from mudar.errors import ParameterError
from mudar.features.music import music_features
from mudar.features.summary import band_means


@dataclass
class EvalClips:
    """Non-overlapping clips of prepared dances, as the models take them.

    Attributes
    ----------
    audio : np.ndarray, float32, shape (N, R, T * sub)
        MotionBeat's audio rows (:func:`~mudar.data.clips.inputs.audio_input` of each clip).
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
        On the model's clock (:func:`mudar.data.clips.motionbeat_set.prepare_dance`).
    config : MotionBeatConfig

    Returns
    -------
    EvalClips

    Raises
    ------
    ParameterError
        No dance holds a whole clip.
    """
    t, clock, ac = config.n_frames, config.clock, config.audio_config()
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
        Mono audio at ``model.config.clock.sr``.

    Returns
    -------
    np.ndarray, float32, shape (n,)
        In [0, 1]; frame ``k`` at ``k / fps`` seconds, ``n`` the whole frames of ``y``.

    Raises
    ------
    ParameterError
        Audio shorter than one frame.
    """
    c = model.config
    clock = c.clock
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
