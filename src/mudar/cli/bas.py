"""``mudar bas MOTION_OR_VIDEO``: Beat Alignment Score of a dance against its music."""

from __future__ import annotations

import argparse

from mudar.cli.batch import print_result
from mudar.cli.options import add_checkpoint, add_json, add_sigma
from mudar.tasks.bas import FORMS


def add_parser(sub) -> None:
    p = sub.add_parser(
        "bas",
        help="Beat Alignment Score of a motion file or dance video against its music",
        description=(
            "Score how well the motion beats of MOTION_OR_VIDEO sit on the music's beats. For "
            "keypoints (a dwm dance folder or motion.npz, an AIST++ keypoints3d .pkl) the motion "
            "beats are the kinematic beats (minima of the mean joint speed); for a video they "
            "are its dance rhythm points (the learned model run without the music, or "
            "--method). The music is --music, else the motion's own (dwm audio.ogg) or the "
            "video's sound track; its beats come from mudar's beat tracker. Both published "
            "forms are printed: bas_motion (AI Choreographer/AIST++: mean over the motion "
            "beats) and bas_music (Bailando: mean over the music beats)."
        ),
    )
    p.add_argument(
        "file",
        metavar="MOTION_OR_VIDEO",
        help="dwm dance folder, motion .npz, AIST++ .pkl, or a dance video",
    )
    p.add_argument("--music", metavar="FILE", help="the music (audio or video file)")
    p.add_argument(
        "--music-dir",
        metavar="DIR",
        help="AIST++: the folder of its music (mBR0.wav ...), used when --music is not given",
    )
    add_sigma(p, help="kernel width of the score (default 0.1 s; AIST++/Bailando used 0.05 s)")
    p.add_argument(
        "--form",
        choices=FORMS,
        default="both",
        help="which score: motion (FACT/AIST++), music (Bailando) or both (default)",
    )
    p.add_argument(
        "--method",
        help="dance rhythm method of a video, as for `mudar rhythm` (default: the shipped "
        "model when installed, else hoof-flux); mudar is run as mudar-noaudio, so that the "
        "rhythm cannot copy the music it is scored against",
    )
    add_checkpoint(p)
    add_json(p, "print one JSON object")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from mudar.pipelines.bas import bas_file

    report = bas_file(
        args.file,
        music=args.music,
        sigma_s=args.sigma,
        form=args.form,
        method=args.method,
        checkpoint=args.checkpoint,
        music_dir=args.music_dir,
    )
    print_result(report, _text, as_json=args.json)
    return 0


def _text(r: dict) -> str:
    def f(x):
        return "n/a" if x is None else f"{x:.3f}"

    return "\n".join(
        [
            f"{r['file']}  ({r['duration_s']:.2f} s scored, motion beats: {r['motion_method']} "
            f"at {r['fps']:g} fps)",
            f"  music: {r['music']}  ({r['music_tempo_bpm']:.1f} BPM)",
            f"  beats: {r['n_motion_beats']} motion, {r['n_music_beats']} music",
            f"  BAS (sigma {r['sigma_s']:g} s): {f(r['bas_motion'])} over motion beats "
            f"(AIST++), {f(r['bas_music'])} over music beats (Bailando)",
        ]
    )
