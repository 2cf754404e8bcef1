"""Command-line options shared by several commands, and what they mean for the pipelines."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from mudar.methods import (
    CAMERA_MODES,
    DEFAULT_FPS,
    DEFAULT_SIGMA_S,
    DEFAULT_SR,
    HOOF_VOTES,
    STFT_WINDOWS,
)


def add_analysis_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("analysis")
    # no default here: a model runs on its own clock (its fps and sub), the rest on DEFAULT_FPS
    g.add_argument(
        "--fps",
        type=float,
        default=None,
        help=f"model frame rate (default: the model's, else {DEFAULT_FPS:g})",
    )
    g.add_argument(
        "--sr", type=int, default=DEFAULT_SR, help=f"audio sample rate, Hz (default {DEFAULT_SR})"
    )
    g.add_argument(
        "--size", type=int, default=256, help="frame side for optical flow (default 256)"
    )
    g.add_argument(
        "--aspect",
        choices=("pad", "crop", "squash"),
        default="pad",
        help="make frames square by padding (default), centre-cropping or squashing",
    )
    g.add_argument(
        "--flow", default="dis", help="optical-flow backend: dis (default), farneback, pwcnet"
    )
    g.add_argument(
        "--pwcnet-weights",
        default="",
        metavar="PATH",
        help="NVlabs PWC-Net PyTorch weights, for --flow pwcnet",
    )
    g.add_argument(
        "--stft-window",
        choices=STFT_WINDOWS,
        help="STFT window of the music features: hann (librosa's) or hamming (the paper's "
        "Eq. 1); default the model's, else hann",
    )
    g.add_argument(
        "--hoof-vote",
        choices=HOOF_VOTES,
        help="HOOF voting: nearest (one bin) or literal (Eq. 4 as written); default the "
        "model's, else nearest",
    )
    g.add_argument("--hoof-bins", type=int, default=32, help="HOOF orientation bins (default 32)")
    g.add_argument(
        "--camera",
        choices=CAMERA_MODES,
        default="median",
        help="camera-motion compensation before HOOF (default: subtract the median flow)",
    )


def analysis_options(args: argparse.Namespace) -> dict:
    """The options of :func:`add_analysis_options`, as keyword arguments of
    :func:`mudar.pipelines.method.analysis_setup`."""
    out = {
        "fps": args.fps,
        "sr": args.sr,
        "size": args.size,
        "aspect": args.aspect,
        "flow": args.flow,
        "hoof_bins": args.hoof_bins,
        "camera": args.camera,
        "flow_weights": args.pwcnet_weights,
    }
    for k in ("stft_window", "hoof_vote"):  # not given: the model's (analysis_setup)
        if getattr(args, k, None):
            out[k] = getattr(args, k)
    return out


def analysis_config(args: argparse.Namespace, **extra):
    """The :class:`~mudar.features.analysis.AnalysisConfig` of :func:`add_analysis_options`,
    without a model (:func:`mudar.pipelines.prepare.analysis_config`)."""
    from mudar.pipelines.prepare import analysis_config as config

    return config(**analysis_options(args), **extra)


def add_json(p: argparse.ArgumentParser, help: str) -> None:
    """``--json``: print the result as JSON instead of text."""
    p.add_argument("--json", action="store_true", help=help)


def add_checkpoint(
    p: argparse.ArgumentParser,
    help: str = "model for the mudar methods (default: the shipped one)",
) -> None:
    """``--checkpoint``: the MuDaR model file."""
    p.add_argument("--checkpoint", help=help)


def add_sigma(p: argparse.ArgumentParser, help: str) -> None:
    """``--sigma``: the kernel width of the Beat Alignment Score, seconds."""
    p.add_argument("--sigma", type=float, default=DEFAULT_SIGMA_S, metavar="SECONDS", help=help)


def add_cache_options(p: argparse.ArgumentParser) -> None:
    """``--cache`` (the feature cache), ``--jobs`` (analysis processes) and ``--quiet``."""
    add_cache(p)
    p.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def add_cache(p: argparse.ArgumentParser) -> None:
    """``--cache``: the feature cache folder."""
    p.add_argument(
        "--cache",
        default=None,
        metavar="DIR",
        help="feature cache (default: $MUDAR_CACHE or ~/.cache/mudar/features)",
    )


def feature_cache(args: argparse.Namespace) -> Path:
    """``--cache``, else :func:`mudar.pipelines.embed.default_cache`."""
    from mudar.pipelines.embed import default_cache

    return Path(args.cache) if args.cache else default_cache()
