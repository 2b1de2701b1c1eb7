"""What a test tool reported, read from its structured report, and the canary tests added to every run.

A run's verdict is never read from the text a candidate can print: each language asks its test tool
for a structured report (JUnit XML, Jest JSON, libtest's log file, Go's test2json framing) and turns it
into a :class:`Report` — one :class:`TestOutcome` per test. Reports are read on the host from files the
sandboxed run wrote, so they are untrusted input: :func:`read_report_file` refuses symlinks, devices
and oversized files, :func:`parse_xml` refuses DTDs and entities, and every parser here is linear in
its input.

Every run also carries *canaries* (:class:`Canary`): tests with random, per-run names added to the
exercise's test files, some that must pass and some that must fail. A patched assertion library, a hooked
reporter or an early exit shows up as a canary with the wrong outcome or none at all.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
import xml.etree.ElementTree as ET
from collections import Counter
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Literal

__all__ = ["DURATIONS", "Canary", "canary_id", "canary_values", "Outcome", "Report", "ReportError", "TestOutcome", "canary_token", "leaf_names",
           "parse_xml", "read_report_file", "report_limit", "junit_outcomes", "junit_text", "MAX_REPORT_BYTES"]

Outcome = Literal["passed", "failed", "skipped"]

#: A report bigger than this is not a test report (the real benchmark's largest is under 200 KB).
MAX_REPORT_BYTES = 16 * 1024 * 1024
#: A duration as the test tools print them: pytest ``in 0.05s``, ``go test`` ``(0.00s)``, cargo ``finished in 0.00s``,
#: Jest ``0.5 s`` and ``12 ms``; the group ``number`` is what :attr:`.base.Language.durations` masks.
DURATIONS = re.compile(r"(?<![\w.])(?P<number>\d+(?:\.\d+)?)(\s?)(ms|s)\b")
#: Prefix of every canary test's name: a real test never carries it with the run's random token.
CANARY_PREFIX = "pgcanary_"


class ReportError(ValueError):
    """A report file that cannot be a genuine report (a link, a device, too big, malformed)."""


@dataclass(frozen=True)
class TestOutcome:
    __test__ = False  # not a pytest test class

    name: str
    outcome: Outcome


@dataclass
class Report:
    """Tests the tool reported, in order; ``load_errors``: suites that failed to load (a compile error);
    ``text``: what the tool put in the report instead of on the console (failures, captured output)."""

    tests: list[TestOutcome] = field(default_factory=list)
    load_errors: list[str] = field(default_factory=list)
    text: str = ""

    def names(self) -> Counter:
        return Counter(t.name for t in self.tests)


@dataclass(frozen=True)
class Canary:
    """The canary tests of one run: ``must_pass`` and ``must_fail`` hold their ids.

    An id is either the canary's name exactly as the report gives it -- canaries named like any other test of the
    language, so that their names reveal neither the run's token nor whether they must pass or fail -- or a name
    that embeds ``pgcanary_<token>`` (found anywhere in a reported name). ``shown``: what the console output shows
    of each token-less canary (its name as the tool prints it), so that :meth:`mentioned_in` finds its lines.
    """

    token: str
    must_pass: tuple[str, ...]
    must_fail: tuple[str, ...]
    shown: tuple[str, ...] = ()

    def id_of(self, test_name: str) -> str | None:
        """The canary id a reported test name carries, or None for one of the exercise's own tests."""
        if test_name in self.must_pass or test_name in self.must_fail:
            return test_name
        marker = f"{CANARY_PREFIX}{self.token}"
        start = test_name.rfind(marker)  # Jest's full names repeat the describe block's title first
        if start < 0:
            return None
        end = start + len(marker)
        while end < len(test_name) and (test_name[end].isalnum() or test_name[end] == "_"):
            end += 1
        return test_name[start:end]

    def mentioned_in(self, line: str) -> bool:
        """Whether a line of console output names one of this run's canaries (scrubbed from what people read)."""
        return self.name("") in line or any(shown in line for shown in self.shown)

    def name(self, kind: str) -> str:
        return canary_id(self.token, kind)


