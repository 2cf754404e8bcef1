"""Losses of MotionBeat (arXiv 2510.13244): the embodied contrastive loss and the structural
rhythm alignment loss.

- :class:`EmbodiedContrastiveLoss` (ECL): InfoNCE between the music and motion clip embeddings
  of a batch, with extra *hard* negatives per clip made from the clip's own music (time-stretched
  and beat-jittered, :mod:`mudar.data.motionbeat_negatives`), so that the embedding has to
  tell the right tempo and the right beat phase from a near miss.
- :class:`StructuralRhythmAlignmentLoss` (SRAL): the music encoder's per-frame accent must line
  up with the motion's events (kinematic beats), by a soft cross-correlation over small lags
  whose softmax favours lag 0.

Both are ``nn.Module``s that can return their parts for logging, as the MuDaR losses.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from mudar.errors import ParameterError


class EmbodiedContrastiveLoss(nn.Module):
    """InfoNCE between music and motion clip embeddings, with per-clip hard negatives (ECL).

    With ``v_i`` the motion embedding of clip ``i``, ``a_j`` the music embeddings of the batch,
    ``n_im`` the ``M`` hard-negative music embeddings of clip ``i`` (all L2-normalised here),
    ``s_ij = v_i . a_j / tau`` and ``h_im = v_i . n_im / tau + log w``:

    ``L_v->a = -mean_i log( exp s_ii / (sum_j exp s_ij + sum_m exp h_im) )``,
    ``L_a->v = -mean_i log( exp s_ii / sum_j exp s_ji )``,
    ``L_ECL = (L_v->a + L_a->v) / 2``.

    The hard negatives are music, so they enter the motion-to-music direction only: each one is
    one more wrong answer to "which music goes with this dance?", right next to the true one.
    ``w`` (``hard_weight``) counts each hard negative as ``w`` in-batch negatives (1: plain
    InfoNCE over ``B + M`` candidates).

    Pairs of different clips of the same dance (``groups``) are left out of both sums, as in
    :class:`~mudar.losses.infonce.InfoNCELoss`: sliding windows of one song overlap and share
    its tempo and sound, so they are no negatives of each other, and pushing them apart only
    teaches the model the song's position, which does not carry over to another dance.

    Parameters
    ----------
    temperature : float
        ``tau``, ``> 0``; CLIP's learned value is about 0.01, 0.1 suits small batches.
    hard_weight : float
        ``w``, ``> 0``.
    eps : float
        Guards the normalisation of zero vectors.

    Attributes
    ----------
    parts : dict of str to torch.Tensor
        The last call's parts, detached (see :meth:`forward`).
    """

    def __init__(self, temperature: float = 0.1, *, hard_weight: float = 1.0, eps: float = 1e-8):
        super().__init__()
        if not temperature > 0 or not hard_weight > 0:
            raise ParameterError(
                f"temperature and hard_weight must be > 0, got {temperature}, {hard_weight}"
            )
        self.temperature = float(temperature)
        self.hard_weight = float(hard_weight)
        self.eps = float(eps)
        self.parts: dict[str, torch.Tensor] = {}

    def forward(
        self,
        music: torch.Tensor,
        motion: torch.Tensor,
        hard_negatives: torch.Tensor | None = None,
        *,
        groups: torch.Tensor | None = None,
        return_parts: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The ECL of a batch.

        Parameters
        ----------
        music : torch.Tensor, shape (B, E)
            Music clip embeddings (the positives of the motions, row by row).
        motion : torch.Tensor, shape (B, E)
            Motion clip embeddings.
        hard_negatives : torch.Tensor, shape (B, M, E), optional
            Music embeddings of each clip's hard negatives; None or ``M = 0``: plain InfoNCE.
        groups : torch.Tensor, int, shape (B,), optional
            Dance of each clip; same-dance pairs other than the positive are left out.
        return_parts : bool
            Also return the parts.

        Returns
        -------
        loss : torch.Tensor, scalar
        parts : dict, only with ``return_parts``
            Detached scalars: ``nce`` (the loss), ``motion_to_music`` and ``music_to_motion``
            (the two directions), ``acc`` (top-1 accuracy motion -> music over the ``B + M``
            candidates), ``hard_acc`` (share of (clip, hard negative) pairs where the true music
            scores higher) and ``hard_gap`` (mean cosine of the true music minus that of the
            clip's best-scoring hard negative; 0 without hard negatives), ``log_candidates``
            (mean log of the motion -> music candidates each clip was scored against: the loss
            of a model that cannot tell them apart, the chance level of ``motion_to_music``).

        Raises
        ------
        ParameterError
            If the shapes do not fit.
        """
        if music.ndim != 2 or motion.shape != music.shape:
            raise ParameterError(
                f"music and motion must both be (B, E), got {tuple(music.shape)} and "
                f"{tuple(motion.shape)}"
            )
        b, e = music.shape
        if hard_negatives is not None and (
            hard_negatives.ndim != 3 or hard_negatives.shape[0] != b or hard_negatives.shape[2] != e
        ):
            raise ParameterError(
                f"hard_negatives must be (B={b}, M, E={e}), got {tuple(hard_negatives.shape)}"
            )
        if groups is not None and tuple(groups.shape) != (b,):
            raise ParameterError(f"groups must have shape ({b},), got {tuple(groups.shape)}")
        a = F.normalize(music, dim=-1, eps=self.eps)
        v = F.normalize(motion, dim=-1, eps=self.eps)
        cos = v @ a.T  # (B, B): motion i against music j
        s = cos / self.temperature
        target = torch.arange(b, device=music.device)
        n_cand = torch.full((b,), float(b), device=music.device)
        if groups is not None:
            eye = torch.eye(b, dtype=torch.bool, device=s.device)
            same = (groups[:, None] == groups[None, :]) & ~eye  # symmetric
            s = s.masked_fill(same, float("-inf"))
            n_cand = n_cand - same.sum(1)
        logits_va = s
        pos = cos.diagonal()
        hard_acc = hard_gap = torch.zeros((), device=music.device)
        if hard_negatives is not None and hard_negatives.shape[1] > 0:
            n = F.normalize(hard_negatives, dim=-1, eps=self.eps)
            cos_h = torch.einsum("be,bme->bm", v, n)  # (B, M)
            h = cos_h / self.temperature + math.log(self.hard_weight)
            logits_va = torch.cat([s, h], dim=1)
            n_cand = n_cand + self.hard_weight * hard_negatives.shape[1]
            hard_acc = (pos[:, None] > cos_h).float().mean()
            hard_gap = (pos - cos_h.max(1).values).mean()
        l_va = F.cross_entropy(logits_va, target)
        l_av = F.cross_entropy(s.T, target)
        loss = 0.5 * (l_va + l_av)
        self.parts = {
            "nce": loss.detach(),
            "motion_to_music": l_va.detach(),
            "music_to_motion": l_av.detach(),
            "acc": (logits_va.argmax(1) == target).float().mean().detach(),
            "hard_acc": hard_acc.detach(),
            "hard_gap": hard_gap.detach(),
            "log_candidates": n_cand.log().mean().detach(),
        }
        return (loss, self.parts) if return_parts else loss


