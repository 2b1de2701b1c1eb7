"""Aider's SEARCH/REPLACE edit blocks: the format (render, parse) and its application.

Everything that reads or writes edits uses this module: scoring (a candidate's edit applied), model I/O (the
chat format's blocks), evaluation (well-formed edit rates) and the training-data synthesis. It sits below all
of them and imports only the language registry (each file's fence tag). How blocks are made from a
before/after pair and measured is :mod:`polyglot_hrm.synthesis.edit_synthesis`.

The format is the one Aider's ``diff`` edit format writes::

    path/to/file.py
    ```python
    <<<<<<< SEARCH
    old lines
    =======
    new lines
    >>>>>>> REPLACE
    ```

Several blocks may follow each other with prose between them. An empty SEARCH section creates a
new file, or appends to an existing one (as Aider does).

Semantics shared by every function here (they follow Aider's ``editblock_coder.py``):

* **Lines.** Texts are split with ``str.splitlines(keepends=True)``, as Aider does, so ``\\r\\n``,
  ``\\r`` and the other Unicode line breaks end lines too, and each line keeps its own ending
  (CRLF files stay CRLF).
* **Matching.** A SEARCH text matches whole, consecutive lines of the file, exactly, and must match
  exactly once. Only when the exact match finds nothing, a conservative fallback ignores leading
  whitespace: every non-blank line must agree after one common indentation is removed from
  SEARCH/REPLACE and one common prefix is added back from the file, and that match must be unique;
  the REPLACE lines are re-indented the same way. Aider's ``...`` elision and fuzzy matching are not
  implemented.
* **Missing newline at end of file.** Matching treats a file whose last line has no line break as
  if it had one (Aider's ``prep``). The result keeps the file's state: when the match does not reach
  the end of the file, the file still ends without a newline; when it does, the REPLACE text decides
  (a REPLACE without a final line break leaves the file without one). In-memory blocks can so express
  any change, including adding or removing the final newline; rendered text cannot (the format is
  line-based), so :func:`render_blocks` writes a final line break after every non-empty section
  and such a change is lost in rendering (see :meth:`EditBlock.line_normalized`).
* **Marker-like lines.** Inside a block, Aider reads any line that is, once stripped, 5-9 ``=``,
  or 5-9 ``>`` followed by `` REPLACE``, as a marker. A text containing such a line (or a
  ``<<<<<<< SEARCH`` line) cannot be rendered unambiguously: :func:`render_blocks` refuses it and
  :func:`is_renderable` says so beforehand. Applying and synthesizing work on such texts.

Where this module deliberately differs from Aider (each documented at its function): a SEARCH that
is whitespace-only but not empty is searched for literally (Aider appends its REPLACE instead, so
:func:`~polyglot_hrm.synthesis.edit_synthesis.synthesize_blocks` avoids such SEARCH texts whenever the file has a
non-blank line); a
``<<<<<<< SEARCH`` inside an open block, a ``>>>>>>> REPLACE`` inside a SEARCH section and a
``>>>>>>> REPLACE`` outside any block are errors (Aider folds the first two into the text and
silently drops the lines before the third); SEARCH and
REPLACE texts are used as written (Aider strips a first line that ends with the file's name and a
surrounding code fence).
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal

from .languages import LANGUAGES

__all__ = ["EXAMPLE_BLOCK", "EditApplyError", "EditBlock", "EditFormatError", "apply_blocks",
           "FENCE", "exact_matches", "file_name_of", "is_blank", "is_renderable", "match_path", "parse_blocks",
           "prepped_lines", "render_blocks", "shown_path", "split_lines", "with_final_break"]

logger = logging.getLogger(__name__)

# Aider's marker patterns, matched against a stripped line.
_HEAD = re.compile(r"^<{5,9} SEARCH>?\s*$")
_DIVIDER = re.compile(r"^={5,9}\s*$")
_UPDATED = re.compile(r"^>{5,9} REPLACE\s*$")
FENCE = "```"
_FENCE_RE = re.compile(r"^`{3,}$")
# Aider treats fenced blocks with these info strings as shell commands, not edits.
_SHELL_STARTS = tuple(
    FENCE + tag
    for tag in ("bash", "sh", "shell", "cmd", "batch", "powershell", "ps1", "zsh", "fish", "ksh", "csh", "tcsh")
)
# Fence tags of files in no registered language (a language's own come from its Language.fence_tag, those of
# its build files from its Language.support_fence_tags).
_OTHER_TAGS = {
    ".ts": "typescript", ".c": "c", ".json": "json", ".toml": "toml", ".md": "markdown", ".yaml": "yaml",
    ".yml": "yaml", ".xml": "xml",
}


def _fence_tag(path: str) -> str:
    """The info string Aider puts on the fence of a block for ``path`` (by suffix; "" when unknown)."""
    suffix = PurePosixPath(path).suffix.lower()
    for language in LANGUAGES.values():
        if suffix in language.source_suffixes:
            return language.fence_tag
    for language in LANGUAGES.values():
        if suffix in language.support_fence_tags:
            return language.support_fence_tags[suffix]
    return _OTHER_TAGS.get(suffix, "")


EXAMPLE_BLOCK = (
    "path/to/file.py\n"
    "```python\n"
    "<<<<<<< SEARCH\n"
    "lines copied exactly from the file\n"
    "=======\n"
    "the lines that replace them\n"
    ">>>>>>> REPLACE\n"
    "```"
)


class EditFormatError(ValueError):
    """Edit-block text that cannot be parsed, or blocks that cannot be rendered unambiguously.

    ``line`` is the 1-based line of the text where the problem is (``None`` when rendering).
    """

    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        where = f"line {line}: " if line is not None else ""
        super().__init__(f"{where}{message}\nA SEARCH/REPLACE block looks like this:\n{EXAMPLE_BLOCK}")


class EditApplyError(ValueError):
    """A block that cannot be applied; ``reason`` is ``not_found``, ``ambiguous`` or ``unknown_file``."""

    def __init__(self, message: str, *, path: str, block_index: int,
                 reason: Literal["not_found", "ambiguous", "unknown_file"]) -> None:
        self.path = path
        self.block_index = block_index
        self.reason = reason
        super().__init__(message)


@dataclass(frozen=True)
class EditBlock:
    """One SEARCH/REPLACE edit of the file at ``path``.

    ``search`` is the text to find (empty: create the file, or append to it); ``replace`` the text
    that takes its place. Texts are whole lines; only a text that ends at the end of a file may lack
    a final line break.
    """

    path: str
    search: str
    replace: str

    def line_normalized(self) -> EditBlock:
        """This block as it reads back after :func:`render_blocks` then :func:`parse_blocks`.

        Non-empty texts get a final ``\\n`` when their last line has no line break.
        """
        return EditBlock(self.path, with_final_break(self.search), with_final_break(self.replace))


# ---------------------------------------------------------------------------------------------
# line helpers


def split_lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _has_break(line: str) -> bool:
    """Whether a line from :func:`_split` ends with a line break."""
    return len(line.splitlines()[0]) < len(line) if line else False


def with_final_break(text: str) -> str:
    return text + "\n" if text and not _has_break(split_lines(text)[-1]) else text


def prepped_lines(text: str) -> tuple[list[str], bool]:
    """Lines of ``text`` with a ``\\n`` added to a last line lacking a break, and whether one was added."""
    lines = split_lines(text)
    if lines and not _has_break(lines[-1]):
        lines[-1] += "\n"
        return lines, True
    return lines, False


def is_blank(line: str) -> bool:
    return not line.strip()


def _is_marker(line: str) -> bool:
    stripped = line.strip()
    return bool(_HEAD.match(stripped) or _DIVIDER.match(stripped) or _UPDATED.match(stripped))


# ---------------------------------------------------------------------------------------------
# render


def _strip_filename(line: str) -> str | None:
    """The file name a line names, as Aider reads it (a little more forgiving), or ``None``."""
    name = line.strip()
    if name == "...":
        return None
    if name.startswith(FENCE):
        candidate = name.lstrip("`")
        return candidate if candidate and ("." in candidate or "/" in candidate) else None
    previous = None
    while name != previous:  # "**`foo.py`**:" -> "foo.py"
        previous = name
        name = name.rstrip(":").lstrip("#").strip().strip("`").strip("*")
    return name or None


def _render_problem(block: EditBlock) -> str | None:
    path = block.path
    if not path or len(split_lines(path)) != 1 or _has_break(path) or _strip_filename(path) != path:
        return (f"the path {path!r} would not read back as itself (it must be one line without surrounding "
                "whitespace, leading '#', trailing ':', or surrounding '`' or '*')")
    for name, text in (("SEARCH", block.search), ("REPLACE", block.replace)):
        for number, line in enumerate(split_lines(text), start=1):
            if _is_marker(line):
                return (f"line {number} of its {name} text, {line.rstrip()!r}, would be read as an "
                        "edit-block marker")
    return None


def is_renderable(block: EditBlock) -> bool:
    """Whether :func:`render_blocks` can write ``block`` so that :func:`parse_blocks` reads it back."""
    return _render_problem(block) is None


def render_blocks(blocks: Iterable[EditBlock], fence: str = FENCE, *, language_tag: bool = True) -> str:
    """Write ``blocks`` in Aider's SEARCH/REPLACE format, one fenced block per edit, a blank line between.

    ``fence`` is three or more backticks. With ``language_tag`` the opening fence carries a tag from the
    file's extension (```` ```python ````), as Aider writes it. Each non-empty section ends with a line
    break (one is added where the text has none; see :meth:`EditBlock.line_normalized`).

    Raises :class:`EditFormatError` for a block that would not read back unambiguously
    (:func:`is_renderable`): a marker-like line in its texts, or a path that would be misread.
    """
    if not _FENCE_RE.match(fence):
        raise ValueError(f"fence must be three or more backticks, got {fence!r}; use '```' or '````'")
    parts = []
    for index, block in enumerate(blocks):
        problem = _render_problem(block)
        if problem is not None:
            raise EditFormatError(f"cannot render block {index} for {block.path!r} unambiguously: {problem}")
        tag = _fence_tag(block.path) if language_tag else ""
        parts.append(
            f"{block.path}\n{fence}{tag}\n<<<<<<< SEARCH\n{with_final_break(block.search)}=======\n"
            f"{with_final_break(block.replace)}>>>>>>> REPLACE\n{fence}\n"
        )
    return "\n".join(parts)


# ---------------------------------------------------------------------------------------------
# parse


def file_name_of(line: str) -> str | None:
    """The file name a line of a model's answer names (``**`foo.py`**:`` -> ``foo.py``), as Aider reads it."""
    return _strip_filename(line)


