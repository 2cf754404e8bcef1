"""Every command on every bad input of :mod:`mudar.synthetic.bad`: what the user sees.

A user of the command line, not part of it: it lives beside the benchmarks that use it (the
package itself keeps one rule, only :mod:`mudar.cli` imports the command line). The tests
(``tests/benchmarks/test_robust.py``) put this folder on ``sys.path``.

:func:`case_argv` says how a command is run on a case (the case's file in the command's input
place, its outputs in a work folder); :func:`run_cli` runs the real entry point
(:func:`mudar.cli.main.main`) in this process and records the exit status, the stderr lines,
whether a traceback escaped and whether an output was left half-written; :func:`judge` compares
a run with what the catalogue expects. The tests and the benchmark (``benchmarks/robust_bad.py``)
share them.
"""

from __future__ import annotations

import contextlib
import io
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from mudar.synthetic.bad import BadCase, make_good, other_version_classifier

ERROR = "mudar: error: "


@dataclass
class CliRun:
    """What one run of the command line showed.

    Attributes
    ----------
    argv : list of str
    code : int
        Exit status (1 when an exception escaped ``main``).
    out, err : str
        Its stdout and stderr.
    traceback : bool
        An exception escaped, or a traceback was printed.
    half_written : list of str
        Outputs left behind after a failure, and temporary ``.part`` files left anywhere.
    seconds : float
    """

    argv: list[str]
    code: int
    out: str
    err: str
    traceback: bool
    half_written: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.startswith(ERROR)]


@dataclass
class Inputs:
    """The good material every case is run beside: a dance video, a song, a classifier."""

    good: Path
    music: Path
    classifier: Path


def good_inputs(folder: Path) -> Inputs:
    """Make the good dance and song in ``folder`` (the shipped classifier for predict)."""
    from mudar.io.write import write_audio
    from mudar.models.checkpoint import default_classifier_path
    from mudar.synthetic.video import synth_music

    good = make_good(folder / "good", "good")
    y, _ = synth_music(tempo_bpm=100.0, duration_s=4.0, sr=22050, seed=1)
    music = write_audio(folder / "good" / "song.wav", y, sr=22050)
    return Inputs(good=good, music=music, classifier=default_classifier_path())


def case_argv(
    command: str, case: BadCase, path: Path, work: Path, inputs: Inputs, *, learned: bool = False
) -> tuple[list[str], list[Path]] | None:
    """The command line of ``command`` on ``case`` (made at ``path``), and its outputs.

    Outputs go to ``work`` (made); features to ``work/cache``. ``learned`` runs the shipped model
    where the command has a learning-free default. None where the case does not apply.
    """
    if case.outcome(command) == "n/a" or command == "api":
        return None
    work.mkdir(parents=True, exist_ok=True)
    cache = ["--cache", str(work / "cache"), "--jobs", "1", "--quiet"]
    ckpt = case.kind == "checkpoint"
    media = str(inputs.good if ckpt else path)
    model = ["--checkpoint", str(path)] if ckpt else []
    method = ["--method", "mudar" if (learned or ckpt) else "hoof-flux"]
    if command == "rhythm":
        return ["rhythm", media, "--json", *method, *model], []
    if command == "embed":
        out = work / "emb.npz"
        return ["embed", media, "-o", str(out), *cache, *model], [out]
    if command == "prepare":
        # the folder that holds the case alone (the folder itself for directory and missing)
        data = path if case.name in ("directory", "missing") else path.parent
        out = work / "features"
        return ["prepare", str(data), "--out", str(out), "--jobs", "1", "--no-progress"], []
    if command == "index":
        out = work / "dances.idx"
        return ["index", "build", media, "--out", str(out), *cache, *model], [out]
    if command == "sync":
        out = work / "synced.mp4"
        # --force: the write path is what is checked here, whatever the estimate's confidence
        return ["sync", media, "--json", "--fix", "--force", "-o", str(out)], [out]
    if command == "retarget":
        out = work / "retargeted.mp4"
        dance = ["--dance-method", "mudar" if (learned or ckpt) else "hoof-flux"]
        # at most 320 px: the 4K case is about reading 4K, not about encoding it
        argv = ["retarget", media, str(inputs.music), "-o", str(out), "--json", "--max-side", "320"]
        return [*argv, *dance, *model], [out]
    if command == "bas":
        return ["bas", media, "--json", *method, *model], []
    if command == "classify":
        cls = other_version_classifier(path) if ckpt else inputs.classifier
        return ["classify", "predict", "--model", str(cls), media, "--json", *cache], []
    raise KeyError(command)


