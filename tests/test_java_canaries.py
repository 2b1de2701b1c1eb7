"""Java's canaries (issue 23): random, ordinary-looking class and method names that carry neither the run's token
nor whether a canary must pass or fail; the verdict reads them through :class:`JavaCanary` unchanged; the output
shows none of them. And the JDK range the SecurityManager needs. (No code runs here: see test_java_confinement.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from polyglot_hrm.problems.reader import load_benchmark
from polyglot_hrm.execution.verdict import judge
from polyglot_hrm.languages import get_language
from polyglot_hrm.languages.java import JavaCanary, jdk_major, jdk_problem
from polyglot_hrm.languages.reports import Report, TestOutcome

JAVA_MINI = Path(__file__).parent / "fixtures" / "java_mini"


@pytest.fixture(scope="module")
def junit4_problem():
    return next(p for p in load_benchmark(JAVA_MINI, ["java"], strict=True) if p.slug == "vowel-count")


def _canary_files(problem) -> dict[str, str]:
    return {f.path: f.content for f in problem.files if f.role in ("test", "solution", "support")}


@pytest.mark.parametrize("which", ["jupiter", "junit4"])
def test_canary_names_carry_no_token_and_say_nothing(mini_problems, junit4_problem, which):
    problem = junit4_problem if which == "junit4" else next(p for p in mini_problems if p.id == "java/digit-sum")
    java = get_language("java")
    # A token whose prefix is letters: the canary's random numbers (assertEquals(20101, 20123)) may hold any digits.
    token = "fedcba9876543210"
    seen_classes = set()
    for _ in range(8):
        files = _canary_files(problem)
        before = set(files)
        canary = java.add_canaries(files, problem, token)
        added = set(files) - before
        assert len(added) == 1
        path = added.pop()
        source = files[path]
        assert isinstance(canary, JavaCanary)
        # The token is nowhere; no name says canary, pass or fail.
        assert token not in source and token[:4] not in source
        for name in (path, canary.class_name, *canary.must_pass, *canary.must_fail):
            assert token[:4] not in name and not any(w in name.lower() for w in ("canary", "pass", "fail"))
        assert path == f"src/test/java/{canary.class_name}.java" and canary.class_name.endswith("Test")
        assert not set(canary.must_pass) & set(canary.must_fail)
        # The report's names map back to the canary's sets; the exercise's own tests map to nothing.
        for method in (*canary.must_pass, *canary.must_fail):
            assert canary.id_of(f"{canary.class_name}.{method}()") == method  # Jupiter's report names
            assert canary.id_of(f"{canary.class_name}.{method}") == method  # Vintage's
            assert f"void {method}()" in source
        assert canary.id_of("DigitSumTest.singleDigit()") is None
        if which == "junit4":  # JUnit 4's own assertions are checked too
            assert "org.junit.Assert.assertEquals" in source
        seen_classes.add(canary.class_name)
    assert len(seen_classes) > 1  # drawn at random each run


def test_jdk_range_is_checked():
    assert jdk_major('openjdk version "17.0.15" 2025-04-15') == 17
    assert jdk_major('java version "1.8.0_392"') == 8
    assert jdk_problem('openjdk version "21.0.2" 2024-01-16') is None
    for version in ('openjdk version "24" 2025-03-18', 'openjdk version "11.0.22" 2024-01-16', "garbage"):
        why = jdk_problem(version)
        assert why and "openjdk-17-jdk-headless" in why and "SecurityManager" in why


def _canary(problem) -> tuple[JavaCanary, str]:
    files = _canary_files(problem)
    canary = get_language("java").add_canaries(files, problem, "0123456789abcdef")
    return canary, files[f"src/test/java/{canary.class_name}.java"]


def test_the_verdict_reads_java_canaries_unchanged(mini_problems):
    problem = next(p for p in mini_problems if p.id == "java/digit-sum")
    java = get_language("java")
    canary, _ = _canary(problem)
    expected = ["DigitSumTest.singleDigit()", "DigitSumTest.largeNumber()"]
    real = [TestOutcome(name, "passed") for name in expected]

    def outcomes(passing: str, failing: str) -> list[TestOutcome]:
        return ([TestOutcome(f"{canary.class_name}.{m}()", passing) for m in canary.must_pass]
                + [TestOutcome(f"{canary.class_name}.{m}()", failing) for m in canary.must_fail])

    assert judge(java, Report(real + outcomes("passed", "failed")), canary, expected, "", [1]).status == "passed"
    tampered = judge(java, Report(real + outcomes("passed", "passed")), canary, expected, "", [0])
    assert tampered.status == "error" and "must fail but passed" in tampered.reason
    early_exit = judge(java, Report(real), canary, expected, "", [0])
    assert early_exit.status == "error" and "canary" in early_exit.reason
    forged = judge(java, Report(real + outcomes("passed", "failed") + [TestOutcome(f"{canary.class_name}.x()", "failed")]),
                   canary, expected, "", [1])
    assert forged.status == "error" and "never made" in forged.reason


def test_scrub_drops_the_canaries_and_the_security_manager_notice(mini_problems):
    problem = next(p for p in mini_problems if p.id == "java/digit-sum")
    canary, _ = _canary(problem)
    fail = canary.must_fail[0]
    output = "\n".join([
        "WARNING: A terminally deprecated method in java.lang.System has been called",
        "WARNING: System::setSecurityManager has been called by polyglothrm.runner.Confinement (file:/x/runner.jar)",
        "WARNING: Please consider reporting this to the maintainers of polyglothrm.runner.Confinement",
        "WARNING: System::setSecurityManager will be removed in a future release",
        "├─ JUnit Jupiter ✔",
        "│  ├─ DigitSumTest ✔",
        "│  │  └─ singleDigit() ✔",
        f"│  └─ {canary.class_name} ✔",
        f"│     ├─ {fail}() ✘ ",
        "│     │        expected: 1234",
        "│     │         but was: 1235",
        f"│     └─ {canary.must_pass[0]}() ✔",
        "└─ JUnit Platform Suite ✔",
        "Failures (1):",
        f"  JUnit Jupiter:{canary.class_name}:{fail}()",
        f"    MethodSource [className = '{canary.class_name}', methodName = '{fail}', methodParameterTypes = '']",
        "    => org.opentest4j.AssertionFailedError: 1234",
        "Test run finished after 1 ms",
        "[         3 tests successful      ]",
    ])
    kept = get_language("java").scrub(output, canary)
    assert kept.splitlines() == ["├─ JUnit Jupiter ✔", "│  ├─ DigitSumTest ✔", "│  │  └─ singleDigit() ✔",
                                 "└─ JUnit Platform Suite ✔", "Test run finished after 1 ms"], kept