def shown_path(names: Sequence[str], valid_paths: Sequence[str]) -> str | None:
    """The path of ``valid_paths`` that one of ``names`` names exactly, else by base name."""
    for name in names:
        if name in valid_paths:
            return name
    for name in names:
        for valid in valid_paths:
            if name == PurePosixPath(valid).name:
                return valid
    return None


def match_path(names: Sequence[str], valid_paths: Sequence[str]) -> str | None:
    """The path of ``valid_paths`` that one of ``names`` means (Aider's rules, in order: exactly, by base name,
    by a close spelling), else the first name that looks like a file name, else the first name."""
    if not names:
        return None
    shown = shown_path(names, valid_paths)
    if shown is not None:
        return shown
    for name in names:
        close = difflib.get_close_matches(name, valid_paths, n=1, cutoff=0.8)
        if len(close) == 1:
            return close[0]
    for name in names:
        if "." in name:
            return name
    return names[0]


def _find_filename(before: Sequence[str], valid_paths: Sequence[str]) -> str | None:
    """Aider's look-back for the file name: up to 3 lines before the SEARCH marker, through fences."""
    names = []
    for line in reversed(before[-3:]):
        name = _strip_filename(line)
        if name:
            names.append(name)
        if not line.startswith(FENCE):
            break
    return match_path(names, valid_paths)


