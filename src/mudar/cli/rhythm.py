"""``mudar rhythm FILE...``: music and dance rhythm of each file, as JSON lines or text."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mudar.cli.options import add_analysis_options, analysis_config
from mudar.methods import DANCE_RHYTHM


def add_parser(sub) -> None:
    p = sub.add_parser(
        "rhythm",
        help="music beats/onsets and dance rhythm of videos or songs",
        description=(
            "Print the music rhythm (tempo, beats, onsets) and the dance rhythm of each FILE, "
            "over the whole file. A video without sound gives music null; an audio file gives "
            "dance null. Files that fail are reported on stderr and skipped; the exit status is "
            "2 only if none succeeded."
        ),
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="video or audio files")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument(
        "--plot",
        metavar="OUT.png",
        help="draw onset envelope, beats and dance rhythm (several files: OUT-<name>.png)",
    )
    p.add_argument(
        "--method",
        help="dance rhythm: mudar (the learned model, default when one is installed), "
        "mudar-noaudio (the model without the music), hoof-flux (learning-free), "
        "directogram (learning-free, Davis & Agrawala's impacts)",
    )
    p.add_argument("--checkpoint", help="model for the mudar methods (default: the shipped one)")
    add_analysis_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from mudar.errors import MudarError, ParameterError
    from mudar.features.extract import analyze
    from mudar.tasks.rhythm import default_dance_method, rhythm_report

    method = args.method or default_dance_method()
    if method not in DANCE_RHYTHM:
        raise ParameterError(f"unknown --method {method!r}; known: {', '.join(DANCE_RHYTHM)}")
    model, extra = None, {}
    if method.startswith("mudar"):
        import torch

        from mudar.models.checkpoint import load_model

        model = load_model(args.checkpoint)
        # The shipped model is small: one thread runs it over a minute of video (8 windows) in
        # 0.25 s, two threads in 1.3 s, spending more time in synchronisation than in work.
        torch.set_num_threads(1)
        if args.fps != model.config.fps:
            raise ParameterError(f"--fps must be the model's {model.config.fps:g} for {method}")
        extra = {"frame_size": model.config.frame_size}
    config = analysis_config(args, **extra)
    failed = 0
    for path in args.files:
        try:
            analysis = analyze(path, config)
            report = rhythm_report(analysis, method=method, model=model)
            if args.plot:
                from mudar.report.plots import plot_rhythm

                plot_rhythm(analysis, _plot_path(args.plot, path, len(args.files)))
        except MudarError as e:
            failed += 1
            print(f"mudar: error: {e}", file=sys.stderr)
            continue
        print(json.dumps(report) if args.json else _text(report), flush=True)
    if failed and len(args.files) > 1:
        print(f"mudar: {failed} of {len(args.files)} file(s) skipped", file=sys.stderr)
    return 2 if failed == len(args.files) else 0


def _plot_path(out: str, file: str, n_files: int) -> Path:
    out_p = Path(out)
    if n_files == 1:
        return out_p
    return out_p.with_name(f"{out_p.stem}-{Path(file).stem}{out_p.suffix or '.png'}")


def _text(r: dict) -> str:
    lines = [f"{r['file']}  ({r['duration_s']:.2f} s at {r['fps']:g} fps)"]
    m, d = r["music"], r["dance"]
    if m is None:
        lines.append("  music: none (no audio track)")
    else:
        lines.append(
            f"  music: {m['tempo_bpm']:.1f} BPM, {len(m['beat_times'])} beats, "
            f"{len(m['onset_times'])} onsets"
        )
    if d is None:
        lines.append("  dance: none (no video track)")
    else:
        first = ", ".join(f"{t:.2f}" for t in d["rhythm_times"][:8])
        more = " ..." if len(d["rhythm_times"]) > 8 else ""
        lines.append(
            f"  dance ({d['method']}): {len(d['rhythm_times'])} rhythm points [{first}{more}]"
        )
    return "\n".join(lines)
