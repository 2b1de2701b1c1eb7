"""Run an exercise's own tests against a candidate, in all six languages, one result shape.

A run: provision what the problem needs (once), know its expected tests (recorded from the reference,
:mod:`.expected`), lay the candidate's solution files over the stub (:mod:`.workspace`), add the run's
canary tests, run the language's build and test steps in the sandbox (:mod:`.sandbox`) as an
unprivileged uid, read the test tool's structured report and judge it (:mod:`.verdict`). Time spent
provisioning, recording expected tests or preparing caches never counts against a run's timeout, which is a
number of seconds or ``"auto"``: calibrated per problem from its reference's own seconds (:mod:`.timeouts`).
"""

from __future__ import annotations

import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Callable, Literal, Mapping, Sequence

from tqdm.auto import tqdm

from ..benchmark.problem import Problem
from ..languages import get_language
from ..languages.reports import ReportError, canary_token
from ..languages.context import RunnerContext
from .expected import (load_expected, load_reference_seconds, load_stub_passes, store_expected,
                       store_reference_seconds, store_stub_passes)
from .process import excerpt, safe_run
from .provision import ensure_provisioned
from .results import RunResult, TestCounts
from .timeouts import DEFAULT_TIMEOUT, Timeout, run_timeout
from .sandbox import Cgroup, Sandbox, SandboxUnavailable, give_to, lease_identity, require_opt_in, share_with_sandbox
from .verdict import judge
from .workspace import CandidateError, workspace, workspace_files

__all__ = ["DEFAULT_TIMEOUT", "Mode", "RunTask", "record_expected", "record_stub_passes", "run_problem", "run_many"]

logger = logging.getLogger(__name__)

Mode = Literal["candidate", "stub", "reference"]


def run_problem(problem: Problem, candidate: Mapping[str, str] | None = None, mode: Mode = "candidate",
                timeout: Timeout = DEFAULT_TIMEOUT, ctx: RunnerContext | None = None,
                sandbox: Sandbox | None = None, output_limit: int = 8000) -> RunResult:
    """Run ``problem``'s tests with ``candidate`` files over the stub (``mode="reference"``: over the reference).

    Candidate runs execute untrusted code and need the opt-in (see :mod:`.sandbox`); the
    benchmark's own stubs and references do not. Every run is confined by ``sandbox``. Whatever the
    candidate is, this returns a result (an unusable one is an ``error``), never raises for it.
    """
    return run_many([RunTask(problem, candidate, mode, timeout)], timeout=timeout, ctx=ctx, sandbox=sandbox,
                    progress=False, output_limit=output_limit)[0]


@dataclass
class RunTask:
    """One run for :func:`run_many`."""

    problem: Problem
    candidate: Mapping[str, str] | None = None
    mode: Mode = "candidate"
    timeout: float | None = None  # seconds; None: run_many's timeout (which may be "auto")
    key: object = field(default=None)


