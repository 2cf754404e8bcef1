"""The Beat Alignment Score of a motion file, a dance video or a whole AIST++ tree against its
music (``mudar bas``).

The files are read here: the keypoints (:func:`mudar.data.readers.keypoints.load_motion`), the
video's
dance rhythm and the music's beats (:func:`mudar.features.extract.analyze`); the score is
:func:`mudar.tasks.bas.bas_report` on their beat times.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import numpy as np

from mudar.data.readers.aist import is_aist_tree  # noqa: F401 (the command line's dispatch)
from mudar.data.readers.keypoints import is_motion_path, load_motion, pose_track_music
from mudar.data.readers.pose import is_pose_track, load_pose_track
from mudar.errors import InputError, MudarError, ParameterError
from mudar.eval.bas import DEFAULT_SIGMA_S
from mudar.features.analysis import Analysis, AnalysisConfig
from mudar.features.extract import analyze
from mudar.features.music import music_tempo_alternatives
from mudar.features.pose import pose_minima
from mudar.io import probe
from mudar.io.media import check_path
from mudar.pipelines.method import analysis_setup, body_method, without_music
from mudar.tasks.bas import FORMS, bas_report, feedback_report, motion_beat_times
from mudar.tasks.rhythm import dance_rhythm, rhythm_method, rhythm_seconds


class MusicBeats(NamedTuple):
    """The beats of a file's sound."""

    beat_times: np.ndarray
    """float64 (b,), seconds from the start of the file."""
    tempo_bpm: float
    """The tempo the beats keep, BPM."""
    tempo_alternatives: list[float]
    """Its half and double where the music supports them nearly as well, BPM (often empty)."""
    duration_s: float
    """The analysed length, seconds."""


def music_beat_times(path: str | os.PathLike, *, config=None) -> MusicBeats:
    """Beats of the sound of an audio or video file.

    Parameters
    ----------
    path : path-like
    config : AnalysisConfig, optional
        Frame clock of the analysis (default 8 fps, 16 kHz); beats are tracked on its fine
        grid (64 frames/s by default), whatever the video rate.

    Returns
    -------
    MusicBeats

    Raises
    ------
    InputError, DecodeError
        No such file, not media, or no sound.
    """
    check_path(path)
    analysis = analyze(path, config or AnalysisConfig(), dance=False)
    if analysis.music is None:
        raise InputError(f"{path}: has no audio track, so no music beats")
    return _music_beats(analysis)


def _music_beats(analysis: Analysis) -> MusicBeats:
    m = analysis.music
    return MusicBeats(
        np.asarray(m.beat_times, np.float64),
        float(m.tempo_bpm),
        music_tempo_alternatives(m, clock=analysis.clock),
        analysis.duration_s,
    )


