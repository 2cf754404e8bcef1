"""Area shrinking by matrix products equals OpenCV's INTER_AREA, pixel for pixel."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from mudar.io.resize import _block, shrink_area


@pytest.mark.parametrize(
    "src, dst",
    [
        ((320, 320), (128, 128)),  # 2.5: a 320 px video's energy picture
        ((240, 320), (96, 128)),  # 4:3 padded
        ((360, 640), (72, 128)),  # 5 both ways: OpenCV's own path
        ((300, 300), (128, 128)),  # 75 / 32: OpenCV's general path
        ((320, 320), (160, 160)),  # 2: OpenCV's own path
        ((333, 200), (111, 80)),  # 3 one way, 2.5 the other: products
        ((320, 321), (128, 128)),  # 321 / 128: OpenCV's general path
    ],
)
def test_shrink_area_equals_opencv(rng: np.random.Generator, src, dst) -> None:
    for img in (
        rng.integers(0, 256, src).astype(np.uint8),  # noise: every rounding is met
        cv2.GaussianBlur(rng.integers(0, 256, src).astype(np.uint8), (0, 0), 3),
        np.full(src, 255, np.uint8),
    ):
        got = shrink_area(img, dst[1], dst[0])
        want = cv2.resize(img, (dst[1], dst[0]), interpolation=cv2.INTER_AREA)
        assert got.shape == want.shape and got.dtype == np.uint8
        np.testing.assert_array_equal(got, want)


def test_shrink_area_takes_a_strided_view(rng: np.random.Generator) -> None:
    wide = rng.integers(0, 256, (320, 352)).astype(np.uint8)  # a plane wider than its picture
    view = wide[:, :320]
    want = cv2.resize(np.ascontiguousarray(view), (128, 128), interpolation=cv2.INTER_AREA)
    np.testing.assert_array_equal(shrink_area(view, 128, 128), want)


def test_blocks_are_used_only_where_no_average_falls_half_way() -> None:
    assert _block(320, 128) == (5, 2)
    assert _block(320, 160) is None  # 2: an even block (OpenCV has its own fast path)
    assert _block(320, 120) is None  # 8 / 3: an even block
    assert _block(300, 128) is None  # 75 / 32: too long a block
