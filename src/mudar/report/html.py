"""A self-contained HTML page of sections (text, tables, images) for reports and the demo."""

from __future__ import annotations

import html
import os
from pathlib import Path

from mudar.atomic import write_text


def table(rows: list[dict], *, floatfmt: str = ".3f") -> str:
    """An HTML table from a list of dicts (keys of the first row are the columns)."""
    if not rows:
        return "<p><em>(empty)</em></p>"
    cols = list(rows[0])

    def cell(v) -> str:
        return format(v, floatfmt) if isinstance(v, float) else html.escape(str(v))

    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join(
        "<tr>" + "".join(f"<td>{cell(r.get(c, ''))}</td>" for c in cols) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_page(out: str | os.PathLike, title: str, sections: list[tuple[str, str]]) -> Path:
    """Write ``out`` (an .html file) with ``sections`` = [(heading, html body), ...]."""
    style = (
        "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
        "padding:3px 8px;text-align:right}th{background:#f3f3f3}img{max-width:100%}"
    )
    parts = [f"<h2>{html.escape(h)}</h2>\n{body}" for h, body in sections]
    doc = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{style}</style></head><body><h1>{html.escape(title)}</h1>\n"
        + "\n".join(parts)
        + "</body></html>\n"
    )
    write_text(out, doc)
    return Path(out)
