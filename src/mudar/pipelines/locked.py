"""Writing the beat-locked dance set: one dance, or a folder of them, with their videos.

The warp itself is planned by :mod:`mudar.synthetic.locked` (numbers in, numbers out); here the
music is decoded and analysed (:func:`mudar.features.extract.analyze`), the warped motion, the
music and one video per look are written, and the lock is verified on the written motion
(:mod:`mudar.eval.lock`).

All looks of one dance sit in its folder and share its dance id
(:func:`mudar.data.readers.dataset.dance_group`), so that a split by dance keeps them together.
No ``video.mp4`` is written beside them: dataset discovery
(:func:`mudar.data.readers.dataset.find_videos`) is recursive, so a copy of one look would enter
every dataset built on the set twice; the motion loaders
(:func:`mudar.data.readers.keypoints.load_dwm_motion`) read only ``motion.npz``, ``audio.ogg``
and ``meta.json``, which are written.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mudar.atomic import atomic_path, write_text
from mudar.data.readers.dataset import SONG_SEP, pose_name, video_name
from mudar.data.readers.keypoints import load_dwm_motion
from mudar.errors import InputError, MudarError, ParameterError
from mudar.eval.lock import lock_scores, lock_table, lock_table_text
from mudar.features.analysis import AnalysisConfig
from mudar.features.extract import analyze
from mudar.features.kinematic import kinematic_beats
from mudar.io.audio import load_audio_track
from mudar.io.write import AAC_RATES, write_audio, write_video
from mudar.synthetic.locked import (
    DEFAULT_LOOKS,
    MIN_DEPTH,
    ROOT,
    SPEED_RANGE,
    check_speed_range,
    plan_lock,
    resample_joints,
)
from mudar.synthetic.looks import free_pose, look_params, random_look
from mudar.synthetic.skeleton import Look, get_look, render_frames

__all__ = [
    "DEFAULT_LOOKS",
    "SPEED_RANGE",
    "LockedBatch",
    "find_dances",
    "is_complete",
    "resolve_looks",
    "lock_dance",
    "make_locked",
    "video_name",
]


def resolve_looks(looks: Sequence[str], body: str | None = None) -> list[Look]:
    """The :data:`~mudar.synthetic.skeleton.LOOKS` named ``looks``, each drawing the dancer as
    ``body`` says when given (``"stick"``: the set as rendered before the mannequin).

    Raises
    ------
    ParameterError
        An unknown look or body.
    """
    out = [get_look(name) for name in looks]
    return out if body is None else [dataclasses.replace(lk, body=body) for lk in out]


def is_complete(
    out_dir: str | os.PathLike, looks: Sequence[str], *, body: str | None = None
) -> bool:
    """Whether ``out_dir`` holds a finished locked dance with a video of every look, each drawn
    with the body its look has now (``meta.json``'s ``bodies``; a dance written before the
    mannequin, without ``bodies``, has stick figures)."""
    d = Path(out_dir)
    meta = d / "meta.json"
    if not all((d / f).is_file() for f in ("meta.json", "motion.npz", "audio.ogg")):
        return False
    try:
        m = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    bodies = m.get("bodies", {})
    return bool(m.get("locked")) and all(
        (d / video_name(lk.name)).is_file() and bodies.get(lk.name, "stick") == lk.body
        for lk in resolve_looks(looks, body)
    )


def lock_dance(
    src_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    looks: Sequence[str] = DEFAULT_LOOKS,
    body: str | None = None,
    seconds: float | None = None,
    speed_range: tuple[float, float] = SPEED_RANGE,
    onset_weight: float = 0.5,
    min_depth: float = MIN_DEPTH,
    preset: str = "veryfast",
    song: str | os.PathLike | None = None,
    random_looks: int = 0,
    pose: bool = False,
    seed: int = 0,
) -> dict:
    """Re-time one dwm-style dance onto its music's beats (or another song's) and write it,
    with its videos.

    Writes, each file atomically, ``meta.json`` last (its presence marks the dance complete):
    ``motion.npz`` (``joints`` float32 (T', 23, 3), ``fps``: the warped motion), ``audio.ogg``
    (the music cut to the warped motion's length, same rate), ``video_<look>.mp4`` per look
    (H.264 + AAC with the music), ``meta.json`` (the source's fields with ``n_frames`` and
    ``duration_s`` updated, plus ``locked``, ``source_id``, ``looks``, ``bodies`` (look ->
    :attr:`~mudar.synthetic.skeleton.Look.body`, how its video draws the dancer), the speed
    limits and the
    range used, the warp's knots, ``accent_times`` (all source accents on the output clock),
    ``target_times`` and ``matched_accent_times`` (the matched pairs), ``detected_accent_times``
    (re-detected on the warped joints), ``source_accent_times`` (detected on the source, source
    clock), ``beat_times``, ``lock`` (BAS
    before and after, :func:`mudar.eval.lock.lock_scores`)).

    Parameters
    ----------
    src_dir : path-like
        A dwm-style dance: ``motion.npz`` (23 joints), ``audio.ogg``, optional ``meta.json``.
    out_dir : path-like
        The dance's output folder (created).
    looks : sequence of str
        Names of :data:`mudar.synthetic.skeleton.LOOKS`.
    body : str, optional
        Draw the dancer so in every look (:data:`mudar.methods.BODY_NAMES`); default each
        look's own body.
    seconds : float, optional
        Use only the first ``seconds`` of the source motion.
    speed_range : (float, float)
    onset_weight : float
        See :func:`music_targets`.
    min_depth : float
        See :func:`plan_lock`.
    preset : str
        x264 preset of the videos.
    song : path-like, optional
        Another dance folder whose ``audio.ogg`` the dance is re-timed onto (default its own
        music); ``meta.json`` names it ``song_id``.
    random_looks : int
        Also render this many looks drawn at random (:func:`mudar.synthetic.looks.random_look`,
        named ``rand0``, ``rand1``, ...; their fields in ``meta.json``'s ``look_params``), seeded
        by ``seed`` and the output folder's name.
    pose : bool
        Also write ``pose_<look>.npz`` per video: the pose track its camera sees, spoiled as an
        estimator would (:func:`mudar.synthetic.looks.free_pose`), readable as a
        :class:`~mudar.features.pose.PoseTrack`.
    seed : int

    Returns
    -------
    dict
        The meta written.

    Raises
    ------
    InputError
        A missing or unreadable motion or music, a motion not in the 23-joint layout, one
        shorter than 2 s, music without beats.
    DecodeError
        Music that cannot be decoded.
    ParameterError
        Unknown look, bad settings.
    """
    src, out = Path(src_dir), Path(out_dir)
    rng = np.random.default_rng([int(seed), zlib.crc32(out.name.encode("utf-8"))])
    look_objs = resolve_looks(looks, body) + [
        random_look(rng, f"rand{i}") for i in range(int(random_looks))
    ]
    check_speed_range(speed_range)
    if seconds is not None and not (np.isfinite(seconds) and seconds > 0):
        raise ParameterError(f"seconds must be positive, got {seconds}")
    if not src.is_dir():
        raise InputError(f"{src}: not a dance folder")
    clip = load_dwm_motion(src)
    joints, fps = np.asarray(clip.joints, dtype=np.float64), float(clip.fps)
    if joints.shape[1] != 23:
        raise InputError(f"{src}: {joints.shape[1]} joints, the dwm layout has 23")
    if seconds is not None:
        joints = joints[: max(2, int(round(seconds * fps)))]
    if len(joints) < 2 * fps:
        raise InputError(f"{src}: {len(joints) / fps:.2f} s of motion, need at least 2 s")
    audio = Path(song or src) / "audio.ogg"
    if not audio.is_file():
        raise InputError(f"{audio}: no such file (the dance's music)")
    config = AnalysisConfig()
    analysis = analyze(audio, config, dance=False)
    if analysis.music is None or len(analysis.music.beat_times) < 2:
        raise InputError(f"{audio}: no music beats found")
    track = load_audio_track(audio)
    if track is None:
        raise InputError(f"{audio}: no audio stream")
    y, sr = track
    plan = plan_lock(
        joints,
        fps=fps,
        music=analysis.music,
        music_fps=config.clock.fps,
        music_duration_s=len(y) / sr,
        speed_range=speed_range,
        onset_weight=onset_weight,
        min_depth=min_depth,
    )
    warped = resample_joints(joints, fps=fps, warp=plan.warp, n_frames=plan.n_frames)
    duration = plan.n_frames / fps
    y = y[: int(round(duration * sr))]

    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / "motion.npz") as tmp, open(tmp, "wb") as fh:
        np.savez(fh, joints=warped, fps=np.float32(fps))
    write_audio(out / "audio.ogg", y, sr=sr)
    vy, vsr = (y, sr) if sr in AAC_RATES else _resampled(audio, duration)
    for look in look_objs:
        write_video(
            out / video_name(look.name),
            render_frames(warped, fps=fps, look=look),
            fps=look.fps,
            audio=vy,
            sr=vsr,
            preset=preset,
        )
        if pose:
            track = free_pose(warped, fps=fps, look=look, rng=rng)
            with atomic_path(out / pose_name(look.name)) as tmp, open(tmp, "wb") as fh:
                np.savez(fh, **track.to_arrays())

    beats = np.asarray(analysis.music.beat_times, dtype=np.float64)
    detected = kinematic_beats(warped, fps=fps, root=ROOT)
    before = kinematic_beats(joints, fps=fps, root=ROOT)  # the same detector, on the source
    source_end = (len(joints) - 1) / fps
    ia, ib = plan.matched[:, 0], plan.matched[:, 1]
    s0, s1 = float(plan.warp(0.0)), float(plan.warp((plan.n_frames - 1) / fps))
    used = plan.accents_s[(plan.accents_s >= s0) & (plan.accents_s <= s1)]
    lo_used, hi_used = plan.warp.slope_range(0.0, (plan.n_frames - 1) / fps)
    meta = _read_meta(src)
    meta.update(
        {
            "id": out.name,
            "fps": fps,
            "n_frames": int(plan.n_frames),
            "duration_s": round(duration, 3),
            "music_start_frame": 0,
            "music_end_frame": int(plan.n_frames - 1),
            "locked": True,
            "source_id": meta.get("id", src.name),
            "song_id": Path(song).name if song else meta.get("id", src.name),
            "source": str(src),
            "source_n_frames": int(len(joints)),
            "looks": [lk.name for lk in look_objs],
            "bodies": {lk.name: lk.body for lk in look_objs},  # how each video draws the dancer
            "videos": [video_name(lk.name) for lk in look_objs],
            "poses": [pose_name(lk.name) for lk in look_objs] if pose else [],
            "look_params": {lk.name: look_params(lk) for lk in look_objs[len(looks) :]},
            "speed_limits": [float(speed_range[0]), float(speed_range[1])],
            "speed_range": [round(lo_used, 4), round(hi_used, 4)],
            "warp_knots": _r(plan.warp.knots),
            "n_accents": int(len(used)),
            "n_matched": int(len(ia)),
            "matched_fraction": round(len(ia) / len(used), 4) if len(used) else 0.0,
            "accent_times": _r(plan.warp.inverse(used)),
            "matched_accent_times": _r(plan.warp.inverse(plan.accents_s[ia])),
            "target_times": _r(plan.targets_s[ib]),
            "target_is_beat": [bool(x) for x in plan.target_is_beat[ib]],
            "detected_accent_times": _r(detected),
            "source_accent_times": _r(before),
            "beat_times": _r(beats[beats <= duration + 0.5]),
            "source_duration_s": round(source_end + 1 / fps, 3),
            "onset_weight": float(onset_weight),
            "min_depth": float(min_depth),
            "music_tempo_bpm": round(float(analysis.music.tempo_bpm), 2),
            "lock": {
                "before": lock_scores(before, beats, span_s=source_end + 1 / fps),
                "after": lock_scores(detected, beats, span_s=duration),
            },
        }
    )
    meta.pop("joints", None)
    meta["joints"] = "23 joints x (x, y, z); y is up; units as in the source (about cm)"
    write_text(out / "meta.json", json.dumps(meta, indent=1))
    return meta


def _resampled(audio: Path, duration: float) -> tuple[np.ndarray, int]:
    y, sr = load_audio_track(audio, sr=22050)
    return y[: int(round(duration * sr))], sr


def _read_meta(src: Path) -> dict:
    f = src / "meta.json"
    if not f.is_file():
        return {"id": src.name}
    try:
        m = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise InputError(f"{f}: cannot be read as JSON ({e})") from None
    if not isinstance(m, dict):
        raise InputError(f"{f}: not a JSON object")
    return m


def _r(x) -> list:
    return np.round(np.asarray(x, dtype=np.float64), 4).tolist()


# --- a folder of dances ---------------------------------------------------------------------


@dataclass
class LockedBatch:
    """What :func:`make_locked` did.

    Attributes
    ----------
    written : list of str
        Dances written now.
    complete : list of str
        Dances already complete in the output, left as they were.
    failed : list of (str, str)
        (source folder, reason) of the dances skipped.
    metas : list of dict
        The meta of every dance now in the output (written or complete), in source order.
    """

    written: list[str] = field(default_factory=list)
    complete: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    metas: list[dict] = field(default_factory=list)


def find_dances(src: str | os.PathLike) -> list[Path]:
    """The dance folders of ``src``: its sub-folders holding a ``motion.npz`` or an
    ``audio.ogg`` (a folder with one of them but not the other is kept, to be reported), or
    ``src`` itself when it is one.

    Raises
    ------
    InputError
        ``src`` is not a folder, or holds no dance.
    """
    root = Path(src)
    if not root.is_dir():
        raise InputError(f"{root}: not a directory")
    if (root / "motion.npz").is_file():
        return [root]
    found = sorted(
        p
        for p in root.iterdir()
        if p.is_dir() and ((p / "motion.npz").exists() or (p / "audio.ogg").exists())
    )
    if not found:
        raise InputError(f"{root}: no dance folders (sub-folders with motion.npz) found")
    return found


def make_locked(
    src: str | os.PathLike,
    out: str | os.PathLike,
    *,
    looks: Sequence[str] = DEFAULT_LOOKS,
    body: str | None = None,
    seconds: float | None = None,
    jobs: int = 1,
    speed_range: tuple[float, float] = SPEED_RANGE,
    progress: Callable | None = None,
    songs: int = 0,
    random_looks: int = 0,
    pose: bool = False,
    seed: int = 0,
    song_looks: Sequence[str] | None = None,
) -> LockedBatch:
    """Write the locked version of every dance of ``src`` under ``out/<dance>/``.

    A dance already complete in ``out`` (:func:`is_complete`) is left alone, so an interrupted
    run resumes; a dance that fails is skipped and listed, the others carry on. A failed dance
    leaves no partial folder behind.

    Parameters
    ----------
    src : path-like
        A folder of dwm-style dance folders (or one dance folder).
    out : path-like
        Created if missing.
    looks : sequence of str
    body : str, optional
        As :func:`lock_dance`'s.
    seconds : float, optional
        Use only the first ``seconds`` of each dance.
    jobs : int
        Dances worked on in parallel (processes).
    speed_range : (float, float)
    progress : callable, optional
        ``progress(iterable, total=n) -> iterable``, e.g. ``tqdm``.
    songs : int
        Also re-time each dance onto up to this many other dances' music (:func:`pick_songs`:
        tempo-compatible, drawn by ``seed``), written as ``out/<dance>~<song>/``; all warps of
        one dance share its dance id (:func:`mudar.data.readers.dataset.dance_group`).
    random_looks, pose, seed
        As :func:`lock_dance`'s.
    song_looks : sequence of str, optional
        The looks of the warps onto other songs (default ``looks``); the random looks are drawn
        for every warp. ``looks=["high"], song_looks=[], songs=3, random_looks=1`` makes a
        bench's set in one run: every warp in a random look to train on, each dance on its own
        music in ``high`` to test on (``mudar bench --test-looks high``).

    Returns
    -------
    LockedBatch

    Raises
    ------
    InputError
        ``src`` is not a folder of dances.
    ParameterError
        Unknown look or body, bad ``speed_range``, ``seconds`` or ``jobs``.
    """
    song_looks = tuple(looks) if song_looks is None else tuple(song_looks)
    resolve_looks([*looks, *song_looks], body)
    check_speed_range(speed_range)
    if seconds is not None and not (np.isfinite(seconds) and seconds > 0):
        raise ParameterError(f"seconds must be positive, got {seconds}")
    if (not looks or (songs and not song_looks)) and random_looks < 1:
        raise ParameterError("no looks given")
    if jobs < 1 or songs < 0 or random_looks < 0:
        raise ParameterError(
            f"jobs must be >= 1, songs and random looks >= 0; got {jobs}, {songs}, {random_looks}"
        )
    dances = find_dances(src)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    batch = LockedBatch()
    pairs = [(d, None, d.name) for d in dances]
    if songs:
        for d, others in pick_songs(dances, songs, speed_range=speed_range, seed=seed).items():
            pairs += [(d, s, f"{d.name}{SONG_SEP}{s.name}") for s in others]
    drawn = tuple(f"rand{i}" for i in range(random_looks))

    def looks_of(song) -> tuple[str, ...]:  # a warp's named looks: its own music's or a song's
        return tuple(looks) if song is None else song_looks

    def done(song, name: str) -> bool:
        lk = looks_of(song)
        return is_complete(out / name, lk, body=body) and _has(out / name, lk + drawn, pose)

    todo = []
    for d, song, name in pairs:
        if done(song, name):
            batch.complete.append(name)
        else:
            todo.append((d, song, name))
    kwargs = {
        "body": body,
        "seconds": seconds,
        "speed_range": speed_range,
        "random_looks": random_looks,
        "pose": pose,
        "seed": seed,
    }
    wrap = progress or (lambda it, total: it)
    if jobs == 1 or len(todo) <= 1:
        results = (
            _lock_one(d, out / n, dict(kwargs, song=s, looks=looks_of(s))) for d, s, n in todo
        )
        for name, error in wrap(results, total=len(todo)):
            _record(batch, name, error)
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = [
                pool.submit(_lock_one, d, out / n, dict(kwargs, song=s, looks=looks_of(s)))
                for d, s, n in todo
            ]
            for f in wrap(as_completed(futures), total=len(futures)):
                _record(batch, *f.result())
    for _d, song, name in pairs:
        if done(song, name):
            batch.metas.append(json.loads((out / name / "meta.json").read_text("utf-8")))
    batch.written.sort()
    batch.failed.sort()
    return batch


def pick_songs(
    dances: Sequence[Path],
    k: int,
    *,
    speed_range: tuple[float, float] = SPEED_RANGE,
    seed: int = 0,
) -> dict[Path, list[Path]]:
    """Up to ``k`` other dances' music for each dance, drawn by ``seed`` among the songs whose
    tempo (the beats' median interval, up to an octave: a dance accents halves and doubles of
    the beat too) is within the speed limits of its own music's, with a 5 % margin so that
    the warp has room. A song that cannot be read is never picked."""
    tempo: dict[Path, float] = {}
    for d in dances:
        try:
            music = analyze(d / "audio.ogg", AnalysisConfig(), dance=False).music
        except (MudarError, OSError):
            continue
        beats = np.asarray(music.beat_times if music is not None else [], np.float64)
        if len(beats) >= 4:
            tempo[d] = 60.0 / float(np.median(np.diff(beats)))
    lo, hi = speed_range[0] * 1.05, speed_range[1] / 1.05
    rng = np.random.default_rng(seed)
    out: dict[Path, list[Path]] = {}
    for d in dances:
        if d not in tempo:
            continue
        ok = []
        for s, t in tempo.items():
            r = t / tempo[d]
            r *= 2.0 ** -round(np.log2(r))  # the nearest octave
            if s != d and lo <= r <= hi:
                ok.append(s)
        out[d] = [ok[i] for i in sorted(rng.permutation(len(ok))[:k])]
    return out


def _has(folder: Path, looks: Sequence[str], pose: bool) -> bool:
    """Every look's video (and pose track when asked) is in ``folder``."""
    return all((folder / video_name(n)).is_file() for n in looks) and (
        not pose or all((folder / pose_name(n)).is_file() for n in looks)
    )


def _lock_one(src: Path, out: Path, kwargs: dict) -> tuple[str, str | None]:
    """(source, None) when written, (source, reason) when it failed; no partial folder."""
    existed = out.exists()
    for stale in out.glob(".*.part") if existed else ():  # left by a killed run
        stale.unlink(missing_ok=True)
    try:
        lock_dance(src, out, **kwargs)
    except (MudarError, OSError) as e:
        if not existed:
            shutil.rmtree(out, ignore_errors=True)
        else:  # a stale meta must not make a half-rewritten dance look complete
            (out / "meta.json").unlink(missing_ok=True)
        reason = f"{e.filename or src}: {e.strerror or e}" if isinstance(e, OSError) else str(e)
        return str(src), reason
    return out.name, None


def _record(batch: LockedBatch, src: str, error: str | None) -> None:
    if error is None:
        batch.written.append(src)
    else:
        batch.failed.append((src, error))


def lock_text(metas: Sequence[dict]) -> str:
    """The lock of written dances (their meta records), as a plain-text table: the Beat
    Alignment Score of the re-detected accents against the true beats, the shifted beats and
    another song's, before and after (:func:`mudar.eval.lock.lock_table`)."""
    return lock_table_text(lock_table(metas))
