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
from .sandbox import Cgroup, Sandbox, require_opt_in
from .workspace import CandidateError, workspace, workspace_files

__all__ = ["DEFAULT_TIMEOUT", "Mode", "RunTask", "run_problem", "run_many"]

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 180.0  # seconds, per run (build + tests): Aider's harness uses the same
Mode = Literal["candidate", "stub", "reference"]


def run_problem(problem: Problem, candidate: Mapping[str, str] | None = None, mode: Mode = "candidate",
                timeout: float = DEFAULT_TIMEOUT, ctx: RunnerContext | None = None,
                sandbox: Sandbox | None = None, output_limit: int = 8000) -> RunResult:
    """Run ``problem``'s tests with ``candidate`` files over the stub (``mode="reference"``: over the reference).

    Candidate runs execute untrusted code and need the opt-in (see :mod:`.sandbox`); the
    benchmark's own stubs and references do not. Every run is confined by ``sandbox``.
    """
    if mode == "candidate":
        require_opt_in()
    ctx = ctx or RunnerContext()
    sandbox = sandbox or Sandbox()
    language = get_language(problem.language)
    start = time.monotonic()

    build_s: float | None = None

    def result(status: str, output: str, counts: TestCounts | None = None) -> RunResult:
        counts = counts or TestCounts()
        return RunResult(problem.id, status, counts.passed, counts.failed, counts.total,  # type: ignore[arg-type]
                         round(time.monotonic() - start, 3), excerpt(output, output_limit), mode,
                         None if build_s is None else round(build_s, 3))

    try:
        files = workspace_files(problem, mode, candidate)
    except CandidateError as err:
        return result("error", str(err))

    cgroup = Cgroup.create(sandbox.limits) if sandbox.use_cgroup else None
    try:
        with workspace(problem.slug, files) as ws:
            language.prepare(ws, ctx, problem)
            outputs: list[str] = []
            memory_env = language.memory_env(sandbox.limits.memory_mb)
            address_space = sandbox.limits.memory_mb if language.address_space_limit else None
            for step in language.steps(ws, ctx, problem):
                remaining = timeout - (time.monotonic() - start)
                if remaining <= 0:
                    return result("timeout", "\n".join(outputs) + f"\n[timed out after {timeout:.0f} s]")
                argv = sandbox.wrap(step.argv, ws, ctx, cgroup, address_space, step.writable)
                env = {**ctx.base_env(), **memory_env, **step.env}
                step_start = time.monotonic()
                try:
                    outcome = safe_run(argv, ws, env, timeout=remaining)
                except OSError as err:
                    return result("error", f"cannot start {step.argv[0]}: {err}; see `polyglot-hrm doctor`")
                if step.compiles:
                    build_s = (build_s or 0.0) + time.monotonic() - step_start
                outputs.append(outcome.output)
                text = "\n".join(outputs)
                if outcome.timed_out:
                    return result("timeout", text + f"\n[timed out after {timeout:.0f} s; process group killed]",
                                  language.parse_counts(outcome.output))
                if cgroup is not None and cgroup.memory_exceeded():
                    return result("error", text + f"\n[memory limit of {sandbox.limits.memory_mb} MB exceeded]",
                                  language.parse_counts(outcome.output))
                if outcome.output_exceeded:
                    return result("error", text + "\n[output limit exceeded; process group killed]")
                if step.compiles and outcome.returncode != 0:
                    return result("compile_error", text)
            return _classify(language, outcome, text, result)
    finally:
        if cgroup is not None:
            cgroup.remove()


def _classify(language, last, text: str, result) -> RunResult:
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
             ctx: RunnerContext | None = None, sandbox: Sandbox | None = None, progress: bool = True,
             desc: str = "running tests") -> list[RunResult]:
    """Run tasks on a pool (default one worker per core); results come back in task order.

    Long builds (C++, Rust, Java) start first so that the pool does not end on one slow run.
    """
    if any(t.mode == "candidate" for t in tasks):
        require_opt_in()
    ctx = ctx or RunnerContext()
    sandbox = sandbox or Sandbox()
    jobs = jobs or os.cpu_count() or 1
    order = sorted(range(len(tasks)), key=lambda i: -get_language(tasks[i].problem.language).run_cost)
    results: list[RunResult | None] = [None] * len(tasks)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(run_problem, tasks[i].problem, tasks[i].candidate, tasks[i].mode,
                               tasks[i].timeout or timeout, ctx, sandbox): i for i in order}
        for future in tqdm(as_completed(futures), total=len(futures), desc=desc, disable=not progress, unit="run"):
            results[futures[future]] = future.result()
    return [r for r in results if r is not None]


def problems_by_id(problems: Iterable[Problem]) -> dict[str, Problem]:
    return {p.id: p for p in problems}
