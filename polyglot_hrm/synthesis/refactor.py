"""Behaviour-preserving refactorings of a reference solution: the raw material of ``refactor`` examples.

A refactoring is the reference with one transformation applied that should leave every test passing:

* ``rename_local``: a local variable declared in a function renamed everywhere in that function, to a
  clearer name (``n`` -> ``count``) or, failing one, a longer one (``total`` -> ``total_value``), in the
  language's case; code only (strings and comments are masked), never a member access (``.name``) or a
  keyword argument (``f(name=...)``);
* ``extract_function``: the body of a top-level function (a method in Java) moved into a new private
  helper with the same header and parameters (``count`` -> ``count_impl``), the function delegating to it;
* ``inline_temp``: a local assigned once and read once afterwards replaced by its value (in parentheses
  unless it is a name, a call or a literal), its declaration deleted; never across a loop header, nor when
  something the value reads is assigned or has a method called on it in between;
* ``for_each``: an index loop whose body uses the index only to read the sequence (``xs[i]``, ``xs.get(i)``)
  and uses the sequence only that way becomes the language's for-each loop over the elements (the index
  loops and the for-each form are the language's: ``Language.index_loops``, ``Language.foreach_header``);
* ``no_else_return`` (languages with indented blocks: Python): the ``else:`` after an ``if`` branch that
  ends in ``return`` or ``raise`` removed, its body dedented one level;
* ``tail_expression`` (languages whose blocks end in their value: Rust, ``Language.tail_expressions``):
  the ``return x;`` that ends a function becomes its tail expression ``x``;
* ``idiom``: one of the language's own one-line rewrites (``Language.idioms``: Rust's ``for x in v.iter()``
  -> ``for x in &v``).

Every language gets the first three; which of the last four fire depends on what its references hold
(the polyglot benchmark's Python and Rust references have no index loops, but else-after-return and
trailing returns).

What the code of a language looks like, how it declares locals, names things, writes a helper's header,
forwards parameters and returns a call's value, and which index loops it has, comes from its
:class:`~polyglot_hrm.languages.Language` (the "refactoring" attributes); nothing here names a language.
These are syntactic transformations, so a few of them do not build or change behaviour (an f-string that
reads the renamed local, an element that cannot be copied): the dataset keeps a refactoring only when the
refactored reference still passes every test, run like the bug-fix mutants (:mod:`polyglot_hrm.dataset.rows`).
Everything is deterministic: :func:`enumerate_refactorings` lists every site in kind, path and text order;
:func:`select_refactorings` picks a seeded, kind-balanced subset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

from ..languages import Language, get_language
from ..languages.lexer import closing_bracket, code_mask
from ..seeded import select_balanced
from .functions import Function, find_functions

__all__ = ["REFACTORINGS", "Refactoring", "enumerate_refactorings", "select_refactorings"]

REFACTORINGS = ("rename_local", "extract_function", "inline_temp", "for_each", "no_else_return", "tail_expression",
                "idiom")

#: Clearer names for the short ones references use; other names get a suffix (see :func:`_new_names`).
_CLEARER = {
    "i": "index", "j": "inner_index", "k": "key", "n": "count", "m": "size", "s": "text", "c": "character",
    "ch": "character", "x": "value", "v": "value", "res": "result", "ret": "result", "acc": "total",
    "tmp": "temp", "idx": "index", "cnt": "count", "num": "number", "str": "text", "arr": "values",
    "lst": "items", "l": "items", "d": "mapping", "buf": "buffer", "msg": "message", "err": "error",
    "p": "position", "pos": "position", "len": "length", "sz": "size", "q": "queue", "w": "word",
    "r": "row", "col": "column", "sb": "builder", "ans": "answer", "out": "output", "t": "current",
    "result": "outcome", "results": "outcomes", "chars": "characters", "count": "total_count",
    "total": "running_total", "word": "current_word", "words": "word_list", "line": "current_line",
    "lines": "line_list", "rows": "row_list", "parts": "pieces", "value": "current_value", "values": "value_list",
}
_ASSIGN_OP = r"(?:[+\-*/%|&^]|<<|>>|\?\?|\|\||&&)?=(?!=)"
_ASSIGNED_AFTER = re.compile(rf"\s*{_ASSIGN_OP}|\s*(?:\+\+|--)")
_ATOM = re.compile(r"[\w.$]+(\([^()]*\))?|\"[^\"\\]*\"|'[^'\\]*'|-?\d+(\.\d+)?")
_LOOP_HEADER = re.compile(r"^\s*(\}\s*)?(for|while|loop|do)\b")


@dataclass(frozen=True)
class Refactoring:
    """The file at ``path`` with one refactoring of ``kind`` applied at 1-based ``line`` to ``target``
    (a variable, a function or a sequence); ``description`` says what to do, as an instruction would."""

    path: str
    kind: str
    line: int
    target: str
    description: str
    original: str  # the whole file before
    refactored: str  # the whole file after


# ---------------------------------------------------------------------------------------------
# shared helpers


@dataclass
class _Source:
    """One file with what every refactoring needs: its lines and their offsets, its code mask, its functions."""

    path: str
    text: str
    lang: Language
    taken: frozenset[str]  # every word of every editable file: a new name must be none of them

    def __post_init__(self) -> None:
        self.lines = self.text.splitlines(keepends=True)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))
        self.mask = code_mask(self.text, self.lang)
        found = find_functions(self.text, self.lang) if self.lang.function_header is not None else []
        #: (function, index of the line that opens its body), for the definitions whose body is where it seems.
        self.functions = [(fn, body) for fn in found if (body := _body_open(self, fn)) is not None]

    def offset(self, line: int) -> int:
        return self.starts[min(line, len(self.lines))]

    def line_of(self, offset: int) -> int:
        return self.text.count("\n", 0, offset)

    def has_comment(self, a: int, b: int) -> bool:
        """Whether a comment starts in ``[a, b)``."""
        lang = self.lang
        starts = [lang.line_comment] + ([lang.block_comment[0]] if lang.block_comment else [])
        return any(not self.mask[k] and (k == 0 or self.mask[k - 1]) and self.text.startswith(tuple(starts), k)
                   for k in range(a, min(b, len(self.text))))


def _sites(src: _Source, name: str, a: int, b: int) -> list[int]:
    """Offsets in ``[a, b)`` where the code reads or writes the variable ``name``: whole words, not
    members (``.name``, ``->name``, ``::name``), not keyword arguments where the language has them."""
    out = []
    text = src.text
    for m in re.finditer(rf"(?<![\w$]){re.escape(name)}(?![\w$])", text[a:b]):
        s = a + m.start()
        if not src.mask[s]:
            continue
        before = text[max(0, s - 2):s]
        if (before.endswith(".") and before != "..") or before in ("->", "::"):  # `0..n`, `...rest` are reads
            continue
        if src.lang.keyword_arguments and re.match(r"\s*=(?!=)", text[s + len(name):]) and \
                re.search(r"[(,]\s*$", text[max(0, s - 200):s]):
            continue
        out.append(s)
    return out


def _mentions(src: _Source, name: str, a: int, b: int) -> bool:
    """Whether the code in ``[a, b)`` names ``name`` at all (a parameter with a default value included)."""
    return any(src.mask[a + m.start()] for m in re.finditer(rf"(?<![\w$]){re.escape(name)}(?![\w$])", src.text[a:b]))


def _new_names(name: str, lang: Language) -> Iterator[str]:
    """Names to rename ``name`` to, best first."""
    clearer = _CLEARER.get(name)
    if clearer:
        yield lang.new_name(*clearer.split("_"))
    yield lang.new_name(name, "value")
    yield lang.new_name("local", name)


def _singular(word: str) -> str:
    """``word`` made singular when it looks like an English plural, else ""."""
    if len(word) <= 3 or not word.endswith("s") or word.endswith("ss"):
        return ""
    if word.endswith("ies"):
        return word[:-3] + "y"
    return word[:-2] if word.endswith(("ses", "xes", "ches", "shes")) else word[:-1]


def _free_name(candidates: Iterable[str], src: _Source) -> str | None:
    for candidate in candidates:
        if candidate and candidate not in src.taken and candidate not in src.lang.reserved_words:
            return candidate
    return None


def _body_open(src: _Source, fn: Function) -> int | None:
    """Index of the line that ends the function's header (its ``{`` or ``:``)."""
    for j in range(fn.header_line, min(fn.header_line + 6, len(src.lines))):
        stripped = src.lines[j].rstrip()
        if j > fn.header_line and (src.lang.function_header.match(src.lines[j]) or "}" in stripped):
            return None  # a one-line definition: the `{` found below it opens the next one
        end = src.offset(j) + len(stripped) - 1
        if src.lang.indented_blocks and stripped.endswith(":") and src.mask[end]:
            return j
        if not src.lang.indented_blocks and stripped.endswith("{") and src.mask[end]:
            return j
    return None


