"""Where ``mudar prepare``'s per-file work runs: local worker processes, or a Ray cluster.

Both engines map one function, :func:`mudar.data.store.prepare.prepare_one` (path, cache root,
config) -> (path, status, info or reason), over the files and yield its results as files
finish; the function never raises for a bad file, so a batch always runs to its end. The cache
entries are written by the workers themselves (atomically, keyed by file and parameters, see
:mod:`mudar.data.store.cache`), so either engine resumes a killed run and gives the same entries.

- ``local`` (default): this process for one job, else a spawned process pool (OpenCV and FFmpeg
  thread pools do not survive fork reliably).
- ``ray``: one Ray task per file (`ray.remote`, one CPU each). ``address`` ``None`` starts a local
  Ray with ``jobs`` CPUs; ``"auto"`` joins the cluster this machine is part of (``ray start``);
  any other value is a Ray address. Workers must see the same paths (a shared file system), as
  with a SLURM array. Ray is the optional ``cluster`` extra.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context

from mudar.errors import ParameterError
from mudar.methods import ENGINES
from mudar.optional import require

Task = tuple
Result = tuple[str, str, object]


def run_tasks(
    fn: Callable[..., Result],
    tasks: Sequence[Task],
    *,
    engine: str = "local",
    jobs: int = 1,
    address: str | None = None,
    initializer: Callable[[], None] | None = None,
) -> Iterator[Result]:
    """Yield ``fn(*task)`` for every task, in the order they finish.

    Parameters
    ----------
    fn : callable
        A module-level function (picklable), which must not raise.
    tasks : sequence of tuple
        Its arguments, one tuple per call.
    engine : {"local", "ray"}
    jobs : int
        Local worker processes, or the CPUs of a Ray started here (``address`` None).
    address : str, optional
        Ray cluster to join (``"auto"`` or ``host:port``); ``ray`` only.
    initializer : callable, optional
        Run once in each worker process (local pool or Ray worker) before its first task, so
        that both engines compute alike (e.g. one BLAS thread per worker).

    Raises
    ------
    ParameterError
        Unknown engine, or ``address`` with the local engine.
    MissingDependency
        ``ray`` without Ray installed.
    """
    if engine not in ENGINES:
        raise ParameterError(f"unknown engine {engine!r}; known: {', '.join(ENGINES)}")
    if engine == "local":
        if address is not None:
            raise ParameterError("--address needs --engine ray")
        yield from _local(fn, tasks, jobs=jobs, initializer=initializer)
    else:
        yield from _ray(fn, tasks, jobs=jobs, address=address, initializer=initializer)


def _local(fn, tasks, *, jobs: int, initializer) -> Iterator[Result]:
    if jobs <= 1 or len(tasks) <= 1:
        for t in tasks:
            yield fn(*t)
        return
    ctx = get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=initializer) as ex:
        for fut in as_completed([ex.submit(fn, *t) for t in tasks]):
            yield fut.result()


_initialised: set[str] = set()


def _in_worker(initializer, fn, *args) -> Result:
    """Run ``initializer`` once per worker process, then ``fn(*args)`` (Ray's task body)."""
    if initializer is not None:
        name = f"{initializer.__module__}.{initializer.__qualname__}"
        if name not in _initialised:
            initializer()
            _initialised.add(name)
    return fn(*args)


def _ray(fn, tasks, *, jobs: int, address: str | None, initializer) -> Iterator[Result]:
    ray = require("ray", purpose="--engine ray")
    started = not ray.is_initialized()
    if started:
        if address is None:
            ray.init(num_cpus=max(1, jobs), include_dashboard=False, log_to_driver=False)
        else:
            ray.init(address=address, log_to_driver=False)
    try:
        remote = ray.remote(num_cpus=1, max_retries=2)(_in_worker)
        pending = [remote.remote(initializer, fn, *t) for t in tasks]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            yield ray.get(done[0])
    finally:
        if started:
            ray.shutdown()
