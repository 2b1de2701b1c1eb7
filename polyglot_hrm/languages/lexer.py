"""The one lexer: which characters of a source file are code, and where its brackets close.

Everything here reads a language's syntax facts (:class:`~.base.Language`: comments, string and character
literals) and nothing else, so the mutations, the function finder, the refactorings, the concept tags and the
language modules' own header parsing all see a file the same way:

* :func:`code_mask` marks the characters inside comments, string and character literals (what no edit may
  touch, and what no bracket or keyword search may read); :func:`masked_code` blanks them out;
* :func:`closing_bracket` finds the bracket that closes an opening one, optionally reading code only;
* :func:`split_parameters` splits a parameter list at its top-level commas.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .registry import get_language

if TYPE_CHECKING:
    from .base import Language

__all__ = ["closing_bracket", "code_mask", "masked_code", "split_parameters"]


def code_mask(text: str, language: str | Language) -> list[bool]:
    """``mask[i]`` is True when ``text[i]`` is code, False inside a string, character literal or comment."""
    lang = get_language(language) if isinstance(language, str) else language
    n = len(text)
    mask = [True] * n
    block = lang.block_comment
    i = 0

    def blank(a: int, b: int) -> None:
        for k in range(a, min(b, n)):
            mask[k] = False

    while i < n:
        c = text[i]
        if text.startswith(lang.line_comment, i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            blank(i, j)
            i = j
        elif block is not None and text.startswith(block[0], i):
            j = text.find(block[1], i + len(block[0]))
            j = n if j < 0 else j + len(block[1])
            blank(i, j)
            i = j
        elif text.startswith(lang.multiline_strings, i):
            quote = next(q for q in lang.multiline_strings if text.startswith(q, i))
            j = text.find(quote, i + len(quote))
            j = n if j < 0 else j + len(quote)
            blank(i, j)
            i = j
        elif lang.raw_strings and re.match(r'r#*"', text[i:i + 4]) and (i == 0 or not text[i - 1].isalnum()):
            hashes = text[i + 1:].index('"')
            end = '"' + "#" * hashes
            j = text.find(end, i + 2 + hashes)
            j = n if j < 0 else j + len(end)
            blank(i, j)
            i = j
        elif c == '"' or (c == "'" and (lang.char_literal is None or lang.char_literal.match(text[i:i + 12]))):
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(n, j + 1)
            blank(i, j)
            i = j
        else:
            i += 1
    return mask


def masked_code(text: str, language: str | Language) -> str:
    """``text`` with every character inside a comment, string or character literal replaced by a space
    (line breaks kept, so line anchors still work)."""
    mask = code_mask(text, language)
    return "".join(c if keep or c == "\n" else " " for c, keep in zip(text, mask))


_PAIRS = {"(": ")", "[": "]", "{": "}"}


def closing_bracket(text: str, open_at: int, mask: Sequence[bool] | None = None,
                    within: int | None = None) -> int | None:
    """Index of the bracket that closes the ``(``, ``[`` or ``{`` at ``open_at``, counting brackets of that
    kind only; None when it is not closed.

    ``mask`` (:func:`code_mask`): brackets where it is False (in comments and strings) do not count.
    ``within``: look no further than this many characters from ``open_at`` (a bound on the work for callers
    that only want a short span)."""
    opener = text[open_at]
    if opener not in _PAIRS:
        raise ValueError(f"closing_bracket: {opener!r} at {open_at} is not an opening bracket (one of "
                         f"{''.join(_PAIRS)}); pass the index of the bracket to close")
    closer = _PAIRS[opener]
    end = len(text) if within is None else min(len(text), open_at + within)
    depth = 0
    for k in range(open_at, end):
        if mask is not None and not mask[k]:
            continue
        if text[k] == opener:
            depth += 1
        elif text[k] == closer:
            depth -= 1
            if depth == 0:
                return k
    return None


_OPEN, _CLOSE = "([{<", ")]}>"


def split_parameters(params: str) -> list[str]:
    """``params`` split at the commas outside brackets (generic arguments included), each stripped; [] for none."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(params):
        if c in _OPEN:
            depth += 1
        elif c in _CLOSE and not (c == ">" and i and params[i - 1] == "-"):  # `->` closes nothing
            depth = max(0, depth - 1)
        elif c == "," and depth == 0:
            parts.append(params[start:i].strip())
            start = i + 1
    parts.append(params[start:].strip())
    return [p for p in parts if p] if any(parts) else []
