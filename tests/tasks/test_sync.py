"""Audio-video sync: known delays of event trains and of synthetic dance videos, the confidence,
the audio shift and the analysis clock."""

from __future__ import annotations

import numpy as np
import pytest

import media_factory as mf
from mudar.errors import ParameterError
from mudar.features.analysis import AnalysisConfig
from mudar.features.extract import analyze
from mudar.io import probe
from mudar.io.audio import load_audio_track
from mudar.io.remux import remux_with_audio
from mudar.methods import SYNC, SYNC_MIN_CONFIDENCE
from mudar.tasks.sync import (
    estimate_offset,
    min_confidence,
    offset_curve,
    shift_audio,
    sync_clock,
    sync_offset,
    sync_report,
)

FPS, RATE = 25.0, 100.0
TOLERANCE_S = 0.08


def bumps(times_s: np.ndarray, *, rate: float, duration_s: float, width_s: float = 0.03):
    """Gaussian bumps at ``times_s`` sampled at ``rate``, shape (round(duration_s * rate),)."""
    t = np.arange(round(duration_s * rate)) / rate
    return np.exp(-0.5 * ((t[:, None] - times_s[None, :]) / width_s) ** 2).sum(1)


def irregular_events(rng, duration_s: float = 20.0) -> np.ndarray:
    """Event times with gaps of 0.3-0.8 s: no period, so a single delay fits."""
    return np.cumsum(rng.uniform(0.3, 0.8, int(duration_s / 0.3)))


# --- the estimator on signals ------------------------------------------------------------------


@pytest.mark.parametrize("delay_s", [0.0, 0.3, -0.2, 0.537, -0.91])
def test_delay_of_an_event_train_is_found_below_a_frame(rng, delay_s):
    events = irregular_events(rng)
    dance = bumps(events, rate=FPS, duration_s=20.0, width_s=0.06)
    music = bumps(events + delay_s, rate=RATE, duration_s=20.0)  # audio late by delay_s
    e = estimate_offset(dance, music, fps=FPS, rate=RATE)
    assert e.offset_s == pytest.approx(delay_s, abs=0.01)  # a quarter of a 25 fps frame
    assert e.confidence > 0.3
    assert e.correlation == pytest.approx(e.curve.max(), abs=0.02)
    assert e.lags_s[0] == pytest.approx(-1.0) and e.lags_s[-1] == pytest.approx(1.0)


def test_sign_convention_audio_late_is_positive(rng):
    events = irregular_events(rng)
    dance = bumps(events, rate=FPS, duration_s=20.0)
    late = estimate_offset(
        dance, bumps(events + 0.25, rate=RATE, duration_s=20.0), fps=FPS, rate=RATE
    )
    early = estimate_offset(
        dance, bumps(events - 0.25, rate=RATE, duration_s=20.0), fps=FPS, rate=RATE
    )
    assert late.offset_s > 0.2 and early.offset_s < -0.2


def test_steady_beat_fixes_the_delay_only_modulo_a_beat():
    beats = 0.1 + 0.5 * np.arange(40)  # 120 BPM: delays 0.3 and -0.2 look the same
    dance = bumps(beats, rate=FPS, duration_s=20.0, width_s=0.06)
    music = bumps(beats + 0.3, rate=RATE, duration_s=20.0)
    e = estimate_offset(dance, music, fps=FPS, rate=RATE)
    assert min(abs(e.offset_s - 0.3), abs(e.offset_s + 0.2)) < 0.02
    assert e.confidence < 0.05


def test_unrelated_signals_get_low_confidence(rng):
    dance = bumps(irregular_events(rng), rate=FPS, duration_s=20.0, width_s=0.06)
    music = bumps(irregular_events(rng), rate=RATE, duration_s=20.0)
    assert estimate_offset(dance, music, fps=FPS, rate=RATE).confidence < 0.15


