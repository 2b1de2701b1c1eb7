"""Run an exercise's own tests against a candidate, in all six languages, one result shape."""

from __future__ import annotations

import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Iterable, Literal, Mapping, Sequence

from tqdm.auto import tqdm

from ..benchmark.problem import Problem
from ..languages import get_language
from .context import RunnerContext
from .process import excerpt, safe_run
from .results import RunResult, TestCounts
from .workspace import CandidateError, workspace, workspace_files

__all__ = ["DEFAULT_TIMEOUT", "Mode", "RunTask", "run_problem", "run_many"]

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 180.0  # seconds, per run (build + tests): Aider's harness uses the same
Mode = Literal["candidate", "stub", "reference"]


def run_problem(problem: Problem, candidate: Mapping[str, str] | None = None, mode: Mode = "candidate",
                timeout: float = DEFAULT_TIMEOUT, ctx: RunnerContext | None = None,
                output_limit: int = 8000) -> RunResult:
    """Run ``problem``'s tests with ``candidate`` files over the stub (``mode="reference"``: over the reference)."""
    ctx = ctx or RunnerContext()
    language = get_language(problem.language)
    start = time.monotonic()

    def result(status: str, output: str, counts: TestCounts | None = None) -> RunResult:
        counts = counts or TestCounts()
        return RunResult(problem.id, status, counts.passed, counts.failed, counts.total,  # type: ignore[arg-type]
                         round(time.monotonic() - start, 3), excerpt(output, output_limit), mode)

    try:
        files = workspace_files(problem, mode, candidate)
    except CandidateError as err:
        return result("error", str(err))

    with workspace(problem.slug, files) as ws:
        language.prepare(ws, ctx)
        outputs: list[str] = []
        for step in language.steps(ws, ctx):
            remaining = timeout - (time.monotonic() - start)
            if remaining <= 0:
                return result("timeout", "\n".join(outputs) + f"\n[timed out after {timeout:.0f} s]")
            env = {**ctx.base_env(), **step.env}
            try:
                outcome = safe_run(step.argv, ws, env, timeout=remaining)
            except OSError as err:
                return result("error", f"cannot start {step.argv[0]}: {err}; see `polyglot-hrm doctor`")
            outputs.append(outcome.output)
            text = "\n".join(outputs)
            if outcome.timed_out:
                return result("timeout", text + f"\n[timed out after {timeout:.0f} s; process group killed]",
                              language.parse_counts(outcome.output))
            if step.compiles and outcome.returncode != 0:
                return result("compile_error", text)
        last = outcome
        counts = language.parse_counts(last.output)
        if last.returncode != 0 and language.is_compile_error(last.output, last.returncode, counts):
            return result("compile_error", text, counts)
        if last.returncode == 0:
            if counts and counts.failed == 0 and counts.passed > 0:
                return result("passed", text, counts)
            if counts and counts.failed:
                return result("failed", text, counts)
            return result("error", text + "\n[the test command succeeded but no test result was found]", counts)
        return result("failed", text, counts)


@dataclass
class RunTask:
    """One run for :func:`run_many`."""

    problem: Problem
    candidate: Mapping[str, str] | None = None
    mode: Mode = "candidate"
    timeout: float | None = None  # None: run_many's timeout
    key: object = field(default=None)


def run_many(tasks: Sequence[RunTask], jobs: int | None = None, timeout: float = DEFAULT_TIMEOUT,
             ctx: RunnerContext | None = None, progress: bool = True, desc: str = "running tests") -> list[RunResult]:
    """Run tasks on a pool (default one worker per core); results come back in task order.

    Long builds (C++, Rust, Java) start first so that the pool does not end on one slow run.
    """
    ctx = ctx or RunnerContext()
    jobs = jobs or os.cpu_count() or 1
    order = sorted(range(len(tasks)), key=lambda i: -get_language(tasks[i].problem.language).run_cost)
    results: list[RunResult | None] = [None] * len(tasks)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(run_problem, tasks[i].problem, tasks[i].candidate, tasks[i].mode,
                               tasks[i].timeout or timeout, ctx): i for i in order}
        for future in tqdm(as_completed(futures), total=len(futures), desc=desc, disable=not progress, unit="run"):
            results[futures[future]] = future.result()
    return [r for r in results if r is not None]


def problems_by_id(problems: Iterable[Problem]) -> dict[str, Problem]:
    return {p.id: p for p in problems}
