"""``mudar rhythm FILE...``: music and dance rhythm of each file, as JSON lines or text."""

from __future__ import annotations

import argparse
from pathlib import Path

from mudar.cli.batch import BATCH_NOTE, add_files, print_result, run_each
from mudar.cli.options import add_analysis_options, add_checkpoint, analysis_options
from mudar.errors import ParameterError
from mudar.methods import MARKER_FORMATS


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
        "--markers",
        metavar="OUT",
        help="also write the beats, counted 1-8, and the dance accents as markers a video "
        f"editor imports: {', '.join('.' + f for f in MARKER_FORMATS)} by OUT's extension "
        "(time_s,kind,count,label rows; the same as JSON; SubRip captions); several files: "
        "OUT-<name>.<ext>",
    )
    p.add_argument(
        "--count-from",
        type=int,
        default=1,
        metavar="N",
        help="the beat counted 1 in --markers (default 1: the first beat; the music's bars "
        "are not detected)",
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
    if args.count_from < 1:
        raise ParameterError(f"--count-from must be a beat number >= 1, got {args.count_from}")
    if args.markers and Path(args.markers).suffix.lower().lstrip(".") not in MARKER_FORMATS:
        raise ParameterError(
            f"--markers {args.markers}: the file must end in "
            f"{', '.join('.' + f for f in MARKER_FORMATS)}"
        )
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
            markers=_plot_path(args.markers, path, n) if args.markers else None,
            first_beat=args.count_from - 1,
        ),
        lambda report: print_result(report, _text, as_json=args.json),
    )


def _plot_path(out: str, file: str, n_files: int) -> Path:
    """``out`` for one file; ``out``'s stem and ``-<name>`` for each of several (a plot without
    an extension gets ``.png``)."""
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
            f"  dance ({d['method']}: {_accents(d['method'])}): {len(d['rhythm_times'])} "
            f"rhythm points [{first}{more}]"
        )
        if "body_found" in d:
            lines.append(f"  body found in {100 * d['body_found']:.0f} % of the frames")
    return "\n".join(lines)


def _accents(method: str) -> str:
    """What a method's rhythm points are, in a dancer's words."""
    from mudar.pipelines.rhythm import rhythm_method

    return rhythm_method(method).accents
