"""Problems -> rows of one configuration: filtering, difficulty buckets, splits, mutant verification.

This is the builder's engine (:mod:`polyglot_hrm.dataset.builder` only wraps it for ``datasets``):

* **Problems.** Read from every root of ``data_dir`` (:func:`~.sources.load_sources`: the config's
  ``languages``; a language/slug in two roots is kept once, from the root listed first; each problem carries
  its root's ``source`` label, and so does every row), less exercises marked ``.meta/.skip_tests``
  (test-writing exercises: nothing to run), less every problem whose slug the ``exclude_slugs_of`` benchmark
  holds (in any language); kept when their complexity
  score lies in ``[min_complexity_score, max_complexity_score]`` and their ``added`` day in the window of
  ``added_after`` / ``added_before`` (:func:`~polyglot_hrm.problems.filter_by_added`: undated problems are left out
  under a date filter); at most ``max_problems_per_language`` per language, a seeded sample.
* **Difficulty** (the curriculum bucket, :func:`~polyglot_hrm.problems.complexity.difficulty_buckets`):
  ``easy``/``medium``/``hard`` by the tertile of the problem's complexity score *within its language* over every
  problem read (complexity is only comparable within one language), so filtering does not move a problem between
  buckets.
* **Splits** by slug (:func:`~.splits.assign_splits`): one exercise, in every language and every configuration,
  sits in one split.
* **Verification** of ``bug_fix`` mutants (:func:`verify_mutants`): the mutated solution runs as the
  reference does (it is the benchmark's own reference with one operator applied, so it needs no
  opt-in for untrusted code; it runs in the same sandbox). A mutant is kept only when the run's status is
  ``failed``: it builds and some test fails. ``passed`` (an equivalent mutant), ``compile_error`` (a
  build error is a different task from a behavioural bug, and most of them are trivially spotted by the
  compiler), ``timeout`` and ``error`` are dropped. The failing output, trimmed (:func:`trim_output`),
  becomes the row's ``test_feedback``.
* **Refactorings** (``refactor`` rows, up to ``max_refactor_examples_per_problem`` per problem on top of the
  others) are verified the other way round: the refactored reference runs as the reference, and is kept only
  when the run ``passed`` (every expected test, as the reference) and its text differs from the reference.
  They are only trusted when verified: a language whose code the build does not run has none.
* **Resuming.** Every verification run is appended, as it ends, to a journal in the runner cache
  (``<cache>/verified/runs.jsonl``, in the one journal format of :mod:`polyglot_hrm.execution.journal`), keyed
  by its run key (the problem, the files run, the timeout, the format version); a build killed halfway and
  started again runs only what the journal lacks, and makes the same rows. The expected
  tests of the references are recorded in the runner cache too (:mod:`polyglot_hrm.execution.expected`).
"""

from __future__ import annotations

import logging
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Sequence

from ..problems import Problem, ProblemFile, difficulty_buckets, filter_by_added, skips_tests
from ..execution import RunTask, make_executor, run_many
from ..execution.expected import load_reference_seconds
from ..execution.journal import JournalFile, journal_path, run_key
from ..execution.provision import runners_available
from ..execution.results import trim_output
from ..execution.runner import record_expected
from ..languages.context import RunnerContext
from ..seeded import seeded_rank
from ..synthesis.examples import (DiffCandidate, bug_fix_candidate, diff_candidates, diff_edit_row, generation_row,
                                  mutant_pool, refactor_candidate, refactor_pool, transfer_pairs, transfer_row)
from .config import PolyglotHRMConfig
from .sources import benchmark_slugs, load_sources
from .splits import assign_splits

__all__ = ["BuildReport", "RunJournal", "Verified", "build", "build_rows", "exclude_benchmark", "load_problems",
           "select_problems", "verify_mutants", "verify_runs"]

logger = logging.getLogger(__name__)


