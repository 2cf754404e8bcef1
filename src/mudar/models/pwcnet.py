"""PWC-Net (Sun et al., CVPR 2018): its feature pyramid, and the whole flow network.

The layers carry the names of NVlabs' PyTorch port (``PWCDCNet`` in ``PyTorch/models/PWCNet.py``
of NVlabs/PWC-Net), so its released ``pwc_net.pth.tar`` loads with ``load_state_dict``.
:class:`FeaturePyramid` alone is the visual encoder of MuDaR (paper sec. 3.1).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import torch
from torch import nn

from mudar.errors import InputError, ParameterError

__all__ = [
    "PWCNET_CHANNELS",
    "FeaturePyramid",
    "PWCNet",
    "correlation",
    "estimate_flow",
    "load_pwcnet",
    "warp",
]

PWCNET_CHANNELS = (16, 32, 64, 96, 128, 196)
"""Channels of PWC-Net's six pyramid levels, finest first."""


def _conv(in_ch: int, out_ch: int, *, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    """3x3 convolution + LeakyReLU(0.1), NVlabs' ``conv`` (hence the ``.0.`` in its keys)."""
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=dilation, dilation=dilation),
        nn.LeakyReLU(0.1),
    )


def _level_names(level: int) -> tuple[str, str, str]:
    """NVlabs' names of the three convs of pyramid level ``level`` (1-based), in applied order.

    Levels 1-5 go ``conv{l}a`` (stride 2), ``conv{l}aa``, ``conv{l}b``; level 6 goes ``conv6aa``
    (stride 2), ``conv6a``, ``conv6b``.
    """
    if level == 6:
        return ("conv6aa", "conv6a", "conv6b")
    return (f"conv{level}a", f"conv{level}aa", f"conv{level}b")


def _add_pyramid(module: nn.Module, channels: tuple[int, ...]) -> list[tuple[str, str, str]]:
    """Register the pyramid convs on ``module`` under NVlabs' names; the names, per level."""
    levels = []
    in_ch = 3
    for i, ch in enumerate(channels):
        names = _level_names(i + 1)
        for j, name in enumerate(names):
            module.add_module(name, _conv(in_ch if j == 0 else ch, ch, stride=2 if j == 0 else 1))
        levels.append(names)
        in_ch = ch
    return levels


def _run_pyramid(
    module: nn.Module, levels: list[tuple[str, str, str]], x: torch.Tensor
) -> list[torch.Tensor]:
    feats = []
    for names in levels:
        for name in names:
            x = getattr(module, name)(x)
        feats.append(x)
    return feats


def _check_channels(channels: tuple[int, ...]) -> tuple[int, ...]:
    channels = tuple(channels)
    if not 1 <= len(channels) <= len(PWCNET_CHANNELS):
        raise ParameterError(
            f"a PWC-Net pyramid has 1 to {len(PWCNET_CHANNELS)} levels, got {len(channels)}"
        )
    if any(not isinstance(c, int) or c < 1 for c in channels):
        raise ParameterError(f"channels must be positive integers, got {channels}")
    return channels


