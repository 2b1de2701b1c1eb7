"""One run as data: a :class:`Job` goes to whichever machine runs it, a :class:`JobOutcome` comes back.

A job carries everything its run needs (the problem's files, the candidate, the mode, its timeout in
seconds, the expected tests), so the machine that runs it needs no benchmark tree and no shared
filesystem: only the toolchains, the sandbox and the runner cache that provisioning fills. What a run
learns about its problem (the tests a passing reference reports, the reference's seconds, whether the
untouched stub passes) comes back as :class:`Recorded`; the machine that ran it keeps it in its own runner
cache, and :func:`polyglot_hrm.execution.runner.run_many` keeps it in the asking machine's cache when the
run was remote.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import socket
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, ClassVar, Literal, Mapping, Sequence

from ..problems.problem import Problem
from ..languages import get_language
from ..languages.context import RunnerContext
from ..languages.base import CHANNEL_FD, REPORT_FD
from ..languages.reports import MAX_REPORT_BYTES, Canary, ReportError, canary_token, report_limit
from .expected import store_expected, store_reference_seconds, store_stub_passes
from .noexec import NoexecUnavailable
from .noexec import launcher as noexec_launcher
from .process import ProcessOutcome, Running, excerpt, safe_run
from .process import start as start_process
from .results import RunResult, TestCounts
from .sandbox import Cgroup, Identity, Sandbox, SandboxUnavailable, give_to, lease_identity, share_with_sandbox
from .verdict import expected_entry, judge
from .workspace import CandidateError, materialise, remove_tree, run_area, workspace_files

__all__ = ["Job", "JobOutcome", "Mode", "Recorded", "ReportBound", "hide_sources", "run_job"]

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
    # The build steps' own budget (the reward's "rl" rule, .timeouts.build_timeout): ``timeout_s`` is then the test
    # steps' alone. None: every step shares ``timeout_s``, one clock (every other rule).
    build_timeout_s: float | None = None


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
class JobOutcome:
    """A job's result, what it recorded, and the node that ran it (``local`` for this machine's pool)."""

    index: int
    result: RunResult
    recorded: Recorded = field(default_factory=Recorded)
    node: str = "local"


def run_job(job: Job, ctx: RunnerContext, sandbox: Sandbox, output_limit: int = 8000,
            node: str = "local") -> JobOutcome:
    """Run ``job`` here and keep what it recorded in ``ctx``'s cache. Never raises for the job: a run that
    fails in itself is one ``error`` result (a batch always completes)."""
    try:
        result, recorded = _run(job.problem, job.candidate, job.mode, job.timeout_s, ctx, sandbox, output_limit,
                                job.expected, job.missing, job.build_timeout_s)
    except Exception as err:  # noqa: BLE001 - one task's failure must not sink the batch
        logger.exception("%s: the run itself failed", job.problem.id)
        result = RunResult(job.problem.id, "error", output=f"the runner failed: {type(err).__name__}: {err}",
                           mode=job.mode, infrastructure=True)
        recorded = Recorded()
    recorded.store(job.problem, ctx)
    return JobOutcome(job.index, result, recorded, node)


def _run(problem: Problem, candidate: Mapping[str, str] | None, mode: Mode, timeout: float, ctx: RunnerContext,
         sandbox: Sandbox, output_limit: int, expected: tuple[str, ...] | None,
         missing: str | None, build_timeout: float | None = None) -> tuple[RunResult, Recorded]:
    language = get_language(problem.language)
    start = time.monotonic()
    run = _RunState(problem, mode, start, output_limit)

    if missing:
        return run.result("error", f"missing dependency: {missing}", infrastructure=True)
    try:
        prepared = workspace_files(problem, mode, candidate)
    except CandidateError as err:
        return run.result("error", f"unusable candidate: {err}")
    run.ignored = prepared.ignored
    canary = language.add_canaries(prepared.files, problem, canary_token())
    run.scrub = lambda t: language.scrub(t, canary)
    split = language.split(prepared.files, problem)
    run.isolation = "in-process" if split is None else "process"
    test_files, candidate_files = split if split is not None else (prepared.files, None)
    if split is not None:
        leaked = _candidate_code_in(test_files, prepared.files, problem)
        if leaked:  # fail closed: a language's split must never leave the candidate's code on the tests' side
            return run.result("error", f"cannot isolate the run: the tests' workspace would hold the candidate's "
                                       f"{', '.join(leaked[:3])}", infrastructure=True)

    cgroup = Cgroup.create(sandbox.limits) if sandbox.use_cgroup else None
    try:
        with ExitStack() as stack:
            root = stack.enter_context(run_area(sandbox.limits.disk_mb))
            identity = stack.enter_context(lease_identity())
            ws = _materialised(root / "tests" if split is not None else root, problem.slug, test_files)
            report_dir = root / ".report"
            report_dir.mkdir()
            language.prepare(ws, ctx, problem)
            steps = language.steps(ws, ctx, problem, report_dir)  # builds shared caches: before the clock starts
            companion = cws = cand_identity = None
            if candidate_files is not None:
                cand_identity = stack.enter_context(lease_identity())
                cws = _materialised(root / "candidate", problem.slug, candidate_files)
                language.prepare(cws, ctx, problem)
                companion = language.companion(cws, ctx, problem)
            try:
                launcher = noexec_launcher(ctx) if any(s.noexec for s in [*steps, companion] if s) else None
            except NoexecUnavailable as err:
                return run.result("error", f"cannot confine the run: {err}", infrastructure=True)
            for path in {p for step in steps for p in step.writable}:
                if identity is not None:
                    share_with_sandbox(path, identity.gid)
            give_to(identity, ws, report_dir)
            if cws is not None:
                give_to(cand_identity, cws)
            env_base = {**ctx.base_env(), **language.memory_env(sandbox.limits.memory_mb)}
            address_space = sandbox.limits.memory_mb if language.address_space_limit else None
            clock = time.monotonic()
            channel = _Channel() if companion is not None else None
            if channel is not None:
                stack.callback(channel.close)
                try:
                    argv = sandbox.wrap(_resolved(companion.argv, env_base), cws, ctx, cgroup, address_space, [],
                                        cand_identity,
                                        fds={CHANNEL_FD: channel.candidate_end}, noexec=launcher if companion.noexec else None)
                    server = start_process(argv, cws, {**env_base, **companion.env}, pass_fds=[channel.candidate_end])
                except SandboxUnavailable as err:
                    return run.result("error", f"cannot confine the run: {err}", infrastructure=True)
                except OSError as err:
                    return run.result("error", f"cannot start the candidate's process: {err}; see `polyglot-hrm doctor`",
                                      infrastructure=True)
                channel.close_candidate_end()
                run.server = server
                stack.callback(run.stop_server)

            outputs: list[str] = []
            text = ""
            returncodes: list[int | None] = []
            report_bound = ReportBound.for_tests(expected, canary)
            clocks = _Clocks(clock, timeout, build_timeout)
            for step in steps:
                remaining = clocks.remaining(step.compiles)
                if remaining <= 0:
                    return run.result("timeout", "\n".join(outputs),
                                      note=f"\n[timed out after {clocks.budget(step.compiles):.0f} s]")
                hide_sources(ws, step.hide)
                fds: dict[int, int] = {}
                if channel is not None and not step.compiles:
                    fds[CHANNEL_FD] = channel.tests_end
                report = _ReportPipe(report_bound, identity) if step.report else None
                if report is not None:
                    fds[REPORT_FD] = report.write_end
                writable = [*step.writable, *([report_dir] if step.report is None and not step.compiles else [])]
                try:
                    argv = sandbox.wrap(_resolved(step.argv, env_base), ws, ctx, cgroup, address_space, writable,
                                        identity, fds=fds, noexec=launcher if step.noexec else None)
                except SandboxUnavailable as err:
                    return run.result("error", f"cannot confine the run: {err}", infrastructure=True)
                env = {**env_base, **step.env}
                step_start = time.monotonic()
                try:
                    outcome = safe_run(argv, ws, env, timeout=remaining, pass_fds=list(fds.values()))
                except OSError as err:
                    if report is not None:
                        report.discard()
                    return run.result("error", f"cannot start {step.argv[0]}: {err}; see `polyglot-hrm doctor`",
                                      infrastructure=True)
                finally:
                    if report is not None:
                        report.close_write_end()
                clocks.spend(step.compiles, time.monotonic() - step_start)
                if step.compiles:
                    run.build_s = (run.build_s or 0.0) + time.monotonic() - step_start
                outputs.append(outcome.output)
                text = "\n".join(outputs)
                if report is not None:
                    problem_text = report.finish(report_dir / step.report)
                    if problem_text:
                        return run.result("error", text, note=f"\n[verdict: error: {problem_text}]")
                if outcome.timed_out:
                    return run.result("timeout", text, note=f"\n[timed out after {clocks.budget(step.compiles):.0f} s; "
                                                            f"process group killed]")
                if cgroup is not None and cgroup.memory_exceeded():
                    return run.result("error", text, note=f"\n[memory limit of {sandbox.limits.memory_mb} MB exceeded]")
                if outcome.output_exceeded:
                    return run.result("error", text, note="\n[output limit exceeded; process group killed]")
                if run.server is not None and run.server.flooded.is_set():
                    return run.result("error", text, note="\n[output limit exceeded in the candidate's process; "
                                                          "its process group killed]")
                if step.compiles and outcome.returncode != 0 and not (step.tolerate and step.tolerate(outcome.output)):
                    if mode == "stub":  # a stub that does not build does not pass: known, no need to run it again
                        run.recorded = Recorded(stub_passes=False)
                    return run.result("compile_error", text)
                if not step.compiles:
                    returncodes.append(outcome.returncode)
            tests_output = "\n".join(o for o, s in zip(outputs, steps) if not s.compiles)
            try:
                with report_limit(report_bound.bytes):
                    report = language.read_report(report_dir, tests_output)
            except ReportError as err:
                return run.result("error", text, note=f"\n[verdict: error: {err}]")
            if clocks.remaining(False) < 0:  # reading the report counts against the run's clock
                return run.result("timeout", text, note=f"\n[timed out after {timeout:.0f} s while reading the report]")
            verdict = judge(language, report, canary, expected, tests_output, returncodes)
            if report is not None and report.text:
                text += "\n" + report.text
            if verdict.status == "passed" and mode == "reference":
                names = [expected_entry(t.name, t.outcome) for t in report.tests if canary.id_of(t.name) is None]
                run.recorded = Recorded(tuple(sorted(names)) if expected is None else None,
                                        round(time.monotonic() - clock, 3))
            if mode == "stub" and verdict.status in ("passed", "failed", "compile_error"):
                run.recorded = Recorded(stub_passes=verdict.status == "passed")
            note = f"\n[verdict: {verdict.status}: {verdict.reason}]" if verdict.reason else ""
            return run.result(verdict.status, text, verdict.counts, note)
    finally:
        if cgroup is not None:
            cgroup.remove()


class _Clocks:
    """How long a run's steps may still take. One clock for every step (``build`` None), as every timeout rule but
    the reward's has it; else the build steps and the test steps each spend a budget of their own."""

    def __init__(self, start: float, timeout: float, build: float | None):
        self.start, self.timeout, self.build = start, timeout, build
        self.spent = {True: 0.0, False: 0.0}  # seconds in build steps, in test steps
        self.last_end = start

    def budget(self, compiles: bool) -> float:
        return self.build if compiles and self.build is not None else self.timeout

    def remaining(self, compiles: bool) -> float:
        now = time.monotonic()
        if self.build is None:
            return self.timeout - (now - self.start)
        # Time between steps (reading a report) counts against the tests' clock.
        return self.budget(compiles) - self.spent[compiles] - (0.0 if compiles else now - self.last_end)

    def spend(self, compiles: bool, seconds: float) -> None:
        self.spent[compiles] += seconds
        self.last_end = time.monotonic()


