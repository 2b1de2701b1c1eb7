"""Find the functions and methods of a source file, per language, for ``feature`` examples.

:func:`find_functions` returns each definition's name and line span, including the comments,
decorators and attributes directly above it, so that removing the span leaves no orphaned doc
comment. Headers are recognised by the language's pattern (``Language.function_header``); bodies by
indentation (a language with indented blocks) or by matching braces with strings and comments masked
(the others). Definitions whose header spans several lines before its ``{`` are found when the ``{``
ends a line within the next four.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..languages import Language, get_language
from ..languages.lexer import closing_bracket, code_mask

__all__ = ["Function", "find_functions", "remove_function"]

# Words a header pattern of a brace language can take for a name (`if (x) {`, `while (y) {`): never functions.
_KEYWORDS = {"if", "for", "while", "switch", "catch", "return", "else", "do", "try", "match", "loop", "new",
             "sizeof", "defined", "synchronized"}


@dataclass(frozen=True)
class Function:
    """A definition: ``name`` and its 0-based line span ``[start, end)``, leading comments included."""

    name: str
    start: int
    end: int
    header_line: int


def _leading(lines: list[str], i: int, lang: Language) -> int:
    """First line of the comments/decorators/attributes directly above line ``i``."""
    block_end = lang.block_comment[1] if lang.block_comment else None
    j = i
    while j > 0:
        s = lines[j - 1].strip()
        ok = s.startswith(lang.leading_prefixes) or (block_end is not None and s.endswith(block_end))
        if not ok or not s:
            break
        j -= 1
    return j


def _indented_functions(lines: list[str], lang: Language) -> list[Function]:
    out = []
    for i, line in enumerate(lines):
        m = lang.function_header.match(line)
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
        out.append(Function(m.group("name"), _leading(lines, i, lang), end, i))
    return out


def _brace_functions(text: str, lines: list[str], lang: Language) -> list[Function]:
    mask = code_mask(text, lang)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    out = []
    pattern = lang.function_header
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
        close_at = closing_bracket(text, open_at, mask)
        if close_at is None:
            i += 1
            continue
        end_line = text.count("\n", 0, close_at) + 1
        out.append(Function(name.split("::")[-1], _leading(lines, i, lang), end_line, i))
        i += 1  # nested definitions (methods in a class, closures) are found too
    return out


def find_functions(text: str, language: str | Language) -> list[Function]:
    """Definitions in ``text``, in file order (nested ones included, after their parent)."""
    lang = get_language(language) if isinstance(language, str) else language
    if lang.function_header is None:
        raise ValueError(f"language {lang.name!r} has no function_header pattern; set it on its Language class")
    lines = text.splitlines(keepends=True)
    if lang.indented_blocks:
        return _indented_functions(lines, lang)
    return _brace_functions(text, lines, lang)


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
