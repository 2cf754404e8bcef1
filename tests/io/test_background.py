"""A frame tap on a thread of its own sees every picture, in order, and its errors come back."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from mudar.errors import ParameterError
from mudar.io.background import BackgroundTap


class Record:
    size = 16

    def __init__(self, fail_at: int | None = None, wait: threading.Event | None = None) -> None:
        self.seen: list[tuple[float, int]] = []
        self.threads: set[int] = set()
        self.fail_at = fail_at
        self.wait = wait

    def __call__(self, time_s: float, picture: np.ndarray) -> None:
        if self.wait is not None:  # the first call waits until the caller has gone ahead
            self.wait.wait()
        self.threads.add(threading.get_ident())
        if self.fail_at is not None and len(self.seen) == self.fail_at:
            raise ValueError("the tap failed")
        self.seen.append((time_s, int(picture[0, 0])))


def test_every_picture_in_order_on_another_thread() -> None:
    go = threading.Event()
    rec = Record(wait=go)
    buffer = np.zeros((2, 16, 16), np.uint8)
    with BackgroundTap(rec, depth=64) as tap:
        assert tap.size == 16 and tap.picture == "gray"
        for k in range(50):  # queued while the tap waits
            buffer[k % 2] = k  # a view of a buffer that is written again: copied
            tap(k / 25, buffer[k % 2])
        go.set()
        for k in range(50, 200):
            tap(k / 25, np.full((16, 16), k, np.uint8))
    assert rec.seen == [(k / 25, k) for k in range(200)]
    assert threading.get_ident() not in rec.threads


def test_the_taps_error_comes_back_at_the_next_call_or_at_close() -> None:
    rec = Record(fail_at=3)
    tap = BackgroundTap(rec)
    with pytest.raises(ValueError, match="the tap failed"):
        for k in range(10_000):
            tap(k / 25, np.zeros((16, 16), np.uint8))
        tap.close()
    with pytest.raises(ValueError, match="the tap failed"):
        tap.close()
    assert len(rec.seen) == 3


def test_leaving_on_an_error_keeps_the_first_error() -> None:
    rec = Record(fail_at=0)
    with pytest.raises(KeyError):
        with BackgroundTap(rec) as tap:
            tap(0.0, np.zeros((16, 16), np.uint8))
            raise KeyError("the decode failed")
    with pytest.raises(ParameterError):
        BackgroundTap(rec, depth=0)
