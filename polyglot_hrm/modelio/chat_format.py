"""Aider's benchmark protocol for chat models, in our own words: each attempt's messages, the two edit
formats, and how an answer becomes a candidate.

**First attempt.** A system message states the edit format's rules. The user message gives the
exercise's instructions, the current content of the files to edit (for a transfer row also the solution
in the source language; for a row that carries failing test output, that output) and asks for the
answer in the edit format, keeping the names the tests use, adding no dependencies and changing no test
files.

**Second attempt** (the first one failed): the conversation goes on. The first answer is the assistant's
turn; a user message then shows the trimmed test output (or why the answer could not be used), the files
as the first answer left them, and asks to fix the code, not the tests. The row of a second attempt is
the case with ``input_files`` = those files, ``test_feedback`` = that output, and ``previous`` =
``{"answer", "input_files", "test_feedback", "applied"}`` of the first (built by the evaluation).

**Edit formats** (``--edit-format``):

* ``whole``: every changed file in full, its path alone on a line, then the file in a fenced block.
  Read by :func:`parse_whole`: the path line may carry Markdown decoration, a name is matched to the
  files shown (exactly or by base name; otherwise it is a new file), and with one file shown a block
  without a name is that file (as Aider's whole-file coder does).
* ``diff``: Aider's SEARCH/REPLACE blocks, read and applied by :mod:`polyglot_hrm.edit_format`
  to the files shown.

The HRM backend does not use this module: it answers in the format it was trained on
(:mod:`.prompt_format`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..edit_format import EXAMPLE_BLOCK, file_name_of, shown_path
from ..languages import LANGUAGES
from .names import EDIT_FORMATS, EditFormat
from .prompt_format import SOURCE_ROLES, VISIBLE_ROLES, render_files

__all__ = ["EDIT_FORMATS", "EditFormat", "chat_messages", "editable_paths", "parse_chat_answer", "parse_whole",
           "render_whole", "system_message"]


_ROLE = "You are an expert software engineer who solves programming exercises by changing the files you are given."

WHOLE_RULES = f"""{_ROLE}

Answer with every file you change, each one complete: the file's path alone on one line, then the whole new
content of the file in a fenced code block:

path/to/file.py
```python
the complete content of the file
```

Write each changed file out in full, every line of it: never leave parts out or write "rest unchanged".
Leave out the files you do not change."""

DIFF_RULES = f"""{_ROLE}

Answer with SEARCH/REPLACE blocks, one for each change: the file's path alone on one line, then a fenced
block holding `<<<<<<< SEARCH`, lines copied exactly from the current file, `=======`, the lines that
replace them, and `>>>>>>> REPLACE`:

{EXAMPLE_BLOCK}

The SEARCH lines must match the file character for character, indentation and comments included, and
must occur in it only once: include a few more lines where needed to make them unique. Prefer several
small blocks to one block that rewrites a whole file. A block whose SEARCH section is empty adds its
REPLACE lines to the end of the file, or creates the file."""

_ASK = {
    "whole": "Answer with each file you change, complete, in the format described.",
    "diff": "Answer with SEARCH/REPLACE blocks as described.",
}
_FENCE_OPEN = re.compile(r"^(`{3,})([^`\s]*)\s*$")
_BACKTICKS = re.compile(r"`+")


def _check_format(edit_format: str) -> None:
    if edit_format not in EDIT_FORMATS:
        raise ValueError(f"edit_format={edit_format!r}: choose one of {EDIT_FORMATS}")


def system_message(edit_format: EditFormat) -> str:
    """The edit format's rules (the system message of every chat)."""
    _check_format(edit_format)
    return WHOLE_RULES if edit_format == "whole" else DIFF_RULES


def _title(language: str) -> str:
    lang = LANGUAGES.get(language)
    return (lang.title or lang.name) if lang is not None else language


def _visible(row: Mapping[str, Any], files: Sequence[Mapping[str, Any]] | None = None) -> list[Mapping[str, Any]]:
    roles = VISIBLE_ROLES.get(row.get("task") or "generation", VISIBLE_ROLES["generation"])
    return [f for f in (row.get("input_files") if files is None else files) or [] if f.get("role") in roles]


def editable_paths(row: Mapping[str, Any]) -> list[str]:
    """The paths an answer is expected to change: the row's input files of role ``solution``."""
    return [f["path"] for f in row.get("input_files") or [] if f.get("role") == "solution"]