def parse_blocks(text: str, valid_paths: Iterable[str] | None = None) -> list[EditBlock]:
    """Read the SEARCH/REPLACE blocks of a response, accepting what Aider's parser accepts.

    * The file name is on one of the (up to three) lines before ``<<<<<<< SEARCH``, read back through
      fence lines: before the opening fence, inside it (```` ```foo.py ````), or with no fence at all. It
      may carry Markdown decoration (``**foo.py**``, ``### foo.py``, ```` `foo.py`: ````). A block with
      no name reuses the previous block's. With ``valid_paths``, a name is matched to one of them
      exactly, by base name, or by a close spelling (Aider's rules; not for a block creating a file).
    * Markers may have 5 to 9 ``<``/``=``/``>`` and surrounding whitespace; prose between blocks is
      ignored, as are fenced shell-command blocks (```` ```bash ````). As in Aider, a second ``=======``
      also ends a REPLACE section.

    Raises :class:`EditFormatError` with the line number for: a block with no file name and no earlier
    block, a SEARCH section without ``=======`` (the text ends, or a marker other than ``=======``
    comes first), a REPLACE section without ``>>>>>>> REPLACE`` (the text
    ends, or another ``<<<<<<< SEARCH`` starts first), and a ``>>>>>>> REPLACE`` outside any block.
    """
    valid = list(valid_paths) if valid_paths is not None else []
    lines = split_lines(text)
    blocks: list[EditBlock] = []
    current: str | None = None
    i = 0
    n = len(lines)

    def head_at(k: int) -> bool:
        return k < n and bool(_HEAD.match(lines[k].strip()))

    while i < n:
        stripped = lines[i].strip()
        if stripped.startswith(_SHELL_STARTS) and not (head_at(i + 1) or head_at(i + 2)):
            i += 1
            while i < n and not lines[i].strip().startswith(FENCE):
                i += 1
            i += 1
            continue
        if _UPDATED.match(stripped):
            raise EditFormatError(f"found {stripped!r} outside a block (no '<<<<<<< SEARCH' before it)", i + 1)
        if not _HEAD.match(stripped):
            i += 1
            continue

        head = i
        creates = i + 1 < n and bool(_DIVIDER.match(lines[i + 1].strip()))
        path = _find_filename(lines[max(0, i - 3):i], [] if creates else valid)
        if not path:
            if current is None:
                raise EditFormatError(
                    "the block starting here has no file name; put the file's path alone on the line "
                    "before the opening fence", head + 1)
            path = current
        current = path

        search: list[str] = []
        i += 1
        while i < n and not _DIVIDER.match(lines[i].strip()):
            if _HEAD.match(lines[i].strip()) or _UPDATED.match(lines[i].strip()):
                raise EditFormatError(
                    f"expected '=======' to end the SEARCH section of the block starting at line {head + 1}, "
                    f"found {lines[i].strip()!r}", i + 1)
            search.append(lines[i])
            i += 1
        if i >= n:
            raise EditFormatError(
                f"the block starting at line {head + 1} ({path}) has no '=======' after its SEARCH section; "
                "the text ended", head + 1)

        replace: list[str] = []
        i += 1
        while i < n and not (_UPDATED.match(lines[i].strip()) or _DIVIDER.match(lines[i].strip())):
            if _HEAD.match(lines[i].strip()):
                raise EditFormatError(
                    f"expected '>>>>>>> REPLACE' to end the block starting at line {head + 1} ({path}), "
                    "found another '<<<<<<< SEARCH'", i + 1)
            replace.append(lines[i])
            i += 1
        if i >= n:
            raise EditFormatError(
                f"the block starting at line {head + 1} ({path}) is not terminated: no '>>>>>>> REPLACE' "
                "before the text ended", head + 1)
        if _DIVIDER.match(lines[i].strip()):
            logger.debug("block at line %d closed by a second '=======' (accepted, as Aider does)", head + 1)
        blocks.append(EditBlock(path, "".join(search), "".join(replace)))
        i += 1
    return blocks


