"""The dancer's body in a video: a 2-D pose track, and its motion beats.

A :class:`PoseTrack` holds, for every decoded frame of a video (or every ``stride``-th), the
body's keypoints in the COCO-17 layout that AIST++'s ``keypoints2d`` uses, in pixels of the
source picture, with a confidence per joint, and the estimator's own landmarks beside them. A
frame where no body is seen is a gap (NaN keypoints, confidence 0), not an error.

The estimator is MediaPipe's Pose (BlazePose, the legacy ``mediapipe.solutions.pose`` API, full
landmark model): ``mediapipe==0.10.14`` is the last release whose wheel bundles its pose models,
so nothing is downloaded at run time. It is the ``pose`` extra (``pip install 'mudar[pose]'``;
wheels for CPython 3.9-3.12); it tracks one person, the most prominent.

The motion beats are what the field takes for a dance's accents (AIST++, FACT, Bailando): the
local minima of the smoothed joint speed (:func:`pose_minima`). Here the speed is measured in
body sizes per second relative to the hips (so a camera that follows the dancer, or the dancer's
travel across the floor, does not count), each joint weighted by its confidence, and the minima
are timed below the frame.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from mudar.errors import ParameterError
from mudar.features.geometry import consistent_sides
from mudar.features.kinematic import smooth_runs

__all__ = [
    "BLAZEPOSE_TO_COCO17",
    "COCO17",
    "COCO17_BONES",
    "POSE_SIDE",
    "MediaPipePose",
    "PoseEstimator",
    "PoseTap",
    "PoseTrack",
    "coco_keypoints",
    "estimate_pose",
    "joint_speed_curve",
    "joint_speeds",
    "pose_minima",
    "pose_stillness",
]

COCO17 = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
)
"""Joint names of the COCO-17 layout, in AIST++ ``keypoints2d`` order."""

COCO17_BONES: tuple[tuple[int, int], ...] = (
    (5, 7), (7, 9), (6, 8), (8, 10),  # arms
    (11, 13), (13, 15), (12, 14), (14, 16),  # legs
    (5, 6), (11, 12), (5, 11), (6, 12),  # torso
    (0, 1), (0, 2), (1, 3), (2, 4),  # face
)  # fmt: skip
"""Limbs of the COCO-17 layout, for drawing."""

BLAZEPOSE_TO_COCO17 = (0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)
"""Index of each COCO-17 joint among MediaPipe's 33 BlazePose landmarks."""

SMOOTH_S = 0.04
"""Standard deviation, seconds, of the Gaussian that smooths each keypoint of a track."""
MEDIAN_S = 0.12
"""Running median, seconds, taken of each keypoint of an estimator's track before the Gaussian:
it takes out MediaPipe's one-frame slips (docs/results.md, "A running median, and left and right
read both ways")."""

POSE_SIDE = 640
"""Longer side, pixels, of the picture the estimator is shown (MediaPipe crops and scales the
body to 256 px itself; a larger picture only costs conversion)."""

STILL_SPEED = 0.15
"""Joint speed, body sizes a second, below which a body is taken to stand still: the scale of
:func:`pose_stillness` is at least this, so that a still body's keypoint jitter is not stretched
into a rhythm. Measured (:func:`joint_speed_curve`, 95th percentile): a still picture of a dwm
dancer 0.04 to 0.08 (clean, noisy, a flickering patch); dancers 0.20 (the synthetic figure),
0.38 (the page's demo dance) and 1.46 (a dwm waltz)."""

_SHOULDERS, _HIPS = (5, 6), (11, 12)
_MIN_CONFIDENCE = 0.3  # a joint seen less surely than this does not count in the speed


