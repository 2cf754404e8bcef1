"""What each job of the page does: the same pipeline calls as the command line's ``mudar
rhythm``, ``sync``, ``bas``, ``classify predict``, ``retarget`` and ``retrieve``, in steps that
report progress and can be cancelled between them. No computation of its own."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

from mudar.errors import MudarError, ParameterError, UnreliableError
from mudar.methods import RETARGET
from mudar.optional import MissingDependency, installed, require
from mudar.pipelines.bas import analysis_bas
from mudar.pipelines.method import analysis_setup, body_method, without_music
from mudar.pipelines.retarget import check_retarget_paths, retarget_files
from mudar.pipelines.retarget_options import RetargetOptions
from mudar.pipelines.sync import sync_file
from mudar.pipelines.timeline import analysed_timeline
from mudar.serve.jobs import Job
from mudar.serve.store import StoredFile
from mudar.tasks.rhythm import measure_needs, rhythm_method

LOW_SYNC_CONFIDENCE = 0.1
"""Below this confidence the page says that the delay is not pinned down (as ``mudar sync``)."""

NO_GENRE_MODEL = (
    "no genre model: start the server with --classifier CLS (a file of `mudar classify train`)"
)
NO_DANCER = "no dancer found"


def skeleton_missing() -> str | None:
    """None where the pose extra is installed, else the one line that says how to install it."""
    if installed("mediapipe"):
        return None
    try:
        require("mediapipe", purpose="the skeleton over the video")
    except MissingDependency as e:
        return str(e)
    return None  # importable after all


NO_INDEX = (
    "no index: build one with `mudar index build DANCES_AND_SONGS... --out IDX` and start the "
    "server with --index IDX"
)


@dataclass
class Settings:
    """What the server was started with.

    Attributes
    ----------
    dance_method : str
        Dance rhythm method of the timeline and of the on-beat feedback
        (:data:`mudar.methods.DANCE_RHYTHM`; the feedback runs it without the music).
    checkpoint : str or None
        MuDaR model of the ``mudar`` methods (None: the shipped one).
    classifier : str or None
        Genre classifier of ``mudar classify train`` (None: no genre).
    index : str or None
        Folder of ``mudar index build`` (None: no retrieval).
    cache_dir : str or None
        Feature cache of the embeddings (genre, retrieval); the server's temporary folder.
    skeleton : bool
        Track the dancer's body for the skeleton over the video (the ``pose`` extra; default:
        where it is installed).
    """

    dance_method: str = field(default_factory=body_method)
    checkpoint: str | None = None
    classifier: str | None = None
    index: str | None = None
    cache_dir: str | None = None
    skeleton: bool = field(default_factory=lambda: installed("mediapipe"))
    _setups: dict = field(default_factory=dict, repr=False)
    _classifier: object = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        entry = rhythm_method(self.dance_method, what="dance method")
        # without the extra: one line now, not at every analysis
        if "pose" in (*entry.needs, *entry.optional):
            require("mediapipe", purpose=f"the {entry.name} dance rhythm")

    def check(self) -> None:
        """Load the classifier and the index once, so that a bad one is an error at start.

        Raises
        ------
        InputError, ParameterError, MissingDependency
        """
        self.genre_model()
        if self.index is not None:
            from mudar.tasks.index import Index  # faiss: only with an index

            Index.load(self.index)

    def setup(self, method: str, *, skeleton: bool = False):
        """(AnalysisConfig, model) of ``method``, loaded once; with ``skeleton`` (and the pose
        extra) the analysis tracks the dancer's body too."""
        with self._lock:
            if method not in self._setups:
                self._setups[method] = analysis_setup(method, checkpoint=self.checkpoint)
            config, model = self._setups[method]
        if skeleton and self.skeleton:
            config = measure_needs(config, ["pose"])
        return config, model

    def accents(self) -> dict:
        """The feedback's method (run without the music) and what its accents are, in words."""
        method = without_music(self.dance_method)
        return {"method": method, "words": rhythm_method(method).accents}

    def genre_model(self):
        with self._lock:
            if self._classifier is None and self.classifier is not None:
                from mudar.tasks.classify import load_classifier  # torch: only with one

                self._classifier = load_classifier(self.classifier)
            return self._classifier


