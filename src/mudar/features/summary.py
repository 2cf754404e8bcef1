"""Summary statistics over time of a clip's learning-free features: the raw-feature baseline of
dance classification (a logistic regression on these, beside the learned two-stream classifier).

Music: log-mel, SuperFlux onset envelope, onset rate, tempo, tempogram (librosa-style, see
:mod:`mudar.features.music`); dance: HOOF, flow speed, hoof-flux (:mod:`mudar.features.dance`).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from mudar.errors import ParameterError


def raw_feature_names(*, bands: int = 32, hoof_bins: int = 32) -> list[str]:
    """Names of the entries of :func:`raw_clip_features`, in order."""
    music = (
        ["has_music"]
        + [f"mel_mean_{i}" for i in range(bands)]
        + [f"mel_std_{i}" for i in range(bands)]
        + ["envelope_mean", "envelope_std", "onset_rate", "tempo_bpm_div100"]
        + [f"tempogram_{i}" for i in range(bands)]
    )
    dance = (
        ["has_dance"]
        + [f"hoof_mean_{i}" for i in range(hoof_bins)]
        + [f"hoof_std_{i}" for i in range(hoof_bins)]
        + ["speed_mean", "speed_std", "hoof_flux_mean", "hoof_flux_std", "rhythm_rate"]
    )
    return music + dance


def band_means(x: np.ndarray, n: int) -> np.ndarray:
    """Means of ``n`` consecutive groups of rows of ``x`` (groups differ by one row at most).

    Parameters
    ----------
    x : np.ndarray, shape (m, k), m >= n
    n : int, >= 1

    Returns
    -------
    np.ndarray, float32, shape (n, k)
    """
    x = np.asarray(x, np.float32)
    if x.ndim != 2 or not 1 <= n <= x.shape[0]:
        raise ParameterError(f"need x of shape (m, k) with m >= n >= 1, got {x.shape} and {n}")
    return np.stack([g.mean(0) for g in np.array_split(x, n, axis=0)])


def raw_clip_features(analysis, *, bands: int = 32) -> np.ndarray:
    """Summary statistics over time of a clip's learning-free features (the raw baseline).

    Music (zeros without music): log-mel pooled to ``bands`` bands, mean and standard deviation
    over time (dB); SuperFlux envelope mean and std; onsets per frame; tempo / 100 BPM; the
    tempogram pooled to ``bands`` lags, mean over time. Dance (zeros without pictures): HOOF
    mean and std per bin; log mean flow speed (as the model's motion input) mean and std;
    hoof-flux strength mean and std; dance rhythm frames per frame. Each part starts with a
    0/1 flag saying whether it is present.

    Parameters
    ----------
    analysis : Analysis
        Of one clip (see :func:`mudar.data.clips.windows.cut`), ``n_frames >= 1``.
    bands : int
        Mel bands and tempogram lags kept.

    Returns
    -------
    np.ndarray, float32, shape (D,)
        D = ``len(raw_feature_names(bands=bands, hoof_bins=analysis.config.hoof_bins))``.
    """
    if analysis.n_frames < 1:
        raise ParameterError("the clip has no frames")
    n_bins = analysis.config.hoof_bins
    music = np.zeros(1 + 3 * bands + 4, np.float32)
    if analysis.music is not None:
        m = analysis.music
        mel = band_means(m.mel, bands)
        env = m.onset_envelope.astype(np.float32)
        music = np.concatenate(
            [
                [1.0],
                mel.mean(1),
                mel.std(1),
                [env.mean(), env.std(), float(np.mean(m.onsets)), m.tempo_bpm / 100.0],
                band_means(m.tempogram, bands).mean(1),
            ]
        ).astype(np.float32)
    dance = np.zeros(1 + 2 * n_bins + 5, np.float32)
    if analysis.dance is not None:
        d = analysis.dance
        size = float(analysis.config.size)
        speed = np.log1p(d.magnitude.astype(np.float32) / (size * size))  # as the motion input
        dance = np.concatenate(
            [
                [1.0],
                d.hoof.mean(0),
                d.hoof.std(0),
                [speed.mean(), speed.std(), d.strength.mean(), d.strength.std()],
                [len(d.rhythm_frames) / analysis.n_frames],
            ]
        ).astype(np.float32)
    return np.concatenate([music, dance])


def raw_clip_matrix(clips: Iterable, *, bands: int = 32) -> np.ndarray:
    """:func:`raw_clip_features` of each clip: the raw-feature baseline's input matrix.

    Parameters
    ----------
    clips : iterable of Analysis
        One per clip (see :func:`mudar.data.clips.windows.cut`), each ``n_frames >= 1``; read once,
        in
        order, so a generator can cut them from one whole-file analysis at a time.
    bands : int
        Mel bands and tempogram lags kept.

    Returns
    -------
    np.ndarray, float32, shape (N, D)
        One row per clip, in order.

    Raises
    ------
    ParameterError
        No clip, or a clip without frames.
    """
    rows = [raw_clip_features(c, bands=bands) for c in clips]
    if not rows:
        raise ParameterError("no clip to summarise")
    return np.stack(rows)