@dataclass
class PoseTrack:
    """2-D body keypoints of a video, one row per estimated frame.

    Attributes
    ----------
    times_s : np.ndarray, float64, shape (T,)
        Presentation time of each estimated frame, seconds from the start of the file.
    keypoints : np.ndarray, float32, shape (T, 17, 2)
        COCO-17 ``(x, y)`` in pixels of the displayed source picture (origin top left), lightly
        smoothed, each limb's left and right kept continuous
        (:func:`~mudar.features.geometry.consistent_sides`); NaN where no body was found.
    confidence : np.ndarray, float32, shape (T, 17)
        Per joint, in [0, 1] (the estimator's visibility); 0 where no body was found.
    landmarks : np.ndarray, float32, shape (T, L, 4)
        The estimator's own landmarks (MediaPipe: L = 33), ``(x px, y px, z, visibility)``,
        unsmoothed; NaN where no body was found.
    width, height : int
        Displayed size of the source picture, pixels.
    fps : float
        Estimated frames per second (the video's rate over the stride).
    estimator : str
        What made it.
    """

    times_s: np.ndarray
    keypoints: np.ndarray
    confidence: np.ndarray
    landmarks: np.ndarray
    width: int
    height: int
    fps: float
    estimator: str = ""

    def __post_init__(self) -> None:
        t = len(self.times_s)
        if self.keypoints.shape != (t, 17, 2) or self.confidence.shape != (t, 17):
            raise ParameterError(
                f"a pose track needs keypoints (T, 17, 2) and confidence (T, 17) for T={t} "
                f"times, got {self.keypoints.shape} and {self.confidence.shape}"
            )
        if self.landmarks.ndim != 3 or len(self.landmarks) != t or self.landmarks.shape[2] != 4:
            raise ParameterError(f"landmarks must be (T, L, 4), got {self.landmarks.shape}")
        if not (np.isfinite(self.fps) and self.fps > 0):
            raise ParameterError(f"fps must be positive, got {self.fps}")

    def __len__(self) -> int:
        return len(self.times_s)

    @property
    def found(self) -> np.ndarray:
        """(T,) bool: a body was found in the frame."""
        return np.isfinite(self.keypoints[:, :, 0]).any(axis=1)

    @property
    def found_fraction(self) -> float:
        """Share of the estimated frames with a body (0 for an empty track)."""
        return float(self.found.mean()) if len(self) else 0.0

    def clip(self, start_s: float, end_s: float) -> PoseTrack:
        """The rows with ``start_s <= time < end_s``, their times re-based on ``start_s``."""
        k = (self.times_s >= start_s) & (self.times_s < end_s)
        rows = {f: getattr(self, f)[k] for f in ("keypoints", "confidence", "landmarks")}
        return dataclasses.replace(self, times_s=self.times_s[k] - start_s, **rows)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Flat dict of arrays for ``np.savez`` (no pickles)."""
        return {
            "times_s": self.times_s,
            "keypoints": self.keypoints,
            "confidence": self.confidence,
            "landmarks": self.landmarks,
            "size": np.array([self.width, self.height], np.int64),
            "fps": np.array(self.fps, np.float64),
            "estimator": np.array(self.estimator),
        }

    @classmethod
    def from_arrays(cls, d) -> PoseTrack:
        w, h = (int(v) for v in np.asarray(d["size"]))
        return cls(
            times_s=np.asarray(d["times_s"], np.float64),
            keypoints=np.asarray(d["keypoints"], np.float32),
            confidence=np.asarray(d["confidence"], np.float32),
            landmarks=np.asarray(d["landmarks"], np.float32),
            width=w,
            height=h,
            fps=float(d["fps"]),
            estimator=str(d["estimator"]),
        )


# --- the estimator ----------------------------------------------------------------------------


class PoseEstimator(Protocol):
    """What finds a body in a picture: ``name``, and ``__call__(rgb)`` with an RGB picture
    (H, W, 3) uint8 returning the landmarks (L, 4) ``(x, y, z, visibility)``, x and y
    normalised to the picture's width and height, or None when no body is found. Landmarks
    0-32 are BlazePose's (:data:`BLAZEPOSE_TO_COCO17` picks COCO-17 from them)."""

    name: str

    def __call__(self, rgb: np.ndarray) -> np.ndarray | None: ...