def _section(fn, *args, **kwargs) -> dict:
    """``fn``'s report, or ``{"error": message}`` when the file does not allow it (a video
    without sound has no sync estimate): the other sections still show."""
    try:
        return fn(*args, **kwargs)
    except MudarError as e:
        return {"error": str(e)}


def analyze_job(job: Job, f: StoredFile, settings: Settings) -> dict:
    """Timeline (rhythm report, curves and the dancer's pose track), sync estimate, BAS and
    on-beat feedback (of the same analysis) and genre of one file."""
    path = str(f.path)
    job.advance("loading the model", 0.02)
    config, model = settings.setup(settings.dance_method, skeleton=True)
    job.advance(
        "music and dance rhythm" + (", the dancer's body" if config.pose_stride else ""), 0.1
    )
    analysis, timeline = analysed_timeline(
        path, config=config, method=settings.dance_method, model=model
    )
    result = {"file": f.to_dict(), "timeline": timeline, "accents": settings.accents()}
    result["pose"] = _pose(timeline.pop("pose"), f, settings)

    job.advance("sync estimate", 0.55)
    if f.has_video and f.has_audio:
        result["sync"] = _section(sync_file, path)
    else:
        result["sync"] = {"error": "needs a video with sound"}

    job.advance("beat alignment score", 0.75)
    if f.has_video and f.has_audio:
        result["bas"] = _section(analysis_bas, analysis, method=settings.dance_method, model=model)
    else:
        result["bas"] = {"error": "needs a video with sound"}

    job.advance("genre", 0.85)
    result["genre"] = _genre(path, settings)
    for section in ("sync", "bas"):  # the page names files by their names, not temporary paths
        for key in ("file", "music"):
            if key in result[section]:
                result[section][key] = f.name
    result["timeline"]["file"] = f.name
    return result


def _pose(overlay: dict | None, f: StoredFile, settings: Settings) -> dict | None:
    """The pose track to draw, or ``{"error": ...}`` without the pose extra; None for a song."""
    if not f.has_video:
        return None
    if overlay is None:
        return {"error": skeleton_missing() or "no pose track"}
    if overlay["found_fraction"] == 0:
        overlay["note"] = NO_DANCER
    return overlay


def _genre(path: str, settings: Settings) -> dict:
    clf = settings.genre_model()
    if clf is None:
        return {"error": NO_GENRE_MODEL}
    from mudar.io.media import probe
    from mudar.pipelines.classify import AUDIO_ONLY
    from mudar.pipelines.embed import embed_files
    from mudar.tasks.classify import predict

    if not probe(path).has_video:  # a dance classifier: a song alone is refused
        return {"error": f"{Path(path).name} {AUDIO_ONLY}", "genres": list(clf.labels)}
    emb = embed_files(
        [path], model=clf.encoder_model(), cache_dir=settings.cache_dir, jobs=1, progress=False
    )
    if emb.skipped:
        return {"error": emb.skipped[0][1]}
    rec = predict(clf, emb).records()[0]
    rec.pop("file")  # a temporary path: the page names the file itself
    return rec


def check_offset(offset_s: float, f: StoredFile) -> None:
    """:class:`ParameterError` unless ``offset_s`` is a number of seconds that leaves some of
    the sound of ``f`` in it (shorter than the file)."""
    if not math.isfinite(offset_s) or abs(offset_s) >= f.duration_s:
        raise ParameterError(
            f"offset {offset_s} s: give a number of seconds between -{f.duration_s:.2f} and "
            f"+{f.duration_s:.2f} (the length of {f.name})"
        )


