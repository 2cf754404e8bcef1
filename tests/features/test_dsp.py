"""The fast numpy music DSP equals librosa 0.11, its reference, on real and synthetic signals."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import librosa
import numpy as np
import pytest
import scipy.fft
import scipy.signal

from mudar.clock import DEFAULT_CLOCK
from mudar.errors import ParameterError
from mudar.features import dsp as dsp
from mudar.features.dsp import beats as dsp_beats
from mudar.features.music import (
    N_FFT,
    melspectrogram,
    music_features,
    onset_times,
    superflux_envelope,
)
from mudar.features.tempo import (
    TEMPOGRAM_WIN_S,
    beat_tempo,
    estimate_tempo,
    tempogram,
    track_beats,
)
from mudar.io.audio import load_audio

if tuple(int(v) for v in librosa.__version__.split(".")[:2]) < (0, 11):
    pytest.skip("the reference is librosa >= 0.11", allow_module_level=True)

SR = DEFAULT_CLOCK.sr
HOP = DEFAULT_CLOCK.hop
RATE = SR / HOP
WIN = round(TEMPOGRAM_WIN_S * RATE)
# frames: the onset_times defaults of mudar.features.music at 64 frames/s
PEAKS = dict(pre_max=2, post_max=1, pre_avg=6, post_avg=7, wait=2, delta=0.07)

REAL = [
    "librosa/147793__setuniman__sweet-waltz-0i-22mi.ogg",
    "librosa/Hungarian_Dance_number_5_-_Allegro_in_F_sharp_minor_(string_orchestra).ogg",
    "librosa/Karissa_Hobbs_-_Lets_Go_Fishin.ogg",
    "librosa/Kevin_MacLeod_-_Vibe_Ace.ogg",
    "librosa/admiralbob77_-_Choice_-_Drum-bass.ogg",
    "librosa/sorohanro_-_solo-trumpet-06.ogg",
    "madmom/sample.wav",
]


@pytest.fixture(scope="module", params=REAL, ids=lambda p: Path(p).stem[:24])
def real_audio(request, shared_data: Path) -> np.ndarray:
    """A real recording at 16 kHz, mono float32 (skipped when the shared data is absent)."""
    path = shared_data / "music" / request.param
    if not path.exists():
        pytest.skip(f"real test data absent: {path}")
    y = load_audio(path, sr=SR)
    assert y is not None
    return y


def _synthetic(kind: str, rng: np.random.Generator, seconds: float = 6.0) -> np.ndarray:
    n = round(seconds * SR)
    if kind == "noise":
        return rng.standard_normal(n).astype(np.float32)
    if kind == "clicks":  # 128 BPM with jitter and noise
        times = np.arange(0.1, seconds - 0.1, 60 / 128)
        times += rng.uniform(-0.01, 0.01, size=times.size)
        y = librosa.clicks(times=times, sr=SR, length=n)
        return (y + 0.01 * rng.standard_normal(n)).astype(np.float32)
    if kind == "silence":
        return np.zeros(n, dtype=np.float32)
    raise AssertionError(kind)


SYNTHETIC = ["noise", "clicks", "silence"]


# --- librosa's pipeline, as mudar.features.music called it before dsp -------------------


def _ref_mel(y: np.ndarray) -> np.ndarray:
    S = librosa.feature.melspectrogram(
        y=y, sr=SR, n_fft=N_FFT, hop_length=HOP, center=True, pad_mode="reflect", fmin=27.5
    )
    return librosa.power_to_db(S, ref=np.max, top_db=80.0).astype(np.float32)


def _ref_env(S_db: np.ndarray, lag: int = 1, max_size: int = 3) -> np.ndarray:
    return librosa.onset.onset_strength(
        S=S_db, sr=SR, hop_length=HOP, n_fft=N_FFT, lag=lag, max_size=max_size, center=True
    ).astype(np.float32)


def _ref_beats(env: np.ndarray, bpm: float, **kw) -> np.ndarray:
    _, beats = librosa.beat.beat_track(
        onset_envelope=env.astype(np.float64), sr=SR, hop_length=HOP, bpm=bpm, units="frames", **kw
    )
    return beats


def _normalised(env: np.ndarray) -> np.ndarray:
    x = env.astype(np.float32) - env.min()
    x /= x.max() + np.finfo(np.float32).tiny
    return x


# --- STFT, mel, dB -------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 5, 64, 511, 1024])
def test_hann_window_is_scipys_periodic_hann(n: int) -> None:
    np.testing.assert_array_equal(dsp.hann_window(n), scipy.signal.get_window("hann", n))


@pytest.mark.parametrize("n", [1, 2, 5, 64, 511, 1024])
def test_hamming_window_is_scipys_periodic_hamming(n: int) -> None:
    want = scipy.signal.get_window("hamming", n, fftbins=True)
    np.testing.assert_allclose(dsp.hamming_window(n), want, rtol=0, atol=1e-15)


@pytest.mark.parametrize("pad_mode", ["reflect", "constant"])
@pytest.mark.parametrize(("n_fft", "hop"), [(1024, 250), (512, 128)])
def test_stft_power_with_hamming_equals_a_numpy_reference(
    pad_mode: str, n_fft: int, hop: int, rng: np.random.Generator
) -> None:
    # Eq. 1: X(n, k) = sum_m v(nh + m) w(m) exp(-2 pi i k m / N), w the Hamming window
    y = rng.standard_normal(8000)
    w = scipy.signal.get_window("hamming", n_fft, fftbins=True)
    padded = np.pad(y, n_fft // 2, mode=pad_mode)
    n_frames = 1 + (len(padded) - n_fft) // hop
    frames = np.stack([padded[j * hop : j * hop + n_fft] for j in range(n_frames)])
    m = np.arange(n_fft)
    k = np.arange(1 + n_fft // 2)
    dft = np.exp(-2j * np.pi * np.outer(m, k) / n_fft)  # the DFT itself, not an FFT
    want = (np.abs((frames * w) @ dft) ** 2).T
    got = dsp.stft_power(y, n_fft=n_fft, hop_length=hop, window="hamming", pad_mode=pad_mode)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9 * want.max())
    # scipy's window given by its samples is the same (to the last bits of the window)
    np.testing.assert_allclose(
        dsp.stft_power(y, n_fft=n_fft, hop_length=hop, window=w, pad_mode=pad_mode),
        got,
        rtol=1e-12,
        atol=1e-12 * want.max(),
    )


def test_melspectrogram_with_hamming_equals_librosa(real_audio: np.ndarray) -> None:
    S = librosa.feature.melspectrogram(
        y=real_audio,
        sr=SR,
        n_fft=N_FFT,
        hop_length=HOP,
        center=True,
        pad_mode="reflect",
        fmin=27.5,
        window="hamming",
    )
    want = librosa.power_to_db(S, ref=np.max, top_db=80.0).astype(np.float32)
    got = melspectrogram(real_audio, sr=SR, hop_length=HOP, window="hamming")
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-4)
    hann = melspectrogram(real_audio, sr=SR, hop_length=HOP)
    assert np.abs(got - hann).max() > 0.1  # another window, another spectrogram
    with pytest.raises(ParameterError):
        melspectrogram(real_audio, sr=SR, hop_length=HOP, window="blackman")


@pytest.mark.parametrize("pad_mode", ["reflect", "constant"])
def test_stft_power_equals_librosa_on_real_audio(real_audio: np.ndarray, pad_mode: str) -> None:
    ref = np.abs(librosa.stft(real_audio, n_fft=N_FFT, hop_length=HOP, pad_mode=pad_mode)) ** 2
    got = dsp.stft_power(real_audio, n_fft=N_FFT, hop_length=HOP, pad_mode=pad_mode)
    assert got.dtype == np.float32 and got.shape == ref.shape
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-6 * ref.max())


@pytest.mark.parametrize("n", [1, 3, 100, 511, 512, 513, 1000, 2000, 2001, 2250, 16000])
@pytest.mark.parametrize(("n_fft", "hop"), [(1024, 250), (512, 128), (2048, 512), (256, 700)])
def test_stft_power_equals_librosa_on_short_noise(
    n: int, n_fft: int, hop: int, rng: np.random.Generator
) -> None:
    y = rng.standard_normal(n).astype(np.float32)
    for pad_mode in ("reflect", "constant"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # n_fft larger than the signal
            ref = np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop, pad_mode=pad_mode)) ** 2
        got = dsp.stft_power(y, n_fft=n_fft, hop_length=hop, pad_mode=pad_mode)
        assert got.shape == ref.shape == (1 + n_fft // 2, 1 + n // hop)
        np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-6 * ref.max())


def test_stft_power_of_float64_audio_is_float64(rng: np.random.Generator) -> None:
    y = rng.standard_normal(4000)
    ref = np.abs(librosa.stft(y, n_fft=512, hop_length=100)) ** 2
    got = dsp.stft_power(y, n_fft=512, hop_length=100)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12 * ref.max())


@pytest.mark.parametrize(
    ("sr", "n_fft", "n_mels", "fmin", "fmax"),
    [
        (16000, 1024, 128, 27.5, None),
        (16000, 1024, 64, 0.0, 4000.0),
        (22050, 2048, 128, 0.0, None),
        (44100, 4096, 40, 1200.0, 15000.0),  # entirely in the log region
        (8000, 256, 20, 30.0, None),
    ],
)
def test_mel_filterbank_equals_librosa(sr, n_fft, n_mels, fmin, fmax) -> None:
    ref = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax)
    got = dsp.mel_filterbank(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax)
    assert got.dtype == np.float32 and got.shape == (n_mels, 1 + n_fft // 2)
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("kind", SYNTHETIC)
def test_power_to_db_equals_librosa(kind: str, rng: np.random.Generator) -> None:
    S = dsp.stft_power(_synthetic(kind, rng, 1.0), n_fft=512, hop_length=128)
    for ref, top_db in [(np.max, 80.0), (1.0, None), (1e-3, 40.0)]:
        want = librosa.power_to_db(S, ref=ref, top_db=top_db)
        got = dsp.power_to_db(S, ref=ref, top_db=top_db)
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-4)


def test_melspectrogram_equals_librosa_pipeline(real_audio: np.ndarray) -> None:
    got = melspectrogram(real_audio, sr=SR, hop_length=HOP)
    np.testing.assert_allclose(got, _ref_mel(real_audio), rtol=0, atol=1e-4)


@pytest.mark.parametrize("n", [1, 100, 1500, 2000, 2001])
def test_melspectrogram_of_very_short_audio_equals_librosa(
    n: int, rng: np.random.Generator
) -> None:
    y = rng.standard_normal(n).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = _ref_mel(y)
    np.testing.assert_allclose(melspectrogram(y, sr=SR, hop_length=HOP), want, rtol=0, atol=1e-4)


# --- onset envelope and peaks --------------------------------------------------------------------


def test_superflux_envelope_equals_librosa_on_real_audio(real_audio: np.ndarray) -> None:
    S_db = _ref_mel(real_audio)
    for lag, max_size in [(1, 3), (2, 3), (1, 1), (3, 5)]:
        got = superflux_envelope(S_db, sr=SR, hop_length=HOP, lag=lag, max_size=max_size)
        want = _ref_env(S_db, lag=lag, max_size=max_size)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("m", [1, 2, 3, 4, 50])
@pytest.mark.parametrize("max_size", [1, 2, 3, 4, 7, 40])
@pytest.mark.parametrize("lag", [1, 3])
def test_onset_strength_equals_librosa_on_random_spectra(
    m: int, max_size: int, lag: int, rng: np.random.Generator
) -> None:
    for n_bands in (1, 5, 16):
        S = rng.standard_normal((n_bands, m)).astype(np.float32)
        for n_fft, hop in [(N_FFT, HOP), (2048, 512), (256, 256)]:
            want = librosa.onset.onset_strength(
                S=S, n_fft=n_fft, hop_length=hop, lag=lag, max_size=max_size
            )
            got = dsp.onset_strength(S, n_fft=n_fft, hop_length=hop, lag=lag, max_size=max_size)
            assert got.shape == want.shape == (m,) and got.dtype == want.dtype
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_onset_peaks_equal_librosa_on_real_audio(real_audio: np.ndarray) -> None:
    env = _ref_env(_ref_mel(real_audio))
    want = librosa.onset.onset_detect(
        onset_envelope=env, sr=SR, hop_length=HOP, units="frames", normalize=True, **PEAKS
    )
    got = dsp.peak_pick(_normalised(env), **PEAKS)
    np.testing.assert_array_equal(got, want)
    times = onset_times(env, sr=SR, hop_length=HOP)
    np.testing.assert_array_equal(times, want * HOP / SR)


@pytest.mark.parametrize("m", [1, 2, 3, 10, 500])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_peak_pick_equals_librosa_on_random_signals(
    m: int, dtype: type, rng: np.random.Generator
) -> None:
    settings = [
        PEAKS,
        dict(pre_max=0, post_max=1, pre_avg=0, post_avg=1, wait=0, delta=0.0),
        dict(pre_max=3, post_max=3, pre_avg=3, post_avg=5, wait=10, delta=0.5),
        dict(pre_max=30, post_max=20, pre_avg=100, post_avg=100, wait=1, delta=0.01),
    ]
    signals = [
        rng.random(m),
        rng.integers(0, 4, m).astype(float),  # plateaus: ties decide
        np.zeros(m),
    ]
    for x in signals:
        x = x.astype(dtype)
        for kw in settings:
            want = librosa.util.peak_pick(x, **kw)
            np.testing.assert_array_equal(dsp.peak_pick(x, **kw), want)


# --- tempogram ------------------------------------------------------------------------------------


def test_tempogram_equals_librosa_on_real_audio(real_audio: np.ndarray) -> None:
    env = _ref_env(_ref_mel(real_audio))
    want = librosa.feature.tempogram(
        onset_envelope=env, sr=SR, hop_length=HOP, win_length=WIN, center=True
    )
    got = tempogram(env, sr=SR, hop_length=HOP, win_length=WIN)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)


@pytest.mark.parametrize("m", [1, 2, 7, 100, 1500])
@pytest.mark.parametrize("win_length", [1, 2, 7, 64, 384, 512])
def test_autocorrelation_tempogram_equals_librosa_on_random_envelopes(
    m: int, win_length: int, rng: np.random.Generator
) -> None:
    env = (rng.random(m) * (rng.random(m) > 0.7)).astype(np.float32)
    env[: m // 3] = 0.0  # silent start: all-zero columns stay zero
    want = librosa.feature.tempogram(onset_envelope=env, win_length=win_length)
    got = dsp.autocorrelation_tempogram(env, win_length=win_length)
    assert got.shape == want.shape == (win_length, m)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_next_fast_len_real_equals_scipy() -> None:
    for n in range(0, 5000):
        assert dsp.next_fast_len_real(n) == scipy.fft.next_fast_len(n, real=True), n


# --- beats ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("bpm", [60.0, 87.5, 120.0, 143.7, 185.0])
def test_beats_equal_librosa_on_real_audio(real_audio: np.ndarray, bpm: float) -> None:
    env = _ref_env(_ref_mel(real_audio))
    want = _ref_beats(env, bpm)
    got = dsp.beat_track(env.astype(np.float64), frame_rate=RATE, bpm=bpm)
    np.testing.assert_array_equal(got, want)
    times = track_beats(env, sr=SR, hop_length=HOP, tempo_bpm=bpm)
    _assert_librosa_beats_within_the_music(times, env, bpm)


def _assert_librosa_beats_within_the_music(times: np.ndarray, env: np.ndarray, bpm: float) -> None:
    """``times`` are librosa's untrimmed path, with its ends fitted to the music
    (``fit_ends``, which only mudar has: held to known beats in tests/features/test_music.py),
    less some beats at either end (those outside the music), and keep every beat of that path
    trimmed as librosa trims."""
    kw = dict(frame_rate=RATE, bpm=bpm, fit_ends=True)
    untrimmed = dsp.beat_track(env.astype(np.float64), trim=False, **kw) * HOP / SR
    trimmed = dsp.beat_track(env.astype(np.float64), **kw) * HOP / SR
    i = int(np.searchsorted(untrimmed, times[0])) if times.size else 0
    np.testing.assert_array_equal(times, untrimmed[i : i + times.size])
    assert set(trimmed.tolist()) <= set(times.tolist())


@pytest.mark.parametrize("kind", ["noise", "clicks"])
@pytest.mark.parametrize("bpm", [70.0, 128.0, 200.0, 320.0])
def test_beats_equal_librosa_on_synthetic_audio(kind: str, bpm: float, rng) -> None:
    env = _ref_env(_ref_mel(_synthetic(kind, rng)))
    for kw in [{}, dict(tightness=7.5), dict(tightness=400.0, trim=False)]:
        want = _ref_beats(env, bpm, **kw)
        got = dsp.beat_track(env.astype(np.float64), frame_rate=RATE, bpm=bpm, **kw)
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("m", [2, 3, 5, 8, 20, 64])
def test_beats_equal_librosa_on_short_random_envelopes(m: int, rng) -> None:
    for _ in range(5):
        env = rng.random(m) * (rng.random(m) > 0.5)
        env[-1] = 0.5  # some frame after the first is positive
        for bpm in (100.0, 320.0, 1000.0):
            want = _ref_beats(env, bpm)
            got = dsp.beat_track(env, frame_rate=RATE, bpm=bpm)
            np.testing.assert_array_equal(got, want)


def test_beat_tracker_internals_equal_librosa(rng: np.random.Generator) -> None:
    # the local score and the dynamic program, to the last bit (librosa's private kernels)
    import librosa.beat as lb

    env = _ref_env(_ref_mel(_synthetic("clicks", rng)), lag=1).astype(np.float64)
    onsets = env / (env.std(ddof=1) + np.finfo(np.float64).tiny)
    for fpb in (12, 31, 32, 33, 60):
        want_ls = getattr(lb, "__beat_local_score")(onsets, np.array([float(fpb)]))
        got_ls = dsp_beats._beat_local_score(onsets, fpb)
        np.testing.assert_array_equal(got_ls, want_ls)
        want_bl, want_cs = getattr(lb, "__beat_track_dp")(want_ls, np.array([float(fpb)]), 100.0)
        got_bl, got_cs = dsp_beats._beat_track_dp(got_ls, fpb, 100.0)
        np.testing.assert_array_equal(got_bl, want_bl)
        np.testing.assert_array_equal(got_cs, want_cs)


def test_silence_and_tiny_envelopes_give_no_beats() -> None:
    assert dsp.beat_track(np.zeros(100), frame_rate=RATE, bpm=120.0).size == 0
    assert dsp.beat_track(np.ones(1), frame_rate=RATE, bpm=120.0).size == 0
    assert dsp.beat_track(np.zeros(0), frame_rate=RATE, bpm=120.0).size == 0


# --- the whole pipeline --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", SYNTHETIC)
def test_music_features_equal_the_librosa_pipeline(kind: str, rng: np.random.Generator) -> None:
    y = _synthetic(kind, rng)
    f = music_features(y, clock=DEFAULT_CLOCK)
    mel = _ref_mel(y)[:, : f.mel.shape[1]]
    np.testing.assert_allclose(f.mel, mel, rtol=0, atol=1e-4)
    env = _ref_env(mel)
    np.testing.assert_allclose(f.onset_envelope, env, rtol=1e-6, atol=1e-6)
    if not env.any():
        assert f.onset_times.size == 0 and f.beat_times.size == 0 and f.tempo_bpm == 0.0
        return
    peaks = librosa.onset.onset_detect(
        onset_envelope=env, sr=SR, hop_length=HOP, units="frames", **PEAKS
    )
    np.testing.assert_array_equal(f.onset_times, peaks * HOP / SR)
    bpm = estimate_tempo(env, sr=SR, hop_length=HOP)
    _assert_librosa_beats_within_the_music(f.beat_times, env, bpm)
    assert f.tempo_bpm == pytest.approx(beat_tempo(f.beat_times))


def test_music_features_do_not_import_librosa() -> None:
    code = (
        "import sys\n"
        "import numpy as np\n"
        "from mudar.clock import DEFAULT_CLOCK\n"
        "from mudar.features.music import music_features\n"
        "y = np.zeros(16000 * 3, np.float32)\n"
        "y[::8000] = 1.0\n"
        "f = music_features(y, clock=DEFAULT_CLOCK)\n"
        "assert f.onset_times.size > 0\n"
        "heavy = ('librosa', 'librosa.beat', 'numba', 'scipy.signal', 'scipy.stats')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"imported: {out.stdout.strip()}"


# --- input checks --------------------------------------------------------------------------------


def test_bad_input_raises_parameter_error() -> None:
    y = np.zeros(4000, dtype=np.float32)
    with pytest.raises(ParameterError):
        dsp.stft_power(np.zeros((2, 100)), n_fft=64, hop_length=16)
    with pytest.raises(ParameterError):
        dsp.stft_power(y, n_fft=64, hop_length=0)
    with pytest.raises(ParameterError):
        dsp.stft_power(y, n_fft=64, hop_length=16, window="blackman")
    with pytest.raises(ParameterError):
        dsp.stft_power(y, n_fft=64, hop_length=16, pad_mode="wrap")
    with pytest.raises(ParameterError):
        dsp.stft_power(y[:0], n_fft=64, hop_length=16, pad_mode="reflect")
    with pytest.raises(ParameterError):
        dsp.mel_filterbank(sr=0, n_fft=64)
    with pytest.raises(ParameterError):
        dsp.power_to_db(np.ones(3), amin=0.0)
    with pytest.raises(ParameterError):
        dsp.onset_strength(np.zeros(10), n_fft=64, hop_length=16)
    with pytest.raises(ParameterError):
        dsp.peak_pick(np.zeros(10), **{**PEAKS, "post_max": 0})
    with pytest.raises(ParameterError):
        dsp.autocorrelation_tempogram(np.array([0.0, np.inf]), win_length=4)
    with pytest.raises(ParameterError):
        dsp.beat_track(np.ones(64), frame_rate=RATE, bpm=0.0)
    with pytest.raises(ParameterError):
        dsp.beat_track(np.ones(64), frame_rate=RATE, bpm=1e6)  # under one frame per beat
    with pytest.raises(ParameterError):
        track_beats(np.ones(64), sr=SR, hop_length=HOP, tempo_bpm=120.0, tightness=0.0)
