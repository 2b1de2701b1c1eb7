"""The verdict's rules (issue 23): tests the exercise skips on purpose are expected skipped, exactly; a test file
that failed to load is an error whatever else ran."""

from __future__ import annotations

from polyglot_hrm.execution.verdict import SKIPPED, expected_entry, judge, split_expected
from polyglot_hrm.languages import get_language
from polyglot_hrm.languages.reports import Canary, Report, TestOutcome

PY = get_language("python")
CANARY = Canary("tok", ("pgcanary_tok_pass",), ("pgcanary_tok_fail",))
CANARIES = [TestOutcome("pgcanary_tok_pass", "passed"), TestOutcome("pgcanary_tok_fail", "failed")]


def report(*tests: tuple[str, str], load_errors=()) -> Report:
    return Report([TestOutcome(n, o) for n, o in tests] + CANARIES, list(load_errors))


def test_a_reference_records_its_skips():
    verdict = judge(PY, report(("a", "passed"), ("b", "skipped")), CANARY, None, "", [0])
    assert (verdict.status, verdict.counts.passed, verdict.counts.total) == ("passed", 1, 1)
    assert [expected_entry("a", "passed"), expected_entry("b", "skipped")] == ["a", "b" + SKIPPED]
    assert split_expected(["a", "b" + SKIPPED]) == ({"a": 1}, {"b": 1})


def test_a_candidate_must_skip_exactly_what_the_exercise_skips():
    expected = ("a", "b" + SKIPPED)
    ok = judge(PY, report(("a", "passed"), ("b", "skipped")), CANARY, expected, "", [0])
    assert (ok.status, ok.counts.passed, ok.counts.total) == ("passed", 1, 1)
    ran = judge(PY, report(("a", "passed"), ("b", "passed")), CANARY, expected, "", [0])
    assert ran.status == "failed" and "skips on purpose ran" in ran.reason
    skipped_more = judge(PY, report(("a", "skipped"), ("b", "skipped")), CANARY, expected, "", [0])
    assert (skipped_more.status, skipped_more.counts.passed, skipped_more.counts.total) == ("failed", 0, 1)
    missing = judge(PY, report(("a", "passed")), CANARY, expected, "", [0])
    assert missing.status == "error"


def test_a_reference_that_only_skips_is_not_a_pass():
    assert judge(PY, report(("a", "skipped")), CANARY, None, "", [0]).status == "error"


def test_a_test_file_that_failed_to_load_is_an_error_even_beside_passes():
    verdict = judge(PY, report(("a", "passed"), load_errors=["spec.js: SyntaxError"]), CANARY, ("a",), "", [1])
    assert verdict.status == "error" and "failed to load" in verdict.reason and verdict.counts.passed == 0
