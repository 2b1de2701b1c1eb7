"""The cross-language mapper (the seed's ``CrossLanguageProblemMapper``): transfer pairs and a language
compatibility matrix.

For every slug present in two or more languages, every directed (source, target) pair is listed. The
matrix gives, per directed language pair, the number of shared slugs and the mean **similarity** of the
two reference solutions over those slugs:

    similarity(a, b) = |T(a) ∩ T(b)| / |T(a) ∪ T(b)|        (Jaccard index of token sets)

where ``T`` is the set of word tokens of a solution's reference files with comments and string literals
masked out, each identifier split at ``snake_case`` and ``camelCase`` boundaries and lower-cased
(``clampAll``, ``clamp_all`` and ``ClampAll`` all give ``{clamp, all}``), and numbers kept. It is
symmetric, in [0, 1], and measures shared vocabulary (names, keywords, library calls), not semantics:
Java and C++ score high with each other through keywords, Python and Rust lower. Use it to order or
weight pairs, not as a correctness measure.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from statistics import mean
from typing import Any, Sequence

from ..benchmark import CrossLanguageIndex, Problem
from ..outputs import atomic_write_text
from ..synthesis.examples import solved_files
from ..synthesis.mutation import code_mask

__all__ = ["crosslang_report", "jaccard", "similarity", "solution_tokens", "write_crosslang"]

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def solution_tokens(problem: Problem) -> set[str]:
    tokens: set[str] = set()
    for path, text in solved_files(problem).items():
        if not text:
            continue
        mask = code_mask(text, problem.language)
        code = "".join(c if m else " " for c, m in zip(text, mask))
        for word in _WORD.findall(code):
            for part in word.split("_"):
                tokens.update(p.lower() for p in _CAMEL.findall(part))
    return tokens


def jaccard(ta: set[str], tb: set[str]) -> float:
    return len(ta & tb) / len(ta | tb) if ta | tb else 0.0


def similarity(a: Problem, b: Problem) -> float:
    return jaccard(solution_tokens(a), solution_tokens(b))


def crosslang_report(problems: Sequence[Problem]) -> dict[str, Any]:
    """``{"pairs": [...], "matrix": {...}, "languages": [...]}`` (see the module docstring)."""
    index = CrossLanguageIndex.from_problems(problems)
    by_id = {p.id: p for p in problems}
    tokens = {p.id: solution_tokens(p) for p in problems}
    pairs, per_pair = [], {}
    for slug, a, b in index.directed_pairs():
        s = round(jaccard(tokens[f"{a}/{slug}"], tokens[f"{b}/{slug}"]), 4)
        pairs.append({"slug": slug, "source": a, "target": b, "source_id": f"{a}/{slug}",
                      "target_id": f"{b}/{slug}", "similarity": s})
        per_pair.setdefault((a, b), []).append(s)
    matrix = {a: {b: {"shared_slugs": len(per_pair.get((a, b), [])),
                      "mean_similarity": round(mean(per_pair[(a, b)]), 4) if per_pair.get((a, b)) else None}
                  for b in index.languages if b != a} for a in index.languages}
    assert all(p in by_id for p in (x["source_id"] for x in pairs))
    return {"languages": index.languages, "problems_per_language": index.problems_per_language(),
            "similarity": "Jaccard index of identifier-token sets of the reference solutions (see "
                          "polyglot_hrm.dataset.crosslang)",
            "matrix": matrix, "pairs": pairs}


def write_crosslang(problems: Sequence[Problem], output: str | Path) -> dict[str, Any]:
    report = crosslang_report(problems)
    atomic_write_text(output, json.dumps(report, indent=1))
    return report
