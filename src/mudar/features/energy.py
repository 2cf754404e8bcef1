"""Motion energy: how much of the picture changes from one decoded video frame to the next, with
the camera's motion taken out, and its minima, the moments the dancer stops.

Why (``benchmarks/bench_locked_visual.py``): on dances whose kinematic accents were put on the
music's beats, the minima of the joints' speed keep the timing (70 ms F-measure +0.18 to +0.23
over their time-shifted control) and so does this difference of frames at the video's own rate
(+0.09 to +0.11 against the beats in the looks ``high`` and ``dwm``), while the minima of the
optical flow's magnitude and the HOOF flux lose it (+0.01 to +0.04, and 0). Flow on a thin,
fast figure is poor; a changed pixel is a changed pixel. Frames taken on the 8 fps clock differ
too much to keep as much (+0.04 to +0.11 in a first exploration of three looks), so
the energy is measured between consecutive *decoded* frames (a :class:`~mudar.io.video.FrameTap`
on the same decode as the HOOF) and put on the clock as ``steps`` samples per clock frame.

Per pair of decoded frames (gray, ``side`` x ``side``): the camera's motion is the median of a
DIS flow between them (:func:`camera_shift`; as the HOOF's ``camera="median"``), the earlier
frame is shifted by it, and the energy is the summed absolute difference of the pixels that
changed by more than ``level`` of the frame's grey range (its 1st to 99th percentile, at least 8
levels; below: compression noise), over the range times ``side**2``. Relative to the range, so
that a dim or flat video counts the same changes as a contrasted one (with a fixed 20 grey
levels the stops of a picture at a third of its contrast were lost; at 0.15 of the range they
are kept down to a seventh of it). It is placed at the middle of the two frames' times.
"""

from __future__ import annotations

import numpy as np

from mudar.errors import ParameterError
from mudar.features.order import median_columns, percentiles
from mudar.methods import ENERGY_STEPS

__all__ = [
    "ENERGY_STEPS",
    "MotionEnergy",
    "camera_shift",
    "energy_minima",
    "energy_stillness",
]


ENERGY_SIDE = 128
"""Side in pixels of the gray frames the energy is measured on (the HOOF's flow side)."""

CHANGE_LEVEL = 0.15
"""Share of the frame's grey range a pixel must change by to count (20 grey levels on a picture
that spans 130, as the rendered dances do)."""

MIN_RANGE = 8.0
"""Smallest grey range a frame is taken to have (a blank frame's noise does not count)."""


class MotionEnergy:
    """A :class:`~mudar.io.video.FrameTap` that measures the motion energy of every decoded
    frame pair; :meth:`on_clock` puts it on a frame clock.

    Parameters
    ----------
    side : int
        Side of the gray frames, pixels.
    level : float
        Share of the frame's grey range a pixel must change by to count.
    """

    def __init__(self, *, side: int = ENERGY_SIDE, level: float = CHANGE_LEVEL) -> None:
        if side < 16 or not 0 <= level < 1:
            raise ParameterError(f"side must be >= 16 and level in [0, 1), got {side}, {level}")
        self.size, self.level = side, level
        self._camera = _CameraFlow(side)
        self._prev: tuple[float, np.ndarray, np.ndarray] | None = None
        self.times: list[float] = []
        self.values: list[float] = []

    def __call__(self, time_s: float, gray: np.ndarray) -> None:
        import cv2

        prev = self._prev
        small = self._camera.shrink(gray)
        self._prev = (time_s, gray, small)
        if prev is None or time_s <= prev[0]:  # a repeated or out-of-order timestamp
            return
        dx, dy = self._camera.shift(prev[2], small)
        shift = np.float32([[1, 0, dx], [0, 1, dy]])
        h, w = gray.shape
        moved = cv2.warpAffine(prev[1], shift, (w, h), borderMode=cv2.BORDER_REPLICATE)
        diff = cv2.absdiff(gray, moved)
        lo, hi = percentiles(gray[::4, ::4], (1, 99))
        spread = max(hi - lo, MIN_RANGE)
        changed = diff[diff > self.level * spread]
        self.times.append((prev[0] + time_s) / 2)
        self.values.append(float(changed.sum(dtype=np.int64)) / (spread * gray.size))

    def on_clock(self, n_frames: int, *, fps: float, steps: int = ENERGY_STEPS) -> np.ndarray:
        """The energy at ``steps`` evenly spaced times within each clock frame.

        Frame ``k`` covers ``[(k - 0.5) / fps, (k + 0.5) / fps)``; its samples are at the
        middles of ``steps`` equal parts of it, linearly interpolated between the measured
        pairs (held at the ends). No pair measured (one frame, a still image): zeros.

        Returns
        -------
        np.ndarray, float32, shape (n_frames, steps)
        """
        if fps <= 0 or steps < 1 or n_frames < 0:
            raise ParameterError(f"fps, steps, n_frames out of range: {fps}, {steps}, {n_frames}")
        if not self.values:
            return np.zeros((n_frames, steps), np.float32)
        t = sample_times(n_frames, fps=fps, steps=steps)
        e = np.interp(t.ravel(), self.times, self.values)
        return e.reshape(n_frames, steps).astype(np.float32)


