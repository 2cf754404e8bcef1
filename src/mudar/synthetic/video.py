"""Synthetic dance videos with known beats, for tests and the demo.

The music is :func:`mudar.synthetic.soundtrack.synth_music` (drums at a fixed tempo over a
soft chord bed). The dance is an articulated figure
(torso, head, arms with elbows, legs with knees) over a static textured backdrop that optical
flow can lock on to. Between consecutive *motion beats* the pose moves linearly from key pose A
to key pose B, then back, so the figure's velocity reverses exactly at each motion beat. Motion
beats are the music beats plus a little seeded jitter. An optional camera pan translates the
whole picture slowly at constant velocity, which leaves the ground truth unchanged.

Everything is seeded: the same arguments give the same samples and the same pictures.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from mudar.errors import ParameterError
from mudar.io.write import write_audio, write_video
from mudar.synthetic.soundtrack import synth_music

# pose vector: indices of its parameters (angles in radians, offsets in body heights)
SWAY, BOB, LEAN, L_SH, L_EL, R_SH, R_EL, L_HIP, L_KNEE, R_HIP, R_KNEE = range(11)
_NEUTRAL = np.array([0.0, 0.0, 0.0, 0.25, 0.3, 0.25, 0.3, 0.08, 0.0, 0.08, 0.0])


@dataclass(frozen=True)
class DanceStyle:
    """A synthetic genre: a tempo range, a metre and the two key poses the figure swings between.

    Attributes
    ----------
    name : str
    tempo_range : tuple of float
        Tempi drawn by :func:`make_dataset`, BPM.
    beats_per_bar : int
    pose_a, pose_b : tuple of float, length 11
        Key poses: sway, bob (body heights), lean, left shoulder, left elbow, right shoulder,
        right elbow, left hip, left knee, right hip, right knee (radians from hanging down).
    """

    name: str
    tempo_range: tuple[float, float]
    beats_per_bar: int
    pose_a: tuple[float, ...]
    pose_b: tuple[float, ...]


def _pose(**kw: float) -> tuple[float, ...]:
    names = "sway bob lean l_sh l_el r_sh r_el l_hip l_knee r_hip r_knee".split()
    p = _NEUTRAL.copy()
    for k, v in kw.items():
        p[names.index(k)] = v
    return tuple(float(x) for x in p)


STYLES: dict[str, DanceStyle] = {
    s.name: s
    for s in (
        # side-to-side sway with raised arms, in three
        DanceStyle(
            "waltz",
            (84.0, 100.0),
            3,
            _pose(sway=-0.06, lean=-0.12, l_sh=1.7, l_el=0.4, r_sh=1.2, r_el=0.4),
            _pose(sway=0.06, lean=0.12, l_sh=1.2, l_el=0.4, r_sh=1.7, r_el=0.4),
        ),
        # hips and knees: alternate knee bends with a bounce, small arm pumps
        DanceStyle(
            "chacha",
            (112.0, 128.0),
            4,
            _pose(bob=0.03, l_hip=0.25, l_knee=0.6, r_hip=0.05, l_sh=0.5, l_el=1.3, r_sh=0.9),
            _pose(bob=-0.01, r_hip=0.25, r_knee=0.6, l_hip=0.05, r_sh=0.5, r_el=1.3, l_sh=0.9),
        ),
        # big alternating arm swings with a slight lean
        DanceStyle(
            "rumba",
            (96.0, 108.0),
            4,
            _pose(lean=-0.06, l_sh=2.4, l_el=0.9, r_sh=0.3, r_el=0.2, l_knee=0.2),
            _pose(lean=0.06, l_sh=0.3, l_el=0.2, r_sh=2.4, r_el=0.9, r_knee=0.2),
        ),
        # held arms, sharp leg extensions and leans
        DanceStyle(
            "tango",
            (120.0, 132.0),
            4,
            _pose(lean=-0.18, r_hip=0.8, r_knee=0.0, l_sh=1.4, r_sh=1.4, l_el=1.0, r_el=1.0),
            _pose(lean=0.05, r_hip=0.1, r_knee=0.5, l_knee=0.3, l_sh=1.4, r_sh=1.4, l_el=1.0),
        ),
    )
}
"""The synthetic genres, by name."""

DEFAULT_STYLE = DanceStyle(
    "default",
    (90.0, 150.0),
    4,
    _pose(bob=0.03, l_sh=0.4, r_sh=0.4, l_el=0.4, r_el=0.4, l_knee=0.35, r_knee=0.35),
    _pose(bob=-0.02, l_sh=2.2, r_sh=2.2, l_el=0.6, r_el=0.6),
)
"""Arms up and down with a bounce: the style of clips made without a genre."""


@dataclass(frozen=True)
class SyntheticClip:
    """A synthetic dance video and its ground truth.

    Attributes
    ----------
    path : Path
        The video (H.264, with AAC sound unless made with ``audio=False``).
    audio_path : Path or None
        The same music as a separate audio file, None without audio.
    beat_times : np.ndarray, shape (n_beats,)
        Music beats, seconds.
    motion_beat_times : np.ndarray, shape (n_beats,)
        Times the figure's motion reverses, seconds: ``beat_times`` plus jitter.
    tempo_bpm : float
    duration_s : float
    fps : float
        Frame rate of the file.
    genre : str or None
    n_frames : int
        Frames in the file.
    size : tuple of int
        (width, height) in pixels.
    beats_per_bar : int
    """

    path: Path
    audio_path: Path | None
    beat_times: np.ndarray = field(repr=False)
    motion_beat_times: np.ndarray = field(repr=False)
    tempo_bpm: float
    duration_s: float
    fps: float
    genre: str | None
    n_frames: int = 0
    size: tuple[int, int] = (320, 240)
    beats_per_bar: int = 4


def motion_phase(t: np.ndarray, motion_beat_times: np.ndarray) -> np.ndarray:
    """Position between key pose A (0) and B (1) at times ``t``: a triangle wave.

    The phase is 0 at even motion beats and 1 at odd ones, linear in between, so its slope
    flips sign exactly at every motion beat. Before the first and after the last beat the
    pattern continues with the mean beat period.

    Parameters
    ----------
    t : np.ndarray, shape (n,)
        Times, seconds.
    motion_beat_times : np.ndarray, shape (m,)
        Increasing times, seconds; at least two.

    Returns
    -------
    np.ndarray, float64, shape (n,), values in [0, 1]
    """
    mb = np.asarray(motion_beat_times, dtype=np.float64)
    if len(mb) < 2 or np.any(np.diff(mb) <= 0):
        raise ParameterError("motion_beat_times needs at least two increasing times")
    t = np.asarray(t, dtype=np.float64)
    period = float(np.mean(np.diff(mb)))
    n_before = int(np.ceil(max(0.0, mb[0] - t.min()) / period)) + 1 if t.size else 1
    n_after = int(np.ceil(max(0.0, t.max() - mb[-1]) / period)) + 1 if t.size else 1
    knots = np.concatenate(
        [
            mb[0] - period * np.arange(n_before, 0, -1),
            mb,
            mb[-1] + period * np.arange(1, n_after + 1),
        ]
    )
    values = (np.arange(-n_before, len(mb) + n_after) % 2).astype(np.float64)
    return np.interp(t, knots, values)


def dance_frames(
    *,
    motion_beat_times: np.ndarray,
    duration_s: float,
    fps: float = 25.0,
    size: tuple[int, int] = (320, 240),
    genre: str | None = None,
    camera_pan: bool = False,
    seed: int = 0,
) -> Iterator[np.ndarray]:
    """Render the dancing figure, one frame at a time.

    Parameters
    ----------
    motion_beat_times : np.ndarray, shape (m,), m >= 2
        Times the motion reverses, seconds.
    duration_s : float
        Frames ``k = 0 .. round(duration_s * fps) - 1`` are drawn at ``k / fps`` seconds.
    fps : float
    size : tuple of int
        (width, height), pixels.
    genre : str, optional
        A key of :data:`STYLES`; :data:`DEFAULT_STYLE` when None.
    camera_pan : bool
        Translate the view at a constant slow velocity: 5% of the width per second to the
        right and 1% of the height per second down (the scene drifts left and up).
    seed : int
        Backdrop texture, colours and a small per-clip perturbation of the key poses.

    Yields
    ------
    np.ndarray, uint8, shape (height, width, 3)
        RGB.
    """
    style = _style(genre)
    w, h = size
    if w < 16 or h < 16:
        raise ParameterError(f"size must be at least 16x16 pixels, got {size}")
    rng = np.random.default_rng(seed)
    n = round(duration_s * fps)
    # the view moves right and down over a larger backdrop at a constant velocity, px/s
    pan_v = np.array([0.05 * w, 0.01 * h]) if camera_pan else np.zeros(2)
    margin_x, margin_y = (int(np.ceil(v * duration_s)) + 2 for v in pan_v)
    world = _backdrop(w + margin_x, h + margin_y, rng)
    colour, legs_colour, head_colour = _figure_colours(rng)
    pose_a = np.array(style.pose_a) + rng.normal(0, 0.04, 11)
    pose_b = np.array(style.pose_b) + rng.normal(0, 0.04, 11)
    phase = motion_phase(np.arange(n) / fps, motion_beat_times)
    body = min(0.8 * h / 0.92, 0.95 * w)  # body height, px; raised arms stay in a narrow frame
    # hip centre in the backdrop: feet (0.43 body below the hips) on the floor at 0.9 h
    hip = np.array([w / 2 + margin_x / 2, margin_y / 2 + 0.9 * h - 0.43 * body])
    for k in range(n):
        t = k / fps
        ox, oy = pan_v * t
        img = _crop(world, ox, oy, w, h)
        pose = pose_a + phase[k] * (pose_b - pose_a)
        _draw_figure(
            img,
            pose,
            hip=hip - np.array([ox, oy]),
            body=body,
            colours=(colour, legs_colour, head_colour),
        )
        yield img


def make_clip(
    out_dir: str | os.PathLike,
    *,
    name: str = "clip",
    tempo_bpm: float = 120.0,
    duration_s: float = 8.0,
    fps: float = 25.0,
    size: tuple[int, int] = (320, 240),
    camera_pan: bool = False,
    jitter_s: float = 0.02,
    audio: bool = True,
    seed: int = 0,
    genre: str | None = None,
    sr: int = 22050,
    audio_name: str | None = None,
) -> SyntheticClip:
    """Write a synthetic dance video with music, and return its ground truth.

    Writes ``out_dir/<name>.mp4`` (H.264, AAC sound unless ``audio=False``) and, with audio,
    the music alone as ``out_dir/<audio_name>`` (default ``<name>.wav``).

    Parameters
    ----------
    out_dir : path-like
        Created if missing.
    name : str
        File stem.
    tempo_bpm : float
        Music tempo, BPM.
    duration_s : float
        Seconds; the video has ``round(duration_s * fps)`` frames.
    fps : float
        Frame rate of the file.
    size : tuple of int
        (width, height), pixels, both even.
    camera_pan : bool
        Slow constant camera pan (see :func:`dance_frames`).
    jitter_s : float
        Motion beats are the music beats plus uniform noise in ``[-jitter_s, jitter_s]`` s.
    audio : bool
        Give the video a sound track (and write the separate audio file).
    seed : int
    genre : str, optional
        A key of :data:`STYLES`: the motion style and metre. The tempo stays ``tempo_bpm``.
    sr : int
        Music sample rate, Hz.
    audio_name : str, optional
        File name of the separate audio file (any extension :func:`mudar.io.write.write_audio`
        knows).

    Returns
    -------
    SyntheticClip

    Raises
    ------
    ParameterError
        Bad tempo, duration, size, jitter or genre.
    """
    style = _style(genre)
    if not (tempo_bpm > 0 and duration_s > 0 and fps > 0):
        raise ParameterError(
            f"tempo_bpm, duration_s and fps must be positive, got {tempo_bpm}, {duration_s}, {fps}"
        )
    if not 0 <= jitter_s < 15.0 / tempo_bpm:
        raise ParameterError(f"jitter_s must be in [0, a quarter beat), got {jitter_s}")
    w, h = size
    if w < 16 or h < 16 or w % 2 or h % 2:
        raise ParameterError(f"size must be even and at least 16x16 pixels, got {size}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    y, beats = synth_music(
        tempo_bpm=tempo_bpm,
        duration_s=duration_s,
        sr=sr,
        beats_per_bar=style.beats_per_bar,
        seed=seed,
    )
    if len(beats) < 2:
        raise ParameterError(
            f"duration_s={duration_s} holds fewer than two beats at {tempo_bpm} BPM"
        )
    jitter = np.random.default_rng([seed, 1]).uniform(-jitter_s, jitter_s, len(beats))
    motion = np.maximum(beats + jitter, 0.0)
    frames = dance_frames(
        motion_beat_times=motion,
        duration_s=duration_s,
        fps=fps,
        size=size,
        genre=genre,
        camera_pan=camera_pan,
        seed=seed,
    )
    path = write_video(
        out / f"{name}.mp4",
        frames,
        fps=fps,
        audio=y if audio else None,
        sr=sr if audio else None,
        preset="superfast",
    )
    audio_path = None
    if audio:
        audio_path = write_audio(out / (audio_name or f"{name}.wav"), y, sr=sr)
    return SyntheticClip(
        path=path,
        audio_path=audio_path,
        beat_times=beats,
        motion_beat_times=motion,
        tempo_bpm=float(tempo_bpm),
        duration_s=float(duration_s),
        fps=float(fps),
        genre=genre,
        n_frames=round(duration_s * fps),
        size=(int(size[0]), int(size[1])),
        beats_per_bar=style.beats_per_bar,
    )


DATASET_SIZES = ((320, 240), (256, 192), (240, 320), (320, 180))
"""Frame sizes (width, height) :func:`make_dataset` cycles through, portrait included."""


def make_dataset(
    out_dir: str | os.PathLike,
    *,
    n: int = 6,
    seed: int = 0,
    label_file: str = "meta",
    duration_s: float = 6.0,
    fps: float = 25.0,
    genres: tuple[str, ...] | None = None,
) -> list[SyntheticClip]:
    """Write ``n`` synthetic clips of several genres, with labels.

    Clip ``i`` has genre ``genres[i % len(genres)]``, a tempo drawn from that genre's range,
    and a size from :data:`DATASET_SIZES`; every third clip has a camera pan. Each clip is
    seeded from ``(seed, i)``.

    Notes
    -----
    ``label_file="meta"`` (the dwm layout)::

        out_dir/index.csv                    id,genre,n_frames,duration_s,tempo_bpm
        out_dir/<id>/video.mp4
        out_dir/<id>/audio.ogg
        out_dir/<id>/meta.json               id, genre, fps, n_frames, duration_s, tempo_bpm,
                                             beat_times, motion_beat_times

    ``label_file="csv"``::

        out_dir/labels.csv                   path,label (paths relative to out_dir)
        out_dir/<id>.mp4

    Parameters
    ----------
    out_dir : path-like
        Created if missing.
    n : int
        Number of clips.
    seed : int
    label_file : {"meta", "csv"}
    duration_s, fps : float
        Of every clip.
    genres : tuple of str, optional
        Keys of :data:`STYLES`; all of them by default.

    Returns
    -------
    list of SyntheticClip
        In order; ids are ``<genre>_<i>``.

    Raises
    ------
    ParameterError
    """
    if label_file not in ("meta", "csv"):
        raise ParameterError(f"label_file must be 'meta' or 'csv', got {label_file!r}")
    if n < 1:
        raise ParameterError(f"n must be at least 1, got {n}")
    genres = tuple(genres or STYLES)
    for g in genres:
        _style(g)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    clips = []
    for i in range(n):
        genre = genres[i % len(genres)]
        rng = np.random.default_rng([seed, i])
        lo, hi = STYLES[genre].tempo_range
        tempo = float(np.round(rng.uniform(lo, hi), 1))
        clip_id = f"{genre}_{i}"
        common = dict(
            tempo_bpm=tempo,
            duration_s=duration_s,
            fps=fps,
            size=DATASET_SIZES[i % len(DATASET_SIZES)],
            camera_pan=i % 3 == 2,
            seed=int(rng.integers(2**31)),
            genre=genre,
        )
        if label_file == "meta":
            clip = make_clip(out / clip_id, name="video", audio_name="audio.ogg", **common)
            meta = {
                "id": clip_id,
                "genre": genre,
                "fps": fps,
                "n_frames": clip.n_frames,
                "duration_s": duration_s,
                "tempo_bpm": tempo,
                "beats_per_bar": clip.beats_per_bar,
                "beat_times": [round(float(b), 4) for b in clip.beat_times],
                "motion_beat_times": [round(float(b), 4) for b in clip.motion_beat_times],
                "synthetic": True,
            }
            (out / clip_id / "meta.json").write_text(json.dumps(meta, indent=1), "utf-8")
        else:
            clip = make_clip(out, name=clip_id, audio=True, audio_name=f"{clip_id}.wav", **common)
        clips.append(clip)
    _write_index(out, clips, label_file)
    return clips


def _write_index(out: Path, clips: list[SyntheticClip], label_file: str) -> None:
    if label_file == "meta":
        name, header = "index.csv", ["id", "genre", "n_frames", "duration_s", "tempo_bpm"]
        rows = [
            [c.path.parent.name, c.genre, c.n_frames, f"{c.duration_s:.2f}", c.tempo_bpm]
            for c in clips
        ]
    else:
        name, header = "labels.csv", ["path", "label"]
        rows = [[c.path.relative_to(out).as_posix(), c.genre] for c in clips]
    with (out / name).open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def _style(genre: str | None) -> DanceStyle:
    if genre is None:
        return DEFAULT_STYLE
    if genre not in STYLES:
        raise ParameterError(f"unknown genre {genre!r}, expected one of {sorted(STYLES)}")
    return STYLES[genre]


def _backdrop(w: int, h: int, rng: np.random.Generator) -> np.ndarray:
    """A static textured backdrop, uint8 RGB (h, w, 3): blotches, a faint checker, a floor."""
    base = rng.uniform(60, 150, 3)
    tint = rng.uniform(0.6, 1.0, 3)
    coarse = cv2.resize(
        rng.uniform(-1, 1, (h // 12 + 2, w // 12 + 2)).astype(np.float32),
        (w, h),
        interpolation=cv2.INTER_CUBIC,
    )
    fine = cv2.GaussianBlur(rng.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), 1.2)
    yy, xx = np.mgrid[0:h, 0:w]
    checker = (((xx // 16) + (yy // 16)) % 2).astype(np.float32) - 0.5
    lum = 28 * coarse + 40 * fine + 14 * checker
    lum[int(0.86 * h) :] -= 25  # floor
    img = base[None, None, :] + lum[..., None] * tint[None, None, :]
    return np.clip(img, 0, 255).astype(np.uint8)


def _figure_colours(rng: np.random.Generator) -> tuple[tuple[int, ...], ...]:
    """Bright saturated shirt, darker trousers, a skin-like head; RGB."""
    hue = int(rng.integers(0, 180))
    hsv = np.array([[[hue, 230, 250], [(hue + 90) % 180, 200, 120], [12, 110, 230]]], np.uint8)
    rgb = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0]
    return tuple(tuple(int(c) for c in col) for col in rgb)


def _crop(world: np.ndarray, x0: float, y0: float, w: int, h: int) -> np.ndarray:
    """The ``w`` x ``h`` view of ``world`` at sub-pixel offset (x0, y0), a new array."""
    ix, iy = int(np.floor(x0)), int(np.floor(y0))
    fx, fy = x0 - ix, y0 - iy
    if fx < 1e-3 and fy < 1e-3:
        return world[iy : iy + h, ix : ix + w].copy()
    m = np.float32([[1, 0, -fx], [0, 1, -fy]])
    patch = world[iy : iy + h + 1, ix : ix + w + 1]
    return cv2.warpAffine(patch, m, (w, h), flags=cv2.INTER_LINEAR)


def _draw_figure(
    img: np.ndarray,
    pose: np.ndarray,
    *,
    hip: np.ndarray,
    body: float,
    colours: tuple[tuple[int, ...], ...],
) -> None:
    """Draw the figure in ``img`` in place; lengths are fractions of ``body`` (px)."""
    shirt, trousers, skin = colours

    def down(angle: float) -> np.ndarray:  # unit vector at ``angle`` from hanging down
        return np.array([np.sin(angle), np.cos(angle)])

    hip = hip + body * np.array([pose[SWAY], pose[BOB]])
    up = -down(-pose[LEAN])  # torso axis, hip -> neck
    side = np.array([-up[1], up[0]])  # towards image right
    neck = hip + 0.30 * body * up
    head = neck + 0.11 * body * up
    thick = max(2, round(0.055 * body))

    def seg(a: np.ndarray, b: np.ndarray, colour, width: int) -> None:
        s = 16  # 4 fractional bits
        pa = (round(a[0] * s), round(a[1] * s))
        pb = (round(b[0] * s), round(b[1] * s))
        cv2.line(img, pa, pb, colour, width, cv2.LINE_AA, shift=4)

    for s, sh, el, hp, kn in ((-1, L_SH, L_EL, L_HIP, L_KNEE), (1, R_SH, R_EL, R_HIP, R_KNEE)):
        h0 = hip + s * 0.06 * body * side
        knee = h0 + 0.22 * body * down(s * pose[hp])
        foot = knee + 0.21 * body * down(s * (pose[hp] - pose[kn]))
        seg(h0, knee, trousers, thick + 1)
        seg(knee, foot, trousers, thick)
        sh0 = neck - 0.02 * body * up + s * 0.09 * body * side
        elbow = sh0 + 0.15 * body * down(s * pose[sh])
        hand = elbow + 0.14 * body * down(s * (pose[sh] + pose[el]))
        seg(sh0, elbow, shirt, thick)
        seg(elbow, hand, shirt, max(2, thick - 1))
    centre = (hip + neck) / 2
    angle = float(np.degrees(np.arctan2(up[1], up[0])))
    axes = (round(0.16 * body), round(0.075 * body))
    cv2.ellipse(img, (round(centre[0]), round(centre[1])), axes, angle, 0, 360, shirt, -1)
    seg(neck, head, skin, max(2, thick // 2))
    cv2.circle(img, (round(head[0]), round(head[1])), round(0.07 * body), skin, -1, cv2.LINE_AA)
