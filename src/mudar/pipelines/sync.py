"""The audio delay of a dance video file, and the repaired copy (``mudar sync``).

The estimate itself is :func:`mudar.tasks.sync.sync_offset` on the file's analysis; here the
video is probed and analysed on its sync clock, and the repaired copy is written with the audio
moved and the video stream copied untouched.
"""

from __future__ import annotations

import dataclasses
import math
import os
from pathlib import Path

from mudar.clock import DEFAULT_SR
from mudar.errors import DecodeError, InputError, ParameterError, UnreliableError
from mudar.features.analysis import AnalysisConfig
from mudar.features.extract import analyze
from mudar.io import probe
from mudar.io.audio import load_audio_track
from mudar.io.remux import remux_with_audio
from mudar.io.write import AAC_RATES, CONTAINERS
from mudar.methods import SYNC
from mudar.pipelines.method import analysis_setup
from mudar.tasks.rhythm import measure_needs, rhythm_method
from mudar.tasks.sync import (
    DEFAULT_MAX_OFFSET_S,
    SyncEstimate,
    min_confidence,
    shift_audio,
    sync_clock,
    sync_offset,
    sync_report,
)

DEFAULT_METHOD = "motion-energy"
"""The dance curve ``mudar sync`` correlates by default (see :func:`sync_estimate`)."""


def sync_estimate(
    path: str | os.PathLike,
    *,
    sr: int = DEFAULT_SR,
    fps: float | None = None,
    size: int = 256,
    flow: str = "dis",
    max_offset_s: float = DEFAULT_MAX_OFFSET_S,
    method: str = DEFAULT_METHOD,
    checkpoint: str | os.PathLike | None = None,
) -> SyncEstimate:
    """The audio delay of a video with sound.

    Parameters
    ----------
    path : path-like
    sr : int
        Audio analysis rate, Hz.
    fps : float, optional
        Analysis frame rate; default the highest of :data:`mudar.tasks.sync.SYNC_FPS` not above
        the video's own (:func:`~mudar.tasks.sync.sync_clock`), and for a learned method its
        model's clock (:func:`~mudar.pipelines.method.analysis_setup`: the timing model's 8 fps).
    size : int
        Frame side for optical flow, pixels.
    flow : str
        Optical-flow backend.
    max_offset_s : float
        The delay is searched within +-``max_offset_s`` seconds.
    method : str
        The dance curve, one of :data:`mudar.methods.SYNC`: ``motion-energy`` (default; on the
        beat-locked dances it finds 4-5 of 10 delays where ``hoof-flux`` finds 2, and the
        dancer's true accents 6-7: ``benchmarks/bench_sync.py``), ``pose`` (the motion beats
        of the dancer's pose track), ``hoof-flux``, or ``timing`` (the learned timing model's
        rhythm times: with the audio of 11 held-out beat-locked dances delayed by +0.2 s, its
        pulses find the delay within 0.08 s, modulo one beat, in 82-91 % of them against 73 %
        for ``motion-energy`` and 64 % for ``pose``: ``benchmarks/bench_timing.py``; it needs
        the ``pose`` extra and runs at the pose track's speed, 1-2x real time on 2 cores, so it
        is not the default).
    checkpoint : path-like, optional
        The model of a learned method (default: the shipped one).

    Returns
    -------
    SyncEstimate

    Raises
    ------
    InputError, DecodeError
        A missing or unreadable file, or one without video or without sound.
    ParameterError
        A video too short for the search range, bad settings.
    MissingDependency
        ``pose`` or ``timing`` without the ``pose`` extra.
    """
    if method not in SYNC:
        raise ParameterError(f"unknown sync method {method!r}; known: {', '.join(SYNC)}")
    info = probe(path)
    if not info.has_video:
        raise InputError(f"{path}: no video track, nothing to sync")
    if not info.has_audio:
        raise InputError(f"{path}: no audio track, nothing to sync")
    model = None
    if rhythm_method(method).needs_model:
        # the model's analysis, on its own frame rate, with the audio on the sync clock's fine grid
        config, model = analysis_setup(
            method, checkpoint=checkpoint, fps=fps, sr=sr, size=size, flow=flow
        )
        clock = sync_clock(info.native_fps, sr=sr, fps=config.clock.fps)
        config = dataclasses.replace(config, clock=clock)
    else:
        clock = sync_clock(info.native_fps, sr=sr, fps=fps)
        config = measure_needs(AnalysisConfig(clock=clock, size=size, flow=flow), [method])
    analysis = analyze(path, config)
    return sync_offset(analysis, max_offset_s=max_offset_s, method=method, model=model)


