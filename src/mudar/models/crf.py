"""A linear-chain conditional random field: log-partition, negative log-likelihood, Viterbi.

Used by the ``crf`` rhythm head (a Table 1 ablation of the paper): a BiLSTM gives per-frame
label scores (emissions) and the CRF scores whole label sequences, so that a rhythm point is
decided with its neighbours in view.

The score of labels ``y`` (length ``n``) under emissions ``e`` is

    s(y) = start[y_0] + e_0[y_0] + sum_{t=1}^{n-1} (trans[y_{t-1}, y_t] + e_t[y_t]) + end[y_{n-1}]

and ``p(y) = exp(s(y)) / Z`` with ``Z`` the sum of ``exp(s)`` over all label sequences.
Masks are left-aligned: the valid frames of an item are a prefix ``0 .. n-1`` with ``n >= 1``.
"""

from __future__ import annotations

import torch
from torch import nn

from mudar.errors import ParameterError


class LinearChainCRF(nn.Module):
    """Transition, start and end scores over ``n_labels`` labels.

    Parameters
    ----------
    n_labels : int
        Number of labels L (>= 2).

    Attributes
    ----------
    transitions : nn.Parameter, shape (L, L)
        ``transitions[i, j]``: score of label ``j`` following label ``i``.
    start, end : nn.Parameter, shape (L,)
        Scores of the first and the last label of a sequence.
    """

    def __init__(self, n_labels: int):
        super().__init__()
        if n_labels < 2:
            raise ParameterError(f"n_labels must be >= 2, got {n_labels}")
        self.n_labels = n_labels
        self.transitions = nn.Parameter(torch.zeros(n_labels, n_labels))
        self.start = nn.Parameter(torch.zeros(n_labels))
        self.end = nn.Parameter(torch.zeros(n_labels))

    def _check(
        self, emissions: torch.Tensor, mask: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if emissions.ndim != 3 or emissions.shape[2] != self.n_labels or emissions.shape[1] < 1:
            raise ParameterError(
                f"emissions must have shape (B, T>=1, {self.n_labels}), got "
                f"{tuple(emissions.shape)}"
            )
        b, t, _ = emissions.shape
        if mask is None:
            mask = torch.ones(b, t, dtype=torch.bool, device=emissions.device)
        else:
            if mask.shape != (b, t):
                raise ParameterError(f"mask must have shape {(b, t)}, got {tuple(mask.shape)}")
            mask = mask.bool()
            if not bool(mask[:, 0].all()):
                raise ParameterError("mask: every sequence needs its first frame")
            if bool((mask[:, 1:] & ~mask[:, :-1]).any()):
                raise ParameterError("mask: the valid frames of a sequence must be a prefix")
        return emissions, mask

    def log_partition(
        self, emissions: torch.Tensor, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """log Z by the forward algorithm.

        Parameters
        ----------
        emissions : torch.Tensor, float, shape (B, T, L)
        mask : torch.Tensor, bool, shape (B, T), optional
            Valid frames (a prefix of each row); all frames when omitted.

        Returns
        -------
        torch.Tensor, shape (B,)
        """
        emissions, mask = self._check(emissions, mask)
        alpha = self.start + emissions[:, 0]  # (B, L)
        for t in range(1, emissions.shape[1]):
            # alpha'[j] = logsumexp_i(alpha[i] + trans[i, j]) + e_t[j]
            step = torch.logsumexp(alpha[:, :, None] + self.transitions, dim=1) + emissions[:, t]
            alpha = torch.where(mask[:, t, None], step, alpha)
        return torch.logsumexp(alpha + self.end, dim=1)

    def score(
        self, emissions: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """s(y), the unnormalised log-score of the label sequences ``labels``.

        Parameters
        ----------
        emissions : torch.Tensor, float, shape (B, T, L)
        labels : torch.Tensor, int, shape (B, T)
            Values in ``0 .. L-1`` (anything at masked frames).
        mask : torch.Tensor, bool, shape (B, T), optional

        Returns
        -------
        torch.Tensor, shape (B,)
        """
        emissions, mask = self._check(emissions, mask)
        if labels.shape != mask.shape:
            raise ParameterError(f"labels must have shape {tuple(mask.shape)}")
        labels = labels.long().clamp(0, self.n_labels - 1)
        emit = emissions.gather(2, labels[:, :, None])[:, :, 0]  # (B, T)
        trans = self.transitions[labels[:, :-1], labels[:, 1:]]  # (B, T-1)
        m = mask.to(emissions.dtype)
        s = self.start[labels[:, 0]] + (emit * m).sum(1) + (trans * m[:, 1:]).sum(1)
        last = mask.sum(1) - 1
        return s + self.end[labels.gather(1, last[:, None])[:, 0]]

    def nll(
        self, emissions: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """-log p(labels), per sequence: ``log Z - s(labels)``.

        Returns
        -------
        torch.Tensor, shape (B,)
        """
        return self.log_partition(emissions, mask) - self.score(emissions, labels, mask)

    def marginals(self, emissions: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Posterior marginals p(y_t = l | x) of every frame and label.

        By the forward-backward identity ``p(y_t = l) = d log Z / d e_t[l]``: the gradient of
        :meth:`log_partition` with respect to the emissions.

        Parameters
        ----------
        emissions : torch.Tensor, float, shape (B, T, L)
        mask : torch.Tensor, bool, shape (B, T), optional

        Returns
        -------
        torch.Tensor, shape (B, T, L)
            Each valid frame sums to 1 over the labels; 0 at masked frames. Detached.
        """
        with torch.enable_grad():
            e = emissions.detach().requires_grad_(True)
            (grad,) = torch.autograd.grad(self.log_partition(e, mask).sum(), e)
        return grad.detach()

    @torch.no_grad()
    def viterbi(self, emissions: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """The most probable label sequence of each item.

        Parameters
        ----------
        emissions : torch.Tensor, float, shape (B, T, L)
        mask : torch.Tensor, bool, shape (B, T), optional

        Returns
        -------
        torch.Tensor, int64, shape (B, T)
            Labels; 0 at masked frames.
        """
        emissions, mask = self._check(emissions, mask)
        b, t_len, n_labels = emissions.shape
        delta = self.start + emissions[:, 0]
        identity = torch.arange(n_labels, device=emissions.device).expand(b, n_labels)
        back = []
        for t in range(1, t_len):
            best, arg = (delta[:, :, None] + self.transitions).max(dim=1)  # over the previous
            on = mask[:, t, None]
            delta = torch.where(on, best + emissions[:, t], delta)
            back.append(torch.where(on, arg, identity))  # masked frames keep their label
        label = (delta + self.end).argmax(dim=1)
        path = [label]
        for arg in reversed(back):
            label = arg.gather(1, label[:, None])[:, 0]
            path.append(label)
        labels = torch.stack(path[::-1], dim=1)
        return labels.masked_fill(~mask, 0)