def _outermost(functions: list[tuple[Function, int]]) -> list[tuple[Function, int]]:
    """Functions not nested in another (a local's scope is its outermost enclosing function)."""
    out: list[tuple[Function, int]] = []
    for fn, body in functions:
        if not any(o.header_line < fn.header_line < o.end for o, _ in out):
            out.append((fn, body))
    return out


def _block_end(src: _Source, header: int) -> int | None:
    """The first line after the block that line ``header`` opens (for braces: the line after its ``}``)."""
    if src.lang.indented_blocks:
        indent = len(src.lines[header]) - len(src.lines[header].lstrip())
        end = header + 1
        for k in range(header + 1, len(src.lines)):
            line = src.lines[k]
            if line.strip() and len(line) - len(line.lstrip()) <= indent:
                break
            if line.strip():
                end = k + 1
        return end if end > header + 1 else None
    stripped = src.lines[header].rstrip()
    close = closing_bracket(src.text, src.offset(header) + len(stripped) - 1, src.mask)
    return None if close is None else src.line_of(close) + 1


# ---------------------------------------------------------------------------------------------
# the refactorings: each yields Refactoring objects for one file


def _rename_local(src: _Source) -> Iterator[Refactoring]:
    lang = src.lang
    if lang.local_declaration is None:
        return
    for fn, body in _outermost(src.functions):
        a, header_end, b = src.offset(fn.header_line), src.offset(body + 1), src.offset(fn.end)
        if re.search(r"\b(global|nonlocal)\b", src.text[a:b]):
            continue
        declared: dict[str, int] = {}
        for k in range(body + 1, fn.end):
            m = lang.local_declaration.match(src.lines[k].strip())
            name = m.group("name") if m else ""
            if re.fullmatch(r"[a-z][A-Za-z0-9_]*", name) and name not in lang.reserved_words:
                declared.setdefault(name, k)
        for name, line in declared.items():
            if _mentions(src, name, a, header_end) or _in_interpolation(src, name, a, b):
                continue  # a parameter (`seen=None` too), not a local; or read where a rename cannot reach
            sites = _sites(src, name, header_end, b)
            new = _free_name(_new_names(name, lang), src)
            if new is None or len(sites) < 2:  # a local never read is not worth a row
                continue
            text = src.text
            for s in reversed(sites):
                text = text[:s] + new + text[s + len(name):]
            yield Refactoring(src.path, "rename_local", line + 1, name,
                              f"rename the local variable `{name}` in `{fn.name}` to `{new}`", src.text, text)