class MediaPipePose:
    """MediaPipe's Pose (BlazePose, full landmark model) in video mode: it tracks the body from
    frame to frame, and finds it again when it is lost. ``smooth``: MediaPipe's own landmark
    filter, off by default: it smooths most where the body moves least, which blurs the stops
    a dance's accents are (:meth:`PoseTap.track` smooths by a Gaussian of fixed width instead;
    ``benchmarks/bench_pose_track.py``). Without the ``pose`` extra: MissingDependency, naming
    the pip command."""

    def __init__(self, *, min_detection_confidence: float = 0.5, smooth: bool = False) -> None:
        from mudar.optional import require

        os.environ.setdefault("GLOG_minloglevel", "2")  # MediaPipe's C++ start-up chatter
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # protobuf's deprecation notes on import
            # the package first: a submodule imported earlier would pass where the package is gone
            mediapipe = require("mediapipe", purpose="the pose track")
            mp_pose = require("mediapipe.python.solutions.pose", purpose="the pose track")

        self.name = f"mediapipe-pose-full-{mediapipe.__version__}"
        with _quiet_stderr():
            self._pose = mp_pose.Pose(
                static_image_mode=False,
                model_complexity=1,  # pose_landmark_full, the model the wheel bundles
                smooth_landmarks=smooth,
                enable_segmentation=False,
                min_detection_confidence=min_detection_confidence,
                min_tracking_confidence=0.5,
            )
            # TensorFlow Lite says once, as its first model runs, that it made a CPU delegate:
            # run it here, silenced, on an empty picture
            self._pose.process(np.zeros((64, 64, 3), np.uint8))
        self._found = 0  # bodies found: after a few, both models have said their start-up lines

    def __call__(self, rgb: np.ndarray) -> np.ndarray | None:
        # (the graph's threads log as they start: a few calls more than strictly needed)
        with warnings.catch_warnings(), _quiet_stderr(self._found < 3):
            warnings.simplefilter("ignore")
            result = self._pose.process(np.ascontiguousarray(rgb))
        if result.pose_landmarks is None:
            return None
        self._found += 1
        lm = result.pose_landmarks.landmark
        return np.array([(p.x, p.y, p.z, p.visibility) for p in lm], np.float32)

    def close(self) -> None:
        with _quiet_stderr():  # the graph's threads flush their start-up lines as it closes
            self._pose.close()


class PoseTap:
    """Estimates the pose of every ``stride``-th decoded frame as a video is decoded once: a
    :class:`mudar.io.video.FrameTap` shown the whole picture in RGB (``picture = "rgb"``, its
    longer side ``size`` pixels). No picture is kept; :meth:`track` makes the :class:`PoseTrack`.

    Parameters
    ----------
    stride : int
        Estimate every ``stride``-th decoded frame (1: all).
    estimator : PoseEstimator, optional
        Default :class:`MediaPipePose` (made here, closed by :meth:`track`).
    progress : callable, optional
        Called with the number of decoded frames seen so far, after each one (a progress bar's
        ``update``).
    """

    picture = "rgb"
    size = POSE_SIDE

    def __init__(
        self,
        *,
        stride: int = 1,
        estimator: PoseEstimator | None = None,
        progress: Callable[[int], object] | None = None,
    ) -> None:
        if stride < 1:
            raise ParameterError(f"pose stride must be >= 1, got {stride}")
        self._own = estimator is None
        # made now, so that a missing extra fails before the decode starts
        self.estimator = MediaPipePose() if estimator is None else estimator
        self.stride, self.progress = stride, progress
        self._seen = 0
        self.times: list[float] = []
        self.rows: list[np.ndarray | None] = []

    def __call__(self, time_s: float, rgb: np.ndarray) -> None:
        if self._seen % self.stride == 0:
            self.times.append(float(time_s))
            self.rows.append(self.estimator(rgb))
        self._seen += 1
        if self.progress is not None:
            self.progress(1)

    def track(
        self,
        *,
        width: int,
        height: int,
        fps: float,
        smooth_s: float = SMOOTH_S,
        median_s: float = MEDIAN_S,
    ) -> PoseTrack:
        """The pose track of the frames seen (and the estimator closed, if it was made here).

        Parameters
        ----------
        width, height : int
            Displayed size of the source picture, pixels: the keypoints' unit.
        fps : float
            The video's frame rate (the track's is ``fps / stride``).
        smooth_s : float
            Standard deviation, seconds, of the Gaussian that smooths each keypoint over time
            within a run of frames with a body (0: none).
        median_s : float
            Seconds of the running median taken first (below three frames: none).
        """
        if self._own:
            self.estimator.close()
        return _track(
            self.times,
            self.rows,
            width=width,
            height=height,
            fps=fps / self.stride,
            smooth_s=smooth_s,
            median_s=median_s,
            estimator=getattr(self.estimator, "name", type(self.estimator).__name__),
        )


