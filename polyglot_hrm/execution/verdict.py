"""What ``passed`` means, and the one function that decides it.

A run is ``passed`` only when all of this holds:

1. the test tool's own structured report (never text the candidate can print; see
   :mod:`polyglot_hrm.languages.reports`) lists the exercise's expected tests — the same names, as
   often as expected — and every one of them passed;
2. no other test ran (a candidate cannot add tests that pad the count);
3. the run's canaries came out right: every must-pass canary passed and every must-fail canary
   failed (a patched assertion library, a hooked reporter or an early exit cannot get this right
   without knowing the run's random canary names).

The expected tests come from the reference solution's run (:mod:`.expected`). Where a check fails the
run is ``error`` with the reason — never ``passed`` — except for what honest code does: a reported test
that failed is ``failed``, a build that broke is ``compile_error``.

What this does not stop: code that runs inside the test process can in principle do anything the test
tool can, so an *adaptive* attacker that reads this run's test files (or its own binary) at run time,
finds the canary names and writes a complete, consistent report in the tool's own format could still
forge one. No attack of that kind is known to the tests (``tests/test_forgery.py``), and each one has to
be written against this project's runners specifically.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from ..languages.base import Language
from ..languages.reports import Canary, Report, leaf_names
from .results import Status, TestCounts

__all__ = ["Verdict", "judge"]


@dataclass(frozen=True)
class Verdict:
    status: Status
    counts: TestCounts
    reason: str = ""  # why it is not ``passed`` (empty when it is)


def _crashed(returncodes: Sequence[int | None]) -> bool:
    """Whether a test process died of a signal (a crash, not an exit the code chose)."""
    return any(rc is not None and (rc < 0 or rc >= 128) for rc in returncodes)


def judge(language: Language, report: Report | None, canary: Canary, expected: Sequence[str] | None,
          output: str, returncodes: Sequence[int | None]) -> Verdict:
    """The status of one run from its report, its canaries and the expected tests (None: not known yet)."""
    last_rc = returncodes[-1] if returncodes else None
    if report is None or not report.tests:
        if (report is not None and report.load_errors) or language.is_compile_error(output, last_rc):
            return Verdict("compile_error", TestCounts(), "the tests could not be loaded with this code")
        if any(rc not in (0, None) for rc in returncodes):
            return Verdict("failed", TestCounts(), "the test run ended without a report (it crashed or exited early)")
        return Verdict("error", TestCounts(), "the test tool exited normally but wrote no report")

    canary_outcomes: dict[str, list[str]] = {}
    real: list[tuple[str, str]] = []
    for test in report.tests:
        cid = canary.id_of(test.name)
        if cid is None:
            real.append((test.name, test.outcome))
        else:
            canary_outcomes.setdefault(cid, []).append(test.outcome)

    unknown = sorted(set(canary_outcomes) - set(canary.must_pass) - set(canary.must_fail))
    if unknown:
        return _error(real, expected, language, f"the report holds canary names this run never made: {unknown[:3]}")
    for cid in canary.must_fail:
        if "passed" in canary_outcomes.get(cid, ()):
            return _error(real, expected, language, f"canary test {cid} must fail but passed: the test framework or "
                                                    f"its report was tampered with")
    for cid in canary.must_pass:
        if any(o != "passed" for o in canary_outcomes.get(cid, ())):
            return _error(real, expected, language, f"canary test {cid} must pass but did not: the test framework "
                                                    f"was tampered with")

    names = Counter(name for name, _ in real)
    if expected is not None:
        extra = names - Counter(expected)
        if extra:
            return _error(real, expected, language, f"{sum(extra.values())} test(s) ran that are not the exercise's: "
                                                    f"{sorted(extra)[:3]}")
    counts = _counts(real, expected, language)
    if any(outcome != "passed" for _, outcome in real):
        return Verdict("failed", counts, "some tests failed or were skipped")
    missing = (Counter(expected) - names) if expected is not None else Counter()
    silent = [cid for cid in (*canary.must_pass, *canary.must_fail) if cid not in canary_outcomes]
    if missing or silent:
        why = (f"{sum(missing.values())} expected test(s) and {len(silent)} canary test(s) were not reported "
               f"(e.g. {(sorted(missing) or silent)[:2]}): the run ended before every test ran")
        return Verdict("failed", counts, why) if _crashed(returncodes) else Verdict("error", counts, why)
    if not real:
        return Verdict("error", counts, "no test of the exercise ran")
    return Verdict("passed", counts)


def _counts(real: list[tuple[str, str]], expected: Sequence[str] | None, language: Language) -> TestCounts:
    """Tests passed, and failed = expected (or reported) less passed, counted by leaves for nested tests."""
    def leaves(names):
        return leaf_names(names, language.subtest_separator) if language.subtest_separator else set(names)

    passed_names = Counter(name for name, outcome in real if outcome == "passed")
    wanted = Counter(expected) if expected is not None else Counter(name for name, _ in real)
    keep = leaves(wanted)
    total = sum(n for name, n in wanted.items() if name in keep)
    passed = sum(min(n, wanted[name]) for name, n in passed_names.items() if name in keep)
    return TestCounts(passed, total - passed)


def _error(real, expected, language, reason: str) -> Verdict:
    """A report that cannot be trusted: none of its passes count."""
    return Verdict("error", TestCounts(0, _counts(real, expected, language).total), reason)