def fix_job(job: Job, f: StoredFile, *, force: bool = False, offset_s: float | None = None) -> dict:
    """The sync estimate and the repaired copy (``mudar sync --fix [--force]``): an error,
    nothing written, when the delay is below the calibrated confidence and not ``force``.
    With ``offset_s`` (chosen by the user, ``mudar sync --fix --offset``) the audio moves by
    it, without an estimate first; the copy is measured again either way."""
    if offset_s is None:
        out = job.folder / f"{_stem(f.name)}-synced{_video_suffix(f.name)}"
        job.advance("estimating the delay and writing the repaired video", 0.1)
    else:
        check_offset(offset_s, f)
        out = job.folder / f"{_stem(f.name)}-audio{offset_s:+.3f}s{_video_suffix(f.name)}"
        job.advance("moving the audio and measuring the repaired video", 0.1)
    try:
        report = sync_file(str(f.path), fixed=out, force=force, offset_s=offset_s)
    except UnreliableError as e:  # the page names files by their names, not stored paths
        raise UnreliableError(str(e).replace(str(f.path), f.name)) from None
    job.output = out
    report["file"], report["fixed"] = f.name, out.name
    return report


def retarget_job(
    job: Job,
    video: StoredFile,
    music: StoredFile,
    *,
    method: str,
    settings: Settings,
    max_side: int = 0,
    end: str = "loop",
    song_start: float = 0.0,
    song_end: float | None = None,
) -> dict:
    """The dance of ``video`` re-timed onto ``music`` (``mudar retarget``): ``end`` and the
    song part ``song_start``..``song_end`` as in :class:`RetargetOptions`."""
    if method not in RETARGET:
        raise ParameterError(f"unknown retarget method {method!r}; known: {', '.join(RETARGET)}")
    out = job.folder / f"{_stem(video.name)}-on-{_stem(music.name)}-{method}.mp4"
    job.advance("checking the files", 0.05)
    check_retarget_paths(video.path, music.path, out)
    # the command line's defaults (see its --help), the dance rhythm of the motion alone
    defaults = RetargetOptions()
    options = replace(
        defaults,
        method=method,
        dance_method=without_music(defaults.dance_method),
        max_side=max_side,
        end=end,
        song_start=song_start,
        song_end=song_end,
    )
    config, model = settings.setup(options.dance_method)
    job.advance("detecting the rhythms", 0.1)

    def encoded(share: float) -> None:  # raises Cancelled: the half-written video is dropped
        label = "re-timing and encoding" if share < 1 else "measuring the result"
        job.advance(label, 0.15 + 0.8 * share)

    report = retarget_files(
        video.path,
        music.path,
        out,
        options=options,
        config=config,
        model=model,
        progress=False,
        on_progress=encoded,
    )
    job.output = out
    report["video"], report["music"], report["out"] = video.name, music.name, out.name
    return report


def retrieve_job(job: Job, f: StoredFile, *, direction: str, settings: Settings) -> dict:
    """The clips of the index that fit ``f`` (``mudar retrieve``)."""
    from mudar.pipelines.retrieve import retrieve_file
    from mudar.tasks.retrieve import DEFAULT_LAMBDA3, DIRECTIONS

    if settings.index is None:
        raise ParameterError(NO_INDEX)
    if direction not in DIRECTIONS:
        raise ParameterError(f"unknown direction {direction!r}; known: {', '.join(DIRECTIONS)}")
    job.advance("embedding the query and ranking the index", 0.1)
    hits, emb, own = retrieve_file(
        settings.index,
        str(f.path),
        direction=direction,
        top_k=10,
        lambda3=DEFAULT_LAMBDA3,
        checkpoint=settings.checkpoint,
        cache_dir=settings.cache_dir,
    )
    return {
        "query": f.name,
        "direction": direction,
        "lambda": DEFAULT_LAMBDA3,
        "query_clips": len(emb),
        "left_out": [Path(name).name for name in own],
        "results": [h.as_dict() for h in hits],
    }


def output_stem(name: str) -> str:
    """The stem of a file's name for the name of what is made from it (``dance-markers.csv``)."""
    return _stem(name)


def _stem(name: str, room: int = 80) -> str:
    """The stem of a file name for an output's name, at most ``room`` UTF-8 bytes (cut at the
    end: a long accented or CJK name must not make a name the file system refuses)."""
    stem = Path(name).stem.encode()[:room].decode("utf-8", errors="ignore").strip()
    return stem.lstrip(".") or "file"


def _video_suffix(name: str) -> str:
    from mudar.io.write import CONTAINERS

    suffix = Path(name).suffix.lower()
    return suffix if suffix in CONTAINERS else ".mkv"
