"""Concept and construct tags of a solution, and what two solutions of one exercise share or differ in.

The vocabularies and what each tag means are in :mod:`polyglot_hrm.languages.concepts`; each language
module gives one regular expression per tag (``Language.concept_patterns``, ``construct_patterns``).
Patterns are matched, with ``re.MULTILINE``, against the solution's code with comments, string and
character literals blanked out (:func:`polyglot_hrm.languages.lexer.masked_code`), so ``"for"`` inside a
string or a comment is no loop. ``recursion`` is found in every language the same way: a function
(``find_functions``) whose body names itself followed by ``(``.

A transfer example (source solution -> target solution) carries

* ``shared_concepts``: the concepts found in both solutions (:func:`shared_concepts`);
* ``language_challenges``: the constructs found in the target and not in the source
  (:func:`language_challenges`): what the translation has to add, e.g. ``static_types``, ``classes``
  and ``exceptions`` from Python's ``digit-sum`` to Java's.

Tags come back as lists in the vocabulary's order, so rows are deterministic.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Mapping

from ..languages import get_language
from ..languages.concepts import CONCEPTS, CONSTRUCTS
from ..languages.lexer import masked_code
from .functions import find_functions

__all__ = ["concepts", "constructs", "language_challenges", "shared_concepts"]


@lru_cache(maxsize=None)
def _compiled(language: str, kind: str) -> dict[str, re.Pattern]:
    patterns = getattr(get_language(language), f"{kind}_patterns")
    return {tag: re.compile(pattern, re.MULTILINE) for tag, pattern in patterns.items()}


def _recursive(text: str, language: str) -> bool:
    lines = text.splitlines()
    for fn in find_functions(text, language):
        body = "\n".join(lines[fn.header_line + 1:fn.end])
        if re.search(rf"(?<![\w.]){re.escape(fn.name)}\s*\(", body):
            return True
    return False


def _tags(files: Mapping[str, str], language: str, kind: str) -> set[str]:
    found: set[str] = set()
    patterns = _compiled(language, kind)
    for text in files.values():
        if not text:
            continue
        code = masked_code(text, language)
        found.update(tag for tag, pattern in patterns.items() if pattern.search(code))
        if kind == "concept" and _recursive(code, language):
            found.add("recursion")
    return found


def concepts(files: Mapping[str, str], language: str) -> list[str]:
    """Concept tags (:data:`~polyglot_hrm.languages.concepts.CONCEPTS`) found in ``{path: content}``."""
    found = _tags(files, language, "concept")
    return [tag for tag in CONCEPTS if tag in found]


def constructs(files: Mapping[str, str], language: str) -> list[str]:
    """Construct tags (:data:`~polyglot_hrm.languages.concepts.CONSTRUCTS`) found in ``{path: content}``."""
    found = _tags(files, language, "construct")
    return [tag for tag in CONSTRUCTS if tag in found]


def shared_concepts(source: Mapping[str, str], source_language: str, target: Mapping[str, str],
                    target_language: str) -> list[str]:
    """Concepts found in both solutions."""
    theirs = set(concepts(target, target_language))
    return [tag for tag in concepts(source, source_language) if tag in theirs]


def language_challenges(source: Mapping[str, str], source_language: str, target: Mapping[str, str],
                        target_language: str) -> list[str]:
    """Constructs the target solution uses and the source solution does not."""
    mine = set(constructs(source, source_language))
    return [tag for tag in constructs(target, target_language) if tag not in mine]
