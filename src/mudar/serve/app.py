"""The web page of ``mudar serve``: a FastAPI app serving one static page and a small JSON API.

Routes (every error is ``{"detail": "one line"}`` with a 4xx status; never a traceback):

- ``GET /``: the page; ``GET /static/...``: its script and style;
- ``GET /api/info``: the files to pick, the limits, whether genre and retrieval are available;
- ``POST /api/upload?name=NAME``: the file as the request body (streamed, refused with 413 over
  the size limit, 400 when empty or no media); ``GET|DELETE /api/files/{id}``;
- ``POST /api/analyze|fix|retarget|retrieve``: queue a job (JSON body with file ids; ``fix``
  takes ``force`` or an ``offset`` in seconds chosen by the user);
- ``GET /api/jobs/{id}``, ``POST /api/jobs/{id}/cancel``, ``GET /api/jobs/{id}/download``;
- ``GET /api/jobs/{id}/markers?format=csv|json|srt&count_from=N``: an analysis's beats
  (counted 1-8 from beat N) and dance accents, as a marker file (``mudar rhythm --markers``).

Every file lives in one temporary folder, removed when the app shuts down.
"""

# no `from __future__ import annotations`: FastAPI reads the routes' annotations, which name
# classes imported inside create_app (FastAPI is optional)
import contextlib
import logging
import re
import tempfile
from importlib import resources
from pathlib import Path

import numpy as np

from mudar.errors import MudarError
from mudar.methods import DEFAULT_MAX_OFFSET_S, MARKER_FORMATS, RETARGET
from mudar.optional import require
from mudar.pipelines.retarget_options import RetargetOptions
from mudar.serve import work
from mudar.serve.jobs import JobQueue
from mudar.serve.store import FileStore, TooLarge

log = logging.getLogger("mudar.serve")

DEFAULT_MAX_UPLOAD_MB = 500.0
DEMO_CLIPS = (("dance-120bpm", 120.0, 1), ("dance-90bpm", 90.0, 2), ("dance-150bpm", 150.0, 3))
"""(name, tempo BPM, seed) of the synthetic demo dances offered when no ``--media`` is given."""


def make_demo_media(folder: Path, *, duration_s: float = 10.0) -> Path:
    """Write the demo's synthetic dances (``.mp4`` with music) and their songs (``.wav``).

    Each is a rendered dancer (:func:`mudar.synthetic.skeleton.render_frames`, a figure that
    MediaPipe finds, so the page can draw its skeleton and judge its timing by the body) who
    stops on every beat of a drum pattern at the clip's tempo, 25 fps, 320x320.
    """
    from mudar.io.write import write_audio, write_video
    from mudar.synthetic.motion import dance_joints
    from mudar.synthetic.skeleton import LOOKS, render_frames
    from mudar.synthetic.soundtrack import synth_music

    folder.mkdir(parents=True, exist_ok=True)
    fps, sr = 25.0, 22050
    for name, tempo, seed in DEMO_CLIPS:
        music, beats = synth_music(tempo_bpm=tempo, duration_s=duration_s, sr=sr, seed=seed)
        joints = dance_joints(
            beats, n_frames=round(duration_s * fps), fps=fps, rng=np.random.default_rng(seed)
        )
        look = LOOKS["side"]  # the arms swing across the picture, not in depth
        write_video(
            folder / f"{name}.mp4",
            render_frames(joints, fps=fps, look=look),
            fps=fps,
            audio=music,
            sr=sr,
        )
        write_audio(folder / f"{name}.wav", music, sr=sr)
    return folder


