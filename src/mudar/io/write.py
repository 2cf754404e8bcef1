"""Writing videos and audio files, atomically.

Videos are encoded with PyAV (H.264 by default, AAC sound) and streamed: frames are encoded as
they arrive, never held. Every writer goes through a temporary file in the destination folder
that is renamed over the destination only once it is complete, so a reader never sees a
half-written file and a failure leaves nothing behind.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import soundfile as sf

from mudar.atomic import atomic_path
from mudar.errors import InputError, ParameterError

CONTAINERS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska"}
"""Video file extensions and the FFmpeg muxer each one gets."""

VIDEO_CODECS = {
    # name: (FFmpeg encoder, pixel format)
    "h264": ("libx264", "yuv420p"),
    "mjpeg": ("mjpeg", "yuvj420p"),
    "vp9": ("libvpx-vp9", "yuv420p"),
}
"""Video codecs :func:`write_video` can write."""

AUDIO_FORMATS = {".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG", ".mp3": "MP3"}
"""Audio file extensions and the libsndfile major format each one gets."""

AAC_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000)
"""Sample rates, Hz, the AAC encoder accepts."""

TICKS = 90000
"""Encoder time base, ticks per second: fine enough for any variable-frame-rate timestamps."""

_AUDIO_LEAD_S = 0.5  # audio is encoded this far ahead of the video, so the muxer buffers little


def write_video(
    path: str | os.PathLike,
    frames: Iterable[np.ndarray],
    *,
    fps: float,
    audio: np.ndarray | None = None,
    sr: int | None = None,
    pts_s: Iterable[float] | None = None,
    rotation: int = 0,
    crf: int = 23,
    codec: str = "h264",
    preset: str = "medium",
    faststart: bool = True,
) -> Path:
    """Encode RGB frames (and optionally a sound track) into a video file.

    The container follows the extension of ``path``: ``.mp4``/``.m4v``, ``.mov`` or ``.mkv``.
    Frames are encoded as the iterable yields them (streaming); the file appears at ``path``
    only when complete (written to a temporary file beside it, then renamed).

    Parameters
    ----------
    path : path-like
        Destination; its folder must exist. An existing file is replaced.
    frames : iterable of np.ndarray, uint8, shape (H, W, 3)
        RGB pictures, all of one size; ``H`` and ``W`` must be even (4:2:0 chroma).
    fps : float
        Frame rate, frames per second. Frame ``k`` is shown at ``k / fps`` seconds unless
        ``pts_s`` is given.
    audio : np.ndarray, float, shape (n_samples,) or (n_samples, n_channels), optional
        Sound track in [-1, 1], mono or stereo, encoded as AAC (a time 0 aligned with frame 0).
    sr : int, optional
        Sample rate of ``audio``, Hz; required with ``audio``, one of :data:`AAC_RATES`.
    pts_s : iterable of float, optional
        Presentation time of each frame, seconds, strictly increasing, one per frame: a
        variable-frame-rate file. ``fps`` is then only the nominal rate and the duration
        given to the last frame.
    rotation : {0, 90, 180, -90, 270}
        Display rotation written into the container's display matrix, degrees
        counter-clockwise (the convention of :attr:`mudar.io.MediaInfo.rotation` and PyAV's
        ``VideoFrame.rotation``). A phone held upright writes its landscape sensor picture
        with ``rotation=-90`` (players turn it 90 degrees clockwise; FFmpeg's ``rotate=90``).
    crf : int
        Constant rate factor, lower is better quality (H.264: 0..51, VP9: 0..63). Ignored for
        MJPEG, which gets a fixed generous bit rate.
    codec : {"h264", "mjpeg", "vp9"}
    preset : str
        x264 speed preset (``"ultrafast"`` .. ``"veryslow"``); ignored by the other codecs.
    faststart : bool
        mp4/mov: put the index (``moov``) before the media data, so that browsers can play the
        file while it downloads. Ignored for mkv.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    InputError
        The destination folder is missing, or ``path`` is a directory.
    ParameterError
        Unknown extension or codec, bad frame shape or dtype, odd or changing frame size, no
        frames, timestamps not increasing or too few, audio without a supported ``sr``.
    """
    dest = _check_dest(path)
    fmt = CONTAINERS.get(dest.suffix.lower())
    if fmt is None:
        raise ParameterError(
            f"{dest}: unknown video extension {dest.suffix!r}, expected one of {sorted(CONTAINERS)}"
        )
    if codec not in VIDEO_CODECS:
        raise ParameterError(f"codec must be one of {sorted(VIDEO_CODECS)}, got {codec!r}")
    if (fmt, codec) == ("mov", "vp9"):
        raise ParameterError(f"{dest}: the mov container cannot hold vp9; use .mp4 or .mkv")
    if not fps > 0:
        raise ParameterError(f"fps must be positive, got {fps}")
    if rotation not in (0, 90, 180, -90, 270, -180):
        raise ParameterError(f"rotation must be a multiple of 90 degrees, got {rotation}")
    if not 0 <= crf <= 63:
        raise ParameterError(f"crf must be in 0..63, got {crf}")
    samples = None
    if audio is not None:
        samples = _check_audio(audio, sr)
        if sr not in AAC_RATES:
            raise ParameterError(f"sr={sr} Hz cannot be encoded as AAC; use one of {AAC_RATES}")

    with atomic_path(dest) as tmp:
        _encode(
            tmp,
            fmt=fmt,
            frames=frames,
            fps=fps,
            samples=samples,
            sr=sr,
            pts_s=pts_s,
            rotation=rotation,
            crf=crf,
            codec=codec,
            preset=preset,
            faststart=faststart,
        )
    return dest


AUDIO_BLOCK = 1 << 16
"""Samples handed to libsndfile per call."""


def write_audio(
    path: str | os.PathLike, y: np.ndarray, *, sr: int, subtype: str | None = None
) -> Path:
    """Write samples to an audio file with libsndfile, atomically.

    Parameters
    ----------
    path : path-like
        Destination; the extension picks the format: ``.wav``, ``.flac``, ``.ogg`` (Vorbis),
        ``.mp3``.
    y : np.ndarray, float, shape (n_samples,) or (n_samples, n_channels)
        Samples in [-1, 1]; integer formats clip values outside.
    sr : int
        Sample rate, Hz.
    subtype : str, optional
        libsndfile subtype (``"PCM_16"``, ``"FLOAT"``, ...); the format's default if omitted.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    InputError
        The destination folder is missing, or ``path`` is a directory.
    ParameterError
        Unknown extension, bad ``sr`` or sample array.
    """
    dest = _check_dest(path)
    major = AUDIO_FORMATS.get(dest.suffix.lower())
    if major is None:
        raise ParameterError(
            f"{dest}: unknown audio extension {dest.suffix!r}, expected one of "
            f"{sorted(AUDIO_FORMATS)}"
        )
    y = _check_audio(y, sr)
    if subtype not in ("FLOAT", "DOUBLE"):
        y = np.clip(y, -1.0, 1.0)
    y = y.reshape(len(y), -1)
    with atomic_path(dest) as tmp:
        # in blocks: libsndfile 1.2's Vorbis encoder segfaults on a long signal in one call
        # (a 112 s song does it; 60 s does not)
        with sf.SoundFile(str(tmp), "w", int(sr), y.shape[1], format=major, subtype=subtype) as f:
            for i in range(0, len(y), AUDIO_BLOCK):
                f.write(y[i : i + AUDIO_BLOCK])
    return dest


def _encode(
    tmp: Path,
    *,
    fmt: str,
    frames: Iterable[np.ndarray],
    fps: float,
    samples: np.ndarray | None,
    sr: int | None,
    pts_s: Iterable[float] | None,
    rotation: int,
    crf: int,
    codec: str,
    preset: str,
    faststart: bool,
) -> None:
    """Encode into ``tmp``; the stream is set up from the first frame's size."""
    encoder, pix_fmt = VIDEO_CODECS[codec]
    rate = Fraction(fps).limit_denominator(100_000)
    tb = Fraction(1, TICKS)
    times = _frame_ticks(pts_s, fps)
    it = iter(frames)
    first = next(it, None)
    if first is None:
        raise ParameterError("no frames to write")
    h, w = _check_frame(first, None, 0)
    if h % 2 or w % 2:
        raise ParameterError(f"frame size {w}x{h} must be even in both dimensions (4:2:0)")

    options = {"movflags": "+faststart"} if faststart and fmt in ("mp4", "mov") else {}
    with av.open(str(tmp), mode="w", format=fmt, options=options) as c:
        v = c.add_stream(encoder, rate=rate, options=_codec_options(codec, crf, preset))
        v.width, v.height, v.pix_fmt = w, h, pix_fmt
        v.codec_context.time_base = tb
        if codec == "mjpeg":
            v.codec_context.bit_rate = int(w * h * float(fps) * 2)
        if rotation % 360:
            v.set_display_rotation(rotation)
        a = None
        if samples is not None:
            layout = "mono" if samples.shape[1] == 1 else "stereo"
            # the fast coder is twice as quick as the default and plenty for analysis
            a = c.add_stream("aac", rate=sr, layout=layout, options={"aac_coder": "fast"})
        done = 0  # audio samples encoded so far
        last = -1
        k = 0
        frame = first
        while frame is not None:
            if k:
                _check_frame(frame, (h, w), k)
            t = next(times, None)
            if t is None:
                raise ParameterError(f"pts_s holds fewer timestamps than frames ({k})")
            if t <= last:
                raise ParameterError(
                    f"timestamps must increase: frame {k} at {t / TICKS:.6f} s does not follow "
                    f"{last / TICKS:.6f} s (after rounding to 1/{TICKS} s)"
                )
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
            vf.pts, vf.time_base = t, tb
            c.mux(v.encode(vf))
            last = t
            if a is not None:
                upto = min(len(samples), round((t / TICKS + _AUDIO_LEAD_S) * sr))
                done = _encode_audio(c, a, samples, done, upto, sr)
            frame = next(it, None)
            k += 1
        c.mux(v.encode(None))
        if a is not None:
            _encode_audio(c, a, samples, done, len(samples), sr)
            c.mux(a.encode(None))


def _encode_audio(c, stream, samples: np.ndarray, start: int, stop: int, sr: int) -> int:
    """Encode ``samples[start:stop]``; return the new count of encoded samples."""
    if stop <= start:
        return start
    # packed float: shape (1, n_samples * n_channels), channels interleaved
    chunk = np.ascontiguousarray(samples[start:stop]).reshape(1, -1)
    layout = "mono" if samples.shape[1] == 1 else "stereo"
    af = av.AudioFrame.from_ndarray(chunk, format="flt", layout=layout)
    af.sample_rate = sr
    af.pts, af.time_base = start, Fraction(1, sr)
    c.mux(stream.encode(af))
    return stop


def _codec_options(codec: str, crf: int, preset: str) -> dict[str, str]:
    if codec == "h264":
        return {"crf": str(crf), "preset": preset}
    if codec == "vp9":
        # constant quality needs a zero target bit rate; realtime keeps it quick
        return {"crf": str(crf), "b": "0", "deadline": "realtime", "cpu-used": "8"}
    return {}


def _frame_ticks(pts_s: Iterable[float] | None, fps: float) -> Iterator[int]:
    """Presentation times in encoder ticks, one per frame."""
    if pts_s is None:
        k = 0
        while True:
            yield round(k * TICKS / fps)
            k += 1
    for t in pts_s:
        t = float(t)
        if not np.isfinite(t) or t < 0:
            raise ParameterError(f"timestamps must be finite and >= 0, got {t}")
        yield round(t * TICKS)


def _check_frame(frame: np.ndarray, shape: tuple[int, int] | None, k: int) -> tuple[int, int]:
    """(height, width) of one frame, checked against the first frame's."""
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8:
        raise ParameterError(
            f"frame {k}: expected a uint8 numpy array, got {getattr(frame, 'dtype', type(frame))}"
        )
    if frame.ndim != 3 or frame.shape[2] != 3:
        raise ParameterError(f"frame {k}: expected shape (H, W, 3), got {frame.shape}")
    if shape is not None and frame.shape[:2] != shape:
        raise ParameterError(f"frame {k}: size {frame.shape[:2]} differs from frame 0's {shape}")
    return frame.shape[0], frame.shape[1]


def _check_audio(y: np.ndarray, sr: int | None) -> np.ndarray:
    """Samples as float32, shape (n_samples, n_channels) with 1 or 2 channels."""
    if sr is None or int(sr) != sr or sr <= 0:
        raise ParameterError(f"sr must be a positive integer number of Hz, got {sr}")
    y = np.asarray(y)
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2 or y.shape[1] not in (1, 2) or y.shape[0] == 0:
        raise ParameterError(
            f"audio must have shape (n_samples,) or (n_samples, 1 or 2), got {y.shape}"
        )
    if not np.issubdtype(y.dtype, np.floating):
        raise ParameterError(f"audio must be floating point in [-1, 1], got {y.dtype}")
    if not np.all(np.isfinite(y)):
        raise ParameterError("audio holds NaN or infinite samples")
    return y.astype(np.float32, copy=False)


def _check_dest(path: str | os.PathLike) -> Path:
    dest = Path(path)
    if dest.is_dir():
        raise InputError(f"{dest}: is a directory, expected a file name")
    if not dest.parent.is_dir():
        raise InputError(f"{dest.parent}: no such directory")
    return dest
