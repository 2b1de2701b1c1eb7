"""What a candidate may write, the verdict's rules, run identities and missing dependencies (issue 13).

Fast tests of the pieces the forgery and hostile suites exercise end to end: path normalisation and the
per-language file rules, the verdict on crafted reports, that concurrent runs get distinct unprivileged
uids, and that a dependency that cannot be provisioned is an ``error`` naming the fix.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections import Counter

import pytest

from polyglot_hrm.execution.results import TestCounts
from polyglot_hrm.execution.sandbox import Sandbox, SandboxUnavailable, lease_identity
from polyglot_hrm.execution.verdict import judge
from polyglot_hrm.execution.workspace import CandidateError, normalise_path, workspace_files
from polyglot_hrm.languages import get_language
from polyglot_hrm.languages.reports import Canary, Report, TestOutcome


@pytest.mark.parametrize("raw,expected", [("./a.py", "a.py"), ("src//lib.rs", "src/lib.rs"), ("a/./b.rs", "a/b.rs")])
def test_paths_are_normalised(raw, expected):
    assert normalise_path(raw) == expected


@pytest.mark.parametrize("raw", ["", ".", "/etc/passwd", "../x.py", "a/../../x", "a\\b.py", "a\x00.py", "\udcff.py",
                                 "a" * 300 + ".py", 5])
def test_bad_paths_are_refused(raw):
    with pytest.raises(ValueError):
        normalise_path(raw)


# (language, path, allowed?) for new files a candidate may add.
NEW_FILES = [
    ("python", "helpers.py", True), ("python", "conftest.py", False), ("python", "pytest.py", False),
    ("python", "sitecustomize.py", False), ("python", "unittest.py", False), ("python", "pkg/helpers.py", False),
    ("python", "extra_test.py", False), ("python", "pytest.ini", False),
    ("javascript", "helpers.js", True), ("javascript", "jest.config.js", False), ("javascript", "babel.config.js", False),
    ("javascript", "extra.spec.js", False), ("javascript", "node_modules/x/index.js", False),
    ("go", "helpers.go", True), ("go", "extra_test.go", False), ("go", "sub/x.go", False),
    ("rust", "src/helpers.rs", True), ("rust", "src/bin/x.rs", False), ("rust", "build.rs", False),
    ("rust", "tests/extra.rs", False),
    ("java", "src/main/java/Helper.java", True), ("java", "src/main/java/org/assertj/core/api/Assertions.java", False),
    ("java", "src/main/java/module-info.java", False), ("java", "build/classes/x.properties", False),
    ("cpp", "helpers.h", True), ("cpp", "helpers.cpp", True), ("cpp", "string.h", False), ("cpp", "catch.hpp", False),
    ("cpp", "extra_test.cpp", False), ("cpp", "test/catch.hpp", False),
]


@pytest.mark.parametrize("language,path,allowed", NEW_FILES)
def test_where_a_candidate_may_add_files(language, path, allowed):
    assert (get_language(language).new_file_problem(path) is None) == allowed


def test_java_reserved_packages_and_go_linkname():
    java = get_language("java")
    assert java.source_problem("src/main/java/A.java", "/* x */ package org.assertj.core.api; class A {}")
    assert java.source_problem("src/main/java/A.java", "// package org.junit.x;\nclass A {}") is None
    assert java.source_problem("src/main/java/A.java", "package com.example.thing;\nclass A {}") is None
    assert get_language("go").source_problem("a.go", "import _ \"unsafe\"\n//go:linkname x y\n")


def test_candidate_files_are_filtered_and_listed(mini_problems):
    p = next(p for p in mini_problems if p.id == "python/digit-sum")
    prepared = workspace_files(p, "candidate", {"./digit_sum.py": "x = 1\n", "conftest.py": "boom\n",
                                                "./digit_sum_test.py": "forged\n", "helpers.py": "y = 2\n",
                                                ".hidden.py": "z\n", "x.py/y": "w\n"})
    assert prepared.files["digit_sum.py"] == "x = 1\n" and prepared.files["helpers.py"] == "y = 2\n"
    assert "conftest.py" not in prepared.files and "forged" not in prepared.files["digit_sum_test.py"]
    reasons = {i.path: i.reason for i in prepared.ignored}
    assert set(reasons) == {"conftest.py", "./digit_sum_test.py (= digit_sum_test.py)", ".hidden.py", "x.py/y"}
    assert "test file" in reasons["./digit_sum_test.py (= digit_sum_test.py)"]
    with pytest.raises(CandidateError, match="solution file digit_sum.py"):
        workspace_files(p, "candidate", {"digit_sum.py": "x = '\ud800'\n"})
    with pytest.raises(CandidateError, match="both digit_sum.py"):
        workspace_files(p, "candidate", {"digit_sum.py": "a\n", "./digit_sum.py": "b\n"})


def test_rust_candidates_get_the_examples_dependencies(tmp_path):
    from polyglot_hrm.languages.rust import with_dependencies_of

    stub = '[package]\nname = "x"\nversion = "0.1.0"\n\n[lints.clippy]\nnew_without_default = "allow"\n'
    example = '[package]\nname = "x"\nversion = "0.0.0"\n\n[dependencies]\nrand = "0.3"\n'
    merged = with_dependencies_of(stub, example)
    assert 'version = "0.1.0"' in merged and "[lints.clippy]" in merged and 'rand = "0.3"' in merged


# ---------------------------------------------------------------------------- the verdict

CANARY = Canary("abc123", ("pgcanary_abc123_pass",), ("pgcanary_abc123_fail_eq",))
EXPECTED = ["T.a", "T.b"]
GOOD_CANARIES = [TestOutcome("C.pgcanary_abc123_pass", "passed"), TestOutcome("C.pgcanary_abc123_fail_eq", "failed")]


def verdict(tests, expected=EXPECTED, rcs=(1,), language="python"):
    return judge(get_language(language), Report(tests=list(tests)), CANARY, expected, "", list(rcs))


def test_all_expected_tests_passed_with_right_canaries_is_passed():
    v = verdict([TestOutcome("T.a", "passed"), TestOutcome("T.b", "passed"), *GOOD_CANARIES])
    assert (v.status, v.counts) == ("passed", TestCounts(2, 0))


@pytest.mark.parametrize("tests,status,why", [
    ([TestOutcome("T.a", "passed"), TestOutcome("T.b", "failed"), *GOOD_CANARIES], "failed", "failed"),
    ([TestOutcome("T.a", "passed"), TestOutcome("T.b", "skipped"), *GOOD_CANARIES], "failed", "skipped"),
    ([TestOutcome("T.a", "passed"), *GOOD_CANARIES], "error", "not reported"),  # deflated count
    ([TestOutcome("T.a", "passed"), TestOutcome("T.b", "passed")], "error", "canary"),  # early exit
    ([TestOutcome("T.a", "passed"), TestOutcome("T.b", "passed"), TestOutcome("C.pgcanary_abc123_pass", "passed"),
      TestOutcome("C.pgcanary_abc123_fail_eq", "passed")], "error", "must fail but passed"),  # patched assertion
    ([TestOutcome("T.a", "passed"), TestOutcome("T.b", "passed"), TestOutcome("T.c", "passed"), *GOOD_CANARIES],
     "error", "not the exercise's"),  # injected test
    ([TestOutcome("T.a", "passed"), TestOutcome("T.b", "passed"), TestOutcome("x.pgcanary_abc123_fail_zz", "failed"),
      *GOOD_CANARIES], "error", "never made"),  # a forged canary name
])
def test_what_is_not_passed(tests, status, why):
    v = verdict(tests)
    assert v.status == status and why in v.reason, v
    if status == "error":
        assert v.counts.passed == 0 or "not reported" in v.reason


def test_a_crash_before_every_test_reported_is_failed():
    v = verdict([TestOutcome("T.a", "passed")], rcs=(-11,))
    assert v.status == "failed" and v.counts == TestCounts(1, 1)


def test_no_report_is_never_passed():
    lang = get_language("python")
    assert judge(lang, None, CANARY, EXPECTED, "", [0]).status == "error"
    assert judge(lang, None, CANARY, EXPECTED, "", [1]).status == "failed"
    assert judge(lang, None, CANARY, EXPECTED, "1 error during collection", [2]).status == "compile_error"


def test_go_counts_leaves():
    tests = [TestOutcome("TestX/a", "passed"), TestOutcome("TestX/b", "passed"), TestOutcome("TestX", "passed"),
             *GOOD_CANARIES]
    v = verdict(tests, expected=["TestX", "TestX/a", "TestX/b"], language="go")
    assert (v.status, v.counts) == ("passed", TestCounts(2, 0))


# ---------------------------------------------------------------------------- who runs the code

@pytest.mark.skipif(os.geteuid() != 0, reason="as an ordinary user runs keep the user's uid")
def test_concurrent_runs_get_distinct_unprivileged_uids():
    seen, barrier = [], threading.Barrier(8)

    def hold():
        with lease_identity() as identity:
            seen.append(identity)
            barrier.wait(timeout=10)

    threads = [threading.Thread(target=hold) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({i.uid for i in seen}) == 8 and all(i.uid > 0 and i.gid > 0 for i in seen)
    assert Counter(i.gid for i in seen).most_common(1)[0][1] == 8  # one shared gid


@pytest.mark.skipif(os.geteuid() != 0, reason="as an ordinary user runs keep the user's uid")
def test_root_never_wraps_a_command_without_an_identity(tmp_path):
    from polyglot_hrm.languages.context import RunnerContext

    with pytest.raises(SandboxUnavailable, match="as root"):
        Sandbox(use_cgroup=False).wrap(["true"], tmp_path, RunnerContext(), identity=None)
    with lease_identity() as identity:
        argv = Sandbox(use_cgroup=False).wrap(["id", "-u"], tmp_path, RunnerContext(), identity=identity)
        tmp_path.chmod(0o755)
        out = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True)
    assert out.stdout.strip() == str(identity.uid), out.stderr


# ---------------------------------------------------------------------------- missing dependencies

def test_a_dependency_that_cannot_be_provisioned_is_an_error_naming_it(mini_problems, tmp_path, monkeypatch,
                                                                        allow_execution):
    """Offline with an empty runner cache: the runs are errors that say what is missing, not compile errors."""
    from polyglot_hrm.execution import provision
    from polyglot_hrm.languages.context import RunnerContext
    from polyglot_hrm.execution.runner import RunTask, run_many

    def offline(*args, **kwargs):
        raise subprocess.CalledProcessError(1, ["npm", "install"], "network is unreachable")

    monkeypatch.setattr(provision, "setup_runners", offline)
    ctx = RunnerContext(cache_dir=tmp_path / "empty-cache")
    problems = [p for p in mini_problems if p.slug == "digit-sum" and p.language in ("javascript", "java")]
    results = run_many([RunTask(p, {}) for p in problems], ctx=ctx, progress=False)
    for p, r in zip(problems, results):
        assert r.status == "error" and "missing dependency" in r.output and "setup-runners" in r.output, (p.id, r.output)