def _extract_function(src: _Source) -> Iterator[Refactoring]:
    lang = src.lang
    for fn, body in src.functions:
        last = fn.end if lang.indented_blocks else fn.end - 1  # the closing `}` line, kept in both
        if not lang.indented_blocks and (last <= body or src.lines[last].strip() not in ("}", "};")):
            continue
        doc = _docstring_end(src, body + 1, last)
        inner = src.lines[doc:last]  # a docstring stays with the function it documents
        if sum(1 for line in inner if line.strip()) < 2:
            continue
        header = "".join(src.lines[fn.header_line:body + 1])
        m = re.search(rf"\b{re.escape(fn.name)}\s*(?:<[^(]*>)?\s*(?:=\s*(?:async\s+)?)?\(", header)
        if not m:
            continue
        close = closing_bracket(header, m.end() - 1)
        if close is None:
            continue
        args = lang.parameter_names(header[m.end():close])
        helper = lang.helper_name(fn.name)
        helper_header = lang.helper_header(header, fn.name, helper) if args is not None else None
        if helper_header is None or helper in src.taken or helper in lang.reserved_words:
            continue
        indent = next(line[:len(line) - len(line.lstrip())] for line in inner if line.strip())
        closing = "".join(src.lines[last:fn.end]) if not lang.indented_blocks else ""
        call = f"{helper}({', '.join(args)})"
        delegate = f"{indent}{lang.delegate(call, lang.returns_value(header))}\n"
        gap = "\n\n" if lang.indented_blocks else "\n"
        helper_text = helper_header + "".join(inner) + closing + gap
        lines = src.lines
        text = "".join(lines[:fn.start]) + helper_text + "".join(lines[fn.start:doc]) + delegate + \
            closing + "".join(lines[fn.end:])
        yield Refactoring(src.path, "extract_function", fn.header_line + 1, fn.name,
                          f"extract the body of `{fn.name}` into a new helper function `{helper}` with the same "
                          f"parameters, and make `{fn.name}` call it", src.text, text)