def camera_shift(prev: np.ndarray, cur: np.ndarray) -> tuple[float, float]:
    """The camera's motion from ``prev`` to ``cur``: the median of a DIS flow between them,
    pixels (x right, y down), as :class:`MotionEnergy` measures it.

    DIS's ultrafast preset computes its flow on the picture shrunk 4 times (its finest scale)
    and spreads it back over the full size; this computes it on the shrunk picture (32 x 32 for
    the energy's 128) and blends neighbouring cells as the spreading does at every 4th pixel,
    which gives the median of the full-size flow over every 4th pixel each way (what the energy
    took first) to 1e-6 px, at less cost. Pictures of a side under 64 are shrunk less (DIS needs
    12 pixels), so as to keep at least 16.

    Parameters
    ----------
    prev, cur : np.ndarray, uint8, shape (side, side)
        Gray pictures, ``side`` >= 16.

    Returns
    -------
    (dx, dy) : tuple of float
    """
    if prev.shape != cur.shape or prev.ndim != 2 or prev.shape[0] != prev.shape[1]:
        raise ParameterError(f"two square gray pictures, got {prev.shape}, {cur.shape}")
    if prev.shape[0] < 16:
        raise ParameterError(f"pictures of side >= 16, got {prev.shape}")
    camera = _CameraFlow(prev.shape[0])
    return camera.shift(camera.shrink(prev), camera.shrink(cur))


class _CameraFlow:
    """The camera's shift between two pictures shrunk by ``k`` (see :func:`camera_shift`);
    one DIS instance for a stream of pictures, each shrunk once."""

    def __init__(self, side: int) -> None:
        import cv2

        self.k = min(4, side // 16)
        self.side = side // self.k
        self._dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)
        self._dis.setFinestScale(0)  # the picture is shrunk already
        # a k-times bilinear spreading, read at every k-th pixel: this much of the cell before
        self._w = (self.k - 1) / (2 * self.k)

    def shrink(self, gray: np.ndarray) -> np.ndarray:
        import cv2

        if self.k == 1:
            return gray
        return cv2.resize(gray, (self.side, self.side), interpolation=cv2.INTER_AREA)

    def shift(self, prev: np.ndarray, cur: np.ndarray) -> tuple[float, float]:
        flow = self._dis.calc(prev, cur, None)
        w = self._w
        if w > 0:  # rows, then columns; the first row and column are held (clamped)
            flow[1:] = w * flow[:-1] + (1 - w) * flow[1:]
            flow[:, 1:] = w * flow[:, :-1] + (1 - w) * flow[:, 1:]
        dx, dy = median_columns(flow.reshape(-1, 2))
        return self.k * float(dx), self.k * float(dy)


def sample_times(n_frames: int, *, fps: float, steps: int) -> np.ndarray:
    """(n_frames, steps) times (s) of the samples of :meth:`MotionEnergy.on_clock`."""
    part = (np.arange(steps) + 0.5) / steps - 0.5
    return (np.arange(n_frames)[:, None] + part[None, :]) / fps


def energy_minima(energy: np.ndarray, *, fps: float) -> np.ndarray:
    """Times (s) of the moments the motion stops: the minima of the energy.

    The energy's samples, in time order, are smoothed by a Gaussian of
    :data:`~mudar.features.kinematic.BAILANDO_SIGMA_S` (as the joints' speed is for kinematic
    beats), and each strict local minimum is refined below the sample by a parabola.

    Parameters
    ----------
    energy : np.ndarray, shape (T, steps)
        :meth:`MotionEnergy.on_clock`'s samples.
    fps : float
        The clock's frame rate.

    Returns
    -------
    np.ndarray, float64, shape (k,)
        Increasing times within the frames' span.
    """
    from mudar.features.dance import refine_times
    from mudar.features.kinematic import BAILANDO_SIGMA_S, gaussian_smooth

    e = _check(energy, fps)
    steps = e.shape[1]
    curve = e.ravel().astype(np.float64)
    if len(curve) < 3 or not np.any(curve > 0):
        return np.zeros(0)
    rate = fps * steps
    s = gaussian_smooth(curve, sigma=BAILANDO_SIGMA_S * rate)
    k = np.flatnonzero((s[1:-1] < s[:-2]) & (s[1:-1] < s[2:])) + 1
    # sample j lies at (j + 0.5) / rate - 0.5 / fps (sample_times)
    return refine_times(-s, k, fps=rate) + 0.5 / rate - 0.5 / fps


def energy_stillness(energy: np.ndarray, *, fps: float) -> np.ndarray:
    """Per clock frame, how still the picture is: ``1 - e / max(e)`` of the frame's lowest
    sample, in [0, 1] (1 where the motion stops; zeros for a clip without motion). The curve
    the ``motion-energy`` rhythm is drawn and compared with music on."""
    e = _check(energy, fps).min(axis=1).astype(np.float64)
    top = e.max() if len(e) else 0.0
    if top <= 0:
        return np.zeros(len(e), np.float32)
    return (1.0 - e / top).astype(np.float32)


def _check(energy: np.ndarray, fps: float) -> np.ndarray:
    e = np.asarray(energy)
    if e.ndim != 2:
        raise ParameterError(f"energy must be (T, steps), got shape {e.shape}")
    if fps <= 0:
        raise ParameterError(f"fps must be positive, got {fps}")
    return e
