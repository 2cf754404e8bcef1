"""The RGB injector of the explicit pathway (paper sec. 3.1.2): appearance cues for the rhythm.

The coarsest map of the visual encoder, ``f_rgb`` (C channels on an h x w grid per frame), is
turned into one d-vector per frame in one of two ways, chosen per clip by the audio dropout gate
(Eq. 9-10):

- with audio: audio-guided visual attention, AGVA (Eq. 5-8): the frame's audio feature picks
  the channels (Eq. 5-6) and then the places (Eq. 7-8) of ``f_rgb`` that matter; the attended
  C-vector is mapped to d;
- without audio: ``Linear(Tile(f_rgb))``.

Multi-head self-attention over the T frames of a clip (Eq. 14) follows.

Readings of the paper where it leaves a choice (written down here once):

- **Tile** flattens a frame's C x h x w map into one vector of C*h*w values (its h*w grid cells
  laid side by side), so that the linear projection sees where things are, not only what.
- **AGVA** follows the audio-guided spatial-channel attention it builds on (Xu et al., ACM MM
  2020), with ``a`` the frame's audio feature, ``v_k`` the C-vector at grid cell k of
  ``f_rgb``, delta = ReLU, sigma = sigmoid::

      m_c  = sigma(W_c delta(W_b (1/hw) sum_k delta(U_a a) * delta(U_v v_k)))        (5)
      v_k' = (1 + m_c) * v_k                                                         (6)
      m_s  = softmax_k(tanh(w_s . (delta(U_v' v_k') * delta(U_a' a))))               (7)
      v    = sum_k m_s[k] v_k'                                                       (8)

  with a bottleneck of C/2 in W_b, and an attention width of C in U_v', U_a'.
  The ``1 +`` of Eq. 6 keeps the map when the audio says nothing (m_c -> 0), as in the
  reference's code. ``U_a`` in Eq. 5 is the reference's too (the paper writes ``f_a`` bare);
  it lets the audio width differ from C.
- **Eq. 7's order** (``MudarConfig.agva_order``): ``"paper"`` is the paper's and the
  reference's ``softmax(tanh(W2(.)))``; ``"legacy"`` is ``softmax(W2(tanh(.)))``, the form the
  first shipped model was trained with (a checkpoint without the field loads as ``legacy``).
- **The audio dropout gate** (Eq. 9-10) sends the first ``floor(b * p)`` clips of a batch of b
  through ``Linear(Tile(.))`` and the others through AGVA, in training only (the data order is
  shuffled, so which clips go without audio is random). In evaluation every clip takes AGVA;
  with no audio at all (inference on a silent video) every clip takes ``Linear(Tile(.))``.
- **Self-attention** (Eq. 14) is ``LayerNorm(x + MHSA(x))`` over the frames of a clip, with
  ``config.heads`` heads; the residual keeps each frame's own features, which the rhythm
  estimator differentiates in time (Eq. 15). No position code is added: the estimator reads
  frame-to-frame differences, which carry the order.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from mudar.errors import ParameterError
from mudar.models.config import MudarConfig

AGVA_ORDERS = ("paper", "legacy")
"""Eq. 7's order: ``paper`` softmax(tanh(W2 x)), ``legacy`` softmax(W2 tanh(x))."""


class TileLinear(nn.Module):
    """``Linear(Tile(f_rgb))``: the audio-free way from a frame's feature map to d.

    Parameters
    ----------
    channels, height, width : int
        Shape (C, h, w) of a frame's map.
    dim : int
        Output width d.
    """

    def __init__(self, channels: int, height: int, width: int, dim: int):
        super().__init__()
        self.shape = (channels, height, width)
        self.linear = nn.Linear(channels * height * width, dim)

    def forward(self, f_rgb: torch.Tensor) -> torch.Tensor:
        """
        Parameters
        ----------
        f_rgb : torch.Tensor, shape (N, C, h, w)

        Returns
        -------
        torch.Tensor, shape (N, d)
        """
        if tuple(f_rgb.shape[1:]) != self.shape:
            raise ParameterError(f"f_rgb must have shape (N, {self.shape}), got {f_rgb.shape}")
        return self.linear(f_rgb.flatten(1))  # Tile: the h*w cells side by side


