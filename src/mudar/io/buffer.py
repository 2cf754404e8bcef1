"""A growing array: decoded rows written into one preallocated block as they come.

An hour of decoded audio or of small RGB frames is large; gathered as a list of pieces and then
concatenated it is held twice. Sized from the file's declared duration, the block is written in
place and only grows (doubling) when the declaration was short.
"""

from __future__ import annotations

import numpy as np


class RowBuffer:
    """Rows of one shape and dtype, appended in order.

    Parameters
    ----------
    capacity : int
        Rows to preallocate (the expected count).
    row_shape : tuple of int
        Shape of one row: ``()`` for samples, ``(s, s, 3)`` for frames.
    dtype : numpy dtype
    """

    def __init__(self, capacity: int, row_shape: tuple[int, ...] = (), dtype=np.float32) -> None:
        self.buf = np.empty((max(capacity, 1), *row_shape), dtype=dtype)
        self.n = 0

    def extend(self, rows: np.ndarray) -> None:
        """Append ``rows``, shape (k, *row_shape)."""
        k = len(rows)
        if self.n + k > len(self.buf):
            rows_needed = max(2 * len(self.buf), self.n + k)
            grown = np.empty((rows_needed, *self.buf.shape[1:]), self.buf.dtype)
            grown[: self.n] = self.buf[: self.n]
            self.buf = grown
        self.buf[self.n : self.n + k] = rows
        self.n += k

    def append(self, row: np.ndarray) -> None:
        """Append one row, shape ``row_shape``."""
        self.extend(np.asarray(row)[None])

    def view(self) -> np.ndarray:
        """The rows so far, shape (n, *row_shape): a view of the block."""
        return self.buf[: self.n]

    def array(self) -> np.ndarray:
        """The rows so far as an array of their own (the block itself when it is exactly full,
        else a copy, so that unused room is freed)."""
        return self.buf if self.n == len(self.buf) else self.buf[: self.n].copy()