def _fenced(text: str) -> str:
    longest = max((len(m.group()) for m in _BACKTICKS.finditer(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{text.rstrip()}\n{fence}\n"


def _path_list(paths: Sequence[str]) -> str:
    return ", ".join(f"`{p}`" for p in paths) or "the files above"


def _first_prompt(row: Mapping[str, Any], edit_format: EditFormat) -> str:
    language = row["language"]
    parts = [f"# Instructions\n\n{(row.get('instructions') or '').strip()}\n"]
    if row.get("task") == "transfer":
        source_language = row.get("source_language") or ""
        source = [f for f in row.get("input_files") or [] if f.get("role") in SOURCE_ROLES]
        parts.append(f"# A working solution in {_title(source_language)}\n\n{render_files(source, source_language)}")
    parts.append(f"# Files\n\n{render_files(_visible(row), language)}")
    if row.get("test_feedback"):
        parts.append(f"# Output of the tests\n\n{_fenced(row['test_feedback'])}")
    parts.append(f"Change {_path_list(editable_paths(row))} so that the exercise's tests pass. Keep the names of the "
                 f"existing functions, classes and files: the tests use them. Use only {_title(language)}'s standard "
                 f"library: add no dependencies, and do not change or add test files. {_ASK[edit_format]}\n")
    return "\n".join(parts)


def _retry_prompt(row: Mapping[str, Any], applied: bool, edit_format: EditFormat) -> str:
    feedback = (row.get("test_feedback") or "").strip()
    if applied:
        head = f"The tests failed. Their output, trimmed:\n\n{_fenced(feedback)}"
    else:
        head = f"Your answer could not be used: {feedback}\n"
    return (f"{head}\nThe files now read:\n\n{render_files(_visible(row), row['language'])}\n"
            f"The tests are correct: do not change them. Fix the code in {_path_list(editable_paths(row))} so that "
            f"they pass. {_ASK[edit_format]}\n")


def chat_messages(row: Mapping[str, Any], edit_format: EditFormat) -> list[dict[str, str]]:
    """The messages of the row's attempt: ``[system, user]`` first, ``[system, user, assistant, user]`` for a
    second attempt (a row with ``previous``; module docstring)."""
    _check_format(edit_format)
    system = {"role": "system", "content": system_message(edit_format)}
    previous = row.get("previous")
    if not previous:
        return [system, {"role": "user", "content": _first_prompt(row, edit_format)}]
    first = {**row, "input_files": previous["input_files"], "test_feedback": previous.get("test_feedback") or ""}
    return [system, {"role": "user", "content": _first_prompt(first, edit_format)},
            {"role": "assistant", "content": previous["answer"]},
            {"role": "user", "content": _retry_prompt(row, bool(previous.get("applied")), edit_format)}]


def _whole_path(names: Sequence[str], valid_paths: Sequence[str]) -> str | None:
    """The file a block names: one of the files shown (exactly or by base name), else a new file's path as
    written; prose ("Here is the file:") names none. No close-spelling match: a new file (a Java helper class)
    must not be taken for a shown one with a similar name."""
    shown = shown_path(names, valid_paths)
    if shown is not None:
        return shown
    return next((n for n in names if "." in n or "/" in n), None)


def parse_whole(text: str, valid_paths: Sequence[str]) -> dict[str, str]:
    """``{path: content}`` of a ``whole`` answer (module docstring). A block whose fence never closes (a
    truncated answer) runs to the end; a later block for the same file wins."""
    lines = text.split("\n")
    files: dict[str, str] = {}
    i = 0
    while i < len(lines):
        opener = _FENCE_OPEN.match(lines[i].strip())
        if opener is None:
            i += 1
            continue
        fence, info = opener.group(1), opener.group(2)
        end = i + 1
        while end < len(lines) and lines[end].strip() != fence:
            end += 1
        names = [n for n in (file_name_of(lines[i - 1]) if i > 0 else None,
                             info if ("." in info or "/" in info) else None) if n]
        path = _whole_path(names, valid_paths)
        if path is None and len(valid_paths) == 1:
            path = valid_paths[0]
        if path is not None:
            body = "\n".join(lines[i + 1:end])
            files[path] = body + "\n" if body else ""
        i = end + 1
    return files


def render_whole(files: Mapping[str, str], language: str) -> str:
    """Files as a ``whole`` answer (what :func:`parse_whole` reads back)."""
    return render_files([{"path": p, "content": c} for p, c in files.items()], language)


def parse_chat_answer(row: Mapping[str, Any], text: str, edit_format: EditFormat) -> dict[str, str] | str:
    """A chat answer as a scoring candidate: ``{path: content}`` (whole; ``{}`` when no file is found, which
    scores as malformed) or the SEARCH/REPLACE text (diff; parsed and applied by scoring)."""
    _check_format(edit_format)
    if edit_format == "diff":
        return text
    valid = [f["path"] for f in _visible(row)]
    return parse_whole(text, valid)
