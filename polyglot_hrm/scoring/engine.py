"""The one path from candidates to results: resolve, run (identical runs once), classify, pass@k.

Every score in this project goes through :func:`score`: the ``polyglot_exec`` metric, the training
callback, ``polyglot-hrm evaluate``, and the dataset's row checks. Each candidate is resolved against its
reference's input files (:mod:`.candidates`); what cannot be resolved is never run and counts as an
``error`` whose output gives the reason; the rest run on one pool, where two candidates of the same
problem that resolve to the same files run once. Exercises whose untouched stub already passes
(refactoring exercises such as go/ledger) are flagged: pass@k counts them, as Aider does, and
:func:`score_candidates` also gives the figure without them.
"""

from __future__ import annotations

import logging
import numbers
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..problems.problem import Problem
from ..execution import DEFAULT_TIMEOUT, RunResult, RunTask, Timeout, make_executor, record_stub_passes, run_many
from ..execution.executors import ExecutorSpec
from ..execution.journal import run_key
from ..execution.passk import mean_pass_at_k
from ..execution.results import STATUSES
from ..execution.timeouts import check_timeout
from .candidates import EditFailure, check_candidate, problem_from_reference, resolve_candidate

__all__ = ["Scored", "check_ks", "check_predictions", "score", "score_candidates", "summarize_pass_at_k"]

logger = logging.getLogger(__name__)


@dataclass
class Scored:
    """One candidate: what it resolved to (files, or why it was not run) and its result."""

    resolved: dict[str, str] | EditFailure
    result: RunResult

    @property
    def passed(self) -> bool:
        return self.result.passed


def check_ks(k: Any) -> list[int]:
    """``k`` as a sorted list of distinct integers >= 1: one int (``k=1``) or a list of them; anything else
    (``[1.5]``, ``"1"``, ``[0]``) is a ValueError naming it, raised before any candidate runs."""
    values = [k] if isinstance(k, numbers.Integral) and not isinstance(k, bool) else k
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, (Sequence, set, frozenset)):
        raise ValueError(f"k={k!r}: give an integer >= 1 or a list of them, e.g. k=[1, 5]")
    bad = [v for v in values if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1]
    if bad or not values:
        raise ValueError(f"k={k!r}: every k must be an integer >= 1 (pass@k draws k whole candidates); "
                         f"{'got ' + repr(bad[0]) if bad else 'the list is empty'}")
    return sorted({int(v) for v in values})


def check_predictions(predictions: Any, references: Sequence[Any] | None = None) -> None:
    """``predictions`` must be one *list* of candidates per problem, each candidate a {path: content} mapping
    or edit text: a flat list of candidates would otherwise be read as one problem's edit text per character
    or mapping. Raised before anything runs; problems without candidates are warned about."""
    example = 'predictions=[[{"<path>": "<content>"}]] (one list per problem, even for one candidate)'
    if isinstance(predictions, (str, bytes, Mapping)) or not isinstance(predictions, Sequence):
        raise ValueError(f"predictions is a {type(predictions).__name__}: expected a list of candidate lists, {example}")
    for i, cands in enumerate(predictions):
        if isinstance(cands, (str, bytes, Mapping)) or not isinstance(cands, Sequence):
            raise ValueError(f"predictions[{i}] is a {type(cands).__name__}, not a list of candidates: expected "
                             f"{example}; wrap each problem's candidates in a list")
    if references is not None and len(references) != len(predictions):
        raise ValueError(f"got {len(predictions)} candidate lists for {len(references)} references; pass one list "
                         f"per reference")
    # Text that is not a usable edit is a malformed answer, counted as such; a wrong type (content 42 or NaN, a
    # misspelt key) is a mistake in the input, refused here.
    for i, cands in enumerate(predictions):
        named = f" ({_reference_id(references[i])})" if references is not None else ""
        for j, candidate in enumerate(cands):
            check_candidate(candidate, f"predictions[{i}][{j}]{named}")


def _reference_id(reference: Any) -> str:
    if isinstance(reference, Problem):
        return reference.id
    if isinstance(reference, Mapping):
        found = reference.get("problem_id") or reference.get("id")
        if found:
            return str(found)
        if reference.get("language") and reference.get("slug"):
            return f"{reference['language']}/{reference['slug']}"
    return "reference"


def score(references: Sequence[Any], candidates: Sequence[Sequence[Any]], jobs: int | None = None,
          timeout: Timeout = DEFAULT_TIMEOUT, progress: bool = True, desc: str = "executing candidates",
          problems: Sequence[Problem] | None = None,
          on_scored: Callable[[int, int, Scored], None] | None = None,
          executor: ExecutorSpec = None) -> list[list[Scored]]:
    """Resolve and run every candidate of every reference; per reference, the candidates' :class:`Scored`.

    ``timeout``: seconds per run or ``"auto"`` (:mod:`polyglot_hrm.execution.timeouts`). ``on_scored(i, j,
    scored)`` is called as soon as candidate ``j`` of reference ``i`` is known: at once for one that is not
    run, when its run (or an identical candidate's) finishes otherwise. ``executor``: where the runs execute
    (:mod:`polyglot_hrm.execution.executors`: ``"local"``, the default, or ``"ray"``, or an executor)."""
    if len(references) != len(candidates):
        raise ValueError(f"got {len(candidates)} candidate lists for {len(references)} references; "
                         f"pass one list per reference")
    problems = list(problems) if problems is not None else [problem_from_reference(r) for r in references]
    resolved = [[resolve_candidate(r, p, c) for c in cs] for r, p, cs in zip(references, problems, candidates)]
    tasks: dict[str, RunTask] = {}
    waiting: dict[str, list[tuple[int, int]]] = {}
    for i, (p, rs) in enumerate(zip(problems, resolved)):
        for j, files in enumerate(rs):
            if isinstance(files, EditFailure):
                if on_scored is not None:
                    on_scored(i, j, Scored(files, _not_run(p, files)))
                continue
            key = run_key(p, files, timeout)
            tasks.setdefault(key, RunTask(p, files))
            waiting.setdefault(key, []).append((i, j))
    keys = list(tasks)

    def finished(index: int, result: RunResult) -> None:
        for i, j in waiting[keys[index]]:
            on_scored(i, j, Scored(resolved[i][j], result))  # type: ignore[misc]

    ran = dict(zip(keys, run_many([tasks[k] for k in keys], jobs=jobs, timeout=timeout, progress=progress,
                                  desc=desc, on_result=finished if on_scored else None,
                                  executor=executor))) if keys else {}
    if keys and len(keys) < sum(not isinstance(f, EditFailure) for rs in resolved for f in rs):
        logger.info("identical candidates ran once: %d runs for %d candidates", len(keys),
                    sum(not isinstance(f, EditFailure) for rs in resolved for f in rs))
    return [[Scored(files, _not_run(p, files) if isinstance(files, EditFailure) else ran[run_key(p, files, timeout)])
             for files in rs] for p, rs in zip(problems, resolved)]


