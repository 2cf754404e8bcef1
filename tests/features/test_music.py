"""Music features: known answers on synthetic signals and on hand-annotated real music."""

from __future__ import annotations

import time
from pathlib import Path

import librosa
import mir_eval
import numpy as np
import pytest

from mudar.clock import DEFAULT_CLOCK, FrameClock
from mudar.errors import ParameterError
from mudar.features import dsp
from mudar.features.music import (
    MusicFeatures,
    melspectrogram,
    music_features,
    onset_times,
    superflux_envelope,
)
from mudar.features.tempo import (
    beat_tempo,
    estimate_tempo,
    tempo_alternatives,
    tempogram,
    track_beats,
)
from mudar.io.audio import load_audio
from mudar.synthetic.soundtrack import synth_music

SR = DEFAULT_CLOCK.sr
HOP = DEFAULT_CLOCK.hop
# real data (``shared_data`` fixture: ../shared/data beside the repo, skipped when absent)
MADMOM = Path("music") / "madmom"
TRUMPET = Path("music") / "librosa" / "sorohanro_-_solo-trumpet-06.ogg"


def _load(path: Path) -> np.ndarray:
    if not path.exists():
        pytest.skip(f"real test data absent: {path}")
    y = load_audio(path, sr=SR)
    assert y is not None
    return y


def _annotations(path: Path) -> np.ndarray:
    return np.loadtxt(path, comments="#", ndmin=2)[:, 0]


def _click_track(bpm: float, duration_s: float, rng: np.random.Generator) -> np.ndarray:
    times = np.arange(0.0, duration_s, 60.0 / bpm)
    y = librosa.clicks(times=times, sr=SR, length=round(duration_s * SR))
    return (y + 0.01 * rng.standard_normal(len(y))).astype(np.float32)


# --- real music, hand-annotated (madmom's sample.wav) -------------------------------------------


def test_onsets_match_hand_annotations(shared_data: Path) -> None:
    f = music_features(_load(shared_data / MADMOM / "sample.wav"), clock=DEFAULT_CLOCK)
    ref = _annotations(shared_data / MADMOM / "sample.onsets")
    fmeasure, _, _ = mir_eval.onset.f_measure(ref, f.onset_times, window=0.05)
    assert fmeasure >= 0.95


def test_beat_tracker_at_the_annotated_tempo_finds_the_annotated_beats(shared_data: Path) -> None:
    # The file is 2.8 s of syncopated music: its strongest periodicity (~116 BPM, also librosa's
    # estimate) is not the annotated 87.5 BPM, so the tracker is tested at the annotated tempo.
    f = music_features(_load(shared_data / MADMOM / "sample.wav"), clock=DEFAULT_CLOCK)
    beats = track_beats(f.onset_envelope, sr=SR, hop_length=HOP, tempo_bpm=87.5)
    ref = _annotations(shared_data / MADMOM / "sample.beats")
    # the beats now run to the end of the music: the tracker's last, at 2.73 s, lies where the
    # annotation would have its next beat (2.15 + 0.69 s) had the 2.8 s file not ended there;
    # it is scored against the annotated span only (one period beyond its last beat)
    span = beats[beats <= ref[-1] + 0.5 * 60.0 / 87.5]
    assert len(beats) - len(span) <= 1
    assert mir_eval.beat.f_measure(ref, span) >= 0.9


def test_trumpet_loop_tempo_is_90_bpm_or_its_double(shared_data: Path) -> None:
    # the loop is 90 BPM; the trumpet plays on the half beat, and we (like librosa) find ~184
    tempo = music_features(_load(shared_data / TRUMPET), clock=DEFAULT_CLOCK).tempo_bpm
    assert min(abs(tempo / 90.0 - 1), abs(tempo / 180.0 - 1)) <= 0.03, tempo


# --- synthetic known answers ---------------------------------------------------------------------


@pytest.mark.parametrize("bpm", [70, 90, 110, 128, 150, 180])
def test_click_track_tempo_beats_and_onsets(bpm: float, rng: np.random.Generator) -> None:
    duration = 20.0
    f = music_features(_click_track(bpm, duration, rng), clock=DEFAULT_CLOCK)
    assert f.tempo_bpm == pytest.approx(bpm, rel=0.02)
    clicks = np.arange(0.0, duration, 60.0 / bpm)
    assert mir_eval.beat.f_measure(clicks, f.beat_times) >= 0.9
    assert mir_eval.onset.f_measure(clicks, f.onset_times, window=0.05)[0] >= 0.95


