"""Runners on the mini-benchmark, in all six languages: reference, stub, compile error, timeout, partial."""

from __future__ import annotations

import shutil

import pytest

from conftest import ALL_LANGUAGES
from fixtures.candidates import COMPILE_ERROR, INFINITE_LOOP, PARTIAL, PARTIAL_COUNTS, SOLUTION_PATH
from polyglot_hrm.problems.reader import load_benchmark
from polyglot_hrm.execution import RunTask, run_many, run_problem
from polyglot_hrm.execution.provision import setup_runners

# Compiled languages need the build to finish before the loop starts.
LOOP_TIMEOUT = {"python": 3, "javascript": 5, "go": 5, "java": 6, "rust": 6, "cpp": 6}
# Languages whose build is a step of its own (timed as RunResult.build_s); Java compiles inside its one-JVM runner.
SEPARATE_BUILD = {"cpp", "go", "rust"}
KINDS = ("reference", "stub", "partial", "compile_error", "loop")


@pytest.fixture(scope="module")
def results(mini_problems, mini_reference_and_stub_results, allow_execution_module):
    """Every (language, kind) run of digit-sum, on the pool (both cores), once for the module; the reference and
    stub runs are the session's runs of the whole mini-benchmark."""
    setup_runners(mini_problems)
    problems = {p.language: p for p in mini_problems if p.slug == "digit-sum"}
    tasks = []
    for lang in ALL_LANGUAGES:
        p, path = problems[lang], SOLUTION_PATH[lang]
        tasks += [RunTask(p, {path: PARTIAL[lang]}, key=(lang, "partial")),
                  RunTask(p, {path: COMPILE_ERROR[lang]}, key=(lang, "compile_error")),
                  RunTask(p, {path: INFINITE_LOOP[lang]}, timeout=LOOP_TIMEOUT[lang], key=(lang, "loop"))]
    out = run_many(tasks, timeout=180, progress=False)
    found = {(r.problem_id.split("/")[0], r.mode): r for r in mini_reference_and_stub_results
             if r.problem_id.endswith("/digit-sum")}
    return {**{t.key: r for t, r in zip(tasks, out)}, **found}


def test_every_mini_problem_passes_with_reference_and_fails_as_stub(mini_problems, mini_reference_and_stub_results):
    """The session's reference and stub runs of the mini-benchmark (conftest; test_executors compares with them)."""
    assert len(mini_reference_and_stub_results) == 2 * len(mini_problems)
    wrong = [(r.problem_id, r.mode, r.status) for r in mini_reference_and_stub_results
             if (r.mode == "reference") != r.passed]
    assert not wrong, wrong


pytestmark = pytest.mark.slow


@pytest.mark.parametrize("language", ALL_LANGUAGES)
def test_reference_passes_every_test(results, mini_problems, language):
    r = results[(language, "reference")]
    expected = next(p for p in mini_problems if p.id == f"{language}/digit-sum").metadata.test_case_count
    assert r.status == "passed", r.output
    assert (r.tests_passed, r.tests_failed, r.tests_total) == (expected, 0, expected)
    if language in SEPARATE_BUILD:
        assert 0 < r.build_s <= r.duration_s
    else:
        assert r.build_s is None


@pytest.mark.parametrize("language", ALL_LANGUAGES)
def test_stub_fails(results, language):
    r = results[(language, "stub")]
    assert r.status in ("failed", "compile_error"), r.output
    assert r.tests_passed == 0


@pytest.mark.parametrize("language", ALL_LANGUAGES)
def test_partial_solution_counts(results, language):
    r = results[(language, "partial")]
    assert r.status == "failed", r.output
    assert (r.tests_passed, r.tests_failed) == PARTIAL_COUNTS, r.output
    assert r.tests_total == sum(PARTIAL_COUNTS)


@pytest.mark.parametrize("language", ALL_LANGUAGES)
def test_compile_error_is_reported_as_such(results, language):
    r = results[(language, "compile_error")]
    assert r.status == "compile_error", r.output
    assert r.tests_passed == 0


@pytest.mark.parametrize("language", ALL_LANGUAGES)
def test_infinite_loop_times_out(results, language):
    r = results[(language, "loop")]
    assert r.status == "timeout", r.output
    assert r.duration_s < LOOP_TIMEOUT[language] + 15
    assert "timed out" in r.output


def test_candidate_runs_need_the_opt_in(mini_problems, monkeypatch):
    from polyglot_hrm.execution.sandbox import ExecutionNotAllowed

    monkeypatch.delenv("POLYGLOT_HRM_ALLOW_CODE_EXECUTION", raising=False)
    monkeypatch.delenv("HF_ALLOW_CODE_EVAL", raising=False)
    p = next(p for p in mini_problems if p.id == "python/digit-sum")
    with pytest.raises(ExecutionNotAllowed, match="POLYGLOT_HRM_ALLOW_CODE_EXECUTION=1"):
        run_problem(p, {"digit_sum.py": "x = 1\n"})
    monkeypatch.setenv("HF_ALLOW_CODE_EVAL", "1")  # what HF code_eval users already set
    assert run_problem(p, {"digit_sum.py": PARTIAL["python"]}).tests_passed == 1


def test_candidate_cannot_escape_or_replace_tests(mini_problems, allow_execution):
    p = next(p for p in mini_problems if p.id == "python/digit-sum")
    r = run_problem(p, {"../evil.py": "x = 1\n", "digit_sum.py": PARTIAL["python"]})
    assert r.status == "failed" and r.tests_passed == 1, r.output
    assert r.ignored_files == [{"path": "../evil.py", "reason": "bad path: not a relative path inside the exercise"}]
    # Replacing the test file with an always-passing one is ignored: the real tests still run.
    test_path = p.paths("test")[0]
    r = run_problem(p, {test_path: "def test_ok():\n    assert True\n"})
    assert r.status == "failed" and r.tests_total == 6
    assert r.ignored_files[0]["path"] == test_path and "test file" in r.ignored_files[0]["reason"]


def test_a_slow_but_correct_javascript_test_passes(mini_root, tmp_path):
    """Jest's default 5 s per test failed a correct reference on a loaded machine; the run's limit is what counts."""
    exercise = tmp_path / "javascript" / "exercises" / "practice" / "caesar-shift"
    shutil.copytree(mini_root / "javascript" / "exercises" / "practice" / "caesar-shift", exercise)
    spec = exercise / "caesar-shift.spec.js"
    spec.write_text(spec.read_text().rstrip().removesuffix("});") + (
        "  test('a slow but correct test', async () => {\n"
        "    await new Promise((resolve) => setTimeout(resolve, 6000));\n"
        "    expect(shift('a', 1)).toEqual('b');\n  });\n});\n"))
    problem = load_benchmark(tmp_path, ["javascript"])[0]
    setup_runners([problem])
    result = run_problem(problem, mode="reference", timeout=60)
    tests = spec.read_text().count("test(")  # test( and xtest(: Jest runs them all here
    assert result.status == "passed" and result.tests_passed == tests, result.output
