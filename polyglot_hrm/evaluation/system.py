"""Score a solutions file or a model on cases by execution: the seed's ``PolyglotEvaluationSystem``.

Python API (what ``polyglot-hrm evaluate`` and the demo call)::

    from polyglot_hrm.evaluation import evaluate_solutions, evaluate_model, load_cases, write_report

    cases = load_cases(benchmark_root="polyglot-benchmark/")          # or dataset=..., config=, split=
    results = evaluate_solutions(cases, "solutions.json", ks=(1,))    # or a {id: [candidates]} dict
    results = evaluate_model(cases, model, tokenizer, num_samples=1, attempts=2)
    write_report(results, "eval_out/")   # results.json, report.md, report.html, *.png

Both return an :class:`EvaluationResults`. Model mode follows Aider's protocol with ``attempts=2``:
the first sample of a case that did not pass is retried once, its prompt showing the files as the
first attempt left them and the trimmed test output (the row's ``test_feedback``, the slot the
diff_edit config trains on); ``pass_rate_1`` and ``pass_rate_2`` count the first and either attempt.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..execution.runner import DEFAULT_TIMEOUT, record_stub_passes
from ..scoring import EditFailure, problem_from_reference, resolve_candidate, score
from .cases import Candidate, load_solutions, match_solutions, normalize_candidate
from .measures import measure_candidate, summarize, transfer_matrix

__all__ = ["EvaluationResults", "PolyglotEvaluationSystem", "evaluate_candidates", "evaluate_model",
           "evaluate_solutions"]

logger = logging.getLogger(__name__)

FEEDBACK_CHARS = 2000  # test output shown on the retry, as the diff_edit rows' test_feedback
ANSWER_CHARS = 4000  # generated text kept per candidate in results.json


@dataclass
class EvaluationResults:
    """Everything an evaluation measured; ``to_dict()`` is the ``results.json`` layout."""

    summary: dict[str, Any]
    per_language: dict[str, dict[str, Any]]
    per_difficulty: dict[str, dict[str, Any]]
    transfer_matrix: dict[str, dict[str, float]]
    cases: list[dict[str, Any]]
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"settings": self.settings, "summary": self.summary, "per_language": self.per_language,
                "per_difficulty": self.per_difficulty, "transfer_matrix": self.transfer_matrix, "cases": self.cases}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "EvaluationResults":
        return cls(data["summary"], data["per_language"], data["per_difficulty"], data["transfer_matrix"],
                   data["cases"], data.get("settings", {}))


def _run(cases: Sequence[Mapping[str, Any]], candidates: Sequence[Sequence[Candidate]], jobs: int | None,
         timeout: float, progress: bool, desc: str) -> list[list[dict[str, Any]]]:
    """Score every candidate on the one scoring path (:func:`polyglot_hrm.scoring.score`) and add the
    evaluation's measures: per case a list of measure dicts."""
    scored = score(cases, candidates, jobs=jobs, timeout=timeout, progress=progress, desc=desc)
    return [[measure_candidate(case, c, s.resolved, s.result).to_dict() for c, s in zip(cs, ss)]
            for case, cs, ss in zip(cases, candidates, scored)]


def _case_record(case: Mapping[str, Any], measured: list[dict[str, Any]], stub_passes: set[str]) -> dict[str, Any]:
    return {"id": case["id"], "problem_id": case["problem_id"], "task": case.get("task", "generation"),
            "language": case["language"], "source_language": case.get("source_language") or None,
            "difficulty": case.get("difficulty") or "unknown", "edit_type": case.get("edit_type") or None,
            "stub_passes": case["problem_id"] in stub_passes, "candidates": measured}


def _stub_passes(cases: Sequence[Mapping[str, Any]], jobs: int | None) -> set[str]:
    """Problem ids whose untouched stub already passes (recorded once per problem by running the stub)."""
    return record_stub_passes([problem_from_reference(c) for c in cases], jobs=jobs)