def create_app(
    *,
    media: str | Path | None = None,
    index: str | Path | None = None,
    classifier: str | Path | None = None,
    checkpoint: str | Path | None = None,
    dance_method: str | None = None,
    max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB,
    demo_duration_s: float = 10.0,
):
    """The app of ``mudar serve``.

    Parameters
    ----------
    media : path-like, optional
        A folder whose media files the page offers to pick; default: synthetic demo dances
        (:func:`make_demo_media`), written into the temporary folder.
    index : path-like, optional
        Folder of ``mudar index build``, for "find music for a dance" and back.
    classifier : path-like, optional
        Genre classifier of ``mudar classify train``.
    checkpoint : path-like, optional
        MuDaR model (default: the shipped one).
    dance_method : str, optional
        Dance rhythm method of the timeline and the on-beat feedback (run without the music);
        default :func:`mudar.pipelines.method.body_method`: ``pose`` with the pose extra, else
        ``motion-energy``. With the pose extra the page also draws the dancer's skeleton.
    max_upload_mb : float
        Largest upload, MB (10**6 bytes).
    demo_duration_s : float
        Length of the demo dances, seconds.

    Returns
    -------
    fastapi.FastAPI
        With ``app.state.store`` (:class:`~mudar.serve.store.FileStore`), ``app.state.jobs``
        (:class:`~mudar.serve.jobs.JobQueue`) and ``app.state.close()``.

    Raises
    ------
    MissingDependency
        FastAPI is not installed (``pip install 'mudar[serve]'``), or ``dance_method="pose"``
        without the pose extra.
    InputError, ParameterError
        A missing media folder, index or classifier; a bad method or limit.
    """
    fastapi = require("fastapi", purpose="mudar serve")
    from fastapi import Body, HTTPException, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import FileResponse, JSONResponse
    from fastapi.staticfiles import StaticFiles
    from starlette.concurrency import run_in_threadpool

    from mudar.errors import InputError, ParameterError
    from mudar.pipelines.method import body_method

    if not max_upload_mb > 0:
        raise ParameterError(f"the upload limit must be positive, got {max_upload_mb} MB")
    for kind, p in (
        ("folder", index),
        ("file", classifier),
        ("folder", media),
        ("file", checkpoint),
    ):
        if p is not None and not Path(p).exists():
            raise InputError(f"{p}: no such {kind}")
    tmp = tempfile.TemporaryDirectory(prefix="mudar-serve-")
    root = Path(tmp.name)
    try:
        settings = work.Settings(
            dance_method=dance_method or body_method(),
            checkpoint=None if checkpoint is None else str(checkpoint),
            classifier=None if classifier is None else str(classifier),
            index=None if index is None else str(index),
            cache_dir=str(root / "cache"),
        )
        settings.check()  # a bad classifier or index fails now, not at the first upload
        store = FileStore(root / "files", max_bytes=int(max_upload_mb * 1e6))
        folder = Path(media) if media is not None else None
        if folder is None:
            folder = make_demo_media(root / "demo", duration_s=demo_duration_s)
        offered = store.add_media_folder(folder)
    except BaseException:
        tmp.cleanup()
        raise
    log.info("%d media file(s) to pick", len(offered))
    jobs = JobQueue(root / "jobs")

    def close() -> None:
        jobs.close()
        tmp.cleanup()

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        yield
        close()

    app = fastapi.FastAPI(title="mudar", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.store, app.state.jobs, app.state.settings, app.state.close = (
        store,
        jobs,
        settings,
        close,
    )
    static = resources.files("mudar.serve") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    def public(text: str) -> str:
        """A message without the server's temporary paths: only the files' names."""
        return re.sub(re.escape(str(root)) + r"/\S*/([^/\s:]+)", r"\1", text)

    @app.exception_handler(MudarError)
    async def _mudar_error(_request, e: MudarError):
        return JSONResponse({"detail": public(str(e))}, status_code=400)

    @app.exception_handler(RequestValidationError)
    async def _bad_request(_request, e: RequestValidationError):  # one line, not pydantic's list
        parts = [
            f"{'.'.join(str(x) for x in err['loc'][1:]) or 'body'}: {err['msg']}"
            for err in e.errors()
        ]
        return JSONResponse({"detail": "bad request: " + "; ".join(parts)}, status_code=422)

    @app.exception_handler(Exception)
    async def _bug(_request, e: Exception):  # logged with its traceback; one line for the page
        log.exception("request failed")
        return JSONResponse(
            {"detail": f"internal error ({type(e).__name__}); see the server's log"},
            status_code=500,
        )

    def file_or_404(file_id: str):
        f = store.get(file_id)
        if f is None:
            raise HTTPException(404, f"no file {file_id!r} (uploads are gone after a restart)")
        return f

    def job_or_404(job_id: str):
        job = jobs.get(job_id)
        if job is None:
            raise HTTPException(
                404, f"no job {job_id!r} (a finished job is forgotten after {jobs.remember} more)"
            )
        return job

    def job_view(job) -> dict:
        d = job.to_dict()
        d["queue_position"] = jobs.position(job)
        if d["error"]:
            d["error"] = public(d["error"])
        return d

    @app.get("/", include_in_schema=False)
    def page():
        return FileResponse(str(static / "index.html"), media_type="text/html")

    @app.get("/api/info")
    def info():
        return {
            "media": [f.to_dict() for f in store.media()],
            "max_upload_mb": max_upload_mb,
            "dance_method": settings.dance_method,
            "accents": settings.accents(),
            "skeleton": None if settings.skeleton else work.skeleton_missing(),
            "retarget_methods": list(RETARGET),
            "low_sync_confidence": work.LOW_SYNC_CONFIDENCE,
            "max_offset_s": DEFAULT_MAX_OFFSET_S,
            "genre": None if settings.classifier else work.NO_GENRE_MODEL,
            "index": None if settings.index else work.NO_INDEX,
        }

    @app.post("/api/upload")
    async def upload(request: Request, name: str = "upload"):
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > store.max_bytes:
            raise HTTPException(413, _too_large(name, max_upload_mb))
        file_id, path = store.new_upload(name)
        size = 0
        try:
            with open(path, "wb") as out:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > store.max_bytes:
                        raise TooLarge(_too_large(name, max_upload_mb))
                    out.write(chunk)
        except TooLarge as e:
            store.discard_folder(file_id)
            raise HTTPException(413, str(e)) from None
        except BaseException:
            store.discard_folder(file_id)  # the client went away: nothing half-written stays
            raise
        f = await run_in_threadpool(store.accept_upload, file_id, path, name)
        return f.to_dict()

    @app.get("/api/files/{file_id}")
    def get_file(file_id: str):
        f = file_or_404(file_id)
        return FileResponse(str(f.path), filename=f.name)

    @app.delete("/api/files/{file_id}")
    def delete_file(file_id: str):
        file_or_404(file_id)
        if not store.remove(file_id):
            raise HTTPException(400, "an offered media file cannot be removed")
        return {"removed": file_id}

    @app.post("/api/analyze")
    def analyze(file: str = Body(..., embed=True)):
        f = file_or_404(file)
        return job_view(jobs.submit("analyze", lambda job: work.analyze_job(job, f, settings)))

    @app.post("/api/fix")
    def fix(file: str = Body(...), force: bool = Body(False), offset: float | None = Body(None)):
        f = file_or_404(file)
        if not (f.has_video and f.has_audio):
            raise HTTPException(400, f"{f.name}: a video with sound is needed to fix its sync")
        if offset is not None:
            work.check_offset(offset, f)  # one 400 now, not a failed job
        return job_view(
            jobs.submit("fix", lambda job: work.fix_job(job, f, force=force, offset_s=offset))
        )

    @app.post("/api/retarget")
    def retarget(
        video: str = Body(...),
        music: str = Body(...),
        method: str = Body("dtw"),
        end: str = Body("loop"),
        song_start: float = Body(0.0),
        song_end: float | None = Body(None),
    ):
        v, m = file_or_404(video), file_or_404(music)
        if method not in RETARGET:
            raise HTTPException(400, f"unknown method {method!r}; known: {', '.join(RETARGET)}")
        song = {"end": end, "song_start": song_start, "song_end": song_end}
        RetargetOptions(**song)  # one clear 400 (ParameterError) for a bad end or song part
        if not v.has_video:
            raise HTTPException(400, f"{v.name}: has no pictures; the dance must be a video")
        if not m.has_audio:
            raise HTTPException(400, f"{m.name}: has no sound; the song must have music")
        return job_view(
            jobs.submit(
                "retarget",
                lambda job: work.retarget_job(job, v, m, method=method, settings=settings, **song),
            )
        )

    @app.post("/api/retrieve")
    def retrieve(file: str = Body(...), direction: str = Body("dance2music")):
        f = file_or_404(file)
        if settings.index is None:
            raise HTTPException(400, work.NO_INDEX)

        def retrieve_and_offer(job) -> dict:
            """The hits, each with its file offered to the page (``media``: its id to preview
            and retarget onto; None when the index's file is gone)."""
            result = work.retrieve_job(job, f, direction=direction, settings=settings)
            for hit in result["results"]:
                known = store.offer(Path(hit["file"]))
                hit["name"] = Path(hit["file"]).name
                hit["media"] = None if known is None else known.to_dict()
            return result

        return job_view(jobs.submit("retrieve", retrieve_and_offer))

    @app.get("/api/jobs/{job_id}")
    def get_job(job_id: str):
        return job_view(job_or_404(job_id))

    @app.post("/api/jobs/{job_id}/cancel")
    def cancel_job(job_id: str):
        job = job_or_404(job_id)
        jobs.cancel(job)
        return job_view(job)

    @app.get("/api/jobs/{job_id}/markers")
    def markers(job_id: str, format: str = "csv", count_from: int = 1):  # noqa: A002
        """The beats (counted 1-8 from beat ``count_from``) and the dance accents of an
        analysis, as a marker file to download (``mudar rhythm --markers``)."""
        from fastapi.responses import Response

        from mudar.pipelines.rhythm import markers_text
        from mudar.report.markers import MEDIA_TYPES

        job = job_or_404(job_id)
        if job.kind != "analyze" or job.state != "done":
            raise HTTPException(404, f"job {job_id} is no finished analysis ({job.state})")
        if format not in MARKER_FORMATS:
            raise HTTPException(
                400, f"unknown marker format {format!r}; known: {', '.join(MARKER_FORMATS)}"
            )
        if count_from < 1:
            raise HTTPException(400, f"count_from must be a beat number >= 1, got {count_from}")
        timeline = job.result["timeline"]
        text = markers_text(timeline, format, first_beat=count_from - 1)
        name = f"{work.output_stem(timeline['file'])}-markers.{format}"
        return Response(
            text.encode(),
            media_type=f"{MEDIA_TYPES[format]}; charset=utf-8",
            headers={"Content-Disposition": _attachment(name)},
        )

    @app.get("/api/jobs/{job_id}/download")
    def download(job_id: str):
        job = job_or_404(job_id)
        if job.state != "done" or job.output is None or not job.output.is_file():
            raise HTTPException(404, f"job {job_id} has no file to download ({job.state})")
        return FileResponse(str(job.output), filename=job.output.name)

    return app


def _attachment(name: str) -> str:
    """A Content-Disposition for a download named ``name`` (RFC 6266: an ASCII fallback and
    the UTF-8 name, so that an accented or CJK name survives)."""
    from urllib.parse import quote

    fallback = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


def _too_large(name: str, limit_mb: float) -> str:
    return f"{name}: larger than the upload limit of {limit_mb:g} MB"
