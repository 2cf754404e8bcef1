"""Augmentation of training clips: other looks of a video, other poses of a dancer.

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

Draws come from the item's generator (:func:`mudar.data.clips.sampling.rng_for`), so a clip's look
is
a function of (seed, epoch, index) only.

MotionBeat's clips are joints and music rows, not pictures: :class:`Augment` says how they are
augmented (a random offset of the window, the dancer mirrored left/right, scaled and turned about
the vertical with :mod:`mudar.features.kinematic`'s geometry, :func:`augment_joints`; the
log-mel's bands re-weighted, :func:`mel_gain`), from a stream seeded by (seed, epoch, index) too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from mudar.errors import ParameterError
from mudar.features.geometry import MIRROR_PAIRS, mirror_joints, turn_joints

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
    frames: torch.Tensor, motion: torch.Tensor, look: dict, *, bins: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """A clip as it would look under ``look``.

    Parameters
    ----------
    frames : torch.Tensor, float32, shape (T, 3, S, S)
        RGB in [0, 1].
    motion : torch.Tensor, float32, shape (T, B + 1 + E)
        HOOF (B bins, bin ``b`` centred on ``2 pi b / B`` anticlockwise from rightward), the
        log mean flow speed and E motion-energy samples
        (:func:`mudar.data.clips.inputs.motion_input`).
    look : dict
        From :func:`draw_look`.
    bins : int, optional
        B (default: all but the last column, a motion input without energy). The energy is
        relative to its clip's mean, so a look leaves it as it is.

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

    bins = motion.shape[1] - 1 if bins is None else bins
    angles = 2 * np.pi * np.arange(bins) / bins
    directions = np.stack([np.cos(angles), -np.sin(angles)])  # y down
    moved = m @ directions
    new_bins = np.round(np.arctan2(-moved[1], moved[0]) / (2 * np.pi) * bins).astype(int) % bins
    hoof = torch.zeros_like(motion[:, :bins])
    hoof.index_add_(1, torch.from_numpy(new_bins), motion[:, :bins])
    speed = torch.log1p(torch.expm1(motion[:, bins : bins + 1]) * look["zoom"])
    return out, torch.cat([hoof, speed, motion[:, bins + 1 :]], dim=1)


# --- MotionBeat: joints and music rows -------------------------------------------------------


@dataclass(frozen=True)
class Augment:
    """How a training clip is augmented (all cheap, numpy, per item).

    Attributes
    ----------
    crop_frames : int
        The window starts up to this many frames earlier or later than its slot (uniform),
        kept inside the dance.
    mirror_p : float
        Probability that the dancer is mirrored (left and right joints swapped, one horizontal
        axis negated).
    scale : float
        The joints are multiplied by a factor uniform in ``[1 - scale, 1 + scale]``.
    rotate_deg : float
        The dancer turns about the vertical through the root by an angle uniform in
        ``[-rotate_deg, rotate_deg]`` degrees (180: any heading; the data's headings are the
        capture room's, not the dance's).
    mel_tilt : float
        Spectral tilt of the log-mel, standardised units: band ``b`` of ``n`` gets
        ``g * (2 b / (n - 1) - 1)`` with ``g`` uniform in ``[-mel_tilt, mel_tilt]`` (about
        ``mel_tilt`` times 15-20 dB at the extreme bands of real music). A plain gain would do
        nothing: each clip's log-mel is standardised.
    mel_band_sigma : float
        Plus an independent offset per band, normal with this standard deviation.
    """

    crop_frames: int = 8
    mirror_p: float = 0.5
    scale: float = 0.1
    rotate_deg: float = 180.0
    mel_tilt: float = 0.5
    mel_band_sigma: float = 0.1

    def __post_init__(self) -> None:
        if (
            self.crop_frames < 0
            or not 0 <= self.mirror_p <= 1
            or not 0 <= self.scale < 1
            or self.rotate_deg < 0
            or self.mel_tilt < 0
            or self.mel_band_sigma < 0
        ):
            raise ParameterError(f"augmentation settings out of range: {self}")

    @classmethod
    def from_train(cls, train, *, fps: float) -> Augment:
        """The augmentation of a :class:`~mudar.models.motionbeat_config.MotionBeatTrainConfig`."""
        return cls(
            crop_frames=round(train.crop_jitter_s * fps),
            mirror_p=train.mirror_p,
            scale=train.scale_jitter,
            rotate_deg=train.rotate_deg,
            mel_tilt=train.mel_tilt,
            mel_band_sigma=train.mel_band_sigma,
        )


def augment_joints(
    joints: np.ndarray,
    *,
    rng: np.random.Generator,
    augment: Augment,
    skeleton: str,
    up_axis: int = 1,
) -> np.ndarray:
    """A random mirror (where the skeleton's pairs are known), turn and scale of a clip's joints.

    Parameters
    ----------
    joints : np.ndarray, shape (T, J, 3)
        Normalised (root at the origin horizontally).
    rng : np.random.Generator
    augment : Augment
    skeleton : str
    up_axis : int

    Returns
    -------
    np.ndarray, float32, shape (T, J, 3)
    """
    # draw every number whatever applies, so that a setting does not shift the others' draws
    mirror = rng.random() < augment.mirror_p
    angle = np.deg2rad(rng.uniform(-augment.rotate_deg, augment.rotate_deg))
    scale = rng.uniform(1 - augment.scale, 1 + augment.scale)
    out = np.asarray(joints, dtype=np.float32)
    if mirror and skeleton in MIRROR_PAIRS:
        out = mirror_joints(out, skeleton=skeleton, up_axis=up_axis)
    return (turn_joints(out, angle, up_axis=up_axis) * scale).astype(np.float32)


def mel_gain(rows: np.ndarray, *, rng: np.random.Generator, augment: Augment, layout) -> np.ndarray:
    """The stacked audio rows with a random spectral tilt and per-band offsets on the log-mel.

    Parameters
    ----------
    rows : np.ndarray, shape (R, m)
        :func:`~mudar.data.clips.inputs.audio_input` rows (log-mel standardised).
    rng : np.random.Generator
    augment : Augment
        ``mel_tilt`` and ``mel_band_sigma``.
    layout : RowLayout

    Returns
    -------
    np.ndarray, float32, shape (R, m)
        A new array; only the log-mel rows differ.
    """
    n = layout.n_mels
    tilt = rng.uniform(-augment.mel_tilt, augment.mel_tilt)
    offsets = rng.normal(0.0, augment.mel_band_sigma, size=n) if augment.mel_band_sigma else 0.0
    ramp = np.linspace(-1.0, 1.0, n) if n > 1 else np.zeros(1)
    out = np.array(rows, dtype=np.float32)
    out[:n] += (tilt * ramp + offsets).astype(np.float32)[:, None]
    return out