def run_many(tasks: Sequence[RunTask], jobs: int | None = None, timeout: Timeout = DEFAULT_TIMEOUT,
             ctx: RunnerContext | None = None, sandbox: Sandbox | None = None, progress: bool = True,
             desc: str = "running tests", output_limit: int = 8000,
             on_result: Callable[[int, RunResult], None] | None = None) -> list[RunResult]:
    """Run tasks on a pool (default one worker per core); results come back in task order.

    ``timeout``: seconds per run, or ``"auto"`` (per problem, from its reference's recorded seconds; see
    :mod:`.timeouts`). ``on_result(index, result)`` is called in this thread as each task finishes (a
    journal can append it at once).

    First the dependencies of every problem are provisioned and the expected tests of every problem a
    stub or candidate runs against are recorded (by running its reference, unless known). Long builds
    (C++, Rust, Java) start first so that the pool does not end on one slow run. One bad task is one
    ``error`` result: the batch always completes.
    """
    if any(t.mode == "candidate" for t in tasks):
        require_opt_in()
    ctx = ctx or RunnerContext()
    sandbox = sandbox or Sandbox()
    jobs = jobs or os.cpu_count() or 1
    problems = list({id(t.problem): t.problem for t in tasks}.values())
    missing = ensure_provisioned(problems, ctx)

    def one(task: RunTask, expected: tuple[str, ...] | None) -> RunResult:
        try:
            seconds = task.timeout or run_timeout(timeout, load_reference_seconds(task.problem, ctx))
            return _run(task.problem, task.candidate, task.mode, seconds, ctx, sandbox, output_limit,
                        expected, missing.get(task.problem.id))
        except Exception as err:  # noqa: BLE001 - one task's failure must not sink the batch
            logger.exception("%s: the run itself failed", task.problem.id)
            return RunResult(task.problem.id, "error", output=f"the runner failed: {type(err).__name__}: {err}",
                             mode=task.mode)

    def pool_run(batch: list[RunTask], expected_of, label: str, indices: Sequence[int | None]) -> list[RunResult]:
        """Run ``batch``; ``indices``: each task's index in ``tasks`` (None: an extra reference run)."""
        order = sorted(range(len(batch)), key=lambda i: -get_language(batch[i].problem.language).run_cost)
        out: list[RunResult | None] = [None] * len(batch)
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(one, batch[i], expected_of(batch[i])): i for i in order}
            for future in tqdm(as_completed(futures), total=len(futures), desc=label, disable=not progress, unit="run"):
                i = futures[future]
                out[i] = future.result()
                if on_result is not None and indices[i] is not None:
                    on_result(indices[i], out[i])
        return [r for r in out if r is not None]

    # Phase 1: references (the batch's own, and those of problems whose expected tests are unknown).
    known = {id(p): load_expected(p, ctx) for p in problems}
    firsts = [i for i, t in enumerate(tasks) if t.mode == "reference"]
    extra = {id(t.problem): t.problem for t in tasks
             if t.mode != "reference" and known[id(t.problem)] is None and t.problem.id not in missing}
    for i in firsts:
        extra.pop(id(tasks[i].problem), None)
    reference_timeout = max(timeout, DEFAULT_TIMEOUT) if isinstance(timeout, (int, float)) else DEFAULT_TIMEOUT
    phase1 = [tasks[i] for i in firsts] + [RunTask(p, mode="reference", timeout=reference_timeout)
                                           for p in extra.values()]
    ran = pool_run(phase1, lambda t: known[id(t.problem)],
                   desc if not extra else f"{desc} (references first, to record expected tests)",
                   [*firsts, *(None for _ in extra)]) if phase1 else []
    results: dict[int, RunResult] = dict(zip(firsts, ran))
    reference_of = {r.problem_id: r for r in ran}
    for p in extra.values():
        if not reference_of[p.id].passed:
            logger.warning("%s: the reference does not pass here (%s); its candidates cannot be judged", p.id,
                           reference_of[p.id].status)

    # Phase 2: stubs and candidates, against what the references recorded.
    rest = [i for i, t in enumerate(tasks) if t.mode != "reference"]
    expected_now = {id(p): load_expected(p, ctx) for p in problems}
    ready, blocked = [], {}
    for i in rest:
        t = tasks[i]
        if expected_now[id(t.problem)] is None and t.problem.id not in missing:
            ref = reference_of.get(t.problem.id)
            why = f"the reference run was {ref.status}" if ref else "no reference run was recorded"
            blocked[i] = RunResult(t.problem.id, "error", mode=t.mode,
                                   output=f"cannot judge {t.problem.id}: its expected tests are unknown ({why}); the "
                                          f"exercise's own solution must pass here first (see `polyglot-hrm validate`)")
        else:
            ready.append(i)
    for i, r in blocked.items():
        if on_result is not None:
            on_result(i, r)
    ran = pool_run([tasks[i] for i in ready], lambda t: expected_now[id(t.problem)], desc, ready) if ready else []
    results.update(zip(ready, ran))
    results.update(blocked)
    return [results[i] for i in range(len(tasks))]


def _run_unknown(problems: Sequence[Problem], mode: Mode, known, ctx: RunnerContext, jobs: int | None,
                 timeout: Timeout, progress: bool, desc: str) -> None:
    """Run ``mode`` once for each problem ``known(problem, ctx)`` has nothing for (the run records it)."""
    todo = [p for p in problems if known(p, ctx) is None]
    ran = run_many([RunTask(p, mode=mode) for p in todo], jobs=jobs, timeout=timeout, ctx=ctx, progress=progress,
                   desc=desc) if todo else []
    for p, r in zip(todo, ran):
        if known(p, ctx) is None:
            logger.warning("%s: nothing recorded: its %s run was %s", p.id, mode, r.status)


def record_expected(problems: Sequence[Problem], ctx: RunnerContext | None = None, jobs: int | None = None,
                    timeout: float = DEFAULT_TIMEOUT, progress: bool = False) -> dict[str, tuple[str, ...]]:
    """The expected tests of each problem (``{id: names}``), running the references of those not recorded
    yet; a problem whose reference does not pass here is left out (logged)."""
    ctx = ctx or RunnerContext()
    _run_unknown(problems, "reference", load_expected, ctx, jobs, timeout, progress, "recording expected tests")
    found = {p.id: load_expected(p, ctx) for p in problems}
    return {pid: names for pid, names in found.items() if names}


