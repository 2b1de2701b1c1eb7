"""Aider's benchmark protocol over any backend, resumable: generate, execute, retry once, measure.

For every case, ``num_samples`` first attempts are generated (:mod:`polyglot_hrm.modelio.backends`), turned
into candidates by the backend (its edit format) and executed on the one scoring path
(:func:`polyglot_hrm.scoring.score`: identical candidates of a problem run once). With ``attempts=2`` the
first sample of each case that did not pass gets a second attempt: the case as the first answer left its
files, with the trimmed test output (or why the answer could not be used) and, for chat backends, the
first exchange (:mod:`polyglot_hrm.modelio.chat_format`); durations in that output are masked
(:func:`steady_output`). ``pass_rate_1`` / ``pass_rate_2`` count the first sample's first attempt /
either attempt.

Each finished answer and result is appended to the journal (:mod:`.journal`) as it finishes; a rerun with
the same settings generates and executes only what is missing, and the results are built from the journal
alone. Sampling is seeded per (case, sample, attempt) (:func:`polyglot_hrm.modelio.sampling.request_seed`),
so batching and resuming do not change an answer.

Every candidate record carries its answer's ``finish_reason`` (:mod:`polyglot_hrm.modelio.backends`); an answer
cut short (``length``, ``context_window``, ``content_filter``) that cannot be used says so in its reason (its
``output``, which a second attempt is shown), rather than only that it was malformed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..execution import Timeout, describe_timeout, make_executor
from ..execution.executors import Executor, ExecutorSpec
from ..execution.journal import run_key
from ..execution.results import RunResult, trim_output
from ..languages.registry import mask_durations
from ..modelio.backends import Answer, Backend, Request
from ..modelio.sampling import request_seed
from ..scoring import EditFailure, problem_from_reference, resolve_candidate, score
from ..settings import EVALUATION_TIMEOUT
from .journal import Journal, Key
from .measures import measure_candidate
from .results import EvaluationResults, case_record, executor_settings, results_from_records, stub_passing

__all__ = ["ANSWER_CHARS", "FEEDBACK_CHARS", "cut_note", "evaluate_backend", "retry_row", "steady_output"]

logger = logging.getLogger(__name__)

FEEDBACK_CHARS = 2000  # test output shown on the retry, as the diff_edit rows' test_feedback
ANSWER_CHARS = 4000  # generated text kept per candidate in results.json (the journal keeps all of it)
# Settings that do not change an answer or a result: a resumed run may differ in them.
NOT_IDENTITY = ("batch_size",)


def steady_output(text: str) -> str:
    """Test output with its durations masked (``0.05s`` -> ``?s``): a second prompt then depends on what
    failed, not on how busy the machine was, so a resumed run asks what an uninterrupted one asks."""
    return mask_durations(text)


def cut_note(answer: Mapping[str, Any], options: Mapping[str, Any]) -> str | None:
    """Why an answer ended early, for the reason of a candidate it left unusable; None for one the model ended."""
    reason = answer.get("finish_reason")
    if reason == "length":
        budget = f", max_new_tokens={options['max_new_tokens']}" if options.get("max_new_tokens") else ""
        return f"the answer was cut at the token limit (finish_reason length{budget}) before it was complete"
    if reason == "context_window":
        return ("the prompt and the answer's token budget did not fit the model's context window (finish_reason "
                "context_window)")
    if reason == "content_filter":
        return "the server's content filter cut or refused the answer (finish_reason content_filter)"
    return None


def retry_row(case: Mapping[str, Any], answer: str, candidate: Any, measures: Mapping[str, Any]) -> dict[str, Any]:
    """The case as the second attempt sees it: the files the first answer left, its trimmed test output (or why
    it could not be used), and the first exchange (``previous``)."""
    row = dict(case)
    files = resolve_candidate(case, problem_from_reference(case), candidate)
    if not isinstance(files, EditFailure):
        inputs = {f["path"]: f for f in case.get("input_files") or []}
        for path, content in files.items():
            role = inputs.get(path, {}).get("role", "solution")
            inputs[path] = {"path": path, "role": role, "content": content}
        row["input_files"] = list(inputs.values())
    row["test_feedback"] = steady_output(trim_output(measures.get("output") or measures["status"], FEEDBACK_CHARS))
    row["previous"] = {"answer": answer, "input_files": list(case.get("input_files") or []),
                       "test_feedback": case.get("test_feedback") or "", "applied": bool(measures.get("applies"))}
    return row


class _Protocol:
    def __init__(self, backend: Backend, journal: Journal, jobs: int | None, timeout: Timeout, progress: bool,
                 seed: int, executor: Executor):
        self.backend, self.journal, self.jobs, self.timeout = backend, journal, jobs, timeout
        self.executor = executor
        self.progress, self.seed = progress, seed
        self.generated = self.executed = self.reused = 0

    def generate(self, items: Sequence[tuple[Key, Mapping[str, Any]]]) -> None:
        """Answers for the (key, row) items the journal does not hold yet."""
        todo = [(key, row) for key, row in items if key not in self.journal.answers]
        if not todo:
            return
        requests = [Request(row, key[1], key[2], request_seed(self.seed, key[0], key[1], key[2])) for key, row in todo]

        def keep(i: int, answer: Answer) -> None:
            self.journal.add_answer(todo[i][0], answer.to_dict())

        self.backend.generate(requests, on_answer=keep, progress=self.progress)
        self.generated += len(todo)

    def candidate(self, key: Key, row: Mapping[str, Any]) -> Any:
        return self.backend.candidate(row, self.journal.answers[key]["text"])

    def execute(self, items: Sequence[tuple[Key, Mapping[str, Any]]], desc: str) -> None:
        """Results for the answered (key, row) items the journal does not hold yet."""
        todo = [(key, row) for key, row in items if key not in self.journal.results]
        pending: list[tuple[Key, Mapping[str, Any], Any]] = []
        for key, row in todo:
            answer = self.journal.answers[key]
            candidate = self.candidate(key, row)
            problem = problem_from_reference(row)
            if answer.get("error"):  # the model gave no answer (prompt too long, refused): malformed, not run
                failure = EditFailure("malformed", f"no answer: {answer['error']}")
                self._keep(key, row, candidate, failure, RunResult(problem.id, "error", output=failure.reason), None,
                           False)
                continue
            resolved = resolve_candidate(row, problem, candidate)
            if not isinstance(resolved, EditFailure):
                same = run_key(problem, resolved, self.timeout)
                known = self.journal.runs.get(same)
                if known is not None:  # an identical candidate already ran (an earlier sample, attempt or run)
                    self._keep(key, row, candidate, resolved, RunResult(**known), same, False)
                    self.reused += 1
                    continue
            pending.append((key, row, candidate))
        if not pending:
            return
        problems = [problem_from_reference(row) for _, row, _ in pending]
        seen: set[str] = set()

        def scored(i: int, _j: int, s: Any) -> None:
            key, row, candidate = pending[i]
            key_ = None if isinstance(s.resolved, EditFailure) else run_key(problems[i], s.resolved, self.timeout)
            first = key_ is not None and key_ not in seen
            if key_ is not None:
                seen.add(key_)
            self._keep(key, row, candidate, s.resolved, s.result, key_, first)

        score([row for _, row, _ in pending], [[c] for _, _, c in pending], jobs=self.jobs, timeout=self.timeout,
              progress=self.progress, desc=desc, problems=problems, on_scored=scored, executor=self.executor)
        self.executed += len(seen)

    def _keep(self, key: Key, row: Mapping[str, Any], candidate: Any, resolved: Any, result: RunResult,
              key_: str | None, executed: bool) -> None:
        note = cut_note(self.journal.answers.get(key) or {}, self.backend.settings())
        if note and isinstance(resolved, EditFailure):  # unusable because it was cut: say so, not only "malformed"
            resolved = EditFailure(resolved.kind, f"{note}: {resolved.reason}")
            result = replace(result, output=f"{note}: {result.output}")
        measures = measure_candidate(row, candidate, resolved, result).to_dict()
        run = result.to_dict() if key_ is not None else None
        self.journal.add_result(key, measures, run, key_, executed)


def _candidate_record(journal: Journal, key: Key) -> dict[str, Any]:
    measures = dict(journal.results[key]["measures"])
    answer = journal.answers[key]
    measures.update({"answer": answer["text"][:ANSWER_CHARS], "tokens_in": answer.get("tokens_in"),
                     "tokens_out": answer.get("tokens_out"), "generation_s": answer.get("seconds", 0.0),
                     "finish_reason": answer.get("finish_reason")})  # None: a journal from before it was recorded
    if answer.get("error"):
        measures["answer_error"] = answer["error"]
    if answer.get("retries"):
        measures["retries"] = answer["retries"]
    return measures


def evaluate_backend(cases: Sequence[Mapping[str, Any]], backend: Backend, *, num_samples: int = 1,
                     attempts: int = 1, ks: Sequence[int] = (1,), jobs: int | None = None,
                     timeout: Timeout = EVALUATION_TIMEOUT,
                     seed: int = 0, journal: str | Path | None = None, resume: bool = True,
                     progress: bool = True, executor: ExecutorSpec = None) -> EvaluationResults:
    """Run the protocol (module docstring) for ``cases`` with ``backend``; ``journal``: the JSONL file to keep
    and resume from (None: in memory only); ``executor``: where the test runs execute (``"local"``, the
    default, ``"ray"`` or an executor). Results reach the journal as each run finishes, on any executor."""
    if attempts not in (1, 2):
        raise ValueError(f"attempts={attempts}: Aider's protocol has 1 or 2 attempts")
    if num_samples < 1:
        raise ValueError(f"num_samples={num_samples}: must be >= 1")
    start = time.perf_counter()
    identity = {k: v for k, v in backend.settings().items() if k not in NOT_IDENTITY}
    identity.update({"seed": seed, "timeout": describe_timeout(timeout)})
    book = Journal(journal, identity, resume)
    executor = make_executor(executor, jobs)
    run = _Protocol(backend, book, jobs, timeout, progress, seed, executor)
    firsts = [((case["id"], s, 1), case) for case in cases for s in range(num_samples)]
    run.generate(firsts)
    run.execute(firsts, "executing attempt 1")
    retries: list[tuple[Key, Mapping[str, Any]]] = []
    if attempts == 2:
        for case in cases:
            key = (case["id"], 0, 1)
            measures = book.results[key]["measures"]
            if measures["status"] != "passed":
                row = retry_row(case, book.answers[key]["text"], run.candidate(key, case), measures)
                retries.append(((case["id"], 0, 2), row))
        run.generate(retries)
        run.execute(retries, "executing attempt 2")
    records = []
    runs_before = sum(executor.runs_per_node.values())
    stub_passes = stub_passing(cases, jobs, executor)
    stub_runs = sum(executor.runs_per_node.values()) - runs_before  # those not recorded by an earlier invocation
    for case in cases:
        candidates = [_candidate_record(book, (case["id"], s, 1)) for s in range(num_samples)]
        record = case_record(case, candidates, stub_passes)
        if attempts == 2:
            second = (case["id"], 0, 2)
            record["retry"] = _candidate_record(book, second) if second in book.results else None
        records.append(record)
    keys = {r.get("run_key") for key, r in book.results.items() if key[0] in {c["id"] for c in cases}}
    settings = {"mode": "model", **identity, "ks": list(ks), "num_samples": num_samples, "attempts": attempts}
    results: EvaluationResults = results_from_records(records, ks, settings)
    results.summary["executions"] = len(keys - {None})
    results.settings["wall_s"] = round(time.perf_counter() - start, 2)
    # The runs-per-node table counts every run the executor made: the answers' and the stubs' (whether a stub
    # already passes), so the stubs' are named here too.
    logger.info("%s: answers generated: %d; runs executed: %d of answers, %d of stubs (does a stub already "
                "pass?); identical runs reused: %d (this invocation)", identity.get("model") or identity["backend"],
                run.generated, run.executed, stub_runs, run.reused)
    results.settings["this_invocation"] = {"generated": run.generated, "executed": run.executed,
                                           "reused": run.reused}
    executor_settings(executor, results.settings)
    return results
