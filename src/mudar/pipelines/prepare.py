"""``mudar prepare``'s work: a dataset decoded and featurised once (resumably), and packed into
WebDataset shards for streamed training."""

from __future__ import annotations

import os
from pathlib import Path

from mudar.clock import FrameClock
from mudar.data.store.prepare import PrepareReport, parse_shard, prepare
from mudar.data.store.shards import ShardIndex, write_shards
from mudar.features.analysis import AnalysisConfig
from mudar.methods import DEFAULT_FPS, DEFAULT_SR, ENERGY_STEPS

__all__ = ["analysis_config", "prepare_dataset", "write_feature_shards"]


def analysis_config(
    *, fps: float | None = None, sr: int = DEFAULT_SR, motion_energy: bool = False, **fields
) -> AnalysisConfig:
    """The analysis of a dataset: no model chooses the clock, so ``fps`` defaults to
    :data:`~mudar.methods.DEFAULT_FPS`.

    Parameters
    ----------
    fps : float, optional
        Analysis frame rate, frames per second.
    sr : int
        Audio analysis rate, Hz.
    motion_energy : bool
        Also measure the motion energy between the video's own frames
        (:data:`~mudar.methods.ENERGY_STEPS` samples per frame).
    **fields
        Other :class:`~mudar.features.analysis.AnalysisConfig` fields.
    """
    clock = FrameClock(fps=DEFAULT_FPS if fps is None else fps, sr=sr)
    energy = {"energy_steps": ENERGY_STEPS} if motion_energy else {}
    return AnalysisConfig(clock=clock, **fields, **energy)


def prepare_dataset(
    data_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    shard: str = "0/1",
    analysis: dict | None = None,
    **options,
) -> PrepareReport:
    """Extract the features of every video under ``data_dir`` into ``out_dir``.

    Parameters
    ----------
    data_dir, out_dir : path-like
        As for :func:`mudar.data.store.prepare.prepare`.
    shard : str
        ``"I/N"``: only every N-th video, starting at the I-th.
    analysis : dict, optional
        Keyword arguments of :func:`analysis_config`.
    **options
        Other keyword arguments of :func:`mudar.data.store.prepare.prepare` (``jobs``,
        ``engine``, ``camera``, ``look``, ...).

    Returns
    -------
    PrepareReport
    """
    where = parse_shard(shard)  # a bad --shard before a bad analysis, as the command line reads
    config = analysis_config(**(analysis or {}))
    return prepare(data_dir, out_dir, config=config, shard=where, **options)


def write_feature_shards(
    out_dir: str | os.PathLike, *, shard_mb: float, progress: bool = True
) -> tuple[Path, ShardIndex]:
    """Pack a prepared feature folder into about ``shard_mb`` MB tar shards.

    Returns
    -------
    (Path, ShardIndex)
        The shard folder and its index.
    """
    folder = write_shards(out_dir, max_bytes=int(shard_mb * 2**20), progress=progress)
    return folder, ShardIndex.load(folder)
