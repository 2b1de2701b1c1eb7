"""The runner's two-process plumbing (issue 23), with a toy language (``fixtures/toyduo.py``): the tests' process
and the candidate's run under different uids in different sandboxes, joined by one channel; the candidate's
process sees no test file, no report pipe and no other workspace, and can start no program."""

from __future__ import annotations

import os

import pytest

from conftest import write_exercise
from fixtures import toyduo
from polyglot_hrm.problems import load_benchmark
from polyglot_hrm.execution import run_problem
from polyglot_hrm.languages import LANGUAGES, register

pytestmark = pytest.mark.slow

# A wrong answer that first tries what a forger would: read the tests, write the report, start programs.
SNOOP = """\
import os, glob
seen = []
for pattern in ("*_test.txt", "../*/*/*_test.txt", "../../*/*/*_test.txt", "/tmp/*/*/*/*_test.txt"):
    seen += glob.glob(pattern)
print("tests visible:", seen, flush=True)
for fd in (4, 5):
    try:
        os.write(fd, b"passed test_one\\n")
        print("wrote fd", fd, flush=True)
    except OSError as err:
        print("fd", fd, err.strerror, flush=True)
try:
    os.fork()
    print("forked", flush=True)
except OSError as err:
    print("fork:", err.strerror, flush=True)
try:
    os.execv("/bin/true", ["true"])
except OSError as err:
    print("exec:", err.strerror, flush=True)


def answer(x):
    return 0
"""


@pytest.fixture
def duo(tmp_path, monkeypatch):
    monkeypatch.setenv("POLYGLOT_HRM_CACHE", str(tmp_path / "cache"))
    language = register(toyduo.ToyDuo())
    root = tmp_path / "benchmark"
    write_exercise(root / "toyduo" / "exercises" / "practice" / toyduo.SLUG, toyduo.EXERCISE, toyduo.CONFIG)
    (problem,) = load_benchmark(root, strict=True)
    yield problem
    del LANGUAGES[language.name]


def test_tests_and_candidate_run_apart(duo, allow_execution):
    reference = run_problem(duo, mode="reference", timeout=60)
    assert (reference.status, reference.tests_passed, reference.isolation) == ("passed", 3, "process"), reference.output
    tests_uid = int(reference.output.split("tests uid ")[1].split()[0])
    candidate_uid = int(reference.output.split("candidate uid ")[1].split()[0])
    if os.geteuid() == 0:  # as root every process of a run gets an unprivileged uid; the two halves get two
        assert tests_uid != candidate_uid and min(tests_uid, candidate_uid) >= 1000

    stub = run_problem(duo, mode="stub", timeout=60)
    assert stub.status == "failed" and stub.tests_passed == 0, stub.output


def test_the_candidates_process_sees_no_test_no_report_and_starts_nothing(duo, allow_execution):
    result = run_problem(duo, {"answer.py": SNOOP}, timeout=60)
    assert (result.status, result.tests_passed) == ("failed", 0), result.output
    assert "tests visible: []" in result.output
    assert "wrote fd" not in result.output and "fd 4 Bad file descriptor" in result.output
    assert "fork: Operation not permitted" in result.output and "forked" not in result.output
    assert "exec: Operation not permitted" in result.output


class _LeakyDuo(toyduo.ToyDuo):
    """A split that forgets to move the candidate's module: the runner must refuse to run it."""

    def split(self, files, problem):
        tests, candidate = super().split(files, problem)
        tests["answer.py"] = files["answer.py"]
        return tests, candidate


def test_a_split_that_leaves_candidate_code_with_the_tests_is_refused(duo, allow_execution):
    LANGUAGES["toyduo"] = _LeakyDuo()
    result = run_problem(duo, mode="reference", timeout=60)
    assert result.status == "error" and "cannot isolate the run" in result.output and "answer.py" in result.output
