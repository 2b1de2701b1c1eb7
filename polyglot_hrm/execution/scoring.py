"""Score candidates by execution: the engine under the ``polyglot_exec`` metric and the evaluator.

A *reference* says which problem a list of candidates answers: a dataset row (any mapping with
``files`` as ``{path, role, content}`` records plus ``language`` and ``slug``, or an ``id`` /
``problem_id``), a :class:`Problem`, or ``{"problem_id": "python/bowling", "benchmark_root": DIR}``.
A *candidate* is a ``{path: content}`` mapping of files, or, for a ``diff_edit`` row, an edit: Aider
SEARCH/REPLACE text given as a string or as ``{"edit": text}``. An edit is parsed and applied to the
row's ``input_files`` (a reference without them: to the problem's stub files), and the edited files are
run. An edit that cannot be parsed (or holds no block) is *malformed*; one whose SEARCH text is missing,
ambiguous or names an unknown file is *non-applying*. Neither is run: each counts as a run with status
``error`` whose output gives the reason, and the totals are reported as ``malformed_edits`` and
``non_applying_edits``.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Mapping, Sequence

from ..benchmark.problem import Problem, ProblemFile, ProblemMetadata
from ..benchmark.reader import load_benchmark
from .passk import mean_pass_at_k
from .results import STATUSES, RunResult
from .runner import DEFAULT_TIMEOUT, RunTask, run_many

__all__ = ["EditFailure", "problem_from_reference", "resolve_candidate", "score_candidates"]

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
                       reference_removes=tuple(reference.get("reference_removes") or ()),
                       expected_tests=tuple(reference.get("expected_tests") or ()))
    if problem_id and reference.get("benchmark_root"):
        problems = _benchmark(str(Path(reference["benchmark_root"]).expanduser().resolve()))
        if problem_id not in problems:
            raise KeyError(f"no problem {problem_id!r} under {reference['benchmark_root']}")
        return problems[problem_id]
    raise ValueError(f"reference {sorted(reference)} has neither `files` (a dataset row) nor "
                     f"`problem_id` + `benchmark_root`")


@dataclass(frozen=True)
class EditFailure:
    """An edit candidate that was not run: ``malformed`` (unparsable, or no block) or ``non_applying``."""

    kind: Literal["malformed", "non_applying"]
    reason: str


def _edit_inputs(reference: Any, problem: Problem) -> dict[str, str]:
    if isinstance(reference, Mapping) and reference.get("input_files"):
        return {f["path"]: f["content"] for f in reference["input_files"] if f.get("role", "solution") == "solution"}
    return {f.path: f.content for f in problem.files_with_role("solution")}


def resolve_candidate(reference: Any, problem: Problem, candidate: Any) -> dict[str, str] | EditFailure:
    """The files a candidate stands for: a files mapping as is; an edit (str or ``{"edit": str}``) applied to
    the reference's input files (see the module docstring); anything else is a malformed candidate."""
    from ..synthesis.edit_blocks import EditApplyError, EditFormatError, apply_blocks, parse_blocks

    if isinstance(candidate, Mapping) and set(candidate) == {"edit"} and isinstance(candidate["edit"], str):
        candidate = candidate["edit"]
    if isinstance(candidate, str):
        inputs = _edit_inputs(reference, problem)
        try:
            blocks = parse_blocks(candidate, valid_paths=list(inputs))
        except EditFormatError as err:
            return EditFailure("malformed", f"malformed edit: {err}")
        if not blocks:
            return EditFailure("malformed", "malformed edit: no SEARCH/REPLACE block found in the candidate text")
        try:
            return apply_blocks(inputs, blocks)
        except EditApplyError as err:
            return EditFailure("non_applying", f"edit does not apply ({err.reason}): {err}")
    if isinstance(candidate, Mapping) and all(isinstance(k, str) and isinstance(v, str) for k, v in candidate.items()):
        return dict(candidate)
    return EditFailure("malformed", f"a candidate must be a {{path: content}} mapping of strings, edit-block text, "
                                    f"or {{\"edit\": text}}; got {type(candidate).__name__}")


def run_resolved(problems: Sequence[Problem], resolved: Sequence[Sequence[dict[str, str] | EditFailure]],
                 jobs: int | None = None, timeout: float = DEFAULT_TIMEOUT, progress: bool = True,
                 desc: str = "executing candidates") -> list[list[RunResult]]:
    """Run every resolved candidate on one pool; an :class:`EditFailure` is not run and becomes an ``error``
    result carrying its reason. Per problem, the results in candidate order."""
    tasks = [RunTask(p, c, key=(i, j)) for i, (p, cs) in enumerate(zip(problems, resolved))
             for j, c in enumerate(cs) if not isinstance(c, EditFailure)]
    ran = run_many(tasks, jobs=jobs, timeout=timeout, progress=progress, desc=desc) if tasks else []
    by_key = {task.key: result for task, result in zip(tasks, ran)}
    return [[RunResult(p.id, "error", output=c.reason) if isinstance(c, EditFailure) else by_key[(i, j)]
             for j, c in enumerate(cs)] for i, (p, cs) in enumerate(zip(problems, resolved))]


def score_candidates(problems: Sequence[Problem], candidates: Sequence[Sequence[Any]],
                     k: Sequence[int] = (1,), num_workers: int | None = None, timeout: float = DEFAULT_TIMEOUT,
                     progress: bool = True, references: Sequence[Any] | None = None) -> dict[str, Any]:
    """Run every candidate of every problem; pass@k overall and per language, status counts, per-run results.

    Candidates may be files or edits (module docstring); ``references`` (the rows the problems came
    from) give edits their input files.
    """
    if len(problems) != len(candidates):
        raise ValueError(f"got {len(candidates)} candidate lists for {len(problems)} problems; pass one list per problem")
    refs = list(references) if references is not None else [None] * len(problems)
    resolved = [[resolve_candidate(r, p, c) for c in cs] for p, r, cs in zip(problems, refs, candidates)]
    per_problem = run_resolved(problems, resolved, jobs=num_workers, timeout=timeout, progress=progress)
    results = [r for rs in per_problem for r in rs]
    failures = Counter(c.kind for cs in resolved for c in cs if isinstance(c, EditFailure))

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
        "malformed_edits": failures.get("malformed", 0),
        "non_applying_edits": failures.get("non_applying", 0),
        "results": [{"problem_id": p.id, "language": p.language,
                     "candidates": [r.to_dict() for r in per_problem[i]]} for i, p in enumerate(problems)],
    }