def _docstring_end(src: _Source, first: int, last: int) -> int:
    """The first line after a docstring that opens the body at line ``first`` (a string on its own that
    starts the body, as Python writes them); ``first`` when there is none."""
    k = next((j for j in range(first, last) if src.lines[j].strip()), None)
    if k is None or not src.lang.indented_blocks:
        return first
    start = src.offset(k) + _indent(src.lines[k])
    quote = next((q for q in src.lang.multiline_strings if src.text.startswith(q, start)), None)
    if quote is None:
        return first
    end = src.text.find(quote, start + len(quote))
    return first if end < 0 else src.line_of(end) + 1


def _statement_starts(src: _Source, k: int) -> bool:
    """Whether line ``k`` starts a statement (the line above does not continue into it)."""
    prev = next((src.lines[j].strip() for j in range(k - 1, -1, -1) if src.lines[j].strip()), "")
    if src.lang.indented_blocks:
        return not prev.endswith(("\\", ",", "(", "[", "{", "+", "-", "*", "/", "and", "or"))
    return not prev or prev.endswith((";", "{", "}", ":")) or prev.startswith(("//", "/*", "*", "#"))


def _balanced(text: str) -> bool:
    return all(text.count(a) == text.count(b) for a, b in ("()", "[]", "{}"))


def _inline_temp(src: _Source) -> Iterator[Refactoring]:
    lang = src.lang
    if lang.local_declaration is None:
        return
    for fn, body in _outermost(src.functions):
        header_end, b = src.offset(body + 1), src.offset(fn.end)
        if re.search(r"\b(global|nonlocal)\b", src.text[header_end:b]):
            continue
        for k in range(body + 1, fn.end):
            line = src.lines[k]
            stripped = line.strip()
            m = lang.local_declaration.match(stripped)
            if not m or m.groupdict().get("mutable") or not _statement_starts(src, k):
                continue
            name, value = m.group("name"), m.group("value").strip()
            a = src.offset(k)
            if not _balanced(value) or src.has_comment(a, a + len(line)) or not src.mask[a + _indent(line)]:
                continue
            sites = _sites(src, name, header_end, b)
            if len(sites) != 2 or src.line_of(sites[0]) != k or src.line_of(sites[1]) <= k:
                continue
            use = sites[1]
            u = src.line_of(use)
            if _ASSIGNED_AFTER.match(src.text[use + len(name):]) or src.text[max(0, use - 2):use] in ("++", "--"):
                continue
            between = "".join(src.lines[k + 1:u])
            if any(_LOOP_HEADER.match(x) for x in src.lines[k + 1:u + 1]):
                continue  # the value would be computed on every iteration
            # Whatever the value reads (but the functions it calls) must not even be mentioned in between: it
            # could be assigned, mutated, freed or moved there, and the value read later would differ.
            idents = {i for i in re.findall(r"(?<![\w.$])([A-Za-z_$][\w$]*)(?!\s*\()", value)
                      if i not in lang.reserved_words}
            if any(re.search(rf"(?<![\w$]){re.escape(i)}(?![\w$])", between) for i in idents):
                continue
            replacement = value if _ATOM.fullmatch(value) or _whole_expression(src, use, name, value) else f"({value})"
            text = src.text[:use] + replacement + src.text[use + len(name):]
            text = text[:a] + text[a + len(line):]
            yield Refactoring(src.path, "inline_temp", k + 1, name,
                              f"inline the temporary variable `{name}` in `{fn.name}`: use its value where it is "
                              f"read and delete its declaration", src.text, text)


def _top_level_comma(value: str) -> bool:
    depth = 0
    for c in value:
        depth += 1 if c in "([{" else -1 if c in ")]}" else 0
        if c == "," and depth == 0:
            return True
    return False


