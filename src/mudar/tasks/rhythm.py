"""The music and dance rhythm of a file, as the ``mudar rhythm`` JSON reports it."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial

import numpy as np

from mudar.errors import ParameterError
from mudar.features.analysis import Analysis, AnalysisConfig, with_energy, with_pose
from mudar.features.dance import peak_decision, rhythm_times
from mudar.features.music import music_tempo_alternatives


@dataclass
class LearnedRhythm:
    """The learned model's visual rhythm of a whole file.

    Attributes
    ----------
    probability : np.ndarray, float32, shape (n_frames,)
        Per-frame rhythm probability (averaged over the two windows that saw a frame near the
        end of the file).
    frames : np.ndarray, int, shape (k,)
        Rhythm frames: the peaks of the probability (:func:`peak_decision`).
    threshold : float
        On the min-max scaled probability.
    n_windows : int
        Model windows (clips) evaluated.
    """

    probability: np.ndarray
    frames: np.ndarray
    threshold: float
    n_windows: int


def learned_rhythm(
    model,
    analysis: Analysis,
    *,
    with_audio: bool = True,
    threshold: float | None = None,
    batch_size: int = 8,
) -> LearnedRhythm:
    """Run the model's rhythm head over a whole analysed file in windows of ``clip_s``.

    The windows tile the file end to end, the last one aligned to its end (so only that one
    overlaps another): half the model work of half-overlapping windows, for the same F1 against
    the music onsets on the 35 dwm dances (0.728 vs 0.730 with the music, 0.607 vs 0.608
    without).

    Parameters
    ----------
    model : MuDaR
    analysis : Analysis
        With dance features and RGB frames (``AnalysisConfig.frame_size > 0``), on the model's
        frame clock.
    with_audio : bool
        Use the music when the file has it (``mudar``); False takes the audio dropout path
        (``mudar-noaudio``, the honest visual detector).
    threshold : float, optional
        Peak threshold on the min-max scaled probability (:func:`peak_decision`); default the one
        calibrated on validation videos at training.
    """
    import torch

    from mudar.data.clips.inputs import batch_inputs
    from mudar.data.clips.windows import cut, sliding_windows

    cfg = model.config
    if analysis.dance is None:
        raise ParameterError(f"{analysis.path}: no video, so no dance rhythm")
    cfg.check_analysis(analysis)
    if threshold is None:
        meta = getattr(model, "meta", None) or {}
        threshold = float(meta["threshold"]) if meta.get("threshold") is not None else 0.0
    use_audio = with_audio and analysis.music is not None
    n = analysis.n_frames
    windows = sliding_windows(n, fps=cfg.fps, window_s=cfg.clip_s, hop_s=cfg.clip_s)
    total = np.zeros(n, np.float64)
    count = np.zeros(n, np.float64)
    model.eval()
    for i in range(0, len(windows), batch_size):
        chunk = windows[i : i + batch_size]
        clips = [cut(analysis, a, b) for a, b in chunk]
        frames, motion, audio = batch_inputs(clips, cfg, audio=use_audio)
        with torch.no_grad():
            prob = model.rhythm(frames, motion, audio).numpy()
        for (a, b), p in zip(chunk, prob, strict=True):
            total[a:b] += p[: b - a]
            count[a:b] += 1
    probability = (total / np.maximum(count, 1)).astype(np.float32)
    return LearnedRhythm(
        probability=probability,
        frames=peak_decision(probability, fps=cfg.fps, threshold=threshold),
        threshold=threshold,
        n_windows=len(windows),
    )


DEFAULT_DANCE_METHOD = "motion-energy"
"""The dance rhythm ``mudar rhythm`` gives by default: the one that times a dance best where
the timing is known, at the speed of an analysis. On held-out beat-locked dances in an unseen
look (docs/results.md) the motion energy's stops gain +0.097 over the half-beat shifted beats
(70 ms F-measure), the pose track's motion beats +0.102 (level: paired +0.005 [-0.037, +0.046])
but at 1-2x real time and with an extra, the learned timing model +0.144 (+0.042 over pose,
an interval that does not leave out 0: [-0.014, +0.098] paired by dance; at the pose track's
speed), the shipped MuDaR model without the music +0.02, hoof-flux nothing."""


def default_dance_method() -> str:
    """The default dance rhythm method (:data:`DEFAULT_DANCE_METHOD`)."""
    return DEFAULT_DANCE_METHOD


# --- the dance rhythm methods -----------------------------------------------------------------


@dataclass(frozen=True)
class RhythmMethod:
    """A dance rhythm method: what it needs, and how it detects.

    Attributes
    ----------
    name : str
        As the command line takes it (:data:`mudar.methods.DANCE_RHYTHM`).
    detect : callable
        ``detect(analysis, model) -> (frames, strength)``: rhythm frames, int, shape (k,), and
        per-frame strength, float, shape (n_frames,); ``model`` is None unless ``needs_model``.
    needs_model : bool
        It runs a learned model (loaded by :func:`mudar.pipelines.method.analysis_setup`).
    uses_music : bool
        It sees the music too, which can leak into a rhythm scored or aligned against it.
    needs : tuple of str
        Analysis fields it reads besides the dance features: ``energy`` (the motion energy,
        ``AnalysisConfig.energy_steps > 0``), ``frames`` (RGB frames).
    optional : tuple of str
        Analysis fields it reads where the analysis has them and does without otherwise (the
        timing model: the pose track, where its config reads pose). A file's analysis measures
        them (:func:`measure_needs`); the bench only where another method needs them.
    times : callable, optional
        ``times(analysis) -> seconds``, float64: its own rhythm times, measured below the frame;
        without it the frames are refined on their curve (:func:`rhythm_seconds`). A learned
        method's are those of its last detect on the analysis (:func:`rhythm_seconds` runs it).
    without_music : str, optional
        The method that sees the motion alone (:func:`mudar.pipelines.method.without_music`);
        default the method itself.
    report : callable, optional
        ``report(analysis) -> dict``: keys it adds to the ``dance`` part of
        :func:`rhythm_report` (the pose method: the share of frames with a body).
    accents : str
        What its rhythm points are, in a dancer's words (the page names them so).
    model : str
        Which model ``needs_model`` loads: ``"mudar"`` (a MuDaR checkpoint) or ``"timing"`` (a
        timing model, :mod:`mudar.models.timing`).
    """

    name: str
    detect: Callable[[Analysis, object], tuple[np.ndarray, np.ndarray]]
    needs_model: bool = False
    uses_music: bool = False
    needs: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    times: Callable[[Analysis], np.ndarray] | None = None
    without_music: str | None = None
    report: Callable[[Analysis], dict] | None = None
    accents: str = ""
    model: str = "mudar"


def _learned(with_audio: bool):
    def detect(analysis: Analysis, model) -> tuple[np.ndarray, np.ndarray]:
        r = learned_rhythm(model, analysis, with_audio=with_audio)
        return r.frames, r.probability

    return detect


def _hoof_flux(analysis: Analysis, model=None) -> tuple[np.ndarray, np.ndarray]:
    return analysis.dance.rhythm_frames, analysis.dance.strength


def _directogram(analysis: Analysis, model=None) -> tuple[np.ndarray, np.ndarray]:
    # Davis & Agrawala's impacts, from the same flow as the HOOF
    from mudar.features.directogram import directogram_rhythm

    d = analysis.dance
    return directogram_rhythm(d.hoof * d.magnitude[:, None], fps=analysis.clock.fps)


def _motion_energy(analysis: Analysis, model=None) -> tuple[np.ndarray, np.ndarray]:
    # the stops, between the video's own frames
    from mudar.features.energy import energy_stillness
    from mudar.features.order import unique  # np.unique's first call imports numpy.ma

    fps = analysis.clock.fps
    frames = np.round(stop_times(analysis) * fps).astype(int)
    frames = unique(np.clip(frames, 0, analysis.n_frames - 1))
    return frames, energy_stillness(_energy(analysis), fps=fps)


class _PerArray:
    """What is computed once per array of an analysis (its motion energy, its pose track's
    keypoints) for every task that asks, by the array's id; an entry leaves with its array.
    ``tag`` names what else the value depends on (a clock): another tag computes again."""

    def __init__(self) -> None:
        self._values: dict[int, tuple[object, object]] = {}

    def __contains__(self, key: int) -> bool:
        return key in self._values

    def last(self, array: np.ndarray):
        """The value last computed for ``array`` (whatever its tag), or None."""
        hit = self._values.get(id(array))
        return None if hit is None else hit[1]

    def get(self, array: np.ndarray, compute: Callable[[], object], *, tag: object = None):
        key = id(array)
        hit = self._values.get(key)
        if hit is not None and hit[0] == tag:
            return hit[1]
        value = compute()
        if hit is None:
            weakref.finalize(array, self._values.pop, key, None)
        self._values[key] = (tag, value)
        return value


_STOPS = _PerArray()  # stop_times, per energy array and clock
_TIMED = _PerArray()  # the timing model's times, per energy array and model
_TIMED_BEATS = _PerArray()  # the dance's beats by the timing model, likewise
_SPEEDS = _PerArray()  # joint speed of a pose track, per keypoint array
_BEATS = _PerArray()  # pose_times, per keypoint array and span


def stop_times(analysis: Analysis) -> np.ndarray:
    """The dancer's stops, seconds from the start of ``analysis`` (float64, shape (k,)): the
    minima of its motion energy (:func:`mudar.features.energy.energy_minima`) within its frames.

    Computed once per analysis (the report, the sync curve and the scores of one file all ask
    for them); the result is shared, so do not write to it.
    """
    from mudar.features.energy import energy_minima

    e, fps = _energy(analysis), analysis.clock.fps

    def compute() -> np.ndarray:
        t = energy_minima(e, fps=fps)
        return t[(t >= 0) & (t < analysis.n_frames / fps)]

    return _STOPS.get(e, compute, tag=fps)


def timing_inputs_of(analysis: Analysis, *, use_pose: bool):
    """The learned timing model's inputs (:class:`~mudar.features.candidates.TimingInputs`) of a
    whole analysed file: its motion energy (which it must have, else :class:`ParameterError`)
    and, with ``use_pose`` where the analysis has a pose track, the track's joint speeds. The
    ``timing`` method and the bench's training (:mod:`mudar.pipelines.bench.timing`) build them
    here alone."""
    from mudar.features.candidates import timing_inputs

    e = _energy(analysis)
    track = analysis.pose if use_pose else None
    if track is None:
        return timing_inputs(e, fps=analysis.clock.fps)
    return timing_inputs(
        e,
        fps=analysis.clock.fps,
        pose_times=track.times_s,
        pose_speed=_speed(track),
        pose_keypoints=track.keypoints,
        pose_confidence=track.confidence,
    )


def _timing(analysis: Analysis, model, *, beats: bool = False) -> tuple[np.ndarray, np.ndarray]:
    # the learned timing model: when the dancer accents (which stops, or its own peaks), or,
    # with beats, the steady beat through its probabilities (the dense head's)
    from mudar.models.timing import beat_points, head_probs, points

    e, fps = _energy(analysis), analysis.clock.fps
    pose = model.config.use_pose and analysis.pose is not None
    n, end = analysis.n_frames, analysis.n_frames / fps
    if beats and model.config.head != "dense":
        raise ParameterError("timing-beats needs a timing model with the dense head")

    def compute() -> tuple[np.ndarray, np.ndarray]:
        x = timing_inputs_of(analysis, use_pose=pose)
        c = model.config
        p = head_probs(model, x)  # the model runs once, for the points and the curve
        times = (
            beat_points(p, x)[0] if beats else points(p, x, head=c.head, threshold=c.threshold)[0]
        )
        # each frame: its highest sample (dense), or its stop's probability (candidates)
        at = x.offset_s + np.arange(len(p)) / x.rate if c.head == "dense" else x.times
        strength = np.zeros(n, np.float32)
        k = np.clip(np.floor(at * fps + 0.5), 0, n - 1).astype(int)
        np.maximum.at(strength, k, p.astype(np.float32))
        return times[(times >= 0) & (times < end)], strength

    tag = (model.serial, model.config.threshold, fps, pose)
    times, strength = (_TIMED_BEATS if beats else _TIMED).get(e, compute, tag=tag)
    frames = np.unique(np.clip(np.round(times * fps).astype(int), 0, n - 1))
    return frames, strength


def _timing_method(name: str, *, beats: bool, accents: str) -> RhythmMethod:
    """A method of the timing model (its points, or with ``beats`` its steady beat): the motion
    energy and, where there is one, the pose track; its ``times`` are those its last detect on
    an analysis found (once per analysis and model; a :class:`ParameterError` before it)."""
    cache = _TIMED_BEATS if beats else _TIMED

    def times(analysis: Analysis) -> np.ndarray:
        hit = cache.last(_energy(analysis))
        if hit is None:
            raise ParameterError(f"the {name} method needs its model for its times")
        return hit[0]

    return RhythmMethod(
        name,
        partial(_timing, beats=beats),
        needs_model=True,
        needs=("energy",),
        optional=("pose",),
        times=times,
        report=lambda a: _pose_report(a) if a.pose is not None else {},
        model="timing",
        accents=accents,
    )


def _pose(analysis: Analysis, model=None) -> tuple[np.ndarray, np.ndarray]:
    # the dancer's motion beats: minima of the joint speed of the body's pose track
    from mudar.features.pose import pose_stillness

    fps = analysis.clock.fps
    frames = np.round(pose_times(analysis) * fps).astype(int)
    frames = np.unique(np.clip(frames, 0, analysis.n_frames - 1))
    track = _pose_track(analysis)
    still = pose_stillness(track, n_frames=analysis.n_frames, fps=fps, speed=_speed(track))
    return frames, still


def _speed(track) -> np.ndarray:
    """The joint speed of a pose track, computed once for its beats and its stillness."""
    from mudar.features.pose import joint_speed_curve

    return _SPEEDS.get(track.keypoints, lambda: joint_speed_curve(track))


def pose_times(analysis: Analysis) -> np.ndarray:
    """The dancer's motion beats, seconds from the start of ``analysis`` (float64, shape (k,)):
    the minima of its pose track's joint speed (:func:`mudar.features.pose.pose_minima`) within
    its frames; empty where no body was found. Computed once per analysis; do not write to it.
    """
    from mudar.features.pose import pose_minima

    track = _pose_track(analysis)
    end = analysis.n_frames / analysis.clock.fps

    def compute() -> np.ndarray:
        t = pose_minima(track, speed=_speed(track))
        return t[(t >= 0) & (t < end)]

    return _BEATS.get(track.keypoints, compute, tag=end)


def _pose_track(analysis: Analysis):
    if analysis.pose is None:
        raise ParameterError(
            f"{analysis.path}: its features have no pose track (the pose method needs it: "
            "analyse with pose_stride=1)"
        )
    return analysis.pose


def _pose_report(analysis: Analysis) -> dict:
    found = _pose_track(analysis).found_fraction
    return {"body_found": round(found, 3), "dancer_found": found > 0}


RHYTHM_METHODS: dict[str, RhythmMethod] = {
    m.name: m
    for m in (
        RhythmMethod(
            "mudar",
            _learned(with_audio=True),
            needs_model=True,
            uses_music=True,
            needs=("frames",),
            without_music="mudar-noaudio",
            accents="the beats the learned model hears and sees",
        ),
        # the audio dropout path: the honest visual detector
        RhythmMethod(
            "mudar-noaudio",
            _learned(with_audio=False),
            needs_model=True,
            needs=("frames",),
            accents="the beats the learned model sees in the picture",
        ),
        RhythmMethod(
            "hoof-flux", _hoof_flux, accents="the moments the motion changes its direction"
        ),
        RhythmMethod(
            "directogram", _directogram, accents="the moments a motion starts or stops sharply"
        ),
        RhythmMethod(
            "motion-energy",
            _motion_energy,
            needs=("energy",),
            times=stop_times,
            accents="the moments the picture stops moving",
        ),
        RhythmMethod(
            "pose",
            _pose,
            needs=("pose",),
            times=pose_times,
            report=_pose_report,
            accents="the moments your body stops",
        ),
        _timing_method(
            "timing",
            beats=False,
            accents="the moments the learned timing model takes for your accents",
        ),
        _timing_method(
            "timing-beats",
            beats=True,
            accents="the beats the learned timing model finds in your dancing",
        ),
    )
}
"""Every dance rhythm method, by name, in the order of :data:`mudar.methods.DANCE_RHYTHM`. A new
method is one entry here (and its name there)."""


def rhythm_method(name: str, *, what: str = "dance rhythm method") -> RhythmMethod:
    """The :data:`RHYTHM_METHODS` entry of ``name``.

    Raises
    ------
    ParameterError
        One line, ``unknown <what> 'name'; known: ...``, for a name not in the table.
    """
    entry = RHYTHM_METHODS.get(name)
    if entry is None:
        raise ParameterError(f"unknown {what} {name!r}; known: {', '.join(RHYTHM_METHODS)}")
    return entry


MEASURES: dict[str, Callable[[AnalysisConfig], AnalysisConfig]] = {
    "energy": with_energy,
    "pose": with_pose,
}
"""How an analysis is asked to measure what a method ``needs`` (``frames`` comes with a model's
own analysis settings)."""


def measure_needs(
    config: AnalysisConfig, methods: Iterable[str], *, optional: bool = True
) -> AnalysisConfig:
    """``config`` measuring what the dance rhythm ``methods`` read that it does not yet: the
    motion energy (:func:`mudar.features.analysis.with_energy`), the pose track
    (:func:`mudar.features.analysis.with_pose`). Names not in :data:`RHYTHM_METHODS` (floors,
    baselines) need nothing. ``optional=False``: what they can do without
    (:attr:`RhythmMethod.optional`) is left out."""
    entries = [RHYTHM_METHODS[m] for m in methods if m in RHYTHM_METHODS]
    needs = {n for e in entries for n in (*e.needs, *(e.optional if optional else ()))}
    for need in sorted(needs & MEASURES.keys()):
        config = MEASURES[need](config)
    return config


def dance_rhythm(
    analysis: Analysis, *, method: str = "hoof-flux", model=None
) -> tuple[np.ndarray, np.ndarray]:
    """Dance rhythm frames (int, (k,)) and per-frame strength (float, (n_frames,)) of a file.

    ``method`` is one of :data:`RHYTHM_METHODS`; those that need a model take ``model``, and the
    analysis must have been made at the model's frame clock and frame size.
    """
    entry = rhythm_method(method)
    if analysis.dance is None:
        raise ParameterError(f"{analysis.path}: no video, so no dance rhythm")
    if entry.needs_model and model is None:
        raise ParameterError(f"method {method!r} needs a model")
    return entry.detect(analysis, model if entry.needs_model else None)


def rhythm_seconds(
    analysis: Analysis,
    method: str,
    frames: np.ndarray | None = None,
    curve: np.ndarray | None = None,
    *,
    model=None,
) -> np.ndarray:
    """A method's rhythm times in seconds from the start of ``analysis`` (float64).

    A method with its own times (``motion-energy``: measured below the frame at the video's
    rate, :func:`stop_times`) gives them; any other method's ``frames`` are refined below the
    frame on the ``curve`` they were picked on (:func:`mudar.features.dance.refine_times`), or
    taken as they are without a curve. ``model``: for a learned method with its own times.
    """
    entry = RHYTHM_METHODS.get(method)  # a floor or a bench row has no entry: frames it is
    if entry is not None and entry.times is not None:
        if entry.needs_model and model is not None:
            entry.detect(analysis, model)  # its times come from its run (memoised)
        return entry.times(analysis)
    if frames is None:
        raise ParameterError(f"method {method!r}: its rhythm frames are needed")
    fps = analysis.clock.fps
    if curve is None:
        return rhythm_times(frames, fps=fps)
    from mudar.features.dance import refine_times

    return refine_times(curve, np.asarray(frames, int), fps=fps)


def _energy(analysis: Analysis) -> np.ndarray:
    e = analysis.dance.energy if analysis.dance is not None else None
    if e is None:
        raise ParameterError(
            f"{analysis.path}: its features have no motion energy (the motion-energy method "
            "needs it: analyse with energy_steps=4, or `mudar prepare --motion-energy`)"
        )
    return e


def _times(x: np.ndarray) -> list[float]:
    return [round(float(t), 3) for t in x]


def rhythm_report(analysis: Analysis, *, method: str = "hoof-flux", model=None) -> dict:
    """The rhythm of an analysed file.

    Parameters
    ----------
    analysis : Analysis
    method : str
        Dance rhythm method, one of :data:`RHYTHM_METHODS`.
    model : MuDaR, optional
        The learned model, for the methods that need one.

    Returns
    -------
    dict
        ``{"file", "duration_s", "fps", "music": {...} | None, "dance": {...} | None}``, times in
        seconds from the start of the file; ``music`` holds ``tempo_bpm`` (the beats' median
        interval), ``tempo_alternatives``
        (:func:`~mudar.features.music.music_tempo_alternatives`), ``beat_times`` and
        ``onset_times``.
    """
    rhythm_method(method)
    fps = analysis.clock.fps
    music = None
    if analysis.music is not None:
        m = analysis.music
        music = {
            "tempo_bpm": round(float(m.tempo_bpm), 2),
            # the half or double tempo when the music supports it nearly as well (80 vs 160)
            "tempo_alternatives": music_tempo_alternatives(m, clock=analysis.clock),
            "beat_times": _times(m.beat_times + analysis.start_s),
            "onset_times": _times(m.onset_times + analysis.start_s),
        }
    dance = None
    if analysis.dance is not None:
        frames, strength = dance_rhythm(analysis, method=method, model=model)
        dance = {
            "method": method,
            "rhythm_times": _times(
                rhythm_seconds(analysis, method, frames, model=model) + analysis.start_s
            ),
            "rhythm_strength": [round(float(s), 4) for s in strength],
        }
        entry = RHYTHM_METHODS[method]
        if entry.report is not None:
            dance |= entry.report(analysis)
    # a whole file reports its own length; a clip, the frames it spans
    whole = analysis.start_s == 0
    duration = (
        float(analysis.info.get("duration_s", analysis.duration_s))
        if whole
        else analysis.duration_s
    )
    return {
        "file": analysis.path,
        "duration_s": round(duration, 3),
        "fps": float(fps),
        "music": music,
        "dance": dance,
    }