def _not_run(problem: Problem, failure: EditFailure) -> RunResult:
    return RunResult(problem.id, "error", output=failure.reason)


def summarize_pass_at_k(passes: Sequence[Sequence[bool]], k: Sequence[int]) -> dict[str, float]:
    """``pass@k`` for each k (left out where some problem has fewer than k candidates) over problems."""
    out = {}
    for kk in k:
        value = mean_pass_at_k([len(p) for p in passes], [sum(p) for p in passes], kk)
        if value is not None:
            out[f"pass@{kk}"] = value
    return out


def score_candidates(references: Sequence[Any], candidates: Sequence[Sequence[Any]], k: Sequence[int] = (1,),
                     num_workers: int | None = None, timeout: Timeout = DEFAULT_TIMEOUT, progress: bool = True,
                     flag_stub_passes: bool = True, executor: ExecutorSpec = None) -> dict[str, Any]:
    """Score and summarise: pass@k overall and per language, status counts, edit failures, per-run results.

    With ``flag_stub_passes`` the problems whose stub already passes are listed (``stub_passes``, recorded
    once per problem by running its stub) and pass@k is also given without them
    (``pass@k_without_stub_passes``). ``executor``: where the runs execute (``"local"``, the default, or
    ``"ray"``, or an executor); ``executor`` in the result says which, with the runs each node made.
    """
    k = check_ks(k)
    timeout = check_timeout(timeout)
    check_predictions(candidates, references)
    problems = [problem_from_reference(r) for r in references]
    empty = [p.id for p, cs in zip(problems, candidates) if not cs]
    if empty:
        logger.warning("%d problem(s) have no candidates and are left out of pass@k (counted as no_candidates): %s",
                       len(empty), ", ".join(empty[:5]) + (" ..." if len(empty) > 5 else ""))
    executor = make_executor(executor, num_workers)
    scored = score(references, candidates, jobs=num_workers, timeout=timeout, progress=progress, problems=problems,
                   executor=executor)
    stub_passes = record_stub_passes(problems, jobs=num_workers, executor=executor) if flag_stub_passes else set()
    passes = [[s.passed for s in ss] for ss in scored]

    def summary(indices: list[int]) -> dict[str, Any]:
        missing = [i for i in indices if not passes[i]]
        indices = [i for i in indices if passes[i]]
        out: dict[str, Any] = {"problems": len(indices), **summarize_pass_at_k([passes[i] for i in indices], k)}
        if missing:
            out["no_candidates"] = len(missing)
        if flag_stub_passes:
            kept = [i for i in indices if problems[i].id not in stub_passes]
            out.update({f"{key}_without_stub_passes": v
                        for key, v in summarize_pass_at_k([passes[i] for i in kept], k).items()})
        return out

    everything = summary(list(range(len(problems))))
    skipped = [kk for kk in k if f"pass@{kk}" not in everything]
    if skipped:
        logger.warning("pass@k for k=%s not reported: some problem has fewer candidates than k", skipped)
    failures = Counter(s.resolved.kind for ss in scored for s in ss if isinstance(s.resolved, EditFailure))
    counts = Counter(s.result.status for ss in scored for s in ss)
    ran = [s.result for ss in scored for s in ss if not isinstance(s.resolved, EditFailure)]
    languages = sorted({p.language for p in problems})
    return {
        **{key: v for key, v in everything.items() if key.startswith("pass@")},
        "per_language": {lang: summary([i for i, p in enumerate(problems) if p.language == lang]) for lang in languages},
        "status_counts": {s: counts.get(s, 0) for s in STATUSES},
        # How many runs had the candidate's code in a process of its own, apart from the tests ("process"), and
        # how many shared one ("in-process": compiled languages, and a language's named fallback exercises).
        "isolation_counts": dict(sorted(Counter(r.isolation for r in ran).items())),
        "malformed_edits": failures.get("malformed", 0),
        "non_applying_edits": failures.get("non_applying", 0),
        "stub_passes": sorted(stub_passes & {p.id for p in problems}),
        "no_candidates": empty,
        "executor": executor.describe(),
        "results": [{"problem_id": p.id, "language": p.language, "stub_passes": p.id in stub_passes,
                     "candidates": [s.result.to_dict() for s in ss]} for p, ss in zip(problems, scored)],
    }