# ---------------------------------------------------------------------------------------------
# apply


def exact_matches(content: list[str], search: list[str]) -> list[int]:
    m = len(search)
    if not m or m > len(content):
        return []
    first = search[0]
    return [q for q in range(len(content) - m + 1) if content[q] == first and content[q:q + m] == search]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _whitespace_matches(content: list[str], search: list[str], replace: list[str]) -> list[tuple[int, list[str]]]:
    """Matches ignoring one common leading-whitespace offset; each with its re-indented REPLACE lines."""
    widths = [_indent(line) for line in search + replace if not is_blank(line)]
    cut = min(widths) if widths else 0
    part = [line if is_blank(line) else line[cut:] for line in search]
    if all(is_blank(line) for line in part):
        return []
    m = len(part)
    found = []
    for q in range(len(content) - m + 1):
        prefixes = set()
        for have, want in zip(content[q:q + m], part):
            if is_blank(want):
                if not is_blank(have):
                    break
                continue
            prefix = have[:len(have) - len(want)]
            if not have.endswith(want) or prefix.strip() or len(split_lines(prefix + "x")) != 1:
                break
            prefixes.add(prefix)
        else:
            if len(prefixes) == 1:
                add = prefixes.pop()
                found.append((q, [line if is_blank(line) else add + line[cut:] for line in replace]))
    return found