class StructuralRhythmAlignmentLoss(nn.Module):
    """Music accents must fall on the motion's events, not a little before or after (SRAL).

    Each sequence of a clip is standardised over its ``T`` frames (zero mean, unit population
    standard deviation), and their cross-correlation at lag ``l`` (frames; the events ``l``
    frames after the accents) is

    ``c(l) = 1 / (T - |l|) * sum_t a'_t e'_{t+l}``,   ``|l| <= L``,

    over the frames where both exist; ``c(0)`` is the Pearson correlation. A softmax over the
    lags at temperature ``tau``, ``p(l) = softmax_l(c(l) / tau)``, is pushed to put its mass on
    lag 0 (a cross-entropy with target lag 0), and ``c(0)`` itself towards 1:

    ``L_SRAL = mean_i [ -log p_i(0) + w_c (1 - c_i(0)) ]``.

    The first term is about *timing* (the accent sequence best matches the events unshifted),
    the second about *shape* (the accents are where the events are, and nowhere else).

    The temperature: ``c`` lies in ``[-1, 1]``, so ``tau`` is in units of correlation. A lag
    whose correlation exceeds lag 0's by ``tau`` gets ``e`` times its weight; with the default
    0.1 a lag must come within about 0.1 of lag 0 to take a sizeable share, as ``tau -> 0`` the
    softmax becomes the argmax (no gradient), with a large ``tau`` every lag weighs alike (the
    term only sees the sum of correlations).

    Why few lags: beats repeat, so a lag of one beat correlates as well as lag 0 and no softmax
    can prefer either. ``L`` must stay under half the shortest beat period: 2 frames at 8 fps is
    0.25 s, half a beat at 120 BPM.

    Parameters
    ----------
    max_lag : int
        ``L``, frames, ``>= 1``.
    temperature : float
        ``tau``, ``> 0``.
    corr_weight : float
        ``w_c``, ``>= 0``.
    eps : float
        Added to the standard deviations.

    Attributes
    ----------
    parts : dict of str to torch.Tensor
        The last call's parts, detached (see :meth:`forward`).
    """

    def __init__(
        self,
        max_lag: int = 2,
        temperature: float = 0.1,
        *,
        corr_weight: float = 1.0,
        eps: float = 1e-6,
    ):
        super().__init__()
        if max_lag < 1 or not temperature > 0 or corr_weight < 0:
            raise ParameterError(
                f"need max_lag >= 1, temperature > 0 and corr_weight >= 0, got {max_lag}, "
                f"{temperature}, {corr_weight}"
            )
        self.max_lag = int(max_lag)
        self.temperature = float(temperature)
        self.corr_weight = float(corr_weight)
        self.eps = float(eps)
        self.parts: dict[str, torch.Tensor] = {}

    def lag_correlation(self, accent: torch.Tensor, events: torch.Tensor) -> torch.Tensor:
        """``c(l)`` for ``l = -L .. L``: shape (B, 2L + 1), lag 0 in the middle.

        Parameters
        ----------
        accent, events : torch.Tensor, shape (B, T)
            ``T > L``.
        """
        a = _standardise(accent, self.eps)
        e = _standardise(events.to(accent.dtype), self.eps)
        t = a.shape[1]
        cols = []
        for lag in range(-self.max_lag, self.max_lag + 1):
            if lag >= 0:
                prod = a[:, : t - lag] * e[:, lag:]
            else:
                prod = a[:, -lag:] * e[:, : t + lag]
            cols.append(prod.mean(1))
        return torch.stack(cols, dim=1)

    def forward(
        self,
        accent: torch.Tensor,
        events: torch.Tensor,
        *,
        return_parts: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The SRAL of a batch.

        Parameters
        ----------
        accent : torch.Tensor, shape (B, T)
            The music's per-frame accent (e.g. the accent head's probabilities).
        events : torch.Tensor, shape (B, T)
            The motion's per-frame events (e.g. 0/1 kinematic beats). A clip whose events are
            constant (no event at all) has no correlation and does not count.
        return_parts : bool
            Also return the parts.

        Returns
        -------
        loss : torch.Tensor, scalar
            Mean over the clips that count; 0 (with a graph) when none does.
        parts : dict, only with ``return_parts``
            Detached scalars over the clips that count: ``sral`` (the loss), ``lag_ce``
            (``-log p(0)``), ``corr0`` (``c(0)``), ``p_lag0`` (``p(0)``), ``best_lag`` (mean
            ``argmax_l c(l)``, frames), ``valid`` (share of clips that count).

        Raises
        ------
        ParameterError
            If the shapes differ, are not (B, T), or ``T <= L``.
        """
        if accent.ndim != 2 or events.shape != accent.shape:
            raise ParameterError(
                f"accent and events must both be (B, T), got {tuple(accent.shape)} and "
                f"{tuple(events.shape)}"
            )
        if accent.shape[1] <= self.max_lag:
            raise ParameterError(
                f"clips of {accent.shape[1]} frames are too short for max_lag={self.max_lag}"
            )
        c = self.lag_correlation(accent, events)  # (B, 2L+1)
        log_p = torch.log_softmax(c / self.temperature, dim=1)
        lag_ce = -log_p[:, self.max_lag]
        corr0 = c[:, self.max_lag]
        per_item = lag_ce + self.corr_weight * (1 - corr0)
        valid = events.to(accent.dtype).std(1, unbiased=False) > self.eps
        w = valid.to(accent.dtype)
        n = w.sum()
        if n > 0:
            loss = (per_item * w).sum() / n
        else:
            loss = accent.sum() * 0.0

        def mean(x: torch.Tensor) -> torch.Tensor:
            return ((x * w).sum() / n).detach() if n > 0 else torch.zeros((), device=x.device)

        lags = torch.arange(-self.max_lag, self.max_lag + 1, device=accent.device)
        self.parts = {
            "sral": loss.detach(),
            "lag_ce": mean(lag_ce),
            "corr0": mean(corr0),
            "p_lag0": mean(log_p[:, self.max_lag].exp()),
            "best_lag": mean(lags[c.argmax(1)].to(accent.dtype)),
            "valid": w.mean().detach(),
        }
        return (loss, self.parts) if return_parts else loss


def _standardise(x: torch.Tensor, eps: float) -> torch.Tensor:
    """Zero mean and unit population standard deviation along the last axis."""
    x = x - x.mean(-1, keepdim=True)
    return x / (x.std(-1, unbiased=False, keepdim=True) + eps)
