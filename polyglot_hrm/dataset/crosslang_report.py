"""The cross-language report behind ``polyglot-hrm crosslang`` and the seed's ``CrossLanguageProblemMapper``
(:mod:`.cross_language_mapper`): transfer pairs, a language compatibility matrix, the difficulty distribution
and the language-specific challenges.

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

Each pair also lists its ``shared_concepts`` (concept tags found in both references) and
``language_challenges`` (construct tags the target's reference uses and the source's does not), as the
transfer rows do (:mod:`polyglot_hrm.synthesis.concepts`; the tags are documented in
:mod:`polyglot_hrm.languages.concepts`). ``language_challenges`` in the report's top level counts, per
directed language pair, on how many shared slugs the target needs each construct. ``difficulty_distribution``
gives, per language, the problems per curriculum bucket (``easy``/``medium``/``hard``: complexity tertiles
within the language, :func:`~polyglot_hrm.problems.complexity.difficulty_buckets`) and the mean, lowest and highest
complexity score.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from statistics import mean
from typing import Any, Sequence

from ..problems import CrossLanguageIndex, Problem, difficulty_buckets
from ..languages.concepts import CONSTRUCTS
from ..languages.lexer import masked_code
from ..outputs import atomic_write_text
from ..tables import format_table
from ..synthesis.concepts import concepts, constructs
from ..synthesis.examples import solved_files

__all__ = ["challenges_table", "crosslang_report", "difficulty_distribution", "difficulty_table", "jaccard",
           "similarity", "solution_tokens", "write_crosslang"]

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def solution_tokens(problem: Problem) -> set[str]:
    tokens: set[str] = set()
    for path, text in solved_files(problem).items():
        if not text:
            continue
        for word in _WORD.findall(masked_code(text, problem.language)):
            for part in word.split("_"):
                tokens.update(p.lower() for p in _CAMEL.findall(part))
    return tokens


def jaccard(ta: set[str], tb: set[str]) -> float:
    return len(ta & tb) / len(ta | tb) if ta | tb else 0.0


def similarity(a: Problem, b: Problem) -> float:
    return jaccard(solution_tokens(a), solution_tokens(b))


def difficulty_distribution(problems: Sequence[Problem]) -> dict[str, dict[str, Any]]:
    """Per language: problems per difficulty bucket and the mean/min/max complexity score."""
    buckets = difficulty_buckets(problems)
    out: dict[str, dict[str, Any]] = {}
    for language in CrossLanguageIndex.from_problems(problems).languages:
        mine = [p for p in problems if p.language == language]
        scores = [p.metadata.complexity for p in mine]
        counts = Counter(buckets[p.id] for p in mine)
        out[language] = {**{b: counts.get(b, 0) for b in ("easy", "medium", "hard")}, "problems": len(mine),
                         "mean_complexity": round(mean(scores), 4), "min_complexity": round(min(scores), 4),
                         "max_complexity": round(max(scores), 4)}
    return out


def crosslang_report(problems: Sequence[Problem]) -> dict[str, Any]:
    """``{"languages", "problems_per_language", "matrix", "difficulty_distribution", "language_challenges",
    "pairs"}`` (see the module docstring)."""
    index = CrossLanguageIndex.from_problems(problems)
    by_id = {p.id: p for p in problems}
    tokens = {p.id: solution_tokens(p) for p in problems}
    solved = {p.id: solved_files(p) for p in problems}
    found = {p.id: (set(concepts(solved[p.id], p.language)), constructs(solved[p.id], p.language)) for p in problems}
    pairs, per_pair = [], {}
    challenges: dict[tuple[str, str], Counter] = {}
    for slug, a, b in index.directed_pairs():
        source, target = f"{a}/{slug}", f"{b}/{slug}"
        s = round(jaccard(tokens[source], tokens[target]), 4)
        # The same tags as the transfer rows (synthesis.concepts), from tags computed once per problem.
        shared = [t for t in concepts(solved[source], a) if t in found[target][0]]
        needs = [t for t in found[target][1] if t not in found[source][1]]
        pairs.append({"slug": slug, "source": a, "target": b, "source_id": source, "target_id": target,
                      "similarity": s, "shared_concepts": shared, "language_challenges": needs})
        per_pair.setdefault((a, b), []).append(s)
        challenges.setdefault((a, b), Counter()).update(needs)
    matrix = {a: {b: {"shared_slugs": len(per_pair.get((a, b), [])),
                      "mean_similarity": round(mean(per_pair[(a, b)]), 4) if per_pair.get((a, b)) else None}
                  for b in index.languages if b != a} for a in index.languages}
    assert all(p in by_id for p in (x["source_id"] for x in pairs))
    return {"languages": index.languages, "problems_per_language": index.problems_per_language(),
            "similarity": "Jaccard index of identifier-token sets of the reference solutions (see "
                          "polyglot_hrm.dataset.crosslang_report)",
            "matrix": matrix, "difficulty_distribution": difficulty_distribution(problems),
            "language_challenges": {a: {b: {t: challenges[(a, b)][t] for t in CONSTRUCTS if challenges[(a, b)][t]}
                                        for b in index.languages if (a, b) in challenges}
                                    for a in index.languages},
            "pairs": pairs}


def write_crosslang(problems: Sequence[Problem], output: str | Path) -> dict[str, Any]:
    report = crosslang_report(problems)
    atomic_write_text(output, json.dumps(report, indent=1))
    return report


def difficulty_table(report: dict[str, Any]) -> str:
    """Per language: problems per difficulty bucket and the mean complexity."""
    rows = [[lang, d["easy"], d["medium"], d["hard"], d["mean_complexity"]]
            for lang, d in report["difficulty_distribution"].items()]
    return format_table(["language", "easy", "medium", "hard", "mean complexity"], rows, title="Difficulty distribution")


def challenges_table(report: dict[str, Any]) -> str:
    """Per directed language pair: the constructs the target needs most often beyond the source."""
    rows = []
    for source, targets in report["language_challenges"].items():
        for target, counts in targets.items():
            top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            rows.append([f"{source} -> {target}", report["matrix"][source][target]["shared_slugs"],
                         ", ".join(f"{tag} {n}" for tag, n in top) or "-"])
    return format_table(["pair", "shared slugs", "constructs the target needs (slugs)"], rows,
                        title="Language-specific challenges")
