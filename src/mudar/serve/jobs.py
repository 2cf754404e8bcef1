"""The web page's long work, in order: a queue of jobs run one at a time by one worker thread,
each with its progress, a cancel flag, and a result or a one-line error.

One worker, because the work is CPU-bound and already uses the cores it is given (decoding,
optical flow, encoding); several uploads at once wait their turn instead of slowing each other.
"""

from __future__ import annotations

import itertools
import logging
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mudar.errors import MudarError

log = logging.getLogger("mudar.serve")

STATES = ("queued", "running", "done", "error", "cancelled")


class Cancelled(Exception):
    """Raised inside a job at its next step once it has been cancelled."""


@dataclass
class Job:
    """One piece of work of the page.

    Attributes
    ----------
    id : str
    kind : str
        What it does (``analyze``, ``fix``, ``retarget``, ``retrieve``).
    folder : Path
        Where its outputs go; removed when it is cancelled or fails.
    state : str
        One of :data:`STATES`.
    step : str
        What it is doing now, for the page.
    progress : float
        Share of the work done, in [0, 1].
    result : dict or None
        What it returned, once done.
    error : str or None
        The one-line message, once failed.
    output : Path or None
        The file to download, when the job makes one.
    """

    id: str
    kind: str
    folder: Path
    work: Callable[[Job], dict] = field(repr=False)
    state: str = "queued"
    step: str = "waiting for the jobs before it"
    progress: float = 0.0
    result: dict | None = None
    error: str | None = None
    output: Path | None = None
    created: float = field(default_factory=time.time)
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)

    def advance(self, step: str, progress: float) -> None:
        """Report the next step; stop here (raise :class:`Cancelled`) when cancelled."""
        if self._cancel.is_set():
            raise Cancelled
        self.step, self.progress = step, min(max(float(progress), 0.0), 1.0)

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "state": self.state,
            "step": self.step,
            "progress": round(self.progress, 3),
            "result": self.result,
            "error": self.error,
            "download": self.output is not None and self.state == "done",
        }


class JobQueue:
    """Jobs run in the order they came, by one worker thread.

    Parameters
    ----------
    root : Path
        Each job gets a folder ``root/<id>`` for its outputs.
    keep : int
        Finished jobs whose files are kept; past that the oldest one's files are removed (its
        result stays, its download is gone), so that a server left running does not fill the
        disk.
    remember : int
        Finished jobs remembered at all; past that the oldest one is forgotten (its id answers
        404), so that the results of a server left running (a timeline of an hour of video is
        megabytes) do not grow its memory without end.
    """

    def __init__(self, root: Path, *, keep: int = 20, remember: int = 500) -> None:
        self.root = Path(root)
        self.keep = int(keep)
        self.remember = int(remember)
        self._jobs: dict[str, Job] = {}
        self._order: list[str] = []
        self._lock = threading.Condition()
        self._ids = itertools.count(1)
        self._closed = False
        self._worker = threading.Thread(target=self._run, name="mudar-serve-worker", daemon=True)
        self._worker.start()

    def submit(self, kind: str, work: Callable[[Job], dict]) -> Job:
        """Queue ``work(job)``; it returns the job's result dict and may set ``job.output``."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the job queue is closed")
            job_id = f"{kind}-{next(self._ids)}"
            folder = self.root / job_id
            folder.mkdir(parents=True)
            job = Job(id=job_id, kind=kind, folder=folder, work=work)
            self._jobs[job_id] = job
            self._order.append(job_id)
            self._lock.notify_all()
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def position(self, job: Job) -> int:
        """Jobs still to run before ``job`` (0 when it runs or has run)."""
        with self._lock:
            if job.state != "queued":
                return 0
            waiting = [j for j in self._order if self._jobs[j].state in ("queued", "running")]
            return waiting.index(job.id)

    def cancel(self, job: Job) -> None:
        """Stop a job: a queued one never starts, a running one stops at its next step; its
        files are removed. A finished job is left as it is."""
        with self._lock:
            if job.state not in ("queued", "running"):
                return
            job._cancel.set()
            if job.state == "queued":
                job.state, job.step = "cancelled", "cancelled"
                shutil.rmtree(job.folder, ignore_errors=True)

    def wait(self, job: Job, timeout: float = 60.0) -> Job:
        """Block until ``job`` has finished (for tests and scripts)."""
        end = time.monotonic() + timeout
        with self._lock:
            while job.state in ("queued", "running"):
                left = end - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"job {job.id} still {job.state} after {timeout} s")
                self._lock.wait(left)
        return job

    def close(self) -> None:
        """Cancel what is left and stop the worker after its current step."""
        with self._lock:
            self._closed = True
            for job in self._jobs.values():
                if job.state in ("queued", "running"):
                    job._cancel.set()
            self._lock.notify_all()
        self._worker.join(timeout=30)

    def _next(self) -> Job | None:
        with self._lock:
            while True:
                for job_id in self._order:
                    job = self._jobs[job_id]
                    if job.state == "queued":
                        job.state = "running"
                        return job
                if self._closed:
                    return None
                self._lock.wait()

    def _run(self) -> None:
        while (job := self._next()) is not None:
            try:
                job.advance("starting", 0.0)
                result = job.work(job)
            except Cancelled:
                self._finish(job, "cancelled", step="cancelled")
            except MudarError as e:
                self._finish(job, "error", error=str(e))
            except OSError as e:
                self._finish(job, "error", error=f"{e.filename or ''}: {e.strerror or e}")
            except Exception as e:  # a bug: logged with its traceback, one line on the page
                log.exception("job %s failed", job.id)
                self._finish(job, "error", error=f"internal error ({type(e).__name__}: {e})")
            else:
                if job.cancelled:  # cancelled during its last step
                    self._finish(job, "cancelled", step="cancelled")
                else:
                    self._finish(job, "done", step="done", result=result)

    def _finish(self, job: Job, state: str, *, step=None, error=None, result=None) -> None:
        with self._lock:
            if state in ("cancelled", "error"):
                job.output = None
                shutil.rmtree(job.folder, ignore_errors=True)
            if state == "done":
                job.progress = 1.0
            job.state, job.result, job.error = state, result, error
            job.step = step or state
            kept = [j for j in self._jobs.values() if j.state == "done" and j.output is not None]
            for old in kept[: max(len(kept) - self.keep, 0)]:  # oldest first
                old.output, old.step = None, "done (its file was removed: too many results)"
                shutil.rmtree(old.folder, ignore_errors=True)
            ended = [i for i in self._order if self._jobs[i].state in STATES[2:]]
            for old_id in ended[: max(len(ended) - self.remember, 0)]:  # oldest first
                shutil.rmtree(self._jobs.pop(old_id).folder, ignore_errors=True)
                self._order.remove(old_id)
            self._lock.notify_all()
