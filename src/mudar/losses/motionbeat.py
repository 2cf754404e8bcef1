"""Losses of MotionBeat (arXiv 2510.13244): the embodied contrastive loss and the structural
rhythm alignment loss.

- :class:`EmbodiedContrastiveLoss` (ECL): InfoNCE between the music and motion clip embeddings
  of a batch, with extra *hard* negatives per clip made from the clip's own music (time-stretched
  and beat-jittered, :mod:`mudar.data.clips.motionbeat_negatives`), so that the embedding has to
  tell the right tempo and the right beat phase from a near miss.
- :class:`StructuralRhythmAlignmentLoss` (SRAL): the music encoder's per-frame accent must line
  up with the motion's events (kinematic beats), by a soft cross-correlation over small lags
  whose softmax favours lag 0.

Both are ``nn.Module``s that can return their parts for logging, as the MuDaR losses.

**The paper's forms, read from secondary summaries** (only the abstract is in
``shared/papers``; these are *not* checked against the paper's text): ECL's anchor is the
music and its negatives are *motion* embeddings, tempo-aware ones (motion of a similar tempo
but another bar phase or accent pattern) and beat-jitter ones (the motion shifted by about one
beat); SRAL is a beat-level soft-DTW between the accents and the motion events plus a bar-level
distance between their distributions. Options select them:
``EmbodiedContrastiveLoss(anchor="music")`` (motion negatives given, or formed from the batch's
other motions of a similar tempo) and ``StructuralRhythmAlignmentLoss(form="soft_dtw")``. The
defaults (``anchor="motion"``, ``form="lag_softmax"``) are today's forms, which the MotionBeat
bench figures were measured with. Training selects the summarised forms with
``MotionBeatTrainConfig.ecl_anchor`` and ``sral_form`` (``mudar train --recipe motionbeat
--ecl-anchor music --sral-form soft_dtw``); docs/paper.md has their measured figures.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from mudar.errors import ParameterError
from mudar.methods import ECL_ANCHORS, SRAL_FORMS


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
    anchor : {"motion", "music"}
        ``"motion"`` (default): the form above, music hard negatives in motion -> music.
        ``"music"``: the summarised paper's form (module doc): the hard negatives are *motion*
        embeddings and enter the music -> motion direction, ``L_a->v = -mean_i log(exp s_ii /
        (sum_j exp(s_ji + log w_ij) + sum_m exp h_im))`` with ``h_im = a_i . n_im / tau + log
        w``; with ``tempo`` given, the batch's other motions whose tempo is within
        ``tempo_tol`` of clip i's (another dance at a similar tempo: another bar phase or
        accent pattern) are tempo-aware negatives, weighted ``w_ij = w`` (1 for the others).
    tempo_tol : float
        Relative tempo difference under which two clips count as "similar BPM" (``anchor=
        "music"`` with ``tempo``), ``>= 0``.

    Attributes
    ----------
    parts : dict of str to torch.Tensor
        The last call's parts, detached (see :meth:`forward`).
    """

    def __init__(
        self,
        temperature: float = 0.1,
        *,
        hard_weight: float = 1.0,
        eps: float = 1e-8,
        anchor: str = "motion",
        tempo_tol: float = 0.06,
    ):
        super().__init__()
        if not temperature > 0 or not hard_weight > 0:
            raise ParameterError(
                f"temperature and hard_weight must be > 0, got {temperature}, {hard_weight}"
            )
        if anchor not in ECL_ANCHORS:
            raise ParameterError(f"anchor must be one of {ECL_ANCHORS}, got {anchor!r}")
        if not tempo_tol >= 0:
            raise ParameterError(f"tempo_tol must be >= 0, got {tempo_tol}")
        self.temperature = float(temperature)
        self.hard_weight = float(hard_weight)
        self.eps = float(eps)
        self.anchor = anchor
        self.tempo_tol = float(tempo_tol)
        self.parts: dict[str, torch.Tensor] = {}

    def forward(
        self,
        music: torch.Tensor,
        motion: torch.Tensor,
        hard_negatives: torch.Tensor | None = None,
        *,
        groups: torch.Tensor | None = None,
        tempo: torch.Tensor | None = None,
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
            Embeddings of each clip's hard negatives: music (``anchor="motion"``) or motion,
            e.g. the clip's motion shifted by about one beat (``anchor="music"``); None or
            ``M = 0``: none.
        groups : torch.Tensor, int, shape (B,), optional
            Dance of each clip; same-dance pairs other than the positive are left out.
        tempo : torch.Tensor, shape (B,), optional
            Tempo of each clip, BPM (``anchor="music"`` only): the tempo-aware negatives.
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
            With ``anchor="music"``, ``acc``, ``hard_acc``, ``hard_gap`` and
            ``log_candidates`` are of the music -> motion direction (the one with the hard
            negatives), and ``tempo_negatives`` is the mean number of tempo-aware negatives
            per clip.

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
        if tempo is not None and tuple(tempo.shape) != (b,):
            raise ParameterError(f"tempo must have shape ({b},), got {tuple(tempo.shape)}")
        if self.anchor == "music":
            return self._music_anchor(music, motion, hard_negatives, groups, tempo, return_parts)
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

    def _music_anchor(self, music, motion, hard_negatives, groups, tempo, return_parts):
        """``anchor="music"``: motion negatives in the music -> motion direction."""
        b = music.shape[0]
        a = F.normalize(music, dim=-1, eps=self.eps)
        v = F.normalize(motion, dim=-1, eps=self.eps)
        cos = a @ v.T  # (B, B): music i against motion j
        s = cos / self.temperature
        target = torch.arange(b, device=music.device)
        eye = torch.eye(b, dtype=torch.bool, device=s.device)
        same = torch.zeros_like(eye)
        if groups is not None:
            same = (groups[:, None] == groups[None, :]) & ~eye
        n_tempo = torch.zeros((), device=music.device)
        n_cand = b - same.sum(1).to(s.dtype)
        logits_av = s
        if tempo is not None:  # tempo-aware negatives: other dances at a similar tempo
            t = tempo.to(s.dtype).clamp_min(self.eps)
            close = ((t[:, None] / t[None, :]).log().abs() <= math.log1p(self.tempo_tol)) & ~eye
            close = close & ~same
            logits_av = logits_av + close.to(s.dtype) * math.log(self.hard_weight)
            n_tempo = close.sum(1).to(s.dtype).mean()
            n_cand = n_cand + (self.hard_weight - 1) * close.sum(1).to(s.dtype)
        logits_av = logits_av.masked_fill(same, float("-inf"))
        pos = cos.diagonal()
        hard_acc = hard_gap = torch.zeros((), device=music.device)
        if hard_negatives is not None and hard_negatives.shape[1] > 0:
            n = F.normalize(hard_negatives, dim=-1, eps=self.eps)
            cos_h = torch.einsum("be,bme->bm", a, n)  # (B, M): music i against its negatives
            h = cos_h / self.temperature + math.log(self.hard_weight)
            logits_av = torch.cat([logits_av, h], dim=1)
            n_cand = n_cand + self.hard_weight * hard_negatives.shape[1]
            hard_acc = (pos[:, None] > cos_h).float().mean()
            hard_gap = (pos - cos_h.max(1).values).mean()
        l_av = F.cross_entropy(logits_av, target)
        l_va = F.cross_entropy(s.T.masked_fill(same, float("-inf")), target)
        loss = 0.5 * (l_va + l_av)
        self.parts = {
            "nce": loss.detach(),
            "motion_to_music": l_va.detach(),
            "music_to_motion": l_av.detach(),
            "acc": (logits_av.argmax(1) == target).float().mean().detach(),
            "hard_acc": hard_acc.detach(),
            "hard_gap": hard_gap.detach(),
            "tempo_negatives": n_tempo.detach(),
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
    form : {"lag_softmax", "soft_dtw"}
        ``"lag_softmax"`` (default): the loss above. ``"soft_dtw"``: the summarised paper's
        form (module doc): the accents and events are averaged per beat (``beat_frames``
        frames), standardised, and compared by the soft-DTW divergence (Cuturi & Blondel 2017,
        squared cost, smoothing ``gamma``; ``D(x, y) - (D(x, x) + D(y, y)) / 2``, 0 for equal
        sequences) divided by the number of beats; plus ``bar_weight`` times the bar-level
        distance, the total variation between the distributions of accent and of events over
        the ``bar_beats * beat_frames`` positions of a bar (each summed over the clip's bars).
    beat_frames : int
        Frames per beat (``soft_dtw``), ``>= 1``: 4 is 120 BPM at 8 fps.
    bar_beats : int
        Beats per bar (``soft_dtw``), ``>= 1``.
    gamma : float
        Soft-DTW smoothing, ``> 0``.
    bar_weight : float
        Weight of the bar-level term, ``>= 0``.

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
        form: str = "lag_softmax",
        beat_frames: int = 4,
        bar_beats: int = 4,
        gamma: float = 0.1,
        bar_weight: float = 1.0,
    ):
        super().__init__()
        if max_lag < 1 or not temperature > 0 or corr_weight < 0:
            raise ParameterError(
                f"need max_lag >= 1, temperature > 0 and corr_weight >= 0, got {max_lag}, "
                f"{temperature}, {corr_weight}"
            )
        if form not in SRAL_FORMS:
            raise ParameterError(f"form must be one of {SRAL_FORMS}, got {form!r}")
        if beat_frames < 1 or bar_beats < 1 or not gamma > 0 or bar_weight < 0:
            raise ParameterError(
                f"need beat_frames >= 1, bar_beats >= 1, gamma > 0 and bar_weight >= 0, got "
                f"{beat_frames}, {bar_beats}, {gamma}, {bar_weight}"
            )
        self.form = form
        self.beat_frames = int(beat_frames)
        self.bar_beats = int(bar_beats)
        self.gamma = float(gamma)
        self.bar_weight = float(bar_weight)
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
        beat_frames: torch.Tensor | None = None,
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
        beat_frames : torch.Tensor, int, shape (B,), optional
            Frames per beat of each clip (``form="soft_dtw"``; e.g. from its tempo), each
            ``>= 1``; default the ``beat_frames`` of the constructor for every clip.
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
        if self.form == "soft_dtw":
            return self._soft_dtw_form(accent, events, beat_frames, return_parts)
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

    def _soft_dtw_form(self, accent, events, beat_frames, return_parts):
        """``form="soft_dtw"``: beat-level soft-DTW divergence + bar-level distance."""
        b, t = accent.shape
        if beat_frames is None:
            beat, bar = self._beat_and_bar(accent, events, self.beat_frames)
        else:
            if tuple(beat_frames.shape) != (b,) or bool((beat_frames < 1).any()):
                raise ParameterError(f"beat_frames must be ({b},) and >= 1, got {beat_frames}")
            # the clips of one beat length together: one soft-DTW per length in the batch
            beat = accent.new_zeros(b)
            bar = accent.new_zeros(b)
            for k in beat_frames.unique().tolist():
                sel = beat_frames == k
                beat[sel], bar[sel] = self._beat_and_bar(accent[sel], events[sel], int(k))
        per_item = beat + self.bar_weight * bar
        ev = events.to(accent.dtype)
        w = (ev.std(1, unbiased=False) > self.eps).to(accent.dtype)
        n = w.sum()
        loss = (per_item * w).sum() / n if n > 0 else accent.sum() * 0.0

        def mean(v: torch.Tensor) -> torch.Tensor:
            return ((v * w).sum() / n).detach() if n > 0 else torch.zeros((), device=v.device)

        self.parts = {
            "sral": loss.detach(),
            "beat_sdtw": mean(beat),
            "bar_tv": mean(bar),
            "valid": w.mean().detach(),
        }
        return (loss, self.parts) if return_parts else loss

    def _beat_and_bar(self, accent, events, k):
        """The beat-level and bar-level terms (B,) of clips with beats of ``k`` frames."""
        b, t = accent.shape
        n_beats = t // k
        if n_beats < 1:
            raise ParameterError(f"clips of {t} frames are shorter than a beat of {k} frames")
        ev = events.to(accent.dtype)
        x = _standardise(accent[:, : n_beats * k].reshape(b, n_beats, k).mean(2), self.eps)
        y = _standardise(ev[:, : n_beats * k].reshape(b, n_beats, k).mean(2), self.eps)
        div = soft_dtw(x, y, gamma=self.gamma) - 0.5 * (
            soft_dtw(x, x, gamma=self.gamma) + soft_dtw(y, y, gamma=self.gamma)
        )
        beat_term = div / n_beats
        bar = k * self.bar_beats
        n_bars = t // bar
        if n_bars >= 1:
            p = accent[:, : n_bars * bar].clamp_min(0).reshape(b, n_bars, bar).sum(1)
            q = ev[:, : n_bars * bar].clamp_min(0).reshape(b, n_bars, bar).sum(1)
            p = p / (p.sum(1, keepdim=True) + self.eps)
            q = q / (q.sum(1, keepdim=True) + self.eps)
            bar_term = 0.5 * (p - q).abs().sum(1)
        else:
            bar_term = torch.zeros_like(beat_term)
        return beat_term, bar_term


def soft_dtw(x: torch.Tensor, y: torch.Tensor, *, gamma: float) -> torch.Tensor:
    """Soft-DTW (Cuturi & Blondel 2017) of two batches of 1-D sequences, squared cost.

    ``R(i, j) = (x_i - y_j)^2 + softmin_gamma(R(i-1, j-1), R(i-1, j), R(i, j-1))``,
    ``softmin_gamma(r) = -gamma log sum exp(-r / gamma)``, ``R(0, 0) = 0``; returns
    ``R(n, m)``. As ``gamma -> 0`` it is the DTW cost.

    Parameters
    ----------
    x : torch.Tensor, shape (B, n)
    y : torch.Tensor, shape (B, m)
    gamma : float
        ``> 0``.

    Returns
    -------
    torch.Tensor, shape (B,)
    """
    if x.ndim != 2 or y.ndim != 2 or x.shape[0] != y.shape[0]:
        raise ParameterError(f"x and y must be (B, n) and (B, m), got {x.shape}, {y.shape}")
    if not gamma > 0:
        raise ParameterError(f"gamma must be > 0, got {gamma}")
    b, n = x.shape
    m = y.shape[1]
    cost = (x[:, :, None] - y[:, None, :]) ** 2  # (B, n, m)
    inf = torch.full((b,), float("inf"), dtype=x.dtype, device=x.device)
    prev = [torch.zeros(b, dtype=x.dtype, device=x.device)] + [inf] * m  # row 0
    for i in range(1, n + 1):
        row = [inf]
        for j in range(1, m + 1):
            r = torch.stack([prev[j - 1], prev[j], row[j - 1]], dim=1)
            soft = -gamma * torch.logsumexp(-r / gamma, dim=1)
            row.append(cost[:, i - 1, j - 1] + soft)
        prev = row
    return prev[m]


def _standardise(x: torch.Tensor, eps: float) -> torch.Tensor:
    """Zero mean and unit population standard deviation along the last axis."""
    x = x - x.mean(-1, keepdim=True)
    return x / (x.std(-1, unbiased=False, keepdim=True) + eps)
