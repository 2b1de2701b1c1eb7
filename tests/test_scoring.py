"""One scoring path (issue 14): every entry point resolves answers the same way, an empty answer is malformed
and never run, identical candidates run once, and exercises whose stub already passes are flagged.

The exercise here is written by the test: a Python exercise whose untouched stub already passes, as
go/ledger's does in the real benchmark — the case where running an empty answer "as the stub" used to
score a pass.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_command, write_exercise
from polyglot_hrm.problems import load_benchmark
from polyglot_hrm.scoring import EditFailure, problem_from_reference, resolve_candidate, score

METRIC_DIR = str(Path(__file__).resolve().parent.parent / "metrics" / "polyglot_exec")
GOOD = {"greet.py": "def greet():\n    return 'hi'\n"}


@pytest.fixture(scope="module")
def passing_stub_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench")
    write_exercise(root / "python" / "exercises" / "practice" / "greet", {
        "greet.py": "def greet():\n    return 'hi'\n",  # the stub already passes
        "greet_test.py": "import unittest\n\nfrom greet import greet\n\n\nclass GreetTest(unittest.TestCase):\n"
                         "    def test_hi(self):\n        self.assertEqual(greet(), 'hi')\n",
        ".meta/example.py": "def greet():\n    return 'hi'\n",
    }, {"authors": ["us"], "blurb": "Say hi.", "files": {"solution": ["greet.py"], "test": ["greet_test.py"],
                                                         "example": [".meta/example.py"]}})
    return root


@pytest.fixture(scope="module")
def row(passing_stub_root):
    [problem] = load_benchmark(passing_stub_root)
    return problem.to_dict()


@pytest.mark.parametrize("empty", [{}, "", "no edit blocks here", {"files": {}}, {"edit": ""}])
def test_empty_or_unparseable_answers_are_malformed(row, empty):
    resolved = resolve_candidate(row, problem_from_reference(row), empty)
    assert isinstance(resolved, EditFailure) and resolved.kind == "malformed"


def test_files_are_laid_over_the_input_files(row):
    problem = problem_from_reference(row)
    with_inputs = {**row, "input_files": [{"path": "greet.py", "role": "solution", "content": "A\n"},
                                          {"path": "helper.py", "role": "solution", "content": "B\n"}]}
    assert resolve_candidate(with_inputs, problem, {"greet.py": "C\n"}) == {"greet.py": "C\n", "helper.py": "B\n"}


def test_metric_scores_an_empty_answer_zero(row, allow_execution):
    import evaluate

    out = evaluate.load(METRIC_DIR).compute(predictions=[[{}]], references=[row], k=[1])
    assert out["pass@1"] == 0.0 and out["malformed_edits"] == 1 and out["status_counts"]["error"] == 1
    assert out["stub_passes"] == ["python/greet"] and out["results"][0]["stub_passes"] is True
    good = evaluate.load(METRIC_DIR).compute(predictions=[[GOOD]], references=[row], k=[1])
    assert good["pass@1"] == 1.0 and "pass@1_without_stub_passes" not in good  # no problem left without it


def test_evaluate_scores_an_empty_answer_zero(row, passing_stub_root, tmp_path, allow_execution):
    from polyglot_hrm.evaluation import evaluate_solutions, load_cases

    cases = load_cases(benchmark_root=passing_stub_root)
    results = evaluate_solutions(cases, {"python/greet": [{"files": {}}, ""]}, progress=False)
    assert results.summary["pass@1"] == 0.0
    assert [c["status"] for c in results.cases[0]["candidates"]] == ["error", "error"]
    # Flagged, counted in pass@k as Aider does, and left out of the figure without them (nothing left here).
    assert results.cases[0]["stub_passes"] is True and results.summary["stub_passes"] == 1
    assert results.summary["pass@1_without_stub_passes"] is None
    from polyglot_hrm.evaluation import summary_table

    assert "pass@1_without_stub_passes" in summary_table(results)
    solutions = tmp_path / "solutions.json"
    solutions.write_text(json.dumps({"python/greet": [{"files": {}}]}))
    out = tmp_path / "results.json"
    proc = run_command("evaluate", "--benchmark-root", str(passing_stub_root), "--solutions", str(solutions),
                       "--output", str(out), "--no-report")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(out.read_text())["summary"]["pass@1"] == 0.0


def test_training_callback_scores_an_empty_answer_zero(passing_stub_root, allow_execution):
    from polyglot_hrm.synthesis.examples import generation_row
    from polyglot_hrm.training.callbacks import evaluate_by_execution

    [problem] = load_benchmark(passing_stub_root)
    result = evaluate_by_execution(None, None, [generation_row(problem, "easy")], answers=[[""]], progress=False)
    assert result["pass@1"] == 0.0 and result["status_counts"]["passed"] == 0


def test_identical_candidates_run_once(row, allow_execution, monkeypatch):
    from polyglot_hrm.scoring import engine

    calls = []
    real = engine.run_many

    def counting(tasks, **kwargs):
        calls.append(len(tasks))
        return real(tasks, **kwargs)

    monkeypatch.setattr(engine, "run_many", counting)
    scored = score([row], [[GOOD, dict(GOOD), {"greet.py": GOOD["greet.py"]}, {}]], progress=False)
    assert calls == [1]
    assert [s.result.status for s in scored[0]] == ["passed", "passed", "passed", "error"]


def test_a_stub_that_does_not_build_is_recorded_once(tmp_path, allow_execution, monkeypatch):
    """A stub that does not compile does not pass: that is recorded, so later scorings do not run it again."""
    from polyglot_hrm.execution import runner
    from polyglot_hrm.execution.expected import load_stub_passes
    from polyglot_hrm.execution import RunnerContext

    write_exercise(tmp_path / "go" / "exercises" / "practice" / "greet", {
        "greet.go": "package greet\n\nfunc Greet() string {\n\treturn 1\n}\n",  # a type error
        "greet_test.go": "package greet\n\nimport \"testing\"\n\nfunc TestGreet(t *testing.T) {\n"
                         "\tif Greet() != \"hi\" {\n\t\tt.Fatal(\"no\")\n\t}\n}\n",
        "go.mod": "module greet\n\ngo 1.18\n",
        ".meta/example.go": "package greet\n\nfunc Greet() string {\n\treturn \"hi\"\n}\n",
    }, {"authors": ["us"], "blurb": "Say hi.", "files": {"solution": ["greet.go"], "test": ["greet_test.go"],
                                                         "example": [".meta/example.go"], "invalidator": ["go.mod"]}})
    [problem] = load_benchmark(tmp_path)
    ctx = RunnerContext()
    assert runner.record_stub_passes([problem], ctx) == set()
    assert load_stub_passes(problem, ctx) is False
    monkeypatch.setattr(runner, "run_many", lambda *a, **k: pytest.fail("the stub ran again"))
    assert runner.record_stub_passes([problem], ctx) == set()
