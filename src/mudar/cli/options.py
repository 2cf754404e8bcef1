"""Command-line options shared by the commands that analyse media."""

from __future__ import annotations

import argparse

from mudar.clock import DEFAULT_FPS, DEFAULT_SR, FrameClock


def add_analysis_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("analysis")
    g.add_argument(
        "--fps", type=float, default=DEFAULT_FPS, help=f"model frame rate (default {DEFAULT_FPS:g})"
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
    g.add_argument("--hoof-bins", type=int, default=32, help="HOOF orientation bins (default 32)")
    g.add_argument(
        "--camera",
        choices=("median", "none"),
        default="median",
        help="camera-motion compensation before HOOF (default: subtract the median flow)",
    )


def analysis_config(args: argparse.Namespace, **extra):
    from mudar.features.extract import AnalysisConfig

    clock = FrameClock(fps=args.fps, sr=args.sr)
    return AnalysisConfig(
        clock=clock,
        size=args.size,
        aspect=args.aspect,
        flow=args.flow,
        hoof_bins=args.hoof_bins,
        camera=args.camera,
        flow_weights=args.pwcnet_weights,
        **extra,
    )
