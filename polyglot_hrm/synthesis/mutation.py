"""Language-aware mutants of a reference solution: the raw material of ``bug_fix`` examples.

A mutant is the reference with one small, plausible bug put in by one operator:

* ``comparison``: ``<`` ↔ ``<=``, ``>`` ↔ ``>=``, ``==`` ↔ ``!=`` (``===`` ↔ ``!==`` in JavaScript);
* ``arithmetic``: ``+`` ↔ ``-``, ``*`` ↔ ``/`` (``//`` → ``*`` in Python), ``+=`` ↔ ``-=``;
* ``off_by_one``: an integer in a loop or condition header moved by one, or Rust's ``..`` ↔ ``..=``;
* ``negate_condition``: the condition of an ``if``/``while`` negated (``not (...)`` / ``!(...)``);
* ``swap_arguments``: the two simple arguments of a call swapped (``f(a, b)`` → ``f(b, a)``);
* ``delete_statement``: one simple statement line deleted (never one whose block would be left empty);
* ``literal``: an integer literal elsewhere changed (``0`` ↔ ``1``, ``n`` → ``n + 1``), or ``true`` ↔ ``false``.

What a language's code looks like (comments and string literals, blocks, conditions, its operators and
boolean literals) comes from its :class:`~polyglot_hrm.languages.Language`; nothing here names a
language. Operators only touch code: string and character literals and comments are masked first, and
binary operators must have a space on each side (which keeps C++/Java/Rust generics and ``->``/``=>``
out). Everything is deterministic: :func:`enumerate_mutants` lists every site in file and text order;
:func:`select_mutants` picks a seeded, operator-balanced subset.

A mutant is not known to be wrong until its tests fail: the dataset builder verifies that by execution
when it can (see :func:`polyglot_hrm.dataset.rows.verify_mutants`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from ..languages import Language, get_language
from ..languages.lexer import closing_bracket, code_mask
from ..seeded import select_balanced

__all__ = ["OPERATORS", "Mutant", "enumerate_mutants", "select_mutants"]

OPERATORS = ("comparison", "arithmetic", "off_by_one", "negate_condition", "swap_arguments",
             "delete_statement", "literal")


@dataclass(frozen=True)
class Mutant:
    """The file at ``path`` with one change at 1-based ``line``: ``original`` text became ``mutated``."""

    path: str
    operator: str
    line: int
    description: str
    original: str  # the whole file before
    mutated: str  # the whole file after


# ---------------------------------------------------------------------------------------------
# operators: each yields (start, end, replacement, description) over the file text

_CMP = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "==", "===": "!==", "!==": "==="}
_CMP_RE = re.compile(r"(?<=\s)(===|!==|==|!=|<=|>=|<|>)(?=\s)")
_ARITH = {"+": "-", "-": "+", "*": "/", "/": "*", "//": "*", "+=": "-=", "-=": "+="}
_ARITH_RE = re.compile(r"(?<=\s)(\+=|-=|//|\+|-|\*|/)(?=\s)")
_INT_RE = re.compile(r"(?<![\w.])(\d+)(?![\w.])")
_HEADER_RE = re.compile(r"^\s*(\}\s*else\s+)?(if|elif|while|for)\b")
_LOOP_WORDS = re.compile(r"\b(for|while|range|if|elif|len|length|size)\b|\.\.")
_CALL2_RE = re.compile(r"\b([A-Za-z_][\w.:]*)\(\s*([\w.\"']+)\s*,\s*([\w.\"']+)\s*\)")
_DEF_WORDS = re.compile(r"^\s*(def|fn|pub|func|function|class|struct|impl|public|private|protected|static|"
                        r"template|#define|import|from|package|use|let|const|var|return)\b")


def _in_code(mask: list[bool], a: int, b: int) -> bool:
    return all(mask[a:b])


def _line_spans(text: str) -> Iterable[tuple[int, int, str]]:
    pos = 0
    for line in text.splitlines(keepends=True):
        yield pos, pos + len(line), line
        pos += len(line)


def _skip_line(line: str, lang: Language) -> bool:
    s = line.strip()
    return not s or s.startswith(lang.unmutated_line_prefixes)


def _comparison(text, mask, lang):
    for m in _CMP_RE.finditer(text):
        op = m.group(1)
        if op not in lang.comparison_operators:
            continue
        new = _CMP[op]
        if _in_code(mask, m.start(), m.end()):
            yield m.start(), m.end(), new, f"`{op}` became `{new}`"


def _arithmetic(text, mask, lang):
    for m in _ARITH_RE.finditer(text):
        op = m.group(1)
        if op not in lang.arithmetic_operators:
            continue
        new = _ARITH[op]
        if _in_code(mask, m.start(), m.end()):
            yield m.start(), m.end(), new, f"`{op}` became `{new}`"


def _off_by_one(text, mask, lang):
    for a, b, line in _line_spans(text):
        if _skip_line(line, lang) or not _LOOP_WORDS.search(line):
            continue
        for m in _INT_RE.finditer(line):
            s, e = a + m.start(), a + m.end()
            if not _in_code(mask, s, e):
                continue
            value = int(m.group(1))
            new = str(value + 1) if value == 0 else str(value - 1)
            yield s, e, new, f"bound `{value}` became `{new}`"
        if lang.inclusive_ranges:
            for m in re.finditer(r"(?<!\.)\.\.(=?)(?![.=])", line):
                s, e = a + m.start(), a + m.end()
                if _in_code(mask, s, e):
                    new = ".." if m.group(1) else "..="
                    yield s, e, new, f"range `{m.group()}` became `{new}`"


def _negate(text, mask, lang):
    for a, b, line in _line_spans(text):
        m = _HEADER_RE.match(line)
        if not m or m.group(2) == "for" or _skip_line(line, lang):
            continue
        keyword_end = a + m.end()
        if lang.indented_blocks:  # `if cond:` -> `if not (cond):`
            colon = line.rstrip().endswith(":")
            if not colon:
                continue
            cond_start = keyword_end + (len(line[m.end():]) - len(line[m.end():].lstrip()))
            cond_end = a + len(line.rstrip()) - 1
            cond = text[cond_start:cond_end]
            if not cond.strip() or not _in_code(mask, cond_end, cond_end + 1):
                continue
            new = cond[4:].strip() if cond.startswith("not ") and "(" not in cond[4:5] else f"not ({cond})"
            yield cond_start, cond_end, new, f"condition `{cond.strip()}` negated"
        elif not lang.parenthesized_conditions:  # `if cond {` -> `if !(cond) {`
            rest = line[m.end():].rstrip()
            if not rest.endswith("{") or rest.lstrip().startswith("let "):
                continue
            cond_start = keyword_end + (len(line[m.end():]) - len(line[m.end():].lstrip()))
            cond_end = a + len(line.rstrip()) - 1
            cond = text[cond_start:cond_end].rstrip()
            if not cond or ";" in cond:
                continue
            yield cond_start, cond_start + len(cond), f"!({cond})", f"condition `{cond}` negated"
        else:
            paren = text.find("(", keyword_end, b)
            if paren < 0 or not mask[paren]:
                continue
            close = closing_bracket(text, paren, mask, within=2000)
            if close is None or text.count("\n", paren, close) > 3:  # conditions longer than four lines: left alone
                continue
            cond = text[paren + 1:close]
            yield paren + 1, close, f"!({cond})", f"condition `{' '.join(cond.split())}` negated"


def _swap_arguments(text, mask, lang):
    for a, b, line in _line_spans(text):
        if _skip_line(line, lang) or re.match(r"^\s*(def|fn|func|function)\b", line):
            continue
        for m in _CALL2_RE.finditer(line):
            x, y = m.group(2), m.group(3)
            s = a + m.start()
            if x == y or not mask[s] or m.group(1) in ("if", "while", "for", "switch", "return", "catch"):
                continue
            # A definition's parameter list (`int f(a, b)` has types; the other languages start one with a keyword).
            before = line[:m.start()].strip()
            if lang.type_first_declarations and re.search(r"[\w>&*]\s*$", before) and not re.search(
                    r"(return|=|\(|,|\{|;|\?|:|<<|\+|-)\s*$", before) and before:
                continue
            start, end = a + m.start(2), a + m.end(3)
            yield start, end, f"{y}, {x}", f"arguments of `{m.group(1)}` swapped"


def _statement_lines(text: str, lang: Language) -> list[tuple[int, int, str]]:
    lines = list(_line_spans(text))
    out = []
    for idx, (a, b, line) in enumerate(lines):
        s = line.strip()
        if _skip_line(line, lang) or _DEF_WORDS.match(line) or s.startswith(("//", "/*", "*", "#")):
            continue
        if lang.indented_blocks:
            if s.endswith((":", ",", "(", "[", "{", "\\")) or s.startswith((")", "]", "}")) or "=" not in s and "(" not in s:
                continue
            if re.match(r"^(if|elif|else|for|while|try|except|finally|with|return|yield|raise|pass|break|continue)\b", s):
                continue
            indent = len(line) - len(line.lstrip())
            same = [ln for _, _, ln in lines[max(0, idx - 1):idx] + lines[idx + 1:idx + 2]
                    if ln.strip() and len(ln) - len(ln.lstrip()) == indent]
            if not same:  # the block would be left empty (or the line is alone in it)
                continue
        else:
            if not s.endswith(";") or "{" in s or "}" in s or s.startswith(("return", "break", "continue", "throw")):
                continue
            # Declarations are compile errors when deleted, not bugs: keep assignments and calls.
            if not re.search(r"(\+\+|--|[^=!<>]=[^=]|\w\()", s):
                continue
            if re.match(r"^(let|const|var|final|auto|int|long|double|float|char|bool|boolean|String|std::|"
                        r"size_t|unsigned|[A-Z]\w*(<.*>)?\s+\w+\s*=)", s) or ":=" in s:
                continue
        out.append((a, b, line))
    return out


def _delete_statement(text, mask, lang):
    for a, b, line in _statement_lines(text, lang):
        if mask[a + len(line) - len(line.lstrip())]:
            yield a, b, "", f"statement `{line.strip()}` deleted"


def _literal(text, mask, lang):
    for a, b, line in _line_spans(text):
        if _skip_line(line, lang) or _LOOP_WORDS.search(line) or re.match(r"^\s*(case|default)\b", line):
            continue
        for m in _INT_RE.finditer(line):
            s, e = a + m.start(), a + m.end()
            if not _in_code(mask, s, e):
                continue
            value = int(m.group(1))
            new = {0: "1", 1: "0"}.get(value, str(value + 1))
            yield s, e, new, f"literal `{value}` became `{new}`"
        true, false = lang.booleans
        for m in re.finditer(rf"\b({true}|{false})\b", line):
            s, e = a + m.start(), a + m.end()
            if _in_code(mask, s, e):
                new = false if m.group(1) == true else true
                yield s, e, new, f"literal `{m.group(1)}` became `{new}`"


_OPERATOR_FUNCS = {
    "comparison": _comparison,
    "arithmetic": _arithmetic,
    "off_by_one": _off_by_one,
    "negate_condition": _negate,
    "swap_arguments": _swap_arguments,
    "delete_statement": _delete_statement,
    "literal": _literal,
}


def enumerate_mutants(files: dict[str, str], language: str | Language,
                      operators: Iterable[str] = OPERATORS) -> list[Mutant]:
    """Every single-site mutant of ``files`` (path -> text), in operator, path and text order.

    Sites that give back the same text are dropped; so are duplicates (two operators, one result).
    """
    lang = get_language(language) if isinstance(language, str) else language
    out: list[Mutant] = []
    seen: set[tuple[str, str]] = set()
    for operator in operators:
        if operator not in _OPERATOR_FUNCS:
            raise ValueError(f"unknown mutation operator {operator!r}; known: {', '.join(OPERATORS)}")
        for path, text in files.items():
            mask = code_mask(text, lang)
            for start, end, new, description in _OPERATOR_FUNCS[operator](text, mask, lang):
                mutated = text[:start] + new + text[end:]
                if mutated == text or (path, mutated) in seen:
                    continue
                seen.add((path, mutated))
                out.append(Mutant(path, operator, text.count("\n", 0, start) + 1, description, text, mutated))
    return out


def select_mutants(mutants: list[Mutant], n: int, seed: int, key: str = "") -> list[Mutant]:
    """Up to ``n`` mutants, balanced across operators (:func:`select_balanced`)."""
    return select_balanced(mutants, lambda m: m.operator, OPERATORS, n, seed, key, "operators", lambda op: (op,))