def _results(records: list[dict[str, Any]], ks: Sequence[int], settings: dict[str, Any],
             extra_seconds: dict[str, float] | None = None) -> EvaluationResults:
    """Aggregate case records; ``extra_seconds``: generation seconds per case id."""
    extra = extra_seconds or {}

    def group(key: str) -> dict[str, dict[str, Any]]:
        values = sorted({r[key] for r in records})
        return {v: summarize(rs := [r for r in records if r[key] == v], ks, sum(extra.get(r["id"], 0.0) for r in rs))
                for v in values}

    summary = summarize(records, ks, sum(extra.values()))
    return EvaluationResults(summary, group("language"), group("difficulty"), transfer_matrix(records), records,
                             settings)


def evaluate_candidates(cases: Sequence[Mapping[str, Any]], candidates: Sequence[Sequence[Candidate]],
                        ks: Sequence[int] = (1,), jobs: int | None = None, timeout: float = DEFAULT_TIMEOUT,
                        progress: bool = True, settings: dict[str, Any] | None = None) -> EvaluationResults:
    """Score one list of candidates per case (files or edits; see :mod:`.cases`)."""
    if len(cases) != len(candidates):
        raise ValueError(f"got {len(candidates)} candidate lists for {len(cases)} cases; pass one list per case")
    # The solutions-file forms ({"files": ...}, {"edit": ...}) are accepted here as well.
    candidates = [[normalize_candidate(c, f"{case['id']}[{j}]") for j, c in enumerate(cs)]
                  for case, cs in zip(cases, candidates)]
    start = time.perf_counter()
    measured = _run(cases, candidates, jobs, timeout, progress, "executing candidates")
    stub_passes = _stub_passes(cases, jobs)
    records = [_case_record(case, m, stub_passes) for case, m in zip(cases, measured)]
    settings = {"ks": list(ks), "timeout_s": timeout, **(settings or {})}
    results = _results(records, ks, settings)
    results.settings["wall_s"] = round(time.perf_counter() - start, 2)
    return results


def evaluate_solutions(cases: Sequence[Mapping[str, Any]], solutions: str | Path | Mapping[str, Any],
                       ks: Sequence[int] = (1,), jobs: int | None = None, timeout: float = DEFAULT_TIMEOUT,
                       progress: bool = True) -> EvaluationResults:
    """Score a solutions file (path or loaded mapping; schema in :mod:`.cases`) on the cases it covers."""
    name = str(solutions) if not isinstance(solutions, Mapping) else "<mapping>"
    kept, candidates = match_solutions(cases, load_solutions(solutions))
    return evaluate_candidates(kept, candidates, ks, jobs, timeout, progress,
                               settings={"mode": "solutions", "solutions": name})


def _retry_row(case: Mapping[str, Any], first: Mapping[str, Any], files: Any) -> dict[str, Any]:
    """The case as Aider's second attempt sees it: the files the first attempt left, its test output."""
    from ..dataset.build import trim_output

    row = dict(case)
    if isinstance(files, Mapping) and files:
        inputs = {f["path"]: f for f in case.get("input_files") or []}
        for path, content in files.items():
            role = inputs.get(path, {}).get("role", "solution")
            inputs[path] = {"path": path, "role": role, "content": content}
        row["input_files"] = list(inputs.values())
    row["test_feedback"] = trim_output(first.get("output") or first["status"], FEEDBACK_CHARS)
    return row