def _whole_expression(src: _Source, at: int, name: str, value: str) -> bool:
    """Whether the use at ``at`` is a whole expression (``return x;``, ``f(x)``, ``y = x;``, a tail ``x``), so
    the value needs no parentheses there."""
    if _top_level_comma(value):
        return False
    k = src.line_of(at)
    line, col = src.lines[k], at - src.offset(k)
    before, after = line[:col].strip(), line[col + len(name):].strip()
    ends = (src.lang.statement_end, "")
    if after in ends and (before in ("return", "") or re.search(r"(^|[^=!<>+\-*/%&|^])=$", before)):
        return True
    return before.endswith(("(", ",")) and after.startswith((")", ","))


def _in_interpolation(src: _Source, name: str, a: int, b: int) -> bool:
    """Whether ``name`` is read inside a string's interpolation (``f"{name}"``, `` `${name}` ``) in ``[a, b)``:
    the mask hides it from a rename, which would then leave it behind."""
    for m in re.finditer(rf"(?<![\w$]){re.escape(name)}(?![\w$])", src.text[a:b]):
        s = a + m.start()
        if not src.mask[s] and "{" in src.text[max(a, s - 40):s].split("\n")[-1]:
            return True
    return False


def _for_each(src: _Source) -> Iterator[Refactoring]:
    lang = src.lang
    if not lang.index_loops or not lang.foreach_header:
        return
    for k, line in enumerate(src.lines):
        stripped = line.strip()
        for pattern, access in lang.index_loops:
            m = pattern.match(stripped)
            if not m or not src.mask[src.offset(k) + len(line) - len(line.lstrip())]:
                continue
            end = _block_end(src, k)
            if end is None:
                continue
            index, seq = m.group("index"), m.group("seq")
            last = end if lang.indented_blocks else end - 1  # a brace body ends before its `}` line
            a, b = src.offset(k + 1), src.offset(last)
            if not lang.indented_blocks:
                close = src.text.rfind("}", a, src.offset(end))
                b = close if close >= a else b
            reads = access.format(seq=seq, index=index)
            found = [a + i.start() for i in re.finditer(re.escape(reads), src.text[a:b]) if src.mask[a + i.start()]]
            uses_index = _sites(src, index, a, b)
            uses_seq = _sites(src, seq.split(".")[0], a, b)
            if not found or len(uses_index) != len(found) or len(uses_seq) != len(found):
                continue
            if any(_ASSIGNED_AFTER.match(src.text[s + len(reads):]) or src.text[max(0, s - 2):s] in ("++", "--")
                   for s in found):
                continue
            singular = _singular(seq.split(".")[-1])
            item = _free_name([singular, "item", "element", lang.new_name("current", "item")], src)
            if item is None:
                continue
            body = src.text[a:b].replace(reads, lang.foreach_item.format(item=item))
            indent = line[:len(line) - len(line.lstrip())]
            header = indent + lang.foreach_header.format(item=item, seq=seq) + "\n"
            text = src.text[:src.offset(k)] + header + body + src.text[b:]
            yield Refactoring(src.path, "for_each", k + 1, seq,
                              f"replace the index loop over `{seq}` with a for-each loop over its elements "
                              f"(`{item}`)", src.text, text)
            break


def _enclosing(src: _Source, line: int) -> str:
    names = [fn.name for fn, _ in src.functions if fn.header_line <= line < fn.end]
    return names[-1] if names else ""


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _no_else_return(src: _Source) -> Iterator[Refactoring]:
    if not src.lang.indented_blocks:
        return
    lines = src.lines
    for k, line in enumerate(lines):
        if line.strip() != "else:" or not src.mask[src.offset(k) + _indent(line)]:
            continue
        level = _indent(line)
        above = [j for j in range(k) if lines[j].strip()]
        last = above[-1] if above else None
        header = next((j for j in reversed(above) if _indent(lines[j]) <= level), None)
        if last is None or header is None or _indent(lines[header]) != level:
            continue
        # Only `if` (an `elif` chain would need every branch to return; `for`/`while`/`try` else mean otherwise).
        if not lines[header].strip().startswith("if ") or not re.match(r"(return|raise)\b", lines[last].strip()):
            continue
        branch = next(j for j in range(header + 1, k) if lines[j].strip())
        if _indent(lines[last]) != _indent(lines[branch]):
            continue  # the return sits in a nested block: the branch may end without it
        end = _block_end(src, k)
        if end is None:
            continue
        block = lines[k + 1:end]
        depth = _indent(next(x for x in block if x.strip())) - level
        odd = [x for i, x in enumerate(block)
               if x.strip() and (_indent(x) < level + depth or not src.mask[src.offset(k + 1 + i) + _indent(x)])]
        if depth <= 0 or odd:
            continue  # a line inside a multi-line string, or an odd indentation
        dedented = [x[depth:] if x.strip() else x for x in block]
        text = "".join(lines[:k] + dedented + lines[end:])
        where = _enclosing(src, k)
        yield Refactoring(src.path, "no_else_return", k + 1, where,
                          f"remove the `else` that follows an `if` branch ending in `{lines[last].split()[0]}`"
                          f"{f' in `{where}`' if where else ''} (line {k + 1}), dedenting its body", src.text, text)


