"""Multinomial logistic regression in torch (L-BFGS, deterministic): the classifier of the
raw-feature baseline, so that scikit-learn is not a dependency."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from mudar.errors import ParameterError


@dataclass
class LogisticRegression:
    """A fitted multinomial logistic regression on standardised features.

    Attributes
    ----------
    mean, scale : np.ndarray, float64, shape (D,)
        Standardisation of the inputs (from the training rows).
    weight : np.ndarray, float64, shape (D, C)
    bias : np.ndarray, float64, shape (C,)
    """

    mean: np.ndarray
    scale: np.ndarray
    weight: np.ndarray
    bias: np.ndarray

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """(n, D) -> (n, C) probabilities."""
        z = ((np.asarray(x, np.float64) - self.mean) / self.scale) @ self.weight + self.bias
        z -= z.max(1, keepdims=True)
        p = np.exp(z)
        return (p / p.sum(1, keepdims=True)).astype(np.float32)


def fit_logistic(
    x: np.ndarray,
    y: np.ndarray,
    *,
    n_classes: int,
    l2: float = 1e-2,
    balanced: bool = False,
    max_iter: int = 200,
) -> LogisticRegression:
    """Multinomial logistic regression, L2-penalised, fitted by L-BFGS (deterministic).

    Parameters
    ----------
    x : np.ndarray, shape (n, D)
    y : np.ndarray, int, shape (n,)
        Classes in ``0..n_classes-1``.
    n_classes : int
    l2 : float
        Penalty ``l2 / 2 * ||W||^2`` added to the mean cross-entropy.
    balanced : bool
        Weight classes by inverse frequency.
    max_iter : int

    Returns
    -------
    LogisticRegression

    Raises
    ------
    ParameterError
        Shapes that do not fit, classes out of range, ``l2 < 0``.
    """
    x = np.asarray(x, np.float64)
    y = np.asarray(y)
    if x.ndim != 2 or y.shape != (x.shape[0],) or not len(y):
        raise ParameterError(f"need x (n, D) and y (n,) with n >= 1, got {x.shape}, {y.shape}")
    if y.min() < 0 or y.max() >= n_classes or l2 < 0:
        raise ParameterError("classes must be in 0..n_classes-1 and l2 >= 0")
    mean = x.mean(0)
    scale = x.std(0)
    scale[scale < 1e-8] = 1.0
    xt = torch.from_numpy((x - mean) / scale)
    yt = torch.from_numpy(y.astype(np.int64))
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    w_cls = np.where(counts > 0, len(y) / (n_classes * np.maximum(counts, 1)), 0.0)
    w_cls = torch.from_numpy(w_cls if balanced else (counts > 0).astype(np.float64))
    weight = torch.zeros(x.shape[1], n_classes, dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(n_classes, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS(
        [weight, bias], max_iter=max_iter, line_search_fn="strong_wolfe", tolerance_grad=1e-9
    )

    def closure():
        opt.zero_grad()
        ce = F.cross_entropy(xt @ weight + bias, yt, weight=w_cls)
        loss = ce + 0.5 * l2 * (weight**2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return LogisticRegression(
        mean=mean, scale=scale, weight=weight.detach().numpy(), bias=bias.detach().numpy()
    )
