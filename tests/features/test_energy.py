"""Motion energy between the video's own frames, and the motion-energy rhythm (its minima)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mudar.errors import ParameterError
from mudar.features.analysis import AnalysisConfig
from mudar.features.dance import DanceFeatures
from mudar.features.energy import (
    MotionEnergy,
    camera_shift,
    energy_minima,
    energy_stillness,
    sample_times,
)
from mudar.features.extract import analyze
from mudar.io import iter_frames
from mudar.io.write import write_video

FPS = 25.0
ENERGY = AnalysisConfig(energy_steps=4)


def _stops(duration_s: float, period_s: float, phase_s: float) -> np.ndarray:
    return np.arange(phase_s, duration_s, period_s)


def _video(
    path: Path,
    *,
    stops: np.ndarray,
    period_s: float,
    pan_px_s: float = 0.0,
    contrast: float = 1.0,
) -> Path:
    """A bar that swings to and fro, stopping at ``stops`` (its speed |sin|, zero there), on a
    textured floor the camera pans over at ``pan_px_s``; 25 fps; ``contrast`` < 1 squeezes
    every colour towards mid-grey (a dim, flat video)."""
    rng = np.random.default_rng(0)
    floor = (rng.random((160, 900)) * 120 + 60).astype(np.uint8)
    floor = np.repeat(np.repeat(floor[::8, ::8], 8, 0), 8, 1)[:160, :900]
    n = int(round(8.0 * FPS))
    frames = []
    for k in range(n):
        t = k / FPS
        # position: the integral of |sin|, so the speed is 0 at each stop
        x = 80 * np.cos(np.pi * (t - stops[0]) / period_s)
        pan = int(round(pan_px_s * t))
        img = np.stack([floor[:, pan : pan + 160]] * 3, -1).copy()
        cx = int(round(80 + x * 0.8))
        img[40:120, max(0, cx - 4) : cx + 4] = (200, 30, 30)
        frames.append((128 + contrast * (img.astype(np.float32) - 128)).astype(np.uint8))
    return write_video(path, frames, fps=FPS, crf=18)


@pytest.mark.parametrize("pan, contrast", [(0.0, 1.0), (40.0, 1.0), (40.0, 0.2)])
def test_minima_of_the_energy_are_the_stops(tmp_path: Path, pan: float, contrast: float) -> None:
    # stops off the 8 fps grid: a third of a clock frame after it
    period, phase = 0.53, 0.2 + 1 / 24
    stops = _stops(8.0, period, phase)
    video = _video(
        tmp_path / "v.mp4", stops=stops, period_s=period, pan_px_s=pan, contrast=contrast
    )
    a = analyze(video, ENERGY, music=False)
    e = a.dance.energy
    assert e.shape == (a.n_frames, 4) and e.dtype == np.float32
    t = energy_minima(e, fps=a.clock.fps)
    inner = stops[(stops > 0.3) & (stops < 7.7)]
    err = np.abs(t[:, None] - inner[None, :]).min(axis=0)
    # every stop found within 40 ms (a third of a clock frame), and nothing between them
    assert np.all(err < 0.04), err
    assert len(t) <= len(stops) + 1


def test_energy_is_measured_between_decoded_frames_not_clock_frames(tmp_path: Path) -> None:
    stops = _stops(8.0, 0.53, 0.2)
    video = _video(tmp_path / "v.mp4", stops=stops, period_s=0.53)
    seen: list[float] = []

    class Tap:
        size = 32

        def __call__(self, time_s: float, gray: np.ndarray) -> None:
            assert gray.shape == (32, 32) and gray.dtype == np.uint8
            seen.append(time_s)

    clock = list(iter_frames(video, fps=8, size=64, gray=True, tap=Tap()))
    assert len(clock) == 64
    assert len(seen) == 200  # every frame of the 25 fps video
    np.testing.assert_allclose(np.diff(seen), 1 / FPS, atol=1e-3)


def test_on_clock_puts_the_samples_at_the_middles_of_each_frames_parts() -> None:
    m = MotionEnergy()
    # a ramp measured at 100 Hz: energy = time
    m.times, m.values = list(np.arange(0, 2, 0.01)), list(np.arange(0, 2, 0.01))
    e = m.on_clock(8, fps=8.0, steps=4)
    t = sample_times(8, fps=8.0, steps=4)
    np.testing.assert_allclose(t[1], (1 + np.array([-3, -1, 1, 3]) / 8) / 8)
    np.testing.assert_allclose(e[1:], t[1:], atol=1e-6)
    assert e[0, 0] == 0.0  # before the first pair: held
    assert np.all(MotionEnergy().on_clock(3, fps=8.0) == 0)  # nothing measured
    with pytest.raises(ParameterError):
        m.on_clock(3, fps=0.0)


def test_minima_are_refined_below_the_sample() -> None:
    fps, steps = 8.0, 4
    t = sample_times(80, fps=fps, steps=steps).ravel()
    e = 1.0 - np.cos(2 * np.pi * (t - 0.3) / 1.1)  # zero at 0.3 + 1.1 k
    got = energy_minima(e.reshape(80, steps), fps=fps)
    want = 0.3 + 1.1 * np.arange(9)
    np.testing.assert_allclose(got, want[want < 9.8], atol=5e-3)
    s = energy_stillness(e.reshape(80, steps), fps=fps)
    assert s.shape == (80,) and s.max() == pytest.approx(1.0, abs=1e-3) and s.min() >= 0
    assert np.all(energy_minima(np.zeros((10, 4)), fps=fps) == np.zeros(0))
    with pytest.raises(ParameterError):
        energy_minima(np.zeros(10), fps=fps)


def test_dance_features_keep_the_energy_through_arrays_and_slices() -> None:
    d = DanceFeatures(
        hoof=np.zeros((10, 4), np.float32),
        magnitude=np.zeros(10, np.float32),
        strength=np.zeros(10, np.float32),
        rhythm_frames=np.array([2, 7]),
        energy=np.arange(40, dtype=np.float32).reshape(10, 4),
    )
    back = DanceFeatures.from_arrays(d.to_arrays())
    np.testing.assert_array_equal(back.energy, d.energy)
    np.testing.assert_array_equal(d.slice(3, 6).energy, d.energy[3:6])
    old = {k: v for k, v in d.to_arrays().items() if k != "energy"}
    assert DanceFeatures.from_arrays(old).energy is None
    with pytest.raises(ParameterError):
        DanceFeatures.from_arrays(d.to_arrays() | {"energy": np.zeros((9, 4))})


def test_motion_energy_rhythm_and_its_clear_error_without_energy(tmp_path: Path) -> None:
    from mudar.tasks.rhythm import dance_rhythm, rhythm_report

    stops = _stops(8.0, 0.53, 0.2)
    video = _video(tmp_path / "v.mp4", stops=stops, period_s=0.53)
    a = analyze(video, ENERGY, music=False)
    report = rhythm_report(a, method="motion-energy")
    times = np.asarray(report["dance"]["rhythm_times"])
    assert len(times) >= 10 and report["dance"]["method"] == "motion-energy"
    frames, strength = dance_rhythm(a, method="motion-energy")
    assert strength.shape == (a.n_frames,)
    np.testing.assert_array_equal(frames, np.unique(np.round(times * 8).astype(int)))
    plain = analyze(video, AnalysisConfig(), music=False)  # the default measures none
    assert plain.dance.energy is None
    with pytest.raises(ParameterError, match="no motion energy"):
        dance_rhythm(plain, method="motion-energy")


def test_only_what_reads_the_energy_asks_for_it():
    from mudar.pipelines.method import analysis_setup
    from mudar.tasks.rhythm import measure_needs

    plain = AnalysisConfig()
    assert plain.energy_steps == 0 and "energy_steps" not in plain.to_dict()
    assert measure_needs(plain, ["hoof-flux", "directogram"]) is plain
    assert measure_needs(plain, ["hoof-flux", "motion-energy"]).energy_steps == 4
    assert measure_needs(ENERGY, ["motion-energy"]) is ENERGY
    assert ENERGY.key() != plain.key() and AnalysisConfig.from_dict(ENERGY.to_dict()) == ENERGY
    assert analysis_setup("motion-energy")[0].energy_steps == 4
    assert analysis_setup("hoof-flux")[0].energy_steps == 0
    with pytest.raises(ParameterError):
        AnalysisConfig(energy_steps=-1)


def _panned(
    rng: np.random.Generator, dx: float, dy: float, *, figure: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """A 128 px textured floor and the same floor moved by (dx, dy) px in the picture (a camera
    pan); with ``figure``, a dark figure that moves its own way (an eighth of the picture)."""
    import cv2

    big = cv2.GaussianBlur((rng.random((192, 192)) * 255).astype(np.float32), (0, 0), 4.0)
    big = cv2.normalize(big, None, 20, 235, cv2.NORM_MINMAX)

    def view(x: float, y: float, figure_x: int) -> np.ndarray:
        m = np.float32([[1, 0, 32 + x], [0, 1, 32 + y]])  # the picture's pixel -> the floor's
        img = cv2.warpAffine(big, m, (128, 128), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
        if figure:
            img[40:104, figure_x : figure_x + 32] = 10
        return img.astype(np.uint8)

    # the floor at a picture's pixel p is big[p + 32 + (x, y)]: it moves by -(x, y)
    return view(0.0, 0.0, 40), view(-dx, -dy, 46)


@pytest.mark.parametrize("dx, dy", [(0.0, 0.0), (0.05, 0.07), (0.3, -0.2), (1.7, 0.9), (-2.4, 1.3)])
def test_camera_shift_recovers_a_known_pan(rng: np.random.Generator, dx: float, dy: float):
    a, b = _panned(rng, dx, dy)
    np.testing.assert_allclose(camera_shift(a, b), (dx, dy), atol=0.1)


def test_camera_shift_equals_the_median_of_the_full_size_flow(rng: np.random.Generator):
    import cv2

    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)
    for dx, dy in [(0.3, -0.2), (1.7, 0.9), (-2.4, 1.3)]:
        a, b = _panned(rng, dx, dy, figure=True)
        full = dis.calc(a, b, None)  # the reference: flow at 128 px, every 4th pixel each way
        want = np.median(full[::4, ::4].reshape(-1, 2), axis=0)
        np.testing.assert_allclose(camera_shift(a, b), want, atol=1e-4)
    with pytest.raises(ParameterError):
        camera_shift(a[:8, :8], b[:8, :8])
