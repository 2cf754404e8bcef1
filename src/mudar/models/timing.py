"""The learned timing model: which of the motion's stops are the dancer's accents.

MuDaR's rhythm head gives one probability per 8 fps frame, so its points can be no better timed
than 125 ms, and its motion input (optical flow, HOOF at 8 fps) loses the moments a dancer stops.
This model reads the motion at its own rate and scores the learning-free candidates, which
already sit at the right instant (:mod:`mudar.features.candidates`):

1. a temporal convolution stack over the sequence (:data:`~mudar.features.candidates.CHANNELS`,
   32 samples a second): dilated residual blocks, receptive field of about four seconds, so that
   a stop is weighed against the stops around it (a dancer's accents recur at the beat);
2. one self-attention layer over the whole clip (the paper's temporal transformer, Eq. 8-9 in
   form): how a stop sits in the dance's own period;
3. the hidden state read at each candidate's place (linear interpolation between samples),
   with the candidate's own numbers (depth, gaps), through a small MLP to one logit: the
   probability that the candidate is on the music's rhythm (a beat, or an onset).

Rhythm points: the candidates whose probability reaches the model's threshold, chosen on the
training dances (:attr:`TimingConfig.threshold`). The config builds the model and the checkpoint
stores it (:mod:`mudar.models.checkpoint`).

The shipped model is three such models trained with different seeds, their probabilities
averaged (:class:`TimingEnsemble`): one model's timing varied from seed to seed on held-out
dances, and so did its threshold; the mean of three is steadier and times better (measured in
docs/results.md, "The learned timing model").
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from mudar.errors import ParameterError
from mudar.features.candidates import CHANNELS, N_MOTION, N_SCALARS, TimingInputs, mirrored
from mudar.threads import torch_threads

__all__ = [
    "TIMING_PRESETS",
    "TimingConfig",
    "TimingEnsemble",
    "TimingModel",
    "dense_probs",
    "head_probs",
    "points",
    "predict_probs",
    "predict_times",
]


@dataclass(frozen=True)
class TimingConfig:
    """The timing model's shape and its decision threshold.

    Attributes
    ----------
    hidden : int
        Channels of the convolution stack and the attention.
    dilations : tuple of int
        One residual block (kernel 3) per dilation.
    heads : int
        Attention heads (0: no attention layer).
    use_pose : bool
        Read the pose channels (else they are zeroed: the model times from the energy alone).
    threshold : float
        Probability at which a candidate is a rhythm point.
    labels : str
        What it was trained to find: ``"beats"`` or ``"onsets"`` of the music.
    head : str
        ``"candidates"``: a probability for each motion-energy stop (its points keep the stops'
        times); ``"dense"``: a probability for each sample of the sequence, whose peaks
        (refined below the sample) are its points.
    dropout : float
        Dropout of the hidden states while training.
    members : int
        Models of this shape trained with different seeds whose probabilities are averaged
        (:class:`TimingEnsemble`); 1: one model.
    mirror_average : bool
        At inference, with the pose: the mean of the probabilities on the track as it names
        each side and on the track with left and right named the other way round
        (:func:`~mudar.features.candidates.mirrored`). A pose estimator names a turning
        dancer's sides from her picture, not her body: on the renders, MediaPipe's left is
        her own in about half of the frames (docs/results.md, "A running median, and left and
        right read both ways"). Training is not changed.
    """

    hidden: int = 48
    dilations: tuple[int, ...] = (1, 2, 4, 8, 16, 32)
    heads: int = 4
    use_pose: bool = False
    threshold: float = 0.5
    labels: str = "beats"
    head: str = "candidates"
    dropout: float = 0.1
    members: int = 1
    mirror_average: bool = True

    def __post_init__(self) -> None:
        if self.members < 1:
            raise ParameterError(f"members must be >= 1, got {self.members}")
        if self.hidden < 4 or (self.heads and self.hidden % self.heads):
            raise ParameterError(f"hidden {self.hidden} must be >= 4 and divide by heads")
        if not self.dilations or min(self.dilations) < 1:
            raise ParameterError("dilations must be positive")
        if not 0.0 < self.threshold < 1.0:
            raise ParameterError(f"threshold must be in (0, 1), got {self.threshold}")
        if self.head not in ("candidates", "dense"):
            raise ParameterError(f"head must be candidates or dense, got {self.head!r}")
        if self.labels not in ("beats", "onsets"):
            raise ParameterError(f"labels must be beats or onsets, got {self.labels!r}")


TIMING_PRESETS: dict[str, TimingConfig] = {
    # tests: seconds on synthetic sequences
    "debug": TimingConfig(hidden=16, dilations=(1, 2, 4, 8), heads=2),
    # the shipped model: a probability per 1/32 s sample from the motion energy and the pose
    # track's joint speeds, the mean of three models trained with different seeds
    # (benchmarks/bench_timing.py --head dense --pose --ensemble 3 --save)
    "cpu": TimingConfig(use_pose=True, head="dense", members=3),
    # without the pose extra: the motion energy alone (measured below the rule, docs/results.md)
    "cpu-energy": TimingConfig(use_pose=False, head="dense"),
}
"""Named timing model configs (trained with
:class:`mudar.training.timing.TimingTrainConfig`, 1500 steps each member)."""


class _Block(nn.Module):
    def __init__(self, ch: int, dilation: int):
        super().__init__()
        self.conv = nn.Conv1d(ch, ch, 3, padding=dilation, dilation=dilation)
        self.mix = nn.Conv1d(ch, ch, 1)
        self.norm = nn.GroupNorm(1, ch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.mix(torch.relu(self.norm(self.conv(x))))


class TimingModel(nn.Module):
    """Scores candidates of a motion sequence.

    Parameters
    ----------
    config : TimingConfig
    """

    _serials = itertools.count()

    def __init__(self, config: TimingConfig):
        super().__init__()
        self.config = config
        self.serial = next(self._serials)  # tells models apart in a memo (an id is reused)
        h = config.hidden
        self.inp = nn.Conv1d(len(CHANNELS), h, 1)
        self.blocks = nn.ModuleList(_Block(h, d) for d in config.dilations)
        self.attn = (
            nn.MultiheadAttention(h, config.heads, batch_first=True) if config.heads else None
        )
        self.attn_norm = nn.LayerNorm(h)
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Sequential(nn.Linear(h + N_SCALARS, h), nn.ReLU(), nn.Linear(h, 1))
        self.dense = nn.Linear(h, 1)

    def encode(self, seq: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """(B, N, C) sequence -> (B, N, hidden) states; ``mask`` (B, N) True where padded."""
        if seq.ndim != 3 or seq.shape[2] != len(CHANNELS):
            raise ParameterError(
                f"sequence must be (B, N, {len(CHANNELS)}), got {tuple(seq.shape)}"
            )
        if not self.config.use_pose:
            seq = torch.cat([seq[..., :N_MOTION], torch.zeros_like(seq[..., N_MOTION:])], dim=-1)
        x = self.inp(seq.transpose(1, 2))
        for b in self.blocks:
            x = b(x)
        x = x.transpose(1, 2)
        if self.attn is not None:
            a, _ = self.attn(x, x, x, key_padding_mask=mask, need_weights=False)
            x = self.attn_norm(x + a)
        return self.drop(x)

    def dense_logits(self, seq: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """(B, N) logit of each sample (the ``dense`` head)."""
        return self.dense(self.encode(seq, mask)).squeeze(-1)

    def forward(
        self,
        seq: torch.Tensor,
        positions: torch.Tensor,
        scalars: torch.Tensor,
        mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Logits of the candidates.

        Parameters
        ----------
        seq : torch.Tensor, shape (B, N, len(CHANNELS))
        positions : torch.Tensor, shape (B, K)
            Fractional sample of each candidate (padding: any place, ignored by the loss).
        scalars : torch.Tensor, shape (B, K, N_SCALARS)
        mask : torch.Tensor, bool, shape (B, N), optional
            True at padded samples.

        Returns
        -------
        torch.Tensor, shape (B, K)
        """
        x = self.encode(seq, mask)
        n = x.shape[1]
        p = positions.clamp(0, n - 1)
        i0 = p.floor().long().clamp(0, n - 1)
        i1 = (i0 + 1).clamp(max=n - 1)
        u = (p - i0.float()).unsqueeze(-1)
        g0 = torch.gather(x, 1, i0.unsqueeze(-1).expand(-1, -1, x.shape[2]))
        g1 = torch.gather(x, 1, i1.unsqueeze(-1).expand(-1, -1, x.shape[2]))
        at = (1 - u) * g0 + u * g1
        return self.head(torch.cat([at, scalars], dim=-1)).squeeze(-1)


class TimingEnsemble(nn.Module):
    """Timing models of one shape (trained with different seeds) as one: the mean of their
    probabilities, returned as a logit so that every function of a :class:`TimingModel` takes
    it. Its config is the members' with ``members`` set and its own threshold."""

    def __init__(self, members: list[TimingModel], config: TimingConfig | None = None):
        super().__init__()
        if not members:
            raise ParameterError("an ensemble needs at least one model")
        self.members = nn.ModuleList(members)
        base = config or members[0].config
        self.config = dataclasses.replace(base, members=len(members))
        self.serial = next(TimingModel._serials)

    @staticmethod
    def _mean_logit(logits: list[torch.Tensor]) -> torch.Tensor:
        p = torch.stack([torch.sigmoid(x) for x in logits]).mean(0)
        return torch.logit(p, eps=1e-6)

    def dense_logits(self, seq: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """(B, N) logit of the members' mean probability of each sample."""
        return self._mean_logit([m.dense_logits(seq, mask) for m in self.members])

    def forward(self, seq, positions, scalars, mask=None) -> torch.Tensor:
        """(B, K) logit of the members' mean probability of each candidate."""
        return self._mean_logit([m(seq, positions, scalars, mask) for m in self.members])


def _views(model: TimingModel, x: TimingInputs) -> np.ndarray:
    """(V, N, C) the sequences the model reads of one video: the track as it names the sides
    and, where :attr:`TimingConfig.mirror_average` asks it, the other way round."""
    c = model.config
    if c.use_pose and c.mirror_average and x.sequence[:, _POSE_KNOWN].any():
        return np.stack([x.sequence, mirrored(x.sequence)])
    return x.sequence[None]  # (without a body both views are the same)


_POSE_KNOWN = CHANNELS.index("pose_known")


@torch.no_grad()
def dense_probs(model: TimingModel, x: TimingInputs) -> np.ndarray:
    """(N,) probability of each sample of one whole video (the ``dense`` head; the mean over
    its views, :func:`_views`)."""
    model.eval()
    with torch_threads(1):
        logits = model.dense_logits(torch.from_numpy(_views(model, x)))
    return torch.sigmoid(logits).mean(0).numpy().astype(np.float64)


def head_probs(model: TimingModel, x: TimingInputs) -> np.ndarray:
    """What the model's head gives on one whole video: a probability per sample (``dense``,
    (N,)) or per candidate (``candidates``, (k,))."""
    return (dense_probs if model.config.head == "dense" else predict_probs)(model, x)


def points(
    probs: np.ndarray, x: TimingInputs, *, head: str, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """(times, probability) of the rhythm points of :func:`head_probs`'s ``probs``: the
    candidates at or above ``threshold`` with theirs, or the dense peaks at or above it, at
    least 0.15 s apart, refined below the sample (a parabola through each peak and its
    neighbours), with their heights. Times in seconds."""
    if head != "dense":
        keep = probs >= threshold
        return x.times[keep], probs[keep]
    from scipy.signal import find_peaks

    from mudar.features.dance import refine_times

    k, _ = find_peaks(probs, height=threshold, distance=max(1, int(0.15 * x.rate)))
    return refine_times(probs, k, fps=x.rate) + x.offset_s, probs[k]


def beat_points(probs: np.ndarray, x: TimingInputs) -> tuple[np.ndarray, np.ndarray]:
    """(times, probability) of the dance's steady beat through the dense head's ``probs``: the
    tempo their periodicity gives (:func:`mudar.features.tempo.estimate_tempo`), then the beats
    that keep to it while landing on the most probable samples (Ellis's dynamic programming,
    :func:`mudar.features.dsp.beat_track`, untrimmed). Times in seconds; none where the model
    sees no beat at all.

    Where :func:`points` gives every moment the model takes for an accent (on the beat or off
    it, as many as the dancer makes), this gives one pulse a beat at one phase: a dancer's
    beats. Chosen on the training dances that set the model's threshold, never on test dances
    (``docs/results.md``, "The dance's beats")."""
    from mudar.features import dsp
    from mudar.features.tempo import estimate_tempo

    probs = np.asarray(probs, np.float64)
    scale = 1000  # the tempo's sample rate must be whole: a rate of 32.5 Hz is 32500 / 1000
    bpm = estimate_tempo(probs, sr=round(x.rate * scale), hop_length=scale) if probs.size else 0
    if bpm <= 0:
        return np.zeros(0), np.zeros(0)
    k = dsp.beat_track(probs, frame_rate=x.rate, bpm=bpm, trim=False).astype(int)
    return k / x.rate + x.offset_s, probs[k]


def predict_times(model: TimingModel, x: TimingInputs) -> tuple[np.ndarray, np.ndarray]:
    """(times, probability) of the model's rhythm points on one whole video (:func:`points`
    at its own threshold)."""
    c = model.config
    return points(head_probs(model, x), x, head=c.head, threshold=c.threshold)


@torch.no_grad()
def predict_probs(model: TimingModel, x: TimingInputs) -> np.ndarray:
    """(k,) probability of each candidate of one whole video."""
    if len(x.times) == 0:
        return np.zeros(0)
    model.eval()
    seq = _views(model, x)
    v, t = len(seq), torch.from_numpy
    with torch_threads(1):
        logits = model(
            t(seq),
            t(np.repeat(x.positions[None], v, 0).astype(np.float32)),
            t(np.repeat(x.scalars[None], v, 0)),
        )
    return torch.sigmoid(logits).mean(0).numpy().astype(np.float64)