class FeaturePyramid(nn.Module):
    """PWC-Net's feature pyramid extractor: per level three 3x3 convs, the first with stride 2.

    Parameters
    ----------
    channels : tuple of int
        Output channels of each level, finest first (PWC-Net: 16, 32, 64, 96, 128, 196). Fewer
        levels (at most 6) make a shallower encoder.

    Attributes
    ----------
    channels : tuple of int
    out_channels : int
        Channels of the coarsest level, ``channels[-1]``.

    Notes
    -----
    The parameters are named as in NVlabs' PWC-Net (``conv1a.0.weight``, ``conv1aa``, ...,
    ``conv6aa``, ``conv6a``, ``conv6b``), so the pyramid part of its checkpoint loads with
    ``load_state_dict(..., strict=False)``; NVlabs' inputs are BGR in [0, 1].

    Raises
    ------
    ParameterError
        If ``channels`` is empty, longer than 6, or holds a non-positive entry.
    """

    def __init__(self, channels: tuple[int, ...] = PWCNET_CHANNELS) -> None:
        super().__init__()
        self.channels = _check_channels(channels)
        self.out_channels = self.channels[-1]
        self._levels = _add_pyramid(self, self.channels)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Features of every level.

        Parameters
        ----------
        x : torch.Tensor, float, shape (N, 3, H, W)
            Images; H and W divisible by ``2**len(channels)`` for exact halvings.

        Returns
        -------
        list of torch.Tensor
            Finest first; level ``l`` (0-based) has shape
            (N, channels[l], H / 2**(l+1), W / 2**(l+1)) (sizes rounded up when not divisible).
        """
        if x.ndim != 4 or x.shape[1] != 3:
            raise ParameterError(f"expected images of shape (N, 3, H, W), got {tuple(x.shape)}")
        return _run_pyramid(self, self._levels, x)


# --- the flow network ---------------------------------------------------------------------


def correlation(f1: torch.Tensor, f2: torch.Tensor, max_displacement: int = 4) -> torch.Tensor:
    """Cost volume: channel-mean products of ``f1`` with ``f2`` shifted by up to ``d`` pixels.

    The correlation layer of FlowNet/PWC-Net with kernel size 1 and strides 1, in plain PyTorch
    (zero padding and shifted products; no CUDA extension).

    Parameters
    ----------
    f1, f2 : torch.Tensor, float, shape (N, C, H, W)
        Features of the first image and (warped) features of the second.
    max_displacement : int
        d, the largest shift in pixels along x and y.

    Returns
    -------
    torch.Tensor, shape (N, (2d+1)**2, H, W)
        Channel ``(dy + d) * (2d + 1) + (dx + d)`` holds
        ``mean_c f1[n, c, y, x] * f2[n, c, y + dy, x + dx]``, zero where ``f2`` is out of range
        (the layout of the Caffe/NVlabs layer: x offset varies fastest).
    """
    if f1.shape != f2.shape or f1.ndim != 4:
        raise ParameterError(
            f"features must share a (N, C, H, W) shape, got {f1.shape}, {f2.shape}"
        )
    if max_displacement < 0:
        raise ParameterError(f"max_displacement must be >= 0, got {max_displacement}")
    d = max_displacement
    h, w = f1.shape[-2:]
    f2p = nn.functional.pad(f2, (d, d, d, d))
    costs = [
        (f1 * f2p[:, :, dy : dy + h, dx : dx + w]).mean(dim=1)
        for dy in range(2 * d + 1)
        for dx in range(2 * d + 1)
    ]
    return torch.stack(costs, dim=1)


def warp(x: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Backward-warp ``x`` (second image's features) towards the first image by ``flow``.

    ``out[y, x] = x[y + flow_y, x + flow_x]`` by bilinear sampling; as in NVlabs' ``warp``,
    pixels whose sample reaches outside ``x`` (a sampled all-ones map < 0.9999) are zeroed.

    Parameters
    ----------
    x : torch.Tensor, float, shape (N, C, H, W)
    flow : torch.Tensor, float, shape (N, 2, H, W)
        ``(dx, dy)`` in pixels of this resolution.

    Returns
    -------
    torch.Tensor, shape (N, C, H, W)
    """
    n, _, h, w = x.shape
    if flow.shape != (n, 2, h, w):
        raise ParameterError(f"flow must have shape {(n, 2, h, w)}, got {tuple(flow.shape)}")
    ys, xs = torch.meshgrid(
        torch.arange(h, dtype=x.dtype, device=x.device),
        torch.arange(w, dtype=x.dtype, device=x.device),
        indexing="ij",
    )
    gx = 2.0 * (xs + flow[:, 0]) / max(w - 1, 1) - 1.0
    gy = 2.0 * (ys + flow[:, 1]) / max(h - 1, 1) - 1.0
    grid = torch.stack((gx, gy), dim=-1)
    out = nn.functional.grid_sample(x, grid, mode="bilinear", align_corners=True)
    with torch.no_grad():  # NVlabs' in-place thresholding leaves the mask without gradient
        ones = torch.ones((n, 1, h, w), dtype=x.dtype, device=x.device)
        mask = nn.functional.grid_sample(ones, grid, mode="bilinear", align_corners=True)
        mask = (mask >= 0.9999).to(x.dtype)
    return out * mask


