"""One run as data: a :class:`Job` goes to whichever machine runs it, an :class:`Outcome` comes back.

A job carries everything its run needs (the problem's files, the candidate, the mode, its timeout in
seconds, the expected tests), so the machine that runs it needs no benchmark tree and no shared
filesystem: only the toolchains, the sandbox and the runner cache that provisioning fills. What a run
learns about its problem (the tests a passing reference reports, the reference's seconds, whether the
untouched stub passes) comes back as :class:`Recorded`; the machine that ran it keeps it in its own runner
cache, and :func:`polyglot_hrm.execution.runner.run_many` keeps it in the asking machine's cache when the
run was remote.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Literal, Mapping

from ..benchmark.problem import Problem
from ..languages import get_language
from ..languages.context import RunnerContext
from ..languages.reports import ReportError, canary_token
from .expected import store_expected, store_reference_seconds, store_stub_passes
from .process import excerpt, safe_run
from .results import RunResult, TestCounts
from .sandbox import Cgroup, Sandbox, SandboxUnavailable, give_to, lease_identity, share_with_sandbox
from .verdict import judge
from .workspace import CandidateError, workspace, workspace_files

__all__ = ["Job", "Mode", "Outcome", "Recorded", "run_job"]

logger = logging.getLogger(__name__)

Mode = Literal["candidate", "stub", "reference"]


@dataclass(frozen=True)
class Job:
    """One run, complete: ``index`` is its place in the batch the executor was given."""

    index: int
    problem: Problem
    candidate: Mapping[str, str] | None
    mode: Mode
    timeout_s: float
    expected: tuple[str, ...] | None  # the tests a pass must report; None: unknown (a reference records them)
    missing: str | None = None  # a dependency that could not be provisioned: the run is an `error` naming it


@dataclass(frozen=True)
class Recorded:
    """What one run learned about its problem, for a runner cache (:mod:`.expected`)."""

    expected_tests: tuple[str, ...] | None = None
    reference_seconds: float | None = None
    stub_passes: bool | None = None

    def store(self, problem: Problem, ctx: RunnerContext) -> None:
        if self.expected_tests is not None:
            store_expected(problem, ctx, list(self.expected_tests))
        if self.reference_seconds is not None:
            store_reference_seconds(problem, ctx, self.reference_seconds)
        if self.stub_passes is not None:
            store_stub_passes(problem, ctx, self.stub_passes)


@dataclass
class Outcome:
    """A job's result, what it recorded, and the node that ran it (``local`` for this machine's pool)."""

    index: int
    result: RunResult
    recorded: Recorded = field(default_factory=Recorded)
    node: str = "local"


def run_job(job: Job, ctx: RunnerContext, sandbox: Sandbox, output_limit: int = 8000, node: str = "local") -> Outcome:
    """Run ``job`` here and keep what it recorded in ``ctx``'s cache. Never raises for the job: a run that
    fails in itself is one ``error`` result (a batch always completes)."""
    try:
        result, recorded = _run(job.problem, job.candidate, job.mode, job.timeout_s, ctx, sandbox, output_limit,
                                job.expected, job.missing)
    except Exception as err:  # noqa: BLE001 - one task's failure must not sink the batch
        logger.exception("%s: the run itself failed", job.problem.id)
        result = RunResult(job.problem.id, "error", output=f"the runner failed: {type(err).__name__}: {err}",
                           mode=job.mode)
        recorded = Recorded()
    recorded.store(job.problem, ctx)
    return Outcome(job.index, result, recorded, node)


def _run(problem: Problem, candidate: Mapping[str, str] | None, mode: Mode, timeout: float, ctx: RunnerContext,
         sandbox: Sandbox, output_limit: int, expected: tuple[str, ...] | None,
         missing: str | None) -> tuple[RunResult, Recorded]:
    language = get_language(problem.language)
    start = time.monotonic()
    build_s: float | None = None
    ignored: list = []
    recorded = Recorded()

    def result(status: str, output: str, counts: TestCounts | None = None) -> tuple[RunResult, Recorded]:
        counts = counts or TestCounts()
        return RunResult(problem.id, status, counts.passed, counts.failed, counts.total,  # type: ignore[arg-type]
                         round(time.monotonic() - start, 3), excerpt(output, output_limit), mode,
                         None if build_s is None else round(build_s, 3),
                         [{"path": f.path, "reason": f.reason} for f in ignored]), recorded

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
                        recorded = Recorded(stub_passes=False)
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
                names = [t.name for t in report.tests if canary.id_of(t.name) is None]
                recorded = Recorded(tuple(sorted(names)) if expected is None else None,
                                    round(time.monotonic() - clock, 3))
            if mode == "stub" and verdict.status in ("passed", "failed", "compile_error"):
                recorded = Recorded(stub_passes=verdict.status == "passed")
            note = f"\n[verdict: {verdict.status}: {verdict.reason}]" if verdict.reason else ""
            return result(verdict.status, text + note, verdict.counts)
    finally:
        if cgroup is not None:
            cgroup.remove()