def record_stub_passes(problems: Sequence[Problem], ctx: RunnerContext | None = None, jobs: int | None = None,
                       timeout: float = DEFAULT_TIMEOUT, progress: bool = False) -> set[str]:
    """Ids of the problems whose untouched stub already passes (a refactoring exercise: go/ledger), running
    the stubs not recorded yet once. A stub run that errs is not recorded (it is tried again next time)."""
    ctx = ctx or RunnerContext()
    _run_unknown(problems, "stub", load_stub_passes, ctx, jobs, timeout, progress, "checking the stubs")
    return {p.id for p in problems if load_stub_passes(p, ctx)}


def _run(problem: Problem, candidate: Mapping[str, str] | None, mode: Mode, timeout: float, ctx: RunnerContext,
         sandbox: Sandbox, output_limit: int, expected: tuple[str, ...] | None, missing: str | None) -> RunResult:
    language = get_language(problem.language)
    start = time.monotonic()
    build_s: float | None = None
    ignored: list = []

    def result(status: str, output: str, counts: TestCounts | None = None) -> RunResult:
        counts = counts or TestCounts()
        return RunResult(problem.id, status, counts.passed, counts.failed, counts.total,  # type: ignore[arg-type]
                         round(time.monotonic() - start, 3), excerpt(output, output_limit), mode,
                         None if build_s is None else round(build_s, 3),
                         [{"path": f.path, "reason": f.reason} for f in ignored])

    if missing:
        return result("error", f"missing dependency: {missing}")
    try:
        prepared = workspace_files(problem, mode, candidate)
    except CandidateError as err:
        return result("error", f"unusable candidate: {err}")
    ignored = prepared.ignored
    canary = language.add_canaries(prepared.files, problem, canary_token())

    cgroup = Cgroup.create(sandbox.limits) if sandbox.use_cgroup else None
    try:
        with lease_identity() as identity, workspace(problem.slug, prepared.files) as ws:
            report_dir = ws.parent / ".report"
            report_dir.mkdir()
            language.prepare(ws, ctx, problem)
            steps = language.steps(ws, ctx, problem, report_dir)  # builds shared caches: before the clock starts
            for path in {p for step in steps for p in step.writable}:
                if identity is not None:
                    share_with_sandbox(path, identity.gid)
            give_to(identity, ws, report_dir)
            clock = time.monotonic()
            outputs: list[str] = []
            returncodes: list[int | None] = []
            memory_env = language.memory_env(sandbox.limits.memory_mb)
            address_space = sandbox.limits.memory_mb if language.address_space_limit else None
            for step in steps:
                remaining = timeout - (time.monotonic() - clock)
                if remaining <= 0:
                    return result("timeout", "\n".join(outputs) + f"\n[timed out after {timeout:.0f} s]")
                try:
                    argv = sandbox.wrap(step.argv, ws, ctx, cgroup, address_space, [*step.writable, report_dir],
                                        identity)
                except SandboxUnavailable as err:
                    return result("error", f"cannot confine the run: {err}")
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
                    return result("timeout", text + f"\n[timed out after {timeout:.0f} s; process group killed]")
                if cgroup is not None and cgroup.memory_exceeded():
                    return result("error", text + f"\n[memory limit of {sandbox.limits.memory_mb} MB exceeded]")
                if outcome.output_exceeded:
                    return result("error", text + "\n[output limit exceeded; process group killed]")
                if step.compiles and outcome.returncode != 0 and not (step.tolerate and step.tolerate(outcome.output)):
                    if mode == "stub":  # a stub that does not build does not pass: known, no need to run it again
                        store_stub_passes(problem, ctx, False)
                    return result("compile_error", text)
                if not step.compiles:
                    returncodes.append(outcome.returncode)
            tests_output = "\n".join(o for o, s in zip(outputs, steps) if not s.compiles)
            try:
                report = language.read_report(report_dir, tests_output)
            except ReportError as err:
                return result("error", text + f"\n[verdict: error: {err}]")
            verdict = judge(language, report, canary, expected, tests_output, returncodes)
            if report is not None and report.text:
                text += "\n" + report.text
            # People and models read the output as test feedback: no canaries, no Go test2json markers.
            text = language.scrub(text, canary).replace("\x16", "")
            if verdict.status == "passed" and mode == "reference":
                if expected is None:
                    store_expected(problem, ctx, [t.name for t in report.tests if canary.id_of(t.name) is None])
                store_reference_seconds(problem, ctx, time.monotonic() - clock)
            if mode == "stub" and verdict.status in ("passed", "failed", "compile_error"):
                store_stub_passes(problem, ctx, verdict.status == "passed")
            note = f"\n[verdict: {verdict.status}: {verdict.reason}]" if verdict.reason else ""
            return result(verdict.status, text + note, verdict.counts)
    finally:
        if cgroup is not None:
            cgroup.remove()
