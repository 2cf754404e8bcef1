"""How many threads torch computes with, set for a block and given back after it.

Small models run fastest on one thread (on 2 busy cores, two contending threads spend more time
in synchronisation than in work), training wants the cores it was given, and a library must not
leave the caller's setting changed. Every place that changes the setting goes through
:func:`torch_threads`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

from mudar.errors import ParameterError


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[int]:
    """Run the block with ``n`` torch threads and restore the caller's number after it.

    Parameters
    ----------
    n : int or None
        Threads for the block; None keeps the current setting.

    Yields
    ------
    int
        The number of threads in effect inside the block.

    Raises
    ------
    ParameterError
        ``n`` below 1.
    """
    previous = torch.get_num_threads()
    if n is not None:
        if n < 1:
            raise ParameterError(f"threads must be >= 1, got {n}")
        torch.set_num_threads(n)
    try:
        yield torch.get_num_threads()
    finally:
        torch.set_num_threads(previous)
