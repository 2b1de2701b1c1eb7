"""What is known about each problem before any candidate runs: the tests it is expected to report, how long
its reference takes to build and test, and whether its untouched stub already passes them.

They are the names the exercise's reference solution reported when it passed, recorded once per
problem in the runner cache (``<cache>/expected/``), keyed by the content of the files that define
the tests (test, editor and support files) and by how this version of the runners names tests. A
dataset row carries them too (``expected_tests``), so the metric knows them from a row alone; a
problem that carries them (:attr:`Problem.expected_tests`) is not looked up.

The reference's seconds (build and test steps, measured like a run's timeout: provisioning and cache
preparation do not count) are written by every passing reference run (``polyglot-hrm validate``, the
runner recording expected tests), keyed by the files that define the tests *and* the reference's own
files, so a mutant run as a reference never stands for it. They calibrate the per-problem timeout
(:mod:`.timeouts`); this machine's record wins over one a dataset row carries (:attr:`Problem.reference_seconds`).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from ..problems.problem import Problem
from ..languages.artifacts import content_key
from ..languages.context import RunnerContext

__all__ = ["TEST_NAMES_VERSION", "expected_key", "load_expected", "load_reference_seconds", "load_stub_passes",
           "store_expected", "store_reference_seconds", "store_stub_passes"]

#: Bumped whenever a runner changes how it names tests (a recorded name would no longer match), or what a record
#: holds (2: tests the exercise skips on purpose, marked with :data:`~.verdict.SKIPPED`; 3: Jest's `test.skip` no
#: longer lifted).
TEST_NAMES_VERSION = "3"


def expected_key(problem: Problem) -> str:
    defining = sorted((f.path, f.role, f.content) for f in problem.files if f.role in ("test", "editor", "support"))
    return content_key("expected-tests", TEST_NAMES_VERSION, problem.language,
                       [part for item in defining for part in item])


def _path(ctx: RunnerContext, problem: Problem) -> Path:
    key = expected_key(problem)
    return ctx.path("expected", problem.language, f"{key}.json")


def load_expected(problem: Problem, ctx: RunnerContext) -> tuple[str, ...] | None:
    """The problem's expected test names (its own, else the recorded ones), or None when unknown."""
    if problem.expected_tests:
        return tuple(problem.expected_tests)
    try:
        data = json.loads(_path(ctx, problem).read_text())
        names = data["tests"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        return None
    return tuple(names)


def _write(path: Path, data: dict) -> None:
    """Write JSON atomically: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=0)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def store_expected(problem: Problem, ctx: RunnerContext, names: list[str]) -> None:
    """Record ``names`` as ``problem``'s expected tests."""
    _write(_path(ctx, problem), {"problem_id": problem.id, "tests": sorted(names)})


def _seconds_path(ctx: RunnerContext, problem: Problem) -> Path:
    defining = sorted((f.path, f.role, f.content) for f in problem.files if f.role != "solution")
    key = content_key("reference-seconds", problem.language, problem.reference_removes,
                      [part for item in defining for part in item])
    return ctx.path("expected", problem.language, f"seconds-{key}.json")


def load_reference_seconds(problem: Problem, ctx: RunnerContext) -> float | None:
    """Seconds the problem's reference took to build and test here (else the problem's own figure, else None)."""
    try:
        value = json.loads(_seconds_path(ctx, problem).read_text())["seconds"]
    except (OSError, ValueError, KeyError, TypeError):
        value = None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return float(value)
    return problem.reference_seconds


def store_reference_seconds(problem: Problem, ctx: RunnerContext, seconds: float) -> None:
    """Record the seconds a passing reference run took (the latest measurement wins)."""
    _write(_seconds_path(ctx, problem), {"problem_id": problem.id, "seconds": round(seconds, 3)})


def _stub_path(ctx: RunnerContext, problem: Problem) -> Path:
    stub = sorted((f.path, f.role, f.content) for f in problem.files if f.role != "reference")
    key = content_key("stub-passes", TEST_NAMES_VERSION, problem.language, [part for item in stub for part in item])
    return ctx.path("expected", problem.language, f"stub-{key}.json")


def load_stub_passes(problem: Problem, ctx: RunnerContext) -> bool | None:
    """Whether the problem's untouched stub passes its tests (Aider counts such exercises), None: not known."""
    try:
        value = json.loads(_stub_path(ctx, problem).read_text())["stub_passes"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return value if isinstance(value, bool) else None


def store_stub_passes(problem: Problem, ctx: RunnerContext, passes: bool) -> None:
    _write(_stub_path(ctx, problem), {"problem_id": problem.id, "stub_passes": passes})
