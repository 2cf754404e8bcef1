"""Small media files made on the fly for tests: good, odd and broken inputs.

Each ``make_*`` function writes one file into ``folder`` and returns its path. Pictures carry
content that tells where and when they were taken:

- a *time bar*: a white vertical bar on black whose left edge is at
  ``BAR_X0 + BAR_SPEED * t`` pixels at presentation time ``t``, so the time a decoded frame
  was shown can be read back from the picture (:func:`bar_time`);
- a *corner marker*: a red square in the coded picture's top-left corner, to check which way
  a rotated video is turned for display.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mudar.io.write import write_audio, write_video
from mudar.synthetic.video import SyntheticClip, dance_frames, make_clip, synth_music

BAR_W, BAR_H = 352, 48  # time-bar video size, pixels
BAR_X0 = 16  # bar position at t = 0, px
BAR_SPEED = 100.0  # px/s: 3 s fit in the width
BAR_WIDTH = 6  # px
SR = 22050  # sample rate of every sound track, Hz
MARKER = 48  # side of the corner marker, px
VFR_DURATION_S = 3.0


def bar_frame(t: float) -> np.ndarray:
    """The time-bar picture at ``t`` seconds, uint8 RGB (BAR_H, BAR_W, 3)."""
    img = np.zeros((BAR_H, BAR_W, 3), np.uint8)
    x = BAR_X0 + BAR_SPEED * t
    xi = int(np.floor(x))
    img[:, xi : xi + BAR_WIDTH] = 255
    return img


def bar_time(img: np.ndarray) -> float:
    """The presentation time a time-bar picture shows, seconds (any height; gray or RGB)."""
    g = img.astype(np.float64)
    if g.ndim == 3:
        g = g.mean(-1)
    profile = g.mean(0)
    cols = np.nonzero(profile > 0.5 * profile.max())[0]
    left = cols.min()
    return (left - BAR_X0) / BAR_SPEED


def tone(duration_s: float, *, sr: int = SR, freq: float = 440.0) -> np.ndarray:
    """A quiet sine, float32, shape (round(duration_s * sr),)."""
    t = np.arange(round(duration_s * sr)) / sr
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def make_bar_video(
    folder: Path,
    name: str = "bar.mp4",
    *,
    duration_s: float = 2.0,
    fps: float = 25.0,
    audio: bool = True,
) -> Path:
    """A constant-rate time-bar video, with a tone unless ``audio=False``."""
    n = round(duration_s * fps)
    frames = (bar_frame(k / fps) for k in range(n))
    y = tone(duration_s) if audio else None
    return write_video(folder / name, frames, fps=fps, audio=y, sr=SR if audio else None, crf=18)


def vfr_times(seed: int = 0, duration_s: float = VFR_DURATION_S) -> np.ndarray:
    """Irregular presentation times, seconds: gaps of 15..75 ms, first frame at 0."""
    rng = np.random.default_rng(seed)
    gaps = rng.uniform(0.015, 0.075, int(duration_s / 0.015) + 1)
    t = np.concatenate([[0.0], np.cumsum(gaps)])
    return t[t < duration_s]


def make_vfr_video(folder: Path, name: str = "vfr.mp4", *, seed: int = 0) -> Path:
    """A variable-frame-rate time-bar video (times from :func:`vfr_times`) with a tone."""
    pts = vfr_times(seed)
    frames = (bar_frame(t) for t in pts)
    return write_video(
        folder / name,
        frames,
        fps=30.0,
        pts_s=pts,
        audio=tone(VFR_DURATION_S),
        sr=SR,
        crf=18,
    )


def marker_frame(width: int = 320, height: int = 240) -> np.ndarray:
    """A gray picture with a red square in its top-left corner, uint8 RGB (height, width, 3)."""
    img = np.full((height, width, 3), 90, np.uint8)
    img[:MARKER, :MARKER] = (255, 0, 0)
    return img


def make_rotated_video(
    folder: Path, name: str = "phone.mp4", *, rotation: int = -90, duration_s: float = 1.0
) -> Path:
    """A landscape-coded 320x240 corner-marker video with display rotation metadata.

    ``rotation=-90`` is what a phone held upright writes (FFmpeg reports "rotate=90", a
    display matrix of -90 degrees): players turn the picture 90 degrees clockwise and show it
    portrait, 240 wide and 320 high, with the marker in the top-right corner.
    """
    fps = 25.0
    frames = (marker_frame() for _ in range(round(duration_s * fps)))
    return write_video(
        folder / name, frames, fps=fps, rotation=rotation, audio=tone(duration_s), sr=SR
    )


def make_empty(folder: Path, name: str = "empty.mp4") -> Path:
    """A zero-byte file with a video extension."""
    p = folder / name
    p.write_bytes(b"")
    return p


def make_text_as_mp4(folder: Path, name: str = "notes.mp4") -> Path:
    """A text file named like a video."""
    p = folder / name
    p.write_text("This is not a video.\nJust some notes that happen to end in .mp4\n" * 20)
    return p


def make_truncated(source: Path, dest: Path, *, fraction: float = 0.4) -> Path:
    """The first ``fraction`` of the bytes of ``source``, as ``dest``."""
    data = source.read_bytes()
    dest.write_bytes(data[: int(len(data) * fraction)])
    return dest


def make_truncated_mp4(folder: Path, *, faststart: bool) -> Path:
    """The first 40% of a 2 s video with sound.

    With ``faststart`` the index comes first, so the start of the media survives and may decode;
    without it the index (written last) is lost and nothing can be decoded.
    """
    name = "truncated_faststart.mp4" if faststart else "truncated.mp4"
    full = write_video(
        folder / f"full_{name}",
        (bar_frame(k / 25) for k in range(50)),
        fps=25.0,
        audio=tone(2.0),
        sr=SR,
        faststart=faststart,
    )
    return make_truncated(full, folder / name)


def make_audio_file(folder: Path, name: str, *, duration_s: float = 1.5) -> Path:
    """An audio-only file (format by extension: .wav, .flac, .ogg)."""
    return write_audio(folder / name, tone(duration_s), sr=SR)


def make_short_video(folder: Path, name: str = "short.mp4") -> Path:
    """A 0.5 s time-bar video with sound: 12 frames at 24 fps."""
    return make_bar_video(folder, name, duration_s=0.5, fps=24.0)


def make_dance_clip(folder: Path, *, duration_s: float = 4.0, seed: int = 0) -> SyntheticClip:
    """A synthetic dance clip at 120 BPM with music (see :mod:`mudar.synthetic.video`)."""
    return make_clip(folder, name="dance", tempo_bpm=120.0, duration_s=duration_s, seed=seed)


def make_tempo_change_dance(
    folder: Path,
    name: str = "tempo_change.mp4",
    *,
    tempi: tuple[float, ...] = (100.0, 132.0, 116.0),
    dance_tempi: tuple[float, ...] | None = None,
    section_s: float = 4.0,
    seed: int = 0,
) -> Path:
    """A 160x120 synthetic dance at 25 fps whose music changes tempo every ``section_s``.

    The figure reverses on the music's beats, or with ``dance_tempi`` on the beats of other tempi
    (motion not locked to the music). A tempo change makes the audio delay unambiguous: on one
    steady tempo every delay that is a whole number of beats fits as well.
    """
    music, beats, moves = [], [], []
    for i, tempo in enumerate(tempi):
        y, b = synth_music(tempo_bpm=tempo, duration_s=section_s, sr=SR, seed=seed + i)
        music.append(y)
        beats.append(b + i * section_s)
        if dance_tempi is not None:
            moves.append(0.1 + i * section_s + np.arange(0, section_s - 0.1, 60 / dance_tempi[i]))
    frames = dance_frames(
        motion_beat_times=np.concatenate(moves if dance_tempi is not None else beats),
        duration_s=section_s * len(tempi),
        fps=25.0,
        size=(160, 120),
        seed=seed,
    )
    y = np.concatenate(music)
    return write_video(folder / name, frames, fps=25.0, audio=y, sr=SR, preset="superfast")


COVER_ART_FORMATS = {
    ".mp3": ("mp3", "libmp3lame"),
    ".m4a": ("mp4", "aac"),
    ".flac": ("flac", "flac"),
}


def make_cover_art_song(folder: Path, name: str = "song.mp3", *, duration_s: float = 3.0) -> Path:
    """A song with cover art, as taggers write it: the audio beside a one-picture JPEG stream
    marked ``attached_pic`` (ID3 APIC in .mp3, ``covr`` in .m4a, a PICTURE block in .flac); an .ogg
    (Opus) gets a METADATA_BLOCK_PICTURE comment, which FFmpeg shows as such a stream. The sound
    is a 120 BPM drum pattern, so that it has beats."""
    import io

    import av
    from PIL import Image

    path = folder / name
    sr = 48000
    y, _ = synth_music(tempo_bpm=120.0, duration_s=duration_s, sr=sr)
    buf = io.BytesIO()
    Image.fromarray(np.full((64, 64, 3), (200, 40, 40), np.uint8)).save(buf, format="JPEG")
    jpeg = buf.getvalue()
    fmt, codec = COVER_ART_FORMATS.get(path.suffix, ("ogg", "libopus"))
    with av.open(str(path), "w", format=fmt) as c:
        a = c.add_stream(codec, rate=sr, layout="mono")
        if fmt == "ogg":  # Vorbis comments carry the picture, FFmpeg shows it as a stream
            c.metadata["METADATA_BLOCK_PICTURE"] = _flac_picture_block(jpeg)
        else:
            v = c.add_stream("mjpeg")
            v.width = v.height = 64
            v.pix_fmt = "yuvj420p"
            v.disposition = av.stream.Disposition.attached_pic
            pkt = av.Packet(jpeg)
            pkt.stream, pkt.pts, pkt.dts = v, 0, 0
            c.mux(pkt)
        frame = av.AudioFrame.from_ndarray(y[None, :], format="flt", layout="mono")
        frame.sample_rate = sr
        c.mux(a.encode(frame))
        c.mux(a.encode(None))
    return path


def _flac_picture_block(jpeg: bytes) -> str:
    """A FLAC PICTURE block (front cover, 64x64 JPEG), base64, as a Vorbis comment holds it."""
    import base64
    import struct

    mime = b"image/jpeg"
    block = struct.pack(">II", 3, len(mime)) + mime + struct.pack(">I", 0)
    block += struct.pack(">IIIII", 64, 64, 24, 0, len(jpeg)) + jpeg
    return base64.b64encode(block).decode()
