"""Visual rhythm heads: the paper's estimator (Eq. 15) and the Table 1 ablations.

All heads read the same two cues per frame: the first-order difference of the motion input
(HOOF and log magnitude) and of the RGB injector's features, each through Linear + ReLU
(:class:`RhythmFeatures`). Then, by ``config.head``:

- ``focal`` (the paper's): a linear map and a sigmoid give the probability that a frame is a
  rhythm frame (Eq. 15), trained with the focal loss (Eq. 19) against the music onsets;
- ``bce``: the same estimator trained with binary cross-entropy;
- ``regression``: the same estimator without the sigmoid, regressed (mean squared error) onto
  the music's onset strength envelope; rhythm frames are then picked as peaks;
- ``crf``: a BiLSTM over the features gives per-frame scores of {no rhythm, rhythm}, decoded
  with a linear-chain CRF (:mod:`mudar.models.crf`).

Every head has ``forward(motion, injected) -> output``, ``loss(output, onsets,
onset_strength) -> scalar``, ``predict(output) -> (B, T)`` and ``rhythm_frames(output) -> list
of frame indices``.

Reading of Eq. 15: the difference is backward, ``dx_t = x_t - x_{t-1}``, with ``dx_0 = 0``
(a rhythm frame is where the motion changes, as an onset is where the spectrum rises), and
both branches have width d::

    r_t = sigmoid(w . [ReLU(W_m dm_t + b_m) ; ReLU(W_f df_t + b_f)] + b)     (15)
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mudar.errors import ParameterError
from mudar.features.dsp import peak_pick
from mudar.losses.focal import FocalLoss
from mudar.models.config import MudarConfig
from mudar.models.crf import LinearChainCRF

PEAK_DELTA = 0.07
"""Threshold above the local mean of a [0, 1]-scaled envelope (the music onsets' delta)."""


def temporal_difference(x: torch.Tensor) -> torch.Tensor:
    """Backward first-order difference along time, zero at the first frame.

    Parameters
    ----------
    x : torch.Tensor, shape (B, T, F)

    Returns
    -------
    torch.Tensor, shape (B, T, F)
        ``out[:, t] = x[:, t] - x[:, t - 1]``, ``out[:, 0] = 0``.
    """
    return torch.cat((torch.zeros_like(x[:, :1]), x[:, 1:] - x[:, :-1]), dim=1)


def local_peaks(x: np.ndarray, threshold: float) -> np.ndarray:
    """Frames where ``x`` is at least ``threshold`` and the maximum of its 3-frame neighbourhood.

    Of equal neighbours (a plateau) the first is kept.

    Parameters
    ----------
    x : np.ndarray, shape (T,)
    threshold : float

    Returns
    -------
    np.ndarray, int64, shape (k,)
    """
    x = np.asarray(x, dtype=np.float64)
    prev = np.concatenate(([-np.inf], x[:-1]))
    nxt = np.concatenate((x[1:], [-np.inf]))
    return np.flatnonzero((x >= threshold) & (x > prev) & (x >= nxt)).astype(np.int64)


def envelope_peaks(x: np.ndarray) -> np.ndarray:
    """Rhythm frames of a regressed onset envelope by peak picking (Boeck et al. 2012).

    The envelope is scaled to [0, 1] as the music's is before its onsets are picked; a frame is
    a peak if it is the maximum of frames t-1 .. t+1, at least :data:`PEAK_DELTA` above the
    mean of frames t-2 .. t+2, and more than one frame after the previous peak.

    Parameters
    ----------
    x : np.ndarray, shape (T,)

    Returns
    -------
    np.ndarray, int64, shape (k,)
    """
    x = np.asarray(x, dtype=np.float32)
    x = x - x.min() if x.size else x
    if x.size == 0 or not x.max() > 0:
        return np.zeros(0, dtype=np.int64)
    x = x / x.max()
    return peak_pick(x, pre_max=1, post_max=2, pre_avg=2, post_avg=3, delta=PEAK_DELTA, wait=1)


class RhythmFeatures(nn.Module):
    """The two branches of Eq. 15: ``ReLU(W_m dm)`` and ``ReLU(W_f df)``, concatenated.

    Parameters
    ----------
    motion_dim : int
        Motion channels (HOOF bins + 1).
    feature_dim : int
        Width of the injected features.
    hidden : int
        Width of each branch.
    """

    def __init__(self, motion_dim: int, feature_dim: int, hidden: int):
        super().__init__()
        self.motion_dim, self.feature_dim = motion_dim, feature_dim
        self.motion = nn.Linear(motion_dim, hidden)
        self.appearance = nn.Linear(feature_dim, hidden)
        self.out_dim = 2 * hidden

    def forward(self, motion: torch.Tensor, injected: torch.Tensor) -> torch.Tensor:
        """
        Parameters
        ----------
        motion : torch.Tensor, shape (B, T, motion_dim)
        injected : torch.Tensor, shape (B, T, feature_dim)

        Returns
        -------
        torch.Tensor, shape (B, T, 2 * hidden)

        Raises
        ------
        ParameterError
            If the shapes do not fit.
        """
        if motion.ndim != 3 or motion.shape[2] != self.motion_dim:
            raise ParameterError(
                f"motion must have shape (B, T, {self.motion_dim}), got {tuple(motion.shape)}"
            )
        if injected.shape != (*motion.shape[:2], self.feature_dim):
            raise ParameterError(
                f"injected must have shape {(*motion.shape[:2], self.feature_dim)}, got "
                f"{tuple(injected.shape)}"
            )
        m = torch.relu(self.motion(temporal_difference(motion)))
        f = torch.relu(self.appearance(temporal_difference(injected)))
        return torch.cat((m, f), dim=-1)


def _check_targets(output_bt: tuple[int, int], onsets: torch.Tensor, strength: torch.Tensor):
    for name, x in (("onsets", onsets), ("onset_strength", strength)):
        if tuple(x.shape) != tuple(output_bt):
            raise ParameterError(f"{name} must have shape {tuple(output_bt)}, got {x.shape}")


class RhythmHead(nn.Module):
    """Base of the rhythm heads: the Eq. 15 branches and the common interface.

    Parameters
    ----------
    config : MudarConfig
        Uses ``hoof_bins`` and ``dim``.
    """

    kind = ""

    def __init__(self, config: MudarConfig):
        super().__init__()
        self.features = RhythmFeatures(config.motion_dim, config.dim, config.dim)

    def forward(self, motion: torch.Tensor, injected: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def loss(
        self, output: torch.Tensor, onsets: torch.Tensor, onset_strength: torch.Tensor
    ) -> torch.Tensor:
        raise NotImplementedError

    def predict(self, output: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def rhythm_frames(self, output: torch.Tensor) -> list[np.ndarray]:
        raise NotImplementedError


class EstimatorHead(RhythmHead):
    """The visual rhythm estimator of Eq. 15; its loss is set by the subclass.

    ``forward`` returns logits, shape (B, T); ``predict`` the probabilities ``sigmoid(logits)``;
    ``rhythm_frames`` the frames whose probability is a local maximum (3 frames) of at least
    ``threshold`` (0.5 unless given, e.g. one calibrated on held-out clips).
    """

    def __init__(self, config: MudarConfig):
        super().__init__(config)
        self.estimator = nn.Linear(self.features.out_dim, 1)

    def forward(self, motion: torch.Tensor, injected: torch.Tensor) -> torch.Tensor:
        """
        Parameters
        ----------
        motion : torch.Tensor, shape (B, T, motion_dim)
        injected : torch.Tensor, shape (B, T, d)

        Returns
        -------
        torch.Tensor, shape (B, T)
            Logits of Eq. 15 (before the sigmoid).
        """
        return self.estimator(self.features(motion, injected))[..., 0]

    def predict(self, output: torch.Tensor) -> torch.Tensor:
        """Rhythm probabilities, shape (B, T)."""
        return torch.sigmoid(output)

    def rhythm_frames(self, output: torch.Tensor, threshold: float = 0.5) -> list[np.ndarray]:
        """Frame indices of each clip's rhythm points (local maxima of at least ``threshold``)."""
        probs = self.predict(output).detach().cpu().numpy()
        return [local_peaks(p, threshold) for p in probs]


class FocalHead(EstimatorHead):
    """Eq. 15 trained with the focal loss (Eq. 19, gamma 2, alpha 0.25): the paper's head."""

    kind = "focal"

    def __init__(self, config: MudarConfig, *, gamma: float = 2.0, alpha: float = 0.25):
        super().__init__(config)
        self.focal = FocalLoss(gamma=gamma, alpha=alpha)

    def loss(
        self, output: torch.Tensor, onsets: torch.Tensor, onset_strength: torch.Tensor
    ) -> torch.Tensor:
        """Mean focal loss of the logits against the binary onsets (B, T)."""
        _check_targets(output.shape, onsets, onset_strength)
        return self.focal(output, onsets.to(output.dtype))


class BCEHead(EstimatorHead):
    """Eq. 15 trained with binary cross-entropy (Table 1 ablation)."""

    kind = "bce"

    def loss(
        self, output: torch.Tensor, onsets: torch.Tensor, onset_strength: torch.Tensor
    ) -> torch.Tensor:
        """Mean binary cross-entropy of the logits against the binary onsets (B, T)."""
        _check_targets(output.shape, onsets, onset_strength)
        return F.binary_cross_entropy_with_logits(output, onsets.to(output.dtype))


class RegressionHead(RhythmHead):
    """Regression onto the onset strength envelope, then peak picking (Table 1 ablation).

    ``forward`` returns the regressed envelope, shape (B, T) (Eq. 15 without the sigmoid);
    ``predict`` 0/1 decisions at the picked peaks (:func:`envelope_peaks`).
    """

    kind = "regression"

    def __init__(self, config: MudarConfig):
        super().__init__(config)
        self.estimator = nn.Linear(self.features.out_dim, 1)

    def forward(self, motion: torch.Tensor, injected: torch.Tensor) -> torch.Tensor:
        return self.estimator(self.features(motion, injected))[..., 0]

    def loss(
        self, output: torch.Tensor, onsets: torch.Tensor, onset_strength: torch.Tensor
    ) -> torch.Tensor:
        """Mean squared error against the onset strength envelope (B, T)."""
        _check_targets(output.shape, onsets, onset_strength)
        return F.mse_loss(output, onset_strength.to(output.dtype))

    def rhythm_frames(self, output: torch.Tensor) -> list[np.ndarray]:
        return [envelope_peaks(x) for x in output.detach().cpu().numpy()]

    def predict(self, output: torch.Tensor) -> torch.Tensor:
        """0/1 per frame, shape (B, T): 1 at the peaks of the regressed envelope."""
        out = torch.zeros_like(output)
        for i, frames in enumerate(self.rhythm_frames(output)):
            out[i, torch.as_tensor(frames, device=output.device, dtype=torch.long)] = 1.0
        return out


class CRFHead(RhythmHead):
    """A BiLSTM over the Eq. 15 features and a linear-chain CRF (Table 1 ablation).

    ``forward`` returns the emissions, shape (B, T, 2) (scores of no-rhythm, rhythm); the loss
    is the CRF's negative log-likelihood of the onset sequence per frame (divided by T, so that
    it is on the scale of the per-frame losses); ``predict`` the posterior marginal of a rhythm
    frame (so that the calibrated peak decision applies as to the other heads; the Viterbi path
    alone marks no frame at all once the few positives lose to the many negatives);
    ``rhythm_frames`` the Viterbi labels.
    """

    kind = "crf"

    def __init__(self, config: MudarConfig):
        super().__init__(config)
        hidden = max(config.dim // 2, 1)
        self.lstm = nn.LSTM(self.features.out_dim, hidden, batch_first=True, bidirectional=True)
        self.emission = nn.Linear(2 * hidden, 2)
        self.crf = LinearChainCRF(2)

    def forward(self, motion: torch.Tensor, injected: torch.Tensor) -> torch.Tensor:
        h, _ = self.lstm(self.features(motion, injected))
        return self.emission(h)

    def loss(
        self, output: torch.Tensor, onsets: torch.Tensor, onset_strength: torch.Tensor
    ) -> torch.Tensor:
        """CRF negative log-likelihood of the binary onsets (B, T), per frame, mean over clips."""
        _check_targets(output.shape[:2], onsets, onset_strength)
        return self.crf.nll(output, onsets.long()).mean() / output.shape[1]

    def predict(self, output: torch.Tensor) -> torch.Tensor:
        """p(rhythm at frame t | clip), shape (B, T): the CRF's posterior marginals."""
        return self.crf.marginals(output)[..., 1].to(output.dtype)

    def rhythm_frames(self, output: torch.Tensor) -> list[np.ndarray]:
        """The frames labelled 1 on the Viterbi path."""
        return [np.flatnonzero(x).astype(np.int64) for x in self.crf.viterbi(output).cpu().numpy()]


HEAD_CLASSES: dict[str, type[RhythmHead]] = {
    h.kind: h for h in (FocalHead, BCEHead, RegressionHead, CRFHead)
}


def build_head(config: MudarConfig) -> RhythmHead:
    """The rhythm head named by ``config.head``."""
    try:
        return HEAD_CLASSES[config.head](config)
    except KeyError:
        raise ParameterError(
            f"unknown head {config.head!r}; known: {', '.join(HEAD_CLASSES)}"
        ) from None