@dataclass
class BuildReport:
    """What one build of a configuration made: its rows, the statuses of the mutants it verified (only
    ``failed`` ones are kept) and how many problems' rows carry their expected tests."""

    config: str
    rows: list[dict[str, Any]]
    verification: Counter = field(default_factory=Counter)
    expected_tests: int = 0
    #: Refactorings run, by (language, status): only ``passed`` ones can be kept (see the rows for how many were).
    refactor_runs: Counter = field(default_factory=Counter)
    #: Verification runs answered by the journal of an earlier (killed) build instead of being run again.
    resumed: int = 0


def load_problems(config: PolyglotHRMConfig) -> list[Problem]:
    """The config's problems from every root of ``data_dir``, without exercises marked ``.meta/.skip_tests``
    (logged)."""
    problems, roots = load_sources(config.data_dir, config.languages)
    skipped = [p.id for p in problems if skips_tests(roots[p.id], p)]
    if skipped:
        logger.warning("left out %s: marked .meta/.skip_tests (no tests to judge rows by)", ", ".join(skipped))
    return [p for p in problems if p.id not in skipped]


def exclude_benchmark(problems: Sequence[Problem], benchmark: str | os.PathLike | None) -> list[Problem]:
    """``problems`` without those whose slug the benchmark at ``benchmark`` holds, in any language (None: all)."""
    if not benchmark:
        return list(problems)
    slugs = benchmark_slugs(benchmark)
    kept = [p for p in problems if p.slug not in slugs]
    logger.info("left out %d problem(s) (%d slugs) that %s holds", len(problems) - len(kept),
                len({p.slug for p in problems} & slugs), benchmark)
    return kept


def select_problems(problems: Sequence[Problem], config: PolyglotHRMConfig) -> list[Problem]:
    kept = [p for p in problems if config.min_complexity_score <= p.metadata.complexity <= config.max_complexity_score]
    kept = filter_by_added(kept, lambda p: p.metadata.added, config.added_after, config.added_before)
    if config.max_problems_per_language is not None:
        by_lang: dict[str, list[Problem]] = defaultdict(list)
        for p in sorted(kept, key=lambda p: seeded_rank(config.seed, "sample", p.id)):
            by_lang[p.language].append(p)
        chosen = {p.id for ps in by_lang.values() for p in ps[:config.max_problems_per_language]}
        kept = [p for p in kept if p.id in chosen]
    return kept


def _as_reference(problem: Problem, files: dict[str, str]) -> Problem:
    others = tuple(f for f in problem.files if f.role != "reference")
    return replace(problem, files=others + tuple(ProblemFile(p, "reference", c) for p, c in files.items()))


@dataclass(frozen=True)
class Verified:
    """What one verification run found: the test status and the output (for a failing mutant's feedback)."""

    status: str
    output: str = ""


class RunJournal:
    """Verification runs by key (:attr:`done`), on the one journal format (:mod:`polyglot_hrm.execution.journal`:
    a line cut by a kill is fenced and skipped, another format is refused): each run appended as it ends.
    ``error`` results (the runner itself failed) are never kept: they are run again."""

    def __init__(self, path: Path):
        fix = f"Delete it to start verification over (`rm {path}`: its runs are made again), then rerun."
        self.file = JournalFile(path, "verification", start_over=fix)
        self.path = self.file.path
        self.done: dict[str, Verified] = {}
        for number, entry in self.file.records:
            try:
                self.done[entry["key"]] = Verified(entry["status"], entry.get("output", ""))
            except (KeyError, TypeError) as err:
                raise self.file.damaged(number, f"{type(err).__name__}: {err}") from None

    def append(self, key: str, result: Verified, problem_id: str = "") -> None:
        if result.status == "error":
            return
        self.done[key] = result
        # The problem id is for people reading the journal.
        self.file.append({"key": key, "problem_id": problem_id, "status": result.status, "output": result.output})


