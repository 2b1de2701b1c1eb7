"""Problems -> rows of one configuration: filtering, difficulty buckets, splits, mutant verification.

This is the builder's engine (:mod:`polyglot_hrm.dataset.builder` only wraps it for ``datasets``):

* **Problems.** Read with :func:`load_benchmark` (the config's ``languages``), less exercises marked
  ``.meta/.skip_tests`` (test-writing exercises: nothing to run); kept when their complexity
  score lies in ``[min_complexity_score, max_complexity_score]``; at most ``max_problems_per_language``
  per language, a seeded sample.
* **Difficulty** (the curriculum bucket): ``easy``/``medium``/``hard`` by the tertile of the problem's
  complexity score *within its language* over every problem read (complexity is only comparable within
  one language), so filtering does not move a problem between buckets.
* **Splits** by slug (:func:`assign_splits`): one exercise, in every language and every configuration,
  sits in one split.
* **Verification** of ``bug_fix`` mutants (:func:`verify_mutants`): the mutated solution runs as the
  reference does (it is the benchmark's own reference with one operator applied, so it needs no
  opt-in for untrusted code; it runs in the same sandbox). A mutant is kept only when the run's status is
  ``failed``: it builds and some test fails. ``passed`` (an equivalent mutant), ``compile_error`` (a
  build error is a different task from a behavioural bug, and most of them are trivially spotted by the
  compiler), ``timeout`` and ``error`` are dropped. The failing output, trimmed (:func:`trim_output`),
  becomes the row's ``test_feedback``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Sequence

from ..benchmark import Problem, ProblemFile, load_benchmark, mini_benchmark_root
from ..synthesis.examples import (DiffCandidate, bug_fix_candidate, diff_candidates, diff_edit_row, generation_row,
                                  mutant_pool, seeded_rank, transfer_pairs, transfer_row)
from .config import SPLITS, PolyglotHRMConfig

__all__ = ["BuildReport", "assign_splits", "benchmark_root", "build", "build_rows", "difficulty_buckets",
           "load_problems", "runners_available", "select_problems", "tree_hash", "trim_output", "verify_mutants"]

logger = logging.getLogger(__name__)



@dataclass
class BuildReport:
    """What one build of a configuration made: its rows, the statuses of the mutants it verified (only
    ``failed`` ones are kept) and how many problems' rows carry their expected tests."""

    config: str
    rows: list[dict[str, Any]]
    verification: Counter = field(default_factory=Counter)
    expected_tests: int = 0

_SKIP_DIRS = {".git", "node_modules", "target", "build", "bin", "__pycache__", ".pytest_cache", ".gradle"}


def benchmark_root(data_dir: str | os.PathLike | None) -> Path:
    """``data_dir``, or the built-in mini-benchmark when it is None."""
    return Path(data_dir).expanduser().resolve() if data_dir else mini_benchmark_root()


_TREE_MEMO: dict[tuple[str, str], str] = {}


def _walk(root: Path) -> list[Path]:
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        files.extend(Path(dirpath) / name for name in sorted(filenames))
    return files


def tree_hash(root: str | os.PathLike) -> str:
    """SHA-256 over the relative path and bytes of every file under ``root`` (build outputs and ``.git``
    skipped): any edit, addition, removal or rename changes it. About 0.3 s on the polyglot benchmark;
    within one process a tree whose files' paths, sizes and modification times are unchanged is not
    read again."""
    root = Path(root)
    files = _walk(root)
    stamp = hashlib.sha256()
    for path in files:
        try:
            st = path.stat()
            stamp.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
        except OSError:
            stamp.update(f"{path}\0?\0".encode())
    key = (str(root.resolve()), stamp.hexdigest())
    if key in _TREE_MEMO:
        return _TREE_MEMO[key]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"<unreadable>")
        digest.update(b"\0")
    _TREE_MEMO[key] = digest.hexdigest()
    return _TREE_MEMO[key]