class _RunState:
    """What a run has gathered so far, and the one way its result is made."""

    def __init__(self, problem: Problem, mode: Mode, start: float, output_limit: int):
        self.problem, self.mode, self.start, self.output_limit = problem, mode, start, output_limit
        self.build_s: float | None = None
        self.ignored: list = []
        self.recorded = Recorded()
        self.isolation = "in-process"
        self.candidate_output = ""
        self.scrub: Callable[[str], str] | None = None
        self.server: Running | None = None  # a two-process run's candidate process

    def stop_server(self) -> None:
        """Stop the candidate's process (the tests are done with it) and keep what it printed."""
        if self.server is not None:
            outcome: ProcessOutcome = self.server.stop()
            self.server = None
            if outcome.output.strip():
                self.candidate_output = outcome.output

    def result(self, status: str, output: str, counts: TestCounts | None = None,
               note: str = "", infrastructure: bool = False) -> tuple[RunResult, Recorded]:
        """The run's result. ``note``: this project's own words (the verdict's reason, a limit's marker), added after
        the scrub so that no canary section or count line can take it along; kept as is (it may name a canary,
        after the fact). ``infrastructure``: this machine's failure, not the candidate's (see :class:`RunResult`)."""
        self.stop_server()
        counts = counts or TestCounts()
        if self.candidate_output:
            output += "\n--- output of the candidate's process ---\n" + self.candidate_output
        output = output.replace("\x16", "")
        if self.scrub is not None:  # people and models read it as test feedback: no canaries, no Go test2json marks
            output = self.scrub(output)
            if counts.total:  # the tool's own count lines counted the canaries in and are gone: the exercise's
                output = output.rstrip("\n") + (f"\n[polyglot-hrm] the exercise's tests: {counts.passed} passed, "
                                                 f"{counts.failed} failed, {counts.total} total")
        output += note
        return RunResult(self.problem.id, status, counts.passed, counts.failed, counts.total,  # type: ignore[arg-type]
                         round(time.monotonic() - self.start, 3), excerpt(output, self.output_limit), self.mode,
                         None if self.build_s is None else round(self.build_s, 3),
                         [{"path": f.path, "reason": f.reason} for f in self.ignored], self.isolation,
                         infrastructure), self.recorded


