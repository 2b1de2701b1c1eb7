"""What gets evaluated: *cases* (dataset rows) and the candidates a solutions file gives for them.

A case is a dataset row (``id``, ``problem_id``, ``task``, ``language``, ``slug``, ``difficulty``,
``files``, ``input_files``, ``target_files``; ``source_language`` for transfer), so every source of
problems looks the same downstream: a benchmark tree becomes ``generation`` rows (one per problem,
id = problem id), a ``polyglot-hrm extract`` JSON file likewise, and an exported dataset or Hub
dataset gives its own rows.

Solutions file (JSON), keyed by case id (a row id such as ``diff_edit/python/bowling/bug_fix/0``)
or, where one case has that problem, by problem id (``python/bowling``)::

    {
      "python/bowling": [
        {"files": {"bowling.py": "class BowlingGame: ..."}},
        {"edit": "bowling.py\\n```\\n<<<<<<< SEARCH\\n...\\n=======\\n...\\n>>>>>>> REPLACE\\n```\\n"}
      ]
    }

Each candidate is ``{"files": {path: content}}`` (the files replace or add files of the stub) or
``{"edit": text}`` (Aider SEARCH/REPLACE blocks applied to the case's input files). A bare
``{path: content}`` mapping or a bare edit string is accepted as well. A file may wrap the mapping
as ``{"solutions": {...}}``. Cases without an entry are left out of the evaluation (logged).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import datasets

from ..problems import (Problem, difficulty_buckets, filter_by_added, load_benchmark, load_problems_json,
                        skips_tests)
from ..dataset.export import check_datasets_cache
from ..edit_format import EditFormatError, parse_blocks
from ..scoring import CandidateError, check_candidate, unwrap_candidate
from ..settings import RootArg, resolve_benchmark_root
from ..synthesis.examples import generation_row, row_files

__all__ = ["Candidate", "SolutionsError", "cases_from_dataset", "cases_from_problems", "load_cases",
           "load_solutions", "match_solutions", "normalize_candidate", "reference_files", "solutions_from_problems"]

logger = logging.getLogger(__name__)

# A candidate as score_candidates takes it: files, or edit text.
Candidate = Any


class SolutionsError(ValueError):
    """A solutions file that does not follow the documented schema."""


def cases_from_problems(problems: Sequence[Problem]) -> list[dict[str, Any]]:
    """One ``generation`` row per problem, with the dataset's difficulty bucket; row id = problem id."""

    difficulty = difficulty_buckets(problems)
    rows = []
    for p in problems:
        row = generation_row(p, difficulty[p.id])
        row["id"] = p.id  # what users write in a solutions file
        rows.append(row)
    return rows


def cases_from_dataset(source: str | Path, config: str, split: str) -> list[dict[str, Any]]:
    """Rows of an exported dataset folder or Hub repo (``datasets.load_dataset(source, config)[split]``)."""
    check_datasets_cache()
    try:
        data = datasets.load_dataset(str(source), config, split=split)
    except ValueError as err:
        raise ValueError(f"dataset={source} config={config} split={split}: {err}") from err
    return [dict(row) for row in data]


def load_cases(benchmark_root: RootArg = None, problems_json: str | Path | None = None,
               dataset: str | Path | None = None, config: str = "generation", split: str = "test",
               languages: Sequence[str] | None = None, limit: int | None = None,
               added_after: str | None = None, left_out: list[str] | None = None) -> list[dict[str, Any]]:
    """Cases from exactly one source (benchmark tree, problems JSON, dataset), filtered by language and by the day
    their exercise entered its track (``added_after``, ``YYYY-MM-DD``: strictly after; a case with no known date
    is left out, counted in a warning; :mod:`polyglot_hrm.problems.dates`);
    ``limit``: at most this many per language (the first ones, in a stable order); ``left_out``: a list the ids
    of a tree's exercises without tests (of the languages asked) are appended to, for the record. With neither
    ``problems_json`` nor ``dataset``, the tree is ``benchmark_root``, else ``$POLYGLOT_BENCHMARK_ROOT``, else the
    built-in mini-benchmark (:func:`polyglot_hrm.settings.resolve_benchmark_root`)."""
    given = [name for name, v in (("benchmark_root", benchmark_root), ("problems_json", problems_json),
                                  ("dataset", dataset)) if v is not None]
    if len(given) > 1:
        raise ValueError(f"Can't provide both `{given[0]}` and `{given[1]}`. Choose one.")
    if dataset is not None:
        rows = cases_from_dataset(dataset, config, split)
    else:
        if problems_json is not None:
            problems = load_problems_json(problems_json)
        else:
            root = resolve_benchmark_root(benchmark_root, name="benchmark_root")
            every = load_benchmark(root.path)
            problems = [p for p in every if not _skips_tests(root.path, p)]
            if left_out is not None:
                kept = {p.id for p in problems}
                left_out.extend(p.id for p in every if p.id not in kept and (not languages or p.language in languages))
        rows = cases_from_problems(problems)
    if languages:
        rows = [r for r in rows if r["language"] in set(languages)]
    rows = filter_by_added(rows, lambda r: r.get("added"), added_after, what="case")
    if limit is not None:
        seen: dict[str, int] = {}
        kept = []
        for r in rows:
            seen[r["language"]] = seen.get(r["language"], 0) + 1
            if seen[r["language"]] <= limit:
                kept.append(r)
        rows = kept
    if not rows:
        raise ValueError("no problems selected: check the languages and the problem source")
    return rows


def _skips_tests(root: Path, problem: Problem) -> bool:
    """Exercises marked ``.meta/.skip_tests`` have no tests to judge a candidate by (go/counter)."""
    skip = skips_tests(root, problem)
    if skip:
        logger.warning("left out %s: marked .meta/.skip_tests (no tests to run)", problem.id)
    return skip


