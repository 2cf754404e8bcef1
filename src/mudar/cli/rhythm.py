"""``mudar rhythm FILE...``: music and dance rhythm of each file, as JSON lines or text."""

from __future__ import annotations

import argparse
from pathlib import Path

from mudar.cli.batch import BATCH_NOTE, add_files, print_result, run_each
from mudar.cli.options import add_analysis_options, add_checkpoint, analysis_options


def add_parser(sub) -> None:
    p = sub.add_parser(
        "rhythm",
        help="music beats/onsets and dance rhythm of videos or songs",
        description=(
            "Print the music rhythm (tempo, beats, onsets) and the dance rhythm of each FILE, "
            "over the whole file. A video without sound gives music null; an audio file gives "
            f"dance null. {BATCH_NOTE}"
        ),
    )
    add_files(p, metavar="FILE", help="video or audio files")
    p.add_argument(
        "--plot",
        metavar="OUT.png",
        help="draw onset envelope, beats and dance rhythm (several files: OUT-<name>.png)",
    )
    p.add_argument(
        "--method",
        help="dance rhythm: motion-energy (the default: the dancer's stops, timed between the "
        "video's own frames; it times dances best of the fast methods), pose (the motion beats "
        "of the dancer's body: pip install 'mudar[pose]'), mudar (the learned model, with the "
        "music), mudar-noaudio (the model without the music), hoof-flux, directogram "
        "(Davis & Agrawala's impacts)",
    )
    add_checkpoint(p)
    add_analysis_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from mudar.pipelines.method import analysis_setup
    from mudar.pipelines.rhythm import default_dance_method, file_rhythm, rhythm_method

    method = rhythm_method(args.method or default_dance_method(), what="--method").name
    config, model = analysis_setup(method, checkpoint=args.checkpoint, **analysis_options(args))
    n = len(args.files)
    return run_each(
        args.files,
        lambda path: file_rhythm(
            path,
            config=config,
            method=method,
            model=model,
            plot=_plot_path(args.plot, path, n) if args.plot else None,
        ),
        lambda report: print_result(report, _text, as_json=args.json),
    )


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
        alt = m.get("tempo_alternatives") or []
        also = f" (or {' or '.join(f'{a:.1f}' for a in alt)})" if alt else ""
        lines.append(
            f"  music: {m['tempo_bpm']:.1f} BPM{also}, {len(m['beat_times'])} beats, "
            f"{len(m['onset_times'])} onsets"
        )
    if d is None:
        lines.append("  dance: none (no video track)")
    elif d.get("dancer_found") is False:
        lines.append(f"  dance ({d['method']}): no dancer found")
    else:
        first = ", ".join(f"{t:.2f}" for t in d["rhythm_times"][:8])
        more = " ..." if len(d["rhythm_times"]) > 8 else ""
        lines.append(
            f"  dance ({d['method']}): {len(d['rhythm_times'])} rhythm points [{first}{more}]"
        )
        if "body_found" in d:
            lines.append(f"  body found in {100 * d['body_found']:.0f} % of the frames")
    return "\n".join(lines)