class AGVA(nn.Module):
    """Audio-guided visual attention (Eq. 5-8): channel attention, then spatial attention.

    Parameters
    ----------
    channels : int
        C, channels of ``f_rgb``.
    audio_dim : int
        Width of the audio feature.
    order : {"paper", "legacy"}
        Eq. 7: tanh after ``W2`` (the paper's) or before it (the first shipped model's).
    """

    def __init__(self, channels: int, audio_dim: int, *, order: str = "paper"):
        super().__init__()
        if order not in AGVA_ORDERS:
            raise ParameterError(f"order must be one of {AGVA_ORDERS}, got {order!r}")
        self.order = order
        c, hidden = channels, max(channels // 2, 1)
        # Eq. 5: channel attention
        self.u_a_c = nn.Linear(audio_dim, c)
        self.u_v_c = nn.Linear(c, c)
        self.w_b = nn.Linear(c, hidden)
        self.w_c = nn.Linear(hidden, c)
        # Eq. 7: spatial attention
        self.u_v_s = nn.Linear(c, c)
        self.u_a_s = nn.Linear(audio_dim, c)
        self.w_s = nn.Linear(c, 1, bias=False)

    def forward(
        self, f_rgb: torch.Tensor, audio: torch.Tensor, *, return_maps: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The audio-attended C-vector of each frame.

        Parameters
        ----------
        f_rgb : torch.Tensor, shape (N, C, h, w)
            Feature maps of N frames.
        audio : torch.Tensor, shape (N, d_a)
            The audio feature of each frame.
        return_maps : bool
            Also return the channel map m_c (N, C) and the spatial map m_s (N, h, w).

        Returns
        -------
        torch.Tensor, shape (N, C)
            Eq. 8; with ``return_maps``, ``(v, m_c, m_s)``.
        """
        n, c, h, w = f_rgb.shape
        if audio.shape[0] != n:
            raise ParameterError(f"audio has {audio.shape[0]} rows for {n} frames")
        relu = torch.relu
        v = f_rgb.flatten(2).transpose(1, 2)  # (N, hw, C): v_k
        joint = relu(self.u_a_c(audio))[:, None] * relu(self.u_v_c(v))  # (N, hw, C)
        m_c = torch.sigmoid(self.w_c(relu(self.w_b(joint.mean(1)))))  # Eq. 5, (N, C)
        v_c = v * (1.0 + m_c[:, None])  # Eq. 6
        q = relu(self.u_v_s(v_c)) * relu(self.u_a_s(audio))[:, None]
        if self.order == "paper":  # Eq. 7: softmax(tanh(W2 q))
            logits = torch.tanh(self.w_s(q)[..., 0])
        else:  # the first shipped model: softmax(W2 tanh(q))
            logits = self.w_s(torch.tanh(q))[..., 0]
        m_s = torch.softmax(logits, dim=1)  # Eq. 7, (N, hw)
        out = torch.einsum("nk,nkc->nc", m_s, v_c)  # Eq. 8
        if return_maps:
            return out, m_c, m_s.view(n, h, w)
        return out


def n_without_audio(batch: int, p: float, *, drop: bool, has_audio: bool) -> int:
    """How many clips of a batch go without audio (Eq. 10).

    ``floor(batch * p)`` in training (``drop``), none in evaluation, all of them when there is
    no audio.
    """
    if not has_audio:
        return batch
    if not drop:
        return 0
    return math.floor(batch * p)


class AudioDropoutGate(nn.Module):
    """Eq. 9-10: the first ``floor(b * p)`` clips through ``Linear(Tile(.))``, the rest AGVA.

    Parameters
    ----------
    channels, height, width : int
        Shape (C, h, w) of ``f_rgb`` per frame.
    audio_dim, dim : int
        Width of the audio feature and of the output.
    p : float
        Fraction of each training batch that goes without audio, in [0, 1).
    agva_order : {"paper", "legacy"}
        Eq. 7's order in AGVA (:data:`AGVA_ORDERS`).
    """

    def __init__(
        self,
        channels: int,
        height: int,
        width: int,
        audio_dim: int,
        dim: int,
        p: float,
        *,
        agva_order: str = "paper",
    ):
        super().__init__()
        if not 0 <= p < 1:
            raise ParameterError(f"p must be in [0, 1), got {p}")
        self.p = p
        self.tile_linear = TileLinear(channels, height, width, dim)
        self.agva = AGVA(channels, audio_dim, order=agva_order)
        self.agva_proj = nn.Linear(channels, dim)  # Eq. 8's C-vector to d

    def forward(
        self, f_rgb: torch.Tensor, audio: torch.Tensor | None, *, drop: bool = False
    ) -> tuple[torch.Tensor, int]:
        """
        Parameters
        ----------
        f_rgb : torch.Tensor, shape (B, T, C, h, w)
        audio : torch.Tensor, shape (B, T, d_a), or None
            Per-frame audio features; None: no audio for any clip.
        drop : bool
            Apply the audio dropout (training).

        Returns
        -------
        features : torch.Tensor, shape (B, T, d)
        n_without : int
            Clips (the first ones) that went without audio.
        """
        b, t = f_rgb.shape[:2]
        n = n_without_audio(b, self.p, drop=drop, has_audio=audio is not None)
        parts = []
        if n:  # Eq. 10, i <= floor(b p): Linear(Tile(f_rgb))
            parts.append(self.tile_linear(f_rgb[:n].flatten(0, 1)).view(n, t, -1))
        if n < b:  # Eq. 10, i > floor(b p): AGVA(f_rgb, a)
            v = self.agva(f_rgb[n:].flatten(0, 1), audio[n:].flatten(0, 1))
            parts.append(self.agva_proj(v).view(b - n, t, -1))
        return torch.cat(parts) if len(parts) > 1 else parts[0], n


class RGBInjector(nn.Module):
    """The RGB injector: audio dropout gate (Eq. 9-10, with AGVA Eq. 5-8), then Eq. 14.

    Parameters
    ----------
    config : MudarConfig
        Uses ``encoder_channels[-1]`` and ``frame_size / 2**len(encoder_channels)`` (the shape
        of ``f_rgb``), ``dim`` (the audio feature and output width), ``heads``, ``dropout``,
        ``audio_dropout`` (p), ``agva_order`` and ``n_frames``.
    """

    def __init__(self, config: MudarConfig):
        super().__init__()
        side = config.frame_size // 2 ** len(config.encoder_channels)
        c = config.encoder_channels[-1]
        self.f_rgb_shape = (c, side, side)
        self.n_frames = config.n_frames
        self.gate = AudioDropoutGate(
            c,
            side,
            side,
            config.dim,
            config.dim,
            config.audio_dropout,
            agva_order=config.agva_order,
        )
        self.attention = nn.MultiheadAttention(
            config.dim, config.heads, dropout=config.dropout, batch_first=True
        )
        self.norm = nn.LayerNorm(config.dim)

    def forward(
        self, f_rgb: torch.Tensor, audio_feat: torch.Tensor | None, *, drop: bool = False
    ) -> torch.Tensor:
        """Injected appearance features, one per frame.

        Parameters
        ----------
        f_rgb : torch.Tensor, shape (B, T, C, h, w) or (B*T, C, h, w)
            The visual encoder's coarsest maps. When flat, T is ``audio_feat.shape[1]``, or
            ``config.n_frames`` without audio.
        audio_feat : torch.Tensor, shape (B, T, d), or None
            Per-frame audio features (the audio encoder's); None: no audio.
        drop : bool
            Apply the audio dropout gate (training).

        Returns
        -------
        torch.Tensor, shape (B, T, d)

        Raises
        ------
        ParameterError
            If the shapes do not fit the config or each other.
        """
        if f_rgb.ndim == 4:
            t = audio_feat.shape[1] if audio_feat is not None else self.n_frames
            if f_rgb.shape[0] % t:
                raise ParameterError(f"{f_rgb.shape[0]} maps are not clips of {t} frames")
            f_rgb = f_rgb.view(f_rgb.shape[0] // t, t, *f_rgb.shape[1:])
        if f_rgb.ndim != 5 or tuple(f_rgb.shape[2:]) != self.f_rgb_shape:
            raise ParameterError(
                f"f_rgb must have shape (B, T, {self.f_rgb_shape}), got {tuple(f_rgb.shape)}"
            )
        if audio_feat is not None and audio_feat.shape[:2] != f_rgb.shape[:2]:
            raise ParameterError(
                f"audio_feat covers {tuple(audio_feat.shape[:2])} (B, T), f_rgb "
                f"{tuple(f_rgb.shape[:2])}"
            )
        x, _ = self.gate(f_rgb, audio_feat, drop=drop)
        attended, _ = self.attention(x, x, x, need_weights=False)  # Eq. 14
        return self.norm(x + attended)