def bas_file(
    path: str | os.PathLike,
    *,
    music: str | os.PathLike | None = None,
    sigma_s: float = DEFAULT_SIGMA_S,
    form: str = "both",
    method: str | None = None,
    checkpoint: str | None = None,
    music_dir: str | os.PathLike | None = None,
    plot: str | os.PathLike | None = None,
    view: int = 0,
) -> dict:
    """The Beat Alignment Score of a motion file or a dance video against its music, and the
    on-beat feedback of its accents (:func:`mudar.tasks.bas.feedback_report`).

    - A motion (a dwm dance folder or ``motion.npz``, an AIST++ keypoints ``.pkl``): the motion
      beats are its kinematic beats (:func:`mudar.tasks.bas.motion_beat_times`), the music is
      ``music`` or the motion's own (dwm's ``audio.ogg``; AIST++ with ``music_dir``).
    - A 2-D pose track (``mudar pose``'s ``.npz``, a keypoints2d ``.pkl``, AIST++'s or ours):
      the motion beats are the minima of its joint speed
      (:func:`mudar.features.pose.pose_minima`, as the ``pose`` method finds them in a video);
      the music is ``music``, else the video the track was made from, a media file beside it
      with its stem, or an AIST++ name's ``wav/<music id>.wav``
      (:func:`mudar.data.readers.keypoints.pose_track_music`).
    - A video: the motion beats are its dance rhythm points (``method``, default the dancer's
      body, :func:`mudar.pipelines.method.body_method`: ``pose`` with the pose extra, else
      ``motion-energy``; a learned model runs *without* the
      music, as ``mudar-noaudio``, so that it cannot copy the beats it is scored against),
      timed below the frame as the method times them
      (:func:`mudar.tasks.rhythm.rhythm_seconds`); the music is ``music`` or the video's own
      sound track.

    Beats after the end of the shorter of motion and music are left out.

    Parameters
    ----------
    path : path-like
    music : path-like, optional
        An audio file or a video whose sound is the music.
    sigma_s : float
        Kernel width of the score, seconds.
    form : {"motion", "music", "both"}
    method : str, optional
        Dance rhythm method for a video (:data:`mudar.methods.DANCE_RHYTHM`).
    checkpoint : str, optional
        Model of the ``mudar`` methods (default: the shipped one).
    music_dir : path-like, optional
        For AIST++: the folder of its music (``mBR0.wav`` ...); default ``wav/`` beside the
        ``keypoints3d/`` (or ``keypoints2d/``) folder of the pickle.
    plot : path-like, optional
        PNG of the feedback to write (:func:`mudar.report.plots.plot_feedback`: the offsets
        over time and their histogram).
    view : int
        The camera view of a keypoints2d pickle (AIST++: 0-8 for c01-c09).

    Returns
    -------
    dict
        ``file``, ``music``, ``n_motion_beats``, ``n_music_beats``, ``sigma_s``, ``bas_motion``,
        ``bas_music``, ``fps`` (of the motion beats: the motion's or the track's frame rate, or
        the video analysis rate), ``motion_method`` (``kinematic``, ``pose`` for a pose track,
        or the dance rhythm method), ``duration_s`` (the span scored), ``music_tempo_bpm``
        (tracked), ``music_tempo_alternatives`` (its half and double where the music supports
        them nearly as well, :class:`MusicBeats`), ``feedback`` (each motion beat's offset to
        the nearest music beat, their summary and the rushed or dragged stretches:
        :func:`mudar.tasks.bas.feedback_report`).

    Raises
    ------
    InputError, DecodeError
        Missing or unreadable files, no music to score against, a file with neither motion nor
        video.
    ParameterError
        Bad ``sigma_s``, ``form`` or ``method``.
    """
    _check_scoring(sigma_s, form)
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file or directory")
    if p.is_file() and is_pose_track(p):
        track = load_pose_track(p, view=view)
        music_path = Path(music) if music is not None else pose_track_music(p, music_dir=music_dir)
        if music_path is None:
            raise InputError(
                f"{p}: no music for the pose track (not its video, nothing beside it named "
                f"{p.stem}.*); give one with --music FILE"
            )
        motion_s = pose_minima(track)
        song = music_beat_times(music_path)
        motion_len = float(track.times_s[-1] + 1.0 / track.fps) if len(track) else 0.0
        fps, motion_method = track.fps, "pose"
    elif is_motion_path(p) or p.is_dir():
        if music_dir is None and p.parent.name == "keypoints3d":  # a sequence of an AIST++ tree
            music_dir = p.parent.parent / "wav"
        clip = load_motion(p, music_dir=music_dir)
        music_path = Path(music) if music is not None else clip.music
        if music_path is None:
            raise InputError(f"{p}: no music file beside the motion; give one with --music FILE")
        motion_s = motion_beat_times(clip)
        song = music_beat_times(music_path)
        fps, motion_len, motion_method = clip.fps, clip.duration_s, "kinematic"
    else:
        motion_s, fps, motion_len, motion_method, own = _video_rhythm(
            p, method=method, checkpoint=checkpoint, with_music=music is None
        )
        if music is None:
            if own is None:
                raise InputError(f"{p}: the video has no sound; give the music with --music FILE")
            music_path = p
            song = own
        else:
            music_path = Path(music)
            song = music_beat_times(music_path)
    return _scored(
        p, music_path, motion_s, song, fps=fps, span=min(motion_len, song.duration_s),
        motion_method=motion_method, sigma_s=sigma_s, form=form, plot=plot,
    )  # fmt: skip


