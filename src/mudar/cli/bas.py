"""``mudar bas MOTION_OR_VIDEO``: Beat Alignment Score of a dance against its music; of every
sequence of an AIST++ tree, and their mean, for ``mudar bas AIST_ROOT``."""

from __future__ import annotations

import argparse

from mudar.cli.batch import print_result, report_skipped
from mudar.cli.options import add_checkpoint, add_json, add_sigma
from mudar.methods import BAS_FORMS


def add_parser(sub) -> None:
    p = sub.add_parser(
        "bas",
        help="Beat Alignment Score of a motion file or dance video against its music",
        description=(
            "Score how well the motion beats of MOTION_OR_VIDEO sit on the music's beats. For "
            "keypoints (a dwm dance folder or motion.npz, an AIST++ keypoints3d .pkl) the motion "
            "beats are the kinematic beats (minima of the mean joint speed); for a 2-D pose track "
            "(`mudar pose` .npz/.pkl, an AIST++ keypoints2d .pkl) the minima of its joint speed, "
            "against --music, else the video it was made from or a file beside it with its name "
            "(AIST++: wav/<music id>.wav); for a video they "
            "are its dance rhythm points (the learned model run without the music, or "
            "--method). The music is --music, else the motion's own (dwm audio.ogg) or the "
            "video's sound track; its beats come from mudar's beat tracker. Both published "
            "forms are printed: bas_motion (AI Choreographer/AIST++: mean over the motion "
            "beats) and bas_music (Bailando: mean over the music beats). Given an AIST++ tree "
            "(keypoints3d/, wav/, splits/, ignore_list.txt), every sequence not ignored is "
            "scored against wav/<music id>.wav, then the mean over the sequences is printed; "
            "sequences that cannot be scored are reported on stderr and skipped. For one file "
            "the on-beat feedback follows: each motion beat's offset to the nearest music beat "
            "(early or late, ms), the share within +-70 ms and where the dancer rushed or "
            "dragged (--plot draws it)."
        ),
    )
    p.add_argument(
        "file",
        metavar="MOTION_OR_VIDEO",
        help="dwm dance folder, motion .npz, AIST++ .pkl (keypoints3d or keypoints2d), a pose "
        "track of `mudar pose` (.npz/.pkl), a dance video, or an AIST++ tree",
    )
    p.add_argument("--music", metavar="FILE", help="the music (audio or video file)")
    p.add_argument(
        "--music-dir",
        metavar="DIR",
        help="AIST++: the folder of its music (mBR0.wav ...), used when --music is not given",
    )
    p.add_argument(
        "--view",
        type=int,
        default=0,
        metavar="N",
        help="keypoints2d .pkl: the camera view (AIST++: 0-8 for c01-c09; mudar pose: 0)",
    )
    add_sigma(p, help="kernel width of the score (default 0.1 s; AIST++/Bailando used 0.05 s)")
    p.add_argument(
        "--form",
        choices=BAS_FORMS,
        default="both",
        help="which score: motion (FACT/AIST++), music (Bailando) or both (default)",
    )
    p.add_argument(
        "--method",
        help="dance rhythm method of a video, as for `mudar rhythm` (default: the dancer's "
        "body: pose, the motion beats of its pose track, with `pip install 'mudar[pose]'`, else "
        "motion-energy); mudar is run as mudar-noaudio, so that the rhythm cannot copy the "
        "music it is scored against",
    )
    p.add_argument(
        "--split",
        choices=("all", "train", "val", "test"),
        default="all",
        help="AIST++ tree: only the sequences of this official cross-modal split (default all)",
    )
    p.add_argument(
        "--plot",
        metavar="OUT.png",
        help="draw the on-beat feedback: each accent's offset to the nearest beat over time "
        "(early below 0, late above, the +-70 ms on-beat band, rushed and dragged stretches "
        "shaded) and their histogram (one file, not an AIST++ tree; needs matplotlib)",
    )
    add_checkpoint(p)
    add_json(p, "print one JSON object")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from mudar.pipelines.bas import bas_file, is_aist_tree

    if is_aist_tree(args.file):
        return run_tree(args)
    report = bas_file(
        args.file,
        music=args.music,
        sigma_s=args.sigma,
        form=args.form,
        method=args.method,
        checkpoint=args.checkpoint,
        music_dir=args.music_dir,
        plot=args.plot,
        view=args.view,
    )
    print_result(report, _text, as_json=args.json)
    return 0


def _text(r: dict) -> str:
    def f(x):
        return "n/a" if x is None else f"{x:.3f}"

    return "\n".join(
        [
            f"{r['file']}  ({r['duration_s']:.2f} s scored, motion beats: {r['motion_method']}"
            f"{_words(r['motion_method'])} at {r['fps']:g} fps)",
            f"  music: {r['music']}  ({r['music_tempo_bpm']:.1f} BPM"
            f"{_or(r.get('music_tempo_alternatives'))})",
            f"  beats: {r['n_motion_beats']} motion, {r['n_music_beats']} music",
            f"  BAS (sigma {r['sigma_s']:g} s): {f(r['bas_motion'])} over motion beats "
            f"(AIST++), {f(r['bas_music'])} over music beats (Bailando)",
            f"  on the beat: {r['feedback']['text']}",
        ]
    )


def _words(method: str) -> str:
    """`` (the moments your body stops)``: what a video's accents are, in a dancer's words;
    nothing for a motion file's (``kinematic``: the joints' own)."""
    from mudar.pipelines.rhythm import RHYTHM_METHODS

    entry = RHYTHM_METHODS.get(method)
    return f" ({entry.accents})" if entry is not None and entry.accents else ""


def _or(alternatives) -> str:
    """`` (or 80.0)`` after a tempo whose half or double the music supports as well."""
    return f" (or {' or '.join(f'{a:.1f}' for a in alternatives)})" if alternatives else ""


def run_tree(args: argparse.Namespace) -> int:
    from mudar.errors import ParameterError
    from mudar.pipelines.bas import bas_tree

    if args.music or args.music_dir:
        raise ParameterError(
            "--music and --music-dir are for one motion file; an AIST++ tree's music is "
            "wav/<music id>.wav"
        )
    if args.plot:
        raise ParameterError("--plot draws one dance's feedback, not an AIST++ tree's")
    report = bas_tree(
        args.file,
        sigma_s=args.sigma,
        form=args.form,
        split=None if args.split == "all" else args.split,
    )
    print_result(report, _tree_text, as_json=args.json)
    skipped = [(s["file"], s["reason"]) for s in report["skipped"]]  # listed at the end
    return report_skipped(skipped, report["n_sequences"] + len(skipped), what="scored")


def _tree_text(r: dict) -> str:
    def f(x):
        return "  n/a" if x is None else f"{x:.3f}"

    lines = [
        f"{r['root']}: {r['n_sequences']} sequence(s) scored ({r['split']}; "
        f"{len(r['ignored'])} ignored, {len(r['skipped'])} skipped), sigma {r['sigma_s']:g} s",
        f"  {'sequence':<28}{'genre':<18}{'BPM':>6}{'motion':>8}{'music':>8}",
    ]
    for s in r["sequences"]:
        lines.append(
            f"  {s['sequence']:<28}{s['genre']:<18}{s['music_tempo_bpm']:>6.1f}"
            f"{f(s['bas_motion']):>8}{f(s['bas_music']):>8}"
        )
    lines.append(
        f"  mean BAS: {f(r['bas_motion']).strip()} over motion beats (AIST++), "
        f"{f(r['bas_music']).strip()} over music beats (Bailando)"
    )
    return "\n".join(lines)
