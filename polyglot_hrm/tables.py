"""Plain text for the terminal: tables (no dependency, stable for tests) and docstrings without their markup."""

from __future__ import annotations

import re
from typing import Any, Sequence

__all__ = ["format_table", "plain_text"]


def plain_text(doc: str) -> str:
    """A docstring as a terminal shows it (``--help``): reStructuredText literals and roles (````x````,
    ``:func:`x```) become plain ``x``."""
    text = re.sub(r":[a-z]+:`~?\.*([^`]+)`", r"\1", doc)
    return re.sub(r"``(.+?)``", r"\1", text, flags=re.DOTALL)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.1f}"
    return str(value)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None) -> str:
    """Render rows under headers; numbers are right-aligned, text left-aligned."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    numeric = [all(isinstance(row[i], (int, float)) for row in rows) if rows else False for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)).rstrip()

    out = [title] if title else []
    out += [line(headers), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells]
    return "\n".join(out)