def analysis_bas(
    analysis: Analysis,
    *,
    method: str,
    model=None,
    sigma_s: float = DEFAULT_SIGMA_S,
    form: str = "both",
) -> dict:
    """:func:`bas_file` of a dance video already analysed, against its own sound: for a caller
    that draws the same analysis too (the page's timeline), so the file is decoded once.

    Parameters
    ----------
    analysis : Analysis
        Of a video with sound, measuring what ``method`` needs
        (:func:`mudar.pipelines.method.analysis_setup`).
    method : str
        Dance rhythm method; run without the music, as in :func:`bas_file`.
    model : MuDaR, optional
        For the learned methods.
    sigma_s, form
        As :func:`bas_file`.

    Returns
    -------
    dict
        As :func:`bas_file`.

    Raises
    ------
    InputError
        The analysis has no pictures or no sound.
    ParameterError
        Bad ``sigma_s``, ``form`` or ``method``.
    """
    _check_scoring(sigma_s, form)
    rhythm_method(method, what="method")
    if analysis.dance is None:
        raise InputError(f"{analysis.path}: has no pictures, so no dance to score")
    if analysis.music is None:
        raise InputError(f"{analysis.path}: the video has no sound, so no beats to score against")
    method = without_music(method)
    motion_s, fps, own = _analysis_rhythm(analysis, method=method, model=model)
    return _scored(
        Path(analysis.path), Path(analysis.path), motion_s, own, fps=fps,
        span=min(analysis.duration_s, own.duration_s), motion_method=method, sigma_s=sigma_s,
        form=form, plot=None,
    )  # fmt: skip


def _scored(
    p, music_path, motion_s, song: MusicBeats, *, fps, span, motion_method, sigma_s, form, plot
) -> dict:
    """The report of :func:`bas_file` from the motion's beats and the music's."""
    music_s = song.beat_times
    report = bas_report(motion_s, music_s, sigma_s=sigma_s, form=form, span_s=span)
    report = {
        "file": str(p),
        "music": str(music_path),
        **report,
        "fps": float(fps),
        "motion_method": motion_method,
        "duration_s": round(float(span), 3),
        "music_tempo_bpm": round(float(song.tempo_bpm), 2),
        "music_tempo_alternatives": song.tempo_alternatives,
        "feedback": feedback_report(motion_s, music_s, span_s=span),
    }
    if plot is not None:
        from mudar.report.plots import plot_feedback  # matplotlib: only for a plot

        plot_feedback(
            report["feedback"],
            plot,
            duration_s=span,
            title=f"{p.name}: accents ({motion_method}) against the music's beats",
        )
    return report


def _video_rhythm(path: Path, *, method: str | None, checkpoint: str | None, with_music: bool):
    """(rhythm seconds, fps, duration, method, the :class:`MusicBeats` of its sound or None)."""
    check_path(path)
    method = method or body_method()
    rhythm_method(method, what="method")
    method = without_music(method)  # the motion alone: the music must not leak into its beats
    if not probe(path).has_video:
        raise InputError(
            f"{path}: has no video stream; expected a motion file (dwm folder, .npz, AIST++ "
            ".pkl) or a dance video"
        )
    config, model = analysis_setup(method, checkpoint=checkpoint)
    analysis = analyze(path, config, music=with_music)
    times, fps, own = _analysis_rhythm(analysis, method=method, model=model)
    return times, fps, analysis.duration_s, method, own


