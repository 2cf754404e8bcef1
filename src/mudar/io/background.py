"""A frame tap run on a thread of its own, beside the decode.

The motion energy's work on every decoded frame (OpenCV's flow and warp, numpy's sorts) lets
go of the GIL, so on a thread of its own it runs on a second core while the main thread decodes
and computes the flow of the clock's frames: on 2 cores the analysis is then about as long as
its longer half instead of the sum of both. The pictures are handed over in order through a
bounded queue, so the tap sees exactly the calls it would have seen, and memory stays bounded.
"""

from __future__ import annotations

import contextlib
import queue
import threading

import numpy as np

from mudar.errors import ParameterError

__all__ = ["BackgroundTap"]


class BackgroundTap:
    """A :class:`~mudar.io.video.FrameTap` that hands each picture to ``tap`` on a thread.

    Use it as a context manager (or call :meth:`close`): leaving waits until ``tap`` has seen
    every picture, and raises what ``tap`` raised, if anything. After ``tap`` has raised, the
    next call raises it too (the decode stops early), and later pictures are dropped.

    Parameters
    ----------
    tap : FrameTap
        Called as ``tap(time_s, picture)`` on the thread, in the order of the calls.
    depth : int
        Pictures waiting at most; a call waits while the queue is full.
    """

    def __init__(self, tap, *, depth: int = 64) -> None:
        if depth < 1:
            raise ParameterError(f"depth must be >= 1, got {depth}")
        self.tap = tap
        self.size = tap.size
        self.picture = getattr(tap, "picture", "gray")
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="mudar-frame-tap", daemon=True)
        self._thread.start()

    def __call__(self, time_s: float, picture: np.ndarray) -> None:
        if self._error is not None:
            raise self._error
        if self._closed:
            raise RuntimeError("the background tap is closed")
        if not picture.flags.owndata:  # a view of a buffer the decoder may reuse
            picture = picture.copy()
        self._queue.put((time_s, picture))

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self._error is None:
                try:
                    self.tap(*item)
                except BaseException as e:  # handed to the caller at its next call or close
                    self._error = e

    def close(self) -> None:
        """Wait until the tap has seen every picture; raise what it raised."""
        if not self._closed:
            self._closed = True
            self._queue.put(None)
            self._thread.join()
        if self._error is not None:
            raise self._error

    def __enter__(self) -> BackgroundTap:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
            return
        with contextlib.suppress(Exception):  # already failing: wait, keep the first error
            self.close()
