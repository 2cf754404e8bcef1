"""The ``mudar`` program: one subcommand per module of :mod:`mudar.cli`.

Each subcommand module owns its options (``add_parser``) and its work (``run``). Deliberate errors
(:class:`~mudar.errors.MudarError`) become one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from mudar import __version__
from mudar.errors import BatchError, MudarError, with_path

COMMANDS = (
    "rhythm",
    "prepare",
    "train",
    "eval",
    "embed",
    "classify",
    "index",
    "retrieve",
    "retarget",
    "sync",
    "bas",
    "pose",
    "demo",
    "bench",
    "make_locked",
    "serve",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mudar",
        description="Music-dance rhythm analysis and representation learning (MuDaR).",
    )
    parser.add_argument("--version", action="version", version=f"mudar {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"mudar.cli.{name}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except MudarError as e:
        for path, reason in e.skipped if isinstance(e, BatchError) else ():
            print(f"mudar: skipped {with_path(path, reason)}", file=sys.stderr)
        print(f"mudar: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # e.g. an output folder that cannot be written
        print(f"mudar: error: {e.filename or ''}: {e.strerror or e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("mudar: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `mudar rhythm ... | head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
