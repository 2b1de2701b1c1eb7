"""Score candidates by execution: the engine under the ``polyglot_exec`` metric and the evaluator.

A *reference* says which problem a list of candidates answers: a dataset row (any mapping with
``files`` as ``{path, role, content}`` records plus ``language`` and ``slug``, or an ``id`` /
``problem_id``), a :class:`Problem`, or ``{"problem_id": "python/bowling", "benchmark_root": DIR}``.
A *candidate* is a ``{path: content}`` mapping of files.
"""

from __future__ import annotations

import logging
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping, Sequence

from ..benchmark.problem import Problem, ProblemFile, ProblemMetadata
from ..benchmark.reader import load_benchmark
from .passk import mean_pass_at_k
from .results import STATUSES, RunResult
from .runner import DEFAULT_TIMEOUT, RunTask, run_many

__all__ = ["problem_from_reference", "score_candidates"]

logger = logging.getLogger(__name__)


@lru_cache(maxsize=8)
def _benchmark(root: str) -> dict[str, Problem]:
    return {p.id: p for p in load_benchmark(root)}


def problem_from_reference(reference: Any) -> Problem:
    """The :class:`Problem` a metric reference names (see the module docstring for the forms)."""
    if isinstance(reference, Problem):
        return reference
    if not isinstance(reference, Mapping):
        raise TypeError(f"a reference must be a dataset row, a Problem or {{problem_id, benchmark_root}}, "
                        f"not {type(reference).__name__}")
    problem_id = reference.get("problem_id") or reference.get("id")
    if "files" in reference:
        language = reference.get("language") or str(problem_id).split("/")[0]
        slug = reference.get("slug") or str(problem_id).split("/", 1)[-1]
        files = tuple(ProblemFile(f["path"], f["role"], f["content"]) for f in reference["files"])
        return Problem(language=language, slug=slug, instructions=reference.get("instructions", ""), files=files,
                       metadata=ProblemMetadata(),
                       reference_removes=tuple(reference.get("reference_removes") or ()))
    if problem_id and reference.get("benchmark_root"):
        problems = _benchmark(str(Path(reference["benchmark_root"]).expanduser().resolve()))
        if problem_id not in problems:
            raise KeyError(f"no problem {problem_id!r} under {reference['benchmark_root']}")
        return problems[problem_id]
    raise ValueError(f"reference {sorted(reference)} has neither `files` (a dataset row) nor "
                     f"`problem_id` + `benchmark_root`")


def score_candidates(problems: Sequence[Problem], candidates: Sequence[Sequence[Mapping[str, str]]],
                     k: Sequence[int] = (1,), num_workers: int | None = None, timeout: float = DEFAULT_TIMEOUT,
                     progress: bool = True) -> dict[str, Any]:
    """Run every candidate of every problem; pass@k overall and per language, status counts, per-run results."""
    if len(problems) != len(candidates):
        raise ValueError(f"got {len(candidates)} candidate lists for {len(problems)} problems; pass one list per problem")
    tasks = [RunTask(p, dict(c), key=(i, j)) for i, (p, cs) in enumerate(zip(problems, candidates))
             for j, c in enumerate(cs)]
    results = run_many(tasks, jobs=num_workers, timeout=timeout, progress=progress, desc="executing candidates")
    per_problem: list[list[RunResult]] = [[] for _ in problems]
    for task, result in zip(tasks, results):
        per_problem[task.key[0]].append(result)

    def summary(indices: list[int]) -> dict[str, Any]:
        n = [len(per_problem[i]) for i in indices]
        c = [sum(r.passed for r in per_problem[i]) for i in indices]
        out: dict[str, Any] = {"problems": len(indices)}
        for kk in k:
            value = mean_pass_at_k(n, c, kk)
            if value is not None:
                out[f"pass@{kk}"] = value
        return out

    everything = summary(list(range(len(problems))))
    skipped = [kk for kk in k if f"pass@{kk}" not in everything]
    if skipped:
        logger.warning("pass@k for k=%s not reported: some problem has fewer candidates than k", skipped)
    languages = sorted({p.language for p in problems})
    counts = Counter(r.status for r in results)
    return {
        **{key: v for key, v in everything.items() if key.startswith("pass@")},
        "per_language": {lang: summary([i for i, p in enumerate(problems) if p.language == lang]) for lang in languages},
        "status_counts": {s: counts.get(s, 0) for s in STATUSES},
        "results": [{"problem_id": p.id, "language": p.language,
                     "candidates": [r.to_dict() for r in per_problem[i]]} for i, p in enumerate(problems)],
    }