def test_delay_beyond_the_range_gets_low_or_no_confidence(rng):
    events = irregular_events(rng)
    dance = bumps(events, rate=FPS, duration_s=20.0, width_s=0.06)
    music = bumps(events + 0.8, rate=RATE, duration_s=20.0)
    assert estimate_offset(dance, music, fps=FPS, rate=RATE, max_offset_s=0.5).confidence < 0.15
    # one slow swell: the correlation still rises at the end of the range, so no peak
    dance = bumps(np.array([10.0]), rate=FPS, duration_s=20.0, width_s=1.0)
    music = bumps(np.array([10.8]), rate=RATE, duration_s=20.0, width_s=1.0)
    e = estimate_offset(dance, music, fps=FPS, rate=RATE, max_offset_s=0.5)
    assert e.offset_s == pytest.approx(0.5) and e.confidence == 0.0


def test_still_video_or_silence_gives_zero(rng):
    music = bumps(irregular_events(rng), rate=RATE, duration_s=20.0)
    e = estimate_offset(np.zeros(500), music, fps=FPS, rate=RATE)
    assert (e.offset_s, e.confidence, e.correlation) == (0.0, 0.0, 0.0)


def test_curve_is_pearson_on_each_overlap(rng):
    d = rng.random(250)  # 10 s at 25 fps
    m = np.interp(np.arange(1000) / RATE, np.arange(250) / FPS, d)  # the same at 100 Hz
    lags, r = offset_curve(d, m, fps=FPS, rate=RATE, max_offset_s=0.5)
    assert r.shape == lags.shape == (101,)
    assert r[50] == pytest.approx(1.0) and np.all(r <= 1 + 1e-9) and np.all(r >= -1 - 1e-9)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(dance=np.zeros((4, 4))), "1-D"),
        (dict(music=np.full(100, np.nan)), "non-finite"),
        (dict(max_offset_s=0.0), "positive"),
        (dict(fps=-1.0), "positive"),
        (dict(dance=np.ones(40), music=np.ones(160)), "too short"),
    ],
)
def test_bad_arguments(rng, kwargs, match):
    args = dict(dance=rng.random(250), music=rng.random(1000), fps=FPS, max_offset_s=1.0)
    args |= kwargs
    with pytest.raises(ParameterError, match=match):
        estimate_offset(
            args["dance"],
            args["music"],
            fps=args["fps"],
            rate=RATE,
            max_offset_s=args["max_offset_s"],
        )


# --- shifting the audio and the analysis clock ------------------------------------------------


def test_shift_audio_advances_and_delays_keeping_the_length():
    y = np.arange(1, 11, dtype=np.float32)
    np.testing.assert_array_equal(
        shift_audio(y, offset_s=0.3, sr=10), [4, 5, 6, 7, 8, 9, 10, 0, 0, 0]
    )
    np.testing.assert_array_equal(
        shift_audio(y, offset_s=-0.2, sr=10), [0, 0, 1, 2, 3, 4, 5, 6, 7, 8]
    )
    assert not shift_audio(y, offset_s=2.0, sr=10).any()
    stereo = np.stack([y, -y], 1)
    out = shift_audio(stereo, offset_s=0.1, sr=10)
    assert out.shape == (10, 2) and out.dtype == np.float32 and out[0, 1] == -2
    with pytest.raises(ParameterError):
        shift_audio(y, offset_s=float("nan"), sr=10)


@pytest.mark.parametrize(
    "native, fps, sub",
    [
        (25.0, 25.0, 4),
        (29.97, 25.0, 4),
        (60.0, 25.0, 4),
        (24.0, 20.0, 5),
        (23.976, 20.0, 5),
        (15.0, 12.5, 8),
        (5.0, 8.0, 10),
        (0.0, 25.0, 4),
    ],
)
def test_sync_clock_never_samples_faster_than_the_video(native, fps, sub):
    clock = sync_clock(native)
    assert (clock.fps, clock.sub, clock.sr) == (fps, sub, 16000)
    assert clock.fine_rate in (80.0, 100.0)


def test_sync_clock_at_a_chosen_rate():
    assert sync_clock(25.0, fps=8.0).fps == 8.0
    with pytest.raises(ParameterError):
        sync_clock(25.0, sr=16001)


