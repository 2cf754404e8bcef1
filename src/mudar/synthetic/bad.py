"""A catalogue of bad and odd inputs, each made in a folder from a small good synthetic dance.

The robustness tests (``tests/benchmarks/test_robust.py``) and benchmark
(``benchmarks/bench_robust.py``) run every command of mudar on every case and check the promise
of the README: a bad input is one line ``mudar: error: FILE: what`` and exit status 2, an odd
but valid one gives the right result; never a traceback, never a half-written output. Only PyAV
is used (no ffmpeg binary).

Each :class:`BadCase` has a name, a maker (``make(folder) -> path``) and the outcome expected of
each command (:meth:`BadCase.outcome`). Three kinds of case:

- ``"media"``: the path is the input file (or folder, or missing path) itself;
- ``"cache"``: the path is a good video; :func:`corrupt_cache` then spoils the feature cache
  entries that a first run wrote, and a second run must recompute them;
- ``"checkpoint"``: the path is a model (or classifier) file to give instead of the shipped one.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from mudar.io.write import write_video
from mudar.synthetic.video import dance_frames, make_clip, synth_music

COMMANDS = ("rhythm", "embed", "prepare", "index", "sync", "retarget", "bas", "classify", "api")
"""The commands the catalogue states outcomes for (``index``: ``index build``; ``classify``:
``classify predict``; ``api``: the Python functions behind them)."""

SR = 22050  # Hz, the sound tracks
SIZE = (160, 120)  # px, the good dance
GOOD_S = 4.0  # s: half a clip of the shipped model (a short file is padded, not refused)


@dataclass(frozen=True)
class BadCase:
    """One bad or odd input.

    Attributes
    ----------
    name : str
    make : callable
        ``make(folder) -> Path``: writes the input into ``folder`` (made if missing) and returns
        its path; the path of a missing file for ``missing``.
    what : str
        One line for the tables.
    kind : {"media", "cache", "checkpoint"}
    expect : dict
        Command -> ``"result"`` or ``"error: PHRASE"`` (PHRASE appears in the error line);
        ``"*"`` for every command not named; ``"n/a"`` where the case does not apply.
    root_note : str
        Non-empty when running as root defeats the case (it is then skipped with this reason).
    """

    name: str
    make: Callable[[Path], Path]
    what: str
    kind: str = "media"
    expect: dict[str, str] = field(default_factory=dict)
    root_note: str = ""

    def outcome(self, command: str) -> str:
        """``"result"``, ``"error: PHRASE"`` or ``"n/a"`` for ``command``."""
        return self.expect.get(command, self.expect.get("*", "n/a"))

    def phrase(self, command: str) -> str:
        """The phrase the error line of ``command`` must hold ('' for a result)."""
        out = self.outcome(command)
        return out.split(":", 1)[1].strip() if out.startswith("error") else ""

    def skip_reason(self) -> str:
        """Why this case cannot be run here ('' when it can)."""
        if self.root_note and hasattr(os, "geteuid") and os.geteuid() == 0:
            return self.root_note
        return ""


# --- good material --------------------------------------------------------------------------


def make_good(
    folder: str | os.PathLike,
    name: str = "good",
    *,
    duration_s: float = GOOD_S,
    size: tuple[int, int] = SIZE,
    audio: bool = True,
    seed: int = 0,
) -> Path:
    """A good synthetic dance at 120 BPM with music (H.264 + AAC), ``folder/<name>.mp4``;
    nothing else is left in ``folder``."""
    clip = make_clip(
        folder,
        name=name,
        tempo_bpm=120.0,
        duration_s=duration_s,
        size=size,
        audio=audio,
        seed=seed,
        audio_name=f".{name}.wav",
    )
    Path(folder, f".{name}.wav").unlink(missing_ok=True)  # the music alone: not needed
    return clip.path


# --- the makers -----------------------------------------------------------------------------


def make_zero_byte(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / "zero.mp4"
    p.write_bytes(b"")
    return p


def make_text_mp4(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / "notes.mp4"
    p.write_text("This is not a video, just notes that happen to end in .mp4\n" * 20, "utf-8")
    return p


def make_truncated(folder: Path, *, fraction: float = 0.4) -> Path:
    """The first 40% of a plain (not faststart) mp4: its index, written last, is lost."""
    folder.mkdir(parents=True, exist_ok=True)
    frames = dance_frames(
        motion_beat_times=np.arange(0.1, GOOD_S, 0.5), duration_s=GOOD_S, fps=25.0, size=SIZE
    )
    y, _ = synth_music(tempo_bpm=120.0, duration_s=GOOD_S, sr=SR)
    full = write_video(
        folder / ".full.mp4", frames, fps=25.0, audio=y, sr=SR, faststart=False, preset="veryfast"
    )
    data = full.read_bytes()
    p = folder / "truncated.mp4"
    p.write_bytes(data[: int(len(data) * fraction)])
    full.unlink()
    return p


def make_truncated_faststart(folder: Path, *, fraction: float = 0.7) -> Path:
    """The first 70% of a faststart mp4: the index survives, the media data stops short."""
    full = make_good(folder, ".full")
    data = full.read_bytes()
    full.unlink()
    p = folder / "truncated_faststart.mp4"
    p.write_bytes(data[: int(len(data) * fraction)])
    return p


def make_audio_only(folder: Path, *, duration_s: float = GOOD_S) -> Path:
    """An ``.mp4`` that holds only an AAC sound track (the music of the good dance)."""
    import av

    folder.mkdir(parents=True, exist_ok=True)
    y, _ = synth_music(tempo_bpm=120.0, duration_s=duration_s, sr=SR)
    p = folder / "audio_only.mp4"
    with av.open(str(p), mode="w", format="mp4") as c:
        a = c.add_stream("aac", rate=SR, layout="mono")
        _mux_audio(c, a, y.astype(np.float32), 0)
        c.mux(a.encode(None))
    return p


def make_video_only(folder: Path) -> Path:
    """The good dance without a sound track."""
    return make_good(folder, "video_only", audio=False)


def make_vfr(folder: Path, *, duration_s: float = GOOD_S, seed: int = 0) -> Path:
    """A dance at irregular timestamps: gaps of 1 to 4 frames of 50 fps (20 to 80 ms)."""
    folder.mkdir(parents=True, exist_ok=True)
    fps = 50.0
    beats = np.arange(0.1, duration_s, 0.5)
    frames = list(dance_frames(motion_beat_times=beats, duration_s=duration_s, fps=fps, size=SIZE))
    rng = np.random.default_rng(seed)
    keep = np.cumsum(rng.integers(1, 5, len(frames)))
    keep = np.concatenate([[0], keep[keep < len(frames)]])
    y, _ = synth_music(tempo_bpm=120.0, duration_s=duration_s, sr=SR)
    return write_video(
        folder / "vfr.mp4",
        (frames[k] for k in keep),
        fps=fps,
        pts_s=keep / fps,
        audio=y,
        sr=SR,
        preset="veryfast",
    )


def make_rotated(folder: Path) -> Path:
    """The good dance with a display matrix of -90 degrees (a phone held upright)."""
    folder.mkdir(parents=True, exist_ok=True)
    beats = np.arange(0.1, GOOD_S, 0.5)
    frames = dance_frames(motion_beat_times=beats, duration_s=GOOD_S, fps=25.0, size=SIZE)
    y, _ = synth_music(tempo_bpm=120.0, duration_s=GOOD_S, sr=SR)
    return write_video(
        folder / "rotated.mp4",
        frames,
        fps=25.0,
        rotation=-90,
        audio=y,
        sr=SR,
        preset="veryfast",
    )


def make_4k(folder: Path, *, duration_s: float = 2.0, fps: float = 8.0) -> Path:
    """3840x2160: the good dance scaled up by 24 (nearest), ``duration_s`` at ``fps``."""
    folder.mkdir(parents=True, exist_ok=True)
    beats = np.arange(0.1, duration_s, 0.5)
    small = dance_frames(motion_beat_times=beats, duration_s=duration_s, fps=fps, size=(160, 90))
    frames = (np.repeat(np.repeat(f, 24, axis=0), 24, axis=1) for f in small)
    y, _ = synth_music(tempo_bpm=120.0, duration_s=duration_s, sr=SR)
    return write_video(
        folder / "uhd_4k.mp4", frames, fps=fps, audio=y, sr=SR, preset="ultrafast", crf=35
    )


def make_long(folder: Path, *, duration_s: float = 3600.0, fps: float = 5.0) -> Path:
    """A long dance made cheaply: 64x64 at ``fps``, a square bouncing on a 120 BPM click
    track (8 kHz AAC), written frame by frame (memory does not grow with the length)."""
    import av

    folder.mkdir(parents=True, exist_ok=True)
    p = folder / f"long_{round(duration_s)}s.mp4"
    sr = 8000
    n = round(duration_s * fps)
    beat = 0.5  # s
    click = np.zeros(sr // 2, np.float32)  # one beat of audio: a click, then silence
    click[: sr // 50] = 0.5 * np.sin(2 * np.pi * 1000 * np.arange(sr // 50) / sr)
    tb = Fraction(1, 1000)
    with av.open(str(p), mode="w", format="mp4") as c:
        v = c.add_stream("h264", rate=Fraction(fps).limit_denominator(1000))
        v.options = {"preset": "ultrafast", "crf": "35"}
        v.width = v.height = 64
        v.pix_fmt = "yuv420p"
        v.codec_context.time_base = tb
        a = c.add_stream("aac", rate=sr, layout="mono")
        done = 0
        img = np.zeros((64, 64, 3), np.uint8)
        for k in range(n):
            t = k / fps
            phase = (t % beat) / beat
            y0 = int(8 + 40 * abs(1 - 2 * phase))  # bottom at every beat
            img[:] = 30
            img[y0 : y0 + 12, 26:38] = 230
            vf = av.VideoFrame.from_ndarray(img, format="rgb24")
            vf.pts, vf.time_base = round(t * 1000), tb
            c.mux(v.encode(vf))
            upto = round((t + 1 / fps) * sr)
            while done < upto:
                m = min(len(click) - done % len(click), upto - done)
                done = _mux_audio(c, a, click[done % len(click) :][:m], done)
        c.mux(v.encode(None))
        c.mux(a.encode(None))
    return p


def make_non_ascii(folder: Path) -> Path:
    """The good dance at ``tänz ダンス/mein tanz ü.mp4`` (non-ASCII, spaces)."""
    return make_good(folder / "tänz ダンス", "mein tanz ü")


def make_directory(folder: Path) -> Path:
    """A folder named like a video."""
    p = folder / "folder.mp4"
    p.mkdir(parents=True, exist_ok=True)
    return p


def make_missing(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "no_such_video.mp4"


def make_unreadable(folder: Path) -> Path:
    """The good dance with mode 000 (root reads it anyway: see :attr:`BadCase.root_note`)."""
    p = make_good(folder, "unreadable")
    p.chmod(0)
    return p


def make_cache_case(folder: Path) -> Path:
    """A good dance; :func:`corrupt_cache` spoils its cache entry after a first run."""
    return make_good(folder, "cached")


def make_other_version_checkpoint(folder: Path) -> Path:
    """The shipped model as a later mudar would write it: format version 2 (this one reads 1),
    ``model_v2.pt``; beside it the shipped genre classifier likewise, ``genre_v2.cls`` (for
    ``classify predict --model``: :func:`other_version_classifier`)."""
    import torch

    from mudar.models.checkpoint import default_checkpoint_path, default_classifier_path

    folder.mkdir(parents=True, exist_ok=True)
    shipped = {"genre_v2.cls": default_classifier_path(), "model_v2.pt": default_checkpoint_path()}
    for name, src in shipped.items():
        doc = torch.load(src, map_location="cpu", weights_only=True)
        doc["version"] = 2
        torch.save(doc, folder / name)
    return folder / "model_v2.pt"


def other_version_classifier(checkpoint: Path) -> Path:
    """The classifier of version 2 that :func:`make_other_version_checkpoint` wrote."""
    return checkpoint.with_name("genre_v2.cls")


def corrupt_cache(cache_dir: str | os.PathLike) -> list[Path]:
    """Spoil every feature-cache entry under ``cache_dir``: the first half of each ``.npz``
    replaced by garbage and the rest cut off. Returns the entries spoilt."""
    entries = sorted(Path(cache_dir).rglob("*.npz"))
    for e in entries:
        data = e.read_bytes()
        e.write_bytes(b"\x00garbage" * 8 + data[: len(data) // 3])
    return entries


def _mux_audio(c, stream, y: np.ndarray, start: int) -> int:
    import av

    af = av.AudioFrame.from_ndarray(np.ascontiguousarray(y.reshape(1, -1)), format="flt")
    af.sample_rate = stream.rate
    af.pts, af.time_base = start, Fraction(1, stream.rate)
    c.mux(stream.encode(af))
    return start + len(y)


# --- the catalogue ----------------------------------------------------------------------------

_NO_VIDEO = "no video"

CASES: tuple[BadCase, ...] = (
    BadCase("zero-byte", make_zero_byte, "0 bytes named .mp4", expect={"*": "error: empty"}),
    BadCase(
        "text-as-mp4",
        make_text_mp4,
        "a text file renamed .mp4",
        expect={"*": "error: not a media file"},
    ),
    BadCase(
        "truncated",
        make_truncated,
        "first 40% of a plain mp4 (index lost)",
        expect={"*": "error: not a media file"},
    ),
    BadCase(
        "truncated-faststart",
        make_truncated_faststart,
        "first 70% of a faststart mp4 (index kept)",
        expect={"*": "result"},
    ),
    BadCase(
        "audio-only",
        make_audio_only,
        "an .mp4 holding only AAC",
        expect={
            "*": "result",  # a song: music only (the music side of an index)
            "sync": f"error: {_NO_VIDEO}",
            "retarget": f"error: {_NO_VIDEO}",
            "bas": f"error: {_NO_VIDEO}",
            "classify": "error: audio only",  # a dance classifier
        },
    ),
    BadCase(
        "video-only",
        make_video_only,
        "no audio stream",
        expect={"*": "result", "sync": "error: no audio", "bas": "error: no sound"},
    ),
    BadCase("vfr", make_vfr, "variable frame rate (20-80 ms gaps)", expect={"*": "result"}),
    BadCase("rotated", make_rotated, "display matrix -90 (phone)", expect={"*": "result"}),
    BadCase("4k", make_4k, "3840x2160, 2 s at 8 fps", expect={"*": "result"}),
    BadCase(
        "long",
        lambda folder: make_long(folder, duration_s=30.0),
        "64x64 at 5 fps, 30 s (the bench: 1 h)",
        expect={"*": "result"},
    ),
    BadCase("non-ascii", make_non_ascii, "'tänz ダンス/mein tanz ü.mp4'", expect={"*": "result"}),
    BadCase(
        "directory",
        make_directory,
        "a folder named folder.mp4",
        # the commands that take folders search it: it holds no video
        expect={
            "*": "error: is a directory",
            **dict.fromkeys(("prepare", "embed", "index", "classify"), "error: no video files"),
            "bas": "error: without motion.npz",  # bas reads dance folders of keypoints
        },
    ),
    BadCase(
        "missing",
        make_missing,
        "no such path",
        expect={"*": "error: no such file", "prepare": "error: not a directory"},
    ),
    BadCase(
        "unreadable",
        make_unreadable,
        "mode 000",
        expect={"*": "error: permission denied"},
        root_note="running as root: mode 000 does not stop root from reading",
    ),
    BadCase(
        "corrupt-cache",
        make_cache_case,
        "garbage .npz cache entry",
        kind="cache",
        expect={
            "*": "n/a",
            "embed": "result",
            "prepare": "result",
            "index": "result",
            "classify": "result",
            "api": "result",
        },
    ),
    BadCase(
        "checkpoint-v2",
        make_other_version_checkpoint,
        "a checkpoint of format version 2",
        kind="checkpoint",
        expect={"*": "error: version 2", "prepare": "n/a", "sync": "n/a"},
    ),
)
"""Every case, in the order of the tables."""

BY_NAME = {c.name: c for c in CASES}


def make_case(name: str, folder: str | os.PathLike) -> Path:
    """Make the case ``name`` in ``folder``; its path.

    Raises
    ------
    KeyError
        An unknown case.
    """
    return BY_NAME[name].make(Path(folder))
