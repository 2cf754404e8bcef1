"""The overall objective of MuDaR: implicit (triplet) plus explicit (rhythm) loss (Eq. 20)."""

from __future__ import annotations

import torch
from torch import nn

from mudar.errors import ParameterError


class JointLoss(nn.Module):
    """``L = lambda1 * L_im + lambda2 * mean(L_ex)`` (Eq. 20).

    ``L_im`` is the implicit loss, the triplet loss of the embeddings
    (:class:`~mudar.losses.triplet.TripletLoss`, Eq. 18, already a batch mean); ``L_ex`` the
    explicit loss of the visual rhythm head (:class:`~mudar.losses.focal.FocalLoss`, Eq. 19, or
    a Table 1 ablation's), given as a scalar or per frame / per clip and averaged here. The
    terms are computed by their own modules so that each head can bring its own explicit loss;
    this module only weighs them and reports the parts.

    Parameters
    ----------
    lambda_im : float
        ``lambda1``, weight of the implicit loss, ``>= 0`` (``TrainConfig.lambda_im``).
    lambda_ex : float
        ``lambda2``, weight of the explicit loss, ``>= 0`` (``TrainConfig.lambda_ex``).
    """

    def __init__(self, lambda_im: float = 1.0, lambda_ex: float = 1.0):
        super().__init__()
        if lambda_im < 0 or lambda_ex < 0:
            raise ParameterError(f"lambdas must be >= 0, got {lambda_im}, {lambda_ex}")
        self.lambda_im = float(lambda_im)
        self.lambda_ex = float(lambda_ex)

    @classmethod
    def from_config(cls, train) -> JointLoss:
        """The weights a :class:`~mudar.models.config.TrainConfig` asks for."""
        return cls(train.lambda_im, train.lambda_ex)

    def forward(
        self, l_im: torch.Tensor, l_ex: torch.Tensor, *, return_parts: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The total loss (and its parts, for logging).

        Parameters
        ----------
        l_im : torch.Tensor, scalar
            Implicit loss.
        l_ex : torch.Tensor, any shape
            Explicit loss: a scalar, or per clip (B,) or per frame (B, T); averaged.
        return_parts : bool
            Also return the parts.

        Returns
        -------
        total : torch.Tensor, scalar
            With the graph, for ``backward``.
        parts : dict of str to torch.Tensor, only with ``return_parts``
            ``total``, ``implicit`` and ``explicit`` (the unweighted terms):
            detached scalars.

        Raises
        ------
        ParameterError
            If ``l_im`` is not a scalar or ``l_ex`` is empty.
        """
        if l_im.numel() != 1:
            raise ParameterError(f"l_im must be a scalar, got shape {tuple(l_im.shape)}")
        if l_ex.numel() == 0:
            raise ParameterError("l_ex is empty")
        l_im = l_im.reshape(())
        l_ex = l_ex.mean()
        total = self.lambda_im * l_im + self.lambda_ex * l_ex  # Eq. 20
        if not return_parts:
            return total
        parts = {"total": total.detach(), "implicit": l_im.detach(), "explicit": l_ex.detach()}
        return total, parts