def test_onsets_land_on_the_video_frames_of_the_clicks(rng: np.random.Generator) -> None:
    # 120 BPM at 8 fps: a click every 4 video frames, starting at frame 2
    times = 0.25 + np.arange(20) * 0.5
    y = librosa.clicks(times=times, sr=SR, length=11 * SR) + 0.01 * rng.standard_normal(11 * SR)
    f = music_features(y.astype(np.float32), clock=DEFAULT_CLOCK)
    want = np.zeros(f.n_frames, dtype=np.float32)
    want[2:80:4] = 1.0  # nothing at frame 0 either: the noise starting there is not an onset
    np.testing.assert_array_equal(f.onsets, want)
    assert f.onset_strength.max() == 1.0 and f.onset_strength.min() >= 0.0
    assert np.all(f.onset_strength[2:80:4] > 0.5)


def test_tone_onset_is_found_within_two_fine_frames(rng: np.random.Generator) -> None:
    t = np.arange(3 * SR) / SR
    y = np.sin(2 * np.pi * 440 * t) * (t >= 1.0) + 1e-3 * rng.standard_normal(len(t))
    S = melspectrogram(y.astype(np.float32), sr=SR, hop_length=HOP)
    env = superflux_envelope(S, sr=SR, hop_length=HOP)
    found = onset_times(env, sr=SR, hop_length=HOP)
    assert len(found) == 1
    assert abs(found[0] - 1.0) <= 2 * HOP / SR


def test_superflux_max_filter_suppresses_vibrato() -> None:
    # Eq. 2: the maximum filter over frequency keeps a +-1 semitone vibrato from reading as onsets
    t = np.arange(4 * SR) / SR
    f0 = 440 * 2 ** (np.sin(2 * np.pi * 5.5 * t) / 12)
    y = (np.sin(2 * np.pi * np.cumsum(f0) / SR) * (t >= 1.0)).astype(np.float32)
    S = melspectrogram(y, sr=SR, hop_length=HOP)
    after = slice(round(1.2 * SR / HOP), None)  # past the onset itself

    def vibrato_flux(max_size: int) -> float:
        env = superflux_envelope(S, sr=SR, hop_length=HOP, lag=1, max_size=max_size)
        return float(env[after].mean() / env.max())

    assert vibrato_flux(3) < 0.5 * vibrato_flux(1)


