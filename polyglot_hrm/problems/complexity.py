"""A documented complexity score for an exercise.

``complexity_score`` is a number in [0, 1] that orders exercises from easy to hard for the
curriculum. It mixes three things the benchmark itself carries, each log-scaled against a cap
(so doubling a small exercise matters more than doubling a big one) and clipped to [0, 1]:

* 0.50 × size of the reference solution, in non-blank lines (cap 400 lines),
* 0.25 × number of test cases (from ``.meta/tests.toml``, or the test files' size when absent; cap 60),
* 0.25 × length of the instructions, in characters (cap 6000).

It is a heuristic, not a measured difficulty: it is only compared within one language, which is what
:func:`difficulty_buckets` does: ``easy``/``medium``/``hard`` by the tertile of the score among the problems of
the same language (the curriculum's buckets, and the ``difficulty`` of every row and evaluation case).
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Sequence

from .problem import Problem

__all__ = ["complexity_score", "difficulty_buckets", "WEIGHTS", "CAPS"]

WEIGHTS = {"reference_lines": 0.50, "test_cases": 0.25, "instruction_chars": 0.25}
CAPS = {"reference_lines": 400, "test_cases": 60, "instruction_chars": 6000}


def _scaled(value: float, cap: float) -> float:
    return min(1.0, math.log1p(max(0.0, value)) / math.log1p(cap))


def complexity_score(reference_lines: int, test_cases: int, instruction_chars: int) -> float:
    parts = {"reference_lines": reference_lines, "test_cases": test_cases, "instruction_chars": instruction_chars}
    score = sum(WEIGHTS[k] * _scaled(v, CAPS[k]) for k, v in parts.items())
    return round(score, 4)


def difficulty_buckets(problems: Sequence[Problem]) -> dict[str, str]:
    """``problem id -> easy|medium|hard``: complexity tertile within the problem's language."""
    by_lang: dict[str, list[Problem]] = defaultdict(list)
    for p in problems:
        by_lang[p.language].append(p)
    out = {}
    for ps in by_lang.values():
        ps = sorted(ps, key=lambda p: (p.metadata.complexity, p.slug))
        for rank, p in enumerate(ps):
            out[p.id] = ("easy", "medium", "hard")[min(2, 3 * rank // len(ps))]
    return out
