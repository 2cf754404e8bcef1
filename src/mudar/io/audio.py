"""The audio track of a media file: mono at the model's sample rate, or as it is for rewriting."""

from __future__ import annotations

import os

import av
import numpy as np

from mudar.clock import DEFAULT_SR
from mudar.errors import DecodeError, ParameterError
from mudar.io.buffer import RowBuffer
from mudar.io.media import container_start, open_media, stream_time


def load_audio(path: str | os.PathLike, *, sr: int = DEFAULT_SR) -> np.ndarray | None:
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
    out = _decode(path, sr=sr, keep_channels=False)
    return None if out is None else out[0][:, 0]


def load_audio_track(
    path: str | os.PathLike, *, sr: int | None = None
) -> tuple[np.ndarray, int] | None:
    """Decode the first audio stream of ``path`` keeping its channels, to rewrite it.

    Mono stays mono; two or more channels become stereo (FFmpeg's downmix beyond two). Samples
    are placed on the file's clock as by :func:`load_audio`.

    Parameters
    ----------
    path : path-like
        Any file FFmpeg decodes.
    sr : int, optional
        Output sample rate, Hz; default the stream's own.

    Returns
    -------
    (y, sr) or None
        ``y``: np.ndarray, float32, shape (n_samples, 1 or 2); ``sr``: its rate, Hz. None when
        the file has no audio stream.

    Raises
    ------
    InputError, DecodeError
    ParameterError
        If ``sr`` is not positive.
    """
    if sr is not None and sr <= 0:
        raise ParameterError(f"sr must be positive, got {sr}")
    return _decode(path, sr=sr, keep_channels=True)


def _decode(
    path: str | os.PathLike, *, sr: int | None, keep_channels: bool
) -> tuple[np.ndarray, int] | None:
    """The first audio stream, float32 (n_samples, n_channels), and its rate (``sr`` or own)."""
    with open_media(path) as c:
        if not c.streams.audio:
            return None
        stream = c.streams.audio[0]
        n_channels = min(2, stream.codec_context.channels or 1) if keep_channels else 1
        layout = "mono" if n_channels == 1 else "stereo"
        sr = int(sr or stream.codec_context.sample_rate or 0)
        if sr <= 0:
            raise DecodeError(f"{path}: audio stream has no sample rate")
        t0 = container_start(c)
        declared = stream_time(stream, stream.duration)  # mp4/mov know it; mkv may not
        resampler = av.AudioResampler(format="flt", layout=layout, rate=sr)
        expected = declared or (c.duration or 0) / 1e6
        buf = RowBuffer(max(round((expected + 1.0) * sr) * n_channels, 1 << 16))
        start: float | None = None
        try:
            for frame in c.decode(stream):
                if start is None and frame.time is not None:
                    start = float(frame.time) - t0
                for out in resampler.resample(frame):
                    buf.extend(out.to_ndarray().reshape(-1))
        except av.error.InvalidDataError:
            if not buf.n:
                raise
            # a file cut short (a download stopped, a copy interrupted): its last packet is
            # cut in half; keep the sound before it, as the video decoder keeps its frames
        for out in resampler.resample(None):
            buf.extend(out.to_ndarray().reshape(-1))
        if not buf.n:
            raise DecodeError(f"{path}: audio stream holds no decodable samples")
    # packed float: channels interleaved
    y = buf.view().reshape(-1, n_channels)
    offset = round((start or 0.0) * sr)
    if offset > 0:
        y = np.concatenate([np.zeros((offset, n_channels), np.float32), y])
    elif offset < 0:
        y = y[-offset:]
    if declared:
        # the codec's end padding (AAC: up to 1024 samples) is not part of the track
        y = y[: max(0, round(((start or 0.0) + declared) * sr))]
    return y, sr