def verify_runs(items: Sequence[tuple[Problem, dict[str, str]]], timeout: float, jobs: int | None = None,
                progress: bool = False, journal: RunJournal | None = None,
                executor: Any = None) -> tuple[list[Verified], int]:
    """Run each ``(problem, files)`` with ``files`` as the problem's reference (the benchmark's own code with one
    change, in the sandbox); returns the results in order and how many came from the journal instead.
    ``executor``: where they run (``"local"``, the default, ``"ray"`` or an executor)."""
    journal = journal if journal is not None else RunJournal(journal_path())
    keys = [run_key(p, files, timeout) for p, files in items]
    todo: dict[str, int] = {}
    for i, key in enumerate(keys):
        if key not in journal.done:
            todo.setdefault(key, i)
    resumed = sum(1 for key in keys if key in journal.done)
    if resumed:
        logger.info("%d of %d verification runs already done (journal %s)", resumed, len(items), journal.path)
    order = list(todo.values())

    def record(index: int, result) -> None:
        journal.append(keys[order[index]], Verified(result.status, result.output), items[order[index]][0].id)

    if order:
        tasks = [RunTask(_as_reference(items[i][0], items[i][1]), mode="reference") for i in order]
        results = run_many(tasks, jobs=jobs, timeout=timeout, progress=progress, desc="verifying", on_result=record,
                           executor=executor)
        fresh = {keys[i]: Verified(r.status, r.output) for i, r in zip(order, results)}
    else:
        fresh = {}
    return [fresh.get(key) or journal.done[key] for key in keys], resumed


def verify_mutants(candidates: Sequence[DiffCandidate], timeout: float, jobs: int | None = None,
                   progress: bool = False, executor: Any = None) -> list[Verified]:
    """Run each candidate's *input* (the mutant) as the problem's reference; returns the results in order."""
    return verify_runs([(c.problem, c.before) for c in candidates], timeout, jobs, progress, executor=executor)[0]