# --- synthetic dance videos ---------------------------------------------------------------------


def delayed_copy(src, dest, delay_s: float):
    """``src`` with its audio ``delay_s`` late, video stream copied."""
    y, sr = load_audio_track(src)
    return remux_with_audio(src, dest, shift_audio(y, offset_s=-delay_s, sr=sr), sr=sr)


def estimate_file(path, method="hoof-flux"):
    from mudar.tasks.rhythm import measure_needs

    clock = sync_clock(probe(path).native_fps)
    config = measure_needs(AnalysisConfig(clock=clock, size=128), [method])
    return sync_offset(analyze(path, config), method=method)


@pytest.fixture(scope="module")
def dance_videos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sync")
    src = mf.make_tempo_change_dance(folder)
    return {
        0.0: src,
        0.3: delayed_copy(src, folder / "late.mp4", 0.3),
        -0.2: delayed_copy(src, folder / "early.mp4", -0.2),
        "uncoupled": mf.make_tempo_change_dance(
            folder, "uncoupled.mp4", dance_tempi=(90.0, 90.0, 90.0)
        ),
    }


@pytest.mark.parametrize("delay_s", [0.0, 0.3, -0.2])
def test_delay_of_a_dance_video_is_found(dance_videos, delay_s):
    e = estimate_file(dance_videos[delay_s])
    assert abs(e.offset_s - delay_s) < TOLERANCE_S
    assert e.confidence > 0.15


def test_dance_off_the_music_gets_low_confidence(dance_videos):
    assert estimate_file(dance_videos["uncoupled"]).confidence < 0.1


@pytest.mark.parametrize("delay_s", [0.0, 0.3, -0.2])
def test_the_dancers_stops_find_the_delay_too(dance_videos, delay_s):
    from mudar.tasks.rhythm import rhythm_seconds
    from mudar.tasks.sync import stop_pulses

    e = estimate_file(dance_videos[delay_s], method="motion-energy")
    assert abs(e.offset_s - delay_s) < TOLERANCE_S
    assert e.confidence > 0.05
    assert estimate_file(dance_videos["uncoupled"], method="motion-energy").confidence < 0.05
    config = AnalysisConfig(clock=sync_clock(25.0), size=128, energy_steps=4)
    a = analyze(dance_videos[0.0], config)
    pulses = stop_pulses(a)
    assert len(pulses) == int(a.duration_s * a.clock.fine_rate)
    # one pulse of unit area per stop, at the stop
    stops = rhythm_seconds(a, "motion-energy")
    assert len(stops) > 10 and abs(pulses.sum() - len(stops)) < 1.0
    assert pulses[int(round(stops[5] * a.clock.fine_rate))] > 0.5 * pulses.max()


def test_report_keys_and_rounding(dance_videos):
    e = estimate_file(dance_videos[0.3])
    r = sync_report("late.mp4", e, min_confidence=0.05)
    assert set(r) == {"file", "offset_s", "confidence", "reliable", "min_confidence"}
    assert r["offset_s"] == round(e.offset_s, 3) and 0 <= r["confidence"] <= 1
    assert r["reliable"] is (e.confidence >= 0.05) and r["min_confidence"] == 0.05
    assert sync_report("late.mp4", e, min_confidence=1.01)["reliable"] is False


def test_every_sync_method_has_a_calibrated_level():
    assert set(SYNC_MIN_CONFIDENCE) == set(SYNC)
    assert all(0 < min_confidence(m) < 1 for m in SYNC)
    with pytest.raises(ParameterError, match="unknown sync method"):
        min_confidence("nope")


def test_video_too_short_for_the_range(short_video):
    a = analyze(short_video, AnalysisConfig(clock=sync_clock(24.0), size=32))
    with pytest.raises(ParameterError, match="too short"):
        sync_offset(a, max_offset_s=1.0)


def test_video_without_audio(video_no_audio):
    a = analyze(video_no_audio, AnalysisConfig(clock=sync_clock(25.0), size=32))
    with pytest.raises(ParameterError, match="no audio"):
        sync_offset(a)
