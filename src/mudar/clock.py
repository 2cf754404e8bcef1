"""The one frame clock: video rate, audio sample rate and analysis hop, tied together.

Every per-frame feature in mudar, audio or video, lives on the video frame grid
``t_k = k / fps``. Audio is analysed ``sub`` times finer (``hop = sr / (fps * sub)`` samples) so
that onsets keep their precision, then pooled onto the video grid with windows centred on
``t_k``. Because ``sr`` is a whole multiple of ``fps * sub``, a clip of ``n`` video frames has
exactly ``n * sub`` fine audio frames and ``n * sr / fps`` samples: the two modalities line up
exactly, whatever the clip's duration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mudar.errors import ParameterError
from mudar.methods import DEFAULT_FPS, DEFAULT_SR

# the paper's 8 fps and 16 kHz (sec. 4.1), in mudar.methods with the command line's defaults

DEFAULT_SUB = 8
"""Fine audio frames per video frame: a hop of 250 samples, 64 frames/s at the defaults."""


@dataclass(frozen=True)
class FrameClock:
    """Frame rates of a clip.

    Parameters
    ----------
    fps : float
        Video frame rate of the model, frames per second (the paper: 8).
    sr : int
        Audio sample rate, Hz (the paper: 16000).
    sub : int
        Fine audio analysis frames per video frame. ``sr`` must be a multiple of ``fps * sub``.
    """

    fps: float = DEFAULT_FPS
    sr: int = DEFAULT_SR
    sub: int = DEFAULT_SUB

    def __post_init__(self) -> None:
        if not (self.fps > 0 and self.sr > 0 and self.sub > 0):
            raise ParameterError(f"fps, sr and sub must be positive, got {self}")
        rate = self.fps * self.sub
        if abs(self.sr / rate - round(self.sr / rate)) > 1e-9:
            raise ParameterError(
                f"sr={self.sr} is not a whole multiple of fps*sub={rate:g}: "
                "audio and video frames would drift apart"
            )
        if abs(self.sr / self.fps - round(self.sr / self.fps)) > 1e-9:
            raise ParameterError(f"sr={self.sr} is not a whole multiple of fps={self.fps:g}")

    @property
    def hop(self) -> int:
        """Fine audio hop length in samples."""
        return round(self.sr / (self.fps * self.sub))

    @property
    def samples_per_frame(self) -> int:
        """Audio samples per video frame."""
        return round(self.sr / self.fps)

    @property
    def fine_rate(self) -> float:
        """Fine audio frames per second."""
        return self.fps * self.sub

    def n_frames(self, duration_s: float) -> int:
        """Number of whole video frames in ``duration_s`` seconds."""
        return max(0, math.floor(duration_s * self.fps + 1e-6))

    def frame_times(self, n: int) -> np.ndarray:
        """Times in seconds of video frames ``0..n-1``, shape (n,)."""
        return np.arange(n, dtype=np.float64) / self.fps

    def fit_audio(self, y: np.ndarray, n: int) -> np.ndarray:
        """Trim or zero-pad samples ``y`` to exactly ``n`` video frames' worth, shape (n*spf,)."""
        want = n * self.samples_per_frame
        if len(y) >= want:
            return y[:want]
        return np.pad(y, (0, want - len(y)))

    def pool(self, x: np.ndarray, n: int, reduce: str = "max") -> np.ndarray:
        """Pool fine audio frames onto the video grid.

        Video frame ``k`` takes the fine frames whose centres fall within half a video frame of
        ``t_k`` (fine frame ``j`` is centred at ``j / fine_rate``, librosa's ``center=True``).

        Parameters
        ----------
        x : np.ndarray, shape (..., m)
            Fine-rate feature, ``m >= n * sub`` frames (extra frames are dropped).
        n : int
            Number of video frames.
        reduce : {"max", "mean"}

        Returns
        -------
        np.ndarray, shape (..., n)
        """
        if reduce not in ("max", "mean"):
            raise ParameterError(f"reduce must be 'max' or 'mean', got {reduce!r}")
        if n == 0:
            return np.zeros((*x.shape[:-1], 0), dtype=x.dtype)
        half = self.sub // 2
        x = x[..., : n * self.sub]
        if x.shape[-1] < n * self.sub:
            x = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(0, n * self.sub - x.shape[-1])], mode="edge")
        # shift by half a video frame so that each window is centred on its frame time
        x = np.concatenate(
            [np.repeat(x[..., :1], half, axis=-1), x[..., : n * self.sub - half]], -1
        )
        blocks = x.reshape(*x.shape[:-1], n, self.sub)
        return blocks.max(-1) if reduce == "max" else blocks.mean(-1)

    def times_to_frames(self, times_s: np.ndarray, n: int) -> np.ndarray:
        """Nearest video frame of each time, clipped to ``[0, n-1]``; shape as ``times_s``."""
        return np.clip(np.round(np.asarray(times_s) * self.fps).astype(int), 0, max(n - 1, 0))

    def events_to_frames(self, times_s: np.ndarray, n: int) -> np.ndarray:
        """Binary per-frame indicator of events (onsets, beats), shape (n,), float32."""
        out = np.zeros(n, dtype=np.float32)
        if n and len(times_s):
            out[self.times_to_frames(times_s, n)] = 1.0
        return out


DEFAULT_CLOCK = FrameClock()