def sync_file(
    path: str,
    *,
    fixed: Path | None = None,
    force: bool = False,
    check: bool = True,
    offset_s: float | None = None,
    **settings,
) -> dict:
    """The sync report of a video (:func:`mudar.tasks.sync.sync_report`: the delay, its
    confidence and whether it is ``reliable``), and its repaired copy at ``fixed`` when given.

    With ``fixed``: the copy is written only when the estimate is reliable or ``force`` is
    set (else nothing is written); ``"fixed"`` is its path, ``"forced"`` whether an unreliable
    delay was applied, ``"manual"`` False, and with ``check`` the copy is estimated again
    (``"after"``: its ``offset_s``, ``confidence`` and ``reliable``; an offset near 0 says the
    repair did what the estimate asked).

    With ``offset_s`` (seconds, the sign of :attr:`SyncEstimate.offset_s`) the copy moves the
    audio by that offset, chosen by the user: the video is not estimated first and nothing is
    refused. The report is then ``{"file", "offset_s", "manual": True, "fixed", "forced":
    False}`` and ``"after"`` with ``check``.

    ``settings`` are those of :func:`sync_estimate`.

    Raises
    ------
    UnreliableError
        ``fixed`` without ``force`` or ``offset_s``, and a confidence below the method's
        calibrated level.
    InputError, DecodeError, ParameterError
        See :func:`sync_estimate` and :func:`fix_audio_delay`; ``offset_s`` without ``fixed``.
    OSError
        ``fixed`` cannot be written.
    """
    level = min_confidence(settings.get("method", DEFAULT_METHOD))
    if offset_s is not None:
        if fixed is None:
            raise ParameterError("an offset is applied to a repaired copy: give where to write it")
        report = {"file": str(path), "offset_s": round(float(offset_s), 3), "manual": True}
        report["fixed"] = str(fix_audio_delay(path, fixed, offset_s=offset_s))
        report["forced"] = False
        if check:
            report["after"] = _measured_again(fixed, level, settings)
        return report
    estimate = sync_estimate(path, **settings)
    report = sync_report(path, estimate, min_confidence=level)
    if fixed is None:
        return report
    if not report["reliable"] and not force:
        raise UnreliableError(
            f"{path}: cannot tell the delay (confidence {report['confidence']:.2f}, below "
            f"{level:g}, under which estimates are not right 90 % of the time); not fixed "
            f"unless forced (--force): the audio would move by {report['offset_s']:+.3f} s"
        )
    report["fixed"] = str(fix_audio_delay(path, fixed, offset_s=estimate.offset_s))
    report["forced"] = not report["reliable"]
    report["manual"] = False
    if check:
        report["after"] = _measured_again(fixed, level, settings)
    return report


def _measured_again(fixed: Path, level: float, settings: dict) -> dict:
    """The repaired copy's own estimate: its ``offset_s``, ``confidence`` and ``reliable``."""
    again = sync_report(fixed, sync_estimate(fixed, **settings), min_confidence=level)
    return {k: again[k] for k in ("offset_s", "confidence", "reliable")}


def fix_audio_delay(path: str | os.PathLike, out: Path, *, offset_s: float) -> Path:
    """Write ``path`` to ``out`` with its audio advanced by ``offset_s`` seconds (delayed when
    negative), the video stream copied; the audio is resampled to 48 kHz when AAC cannot hold
    its rate.

    Raises
    ------
    DecodeError
        The file has no audio track.
    ParameterError
        ``offset_s`` is not a finite number, or moves the whole sound out of the file (as long
        as the sound or longer).
    """
    if not (isinstance(offset_s, (int, float)) and math.isfinite(offset_s)):
        raise ParameterError(f"the offset must be a finite number of seconds, got {offset_s!r}")
    track = load_audio_track(path)
    if track is None:
        raise DecodeError(f"{path}: no audio track to shift")
    y, sr = track
    if abs(offset_s) >= len(y) / sr:
        raise ParameterError(
            f"{path}: an offset of {offset_s:+.3f} s moves all of its {len(y) / sr:.2f} s of "
            "sound out of the video"
        )
    if sr not in AAC_RATES:
        y, sr = load_audio_track(path, sr=48000)
    return remux_with_audio(path, out, shift_audio(y, offset_s=offset_s, sr=sr), sr=sr)


def fixed_paths(files: list[str], out: str) -> dict[str, Path]:
    """Where each repaired video goes: ``out`` itself for one file, else inside folder ``out``
    (created), under the input's name (its folder's name prefixed where two inputs share one).

    Checked before any analysis, so that a typo does not cost a minute of work.

    Raises
    ------
    ParameterError
        ``out`` is no video file name for one file, a video file name for several, not a
        folder, or several videos would get the same name.
    InputError
        The folder of ``out`` is missing, or ``out`` is the input file itself.
    """
    dest = Path(out)
    if len(files) == 1 and not dest.is_dir():
        if dest.suffix.lower() not in CONTAINERS:
            raise ParameterError(
                f"-o {out}: expected a video file name, one of {sorted(CONTAINERS)}"
            )
        if not dest.parent.is_dir():
            raise InputError(f"{dest.parent}: no such directory")
        if dest.exists() and Path(files[0]).exists() and dest.samefile(files[0]):
            raise InputError(f"{dest}: is the input file; write the repaired video elsewhere")
        return {files[0]: dest}
    if len(files) > 1 and dest.suffix.lower() in CONTAINERS and not dest.is_dir():
        raise ParameterError(
            f"-o {out}: with {len(files)} videos, -o must be a folder (one repaired file each)"
        )
    if dest.exists() and not dest.is_dir():
        raise ParameterError(f"-o {out}: exists and is not a folder")
    dest.mkdir(parents=True, exist_ok=True)
    names = [_out_name(Path(f)) for f in files]
    clash = {n for n in names if names.count(n) > 1}
    # videos of the same name in different folders (dataset layouts): prefix the folder
    names = [
        f"{Path(f).parent.name}-{n}" if n in clash else n for f, n in zip(files, names, strict=True)
    ]
    if len(set(names)) < len(names):
        raise ParameterError(f"-o {out}: several videos would get the same output name")
    return {f: dest / n for f, n in zip(files, names, strict=True)}


def _out_name(path: Path) -> str:
    """The input's name, as .mkv when its container cannot be written (mkv holds any codec)."""
    return path.name if path.suffix.lower() in CONTAINERS else f"{path.stem}.mkv"