def _analysis_rhythm(analysis: Analysis, *, method: str, model):
    """(rhythm seconds, fps, the :class:`MusicBeats` of its sound or None) of an analysis."""
    frames, strength = dance_rhythm(analysis, method=method, model=model)
    own = None if analysis.music is None else _music_beats(analysis)
    # a method that times its points below the frame (motion-energy, pose) is scored on them,
    # the others refined on their curve
    times = rhythm_seconds(analysis, method, frames, strength, model=model)
    return times, analysis.clock.fps, own


def _check_scoring(sigma_s: float, form: str) -> None:
    """Refuse a bad kernel width or BAS form before any file is read (a tree's sequences
    would each fail on it and be listed as skipped)."""
    if not (np.isfinite(sigma_s) and sigma_s > 0):
        raise ParameterError(f"sigma must be a positive number of seconds, got {sigma_s}")
    if form not in FORMS:
        raise ParameterError(f"form must be one of {FORMS}, got {form!r}")


def bas_tree(
    root: str | os.PathLike,
    *,
    sigma_s: float = DEFAULT_SIGMA_S,
    form: str = "both",
    split: str | None = None,
) -> dict:
    """The Beat Alignment Score of every sequence of an AIST++ tree, and their mean.

    Each sequence is scored as one motion file (:func:`bas_file`: its keypoints' kinematic
    beats against the beats of ``wav/<music id>.wav``, music offset 0). The pooled score is the
    mean of the sequences' scores, as AI Choreographer and Bailando report it on AIST++. A
    sequence that cannot be scored (a corrupt pickle, no beats) is skipped and listed.

    Parameters
    ----------
    root : path-like
        An AIST++ tree (:mod:`mudar.data.readers.aist`).
    sigma_s : float
        Kernel width, seconds.
    form : {"motion", "music", "both"}
    split : {"train", "val", "test"}, optional
        Only the sequences of this official (cross-modal) split; default all.

    Returns
    -------
    dict
        ``root``, ``split``, ``sigma_s``, ``n_sequences`` (scored), ``bas_motion`` and
        ``bas_music`` (means over the sequences; None when no sequence has that score),
        ``sequences`` (one :func:`bas_file` report each, without its ``feedback``, with
        ``sequence``, ``genre`` and ``split`` added), ``ignored`` (names of the ignore list),
        ``skipped`` (``{"file", "reason"}`` of the sequences left out).

    Raises
    ------
    InputError
        Not an AIST++ tree, or no sequence to score.
    ParameterError
        Bad ``sigma_s``, ``form`` or ``split``.
    """
    from mudar.data.readers.aist import read_aist_tree

    _check_scoring(sigma_s, form)
    tree = read_aist_tree(root)
    seqs = tree.select(split)
    reports, skipped = [], [{"file": f, "reason": why} for f, why in tree.skipped]
    for seq in seqs:
        try:
            r = bas_file(seq.keypoints, music=seq.music, sigma_s=sigma_s, form=form)
        except MudarError as e:
            skipped.append({"file": str(seq.keypoints), "reason": str(e)})
            continue
        del r["feedback"]  # one dance's coaching; the tree compares scores
        reports.append({"sequence": seq.name, "genre": seq.genre, "split": seq.split, **r})
    if not reports:
        raise InputError(
            f"{root}: no sequence could be scored"
            + (f" ({skipped[0]['file']}: {skipped[0]['reason']})" if skipped else "")
        )

    def mean(key: str) -> float | None:
        xs = [r[key] for r in reports if r[key] is not None]
        return round(float(np.mean(xs)), 4) if xs else None

    return {
        "root": str(root),
        "split": split or "all",
        "sigma_s": float(sigma_s),
        "n_sequences": len(reports),
        "bas_motion": mean("bas_motion"),
        "bas_music": mean("bas_music"),
        "sequences": reports,
        "ignored": tree.ignored,
        "skipped": skipped,
    }