def code_hash() -> str:
    """A hash of the code that makes rows (so a new version of it does not reload stale rows): this package,
    the synthesis, the reader and the language modules (their syntax drives mutations and function finding)."""
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted([*here.glob("*.py"), *(here.parent / "synthesis").glob("*.py"),
                        *(here.parent / "languages").glob("*.py"),
                        here.parent / "benchmark" / "reader.py", here.parent / "benchmark" / "complexity.py"]):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def skips_tests(root: str | Path, problem: Problem) -> bool:
    """Whether the exercise is marked ``.meta/.skip_tests`` (Go's ``counter`` asks the student to write
    the tests: its reference has no tests to run, so no row of it could be judged by execution)."""
    practice = Path("exercises") / "practice" / problem.slug / ".meta" / ".skip_tests"
    return (Path(root) / problem.language / practice).is_file() or (Path(root) / practice).is_file()


def load_problems(config: PolyglotHRMConfig) -> list[Problem]:
    """The config's problems, without exercises marked ``.meta/.skip_tests`` (logged)."""
    root = benchmark_root(config.data_dir)
    problems = load_benchmark(root, languages=config.languages)
    skipped = [p.id for p in problems if skips_tests(root, p)]
    if skipped:
        logger.warning("left out %s: marked .meta/.skip_tests (no tests to judge rows by)", ", ".join(skipped))
    return [p for p in problems if p.id not in skipped]


