"""Shared fixtures: the built-in mini-benchmark, the real benchmark when available, tree builders; commands run in
the test's process; results made once per session."""

from __future__ import annotations

import copy
import fcntl
import io
import json
import logging
import os
import pickle
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import pytest

from polyglot_hrm.execution import LocalExecutor
from polyglot_hrm.execution.job import JobOutcome
from polyglot_hrm.problems import load_benchmark, mini_benchmark_root
from polyglot_hrm.settings import BENCHMARK_ROOT_ENV

ALL_LANGUAGES = ["cpp", "go", "java", "javascript", "python", "rust"]


@pytest.fixture(scope="session")
def mini_root() -> Path:
    return mini_benchmark_root()


@pytest.fixture(scope="session")
def mini_problems(mini_root: Path):
    return load_benchmark(mini_root, strict=True)


def once_per_session(name: str, make: Callable[[], Any], tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``make()``, computed once per test session even across pytest-xdist's workers: the first worker to ask makes
    it (the others wait on a lock) and leaves it pickled in the session's temporary folder."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the session's folder, above each worker's own
    path = base / f"once-{name}.pickle"
    with open(base / f"once-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.is_file():
            return pickle.loads(path.read_bytes())
        value = make()
        path.write_bytes(pickle.dumps(value))
        return value


@pytest.fixture(scope="session")
def mini_reference_and_stub_results(mini_problems, tmp_path_factory):
    """Every mini-benchmark problem run as its reference and as its stub (in that order) on the local pool, two
    workers, once per session: test_runners checks these verdicts and test_executors compares a Ray cluster's with
    them, so that neither file makes the same 58 runs again."""
    from polyglot_hrm.execution import LocalExecutor, RunTask, run_many

    def run():
        tasks = [RunTask(p, mode=m) for p in mini_problems for m in ("reference", "stub")]
        return run_many(tasks, executor=LocalExecutor(2), progress=False)

    return once_per_session("mini-reference-and-stub", run, tmp_path_factory)


def job_key(job) -> tuple:
    """A run as an executor is given it, less its place in the batch: jobs with equal keys are the same run. The
    candidate counts as the run sees it, the workspace it makes (a candidate that leaves a solution file out gets
    the stub's, as one that sends the stub's file does), with the files left out and why."""
    from polyglot_hrm.execution.workspace import CandidateError, workspace_files

    try:
        prepared = workspace_files(job.problem, job.mode, job.candidate)
        seen = (tuple(sorted(prepared.files.items())), tuple(prepared.ignored))
    except CandidateError:
        seen = (None if job.candidate is None else tuple(sorted(job.candidate.items())), ())
    files = tuple(sorted((f.path, f.role, f.content) for f in job.problem.files))
    return (job.problem.id, files, seen, job.mode, job.timeout_s, job.build_timeout_s, job.expected, job.missing)


class SharedRunsExecutor(LocalExecutor):
    """The local pool (``jobs`` workers) remembering the runs it makes in ``runs`` (job key -> result): a job equal to
    one in ``runs`` gets a copy of that run's result instead of running again; ``.served`` counts those. For a test
    whose subject is what is done with runs (a reward's mapping) on runs another test made and checked."""

    def __init__(self, jobs: int, runs: dict | None = None):
        super().__init__(jobs)
        self.runs = {} if runs is None else runs
        self.served = 0

    def run(self, batch, ctx, sandbox, output_limit, on_outcome):
        todo, keys = [], {}
        for job in batch:
            key = job_key(job)
            if key in self.runs:
                self.served += 1
                on_outcome(JobOutcome(job.index, copy.deepcopy(self.runs[key]), node=self.node))
            else:
                todo.append(job)
                keys[job.index] = key

        def remember(outcome):
            self.runs[keys[outcome.index]] = copy.deepcopy(outcome.result)
            on_outcome(outcome)

        if todo:
            super().run(todo, ctx, sandbox, output_limit, remember)


@dataclass
class Catalogue:
    """The forgery catalogue's runs: results by attack key (``("reference", language, slug)`` for the references run
    after the attacks) and every run by job key."""

    results: dict
    runs: dict


@pytest.fixture(scope="session")
def forgery_catalogue(mini_problems, tmp_path_factory) -> Catalogue:
    """Every attack of ``fixtures/forgery.py`` on the local pool (three workers), then the references of the attacked
    problems, once per session: test_forgery checks these verdicts; test_rewards sends the same attacks as
    completions, and the jobs they make, identical to these, get these runs."""
    from fixtures.forgery import ATTACKS, TARGETS, TIMEOUT
    from polyglot_hrm.execution import RunTask, run_many

    def run():
        problems = {(p.language, p.slug): p for p in mini_problems}
        tasks = [RunTask(problems[(a.language, a.slug)], a.files, timeout=TIMEOUT[a.language], key=a.key)
                 for a in ATTACKS]
        tasks += [RunTask(problems[t], mode="reference", key=("reference", *t)) for t in TARGETS]
        # Three workers on two cores: four of the attacks sit idle until their limit (a minute; a hang is their
        # defeat), and the long builds, started first, bring them together: two of them at once would leave a
        # two-worker pool idle that long.
        executor = SharedRunsExecutor(3)
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("POLYGLOT_HRM_ALLOW_CODE_EXECUTION", "1")
            results = run_many(tasks, executor=executor, progress=False)
        return Catalogue({t.key: r for t, r in zip(tasks, results)}, executor.runs)

    return once_per_session("forgery-catalogue", run, tmp_path_factory)


@pytest.fixture
def allow_execution(monkeypatch):
    """Opt in to running candidate code for one test (as a user does with the env var)."""
    monkeypatch.setenv("POLYGLOT_HRM_ALLOW_CODE_EXECUTION", "1")


@pytest.fixture(scope="module")
def allow_execution_module():
    """The same for a module-scoped fixture; restores the environment afterwards."""
    old = os.environ.get("POLYGLOT_HRM_ALLOW_CODE_EXECUTION")
    os.environ["POLYGLOT_HRM_ALLOW_CODE_EXECUTION"] = "1"
    yield
    if old is None:
        del os.environ["POLYGLOT_HRM_ALLOW_CODE_EXECUTION"]
    else:
        os.environ["POLYGLOT_HRM_ALLOW_CODE_EXECUTION"] = old


@dataclass
class CommandRun:
    """What a command run in this process gave: its exit status and what it printed (as a subprocess's would be)."""

    returncode: int
    stdout: str
    stderr: str


def run_command(*argv: str, entry: Callable[[Sequence[str]], int] | None = None, execution: bool = True) -> CommandRun:
    """``polyglot-hrm ARGV`` (or another entry point's ``main``) in this process, with the code-execution opt-in
    unless ``execution`` is false. A new process would spend seconds importing torch, transformers and datasets
    before doing anything; here those imports are paid once per test worker. Tests of the process boundary itself
    (a signal, a killed run, an installed script, what a fresh interpreter imports) start a real process instead."""
    from polyglot_hrm.cli import main

    out, err = io.StringIO(), io.StringIO()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    # Without pytest's handlers on the root logger, the command's logging.basicConfig sends its log to its stderr,
    # as it does in a process of its own.
    root.handlers = []
    try:
        with pytest.MonkeyPatch.context() as patch, redirect_stdout(out), redirect_stderr(err):
            if execution:
                patch.setenv("POLYGLOT_HRM_ALLOW_CODE_EXECUTION", "1")
            try:
                code = (entry or main)(list(argv))
            except SystemExit as exit_:  # argparse's usage errors, as the process would end
                code = 0 if exit_.code is None else exit_.code if isinstance(exit_.code, int) else 1
    finally:
        root.handlers, root.level = handlers, level
    return CommandRun(code, out.getvalue(), err.getvalue())


def run_module(name: str, *argv: str, execution: bool = True) -> CommandRun:
    """``python -m NAME ARGV`` in this process: the module run again as ``__main__`` by runpy, as ``-m`` runs it
    (its ``if __name__ == "__main__"`` block, its exit status), without a new interpreter's imports."""
    import runpy
    import sys
    import warnings

    def entry(args: Sequence[str]) -> int:
        with pytest.MonkeyPatch.context() as patch, warnings.catch_warnings():
            patch.setattr(sys, "argv", [name, *args])
            # "found in sys.modules ... prior to execution": this process imported it already; it runs anew.
            warnings.simplefilter("ignore", RuntimeWarning)
            runpy.run_module(name, run_name="__main__", alter_sys=True)
        return 0  # it ended without sys.exit

    return run_command(*argv, entry=entry, execution=execution)


#: The real benchmark, when the run was started with $POLYGLOT_BENCHMARK_ROOT set (read once, before any test).
REAL_ROOT = os.environ.get(BENCHMARK_ROOT_ENV) or None


@pytest.fixture(scope="session", autouse=True)
def _no_benchmark_root_in_the_environment():
    """Every command and library entry point reads $POLYGLOT_BENCHMARK_ROOT when no root is given: a test that
    relies on the default (the mini-benchmark) must not read the real benchmark because the suite was started
    with the variable set. Tests of the real benchmark take it from `real_root`; tests of the variable set it."""
    os.environ.pop(BENCHMARK_ROOT_ENV, None)
    yield
    if REAL_ROOT is not None:
        os.environ[BENCHMARK_ROOT_ENV] = REAL_ROOT


@pytest.fixture(scope="session")
def real_root() -> Path:
    if not REAL_ROOT:
        pytest.skip(f"{BENCHMARK_ROOT_ENV} is not set (point it at a polyglot-benchmark clone)")
    return Path(REAL_ROOT)


def write_exercise(exercise: Path, files: dict[str, str], config: dict[str, Any] | None = None,
                   instructions: str = "Do the thing.\n") -> Path:
    """Write an exercise directory: ``files`` by relative path, plus docs and .meta/config.json."""
    for rel, content in files.items():
        path = exercise / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    docs = exercise / ".docs" / "instructions.md"
    docs.parent.mkdir(parents=True, exist_ok=True)
    docs.write_text(instructions)
    if config is not None:
        meta = exercise / ".meta" / "config.json"
        meta.parent.mkdir(parents=True, exist_ok=True)
        meta.write_text(json.dumps(config))
    return exercise


def python_exercise(exercise: Path, slug_module: str = "greet") -> Path:
    """A minimal, valid Python exercise (used by layout and bad-input tests)."""
    return write_exercise(
        exercise,
        {
            f"{slug_module}.py": "def greet():\n    pass\n",
            f"{slug_module}_test.py": f"from {slug_module} import greet\n\ndef test_greet():\n    assert greet() == 'hi'\n",
            ".meta/example.py": "def greet():\n    return 'hi'\n",
            ".meta/tests.toml": '[a1]\ndescription = "one"\n\n[b2]\ndescription = "two"\ninclude = false\n',
        },
        {"authors": ["us"], "blurb": "Say hi.", "files": {"solution": [f"{slug_module}.py"],
                                                         "test": [f"{slug_module}_test.py"],
                                                         "example": [".meta/example.py"]}},
    )


# Files whose tests take minutes run first, longest first (measured on a fresh runner cache, where the dataset's
# verification runs are not in the journal yet): with `make test`'s two workers (pytest-xdist, one file per worker at
# a time, --no-loadscope-reorder) the long ones then overlap instead of ending the run alone. test_forgery leads: four
# of its attacks wait, idle, for their whole time limit, which other files' work fills. test_rewards comes after the
# catalogue is made (2-3 minutes in): its forgery test reuses those runs and would wait for them.
_LONG_FIRST = ("test_forgery.py", "test_hostile.py", "test_dataset_execution.py", "test_executors.py",
               "test_rewards.py", "test_training.py", "test_java_confinement.py", "test_backends.py",
               "test_runners.py", "test_architecture.py", "test_nothing_lost.py", "test_evaluation.py",
               "test_javascript_proxy.py", "test_metric.py", "test_javascript_deps.py", "test_modeling_hrm.py",
               "test_packaging.py")


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(_LONG_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