def test_melspectrogram_shape_and_range(rng: np.random.Generator) -> None:
    y = rng.standard_normal(SR).astype(np.float32)
    S = melspectrogram(y, sr=SR, hop_length=HOP, n_mels=64)
    assert S.dtype == np.float32
    assert S.shape == (64, 1 + SR // HOP)
    assert S.max() == 0.0 and S.min() >= -80.0


def test_tempogram_rows_are_lags() -> None:
    env = np.zeros(640, dtype=np.float32)
    env[::32] = 1.0  # period 32 frames = 0.5 s = 120 BPM
    tg = tempogram(env, sr=SR, hop_length=HOP, win_length=128)
    assert tg.shape == (128, 640)
    assert int(np.argmax(tg[1:, 320])) + 1 == 32
    assert estimate_tempo(env, sr=SR, hop_length=HOP) == pytest.approx(120.0, rel=0.01)


# --- lengths and degenerate input ----------------------------------------------------------------


@pytest.mark.parametrize("duration", [3.37, 0.5, 7.999])
def test_every_array_has_the_clip_length(duration: float, rng: np.random.Generator) -> None:
    clock = DEFAULT_CLOCK
    y = _click_track(110, duration, rng)
    n = clock.n_frames(duration)
    f = music_features(y, clock=clock)
    _assert_lengths(f, n, clock)
    # an explicit n_frames trims or pads
    for want in (n // 2, n + 5):
        _assert_lengths(music_features(y, clock=clock, n_frames=want), want, clock)


def test_other_clock_lengths(rng: np.random.Generator) -> None:
    clock = FrameClock(fps=25.0, sr=16000, sub=4)
    y = rng.standard_normal(round(2.3 * 16000)).astype(np.float32)
    f = music_features(y, clock=clock)
    _assert_lengths(f, 57, clock)


def _assert_lengths(f: MusicFeatures, n: int, clock: FrameClock) -> None:
    assert f.n_frames == n
    for per_frame in (f.onset_strength, f.onsets, f.beats):
        assert per_frame.shape == (n,) and per_frame.dtype == np.float32
    assert f.tempogram.shape[1] == n
    assert f.mel.shape[1] == n * clock.sub
    assert f.onset_envelope.shape == (n * clock.sub,)
    for times in (f.onset_times, f.beat_times):
        assert np.all((times >= 0) & (times < n / clock.fps))


@pytest.mark.parametrize("n_frames", [0, 1, 4])
def test_silence_and_empty_clips_do_not_crash(n_frames: int) -> None:
    f = music_features(np.zeros(n_frames * 2000, dtype=np.float32), clock=DEFAULT_CLOCK)
    assert f.n_frames == n_frames
    assert f.tempo_bpm == 0.0
    assert f.onset_times.size == 0 and f.beat_times.size == 0
    assert not f.onsets.any() and not f.beats.any() and not f.onset_strength.any()
    _assert_lengths(f, n_frames, DEFAULT_CLOCK)


def test_too_short_for_a_tempo(rng: np.random.Generator) -> None:
    # 1/8 s cannot hold two periods of any tempo below 320 BPM
    y = rng.standard_normal(2000).astype(np.float32)
    assert music_features(y, clock=DEFAULT_CLOCK).tempo_bpm == 0.0
    assert music_features(y, clock=DEFAULT_CLOCK, n_frames=0).tempo_bpm == 0.0


# --- caching and input checks --------------------------------------------------------------------


def test_npz_round_trip(tmp_path: Path, rng: np.random.Generator) -> None:
    f = music_features(_click_track(128, 4.0, rng), clock=DEFAULT_CLOCK)
    arrays = f.to_arrays()
    assert all(isinstance(v, np.ndarray) for v in arrays.values())
    assert arrays["tempo_bpm"].shape == ()
    np.savez(tmp_path / "m.npz", **arrays)
    with np.load(tmp_path / "m.npz") as d:
        g = MusicFeatures.from_arrays(d)
    assert isinstance(g.tempo_bpm, float) and g.tempo_bpm == f.tempo_bpm
    for k, v in f.to_arrays().items():
        np.testing.assert_array_equal(g.to_arrays()[k], v)
    with pytest.raises(ParameterError, match="lack"):
        MusicFeatures.from_arrays({k: v for k, v in arrays.items() if k != "beats"})


def test_bad_input_raises_parameter_error() -> None:
    y = np.zeros(SR, dtype=np.float32)
    with pytest.raises(ParameterError):
        music_features(np.zeros((2, SR), dtype=np.float32), clock=DEFAULT_CLOCK)
    with pytest.raises(ParameterError):
        music_features(y, clock=DEFAULT_CLOCK, n_frames=-1)
    with pytest.raises(ParameterError):
        music_features(np.full(SR, np.nan, dtype=np.float32), clock=DEFAULT_CLOCK)
    with pytest.raises(ParameterError):
        melspectrogram(y, sr=0, hop_length=HOP)
    with pytest.raises(ParameterError):
        superflux_envelope(np.zeros(10), sr=SR, hop_length=HOP)
    with pytest.raises(ParameterError):
        track_beats(np.ones(64), sr=SR, hop_length=HOP, tempo_bpm=-1.0)
    with pytest.raises(ParameterError):
        onset_times(np.ones(64), sr=SR, hop_length=HOP, wait_s=-0.1)


def test_a_minute_of_music_takes_well_under_half_a_second(rng: np.random.Generator) -> None:
    y = _click_track(128, 60.0, rng)
    music_features(y[: 5 * SR], clock=DEFAULT_CLOCK)  # warm-up: numba compiles the beat tracker
    best = np.inf
    for _ in range(3):
        start = time.perf_counter()
        music_features(y, clock=DEFAULT_CLOCK)
        best = min(best, time.perf_counter() - start)
    assert best < 0.5


def test_stft_window_reaches_the_music_features_without_changing_the_default_key(
    audio_wav: Path,
) -> None:
    from mudar.features.analysis import AnalysisConfig
    from mudar.features.extract import analyze
    from mudar.models.config import MudarConfig
    from mudar.models.presets import MUDAR_PRESETS

    # the default keys, as without the option (they change with FEATURES_VERSION only)
    assert AnalysisConfig().key() == "85731f504c38"
    assert MUDAR_PRESETS["cpu"].model.analysis_config().key() == "e67d2dc7c14a"
    hamming = AnalysisConfig(stft_window="hamming")
    assert hamming.key() != AnalysisConfig().key()
    assert AnalysisConfig.from_dict(hamming.to_dict()) == hamming
    assert MudarConfig(stft_window="hamming").analysis_config().stft_window == "hamming"
    assert MudarConfig.from_dict(MUDAR_PRESETS["cpu"].model.to_dict()).stft_window == "hann"
    old = MUDAR_PRESETS["cpu"].model.to_dict()
    del old["stft_window"]  # a checkpoint from before the option
    assert MudarConfig.from_dict(old).stft_window == "hann"
    with pytest.raises(ParameterError):
        AnalysisConfig(stft_window="blackman")
    with pytest.raises(ParameterError):
        music_features(np.zeros(16000, np.float32), clock=DEFAULT_CLOCK, window="blackman")
    # the analysis of a file uses it
    got = analyze(audio_wav, config=hamming).music
    y = load_audio(audio_wav, sr=SR)
    want = music_features(y, clock=DEFAULT_CLOCK, n_frames=got.n_frames, window="hamming")
    np.testing.assert_array_equal(got.mel, want.mel)
    m = got.mel.shape[1]
    np.testing.assert_array_equal(
        got.mel, melspectrogram(DEFAULT_CLOCK.fit_audio(y, got.n_frames), sr=SR, hop_length=HOP,
                                window="hamming")[:, :m]
    )  # fmt: skip
    assert not np.array_equal(got.mel, analyze(audio_wav).music.mel)


# --- beats from the first beat of the music to its last; the tempo the beats keep (issue 28) ----


def _kicks_and_hats(
    bpm: float, duration_s: float, hat_gain: float
) -> tuple[np.ndarray, np.ndarray]:
    """A kick on every beat and a hi-hat as loud as ``hat_gain`` on every off-beat."""
    from mudar.synthetic.soundtrack import synth_music

    y, beats = synth_music(
        tempo_bpm=bpm, duration_s=duration_s, sr=SR, accents=False, tonal_bed=False
    )
    rng = np.random.default_rng(1)
    t = np.arange(round(0.06 * SR)) / SR
    hat = np.diff(rng.standard_normal(t.size + 1)) * np.exp(-t / 0.015) * hat_gain
    y = y.astype(np.float64)
    for b in beats:
        at = round((b + 30.0 / bpm) * SR)
        m = min(hat.size, y.size - at)
        if m > 0:
            y[at : at + m] += hat[:m]
    return (0.9 * y / np.abs(y).max()).astype(np.float32), beats


def test_off_beat_hats_name_both_80_and_160_bpm() -> None:
    # the breakdance case: 80 BPM kicks with loud off-beat hats read 160; 80 is then named too
    y, kicks = _kicks_and_hats(80.0, 20.0, hat_gain=0.6)
    f = music_features(y, clock=DEFAULT_CLOCK)
    alts = tempo_alternatives(
        f.tempogram.mean(axis=1), sr=SR, hop_length=HOP, tempo_bpm=f.tempo_bpm
    )
    named = [f.tempo_bpm, *alts]
    assert any(abs(t / 80.0 - 1) <= 0.02 for t in named), named
    assert any(abs(t / 160.0 - 1) <= 0.02 for t in named), named
    # the tempo shown is the one the beats keep
    assert f.tempo_bpm == pytest.approx(beat_tempo(f.beat_times))


def test_kicks_alone_name_no_double_and_no_40_bpm() -> None:
    y, _ = _kicks_and_hats(80.0, 20.0, hat_gain=0.0)
    f = music_features(y, clock=DEFAULT_CLOCK)
    assert f.tempo_bpm == pytest.approx(80.0, rel=0.02)
    alts = tempo_alternatives(
        f.tempogram.mean(axis=1), sr=SR, hop_length=HOP, tempo_bpm=f.tempo_bpm
    )
    assert alts == []  # 160 has no support, 40 is outside a dancer's count


@pytest.mark.parametrize("bpm", [80, 128])
def test_beats_run_from_the_first_kick_to_the_last_as_the_music_fades(bpm: float) -> None:
    # the second half is 20 dB quieter: librosa's trim cut it off; then 4 s of silence
    y, kicks = _kicks_and_hats(float(bpm), 24.0, hat_gain=0.2)
    y[y.size // 2 :] *= 0.1
    y = np.concatenate([y, np.zeros(4 * SR, np.float32)])
    f = music_features(y, clock=DEFAULT_CLOCK)
    period = 60.0 / bpm
    assert abs(f.beat_times[0] - kicks[0]) <= period
    assert f.beat_times[-1] >= kicks[-1] - period  # to the end of the music
    assert f.beat_times[-1] <= 24.0 + period / 2  # and not into the silence after it


def test_beats_reach_the_end_of_a_dwm_song(shared_data: Path) -> None:
    # DANCE_C_2: the trimmed tracker stopped at 47 s of a 75.5 s song
    y = _load(shared_data / "dwm" / "DANCE_C_2" / "audio.ogg")
    f = music_features(y, clock=DEFAULT_CLOCK)
    period = 60.0 / f.tempo_bpm
    assert y.size / SR - f.beat_times[-1] <= period
    assert f.beat_times[0] <= period


def test_beat_tempo_is_the_median_interval_without_the_frame_grid() -> None:
    beats = np.round((0.3 + 0.6 * np.arange(10)) * 64) / 64  # 100 BPM on 64 frames/s
    assert beat_tempo(beats) == pytest.approx(100.0, rel=2e-3)
    assert 60.0 / np.median(np.diff(beats)) == pytest.approx(101.05, abs=0.01)  # one interval
    skipped = np.delete(0.5 * np.arange(40), 20)  # one missed beat does not move it
    assert beat_tempo(skipped) == pytest.approx(120.0)
    assert beat_tempo(np.array([1.0])) == 0.0


@pytest.mark.parametrize(("bpm", "first"), [(120.0, 0.3), (90.0, 0.4), (150.0, 0.25)])
def test_the_first_beat_is_the_first_kick_however_soon_the_music_starts(
    bpm: float, first: float
) -> None:
    # a first kick between half a beat and a beat in: librosa's path paid a penalty for it
    # (no predecessor a whole period back) and began a beat later
    y, kicks = synth_music(tempo_bpm=bpm, duration_s=12.0, sr=SR, offset_s=first)
    env = music_features(y, clock=DEFAULT_CLOCK).onset_envelope
    beats = track_beats(env, sr=SR, hop_length=HOP, tempo_bpm=bpm)
    assert abs(beats[0] - kicks[0]) <= 0.035
    assert mir_eval.beat.f_measure(kicks, beats) == 1.0
    librosa_like = dsp.beat_track(env.astype(np.float64), frame_rate=SR / HOP, bpm=bpm)
    assert librosa_like[0] * HOP / SR > kicks[1] - 0.035  # the bug this guards against


def test_an_off_beat_sound_at_the_end_does_not_set_the_phase() -> None:
    # 175 BPM kicks with off-beat hats and no chords, 20 s: librosa's path ended on the last
    # hat and, traced back from there, put every beat on the off-beats
    y, kicks = synth_music(tempo_bpm=175.0, duration_s=20.0, sr=SR, offset_s=0.6, tonal_bed=False)
    env = music_features(y, clock=DEFAULT_CLOCK).onset_envelope
    beats = track_beats(env, sr=SR, hop_length=HOP, tempo_bpm=175.0)
    assert mir_eval.beat.f_measure(kicks, beats) >= 0.95
    librosa_like = dsp.beat_track(env.astype(np.float64), frame_rate=SR / HOP, bpm=175.0)
    assert mir_eval.beat.f_measure(kicks, librosa_like * HOP / SR) < 0.1
