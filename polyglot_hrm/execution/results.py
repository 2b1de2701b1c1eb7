"""What a test run returns, and its output as a prompt shows it (:func:`trim_output`)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, get_args

__all__ = ["Status", "STATUSES", "TestCounts", "RunResult", "trim_output"]

Status = Literal["passed", "failed", "compile_error", "timeout", "error"]
STATUSES: tuple[str, ...] = get_args(Status)


@dataclass(frozen=True)
class TestCounts:
    """Tests counted from the test tool's own output."""

    __test__ = False  # not a pytest test class, despite the name

    passed: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.passed + self.failed

    def __add__(self, other: "TestCounts") -> "TestCounts":
        return TestCounts(self.passed + other.passed, self.failed + other.failed)


@dataclass
class RunResult:
    """One run of an exercise's tests against one candidate.

    ``status``: ``passed`` (the test tool reported every expected test passed, and the run's canaries
    came out right: see :mod:`polyglot_hrm.execution.verdict`), ``failed`` (it built, some test failed),
    ``compile_error`` (it did not build, or the test file could not be loaded), ``timeout``
    (the wall-clock limit was hit; the whole process tree was killed), ``error`` (anything else:
    no tests found, the runner's own failure, a resource limit; ``infrastructure`` says which of these were
    this machine's failure rather than the candidate's).
    """

    problem_id: str
    status: Status
    tests_passed: int = 0
    tests_failed: int = 0
    tests_total: int = 0
    duration_s: float = 0.0
    output: str = ""
    mode: str = "candidate"
    # Seconds in the build steps alone (compiler, linker): the floor a faster runner cannot go under. None
    # where building and testing are one step (Python, JavaScript, Java's one-JVM runner).
    build_s: float | None = None
    # Files the candidate sent that the run left out ({"path", "reason"}): tests, build files, ...
    ignored_files: list[dict[str, str]] = field(default_factory=list)
    # "process": the candidate's code ran in a process of its own, out of reach of the tests, the test tool and
    # the report; "in-process": it shared one with them (compiled languages' one binary or JVM, and the exercises
    # a language's fallback list names). See README "What `passed` means".
    isolation: str = "in-process"
    # True where the run could not judge the candidate for a reason of this machine's, not the candidate's (a
    # dependency not provisioned, the sandbox or a process that could not start, the runner's own failure, a run
    # lost on the cluster, a reference that does not pass here): status ``error``, and a reward leaves it out
    # (:mod:`polyglot_hrm.rewards`) rather than teach the model it was wrong. Set by this project's code only,
    # never read from a run's output, so a candidate cannot print its way into it.
    infrastructure: bool = False

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status {self.status!r} is not one of {STATUSES}")

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def to_dict(self, with_output: bool = True) -> dict[str, Any]:
        data = asdict(self)
        if not with_output:
            data.pop("output")
        if not self.infrastructure:  # only where set: the results of ordinary runs read as before
            data.pop("infrastructure")
        return data


_TMP_PATH = re.compile(r"/\S*?polyglot-hrm-[\w]+/")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def trim_output(text: str, limit: int = 2000) -> str:
    """Test output for a prompt: colour codes and temporary workspace paths removed, blank-line runs
    squeezed; when longer than ``limit`` characters, its first 60% (the first failures) and last 40%
    (the summary), cut at line breaks, around a ``[...]`` line."""
    text = _TMP_PATH.sub("", _ANSI.sub("", text))
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if len(text) <= limit:
        return text
    head = text[:int(limit * 0.6)]
    head = head[:head.rfind("\n")] if "\n" in head else head
    tail = text[-int(limit * 0.4):]
    tail = tail[tail.find("\n") + 1:] if "\n" in tail else tail
    return f"{head}\n[...]\n{tail}"
