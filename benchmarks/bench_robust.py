"""How mudar behaves on bad inputs, batches, long files, interrupted runs and the web server.

Run: `python benchmarks/bench_robust.py [--sections bad,batch] [--out DIR] [--quick]`

Each section is a module beside this file, ``robust_<section>.py``, with
``run(work: pathlib.Path, *, quick: bool) -> str``: a Markdown table under a title line, its
work done in ``DIR/<section>``. A section whose module is not there is one line saying so.
Printed as Markdown on stdout, section after section, as each finishes.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import tempfile
import time
from pathlib import Path

SECTIONS = ("bad", "batch", "long", "resume", "serve")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help=f"comma list of {', '.join(SECTIONS)} (default: all)",
    )
    p.add_argument("--out", metavar="DIR", help="work folder (default: a temporary one)")
    p.add_argument("--quick", action="store_true", help="smaller cases: minutes, not an hour")
    args = p.parse_args(argv)
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        p.error(f"unknown section(s) {', '.join(unknown)}; known: {', '.join(SECTIONS)}")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    with tempfile.TemporaryDirectory(prefix="mudar-robust-") as tmp:
        root = Path(args.out) if args.out else Path(tmp)
        for name in sections:
            try:
                module = importlib.import_module(f"robust_{name}")
            except ModuleNotFoundError as e:
                if e.name != f"robust_{name}":
                    raise
                print(f"section {name}: benchmarks/robust_{name}.py is not there; skipped\n")
                continue
            t0 = time.perf_counter()
            work = root / name
            work.mkdir(parents=True, exist_ok=True)
            table = module.run(work, quick=args.quick)
            print(table.rstrip() + f"\n\n({name}: {time.perf_counter() - t0:.0f} s)\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