@contextlib.contextmanager
def _quiet_stderr(quiet: bool = True):
    """Silence file descriptor 2 (MediaPipe's C++ logging writes there, past Python's
    ``sys.stderr``, a few lines as each model starts) while ``quiet``."""
    if not quiet:
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (captured): nothing to silence
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        _flush_c_stdio()  # what C wrote into its stderr buffer goes to the null device too
        os.dup2(saved, 2)
        os.close(saved)


def _flush_c_stdio() -> None:
    import ctypes

    try:
        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError):  # no C library to ask: nothing buffered we can reach
        pass


def estimate_pose(
    frames: Iterable[tuple[float, np.ndarray]],
    *,
    width: int,
    height: int,
    fps: float,
    estimator: PoseEstimator | None = None,
    smooth_s: float = SMOOTH_S,
    median_s: float = MEDIAN_S,
) -> PoseTrack:
    """The pose track of a sequence of pictures (every one of them).

    Parameters
    ----------
    frames : iterable of (float, np.ndarray)
        ``(time_s, rgb)``: presentation time in seconds and the picture, uint8 (H, W, 3), the
        whole displayed picture at any scale (the landmarks are normalised to it).
    width, height : int
        Displayed size of the source picture, pixels: the keypoints' unit.
    fps : float
        Frames per second of ``frames``.
    estimator : PoseEstimator, optional
        Default :class:`MediaPipePose`.
    smooth_s, median_s : float
        As :meth:`PoseTap.track`.

    Returns
    -------
    PoseTrack
    """
    tap = PoseTap(estimator=estimator)
    for t, rgb in frames:
        tap(t, rgb)
    return tap.track(width=width, height=height, fps=fps, smooth_s=smooth_s, median_s=median_s)


def _track(times, rows, *, width, height, fps, smooth_s, median_s, estimator) -> PoseTrack:
    if width <= 0 or height <= 0:
        raise ParameterError(f"width and height must be positive, got {width}x{height}")
    n_lm = next((len(r) for r in rows if r is not None), 33)
    lm = np.full((len(rows), n_lm, 4), np.nan, np.float32)
    for i, r in enumerate(rows):
        if r is not None:
            lm[i] = r
    lm[:, :, 0] *= width
    lm[:, :, 1] *= height
    kp, conf = coco_keypoints(lm, fps=fps, smooth_s=smooth_s, median_s=median_s)
    times = np.asarray(times, np.float64)
    return PoseTrack(times, kp, conf, lm, int(width), int(height), float(fps), estimator)