def _tail_expression(src: _Source) -> Iterator[Refactoring]:
    if not src.lang.tail_expressions:
        return
    for fn, body in src.functions:
        closing = fn.end - 1
        if closing <= body or src.lines[closing].strip() != "}":
            continue
        k = next((j for j in range(closing - 1, body, -1) if src.lines[j].strip()), None)
        if k is None:
            continue
        line = src.lines[k]
        m = re.fullmatch(r"return\s+(.+);", line.strip())
        if not m or not src.mask[src.offset(k) + _indent(line)] or not _statement_starts(src, k) \
                or src.has_comment(src.offset(k), src.offset(k + 1)):
            continue
        text = "".join(src.lines[:k]) + line[:_indent(line)] + m.group(1) + "\n" + "".join(src.lines[k + 1:])
        yield Refactoring(src.path, "tail_expression", k + 1, fn.name,
                          f"replace the `return` statement that ends `{fn.name}` with a tail expression",
                          src.text, text)


def _idiom(src: _Source) -> Iterator[Refactoring]:
    for description, pattern, replacement in src.lang.idioms:
        for k, line in enumerate(src.lines):
            m = pattern.match(line.rstrip("\n"))
            if not m or not src.mask[src.offset(k) + _indent(line)]:
                continue
            new = m.expand(replacement) + line[len(line.rstrip("\n")):]
            where = _enclosing(src, k)
            text = "".join(src.lines[:k]) + new + "".join(src.lines[k + 1:])
            place = f" in `{where}`" if where else ""
            yield Refactoring(src.path, "idiom", k + 1, where, f"{m.expand(description)}{place} (line {k + 1})",
                              src.text, text)


_KIND_FUNCS: dict[str, Callable[[_Source], Iterator[Refactoring]]] = {
    "rename_local": _rename_local,
    "extract_function": _extract_function,
    "inline_temp": _inline_temp,
    "for_each": _for_each,
    "no_else_return": _no_else_return,
    "tail_expression": _tail_expression,
    "idiom": _idiom,
}


def enumerate_refactorings(files: dict[str, str], language: str | Language,
                           kinds: Iterable[str] = REFACTORINGS) -> list[Refactoring]:
    """Every single refactoring of ``files`` (path -> text), in kind, path and text order. One that gives
    back the same text is dropped; so are duplicates (two sites, one result)."""
    lang = get_language(language) if isinstance(language, str) else language
    taken = frozenset(w for text in files.values() for w in re.findall(r"[\w$]+", text))
    sources = [_Source(path, text, lang, taken) for path, text in files.items()
               if path.lower().endswith(lang.source_suffixes) and text.strip()]
    out: list[Refactoring] = []
    seen: set[tuple[str, str]] = set()
    for kind in kinds:
        if kind not in _KIND_FUNCS:
            raise ValueError(f"unknown refactoring {kind!r}; known: {', '.join(REFACTORINGS)}")
        for src in sources:
            for r in _KIND_FUNCS[kind](src):
                if r.refactored == r.original or (r.path, r.refactored) in seen:
                    continue
                seen.add((r.path, r.refactored))
                out.append(r)
    return out


def select_refactorings(refactorings: list[Refactoring], n: int, seed: int, key: str = "") -> list[Refactoring]:
    """Up to ``n`` refactorings, balanced across kinds (:func:`polyglot_hrm.seeded.select_balanced`)."""
    return select_balanced(refactorings, lambda r: r.kind, REFACTORINGS, n, seed, key, "refactorings",
                           lambda kind: ("refactoring", kind))