def run_cli(argv: list[str], outputs: list[Path] = (), *, work: Path | None = None) -> CliRun:
    """Run ``mudar ARGV`` in this process; ``outputs`` must not exist after a failure, and no
    ``.part`` file may be left under ``work``."""
    from mudar.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    escaped = False
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as e:  # argparse
            code = e.code if isinstance(e.code, int) else 1
        except Exception:  # a bug: the traceback the user would see
            escaped = True
            code = 1
            traceback.print_exc()
    seconds = time.perf_counter() - t0
    text = err.getvalue()
    left = []
    if code != 0:
        left += [str(p) for p in outputs if p.exists()]
    if work is not None:
        left += [str(p) for p in work.rglob("*.part")]
    return CliRun(
        argv=list(argv),
        code=code,
        out=out.getvalue(),
        err=text,
        traceback=escaped or "Traceback (most recent call last)" in text,
        half_written=left,
        seconds=seconds,
    )


def judge(run: CliRun, case: BadCase, command: str, path: Path) -> list[str]:
    """What is wrong with ``run`` for ``case`` (empty: the promise holds).

    An expected error: exit status 2, exactly one ``mudar: error:`` line that names the file and
    holds the case's phrase (case-insensitive). An expected result: exit status 0. Always: no
    traceback, nothing half-written.
    """
    wrong = []
    if run.traceback:
        wrong.append("traceback")
    if run.half_written:
        wrong.append(f"half-written {run.half_written}")
    expect = case.outcome(command)
    if expect == "result":
        if run.code != 0:
            wrong.append(f"exit {run.code}, expected 0: {run.err.strip()[-300:]}")
        return wrong
    lines = run.error_lines
    named = path.name
    if case.kind == "checkpoint" and command == "classify":
        named = other_version_classifier(path).name
    if run.code != 2:
        wrong.append(f"exit {run.code}, expected 2")
    if len(lines) != 1:
        wrong.append(f"{len(lines)} error lines: {run.err.strip()[-300:]}")
    elif named not in lines[0] or case.phrase(command).lower() not in lines[0].lower():
        wrong.append(f"expected {named!r} and {case.phrase(command)!r} in {lines[0]!r}")
    return wrong


def api_call(case: BadCase, path: Path, work: Path) -> object:
    """The Python API on ``case``: :func:`mudar.pipelines.rhythm.file_rhythm` on a media file,
    :func:`mudar.models.checkpoint.load_model` on a checkpoint,
    :func:`mudar.pipelines.embed.embed_files` twice on a spoilt cache. Returns the result, or
    raises what the API raises."""
    from mudar.features.analysis import AnalysisConfig
    from mudar.models.checkpoint import load_model
    from mudar.pipelines.embed import embed_files
    from mudar.pipelines.rhythm import file_rhythm
    from mudar.synthetic.bad import corrupt_cache

    if case.kind == "checkpoint":
        return load_model(path)
    if case.kind == "cache":
        cache = work / "api-cache"
        embed_files([path], cache_dir=cache, jobs=1, progress=False)
        corrupt_cache(cache)
        return embed_files([path], cache_dir=cache, jobs=1, progress=False)
    return file_rhythm(path, config=AnalysisConfig(), method="hoof-flux")