def _diff_edit_rows(problems: Sequence[Problem], config: PolyglotHRMConfig, difficulty: dict[str, str],
                    verify_languages: set[str], progress: bool, report: BuildReport,
                    executor: Any) -> tuple[list[dict[str, Any]], Counter]:
    cap = config.max_diff_examples_per_problem
    max_features = max(0, (cap - 1) // 3)
    rows: dict[str, list[dict[str, Any]]] = {}
    pools: list[tuple[Problem, int, list[DiffCandidate]]] = []
    for p in problems:
        kept: list[dict[str, Any]] = []
        counts: dict[str, int] = defaultdict(int)
        for cand in diff_candidates(p, config.seed, max_features):
            row = diff_edit_row(cand, counts[cand.edit_type], difficulty.get(p.id, ""))
            if row["quality_score"] >= config.min_diff_quality_score:
                kept.append(row)
                counts[cand.edit_type] += 1
        rows[p.id] = kept
        need = cap - len(kept)
        if need > 0:
            verify = p.language in verify_languages
            # About one mutant in five is dropped by verification (equivalent, build error or endless loop).
            size = need + max(2, (need + 1) // 2) if verify else need
            pool = [bug_fix_candidate(p, m) for m in mutant_pool(p, size, config.seed)]
            pools.append((p, need, pool))

    # Refactorings: a few more than wanted are tried, since some do not build or change behaviour.
    n_refactor = config.max_refactor_examples_per_problem
    refactors = [(p, [refactor_candidate(p, r) for r in refactor_pool(p, n_refactor + max(2, n_refactor), config.seed)])
                 for p in problems if n_refactor and p.language in verify_languages]

    to_verify = [c for p, _, pool in pools if p.language in verify_languages for c in pool]
    to_refactor = [c for _, pool in refactors for c in pool]
    verification: Counter = Counter()
    if to_verify or to_refactor:
        runs = [(c.problem, c.before) for c in to_verify] + [(c.problem, c.after) for c in to_refactor]
        results, report.resumed = verify_runs(runs, config.verify_timeout, progress=progress, executor=executor)
        mutant_results, refactor_results = results[:len(to_verify)], results[len(to_verify):]
        verification.update(r.status for r in mutant_results)
        logger.info("verified %d mutants: %s", len(mutant_results), dict(Counter(r.status for r in mutant_results)))
        for cand, result in zip(to_verify, mutant_results):
            cand.verification = result.status
            if result.status == "failed":
                cand.test_feedback = trim_output(result.output)
        for cand, result in zip(to_refactor, refactor_results):
            cand.verification = result.status
            report.refactor_runs[(cand.problem.language, result.status)] += 1
    for p, need, pool in pools:
        index = 0
        for cand in pool:
            if index >= need:
                break
            if p.language in verify_languages and cand.verification != "failed":
                continue
            row = diff_edit_row(cand, index, difficulty.get(p.id, ""))
            if row["quality_score"] >= config.min_diff_quality_score:
                rows[p.id].append(row)
                index += 1
    for p, pool in refactors:
        index = 0
        for cand in pool:
            if index >= n_refactor:
                break
            if cand.verification != "passed" or cand.after == cand.before:
                continue
            row = diff_edit_row(cand, index, difficulty.get(p.id, ""))
            if row["quality_score"] >= config.min_diff_quality_score:
                rows[p.id].append(row)
                index += 1
    return [r for p in problems for r in rows[p.id]], verification


def _execution_languages(languages: set[str], config: PolyglotHRMConfig) -> set[str]:
    """Languages the build may execute code of: none with ``verify_by_execution=False``, all with ``True``,
    else those whose runners are available here."""
    if config.verify_by_execution is False:
        return set()
    if config.verify_by_execution is True:
        return set(languages)
    return runners_available(languages)


def _with_expected_tests(problems: Sequence[Problem], config: PolyglotHRMConfig, executor: Any) -> list[Problem]:
    """Problems carrying their expected tests (rows keep them, so the metric needs only a row), recorded from
    the references' runs where the build may execute; without execution rows carry none."""
    allowed = _execution_languages({p.language for p in problems}, config)
    expected = record_expected([p for p in problems if p.language in allowed], executor=executor)
    ctx = RunnerContext()
    return [replace(p, expected_tests=expected.get(p.id, ()),
                    reference_seconds=load_reference_seconds(p, ctx) if p.id in expected else None)
            for p in problems]


def build(config: PolyglotHRMConfig, problems: Sequence[Problem] | None = None,
          progress: bool = False, executor: Any = None) -> BuildReport:
    """Every row of ``config.name`` (each with its ``split``), in a deterministic order, with what it took.
    ``executor``: where the build's runs execute (``"local"``, the default, ``"ray"`` or an executor); the
    rows do not depend on it."""
    executor = make_executor(executor)
    problems = exclude_benchmark(problems if problems is not None else load_problems(config), config.exclude_slugs_of)
    report = BuildReport(config.name, [])
    difficulty = difficulty_buckets(problems)
    splits = assign_splits({p.slug for p in problems}, config.seed, config.split_ratios)
    chosen = _with_expected_tests(select_problems(problems, config), config, executor)
    verification: Counter = Counter()
    if config.name == "generation":
        rows = [generation_row(p, difficulty[p.id]) for p in chosen]
    elif config.name == "transfer":
        rows = [transfer_row(s, t, difficulty[t.id])
                for s, t in transfer_pairs(chosen, config.seed, config.max_transfer_examples_per_pair)]
    else:
        languages = {p.language for p in chosen}
        verify = _execution_languages(languages, config)
        if config.verify_by_execution is None and verify != languages:
            logger.warning("bug_fix mutants not verified for %s: runners unavailable (see `polyglot-hrm doctor`)",
                           ", ".join(sorted(languages - verify)))
        rows, verification = _diff_edit_rows(chosen, config, difficulty, verify, progress, report, executor)
    for row in rows:
        row["split"] = splits[row["slug"]]
    report.rows, report.verification = rows, verification
    report.expected_tests = sum(bool(p.expected_tests) for p in chosen)
    return report


def build_rows(config: PolyglotHRMConfig, problems: Sequence[Problem] | None = None,
               progress: bool = False, executor: Any = None) -> list[dict[str, Any]]:
    """The rows of :func:`build`."""
    return build(config, problems, progress, executor).rows
