"""The audio encoder: 2D convolutions over the stacked audio input, one feature per video frame.

The audio input of a clip is an "image" of R rows (log-mel, onset envelope, beats, tempogram;
see :attr:`MudarConfig.audio_rows`) by ``T * sub`` fine frames. Each convolution stage halves
the rows, and the stages together divide the time axis by ``sub``, so that one column is left
per video frame; the rows that remain are flattened with the channels and projected to d.
"""

from __future__ import annotations

import torch
from torch import nn

from mudar.errors import ParameterError
from mudar.models.config import MudarConfig


def time_factors(sub: int, n_stages: int) -> list[int]:
    """How much each stage divides the time axis; the product is ``sub``.

    The first stage takes 4 when 4 divides ``sub`` (its maps are the widest, so shrinking them
    early halves the encoder's cost), the next ones 2 while 2 divides what is left, the last one
    the rest; ``T * sub`` fine frames become ``T`` video frames.

    Examples
    --------
    >>> time_factors(8, 3), time_factors(8, 1), time_factors(8, 5), time_factors(6, 3)
    ([4, 2, 1], [8], [4, 2, 1, 1, 1], [2, 3, 1])
    """
    factors, rest = [], sub
    for i in range(n_stages - 1):
        if i == 0 and rest % 4 == 0:
            f = 4
        elif rest % 2 == 0:
            f = 2
        else:
            f = rest
        factors.append(f)
        rest //= f
    factors.append(rest)
    return factors


class AudioEncoder(nn.Module):
    """Conv2d stages (``config.audio_channels``) over the (1, R, T*sub) audio image -> (B, T, d).

    Each stage is a strided convolution, batch norm and ReLU: stride 2 over the rows and
    :func:`time_factors` over time, with a time kernel of ``2 f - 1`` frames (3 for f <= 2) so
    that no fine frame is skipped. (Strided convolutions rather than convolution + pooling: the
    full-resolution first stage would cost four times as much for the same receptive field.)
    The ``ceil(R / 2**n)`` rows left are flattened with the channels and a linear map with ReLU
    gives d features per video frame.

    Parameters
    ----------
    config : MudarConfig
    """

    def __init__(self, config: MudarConfig):
        super().__init__()
        if not config.audio_channels:
            raise ParameterError("audio_channels must name at least one stage")
        self.rows, self.sub = config.audio_rows, config.sub
        stages, c_in, rows = [], 1, config.audio_rows
        for c_out, f in zip(
            config.audio_channels,
            time_factors(config.sub, len(config.audio_channels)),
            strict=True,
        ):
            k_t = max(2 * f - 1, 3)
            s_r = 2 if rows > 1 else 1
            stages += [
                nn.Conv2d(
                    c_in, c_out, (3, k_t), stride=(s_r, f), padding=(1, (k_t - 1) // 2), bias=False
                ),
                nn.BatchNorm2d(c_out),
                nn.ReLU(inplace=True),
            ]
            rows = (rows - 1) // s_r + 1
            c_in = c_out
        self.stages = nn.Sequential(*stages)
        self.out_rows = rows
        self.proj = nn.Sequential(nn.Linear(c_in * rows, config.dim), nn.ReLU(inplace=True))

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        """Per-frame audio features.

        Parameters
        ----------
        audio : torch.Tensor, float32, shape (B, R, T * sub)
            The stacked audio input rows on the fine time axis.

        Returns
        -------
        torch.Tensor, float32, shape (B, T, d)

        Raises
        ------
        ParameterError
            If ``audio`` does not have R rows or its length is not a multiple of ``sub``.
        """
        if audio.ndim != 3 or audio.shape[1] != self.rows or audio.shape[2] % self.sub:
            raise ParameterError(
                f"audio must have shape (B, {self.rows}, T*{self.sub}), got {tuple(audio.shape)}"
            )
        x = self.stages(audio[:, None])  # (B, C, rows, T)
        b, c, r, t = x.shape
        return self.proj(x.permute(0, 3, 1, 2).reshape(b, t, c * r))
