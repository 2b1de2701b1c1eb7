"""Score a solutions file or a model on cases by execution: the seed's ``PolyglotEvaluationSystem``.

Python API (what ``polyglot-hrm evaluate`` and the demo call)::

    from polyglot_hrm.evaluation import evaluate_solutions, evaluate_backend, evaluate_model, load_cases, write_report

    cases = load_cases(benchmark_root="polyglot-benchmark/")          # or dataset=..., config=, split=
    results = evaluate_solutions(cases, "solutions.json", ks=(1,))    # or a {id: [candidates]} dict
    results = evaluate_backend(cases, backend, attempts=2, journal="eval/results.jsonl")  # any backend, resumable
    results = evaluate_model(cases, model, tokenizer, num_samples=1, attempts=2)         # an HRM in memory
    write_report(results, "eval_out/")   # results.json, report.md, report.html, *.png

All return an :class:`~.results.EvaluationResults`. Model mode follows Aider's protocol (:mod:`.protocol`) with
``attempts=2``: the first sample of a case that did not pass is retried once, its prompt showing the files as
the first attempt left them and the trimmed test output (the row's ``test_feedback``, the slot the diff_edit
config trains on); ``pass_rate_1`` and ``pass_rate_2`` count the first and either attempt.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..execution import Timeout, describe_timeout, make_executor
from ..execution.executors import Executor, ExecutorSpec
from ..execution.journal import run_key
from ..modelio.backends import HRMBackend
from ..scoring import EditFailure, problem_from_reference, score
from ..settings import EVALUATION_TIMEOUT, GenerationOptions
from .cases import Candidate, load_cases, load_solutions, match_solutions, normalize_candidate
from .journal import Journal
from .measures import measure_candidate
from .protocol import evaluate_backend
from .report import write_report
from .results import EvaluationResults, case_record, executor_settings, results_from_records, stub_passing

__all__ = ["EvaluationResults", "PolyglotEvaluationSystem", "case_record", "evaluate_candidates", "evaluate_model",
           "evaluate_solutions", "results_from_records"]

logger = logging.getLogger(__name__)

def _run(cases: Sequence[Mapping[str, Any]], candidates: Sequence[Sequence[Candidate]], jobs: int | None,
         timeout: Timeout, progress: bool, desc: str, journal: Journal,
         executor: Executor) -> list[list[dict[str, Any]]]:
    """Score every candidate the journal does not hold yet on the one scoring path
    (:func:`polyglot_hrm.scoring.score`), keeping each result in the journal the moment it is known (a rerun
    after Ctrl-C or a kill runs only the rest); per case a list of measure dicts, read from the journal."""
    pending = [(i, j) for i, (case, cs) in enumerate(zip(cases, candidates)) for j in range(len(cs))
               if (str(case["id"]), j, 0) not in journal.results]
    if len(pending) < sum(len(cs) for cs in candidates):
        logger.info("resuming: %d of %d candidates already scored in %s", sum(len(cs) for cs in candidates)
                    - len(pending), sum(len(cs) for cs in candidates), journal.path)
    if pending:
        rows = [cases[i] for i, _ in pending]
        problems = [problem_from_reference(r) for r in rows]

        def scored(k: int, _j: int, s: Any) -> None:
            i, j = pending[k]
            key = None if isinstance(s.resolved, EditFailure) else run_key(problems[k], s.resolved, timeout)
            measures = measure_candidate(cases[i], candidates[i][j], s.resolved, s.result).to_dict()
            journal.add_result((str(cases[i]["id"]), j, 0), measures, s.result.to_dict() if key else None, key,
                               key is not None)

        score(rows, [[candidates[i][j]] for i, j in pending], jobs=jobs, timeout=timeout, progress=progress,
              desc=desc, problems=problems, on_scored=scored, executor=executor)
    return [[dict(journal.results[(str(case["id"]), j, 0)]["measures"]) for j in range(len(cs))]
            for case, cs in zip(cases, candidates)]


def solutions_identity(candidates: Sequence[Sequence[Candidate]], cases: Sequence[Mapping[str, Any]],
                       timeout: Timeout) -> dict[str, Any]:
    """What makes a solutions run's results: the candidates per case and the timeout rule (a journal written
    with other ones is refused)."""
    digest = hashlib.sha256(json.dumps([[c["id"] for c in cases], candidates], sort_keys=True, default=str).encode())
    return {"mode": "solutions", "candidates_sha256": digest.hexdigest(), "timeout": describe_timeout(timeout)}


def evaluate_candidates(cases: Sequence[Mapping[str, Any]], candidates: Sequence[Sequence[Candidate]],
                        ks: Sequence[int] = (1,), jobs: int | None = None, timeout: Timeout = EVALUATION_TIMEOUT,
                        progress: bool = True, settings: dict[str, Any] | None = None,
                        journal: str | Path | None = None, resume: bool = True,
                        executor: ExecutorSpec = None) -> EvaluationResults:
    """Score one list of candidates per case (files or edits; see :mod:`.cases`) on ``executor`` (``"local"``,
    the default, ``"ray"`` or an executor). With ``journal`` each result is appended to that JSONL file as it
    finishes, and a rerun resumes it (:mod:`.journal`)."""
    if len(cases) != len(candidates):
        raise ValueError(f"got {len(candidates)} candidate lists for {len(cases)} cases; pass one list per case")
    twice = [case_id for case_id, n in Counter(str(case["id"]) for case in cases).items() if n > 1]
    if twice:  # the journal keeps results by case id: a second case of one id would read the first's
        raise ValueError(f"cases: id {twice[0]!r} is given twice; give each case once")
    # The solutions-file forms ({"files": ...}, {"edit": ...}) are accepted here as well.
    candidates = [[normalize_candidate(c, f"{case['id']}[{j}]") for j, c in enumerate(cs)]
                  for case, cs in zip(cases, candidates)]
    start = time.perf_counter()
    executor = make_executor(executor, jobs)
    book = Journal(journal, solutions_identity(candidates, cases, timeout), resume)  # None: in memory
    measured = _run(cases, candidates, jobs, timeout, progress, "executing candidates", book, executor)
    stub_passes = stub_passing(cases, jobs, executor)
    records = [case_record(case, m, stub_passes) for case, m in zip(cases, measured)]
    settings = {"ks": list(ks), "timeout": describe_timeout(timeout), **(settings or {})}
    results = results_from_records(records, ks, settings)
    results.settings["wall_s"] = round(time.perf_counter() - start, 2)
    executor_settings(executor, results.settings)
    return results


def evaluate_solutions(cases: Sequence[Mapping[str, Any]], solutions: str | Path | Mapping[str, Any],
                       ks: Sequence[int] = (1,), jobs: int | None = None, timeout: Timeout = EVALUATION_TIMEOUT,
                       progress: bool = True, journal: str | Path | None = None, resume: bool = True,
                       executor: ExecutorSpec = None) -> EvaluationResults:
    """Score a solutions file (path or loaded mapping; schema in :mod:`.cases`) on the cases it covers;
    ``journal``: keep each result there as it finishes, and resume from it."""
    name = str(solutions) if not isinstance(solutions, Mapping) else "<mapping>"
    kept, candidates = match_solutions(cases, load_solutions(solutions))
    return evaluate_candidates(kept, candidates, ks, jobs, timeout, progress,
                               settings={"mode": "solutions", "solutions": name}, journal=journal, resume=resume,
                               executor=executor)


def evaluate_model(cases: Sequence[Mapping[str, Any]], model: Any, tokenizer: Any, *, num_samples: int = 1,
                   temperature: float = GenerationOptions.temperature,
                   max_new_tokens: int = GenerationOptions.max_new_tokens, attempts: int = 1, ks: Sequence[int] = (1,),
                   jobs: int | None = None, timeout: Timeout = EVALUATION_TIMEOUT,
                   batch_size: int = GenerationOptions.batch_size,
                   seed: int = 0, progress: bool = True, journal: str | Path | None = None,
                   executor: ExecutorSpec = None) -> EvaluationResults:
    """An HRM model and tokenizer in memory, through the protocol (:func:`.protocol.evaluate_backend` with
    the ``hrm`` backend)."""
    backend = HRMBackend(model, tokenizer, GenerationOptions(max_new_tokens, temperature, batch_size=batch_size))
    return evaluate_backend(cases, backend, num_samples=num_samples, attempts=attempts, ks=ks, jobs=jobs,
                            timeout=timeout, seed=seed, journal=journal, progress=progress, executor=executor)


class PolyglotEvaluationSystem:
    """The seed's entry point: one object holding the cases, scoring solutions or a model on them.

    >>> system = PolyglotEvaluationSystem.from_benchmark()  # $POLYGLOT_BENCHMARK_ROOT, else the mini-benchmark
    >>> results = system.evaluate_solutions("solutions.json")           # doctest: +SKIP
    >>> system.write_report(results, "eval_out")                        # doctest: +SKIP
    """

    def __init__(self, cases: Sequence[Mapping[str, Any]], ks: Sequence[int] = (1,), jobs: int | None = None,
                 timeout: Timeout = EVALUATION_TIMEOUT, progress: bool = True):
        self.cases = list(cases)
        self.ks, self.jobs, self.timeout, self.progress = tuple(ks), jobs, timeout, progress

    @classmethod
    def from_benchmark(cls, benchmark_root: str | Path | None = None, **kwargs: Any) -> "PolyglotEvaluationSystem":
        return cls(load_cases(benchmark_root=benchmark_root), **kwargs)

    def evaluate_solutions(self, solutions: str | Path | Mapping[str, Any]) -> EvaluationResults:
        return evaluate_solutions(self.cases, solutions, self.ks, self.jobs, self.timeout, self.progress)

    def evaluate_model(self, model: Any, tokenizer: Any, **kwargs: Any) -> EvaluationResults:
        return evaluate_model(self.cases, model, tokenizer, ks=self.ks, jobs=self.jobs, timeout=self.timeout,
                              progress=self.progress, **kwargs)

    @staticmethod
    def write_report(results: EvaluationResults, out_dir: str | Path) -> dict[str, Path]:
        return write_report(results, out_dir)
