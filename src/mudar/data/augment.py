"""Look augmentation of training clips: other framings, orientations and colours.

The dwm videos have one look (one avatar and backdrop, a tracking camera that keeps the dancer
the same size); users' videos do not. A clip drawn for training can get one random *look*, the
same for all its frames:

- **framing:** a mirror image (p 0.5), a zoom by ``s`` in [0.6, 1.5] (log-uniform; below 1 the
  picture shrinks onto a black surround, as a letterboxed or wide shot), a roll of up to
  +-12 degrees and a shift of up to 15 % of the side, in one affine resampling
  (``torch.nn.functional.grid_sample``);
- **colour:** per-channel gains in [0.7, 1.3], contrast in [0.6, 1.4] and brightness +-0.15,
  and the channels permuted (p 0.25).

The motion input follows the framing, since it describes the same pictures: each HOOF bin's
direction is taken through the same linear map and its mass moved to the nearest bin (a mirror
image swaps left and right, a roll turns every direction), and the mean flow speed is scaled by
the zoom. Colour does not change the flow.

Draws come from the item's generator (:func:`mudar.data.sampling.rng_for`), so a clip's look is
a function of (seed, epoch, index) only.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

ZOOM = (0.6, 1.5)
ROLL_DEG = 12.0
SHIFT = 0.15
GAIN = (0.7, 1.3)
CONTRAST = (0.6, 1.4)
BRIGHTNESS = 0.15
P_FLIP = 0.5
P_PERMUTE = 0.25


def draw_look(rng: np.random.Generator) -> dict:
    """One random look (the parameters :func:`apply_look` takes)."""
    return {
        "flip": bool(rng.random() < P_FLIP),
        "zoom": float(np.exp(rng.uniform(np.log(ZOOM[0]), np.log(ZOOM[1])))),
        "roll": float(rng.uniform(-ROLL_DEG, ROLL_DEG)),
        "shift": rng.uniform(-SHIFT, SHIFT, size=2).tolist(),
        "gain": rng.uniform(*GAIN, size=3).tolist(),
        "contrast": float(rng.uniform(*CONTRAST)),
        "brightness": float(rng.uniform(-BRIGHTNESS, BRIGHTNESS)),
        "permute": rng.permutation(3).tolist() if rng.random() < P_PERMUTE else [0, 1, 2],
    }


def _picture_map(look: dict) -> np.ndarray:
    """The 2x2 map of picture coordinates (x right, y down, centred) from input to output."""
    a = math.radians(look["roll"])
    rot = np.array([[math.cos(a), math.sin(a)], [-math.sin(a), math.cos(a)]])  # anticlockwise
    flip = np.diag([-1.0 if look["flip"] else 1.0, 1.0])
    return look["zoom"] * rot @ flip


def apply_look(
    frames: torch.Tensor, motion: torch.Tensor, look: dict
) -> tuple[torch.Tensor, torch.Tensor]:
    """A clip as it would look under ``look``.

    Parameters
    ----------
    frames : torch.Tensor, float32, shape (T, 3, S, S)
        RGB in [0, 1].
    motion : torch.Tensor, float32, shape (T, B + 1)
        HOOF (B bins, bin ``b`` centred on ``2 pi b / B`` anticlockwise from rightward) and the
        log mean flow speed (:func:`mudar.data.inputs.motion_input`).
    look : dict
        From :func:`draw_look`.

    Returns
    -------
    frames, motion
        Same shapes; frames still in [0, 1].
    """
    m = _picture_map(look)
    # grid_sample reads output pixel p at input position A^-1 p (+ the shift)
    inv = np.linalg.inv(m)
    theta = torch.tensor(
        [[inv[0, 0], inv[0, 1], look["shift"][0]], [inv[1, 0], inv[1, 1], look["shift"][1]]],
        dtype=frames.dtype,
    )
    grid = F.affine_grid(theta[None].expand(len(frames), 2, 3), list(frames.shape), False)
    out = F.grid_sample(frames, grid, mode="bilinear", padding_mode="zeros", align_corners=False)

    out = out[:, look["permute"]] * torch.tensor(look["gain"], dtype=out.dtype)[None, :, None, None]
    mean = out.mean(dim=(1, 2, 3), keepdim=True)
    out = ((out - mean) * look["contrast"] + mean + look["brightness"]).clamp(0.0, 1.0)

    bins = motion.shape[1] - 1
    angles = 2 * np.pi * np.arange(bins) / bins
    directions = np.stack([np.cos(angles), -np.sin(angles)])  # y down
    moved = m @ directions
    new_bins = np.round(np.arctan2(-moved[1], moved[0]) / (2 * np.pi) * bins).astype(int) % bins
    hoof = torch.zeros_like(motion[:, :bins])
    hoof.index_add_(1, torch.from_numpy(new_bins), motion[:, :bins])
    speed = torch.log1p(torch.expm1(motion[:, bins:]) * look["zoom"])
    return out, torch.cat([hoof, speed], dim=1)
