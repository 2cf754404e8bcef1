"""The user docs stay true to the code: README.md, docs/*.md and benchmarks/README.md.

Fast and offline: the files are read, the CLI's parser is built (nothing is run), and the
package's folders are listed from the source tree.
"""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PACKAGE = ROOT / "src" / "mudar"
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [README, *DOCS, ROOT / "benchmarks" / "README.md"]
USER_DOCS = [README, *DOCS]

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
IMG = re.compile(r"<img\b[^>]*\bsrc=[\"']([^\"']+)[\"']", re.IGNORECASE)
ISSUE = re.compile(r"\bissues?\s*#?\s*\d+", re.IGNORECASE)


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _prose(path: Path) -> list[str]:
    """The lines of a Markdown file outside fenced code blocks."""
    out, fenced = [], False
    for line in _lines(path):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if not fenced:
            out.append(line)
    return out


def _slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    for line in _prose(path):
        m = re.match(r"#{1,6}\s+(.*)", line)
        if not m:
            continue
        slug = _slug(m.group(1))
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def _links(path: Path) -> list[str]:
    text = "\n".join(_prose(path))
    return LINK.findall(text) + IMG.findall(text)


def _code_blocks(path: Path, lang: str) -> list[str]:
    """The lines of the fenced code blocks of ``lang`` in ``path``."""
    out, inside = [], False
    for line in _lines(path):
        s = line.strip()
        if s.startswith("```"):
            inside = not inside and s[3:].strip() == lang
            continue
        if inside:
            out.append(line)
    return out


def _how_it_works() -> list[str]:
    """The README's "How it works" section."""
    lines = _lines(README)
    start = lines.index("## How it works")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return lines[start:end]


def test_readme_is_a_guide_of_at_most_250_lines():
    assert len(_lines(README)) <= 250


@pytest.mark.parametrize("command", ["make demo", "make test"])
def test_the_fresh_machine_commands_are_on_the_first_screen(command):
    assert any(command in line for line in _lines(README)[:40]), command


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page):
    broken = []
    for target in _links(page):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists():
            broken.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            broken.append(f"{target}: no such heading")
    assert not broken, f"{page.relative_to(ROOT)}: {broken}"


@pytest.mark.parametrize("page", USER_DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_user_docs_speak_of_the_tool_not_its_history(page):
    hits = [line for line in _lines(page) if ISSUE.search(line)]
    assert not hits, f"{page.relative_to(ROOT)}: {hits}"


def _subcommands() -> list[str]:
    from mudar.cli.main import build_parser

    parser = build_parser()
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert subs, "mudar's parser has no subcommands"
    return sorted(name for a in subs for name in a.choices)


def test_every_subcommand_is_documented_in_cli_md():
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    missing = [
        name
        for name in _subcommands()
        if not re.search(
            rf"^(#+ .*\bmudar {re.escape(name)}\b|mudar {re.escape(name)}\b)", text, re.M
        )
    ]
    assert not missing, f"docs/cli.md does not document: {missing}"


def test_every_mudar_command_of_the_readme_parses():
    from mudar.cli.main import build_parser

    commands = [
        line.split(" #")[0].strip()
        for line in _code_blocks(README, "sh")
        if line.strip().startswith("mudar ")
    ]
    assert commands
    for command in commands:
        try:
            build_parser().parse_args(shlex.split(command)[1:])
        except SystemExit as e:
            pytest.fail(f"README: `{command}` does not parse (exit {e.code})")


def _table_folders() -> set[str]:
    folders = set()
    for line in _how_it_works():
        m = re.match(r"\|\s*`([\w/]+/)`\s*\|", line)
        if m:
            folders.add(m.group(1).rstrip("/"))
    return folders


def _packages() -> set[str]:
    return {
        str(p.parent.relative_to(PACKAGE))
        for p in PACKAGE.rglob("__init__.py")
        if p.parent != PACKAGE and "__pycache__" not in p.parts
    }


def test_every_package_is_in_the_how_it_works_table():
    missing = _packages() - _table_folders()
    assert not missing, f"README's How it works table lacks: {sorted(missing)}"


def test_every_folder_of_the_how_it_works_table_exists():
    gone = {f for f in _table_folders() if not (PACKAGE / f / "__init__.py").is_file()}
    assert not gone, f"README's How it works table names folders that are not packages: {gone}"


def test_every_top_level_module_is_in_how_it_works():
    section = "\n".join(_how_it_works())
    modules = {p.name for p in PACKAGE.glob("*.py") if not p.name.startswith("__")}
    missing = sorted(m for m in modules if f"`{m}`" not in section)
    assert not missing, f"README's How it works section lacks: {missing}"


def test_every_benchmark_script_is_indexed():
    text = (ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8")
    scripts = sorted(p.name for p in (ROOT / "benchmarks").glob("*.py"))
    missing = [s for s in scripts if f"`{s}`" not in text and f"[{s}]" not in text]
    assert not missing, f"benchmarks/README.md does not index: {missing}"
