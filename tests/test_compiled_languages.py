"""Go, Rust and C++ against candidates written for their runners (issue 23).

Canaries are named like ordinary tests (no token, no hint of their outcome); the test binary is started directly,
without a compiler, under the no-exec launcher, with the test sources out of its view; Rust's library and C++'s own
``.cpp`` files are compiled with the tests out of view; Go refuses ``//go:embed``; C++'s ``main()`` is ours, leaves
with ``_Exit`` once Catch2 wrote the report and refuses a test run started before it.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from conftest import write_exercise
from fixtures.compiled import (CPP_STATIC_INIT_SESSION, CPP_WRITES_REPORT_AT_EXIT, GO_EMBEDS_ITS_TESTS,
                               READS_TESTS_AT_RUN_TIME, RUST_INCLUDES_ITS_TESTS)
from polyglot_hrm.problems.reader import load_benchmark
from polyglot_hrm.execution import RunTask, run_many
from polyglot_hrm.execution.provision import setup_runners
from polyglot_hrm.execution.workspace import materialise, workspace_files
from polyglot_hrm.languages import get_language
from polyglot_hrm.languages.base import REPORT_FD_PATH
from polyglot_hrm.languages.context import RunnerContext

COMPILED = ("go", "rust", "cpp")
TOKEN = "0f1e2d3c4b5a6978"
# What a canary's name looks like: the same for those that must pass and those that must fail.
NAME_SHAPE = {"go": r"Test(?:[A-Z][a-z]+){3}", "rust": r"digit_sum::[a-z]+_[a-z]+_[a-z]+", "cpp": r"[a-z]+ [a-z]+ [a-z]+"}
# Words that would say what a test is for or how it must end.
TELLING = {"canary", "pgcanary", "must", "pass", "passes", "fail", "fails", "failing", "ok", "error", "wrong", "bad",
           "good", "right", "true", "false", "expect", "expected", "panic", "skip"}


def _digit_sum(mini_problems, language: str):
    return next(p for p in mini_problems if p.id == f"{language}/digit-sum")


def _canaried(mini_problems, language: str, token: str = TOKEN):
    """The reference workspace's files with this run's canaries, the files they changed or added, the Canary."""
    problem = _digit_sum(mini_problems, language)
    files = workspace_files(problem, "reference").files
    before = dict(files)
    canary = get_language(language).add_canaries(files, problem, token)
    added = {path: text[len(before.get(path, "")):] if text.startswith(before.get(path, "")) else text
             for path, text in files.items() if before.get(path) != text}
    return problem, files, added, canary


def _words(name: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[A-Z]?[a-z]+", name.split("::")[-1])]


@pytest.mark.parametrize("language", COMPILED)
def test_canary_names_carry_neither_the_token_nor_their_outcome(mini_problems, language):
    _, files, added, canary = _canaried(mini_problems, language)
    names = [*canary.must_pass, *canary.must_fail]
    assert len(set(names)) == len(names) >= 2 and canary.must_pass and canary.must_fail, names
    assert all(re.fullmatch(NAME_SHAPE[language], name) for name in names), names
    assert not [w for name in names for w in _words(name) if w in TELLING], names
    # Nothing the canaries added to the test sources names the token or says "canary" or "must fail".
    text = "\n".join(added.values())
    assert TOKEN not in text and "canary" not in text.lower() and "must" not in text.lower(), text
    for name in names:
        shown = name.split("::")[-1]
        assert shown in text and shown in canary.shown
        assert canary.id_of(name) == name  # the verdict maps the reported name back to the canary
    real = {"go": "TestDigitSum/single_digit", "rust": "digit_sum::single_digit", "cpp": "single digit"}[language]
    assert canary.id_of(real) is None


@pytest.mark.parametrize("language", COMPILED)
def test_each_run_names_its_canaries_anew(mini_problems, language):
    first = _canaried(mini_problems, language, "aaaaaaaaaaaaaaaa")[3]
    second = _canaried(mini_problems, language, "bbbbbbbbbbbbbbbb")[3]
    assert not set(first.must_pass + first.must_fail) & set(second.must_pass + second.must_fail)


def _console(language: str, canary_name: str) -> str:
    """Console output of one real test and one canary that failed, as each tool prints it."""
    if language == "go":
        return (f"\x16=== RUN   TestDigitSum\n    digit_sum_test.go:60: real message\n\x16--- FAIL: TestDigitSum (0.00s)\n"
                f"\x16=== NAME  \n\x16=== RUN   {canary_name}\n    digit_sum_test.go:90: got 1291, want 1292\n"
                f"\x16--- FAIL: {canary_name} (0.00s)\n\x16=== NAME  \n\x16FAIL\n")
    if language == "rust":
        return (f"---- {canary_name} stdout ----\nthread '{canary_name}' panicked at tests/digit_sum.rs:50:5:\n"
                f"assertion `left == right` failed\n  left: 1291\n right: 1292\n\n---- single_digit stdout ----\n"
                f"real message\n\nfailures:\n    {canary_name}\n    single_digit\n\ntest result: FAILED.\n")
    return (f"--- {canary_name}: failure\nFAILED:\n  REQUIRE( 1291 == 1292 )\n--- single digit: failure\nFAILED:\n"
            f"  real message\n")


@pytest.mark.parametrize("language", COMPILED)
def test_scrubbed_output_shows_no_canary(mini_problems, language):
    _, _, _, canary = _canaried(mini_problems, language)
    shown = canary.must_fail[0].split("::")[-1]
    out = get_language(language).scrub(_console(language, shown), canary)
    assert shown not in out and "1291" not in out, out
    assert "real message" in out and ("single" in out or "TestDigitSum" in out), out


def test_rust_reads_every_libtest_log_record():
    """libtest writes `failed: MESSAGE NAME` for a should_panic test that did not panic (rust/grains' canary was
    not reported), over several lines when the panic lacked the expected text."""
    log = ("ok a_test\nfailed: test did not panic as expected at tests/x.rs:3:4 b_test\n"
           "failed: panic did not contain expected string\n      panic message: \"boom ok x\"\n"
           " expected substring: \"bang\" c_test\nfailed d_test\nignored e_test\nignored: not yet f_test\n"
           "failed (time limit exceeded) g_test\n")
    from polyglot_hrm.languages.rust import _log_records
    assert _log_records(log) == [("passed", "a_test"), ("failed", "b_test"), ("failed", "c_test"),
                                 ("failed", "d_test"), ("skipped", "e_test"), ("skipped", "f_test"),
                                 ("failed", "g_test")]


def test_go_refuses_go_embed():
    go = get_language("go")
    assert "go:embed" in go.source_problem("digit_sum.go", GO_EMBEDS_ITS_TESTS)
    assert go.source_problem("digit_sum.go", READS_TESTS_AT_RUN_TIME["go"][1]) is None


@pytest.mark.parametrize("language", COMPILED)
def test_test_steps_start_the_binary_without_exec_and_without_the_test_sources(mini_problems, language, tmp_path):
    problem, files, _, _ = _canaried(mini_problems, language)
    ws = tmp_path / problem.slug
    materialise(ws, files)
    lang = get_language(language)
    ctx = RunnerContext()
    lang.prepare(ws, ctx, problem)
    steps = lang.steps(ws, ctx, problem, tmp_path / "report")
    builds = [s for s in steps if s.compiles]
    tests = [s for s in steps if not s.compiles]
    assert builds and tests and not any(s.noexec for s in builds)
    for step in tests:
        assert step.noexec and Path(step.argv[0]).is_relative_to(ws), step.argv  # the binary, not a compiler
        matched = [p for pattern in step.hide for p in ws.glob(pattern)]
        hidden = {f.relative_to(ws).as_posix() for p in matched for f in ([p, *p.rglob("*")] if p.is_dir() else [p])}
        sources = {"go": {"digit_sum_test.go"}, "rust": set(), "cpp": {"digit_sum_test.cpp", "test/tests-main.cpp"}}
        assert sources[language] <= hidden, hidden
    if language != "go":  # Go's report is the test binary's own framed output
        assert all(s.report and REPORT_FD_PATH in s.argv for s in tests)
    if language == "rust":  # the library builds while the tests wait under a name it cannot know
        assert not (ws / "tests").exists() and builds[0].argv[:3] == ["cargo", "build", "--offline"]
        assert tests[0].hide == ("tests/*.rs",) and tests[0].report == "digit_sum.log"
    if language == "cpp":  # the candidate's own .cpp compiles in the step that no longer has the test file
        assert "digit_sum.cpp" in builds[-1].argv and "digit_sum_test.cpp" in builds[-1].hide
        assert "digit_sum_test.cpp" not in builds[-1].argv


# ---------------------------------------------------------------------------------------------------- runs

RUST_PANICS = {  # an exercise whose tests use #[should_panic] (rust/grains'): its canaries must all be reported
    "Cargo.toml": '[package]\nedition = "2021"\nname = "halve"\nversion = "0.1.0"\n',
    "src/lib.rs": "pub fn halve(n: u32) -> u32 {\n    todo!(\"halve {n}\")\n}\n",
    ".meta/example.rs": "pub fn halve(n: u32) -> u32 {\n    assert!(n % 2 == 0, \"odd\");\n    n / 2\n}\n",
    "tests/halve.rs": ("use halve::*;\n\n#[test]\nfn halves_four() {\n    assert_eq!(halve(4), 2);\n}\n\n"
                       "#[test]\n#[ignore]\n#[should_panic]\nfn refuses_three() {\n    halve(3);\n}\n\n"
                       "#[test]\n#[ignore]\n#[should_panic(expected = \"odd\")]\nfn refuses_five() {\n    halve(5);\n}\n"),
}
RUST_PANICS_CONFIG = {"authors": ["polyglot-hrm"], "blurb": "Halve an even number.",
                      "files": {"solution": ["src/lib.rs", "Cargo.toml"], "test": ["tests/halve.rs"],
                                "example": [".meta/example.rs"]}}


@pytest.fixture(scope="module")
def runs(mini_problems, allow_execution_module, tmp_path_factory):
    root = tmp_path_factory.mktemp("compiled")
    write_exercise(root / "rust" / "exercises" / "practice" / "halve", RUST_PANICS, RUST_PANICS_CONFIG)
    (halve,) = load_benchmark(root, strict=True)
    problems = {lang: _digit_sum(mini_problems, lang) for lang in COMPILED}
    setup_runners([*problems.values(), halve])
    tasks = [RunTask(problems[lang], dict([READS_TESTS_AT_RUN_TIME[lang]]), key=(lang, "reads_tests"))
             for lang in COMPILED]
    tasks += [RunTask(problems["rust"], {"src/lib.rs": RUST_INCLUDES_ITS_TESTS}, key=("rust", "include_str")),
              RunTask(problems["go"], {"digit_sum.go": GO_EMBEDS_ITS_TESTS}, key=("go", "go_embed")),
              RunTask(problems["cpp"], {"digit_sum.cpp": CPP_WRITES_REPORT_AT_EXIT}, key=("cpp", "exit_forgery")),
              RunTask(problems["cpp"], {"digit_sum.cpp": CPP_STATIC_INIT_SESSION}, key=("cpp", "static_session")),
              RunTask(halve, mode="reference", key=("rust", "should_panic_reference"))]
    return {t.key: r for t, r in zip(tasks, run_many(tasks, jobs=2, timeout=180, progress=False))}


@pytest.mark.slow
def test_rust_builds_the_tests_against_the_library_built_without_them(mini_problems, tmp_path):
    """Step 2 (tests back in view) must not compile the library again: it was built while the tests were away."""
    problem, files, _, _ = _canaried(mini_problems, "rust")
    ws = tmp_path / problem.slug
    materialise(ws, files)
    rust, ctx = get_language("rust"), RunnerContext()
    rust.prepare(ws, ctx, problem)
    builds = [s for s in rust.steps(ws, ctx, problem, tmp_path / "report") if s.compiles]
    env = {**ctx.base_env(), **builds[0].env}
    for step in builds:
        subprocess.run(step.argv, cwd=ws, env=env, check=True, capture_output=True)
    messages = [json.loads(line) for line in (ws / "target" / "polyglot-build.json").read_text().splitlines()]
    lib = [m for m in messages if m.get("reason") == "compiler-artifact" and m["target"]["kind"] == ["lib"]]
    assert lib and all(m["fresh"] for m in lib), lib
    assert (ws / "target" / "polyglot-tests" / "digit_sum").is_file()


@pytest.mark.slow
@pytest.mark.parametrize("language", COMPILED)
def test_a_candidate_that_reads_its_test_file_at_run_time_does_not_find_it(runs, language):
    r = runs[(language, "reads_tests")]
    assert (r.status, r.tests_passed) == ("failed", 0), r.output[-3000:]


@pytest.mark.slow
def test_a_rust_library_that_embeds_its_tests_does_not_build(runs):
    r = runs[("rust", "include_str")]
    assert r.status == "compile_error" and "tests/digit_sum.rs" in r.output, r.output[-3000:]


@pytest.mark.slow
def test_go_embed_makes_the_solution_unusable(runs):
    r = runs[("go", "go_embed")]
    assert r.status == "error" and "go:embed" in r.output, r.output[-3000:]


@pytest.mark.slow
def test_cpp_exit_handlers_cannot_touch_the_report(runs):
    r = runs[("cpp", "exit_forgery")]
    assert (r.status, r.tests_passed, r.tests_failed) == ("failed", 1, 5), r.output[-3000:]
    assert "FORGER RAN" not in r.output


@pytest.mark.slow
def test_cpp_a_catch2_session_driven_by_a_static_initializer_does_not_pass(runs):
    r = runs[("cpp", "static_session")]
    assert r.status != "passed" and r.tests_passed == 0, r.output[-3000:]
    assert "test run started before main()" in r.output


@pytest.mark.slow
def test_rust_should_panic_tests_and_their_canaries_are_all_reported(runs):
    r = runs[("rust", "should_panic_reference")]
    assert (r.status, r.tests_passed, r.tests_total) == ("passed", 3, 3), r.output[-3000:]