def evaluate_model(cases: Sequence[Mapping[str, Any]], model: Any, tokenizer: Any, *, num_samples: int = 1,
                   temperature: float = 0.0, max_new_tokens: int = 512, attempts: int = 1, ks: Sequence[int] = (1,),
                   jobs: int | None = None, timeout: float = DEFAULT_TIMEOUT, batch_size: int = 8,
                   seed: int | None = 0, progress: bool = True) -> EvaluationResults:
    """Generate ``num_samples`` answers per case with the shared prompt format, score them, and with
    ``attempts=2`` retry each case whose first sample failed (Aider's protocol, module docstring)."""
    from ..modelio.generation import answer_to_candidate, generate_answers

    if attempts not in (1, 2):
        raise ValueError(f"attempts={attempts}: Aider's protocol has 1 or 2 attempts")
    start = time.perf_counter()
    gen_start = time.perf_counter()
    answers = generate_answers(model, tokenizer, cases, num_samples=num_samples, temperature=temperature,
                               max_new_tokens=max_new_tokens, batch_size=batch_size, seed=seed, progress=progress)
    gen_seconds = time.perf_counter() - gen_start
    candidates = [[answer_to_candidate(case, t) for t in texts] for case, texts in zip(cases, answers)]
    measured = _run(cases, candidates, jobs, timeout, progress, "executing attempt 1")
    for m, texts in zip(measured, answers):
        for x, text in zip(m, texts):
            x["answer"] = text[:ANSWER_CHARS]  # what the model wrote: the first thing to read when it fails
    stub_passes = _stub_passes(cases, jobs)
    records = [_case_record(case, m, stub_passes) for case, m in zip(cases, measured)]
    extra = {case["id"]: gen_seconds / len(cases) for case in cases}
    if attempts == 2:
        failed = [i for i, r in enumerate(records) if r["candidates"][0]["status"] != "passed"]
        retry_rows = []
        for i in failed:
            files = resolve_candidate(cases[i], problem_from_reference(cases[i]), candidates[i][0])
            retry_rows.append(_retry_row(cases[i], records[i]["candidates"][0],
                                         None if isinstance(files, EditFailure) else files))
        if retry_rows:
            gen_start = time.perf_counter()
            retry_answers = generate_answers(model, tokenizer, retry_rows, num_samples=1, temperature=temperature,
                                             max_new_tokens=max_new_tokens, batch_size=batch_size, seed=seed,
                                             progress=progress)
            retry_seconds = time.perf_counter() - gen_start
            retry_candidates = [[answer_to_candidate(row, texts[0])] for row, texts in zip(retry_rows, retry_answers)]
            retried = _run(retry_rows, retry_candidates, jobs, timeout, progress, "executing attempt 2")
            for i, m, texts in zip(failed, retried, retry_answers):
                records[i]["retry"] = {**m[0], "answer": texts[0][:ANSWER_CHARS]}
                extra[cases[i]["id"]] += retry_seconds / len(retry_rows)
        for r in records:
            r.setdefault("retry", None)
    settings = {"mode": "model", "ks": list(ks), "num_samples": num_samples, "temperature": temperature,
                "max_new_tokens": max_new_tokens, "attempts": attempts, "timeout_s": timeout,
                "generation_s": round(sum(extra.values()), 2)}
    results = _results(records, ks, settings, extra)
    results.settings["wall_s"] = round(time.perf_counter() - start, 2)
    return results


class PolyglotEvaluationSystem:
    """The seed's entry point: one object holding the cases, scoring solutions or a model on them.

    >>> system = PolyglotEvaluationSystem.from_benchmark()              # the built-in mini-benchmark
    >>> results = system.evaluate_solutions("solutions.json")           # doctest: +SKIP
    >>> system.write_report(results, "eval_out")                        # doctest: +SKIP
    """

    def __init__(self, cases: Sequence[Mapping[str, Any]], ks: Sequence[int] = (1,), jobs: int | None = None,
                 timeout: float = DEFAULT_TIMEOUT, progress: bool = True):
        self.cases = list(cases)
        self.ks, self.jobs, self.timeout, self.progress = tuple(ks), jobs, timeout, progress

    @classmethod
    def from_benchmark(cls, benchmark_root: str | Path | None = None, **kwargs: Any) -> "PolyglotEvaluationSystem":
        from .cases import load_cases

        return cls(load_cases(benchmark_root=benchmark_root), **kwargs)

    def evaluate_solutions(self, solutions: str | Path | Mapping[str, Any]) -> EvaluationResults:
        return evaluate_solutions(self.cases, solutions, self.ks, self.jobs, self.timeout, self.progress)

    def evaluate_model(self, model: Any, tokenizer: Any, **kwargs: Any) -> EvaluationResults:
        return evaluate_model(self.cases, model, tokenizer, ks=self.ks, jobs=self.jobs, timeout=self.timeout,
                              progress=self.progress, **kwargs)

    @staticmethod
    def write_report(results: EvaluationResults, out_dir: str | Path) -> dict[str, Path]:
        from .report import write_report

        return write_report(results, out_dir)