def _candidate_code_in(test_files: Mapping[str, str], files: Mapping[str, str], problem: Problem) -> list[str]:
    """The candidate's files (solution files, and files that are none of the exercise's) that a two-process split
    left, as they are, on the tests' side."""
    exercise = {f.path for f in problem.files if f.role not in ("reference", "solution")}
    return sorted(path for path, text in files.items()
                  if path not in exercise and path in test_files and test_files[path] == text)


def _materialised(parent: Path, slug: str, files: Mapping[str, str]) -> Path:
    parent.mkdir(parents=True, exist_ok=True)
    directory = parent / slug
    directory.mkdir()
    materialise(directory, files)
    return directory


def _resolved(argv: Sequence[str], env: Mapping[str, str]) -> list[str]:
    """``argv`` with its program as an absolute path (the no-exec launcher opens it by path)."""
    program = argv[0]
    if "/" not in program:
        program = shutil.which(program, path=env.get("PATH")) or program
    return [program, *argv[1:]]


def hide_sources(workspace: Path, patterns: Sequence[str]) -> None:
    """Remove what ``patterns`` (globs relative to ``workspace``) match, links as links, before a step starts."""
    for pattern in patterns:
        for path in sorted(workspace.glob(pattern), key=lambda p: -len(p.parts)):
            if path.is_symlink() or not path.is_dir():
                path.unlink(missing_ok=True)
            else:
                remove_tree(path)


