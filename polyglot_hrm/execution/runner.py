"""Run an exercise's own tests against a candidate, in all six languages, one result shape.

A run: provision what the problem needs (once), know its expected tests (recorded from the reference,
:mod:`.expected`), lay the candidate's solution files over the stub (:mod:`.workspace`), add the run's
canary tests, run the language's build and test steps in the sandbox (:mod:`.sandbox`) as an
unprivileged uid, read the test tool's structured report and judge it (:mod:`.verdict`): :mod:`.job`. Time
spent provisioning, recording expected tests or preparing caches never counts against a run's timeout, which
is a number of seconds or ``"auto"``: calibrated per problem from its reference's own seconds (:mod:`.timeouts`).

Where runs execute is the executor's business (:mod:`.executors`: a local pool, or a Ray cluster); what runs,
in which order and against which expected tests is decided here, the same for both.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

from tqdm.auto import tqdm

from ..problems.problem import Problem
from ..languages import get_language
from ..languages.context import RunnerContext
from .executors import Executor, ExecutorSpec, make_executor
from .expected import load_expected, load_reference_seconds, load_stub_passes
from .job import Job, JobOutcome, Mode
from .provision import check_runner_cache
from .results import RunResult
from .sandbox import Sandbox, require_opt_in
from .timeouts import DEFAULT_TIMEOUT, Timeout, build_timeout, check_seconds, check_timeout, run_timeout

__all__ = ["DEFAULT_TIMEOUT", "Mode", "RunTask", "record_expected", "record_stub_passes", "run_problem", "run_many"]

logger = logging.getLogger(__name__)


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
             on_result: Callable[[int, RunResult], None] | None = None,
             executor: ExecutorSpec = None) -> list[RunResult]:
    """Run tasks on ``executor`` (default: a local pool, ``jobs`` workers, one per core); results come back in
    task order.

    ``timeout``: seconds per run, or ``"auto"`` (per problem, from its reference's recorded seconds; see
    :mod:`.timeouts`). ``on_result(index, result)`` is called in this thread as each task finishes (a
    journal can append it at once). ``executor``: an :class:`~.executors.Executor`, or ``"local"``/``"ray"``.

    First the executor prepares its machines (provisions the problems' dependencies; on Ray it checks each
    node), and the expected tests of every problem a stub or candidate runs against are recorded (by running
    its reference, unless known). Long builds (C++, Rust, Java) start first so that the pool does not end on
    one slow run. One bad task is one ``error`` result: the batch always completes. One progress bar covers
    the batch (on a cluster its postfix counts runs per node).
    """
    timeout = check_timeout(timeout)  # before any work: nan or inf would disable the limit
    for t in tasks:
        if t.timeout is not None:
            check_seconds(t.timeout, f"RunTask({t.problem.id}).timeout")
    if any(t.mode == "candidate" for t in tasks):
        require_opt_in()
    ctx = ctx or RunnerContext()
    check_runner_cache(ctx)
    sandbox = sandbox or Sandbox()
    executor = make_executor(executor, jobs)
    problems = list({id(t.problem): t.problem for t in tasks}.values())
    missing = executor.prepare(problems, ctx) if tasks else {}
    batch = _Batch(executor, ctx, sandbox, output_limit, timeout, missing, on_result)

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
    rest = [i for i, t in enumerate(tasks) if t.mode != "reference"]
    bar = tqdm(total=len(phase1) + len(rest), disable=not progress, unit="run",
               desc=desc if not extra else f"{desc} (references first, to record expected tests)")
    batch.bar = bar
    try:
        ran = batch.run(phase1, lambda t: known[id(t.problem)], [*firsts, *(None for _ in extra)])
        results: dict[int, RunResult] = dict(zip(firsts, ran))
        reference_of = {r.problem_id: r for r in ran}
        for p in extra.values():
            if not reference_of[p.id].passed:
                logger.warning("%s: the reference does not pass here (%s); its candidates cannot be judged", p.id,
                               reference_of[p.id].status)

        # Phase 2: stubs and candidates, against what the references recorded.
        bar.set_description(desc)
        expected_now = {id(p): load_expected(p, ctx) for p in problems}
        ready, blocked = [], {}
        for i in rest:
            t = tasks[i]
            if expected_now[id(t.problem)] is None and t.problem.id not in missing:
                ref = reference_of.get(t.problem.id)
                why = f"the reference run was {ref.status}" if ref else "no reference run was recorded"
                blocked[i] = RunResult(t.problem.id, "error", mode=t.mode,
                                       output=f"cannot judge {t.problem.id}: its expected tests are unknown ({why}); "
                                              f"the exercise's own solution must pass here first (see "
                                              f"`polyglot-hrm validate`)", infrastructure=True)
            else:
                ready.append(i)
        for i, r in blocked.items():
            bar.update(1)
            if on_result is not None:
                on_result(i, r)
        ran = batch.run([tasks[i] for i in ready], lambda t: expected_now[id(t.problem)], ready)
        results.update(zip(ready, ran))
        results.update(blocked)
    finally:
        bar.close()
        if tasks:
            executor.finish()
    return [results[i] for i in range(len(tasks))]


class _Batch:
    """Turns tasks into jobs for the executor and collects their outcomes, each once."""

    def __init__(self, executor: Executor, ctx: RunnerContext, sandbox: Sandbox, output_limit: int,
                 timeout: Timeout, missing: Mapping[str, str], on_result: Callable[[int, RunResult], None] | None):
        self.executor, self.ctx, self.sandbox, self.output_limit = executor, ctx, sandbox, output_limit
        self.timeout, self.missing, self.on_result = timeout, missing, on_result
        self.bar: tqdm | None = None

    def run(self, tasks: list[RunTask], expected_of: Callable[[RunTask], tuple[str, ...] | None],
            indices: Sequence[int | None]) -> list[RunResult]:
        """Results of ``tasks`` in their order; ``indices``: each one's index for ``on_result`` (None: an extra
        reference run, which the caller did not ask for)."""
        if not tasks:
            return []
        order = sorted(range(len(tasks)), key=lambda i: -get_language(tasks[i].problem.language).run_cost)
        jobs = [self._job(i, tasks[i], expected_of(tasks[i])) for i in order]
        out: dict[int, RunResult] = {}

        def finished(outcome: JobOutcome) -> None:
            if outcome.index in out:  # an executor bug: a result is never counted twice
                logger.error("%s: a second result for one run was dropped", tasks[outcome.index].problem.id)
                return
            out[outcome.index] = outcome.result
            if self.executor.remote:  # the node kept what the run recorded; this machine keeps it too
                outcome.recorded.store(tasks[outcome.index].problem, self.ctx)
            if self.bar is not None:
                self.bar.update(1)
                counts = self.executor.runs_per_node
                if len(counts) > 1:  # one bar for the whole cluster; the nodes' shares in its postfix
                    self.bar.set_postfix_str(", ".join(f"{n}: {c}" for n, c in sorted(counts.items())), refresh=False)
            if self.on_result is not None and indices[outcome.index] is not None:
                self.on_result(indices[outcome.index], outcome.result)  # type: ignore[arg-type]

        self.executor.run(jobs, self.ctx, self.sandbox, self.output_limit, finished)
        for i, task in enumerate(tasks):
            if i not in out:  # an executor bug, not the candidate's fault: say so rather than lose the run
                logger.error("%s: the executor returned no result", task.problem.id)
                out[i] = RunResult(task.problem.id, "error", mode=task.mode, output="the executor returned no result",
                                   infrastructure=True)
        return [out[i] for i in range(len(tasks))]

    def _job(self, index: int, task: RunTask, expected: tuple[str, ...] | None) -> Job:
        seconds = task.timeout or run_timeout(self.timeout, load_reference_seconds(task.problem, self.ctx))
        return Job(index, task.problem, task.candidate, task.mode, seconds, expected,
                   self.missing.get(task.problem.id), None if task.timeout else build_timeout(self.timeout))


def _run_unknown(problems: Sequence[Problem], mode: Mode, known, ctx: RunnerContext, jobs: int | None,
                 timeout: Timeout, progress: bool, desc: str, executor: ExecutorSpec) -> None:
    """Run ``mode`` once for each problem ``known(problem, ctx)`` has nothing for (the run records it)."""
    todo = [p for p in problems if known(p, ctx) is None]
    ran = run_many([RunTask(p, mode=mode) for p in todo], jobs=jobs, timeout=timeout, ctx=ctx, progress=progress,
                   desc=desc, executor=executor) if todo else []
    for p, r in zip(todo, ran):
        if known(p, ctx) is None:
            logger.warning("%s: nothing recorded: its %s run was %s", p.id, mode, r.status)


def record_expected(problems: Sequence[Problem], ctx: RunnerContext | None = None, jobs: int | None = None,
                    timeout: float = DEFAULT_TIMEOUT, progress: bool = False,
                    executor: ExecutorSpec = None) -> dict[str, tuple[str, ...]]:
    """The expected tests of each problem (``{id: names}``), running the references of those not recorded
    yet; a problem whose reference does not pass here is left out (logged)."""
    ctx = ctx or RunnerContext()
    _run_unknown(problems, "reference", load_expected, ctx, jobs, timeout, progress, "recording expected tests",
                 executor)
    found = {p.id: load_expected(p, ctx) for p in problems}
    return {pid: names for pid, names in found.items() if names}


def record_stub_passes(problems: Sequence[Problem], ctx: RunnerContext | None = None, jobs: int | None = None,
                       timeout: float = DEFAULT_TIMEOUT, progress: bool = False,
                       executor: ExecutorSpec = None) -> set[str]:
    """Ids of the problems whose untouched stub already passes (a refactoring exercise: go/ledger), running
    the stubs not recorded yet once. A stub run that errs is not recorded (it is tried again next time)."""
    ctx = ctx or RunnerContext()
    _run_unknown(problems, "stub", load_stub_passes, ctx, jobs, timeout, progress, "checking the stubs", executor)
    return {p.id for p in problems if load_stub_passes(p, ctx)}
