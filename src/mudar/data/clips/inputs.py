"""What the models read: numpy features of a clip turned into model inputs.

The audio input stacks a clip's music features on the fine frame grid (:func:`audio_input`,
rows: log-mel, onset envelope, beats, tempogram); the motion input is its HOOF and log flow
speed (:func:`motion_input`); the frames are RGB in ``[0, 1]`` at the model's frame size
(:func:`frames_input`, :func:`resize_frames`). :func:`model_inputs` gives all three as tensors,
padded to the model's clip length: the one path from an analysis to a model's inputs, taken by
the training sets (:mod:`mudar.data.clips.clipset`, :mod:`mudar.data.clips.motionbeat_set`) and
the tasks that run a model (:func:`batch_inputs` stacks it over clips). Whether an analysis fits
a model is checked once per analysis by the caller (:meth:`MudarConfig.check_analysis
<mudar.models.config.MudarConfig.check_analysis>`), not per clip.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from mudar.errors import ParameterError
from mudar.features.analysis import Analysis
from mudar.features.music import MusicFeatures
from mudar.models.config import MudarConfig

__all__ = [
    "audio_input",
    "batch_inputs",
    "frames_input",
    "model_inputs",
    "motion_input",
    "pad_to",
    "pool_rows",
    "resize_frames",
]


# --- the audio input -------------------------------------------------------------------------


def pool_rows(x: np.ndarray, n: int) -> np.ndarray:
    """Average ``x``'s rows into ``n`` rows of equal extent (area interpolation over rows).

    With ``m`` rows and ``n`` dividing ``m`` this is the mean of groups of ``m / n`` rows; else
    each output row averages the rows it overlaps, weighted by the overlap.

    Parameters
    ----------
    x : np.ndarray, shape (m, k)
    n : int
        Rows wanted, ``>= 1``.

    Returns
    -------
    np.ndarray, float32, shape (n, k)

    Raises
    ------
    ParameterError
        If ``x`` is not 2-D with at least one row, or ``n < 1``.
    """
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2 or x.shape[0] == 0 or n < 1:
        raise ParameterError(f"need x of shape (m >= 1, k) and n >= 1, got {x.shape}, {n}")
    m = x.shape[0]
    if m == n:
        return x
    if m % n == 0:
        return x.reshape(n, m // n, -1).mean(1)
    edges = np.arange(n + 1) * (m / n)
    lo, hi = edges[:-1, None], edges[1:, None]
    rows = np.arange(m)[None, :]
    w = np.clip(np.minimum(hi, rows + 1) - np.maximum(lo, rows), 0, None)
    w /= w.sum(1, keepdims=True)
    return (w.astype(np.float32) @ x).astype(np.float32)


def audio_input(music: MusicFeatures, *, config: MudarConfig) -> np.ndarray:
    """The audio encoder's input for one clip: its music features stacked on the fine grid.

    Rows, top to bottom (``R = config.audio_rows``):

    1. log-mel, ``config.n_mels`` rows (bands pooled with :func:`pool_rows` if the features
       have another number), standardised over the clip (zero mean, unit standard deviation
       over all bands and frames; a silent clip gives zeros);
    2. the SuperFlux onset envelope divided by its maximum over the clip, in ``[0, 1]``;
    3. the beats: each video frame's 0/1 beat value repeated over its ``sub`` fine frames;
    4. the tempogram pooled from its lags to ``config.tempogram_rows`` rows (means over groups
       of lags), each frame's column repeated over its ``sub`` fine frames.

    Parameters
    ----------
    music : MusicFeatures
        Features of a clip of ``T`` video frames (``mel`` has ``T * config.sub`` columns).
    config : MudarConfig

    Returns
    -------
    np.ndarray, float32, shape (R, T * sub)

    Raises
    ------
    ParameterError
        If the features are not on ``config``'s clock (``T * sub`` fine frames).
    """
    t, sub = music.n_frames, config.sub
    width = t * sub
    if music.mel.shape[1] != width or music.onset_envelope.shape != (width,):
        raise ParameterError(
            f"music features have {music.mel.shape[1]} fine frames for {t} video frames; "
            f"the model expects sub={sub} (prepare the features with the model's clock)"
        )
    mel = pool_rows(music.mel, config.n_mels)
    mean, std = float(mel.mean()), float(mel.std())
    mel = (mel - mean) / std if std > 1e-6 else np.zeros_like(mel)
    env = music.onset_envelope.astype(np.float32)
    top = float(env.max(initial=0.0))
    env = env / top if top > 0 else np.zeros_like(env)
    beats = np.repeat(music.beats.astype(np.float32), sub)
    tg = np.repeat(pool_rows(music.tempogram, config.tempogram_rows), sub, axis=1)
    out = np.concatenate([mel, env[None], beats[None], tg], axis=0).astype(np.float32)
    assert out.shape == (config.audio_rows, width), out.shape
    return out


def motion_input(analysis: Analysis, *, energy: int = 0) -> np.ndarray:
    """The motion input: normalised HOOF, the log mean flow speed, and the motion energy.

    Parameters
    ----------
    analysis : Analysis
        With dance features, of ``T`` frames.
    energy : int
        Samples per frame of the motion energy to append (a model's ``motion_energy``; 0:
        none). The analysis must have been made with as many (``energy_steps``).

    Returns
    -------
    np.ndarray, float32, shape (T, B + 1 + energy)
        HOOF (each row sums to 1, or 0 where nothing moves),
        ``log1p(magnitude / size**2)``, the log of one plus the mean flow speed in pixels per
        frame at the analysis size, and ``log1p(e / mean(e))`` of the energy samples ``e``
        (the mean over the clip: a figure's size and contrast scale the energy, and a stop is
        a dip against the clip's own motion).

    Raises
    ------
    ParameterError
        If the energy is asked for and the features lack it or have another number of samples.
    """
    d = analysis.dance
    size = analysis.config.size
    speed = np.log1p(d.magnitude.astype(np.float32) / float(size * size))
    parts = [d.hoof.astype(np.float32), speed[:, None]]
    if energy:
        e = d.energy
        if e is None or e.shape[1] != energy:
            got = "none" if e is None else f"{e.shape[1]} samples a frame"
            raise ParameterError(
                f"{analysis.path}: the model reads {energy} motion-energy samples a frame, the "
                f"features have {got}; prepare them again for this model"
            )
        e = e.astype(np.float32)
        parts.append(np.log1p(e / (float(e.mean()) + 1e-6)))
    return np.concatenate(parts, axis=1)


def frames_input(frames: np.ndarray) -> torch.Tensor:
    """uint8 (T, S, S, 3) RGB -> float32 (T, 3, S, S) in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float() / 255.0


def pad_to(x, length: int, mode: str = "zeros"):
    """Pad the first axis of a tensor to ``length`` (zeros, or repeating the last entry with
    ``mode="edge"``); a clip shorter than the model's length fills it this way."""
    if x.shape[0] >= length:
        return x
    fill = (
        x[-1:].expand(length - x.shape[0], *x.shape[1:])
        if mode == "edge"
        else torch.zeros(length - x.shape[0], *x.shape[1:], dtype=x.dtype)
    )
    return torch.cat([x, fill])


def model_inputs(
    clip: Analysis, config: MudarConfig, *, video: bool = True, audio: bool = True
) -> tuple[torch.Tensor | None, torch.Tensor | None, torch.Tensor | None]:
    """The model's inputs for one clip of at most ``config.n_frames`` frames, padded to it.

    Parameters
    ----------
    clip : Analysis
        A clip (:func:`mudar.data.clips.windows.cut`) of an analysis that fits ``config``
        (:meth:`~mudar.models.config.MudarConfig.check_analysis`). With ``video`` False only its
        ``music`` is read (a MotionBeat dance's will do); a longer one is not cut.
    config : MudarConfig
    video, audio : bool
        Make the picture inputs (frames, motion) and the audio input.

    Returns
    -------
    frames : torch.Tensor, float32, shape (T, 3, S, S), or None
        RGB resized to ``config.frame_size``; a short clip repeats its last frame.
    motion : torch.Tensor, float32, shape (T, config.motion_dim), or None
        :func:`motion_input`, zero-padded.
    audio : torch.Tensor, float32, shape (R, T * sub), or None
        :func:`audio_input`, zero-padded.
        ``None`` where ``video`` / ``audio`` is False.
    """
    t = config.n_frames
    frames = motion = music = None
    if video:
        frames = pad_to(frames_input(resize_frames(clip.frames, config.frame_size)), t, "edge")
        motion = pad_to(torch.from_numpy(motion_input(clip, energy=config.motion_energy)), t)
    if audio:
        music = pad_to(torch.from_numpy(audio_input(clip.music, config=config)).T, t * config.sub).T
    return frames, motion, music


def batch_inputs(
    clips: Sequence[Analysis], config: MudarConfig, *, video: bool = True, audio: bool = True
) -> tuple[torch.Tensor | None, torch.Tensor | None, torch.Tensor | None]:
    """:func:`model_inputs` of several clips, stacked: (B, ...) tensors, or None per side."""
    parts = [model_inputs(c, config, video=video, audio=audio) for c in clips]
    return tuple(
        torch.stack([p[k] for p in parts]) if parts and parts[0][k] is not None else None
        for k in range(3)
    )


def resize_frames(frames: np.ndarray, side: int) -> np.ndarray:
    """uint8 (T, H, W, 3) frames resized to (T, side, side, 3) (area when shrinking, bilinear
    when growing); frames already of that size are returned as they are."""
    import cv2

    if frames.shape[1:3] == (side, side):
        return frames
    interp = cv2.INTER_AREA if side < frames.shape[1] else cv2.INTER_LINEAR
    return np.stack([cv2.resize(f, (side, side), interpolation=interp) for f in frames])
