"""Tests of `polyglot_hrm.evaluation`: solutions files scored by execution on the mini-benchmark, measures,
Aider's two attempts with a tiny model, reports, the CLI forms."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from polyglot_hrm.edit_format import render_blocks
from polyglot_hrm.evaluation import (EvaluationResults, evaluate_solutions, load_cases, load_solutions,
                                     write_report)
from polyglot_hrm.evaluation.cases import SolutionsError, reference_files
from polyglot_hrm.evaluation.measures import summarize, transfer_matrix
from polyglot_hrm.evaluation.system import evaluate_candidates
from polyglot_hrm.synthesis import synthesize_blocks

from conftest import ALL_LANGUAGES, CommandRun, run_command, run_module

MALFORMED = "this answer has no SEARCH/REPLACE block at all\n"


def _stub(case) -> dict[str, str]:
    return {f["path"]: f["content"] for f in case["input_files"] if f["role"] == "solution"}


def _edit_to_reference(case) -> str:
    """SEARCH/REPLACE text turning the stub into the reference (a well-formed, applying, passing edit)."""
    stub = _stub(case)
    return render_blocks(synthesize_blocks(stub, {**stub, **reference_files(case)}, on_delete="empty"))


def _non_applying(case) -> str:
    path = next(iter(_stub(case)))
    return f"{path}\n```\n<<<<<<< SEARCH\nthis line is not in the file 12345\n=======\nx\n>>>>>>> REPLACE\n```\n"


def _comb_pass_at_k(n: int, c: int, k: int) -> float:
    """pass@k by its definition (not the library's product form)."""
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def _mix(cases):
    """Per case i: 4 candidates, i % 5 of them passing (files or edit), the rest stub / malformed / non-applying."""
    lists, passing, kinds = [], [], {"malformed": 0, "non_applying": 0}
    for i, case in enumerate(cases):
        c = i % 5
        good = [{"files": reference_files(case)} if j % 2 == 0 else {"edit": _edit_to_reference(case)} for j in range(c)]
        bad_pool = [{"files": _stub(case)}, {"edit": MALFORMED}, {"edit": _non_applying(case)}, {"files": _stub(case)}]
        bad = bad_pool[: 4 - c]
        kinds["malformed"] += sum(b == {"edit": MALFORMED} for b in bad)
        kinds["non_applying"] += sum("12345" in b.get("edit", "") for b in bad)
        # Odd cases lead with a failing candidate, so pass_rate_1 differs from pass@1.
        lists.append(bad + good if i % 2 else good + bad)
        passing.append(c)
    return lists, passing, kinds


@pytest.fixture(scope="module")
def python_cases():
    return load_cases(languages=["python"])


@pytest.fixture(scope="module")
def mixed(python_cases, allow_execution_module):
    lists, passing, kinds = _mix(python_cases)
    solutions = {case["id"]: cands for case, cands in zip(python_cases, lists)}
    results = evaluate_solutions(python_cases, solutions, ks=(1, 2, 4), jobs=2, progress=False)
    return results, lists, passing, kinds


def test_crafted_mix_gives_exact_pass_at_k(mixed):
    results, lists, passing, _ = mixed
    for k in (1, 2, 4):
        expected = sum(_comb_pass_at_k(4, c, k) for c in passing) / len(passing)
        assert results.summary[f"pass@{k}"] == pytest.approx(expected, abs=1e-4)
    first = [c > 0 and i % 2 == 0 or c == 4 for i, c in enumerate(passing)]
    assert results.summary["pass_rate_1"] == pytest.approx(sum(first) / len(first))
    assert [sum(x["status"] == "passed" for x in case["candidates"]) for case in results.cases] == passing


def test_malformed_and_non_applying_edits_are_counted_not_run(mixed):
    results, lists, _, kinds = mixed
    s = results.summary
    assert s["malformed_edits"] == kinds["malformed"] > 0
    assert s["non_applying_edits"] == kinds["non_applying"] > 0
    edits = [x for case in results.cases for x in case["candidates"] if x["kind"] == "edit"]
    assert s["edit_candidates"] == len(edits) == sum("edit" in c for cands in lists for c in cands)
    n = s["candidates"]
    assert s["well_formed_rate"] == pytest.approx(round((n - kinds["malformed"]) / n, 4))
    assert s["applies_rate"] == pytest.approx(round((n - kinds["malformed"] - kinds["non_applying"]) / n, 4))
    for x in edits:
        if not x["applies"]:
            assert x["status"] == "error" and x["diff_quality"] == 0.0 and x["duration_s"] == 0.0
        else:
            assert 0.0 < x["diff_quality"] <= 1.0
            assert x["edited_chars"] >= x["changed_chars"] > 0


def test_edit_measures_prefer_minimal_edits(mixed):
    compared = 0
    for case in mixed[0].cases:
        passing = [x for x in case["candidates"] if x["status"] == "passed"]
        edits = [x["efficiency"] for x in passing if x["kind"] == "edit"]
        files = [x["efficiency"] for x in passing if x["kind"] == "files"]
        if edits and files:
            # Minimal blocks never write more than replacing the changed files whole.
            assert max(edits) <= min(files), case["id"]
            compared += 1
        assert all(e >= 1.0 for e in edits + files)  # nothing correct writes less than the reference changes
    assert compared


def test_report_files_render(mixed, tmp_path):
    results = mixed[0]
    paths = write_report(results, tmp_path)
    data = json.loads(paths["json"].read_text())
    assert EvaluationResults.from_dict(data).summary == results.summary
    for name in ("per_language", "by_difficulty"):
        assert paths[name].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = paths["html"].read_text()
    assert page.count("data:image/png;base64,") == 2 and "<table>" in page
    assert "transfer_matrix" not in paths  # generation cases have no source language


def test_solutions_schema_errors_name_the_problem(tmp_path):
    bad = tmp_path / "s.json"
    bad.write_text(json.dumps({"python/x": [42]}))
    with pytest.raises(SolutionsError, match=r"python/x\[0\]"):
        load_solutions(bad)
    bad.write_text("{not json")
    with pytest.raises(SolutionsError, match="not JSON"):
        load_solutions(bad)
    assert load_solutions({"solutions": {"a/b": {"edit": "t"}}}) == {"a/b": ["t"]}


def test_transfer_matrix_and_pass_rate_2_from_records():
    def rec(src, tgt, first, retry=None):
        return {"id": f"{src}-{tgt}", "language": tgt, "source_language": src, "difficulty": "easy",
                "candidates": [{"status": first, "kind": "files", "well_formed": True, "applies": True,
                                "compiled": first in ("passed", "failed"), "edited_chars": 1, "efficiency": 1.0,
                                "diff_quality": None, "duration_s": 1.0}],
                "retry": None if retry is None else {"status": retry}}

    records = [rec("go", "rust", "passed"), rec("go", "rust", "failed", "passed"), rec("rust", "go", "failed", "failed")]
    assert transfer_matrix(records) == {"go": {"rust": 0.5}, "rust": {"go": 0.0}}
    s = summarize(records)
    assert s["pass_rate_1"] == pytest.approx(1 / 3, abs=1e-4) and s["pass_rate_2"] == pytest.approx(2 / 3, abs=1e-4)


def test_attempts_2_needs_a_model(tmp_path):
    from polyglot_hrm.cli import main

    sols = tmp_path / "s.json"
    sols.write_text("{}")
    assert main(["evaluate", "--solutions", str(sols), "--attempts", "2"]) == 2


@pytest.fixture(scope="module")
def all_languages(allow_execution_module):
    # One exercise per language: every mini exercise's reference and stub are checked by test_runners.
    cases = load_cases(limit=1)
    candidates = [[{"files": reference_files(c)}, {"files": _stub(c)}, {"edit": _edit_to_reference(c)}] for c in cases]
    return evaluate_candidates(cases, candidates, ks=(1,), jobs=2, progress=False)


@pytest.mark.slow
@pytest.mark.parametrize("language", ALL_LANGUAGES)
def test_references_pass_and_stubs_fail(all_languages, language):
    mine = [c for c in all_languages.cases if c["language"] == language]
    assert mine
    for case in mine:
        ref, stub, edit = case["candidates"]
        assert ref["status"] == "passed", case["id"]
        assert edit["status"] == "passed" and edit["applies"], case["id"]
        assert stub["status"] != "passed", case["id"]
    assert all_languages.per_language[language]["pass@1"] == pytest.approx(2 / 3, abs=1e-4)


def _seed_form(*args: str) -> CommandRun:
    """``python -m polyglot_hrm.evaluation ARGS``, in this process (see conftest.run_module)."""
    return run_module("polyglot_hrm.evaluation", *args)


def test_seed_cli_form_scores_references_and_stubs(tmp_path):
    """python -m polyglot_hrm.evaluation --problems-json --solutions-json --output (the seed's form)."""
    problems = tmp_path / "problems.json"
    assert run_command("extract", "--languages", "python", "-o", str(problems)).returncode == 0
    for kind in ("reference", "stub"):
        sols = tmp_path / f"{kind}.json"
        done = _seed_form("--problems-json", str(problems), "--write-solutions", str(sols), "--solutions-of", kind)
        assert done.returncode == 0, done.stderr
        out = tmp_path / kind / "results.json"
        done = _seed_form("--problems-json", str(problems), "--solutions-json", str(sols), "--output", str(out),
                          "--jobs", "2")
        assert done.returncode == 0, done.stderr
        summary = json.loads(out.read_text())["summary"]
        assert summary["cases"] == len(json.loads(sols.read_text())) == 5
        assert summary["pass@1"] == (1.0 if kind == "reference" else 0.0)
        assert "Evaluation by language" in done.stdout and (out.parent / "report.html").is_file()


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    import torch

    from hrm_modeling import HRMForCausalLM, tiny_config
    from polyglot_hrm.modelio.prompt_format import render_example
    from polyglot_hrm.modelio.tokenizer import train_tokenizer

    rows = load_cases(languages=["python", "go"])
    tokenizer = train_tokenizer([t for r in rows for t in render_example(r)], vocab_size=400)
    torch.manual_seed(0)
    model = HRMForCausalLM(tiny_config(vocab_size=len(tokenizer),
                                       initializer_range=0.1))
    out = tmp_path_factory.mktemp("tiny-hrm")
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def test_model_two_attempts_end_to_end(tiny_checkpoint, tmp_path):
    out = tmp_path / "results.json"
    done = run_command("evaluate", "--model", str(tiny_checkpoint), "--languages", "python,go", "--limit", "1",
                       "--attempts", "2", "--num-samples", "2", "--temperature", "1.0", "--k", "1,2",
                       "--max-new-tokens", "24", "--jobs", "2", "--output", str(out))
    assert done.returncode == 0, done.stderr[-3000:]
    data = json.loads(out.read_text())
    s = data["summary"]
    assert data["settings"]["attempts"] == 2 and s["cases"] == 2 and s["candidates"] == 4
    assert s["pass_rate_1"] <= s["pass_rate_2"] <= 1.0 and s["pass@1"] <= s["pass@2"]
    for case in data["cases"]:
        first_passed = case["candidates"][0]["status"] == "passed"
        assert (case["retry"] is None) == first_passed  # retried exactly when the first sample failed
    assert set(data["per_language"]) == {"python", "go"}
    assert sum(v["cases"] for v in data["per_language"].values()) == s["cases"]
    assert s["seconds_per_case"] > 0 and data["settings"]["generation_s"] > 0


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("export")
    done = run_command("export", "--configs", "diff_edit,transfer", "--languages", "python,go", "--verify", "off",
                       "--out", str(out / "ds"), "--cache-dir", str(out / "cache"))
    assert done.returncode == 0, done.stderr[-3000:]
    return out / "ds"


def test_dataset_diff_edit_and_transfer(exported, tmp_path):
    """--dataset DIR --config: diff_edit target edits all pass; transfer gives the source x target matrix."""
    common = ["--dataset", str(exported), "--split", "train", "--languages", "python", "--limit", "4", "--jobs", "2"]
    sols = tmp_path / "edits.json"
    assert run_command("evaluate", "--config", "diff_edit", *common, "--write-solutions", str(sols)).returncode == 0
    edits = json.loads(sols.read_text())
    assert len(edits) == 4 and all(set(c[0]) == {"edit"} for c in edits.values())
    first = next(iter(edits))
    edits[first].append({"edit": MALFORMED})  # counted, never crashes the run
    sols.write_text(json.dumps(edits))
    out = tmp_path / "edit" / "results.json"
    done = run_command("evaluate", "--config", "diff_edit", *common, "--solutions", str(sols), "-o", str(out))
    assert done.returncode == 0, done.stderr[-3000:]
    s = json.loads(out.read_text())["summary"]
    assert s["pass_rate_1"] == 1.0 and s["malformed_edits"] == 1 and s["candidates"] == 5
    assert 0.0 < s["mean_diff_quality"] <= 1.0

    refs, stubs = tmp_path / "refs.json", tmp_path / "stubs.json"
    for path, kind in ((refs, "reference"), (stubs, "stub")):
        assert run_command("evaluate", "--config", "transfer", *common, "--write-solutions", str(path),
                           "--solutions-of", kind).returncode == 0
    ref, stub = json.loads(refs.read_text()), json.loads(stubs.read_text())
    mix = {key: (ref if i % 2 == 0 else stub)[key] for i, key in enumerate(sorted(ref))}
    (tmp_path / "mix.json").write_text(json.dumps(mix))
    out = tmp_path / "transfer" / "results.json"
    done = run_command("evaluate", "--config", "transfer", *common, "--solutions", str(tmp_path / "mix.json"),
                       "-o", str(out))
    assert done.returncode == 0, done.stderr[-3000:]
    data = json.loads(out.read_text())
    expected: dict[str, list[bool]] = {}
    for i, key in enumerate(sorted(ref)):
        source = next(c["source_language"] for c in data["cases"] if c["id"] == key)
        expected.setdefault(source, []).append(i % 2 == 0)
    assert data["transfer_matrix"] == {src: {"python": pytest.approx(sum(v) / len(v), abs=1e-4)}
                                       for src, v in expected.items()}
    assert (out.parent / "transfer_matrix.png").is_file() and "Transfer pass rate" in done.stdout


def test_second_attempt_sees_test_output_and_counts(python_cases, allow_execution):
    """Aider's protocol with a scripted backend: wrong first, right once it has seen the failing tests."""
    from polyglot_hrm.evaluation.protocol import evaluate_backend
    from polyglot_hrm.modelio.backends import Answer, Backend
    from polyglot_hrm.modelio.prompt_format import parse_answer, render_answer, render_files

    prompts: list[dict] = []

    class Scripted(Backend):
        name = "scripted"

        def candidate(self, row, text):
            return parse_answer(row["task"], text)

        def generate(self, requests, on_answer=None, progress=False):
            out = []
            for i, request in enumerate(requests):
                row = request.row
                prompts.append(row)
                stub = [f for f in row["input_files"] if f["role"] == "solution"]
                text = render_answer(row) if row.get("test_feedback") else render_files(stub, row["language"])
                out.append(Answer(text))
                if on_answer:
                    on_answer(i, out[-1])
            return out

    cases = python_cases[:2]
    results = evaluate_backend(cases, Scripted(), attempts=2, jobs=2, progress=False)
    assert results.summary["pass_rate_1"] == 0.0 and results.summary["pass_rate_2"] == 1.0
    retries = [r for r in prompts if r.get("test_feedback")]
    assert len(retries) == len(cases) == len(prompts) - len(cases)
    assert all("fail" in r["test_feedback"].lower() or "error" in r["test_feedback"].lower() for r in retries)
    assert all(r["previous"]["applied"] and r["previous"]["answer"] for r in retries)
    assert all(c["retry"]["status"] == "passed" for c in results.cases)
    assert all(c["candidates"][0]["answer"] and c["retry"]["answer"] for c in results.cases)


def test_diff_quality_of_a_target_edit_is_the_rows_quality_score():
    """The evaluation's diff_quality is the dataset's quality_score applied to what was written."""
    from polyglot_hrm.dataset.export import build_datasets
    from polyglot_hrm.evaluation.measures import measure_candidate
    from polyglot_hrm.execution.results import RunResult
    from polyglot_hrm.scoring import problem_from_reference, resolve_candidate

    rows = list(build_datasets(None, ["diff_edit"], verify_by_execution=False)["diff_edit"]["train"])[:20]
    assert rows
    for row in rows:
        problem = problem_from_reference(row)
        resolved = resolve_candidate(row, problem, row["target_edit"])
        measured = measure_candidate(row, row["target_edit"], resolved, RunResult(problem.id, "passed"))
        assert measured.diff_quality == pytest.approx(row["quality_score"]), row["id"]