def difficulty_buckets(problems: Sequence[Problem]) -> dict[str, str]:
    """``problem id -> easy|medium|hard``: complexity tertile within the problem's language."""
    by_lang: dict[str, list[Problem]] = defaultdict(list)
    for p in problems:
        by_lang[p.language].append(p)
    out = {}
    for ps in by_lang.values():
        ps = sorted(ps, key=lambda p: (p.metadata.complexity, p.slug))
        for rank, p in enumerate(ps):
            out[p.id] = ("easy", "medium", "hard")[min(2, 3 * rank // len(ps))]
    return out


def select_problems(problems: Sequence[Problem], config: PolyglotHRMConfig) -> list[Problem]:
    kept = [p for p in problems if config.min_complexity_score <= p.metadata.complexity <= config.max_complexity_score]
    if config.max_problems_per_language is not None:
        by_lang: dict[str, list[Problem]] = defaultdict(list)
        for p in sorted(kept, key=lambda p: seeded_rank(config.seed, "sample", p.id)):
            by_lang[p.language].append(p)
        chosen = {p.id for ps in by_lang.values() for p in ps[:config.max_problems_per_language]}
        kept = [p for p in kept if p.id in chosen]
    return kept


def assign_splits(slugs: Iterable[str], seed: int, ratios: dict[str, float]) -> dict[str, str]:
    """``slug -> split``, deterministic in ``(seed, slug)``.

    Each slug draws ``u = sha256(seed, slug)`` in [0, 1) and goes to the split whose cumulative ratio
    interval holds ``u``, so a slug's split does not depend on which other slugs exist. On a small tree
    where that leaves a split with a positive ratio empty (the mini-benchmark has six slugs), slugs are
    instead ranked by ``u`` and cut by ratio with at least one slug per such split (largest remainders).
    """
    slugs = sorted(set(slugs))
    u = {s: seeded_rank(seed, "split", s) / 2.0 ** 64 for s in slugs}
    names = [n for n in SPLITS if n in ratios]
    bounds, total = [], 0.0
    for name in names:
        total += ratios[name]
        bounds.append((total, name))
    out = {}
    for s in slugs:
        out[s] = next((name for bound, name in bounds if u[s] < bound), names[0])
    wanted = [n for n in names if ratios[n] > 0]
    if len(slugs) >= len(wanted) and any(n not in out.values() for n in wanted):
        ranked = sorted(slugs, key=lambda s: u[s])
        exact = {n: ratios[n] * len(slugs) for n in wanted}
        counts = {n: max(1, int(exact[n])) for n in wanted}
        while sum(counts.values()) > len(slugs):
            n = max((n for n in wanted if counts[n] > 1), key=lambda n: counts[n] - exact[n])
            counts[n] -= 1
        while sum(counts.values()) < len(slugs):
            n = max(wanted, key=lambda n: exact[n] - counts[n])
            counts[n] += 1
        out, i = {}, 0
        for n in wanted:
            for s in ranked[i:i + counts[n]]:
                out[s] = n
            i += counts[n]
    return out


def runners_available(languages: Iterable[str]) -> set[str]:
    """Languages whose toolchain and provisioned dependencies are in place (what ``doctor`` checks)."""
    from ..languages.context import RunnerContext
    from ..languages import get_language

    ctx = RunnerContext()
    ok = set()
    for name in languages:
        language = get_language(name)
        try:
            ready = all(c.version for c in language.toolchain()) and language.missing_provision(ctx) is None
        except Exception as err:  # a probe that cannot run means the runner is not available
            logger.info("%s: runner probe failed (%s)", name, err)
            ready = False
        if ready:
            ok.add(name)
    return ok


_TMP_PATH = re.compile(r"/\S*?polyglot-hrm-[\w]+/")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def trim_output(text: str, limit: int = 2000) -> str:
    """Test output for a prompt: colour codes and temporary workspace paths removed, blank-line runs
    squeezed; when longer than ``limit`` characters, its first 60% (the first failures) and last 40%
    (the summary), cut at line breaks, around a ``[...]`` line."""
    text = _TMP_PATH.sub("", _ANSI.sub("", text))
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if len(text) <= limit:
        return text
    head = text[:int(limit * 0.6)]
    head = head[:head.rfind("\n")] if "\n" in head else head
    tail = text[-int(limit * 0.4):]
    tail = tail[tail.find("\n") + 1:] if "\n" in tail else tail
    return f"{head}\n[...]\n{tail}"


def _as_reference(problem: Problem, files: dict[str, str]) -> Problem:
    others = tuple(f for f in problem.files if f.role != "reference")
    return replace(problem, files=others + tuple(ProblemFile(p, "reference", c) for p, c in files.items()))


def verify_mutants(candidates: Sequence[DiffCandidate], timeout: float, jobs: int | None = None,
                   progress: bool = False, executor: Any = None) -> list:
    """Run each candidate's *input* (the mutant) as the problem's reference; returns RunResults in order.
    ``executor``: where they run (``"local"``, the default, ``"ray"`` or an executor)."""
    from ..execution import RunTask, run_many

    tasks = [RunTask(_as_reference(c.problem, c.before), mode="reference") for c in candidates]
    return run_many(tasks, jobs=jobs, timeout=timeout, progress=progress, desc="verifying mutants", executor=executor)


def _diff_edit_rows(problems: Sequence[Problem], config: PolyglotHRMConfig, difficulty: dict[str, str],
                    verify_languages: set[str], progress: bool, executor: Any) -> tuple[list[dict[str, Any]], Counter]:
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

    to_verify = [c for p, _, pool in pools if p.language in verify_languages for c in pool]
    verification: Counter = Counter()
    if to_verify:
        results = verify_mutants(to_verify, config.verify_timeout, progress=progress, executor=executor)
        verification.update(r.status for r in results)
        logger.info("verified %d mutants: %s", len(results), dict(Counter(r.status for r in results)))
        for cand, result in zip(to_verify, results):
            cand.verification = result.status
            if result.status == "failed":
                cand.test_feedback = trim_output(result.output)
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
    from ..execution.expected import load_reference_seconds
    from ..execution.runner import record_expected
    from ..languages.context import RunnerContext

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
    from ..execution import make_executor

    executor = make_executor(executor)
    problems = list(problems) if problems is not None else load_problems(config)
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
        rows, verification = _diff_edit_rows(chosen, config, difficulty, verify, progress, executor)
    for row in rows:
        row["split"] = splits[row["slug"]]
    return BuildReport(config.name, rows, verification, sum(bool(p.expected_tests) for p in chosen))


def build_rows(config: PolyglotHRMConfig, problems: Sequence[Problem] | None = None,
               progress: bool = False, executor: Any = None) -> list[dict[str, Any]]:
    """The rows of :func:`build`."""
    return build(config, problems, progress, executor).rows