def _predict_flow(in_ch: int) -> nn.Conv2d:
    return nn.Conv2d(in_ch, 2, 3, padding=1)


def _deconv(in_ch: int) -> nn.ConvTranspose2d:
    return nn.ConvTranspose2d(in_ch, 2, 4, stride=2, padding=1)


DENSE_WIDTHS = (128, 128, 96, 64, 32)
"""Widths of the five densely connected convs of each flow estimator."""

CONTEXT_LAYERS = ((128, 1), (128, 2), (128, 4), (96, 8), (64, 16), (32, 1))
"""(channels, dilation) of the context network's convs dc_conv1 .. dc_conv6."""

FLOW_SCALE = 20.0
"""The network predicts flow / 20 (NVlabs: "the GT flow is divided by 20.0" in training)."""


class PWCNet(nn.Module):
    """PWC-Net with DenseNet connections and the dilated context network (NVlabs' PWC-DC).

    Pyramid (:class:`FeaturePyramid` layers), then from level 6 down to level 2: warp the second
    image's features by the upsampled flow, cost volume (:func:`correlation`, LeakyReLU),
    a densely connected flow estimator (``conv{l}_0`` .. ``conv{l}_4``, ``predict_flow{l}``),
    and ``deconv{l}`` / ``upfeat{l}`` to pass flow and features to the next finer level; the
    context network (``dc_conv1`` .. ``dc_conv7``, dilations 1, 2, 4, 8, 16, 1) refines level 2.
    Parameter names equal NVlabs' ``PWCDCNet``, so ``pwc_net.pth.tar`` loads (:func:`load_pwcnet`).

    Parameters
    ----------
    channels : tuple of int
        Channels of the six pyramid levels (NVlabs: 16, 32, 64, 96, 128, 196).
    max_displacement : int
        Search range d of the cost volume, pixels at each level (NVlabs: 4).

    Notes
    -----
    Inputs follow NVlabs: **BGR** images scaled to [0, 1] (``/ 255``, no other normalisation),
    H and W multiples of 64. Outputs are flow / 20 in pixels of the *input* resolution, at 1/4
    (level 2) to 1/64 (level 6) of it: the caller multiplies by 20 and upsamples (bilinear,
    values unchanged since they are already full-resolution pixels), as :class:`PWCNetFlow` does.
    The flow maps image 1 to image 2: ``im2[y + dy, x + dx] ~ im1[y, x]``.
    """

    def __init__(
        self, channels: tuple[int, ...] = PWCNET_CHANNELS, max_displacement: int = 4
    ) -> None:
        super().__init__()
        channels = _check_channels(channels)
        if len(channels) != 6:
            raise ParameterError(f"PWC-Net needs 6 pyramid levels, got {len(channels)}")
        if max_displacement < 1:
            raise ParameterError(f"max_displacement must be >= 1, got {max_displacement}")
        self.channels = channels
        self.max_displacement = max_displacement
        self._levels = _add_pyramid(self, channels)
        self.leaky_relu = nn.LeakyReLU(0.1)

        nd = (2 * max_displacement + 1) ** 2
        for level in (6, 5, 4, 3, 2):
            # level 6 sees only the cost volume; finer levels also their own features, the
            # upsampled flow (2) and the upsampled features (2)
            od = nd if level == 6 else nd + channels[level - 1] + 4
            for k, width in enumerate(DENSE_WIDTHS):
                self.add_module(f"conv{level}_{k}", _conv(od, width))
                od += width
            self.add_module(f"predict_flow{level}", _predict_flow(od))
            self.add_module(f"deconv{level}", _deconv(2))  # deconv2 is unused, as in NVlabs
            if level > 2:
                self.add_module(f"upfeat{level}", _deconv(od))
        for k, (width, dilation) in enumerate(CONTEXT_LAYERS):
            self.add_module(f"dc_conv{k + 1}", _conv(od, width, dilation=dilation))
            od = width
        self.dc_conv7 = _predict_flow(od)

        for m in self.modules():  # NVlabs' init
            if isinstance(m, nn.Conv2d | nn.ConvTranspose2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_in")
                nn.init.zeros_(m.bias)

    def _estimate(self, level: int, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Dense flow estimator of ``level``: its features and flow."""
        for k in range(len(DENSE_WIDTHS)):
            x = torch.cat((getattr(self, f"conv{level}_{k}")(x), x), dim=1)
        return x, getattr(self, f"predict_flow{level}")(x)

    def forward(self, im1: torch.Tensor, im2: torch.Tensor) -> list[torch.Tensor]:
        """Flow from ``im1`` to ``im2`` at pyramid levels 2 to 6.

        Parameters
        ----------
        im1, im2 : torch.Tensor, float, shape (N, 3, H, W)
            BGR in [0, 1]; H and W multiples of 64.

        Returns
        -------
        list of torch.Tensor
            ``[flow2, flow3, flow4, flow5, flow6]``: ``flow{l}`` has shape
            (N, 2, H / 2**l, W / 2**l) and holds flow / 20 in input-resolution pixels
            (``flow2`` includes the context network's residual). Inference uses ``flow2``; a
            multi-scale loss uses all.

        Raises
        ------
        ParameterError
            If the images differ in shape or are not (N, 3, H, W) with H, W multiples of 64.
        """
        if im1.shape != im2.shape or im1.ndim != 4 or im1.shape[1] != 3:
            raise ParameterError(
                f"images must both be (N, 3, H, W), got {tuple(im1.shape)} and {tuple(im2.shape)}"
            )
        if im1.shape[-2] % 64 or im1.shape[-1] % 64:
            raise ParameterError(f"H and W must be multiples of 64, got {tuple(im1.shape[-2:])}")
        n = im1.shape[0]
        feats = _run_pyramid(self, self._levels, torch.cat((im1, im2), dim=0))
        c1 = [f[:n] for f in feats]  # index l - 1 is level l
        c2 = [f[n:] for f in feats]
        d = self.max_displacement

        flows = []
        up_flow = up_feat = None
        for level in (6, 5, 4, 3, 2):
            f1, f2 = c1[level - 1], c2[level - 1]
            if level < 6:
                # flow is in full-res pixels / 20: to this level's pixels x 20 / 2**level
                f2 = warp(f2, up_flow * (FLOW_SCALE / 2**level))
            corr = self.leaky_relu(correlation(f1, f2, d))
            x = corr if level == 6 else torch.cat((corr, f1, up_flow, up_feat), dim=1)
            x, flow = self._estimate(level, x)
            if level > 2:
                up_flow = getattr(self, f"deconv{level}")(flow)
                up_feat = getattr(self, f"upfeat{level}")(x)
            else:
                for k in range(1, 8):  # context network
                    x = getattr(self, f"dc_conv{k}")(x)
                flow = flow + x
            flows.append(flow)
        return flows[::-1]


def load_pwcnet(path: str | os.PathLike, *, map_location: str | torch.device = "cpu") -> PWCNet:
    """A :class:`PWCNet` with the weights of a checkpoint, e.g. NVlabs' ``pwc_net.pth.tar``.

    Parameters
    ----------
    path : str or path-like
        A ``torch.save``-d state dict, or a dict holding one under ``"state_dict"`` (both NVlabs
        layouts). A ``module.`` prefix (from ``DataParallel``) is dropped. Only tensors and
        plain containers are unpickled (``weights_only``).
    map_location : str or torch.device
        Where the tensors are loaded.

    Returns
    -------
    PWCNet
        In eval mode.

    Raises
    ------
    InputError
        If ``path`` is missing, a directory, or not a readable torch checkpoint.
    ParameterError
        If the checkpoint's keys or shapes differ from PWC-Net's (a few are named).
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(
            f"PWC-Net weights not found: {p} ({'a directory' if p.is_dir() else 'missing'})"
        )
    try:
        data = torch.load(p, map_location=map_location, weights_only=True)
    except Exception as e:  # torch raises many types for a file that is not a checkpoint
        raise InputError(f"cannot read PWC-Net weights {p}: {type(e).__name__}: {e}") from None
    if isinstance(data, dict) and isinstance(data.get("state_dict"), dict):
        data = data["state_dict"]
    if not isinstance(data, dict) or not all(isinstance(v, torch.Tensor) for v in data.values()):
        raise ParameterError(f"{p} holds no state dict of tensors (got {type(data).__name__})")
    state = {k.removeprefix("module."): v for k, v in data.items()}

    model = PWCNet()
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    shapes = [k for k in expected if k in state and state[k].shape != expected[k].shape]
    if missing or unexpected or shapes:
        parts = []
        for what, keys in (
            ("missing", missing),
            ("unexpected", unexpected),
            ("wrong shape", shapes),
        ):
            if keys:
                more = f" and {len(keys) - 4} more" if len(keys) > 4 else ""
                parts.append(f"{len(keys)} {what} ({', '.join(keys[:4])}{more})")
        raise ParameterError(
            f"{p} is not a PWC-Net (NVlabs PWCDCNet) checkpoint: " + "; ".join(parts)
        )
    model.load_state_dict(state)
    return model.eval()


@torch.inference_mode()
def estimate_flow(model: PWCNet, prev: np.ndarray, nxt: np.ndarray) -> np.ndarray:
    """Flow from one gray frame to the next with a trained PWC-Net.

    Follows NVlabs' ``script_pwc.py``: the frames are resized to multiples of 64, the network's
    level-2 flow is multiplied by 20, resized back to the frame size (bilinear) and rescaled by
    the resize ratios. A gray frame is replicated to the three (BGR) channels. The frames are
    not checked here: :class:`mudar.features.flow.PWCNetFlow` does that.

    Parameters
    ----------
    model : PWCNet
        Trained network (:func:`load_pwcnet`); it runs on the device of its weights.
    prev, nxt : np.ndarray, uint8, shape (H, W)
        Consecutive gray frames.

    Returns
    -------
    np.ndarray, float32, shape (H, W, 2)
        ``(dx, dy)`` in pixels per frame, y down.
    """
    device = next(model.parameters()).device
    h, w = prev.shape
    h64, w64 = 64 * math.ceil(h / 64), 64 * math.ceil(w / 64)
    frames = torch.from_numpy(np.stack((prev, nxt))).to(device, torch.float32) / 255.0
    frames = frames[:, None].expand(2, 3, h, w)
    if (h64, w64) != (h, w):
        frames = nn.functional.interpolate(
            frames, size=(h64, w64), mode="bilinear", align_corners=False
        )
    flow = model(frames[:1], frames[1:])[0] * FLOW_SCALE  # (1, 2, h64 / 4, w64 / 4)
    flow = nn.functional.interpolate(flow, size=(h, w), mode="bilinear", align_corners=False)
    scale = torch.tensor([w / w64, h / h64], device=flow.device).view(1, 2, 1, 1)
    flow = (flow * scale)[0].permute(1, 2, 0)
    return np.ascontiguousarray(flow.cpu().numpy(), dtype=np.float32)
