"""The `polyglot_exec` evaluate metric, loaded by path as users do."""

from __future__ import annotations

from pathlib import Path

import evaluate
import pytest

from conftest import ALL_LANGUAGES
from polyglot_hrm.execution.passk import pass_at_k
from polyglot_hrm.execution.sandbox import ExecutionNotAllowed

METRIC_DIR = str(Path(__file__).resolve().parent.parent / "metrics" / "polyglot_exec")


@pytest.fixture(scope="module")
def metric():
    return evaluate.load(METRIC_DIR)


def _files(problem, role):
    return {f.path: f.content for f in problem.files_with_role(role)}


def _digit_sum(mini_problems, languages):
    by_lang = {p.language: p for p in mini_problems if p.slug == "digit-sum"}
    return [by_lang[lang] for lang in languages]


def test_refuses_without_the_opt_in(metric, mini_problems, monkeypatch):
    monkeypatch.delenv("POLYGLOT_HRM_ALLOW_CODE_EXECUTION", raising=False)
    monkeypatch.delenv("HF_ALLOW_CODE_EVAL", raising=False)
    [p] = _digit_sum(mini_problems, ["python"])
    with pytest.raises(ExecutionNotAllowed, match="HF_ALLOW_CODE_EVAL=1"):
        metric.compute(predictions=[[_files(p, "reference")]], references=[p.to_dict()])


@pytest.mark.slow
def test_references_score_one_and_stubs_zero(metric, mini_problems, allow_execution):
    problems = _digit_sum(mini_problems, ALL_LANGUAGES)
    refs = metric.compute(predictions=[[_files(p, "reference")] for p in problems],
                          references=[p.to_dict() for p in problems], num_workers=2)
    assert refs["pass@1"] == 1.0
    assert all(v["pass@1"] == 1.0 for v in refs["per_language"].values())
    assert refs["status_counts"]["passed"] == len(ALL_LANGUAGES)
    stubs = metric.compute(predictions=[[_files(p, "solution")] for p in problems],
                           references=[p.to_dict() for p in problems], num_workers=2)
    assert stubs["pass@1"] == 0.0
    assert stubs["status_counts"]["passed"] == 0


@pytest.mark.slow
def test_a_mix_gives_exactly_the_estimator(metric, mini_problems, mini_root, allow_execution):
    py, js, go = _digit_sum(mini_problems, ["python", "javascript", "go"])
    ok, bad = "reference", "solution"
    plan = {py: [ok, bad, ok, bad], js: [bad, bad, bad, ok], go: [bad, bad, bad, bad]}
    predictions = [[_files(p, role) for role in roles] for p, roles in plan.items()]
    # References in both accepted forms: a dataset-style row and {problem_id, benchmark_root}.
    references = [py.to_dict(), {"problem_id": js.id, "benchmark_root": str(mini_root)}, go.to_dict()]
    out = metric.compute(predictions=predictions, references=references, k=[1, 2, 5], num_workers=2)
    correct = [2, 1, 0]
    for k in (1, 2):
        expected = sum(pass_at_k(4, c, k) for c in correct) / 3
        assert out[f"pass@{k}"] == pytest.approx(expected)
    assert "pass@5" not in out  # four candidates per problem cannot give pass@5
    assert out["per_language"]["python"]["pass@1"] == pytest.approx(0.5)
    assert out["per_language"]["javascript"]["pass@2"] == pytest.approx(pass_at_k(4, 1, 2))
    assert out["status_counts"]["passed"] == 3
    assert sum(out["status_counts"].values()) == 12
    assert [len(r["candidates"]) for r in out["results"]] == [4, 4, 4]


def test_unknown_reference_form_is_a_clear_error(metric, allow_execution):
    with pytest.raises(ValueError, match="neither `files`"):
        metric.compute(predictions=[[{"a.py": ""}]], references=[{"something": 1}])


# --- diff_edit candidates given as edit text (issue 6, item 7) ---------------------------------------


@pytest.fixture(scope="module")
def diff_rows():
    from polyglot_hrm.dataset.rows import build_rows
    from polyglot_hrm.dataset.config import PolyglotHRMConfig

    config = PolyglotHRMConfig(name="diff_edit", languages=("python",), verify_by_execution=False,
                               max_diff_examples_per_problem=4)
    return {r["id"]: r for r in build_rows(config)}


def test_malformed_and_non_applying_edits_are_counted_not_crashed(metric, diff_rows, allow_execution):
    row = diff_rows["diff_edit/python/digit-sum/implement/0"]
    bad_format = "digit_sum.py\n```python\n<<<<<<< SEARCH\nnever closed\n"
    not_found = "digit_sum.py\n```python\n<<<<<<< SEARCH\nno such line\n=======\nx = 1\n>>>>>>> REPLACE\n```\n"
    out = metric.compute(predictions=[[bad_format, {"edit": "just prose, no block"}, not_found]], references=[row])
    assert out["malformed_edits"] == 2 and out["non_applying_edits"] == 1
    assert out["status_counts"]["error"] == 3 and out["pass@1"] == 0.0
    outputs = [c["output"] for c in out["results"][0]["candidates"]]
    assert "malformed edit" in outputs[0] and "no SEARCH/REPLACE block" in outputs[1]
    assert "does not apply (not_found)" in outputs[2]
    # Not text nor a mapping: a mistake in the input, refused before anything runs (issue 25), not a malformed answer.
    with pytest.raises(ValueError, match=r"predictions\[0\]\[1\] \(python/digit-sum\) is an int \(42\)"):
        metric.compute(predictions=[[bad_format, 42]], references=[row])


@pytest.mark.slow
def test_edit_text_candidates_run_against_the_rows_inputs(metric, diff_rows, allow_execution):
    rows = [r for r in diff_rows.values() if r["slug"] == "digit-sum"]
    assert {r["edit_type"] for r in rows} >= {"implement", "bug_fix"}
    preds = [[r["target_edit"], {"edit": r["target_edit"]}] for r in rows]
    out = metric.compute(predictions=preds, references=rows, num_workers=4)
    assert out["pass@1"] == 1.0, [c["output"][-500:] for p in out["results"] for c in p["candidates"] if c["status"] != "passed"]
    assert out["malformed_edits"] == out["non_applying_edits"] == 0
