"""Songs for MotionBeat's beat table, read from files: decoded at the model's rate, with their
annotated beats where a beat file is given."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mudar.errors import InputError
from mudar.io.audio import load_audio


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


def load_songs(
    *,
    sr: int,
    dance_dirs: Sequence[str | os.PathLike] = (),
    annotated: Sequence[tuple[str | os.PathLike, str | os.PathLike]] = (),
) -> list[Song]:
    """Songs for :func:`mudar.pipelines.bench.motionbeat.beat_table`: dwm dances' ``audio.ogg`` (no
    reference) and annotated audio files with their beat files (first column of a text file,
    seconds; ``#`` comments).

    Raises
    ------
    InputError
        A missing or soundless file.
    """
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
