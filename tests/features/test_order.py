"""Medians and percentiles of small arrays: numpy's numbers, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from mudar.features.order import median, median_columns, percentiles, unique


@pytest.mark.parametrize("n", [1, 2, 3, 17, 1000, 1024, 4096])
def test_median_is_numpys(rng: np.random.Generator, n: int) -> None:
    for dtype in (np.float32, np.float64):
        for _ in range(50):
            v = rng.normal(size=n).astype(dtype)
            got, want = median(v), np.median(v)
            assert got == want and got.dtype == want.dtype
    v = rng.integers(0, 256, n).astype(np.uint8)
    assert median(v) == np.median(v) and median(v).dtype == np.float64
    for dtype in (np.float32, np.float64):
        for _ in range(50):
            a = rng.normal(size=(n, 2)).astype(dtype)
            np.testing.assert_array_equal(median_columns(a), np.median(a, axis=0))
            assert median_columns(a).dtype == dtype


@pytest.mark.parametrize("n", [1, 2, 3, 17, 1000, 1024])
def test_percentiles_are_numpys(rng: np.random.Generator, n: int) -> None:
    for _ in range(100):
        v = rng.integers(0, 256, (n,)).astype(np.uint8)
        q = (1, 99) if n > 3 else (0, 37.5, 50, 100)
        assert percentiles(v, q) == tuple(float(x) for x in np.percentile(v, q))
    g = rng.integers(0, 256, (32, 32)).astype(np.uint8)  # every 4th pixel of a 128 px picture
    assert percentiles(g, (1, 99)) == tuple(float(x) for x in np.percentile(g, (1, 99)))


def test_empty_arrays_are_refused() -> None:
    with pytest.raises(ValueError):
        median(np.zeros(0))
    with pytest.raises(ValueError):
        percentiles(np.zeros(0), (50,))


def test_unique_is_numpys(rng: np.random.Generator) -> None:
    for n in (0, 1, 2, 5, 100):
        v = rng.integers(0, 10, n)
        got, want = unique(v), np.unique(v)
        np.testing.assert_array_equal(got, want)
        assert got.dtype == want.dtype