def _describe(search: str) -> str:
    lines = [line.rstrip("\r\n") for line in split_lines(search)]
    shown = "\n".join(f"    {line}" for line in lines[:5])
    more = f"\n    ... ({len(lines) - 5} more lines)" if len(lines) > 5 else ""
    return shown + more


def _replace_once(content: str, block: EditBlock, index: int) -> str:
    """``content`` with the block's unique SEARCH match replaced (SEARCH non-empty)."""
    lines, virtual = prepped_lines(content)
    search, _ = prepped_lines(block.search)
    replace, replace_virtual = prepped_lines(block.replace)
    matches = exact_matches(lines, search)
    how = "exactly"
    if not matches:
        fuzzy = _whitespace_matches(lines, search, replace)
        if len(fuzzy) == 1:
            logger.debug("block %d for %s matched ignoring leading whitespace", index, block.path)
            matches, replace = [fuzzy[0][0]], fuzzy[0][1]
        elif fuzzy:
            matches = [q for q, _ in fuzzy]
            how = "ignoring leading whitespace (it matches nowhere exactly)"
    if not matches:
        hint = ""
        key = next((line.strip() for line in search if line.strip()), "")
        close = difflib.get_close_matches(key, [line.strip() for line in lines], n=1, cutoff=0.6) if key else []
        if close:
            number = [line.strip() for line in lines].index(close[0]) + 1
            hint = f" The closest line in the file is line {number}: {close[0]!r}."
        raise EditApplyError(
            f"block {index} for {block.path!r}: its SEARCH text is not in the file:\n{_describe(block.search)}\n"
            "SEARCH must copy whole lines of the file exactly, whitespace and comments included." + hint,
            path=block.path, block_index=index, reason="not_found")
    if len(matches) > 1:
        where = ", ".join(str(q + 1) for q in matches[:10])
        raise EditApplyError(
            f"block {index} for {block.path!r}: its SEARCH text matches {len(matches)} places {how} "
            f"(starting at lines {where}):\n{_describe(block.search)}\n"
            "Add neighbouring lines to SEARCH (and REPLACE) until it matches one place.",
            path=block.path, block_index=index, reason="ambiguous")
    q = matches[0]
    end = q + len(search)
    new = lines[:q] + replace + lines[end:]
    if end == len(lines):
        if replace and replace_virtual:  # REPLACE decides the final newline
            new[-1] = new[-1][:-1]
    elif virtual:  # keep the file without its final newline
        new[-1] = new[-1][:-1]
    return "".join(new)


def apply_blocks(files: Mapping[str, str], blocks: Iterable[EditBlock], allow_new_files: bool = True) -> dict[str, str]:
    """Apply ``blocks`` in order to ``files`` (path -> text); return the new files, leaving the input alone.

    Each block sees the edits of the blocks before it. A non-empty SEARCH must match the file once
    (see the module docstring for exact and leading-whitespace matching and the final newline). An
    empty SEARCH appends REPLACE to the file, as Aider does, or, for a path not in ``files``, creates
    it when ``allow_new_files``. A whitespace-only SEARCH is searched for literally (Aider would append).

    Raises :class:`EditApplyError` naming the block and file when SEARCH is not found, matches more
    than once, or names an unknown file.
    """
    result = dict(files)
    for index, block in enumerate(blocks):
        if block.path not in result:
            if block.search == "" and allow_new_files:
                result[block.path] = block.replace
                continue
            known = ", ".join(sorted(result)[:20]) or "none"
            why = ("new files are not allowed here" if block.search == "" else
                   "to create a file, leave its SEARCH section empty")
            raise EditApplyError(
                f"block {index} edits {block.path!r}, which is not one of the files ({known}); {why}",
                path=block.path, block_index=index, reason="unknown_file")
        if block.search == "":
            result[block.path] = result[block.path] + block.replace
        else:
            result[block.path] = _replace_once(result[block.path], block, index)
    return result
