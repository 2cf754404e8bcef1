"""The audio track of a media file, mono, at the model's sample rate."""

from __future__ import annotations

import os

import av
import numpy as np

from mudar.errors import DecodeError, ParameterError
from mudar.io.media import container_start, open_media, stream_time


def load_audio(path: str | os.PathLike, *, sr: int = 16000) -> np.ndarray | None:
    """Decode the first audio stream of ``path`` to mono float32 at ``sr`` Hz.

    Resampling is FFmpeg's (libswresample). Samples are placed on the file's clock: if the audio
    starts after t=0 it is preceded by silence; anything before t=0 is dropped.

    Parameters
    ----------
    path : path-like
        Any file FFmpeg decodes: a video with sound or an audio file (wav, mp3, ogg, flac, ...).
    sr : int
        Output sample rate, Hz.

    Returns
    -------
    np.ndarray, float32, shape (n_samples,), or None
        None when the file has no audio stream (not an error: music features are then absent).

    Raises
    ------
    InputError, DecodeError
    """
    if sr <= 0:
        raise ParameterError(f"sr must be positive, got {sr}")
    with open_media(path) as c:
        if not c.streams.audio:
            return None
        stream = c.streams.audio[0]
        t0 = container_start(c)
        declared = stream_time(stream, stream.duration)  # mp4/mov know it; mkv may not
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sr)
        chunks: list[np.ndarray] = []
        start: float | None = None
        for frame in c.decode(stream):
            if start is None and frame.time is not None:
                start = float(frame.time) - t0
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1))
        if not chunks:
            raise DecodeError(f"{path}: audio stream holds no decodable samples")
    y = np.concatenate(chunks).astype(np.float32, copy=False)
    offset = round((start or 0.0) * sr)
    if offset > 0:
        y = np.concatenate([np.zeros(offset, np.float32), y])
    elif offset < 0:
        y = y[-offset:]
    if declared:
        # the codec's end padding (AAC: up to 1024 samples) is not part of the track
        y = y[: max(0, round(((start or 0.0) + declared) * sr))]
    return y