def canary_token() -> str:
    return secrets.token_hex(8)


def canary_id(token: str, kind: str) -> str:
    """The id of canary ``kind`` (``pass`` or ``fail_<what>``) of run ``token``: an identifier in every language."""
    return f"{CANARY_PREFIX}{token}_{kind}"


def canary_values(token: str) -> tuple[int, int]:
    """Two different numbers for the canaries' assertions, drawn from the run's token."""
    a = 1000 + int(token[:4], 16)
    return a, a + 1


_LIMIT: ContextVar[int] = ContextVar("report_limit", default=MAX_REPORT_BYTES)


@contextmanager
def report_limit(limit: int) -> Iterator[None]:
    """Within this block, :func:`read_report_file` refuses reports over ``limit`` bytes (the runner sets it from
    the number of tests a run is expected to report)."""
    token = _LIMIT.set(limit)
    try:
        yield
    finally:
        _LIMIT.reset(token)


def read_report_file(path: Path, limit: int | None = None) -> bytes | None:
    """The bytes of a report the sandboxed run wrote, or None when there is none.

    Never follows a symbolic link (a candidate could point the report at a host file), reads regular
    files only, and refuses files over ``limit`` bytes (default: the bound :func:`report_limit` set, else
    :data:`MAX_REPORT_BYTES`).
    """
    limit = _LIMIT.get() if limit is None else limit
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError as err:
        raise ReportError(f"report {path.name} cannot be opened safely ({err.strerror})") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ReportError(f"report {path.name} is not a regular file")
        if info.st_size > limit:
            raise ReportError(f"report {path.name} is {info.st_size} bytes (limit {limit})")
        data = f.read(limit + 1)
    if len(data) > limit:
        raise ReportError(f"report {path.name} grew past {limit} bytes")
    return data


def parse_xml(data: bytes) -> ET.Element:
    """Parse a report's XML; documents with a DTD or entity declarations are refused (no expansion bombs)."""
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        raise ReportError("XML report declares a DTD or entities")
    try:
        return ET.fromstring(data)
    except ET.ParseError as err:
        raise ReportError(f"XML report is malformed ({err})") from None


def junit_outcomes(root: ET.Element, name_of) -> Report:
    """Every ``<testcase>`` of a JUnit-style XML report; ``name_of(testcase)`` gives its name."""
    report = Report()
    for case in root.iter("testcase"):
        tags = {child.tag for child in case}
        if "failure" in tags or "error" in tags:
            outcome: Outcome = "failed"
        elif "skipped" in tags:
            outcome = "skipped"
        else:
            outcome = "passed"
        report.tests.append(TestOutcome(name_of(case), outcome))
    return report


def junit_text(root: ET.Element, limit: int = 64 * 1024) -> str:
    """The failures and captured output of a JUnit XML report as console-like text (for tools that write
    them only into the report), at most ``limit`` characters."""
    parts: list[str] = []
    size = 0
    for case in root.iter("testcase"):
        for child in case:
            if child.tag in ("failure", "error", "system-out", "system-err") and (child.text or child.get("message")):
                head = f"--- {case.get('name', '')}: {child.tag}"
                body = (child.text or child.get("message") or "").strip()
                parts.append(f"{head}\n{body[:4096]}")
                size += len(parts[-1])
                if size > limit:
                    return "\n".join(parts)[:limit] + "\n[... report text cut]"
    return "\n".join(parts)


def leaf_names(names: Iterable[str], separator: str = "/") -> set[str]:
    """Names that are no other name's parent (Go subtests: ``TestX/case`` is a leaf, ``TestX`` is not)."""
    names = set(names)
    parents = set()
    for name in names:
        cut = name.rfind(separator)
        while cut > 0:
            parents.add(name[:cut])
            cut = name.rfind(separator, 0, cut)
    return names - parents