def coco_keypoints(
    landmarks: np.ndarray, *, fps: float, smooth_s: float, median_s: float, sides: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """A track's COCO-17 ``keypoints`` (T, 17, 2) and ``confidence`` (T, 17), float32, from its
    BlazePose ``landmarks`` (T, 33, 4) in pixels: each limb's left and right kept continuous
    (``sides``), then a running median and a Gaussian (``median_s``, ``smooth_s`` seconds)."""
    coco = landmarks[:, list(BLAZEPOSE_TO_COCO17)].astype(np.float64)
    coco = consistent_sides(coco) if sides else coco
    conf = np.nan_to_num(np.clip(coco[:, :, 3], 0.0, 1.0)).astype(np.float32)
    kp = smooth_runs(coco[:, :, :2], fps=fps, sigma_s=smooth_s, median_s=median_s)
    return kp.astype(np.float32), conf


# --- motion beats -----------------------------------------------------------------------------


def joint_speeds(keypoints: np.ndarray, times_s: np.ndarray) -> np.ndarray | None:
    """Each joint's speed relative to the mid-hip point, in body sizes (the median
    shoulder-to-hip length) a second: the central difference over the rows' own times.

    Parameters
    ----------
    keypoints : np.ndarray, shape (T, 17, 2)
        COCO-17 keypoints (NaN where no body), T >= 3.
    times_s : np.ndarray, shape (T,)

    Returns
    -------
    np.ndarray, float64, shape (T - 2, 17), or None
        Row ``i`` is the speed at row ``i + 1``; NaN where a neighbour has no body. None when
        the track has no body size (no shoulders and hips seen).
    """
    k = np.asarray(keypoints, np.float64)
    rel = k - k[:, _HIPS].mean(axis=1, keepdims=True)
    torso = np.linalg.norm(k[:, _SHOULDERS].mean(axis=1) - k[:, _HIPS].mean(axis=1), axis=1)
    size = np.nanmedian(torso) if np.isfinite(torso).any() else np.nan
    if not (np.isfinite(size) and size > 0):
        return None
    t = np.asarray(times_s, np.float64)
    dt = (t[2:] - t[:-2])[:, None]
    return np.linalg.norm(rel[2:] - rel[:-2], axis=2) / np.where(dt > 0, dt, np.nan) / size


def joint_speed_curve(track: PoseTrack, *, sigma_s: float | None = None) -> np.ndarray:
    """Confidence-weighted joint speed of the body relative to its hips, body sizes per second.

    Each joint's velocity is the central difference of its keypoint relative to the mid-hip
    point, over the frames' own times; its speed is divided by the body's size (the median
    shoulder-to-hip length over the track), weighted by the lower of the two frames'
    confidences (joints below 0.3 left out), averaged over the joints, and smoothed by a
    Gaussian of ``sigma_s`` seconds within each run of frames with a body.

    Parameters
    ----------
    track : PoseTrack
    sigma_s : float, optional
        Smoothing, seconds; default Bailando's 5 frames at 60 fps
        (:data:`mudar.features.kinematic.BAILANDO_SIGMA_S`).

    Returns
    -------
    np.ndarray, float64, shape (T,)
        NaN where the speed is unknown (no body in the frame or a neighbour).
    """
    from mudar.features.kinematic import BAILANDO_SIGMA_S

    sigma_s = BAILANDO_SIGMA_S if sigma_s is None else sigma_s
    n = len(track)
    speed = np.full(n, np.nan)
    if n < 3:
        return speed
    c = track.confidence.astype(np.float64)
    v = joint_speeds(track.keypoints, track.times_s)
    if v is None:
        return speed
    w = np.minimum(c[2:], c[:-2])
    w = np.where((w >= _MIN_CONFIDENCE) & np.isfinite(v), w, 0.0)
    with np.errstate(invalid="ignore"):
        inner = (np.nan_to_num(v) * w).sum(axis=1) / w.sum(axis=1)
    speed[1:-1] = np.where(w.sum(axis=1) > 0, inner, np.nan)
    return smooth_runs(speed, fps=track.fps, sigma_s=sigma_s)


def pose_minima(
    track: PoseTrack,
    *,
    sigma_s: float | None = None,
    min_depth: float = 0.02,
    speed: np.ndarray | None = None,
) -> np.ndarray:
    """Motion beats of a pose track: the local minima of :func:`joint_speed_curve`, timed below
    the frame (the vertex of the parabola through the minimum and its neighbours).

    Parameters
    ----------
    track : PoseTrack
    sigma_s : float, optional
        Smoothing of the speed (see :func:`joint_speed_curve`).
    min_depth : float
        A minimum counts when the speed rises by at least this share of the track's median
        speed on both sides before the next minimum (the jitter of a still body is no beat).
    speed : np.ndarray, optional
        :func:`joint_speed_curve` of ``track`` with ``sigma_s``, when already computed.

    Returns
    -------
    np.ndarray, float64, shape (k,)
        Seconds from the start of the file, increasing; empty when no body was found.
    """
    from scipy.signal import find_peaks

    s = joint_speed_curve(track, sigma_s=sigma_s) if speed is None else speed
    ok = np.isfinite(s)
    if ok.sum() < 3:
        return np.zeros(0)
    typical = float(np.median(s[ok]))
    # a gap counts as faster than any known speed: no minimum there (and its edges go below)
    y = np.where(ok, -s, -np.max(s[ok]) - 1.0)
    peaks, _ = find_peaks(y, prominence=min_depth * typical)
    peaks = peaks[ok[np.clip(peaks - 1, 0, None)] & ok[np.clip(peaks + 1, None, len(s) - 1)]]
    peaks = peaks[(peaks > 0) & (peaks < len(s) - 1)]
    a, b, c = s[peaks - 1], s[peaks], s[peaks + 1]
    denom = a - 2 * b + c
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = np.where(denom > 1e-12, 0.5 * (a - c) / denom, 0.0)
    delta = np.clip(np.nan_to_num(delta), -0.5, 0.5)
    t = track.times_s
    step = np.where(
        delta >= 0, t[np.minimum(peaks + 1, len(t) - 1)] - t[peaks], t[peaks] - t[peaks - 1]
    )
    return t[peaks] + delta * step


def pose_stillness(
    track: PoseTrack, *, n_frames: int, fps: float, speed: np.ndarray | None = None
) -> np.ndarray:
    """How still the body is at each frame of a clock: ``1 - speed / s95`` of
    :func:`joint_speed_curve` at the frame's time (``s95`` its 95th percentile, at least
    :data:`STILL_SPEED`: a body that hardly moves stays near 1, not stretched to [0, 1]), in
    [0, 1]; 0 where the speed is unknown (no body). Its peaks are the motion beats.

    Parameters
    ----------
    track : PoseTrack
    n_frames : int
        Frames of the clock.
    fps : float
        The clock's rate (frame ``k`` at ``k / fps`` seconds, the track's time base).
    speed : np.ndarray, optional
        :func:`joint_speed_curve` of ``track``, when already computed.

    Returns
    -------
    np.ndarray, float32, shape (n_frames,)
    """
    out = np.zeros(n_frames, np.float32)
    s = joint_speed_curve(track) if speed is None else speed
    ok = np.isfinite(s)
    if ok.sum() < 2 or n_frames == 0:
        return out
    t = np.arange(n_frames) / fps
    speed = np.interp(t, track.times_s[ok], s[ok], left=np.nan, right=np.nan)
    # a frame whose nearest track row has no body stays unknown, not interpolated across a gap
    nearest = np.clip(np.searchsorted(track.times_s, t), 0, len(s) - 1)
    speed[~ok[nearest]] = np.nan
    top = max(float(np.percentile(s[ok], 95)), STILL_SPEED)
    still = np.clip(1.0 - speed / top, 0.0, 1.0)
    out[:] = np.nan_to_num(still, nan=0.0)
    return out
