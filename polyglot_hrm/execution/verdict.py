"""What ``passed`` means, and the one function that decides it.

A run is ``passed`` only when all of this holds:

1. the test tool's own structured report (never text the candidate can print; see
   :mod:`polyglot_hrm.languages.reports`) lists the exercise's expected tests — the same names, as
   often as expected — and every one of them passed, except those the exercise's own test file skips on
   purpose (``@unittest.skip``, ``t.Skip``, Jest's ``test.skip``), which must be reported skipped, as the
   reference's run reported them; pending markers (``xtest``, ``@Disabled``, ``@Ignore``, ``#[ignore]``,
   ``EXERCISM_RUN_ALL_TESTS``) are lifted before any run and are not skips;
2. no other test ran (a candidate cannot add tests that pad the count), and no test file failed to load;
3. the run's canaries came out right: every must-pass canary passed and every must-fail canary
   failed (a patched assertion library, a hooked reporter or an early exit cannot get this right
   without knowing the run's canary names).

The expected tests come from the reference solution's run (:mod:`.expected`): an entry is a test name, or a
name with :data:`SKIPPED` appended for a test the reference's run reported skipped. Where a check fails the run
is ``error`` with the reason — never ``passed`` — except for what honest code does: a reported test that
failed is ``failed``, a build that broke is ``compile_error``.

What this function cannot see is how the report was made: that it came from the test tool, in a process no
candidate code could reach, is the runner's part (:mod:`.job`, the languages' two-process runs, the no-exec
launcher); README "What `passed` means" says, per language, what that guarantees and what it does not.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from ..languages.base import Language
from ..languages.reports import Canary, Report, leaf_names
from .results import Status, TestCounts

__all__ = ["SKIPPED", "Verdict", "expected_entry", "judge", "split_expected"]

#: Appended to an expected test's name when the exercise's own test file skips it on purpose.
SKIPPED = " \u241fskipped"


@dataclass(frozen=True)
class Verdict:
    status: Status
    counts: TestCounts
    reason: str = ""  # why it is not ``passed`` (empty when it is)


def _crashed(returncodes: Sequence[int | None]) -> bool:
    """Whether a test process died of a signal (a crash, not an exit the code chose)."""
    return any(rc is not None and (rc < 0 or rc >= 128) for rc in returncodes)


def expected_entry(name: str, outcome: str) -> str:
    """How a test the reference reported with ``outcome`` is recorded among the expected tests."""
    return name + SKIPPED if outcome == "skipped" else name


def split_expected(expected: Sequence[str]) -> tuple[Counter, Counter]:
    """(tests that must pass, tests that must be reported skipped), each name with its count."""
    must_pass, must_skip = Counter(), Counter()
    for entry in expected:
        if entry.endswith(SKIPPED):
            must_skip[entry[: -len(SKIPPED)]] += 1
        else:
            must_pass[entry] += 1
    return must_pass, must_skip


def judge(language: Language, report: Report | None, canary: Canary, expected: Sequence[str] | None,
          output: str, returncodes: Sequence[int | None]) -> Verdict:
    """The status of one run from its report, its canaries and the expected tests (None: not known yet, a
    reference run recording them: then tests it reports skipped are recorded as skipped)."""
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
    must_pass, must_skip = split_expected(expected) if expected is not None else (None, Counter())

    if report.load_errors:
        return _error(real, must_pass, language, f"{len(report.load_errors)} test file(s) failed to load "
                                                 f"(besides the tests that ran): {report.load_errors[0][:200]}")
    unknown = sorted(set(canary_outcomes) - set(canary.must_pass) - set(canary.must_fail))
    if unknown:
        return _error(real, must_pass, language, f"the report holds canary names this run never made: {unknown[:3]}")
    for cid in canary.must_fail:
        if "passed" in canary_outcomes.get(cid, ()):
            return _error(real, must_pass, language, f"canary test {cid} must fail but passed: the test framework "
                                                     f"or its report was tampered with")
    for cid in canary.must_pass:
        if any(o != "passed" for o in canary_outcomes.get(cid, ())):
            return _error(real, must_pass, language, f"canary test {cid} must pass but did not: the test framework "
                                                     f"was tampered with")

    names = Counter(name for name, _ in real)
    if must_pass is not None:
        extra = names - must_pass - must_skip
        if extra:
            return _error(real, must_pass, language, f"{sum(extra.values())} test(s) ran that are not the "
                                                     f"exercise's: {sorted(extra)[:3]}")
    counts = _counts(real, must_pass, language)
    skipped_ok = must_skip if must_pass is not None else Counter(n for n, o in real if o == "skipped")
    wrong = [(n, o) for n, o in real if o != ("skipped" if n in skipped_ok else "passed")]
    if wrong:
        ran = [n for n, o in wrong if o == "passed"]
        why = (f"{len(ran)} test(s) the exercise skips on purpose ran (e.g. {ran[0]})" if ran
               else "some tests failed or were skipped")
        return Verdict("failed", counts, why)
    missing = (must_pass + must_skip - names) if must_pass is not None else Counter()
    silent = [cid for cid in (*canary.must_pass, *canary.must_fail) if cid not in canary_outcomes]
    if missing or silent:
        why = (f"{sum(missing.values())} expected test(s) and {len(silent)} canary test(s) were not reported "
               f"(e.g. {(sorted(missing) or silent)[:2]}): the run ended before every test ran")
        return Verdict("failed", counts, why) if _crashed(returncodes) else Verdict("error", counts, why)
    if not any(o == "passed" for _, o in real):
        return Verdict("error", counts, "no test of the exercise ran")
    return Verdict("passed", counts)


def _counts(real: list[tuple[str, str]], must_pass: Counter | None, language: Language) -> TestCounts:
    """Tests passed, and failed = expected (or reported, not skipped) less passed, counted by leaves for nested
    tests. Tests skipped on purpose count neither way."""
    def leaves(names):
        return leaf_names(names, language.subtest_separator) if language.subtest_separator else set(names)

    passed_names = Counter(name for name, outcome in real if outcome == "passed")
    wanted = must_pass if must_pass is not None else Counter(name for name, o in real if o != "skipped")
    keep = leaves(wanted)
    total = sum(n for name, n in wanted.items() if name in keep)
    passed = sum(min(n, wanted[name]) for name, n in passed_names.items() if name in keep)
    return TestCounts(passed, total - passed)


def _error(real, must_pass, language, reason: str) -> Verdict:
    """A report that cannot be trusted: none of its passes count."""
    return Verdict("error", TestCounts(0, _counts(real, must_pass, language).total), reason)
