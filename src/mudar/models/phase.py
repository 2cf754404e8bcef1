"""Bar-equivariant phase rotation (MotionBeat, arXiv 2510.13244): attention that knows where
in the bar each frame is, and nothing else about its position.

Each video frame gets a bar phase ``phi_t = 2 pi * (position within the bar)`` in
``[0, 2 pi)``, from the beat times and a downbeat estimate
(:func:`mudar.features.meter.bar_phase`). The queries
and keys of self-attention are rotated like rotary position embeddings (RoFormer), but by the
bar phase instead of the frame index: the feature pairs ``(x_2j, x_2j+1)`` of a head turn by
``k_j * phi_t``, ``k_j`` an integer harmonic (:func:`pair_harmonics`). Since a rotation by
``a`` then the inverse of one by ``b`` is one by ``a - b``,

``<R(k phi_t) q_t, R(k phi_s) k_s> = <q_t, R(k (phi_s - phi_t)) k_s>``:

the attention logits depend on the phases only through their differences. Moving the music by
a whole bar (every phase unchanged) or re-labelling which beat is the downbeat (every phase
shifted by the same angle) leaves the attention pattern as it was: equivariance to bar shifts.
Harmonic 1 tells the bar apart, harmonic ``beats_per_bar`` the beat; pairs with harmonic 0
are not rotated and carry content only.

The bar phase, the metre and the downbeat come from the music (:mod:`mudar.features.meter`);
:func:`phase_from_rows` reads them off a batch of stacked audio rows.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from mudar.errors import ParameterError
from mudar.features.meter import clip_phase


def phase_from_rows(
    audio: torch.Tensor,
    *,
    n_mels: int,
    beat_row: int,
    sub: int,
    fps: float,
    beats_per_bar: int = 4,
    estimate: bool = True,
) -> torch.Tensor:
    """:func:`~mudar.features.meter.clip_phase` of every clip of a batch of stacked audio rows.

    Parameters
    ----------
    audio : torch.Tensor, shape (B, R, T * sub)
        Log-mel in rows ``0 .. n_mels - 1``.
    n_mels : int
    beat_row : int
        Row of the beats.
    sub : int
    fps : float
    beats_per_bar : int
    estimate : bool

    Returns
    -------
    torch.Tensor, float32, shape (B, T), on ``audio``'s device
        Not differentiable (a function of the beats, which are not learned).
    """
    x = audio.detach().float().cpu().numpy()
    out = np.zeros((x.shape[0], x.shape[2] // sub), dtype=np.float32)
    for i, clip in enumerate(x):
        out[i] = clip_phase(
            clip[:n_mels],
            clip[beat_row],
            sub=sub,
            fps=fps,
            beats_per_bar=beats_per_bar,
            estimate=estimate,
        )
    return torch.from_numpy(out).to(audio.device)


def pair_harmonics(head_dim: int, n_harmonics: int) -> torch.Tensor:
    """The harmonic ``k_j`` of each feature pair of a head: ``j mod (n_harmonics + 1)``.

    Pairs cycle through 0 (not rotated: content only), 1 (the bar), 2, ..., ``n_harmonics``.

    Parameters
    ----------
    head_dim : int
        Even.
    n_harmonics : int
        ``>= 0``; 0 rotates nothing.

    Returns
    -------
    torch.Tensor, float32, shape (head_dim // 2,)

    Raises
    ------
    ParameterError
        If ``head_dim`` is odd or ``n_harmonics`` negative.
    """
    if head_dim % 2 or head_dim < 2 or n_harmonics < 0:
        raise ParameterError(
            f"need an even head_dim and n_harmonics >= 0, got {head_dim}, {n_harmonics}"
        )
    return (torch.arange(head_dim // 2) % (n_harmonics + 1)).float()


def rotate_pairs(x: torch.Tensor, phase: torch.Tensor, harmonics: torch.Tensor) -> torch.Tensor:
    """Rotate feature pairs ``(x_2j, x_2j+1)`` by ``harmonics[j] * phase_t``.

    Parameters
    ----------
    x : torch.Tensor, shape (B, H, T, D)
        Queries or keys, D even.
    phase : torch.Tensor, shape (B, T)
        Bar phase, radians.
    harmonics : torch.Tensor, shape (D // 2,)

    Returns
    -------
    torch.Tensor, shape (B, H, T, D)
    """
    angle = phase[:, None, :, None].to(x.dtype) * harmonics.to(x.dtype)  # (B, 1, T, D/2)
    cos, sin = angle.cos(), angle.sin()
    x1, x2 = x[..., 0::2], x[..., 1::2]
    return torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1).flatten(-2)


class PhaseAttention(nn.Module):
    """Multi-head self-attention with bar-phase rotated queries and keys and a key bias.

    ``logits[t, s] = <R(phi_t) q_t, R(phi_s) k_s> / sqrt(D_h) + bias_s``. The bias is added to
    every query's logit of key ``s`` (the contact-guided attention of
    :mod:`mudar.models.motionbeat` passes ``beta * log(contact + eps)`` there).

    Parameters
    ----------
    dim : int
        Model width d, divisible by ``heads``, with an even head width.
    heads : int
    n_harmonics : int
        See :func:`pair_harmonics`.
    dropout : float
        On the attention weights.
    """

    def __init__(self, dim: int, heads: int, *, n_harmonics: int = 4, dropout: float = 0.0):
        super().__init__()
        if dim % heads or (dim // heads) % 2:
            raise ParameterError(f"dim={dim} / heads={heads} must be an even whole number")
        self.heads, self.head_dim = heads, dim // heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.drop = nn.Dropout(dropout)
        self.register_buffer(
            "harmonics", pair_harmonics(self.head_dim, n_harmonics), persistent=False
        )

    def logits(
        self,
        x: torch.Tensor,
        phase: torch.Tensor | None = None,
        key_bias: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Attention logits (B, H, T, T) and values (B, H, T, D_h) of ``x`` (B, T, d)."""
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        if phase is not None:
            if phase.shape != (b, t):
                raise ParameterError(f"phase must be {(b, t)}, got {tuple(phase.shape)}")
            q = rotate_pairs(q, phase, self.harmonics)
            k = rotate_pairs(k, phase, self.harmonics)
        logits = q @ k.transpose(-1, -2) / math.sqrt(self.head_dim)
        if key_bias is not None:
            if key_bias.shape != (b, t):
                raise ParameterError(f"key_bias must be {(b, t)}, got {tuple(key_bias.shape)}")
            logits = logits + key_bias[:, None, None, :].to(logits.dtype)
        return logits, v

    def forward(
        self,
        x: torch.Tensor,
        phase: torch.Tensor | None = None,
        key_bias: torch.Tensor | None = None,
        *,
        return_weights: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Self-attention over the frames.

        Parameters
        ----------
        x : torch.Tensor, shape (B, T, d)
        phase : torch.Tensor, shape (B, T), optional
            Bar phase, radians; None: no rotation.
        key_bias : torch.Tensor, shape (B, T), optional
            Added to the logits of each key.
        return_weights : bool
            Also return the attention weights (B, H, T, T), before dropout.

        Returns
        -------
        torch.Tensor, shape (B, T, d) [, weights]
        """
        logits, v = self.logits(x, phase, key_bias)
        w = logits.softmax(-1)
        y = (self.drop(w) @ v).transpose(1, 2).flatten(2)
        y = self.out(y)
        return (y, w) if return_weights else y


class PhaseTransformerLayer(nn.Module):
    """Pre-norm transformer layer around :class:`PhaseAttention`; feed-forward width 2d.

    Dropout is applied to the two residual branches only, not to the attention weights nor
    inside the feed-forward: on CPU, drawing masks for the (B, H, T, T) weights cost more than
    the attention itself.
    """

    def __init__(self, dim: int, heads: int, *, n_harmonics: int = 4, dropout: float = 0.1):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = PhaseAttention(dim, heads, n_harmonics=n_harmonics)
        self.norm2 = nn.LayerNorm(dim)
        self.ff = nn.Sequential(nn.Linear(dim, 2 * dim), nn.ReLU(), nn.Linear(2 * dim, dim))
        self.drop = nn.Dropout(dropout)

    def forward(
        self,
        x: torch.Tensor,
        phase: torch.Tensor | None = None,
        key_bias: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """(B, T, d) -> (B, T, d)."""
        x = x + self.drop(self.attn(self.norm1(x), phase, key_bias))
        return x + self.drop(self.ff(self.norm2(x)))


class PhaseTransformer(nn.Module):
    """A stack of :class:`PhaseTransformerLayer` and a final LayerNorm.

    Parameters
    ----------
    dim, heads : int
    layers : int
        ``>= 0``.
    n_harmonics : int
    dropout : float
    """

    def __init__(
        self, dim: int, heads: int, layers: int, *, n_harmonics: int = 4, dropout: float = 0.1
    ):
        super().__init__()
        self.layers = nn.ModuleList(
            PhaseTransformerLayer(dim, heads, n_harmonics=n_harmonics, dropout=dropout)
            for _ in range(layers)
        )
        self.norm = nn.LayerNorm(dim)

    def forward(
        self,
        x: torch.Tensor,
        phase: torch.Tensor | None = None,
        key_bias: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """(B, T, d) -> (B, T, d); ``phase`` and ``key_bias`` (B, T) go to every layer."""
        for layer in self.layers:
            x = layer(x, phase, key_bias)
        return self.norm(x)