def normalize_candidate(raw: Any, where: str) -> Candidate:
    """A candidate in any documented form -> files mapping or edit text; a form the schema does not have is a
    :class:`SolutionsError` naming where it is and the field (:func:`polyglot_hrm.scoring.check_candidate`)."""
    try:
        check_candidate(raw, where)
    except CandidateError as err:
        raise SolutionsError(str(err)) from None
    candidate = unwrap_candidate(raw)
    return dict(candidate) if isinstance(candidate, Mapping) else candidate


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's pairs as a dict, refusing a key given twice (json would keep the last one silently)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise SolutionsError(f"{key!r} appears twice in one JSON object, and only the last would count; for a "
                                 f"problem id, merge its candidates into one list")
        out[key] = value
    return out


def _has_block(text: str) -> bool:
    try:
        return bool(parse_blocks(text))
    except EditFormatError:
        return True  # an edit attempt, if a broken one: scored as malformed


def load_solutions(path_or_data: str | Path | Mapping[str, Any]) -> dict[str, list[Candidate]]:
    """``{case or problem id: [candidate, ...]}`` from a solutions file (schema: module docstring). Every
    candidate's form is checked here, before anything runs: a :class:`SolutionsError` names the problem id, the
    candidate and the field (a duplicated id too)."""
    if isinstance(path_or_data, Mapping):
        data: Any = path_or_data
        name = "solutions"
    else:
        name = str(path_or_data)
        try:
            data = json.loads(Path(path_or_data).read_text(encoding="utf-8"), object_pairs_hook=_unique_keys)
        except FileNotFoundError:
            raise FileNotFoundError(f"{name}: no such solutions file (`polyglot-hrm evaluate --write-solutions FILE` "
                                    f"writes a template)") from None
        except json.JSONDecodeError as err:
            raise SolutionsError(f"{name}: not JSON ({err})") from err
        except SolutionsError as err:
            raise SolutionsError(f"{name}: {err}") from None
    if isinstance(data, Mapping) and set(data) == {"solutions"}:
        data = data["solutions"]
    if not isinstance(data, Mapping):
        raise SolutionsError(f"{name}: expected an object {{problem id: [candidates]}}, got {type(data).__name__}")
    out: dict[str, list[Candidate]] = {}
    for key, raw in data.items():
        if isinstance(raw, str) and not _has_block(raw):
            raise SolutionsError(f"{name}: {key} is a bare string without a SEARCH/REPLACE block, so it is no "
                                 f"candidate; give a list: [{{\"files\": {{path: content}}}}] for whole files or "
                                 f"[{{\"edit\": \"<SEARCH/REPLACE blocks>\"}}]")
        if not isinstance(raw, list):
            raw = [raw]  # one candidate given without its list
        out[str(key)] = [normalize_candidate(c, f"{name}: {key}[{i}]") for i, c in enumerate(raw)]
    return out


def match_solutions(cases: Sequence[Mapping[str, Any]], solutions: Mapping[str, list[Candidate]]
                    ) -> tuple[list[Mapping[str, Any]], list[list[Candidate]]]:
    """The cases that have candidates, with them: by case id, else by problem id when only one case has it."""
    per_problem: dict[str, int] = {}
    for c in cases:
        per_problem[c["problem_id"]] = per_problem.get(c["problem_id"], 0) + 1
    kept, candidates = [], []
    for case in cases:
        found = solutions.get(case["id"])
        if found is None and per_problem[case["problem_id"]] == 1:
            found = solutions.get(case["problem_id"])
        if found is not None:
            kept.append(case)
            candidates.append(found)
    empty = [case["id"] for case, found in zip(kept, candidates) if not found]
    if empty:
        logger.warning("%d problem(s) have an empty candidate list in the solutions file; they are reported on a "
                       "`no candidates` row, not scored: %s", len(empty), ", ".join(empty[:5]) + (" ..." if len(empty) > 5 else ""))
    missing = len(cases) - len(kept)
    if missing:
        logger.warning("%d of %d selected problems have no candidates in the solutions file and are left out",
                       missing, len(cases))
    known = {c["id"] for c in cases} | {c["problem_id"] for c in cases}
    unknown = [k for k in solutions if k not in known]
    if unknown:
        logger.warning("%d solutions-file keys match no selected problem, e.g. %s", len(unknown), unknown[:3])
    if not kept:
        raise SolutionsError("no selected problem has candidates in the solutions file: keys are problem ids "
                             "(LANGUAGE/SLUG) or dataset row ids")
    return kept, candidates


def reference_files(case: Mapping[str, Any]) -> dict[str, str]:
    """The editable files with the reference in place: input solution files overlaid with the targets."""
    return {**row_files(case.get("input_files"), "solution"), **row_files(case.get("target_files"))}


def solutions_from_problems(cases: Sequence[Mapping[str, Any]], kind: str = "reference") -> dict[str, list[dict]]:
    """A solutions file of each case's reference (``kind="reference"``: the target edit of a diff_edit row,
    else the target files) or its untouched input (``"stub"``): the evaluator's fidelity check, and a
    template of the schema."""
    if kind not in ("reference", "stub"):
        raise ValueError(f"kind must be 'reference' or 'stub', not {kind!r}")
    out = {}
    for case in cases:
        if kind == "reference" and case.get("task") == "diff_edit" and case.get("target_edit"):
            out[case["id"]] = [{"edit": case["target_edit"]}]  # what a diff_edit model is asked to write
            continue
        files = row_files(case.get("target_files")) if kind == "reference" else row_files(case.get("input_files"), "solution")
        out[case["id"]] = [{"files": files}]
    return out