def _high_fd(fd: int) -> int:
    """A close-on-exec copy of ``fd`` at 100 or above (the original is closed): a run's descriptors are moved to
    low fixed numbers in the sandbox's prologue, which must not collide with where they come from."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 100)
    os.close(fd)
    return high


class _Channel:
    """The socket pair of a two-process run: one end for the tests' process, one for the candidate's."""

    def __init__(self) -> None:
        a, b = socket.socketpair()
        self.tests_end = _high_fd(a.detach())
        self.candidate_end = _high_fd(b.detach())
        self._open = {self.tests_end, self.candidate_end}

    def close_candidate_end(self) -> None:
        self._close(self.candidate_end)

    def _close(self, fd: int) -> None:
        if fd in self._open:
            self._open.discard(fd)
            os.close(fd)

    def close(self) -> None:
        for fd in list(self._open):
            self._close(fd)


@dataclass(frozen=True)
class ReportBound:
    """How much report a run may write: bytes and lines, from the number of tests it is expected to report."""

    bytes: int
    lines: int

    #: Per test: room for its name, its outcome and a long failure message with a stack trace.
    PER_TEST_BYTES: ClassVar[int] = 32 * 1024
    PER_TEST_LINES: ClassVar[int] = 400
    BASE_BYTES: ClassVar[int] = 256 * 1024
    BASE_LINES: ClassVar[int] = 4000

    @classmethod
    def for_tests(cls, expected: Sequence[str] | None, canary: Canary) -> "ReportBound":
        if expected is None:  # recording a reference: its count is not known yet (and its code is the exercise's)
            return cls(MAX_REPORT_BYTES, MAX_REPORT_BYTES // 16)
        tests = len(expected) + len(canary.must_pass) + len(canary.must_fail)
        return cls(min(MAX_REPORT_BYTES, cls.BASE_BYTES + cls.PER_TEST_BYTES * tests),
                   cls.BASE_LINES + cls.PER_TEST_LINES * tests)


class _ReportPipe:
    """A report the step's tool writes into a pipe: read as it is written, bounded, kept by the host."""

    def __init__(self, bound: ReportBound, identity: Identity | None):
        r, w = os.pipe()
        if identity is not None:  # tools open it by path (/dev/fd/4), which checks the pipe's owner
            os.fchown(w, identity.uid, identity.gid)
        self.read_end, self.write_end = _high_fd(r), _high_fd(w)
        self.bound = bound
        self.data = bytearray()
        self.lines = 0
        self.overflow = ""
        self.reader = threading.Thread(target=self._drain, daemon=True)
        self.reader.start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.read_end, 65536)
            except OSError:
                return
            if not chunk:
                return
            if self.overflow:
                continue  # keep draining so the writer never blocks; what comes now is not kept
            self.data.extend(chunk)
            self.lines += chunk.count(b"\n")
            if len(self.data) > self.bound.bytes:
                self.overflow = f"the report grew past {self.bound.bytes} bytes"
            elif self.lines > self.bound.lines:
                self.overflow = f"the report grew past {self.bound.lines} lines"
            if self.overflow:
                self.data.clear()

    def close_write_end(self) -> None:
        if self.write_end >= 0:
            os.close(self.write_end)
            self.write_end = -1

    def discard(self) -> None:
        self.close_write_end()
        self.reader.join(timeout=10)
        os.close(self.read_end)

    def finish(self, path: Path) -> str | None:
        """Keep what was read at ``path`` (the host's file; a file the run left there is replaced) and say what
        was wrong with it, if anything."""
        self.reader.join(timeout=10)
        os.close(self.read_end)
        if self.overflow:
            return f"{self.overflow} (bounded by the {self.bound.bytes // 1024} KB the expected tests need)"
        if os.path.lexists(path):
            os.unlink(path)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(self.data)
        return None
