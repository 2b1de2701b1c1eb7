"""Find the functions and methods of a source file, per language, for ``feature`` examples.

:func:`find_functions` returns each definition's name and line span, including the comments,
decorators and attributes directly above it, so that removing the span leaves no orphaned doc
comment. Headers are recognised by per-language patterns; bodies by indentation (Python) or by
matching braces with strings and comments masked (the others). Definitions whose header spans
several lines before its ``{`` are found when the ``{`` ends a line within the next four.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .mutation import code_mask

__all__ = ["Function", "find_functions", "remove_function"]

_KEYWORDS = {"if", "for", "while", "switch", "catch", "return", "else", "do", "try", "match", "loop", "new",
             "sizeof", "defined", "synchronized"}

_HEADERS = {
    "python": re.compile(r"^(\s*)(async\s+)?def\s+(?P<name>\w+)\s*\("),
    "go": re.compile(r"^()func\s+(\([^)]*\)\s*)?(?P<name>\w+)\s*[(\[]"),
    "rust": re.compile(r"^(\s*)(pub(\([\w:]+\))?\s+)?(const\s+)?(async\s+)?(unsafe\s+)?(extern\s+\"C\"\s+)?fn\s+(?P<name>\w+)"),
    "javascript": re.compile(
        r"^(\s*)(?:(?:export\s+)?(?:default\s+)?(?:async\s+)?function\*?\s+(?P<name>\w+)\s*\("
        r"|(?:static\s+)?(?:async\s+)?(?:get\s+|set\s+)?(?P<method>#?\w+)\s*\([^)]*\)\s*\{\s*$"
        r"|(?:export\s+)?(?:const|let|var)\s+(?P<arrow>\w+)\s*=\s*(?:async\s+)?(?:\([^)]*\)|\w+)\s*=>\s*\{\s*$)"),
    "java": re.compile(r"^(\s*)(?:@\w+\s+)*(?:(?:public|private|protected|static|final|abstract|synchronized|default)\s+)*"
                       r"(?:<[^>]+>\s+)?(?:[\w.$]+(?:<[^()]*>)?(?:\[\])*\s+)?(?P<name>\w+)\s*\([^;{]*(\{\s*)?$"),
    "cpp": re.compile(r"^(\s*)(?:template\s*<[^>]*>\s*)?(?:(?:inline|static|constexpr|virtual|explicit|friend)\s+)*"
                      r"(?:[\w:<>,*&~\s]+?[\s*&])?(?P<name>~?[\w:]*\w|operator\S+)\s*\([^;]*$"),
}


@dataclass(frozen=True)
class Function:
    """A definition: ``name`` and its 0-based line span ``[start, end)``, leading comments included."""

    name: str
    start: int
    end: int
    header_line: int


def _leading(lines: list[str], i: int, language: str) -> int:
    """First line of the comments/decorators/attributes directly above line ``i``."""
    j = i
    while j > 0:
        s = lines[j - 1].strip()
        if language == "python":
            ok = s.startswith("@") or s.startswith("#")
        else:
            ok = s.startswith(("//", "/*", "*", "#[", "@")) or s.endswith("*/")
        if not ok or not s:
            break
        j -= 1
    return j


def _python_functions(lines: list[str]) -> list[Function]:
    out = []
    for i, line in enumerate(lines):
        m = _HEADERS["python"].match(line)
        if not m:
            continue
        indent = len(m.group(1))
        # The header may continue over several lines; the body ends at the first non-blank line
        # indented no deeper than the def, after the header's colon line.
        j = i
        while j < len(lines) and not lines[j].rstrip().endswith(":"):
            j += 1
        end = j + 1
        k = end
        while k < len(lines):
            s = lines[k]
            if s.strip() and len(s) - len(s.lstrip()) <= indent:
                break
            k += 1
            if s.strip():
                end = k
        out.append(Function(m.group("name"), _leading(lines, i, "python"), end, i))
    return out


def _brace_functions(text: str, lines: list[str], language: str) -> list[Function]:
    mask = code_mask(text, language)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    out = []
    pattern = _HEADERS[language]
    i = 0
    while i < len(lines):
        m = pattern.match(lines[i])
        name = m and (m.groupdict().get("name") or m.groupdict().get("method") or m.groupdict().get("arrow"))
        if not m or not name or name.split("::")[-1] in _KEYWORDS or not mask[starts[i] + len(m.group(1))]:
            i += 1
            continue
        # The opening brace: the last character of this line or of one of the next four, before any `;`.
        open_at = None
        for j in range(i, min(i + 5, len(lines))):
            stripped = lines[j].rstrip()
            if ";" in stripped and not stripped.endswith("{"):
                break
            if stripped.endswith("{") and mask[starts[j] + len(stripped) - 1]:
                open_at = starts[j] + len(stripped) - 1
                break
        if open_at is None:
            i += 1
            continue
        depth, close_at = 0, None
        for k in range(open_at, len(text)):
            if not mask[k]:
                continue
            if text[k] == "{":
                depth += 1
            elif text[k] == "}":
                depth -= 1
                if depth == 0:
                    close_at = k
                    break
        if close_at is None:
            i += 1
            continue
        end_line = text.count("\n", 0, close_at) + 1
        out.append(Function(name.split("::")[-1], _leading(lines, i, language), end_line, i))
        i += 1  # nested definitions (methods in a class, closures) are found too
    return out


def find_functions(text: str, language: str) -> list[Function]:
    """Definitions in ``text``, in file order (nested ones included, after their parent)."""
    if language not in _HEADERS:
        raise ValueError(f"no function patterns for language {language!r}; known: {', '.join(_HEADERS)}")
    lines = text.splitlines(keepends=True)
    if language == "python":
        return _python_functions(lines)
    return _brace_functions(text, lines, language)


def remove_function(text: str, function: Function) -> str:
    """``text`` without ``function``'s lines and the blank lines after them (before them, at the end of
    the file), so the blank-line layout around the gap stays as it was around one definition."""
    lines = text.splitlines(keepends=True)
    start, end = function.start, function.end
    while end < len(lines) and not lines[end].strip():
        end += 1
    if end == len(lines):
        while start > 0 and not lines[start - 1].strip():
            start -= 1
    return "".join(lines[:start] + lines[end:])
