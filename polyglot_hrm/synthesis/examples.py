"""Training examples from problems: ``generation``, ``transfer`` and ``diff_edit`` rows.

Every row is a plain dict that carries *all* files of its target problem with their roles (``files``),
so the ``polyglot_exec`` metric can execute any row without the benchmark tree, plus what the solver
sees (``input_files``) and what it should produce (``target_files``; for ``diff_edit`` also
``target_edit``, Aider SEARCH/REPLACE text). Field names follow
:mod:`polyglot_hrm.modelio.prompt_format`, which renders rows into prompts.

**Target state.** A problem's *solved* editable files are its solution files with the reference in
place; a solution file the reference makes obsolete (``Problem.reference_removes``, a C++ exercise
whose reference is header-only) is *emptied*, since edit blocks cannot delete files and an empty
``.cpp`` builds to nothing. ``target_files`` lists the files that differ from the stub.

**Quality score** of a ``diff_edit`` example (in [0, 1], see :func:`quality_score`)::

    0                                           if the blocks are not well formed or do not apply
    0.5 × unique_anchors + 0.5 × line_minimality otherwise

``well_formed``, ``applies`` and ``unique_anchors`` come from :func:`edit_stats`. ``line_minimality``
is the number of characters of the changed lines themselves (the least any line-based block must
carry: old lines plus new lines of each differing hunk, or for a pure insertion the new lines plus
one anchor line) over the characters in all SEARCH and REPLACE texts, clipped to [0, 1]: 1.0 when
the blocks carry no context beyond what uniqueness needs. (``edit_stats``' own ``minimality``,
character-level, is kept in the row too; it scores a one-character fix in a 60-character line at
about 0.02 however tight the block, so it does not separate good blocks from bad ones.)
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from ..problems.index import CrossLanguageIndex
from ..problems.problem import Problem
from ..edit_format import EditBlock, render_blocks
from ..languages import get_language
from ..seeded import seeded_rank
from .concepts import language_challenges, shared_concepts
from .edit_synthesis import edit_stats, synthesize_blocks
from .functions import find_functions, remove_function
from .mutation import Mutant, enumerate_mutants, select_mutants
from .refactor import Refactoring, enumerate_refactorings, select_refactorings

__all__ = ["DiffCandidate", "EDIT_TYPES", "diff_candidates", "diff_edit_row", "file_records", "generation_row",
           "line_minimality", "mutant_pool", "quality_score", "refactor_candidate", "refactor_pool", "row_files",
           "solved_files", "transfer_pairs", "transfer_row"]

EDIT_TYPES = ("implement", "bug_fix", "feature", "refactor")


def file_records(problem: Problem) -> list[dict[str, str]]:
    """Every file of the problem as ``{path, role, content}``, in the problem's order."""
    return [{"path": f.path, "role": f.role, "content": f.content} for f in problem.files]


def stub_files(problem: Problem) -> dict[str, str]:
    return {f.path: f.content for f in problem.files_with_role("solution")}


def solved_files(problem: Problem) -> dict[str, str]:
    """The editable files with the reference in place (see the module docstring)."""
    files = stub_files(problem)
    for path in problem.reference_removes:
        files[path] = ""
    files.update({f.path: f.content for f in problem.files_with_role("reference")})
    return files


def row_files(records: Sequence[Mapping[str, str]] | None, role: str | None = None) -> dict[str, str]:
    """``{path: content}`` of a row's file records (``input_files``, ``target_files``, ``files``), those of
    ``role`` only when given (a record without a role counts as ``solution``)."""
    return {f["path"]: f["content"] for f in records or [] if role is None or f.get("role", "solution") == role}


def _records(files: Mapping[str, str], role: str) -> list[dict[str, str]]:
    return [{"path": p, "role": role, "content": c} for p, c in files.items()]


def _target(problem: Problem) -> dict[str, str]:
    stub = stub_files(problem)
    return {p: c for p, c in solved_files(problem).items() if stub.get(p) != c or p not in stub}


def _editor(problem: Problem) -> list[dict[str, str]]:
    return [{"path": f.path, "role": "editor", "content": f.content} for f in problem.files_with_role("editor")]


def _metadata(problem: Problem) -> dict[str, Any]:
    m = problem.metadata
    return {"complexity": m.complexity, "test_case_count": m.test_case_count, "blurb": m.blurb,
            "source": m.source or "", "source_url": m.source_url or ""}


def _base(task: str, row_id: str, problem: Problem, instructions: str, difficulty: str) -> dict[str, Any]:
    return {
        "id": row_id,
        "problem_id": problem.id,
        "task": task,
        "language": problem.language,
        "slug": problem.slug,
        "instructions": instructions,
        "difficulty": difficulty,
        "files": file_records(problem),
        "reference_removes": list(problem.reference_removes),
        "expected_tests": list(problem.expected_tests),
        "reference_seconds": problem.reference_seconds,
        "metadata": _metadata(problem),
        "source": problem.source,
        "added": problem.metadata.added,
    }


# ---------------------------------------------------------------------------------------------
# generation and transfer


def generation_row(problem: Problem, difficulty: str = "") -> dict[str, Any]:
    """Instructions + stub (and editor files) -> the reference files."""
    row = _base("generation", f"generation/{problem.id}", problem, problem.instructions, difficulty)
    row["input_files"] = _records(stub_files(problem), "solution") + _editor(problem)
    row["target_files"] = _records(_target(problem), "solution")
    return row


def transfer_pairs(problems: Sequence[Problem], seed: int, max_per_pair: int | None) -> list[tuple[Problem, Problem]]:
    """(source, target) problem pairs: for every slug in two or more languages, every directed language
    pair; at most ``max_per_pair`` slugs per (source, target) language pair, chosen by a seeded order."""
    by_id = {p.id: p for p in problems}
    per_pair: dict[tuple[str, str], list[tuple[Problem, Problem]]] = {}
    for slug, a, b in CrossLanguageIndex.from_problems(problems).directed_pairs():
        per_pair.setdefault((a, b), []).append((by_id[f"{a}/{slug}"], by_id[f"{b}/{slug}"]))
    out: list[tuple[Problem, Problem]] = []
    for (a, b), pairs in sorted(per_pair.items()):
        pairs.sort(key=lambda st: seeded_rank(seed, "transfer", a, b, st[0].slug))
        out.extend(pairs if max_per_pair is None else pairs[:max_per_pair])
    return out


def transfer_row(source: Problem, target: Problem, difficulty: str = "") -> dict[str, Any]:
    """Source-language reference + target stub and instructions -> the target reference, with the concepts both
    references show and the constructs the target needs beyond the source (:mod:`.concepts`)."""
    instructions = (f"{target.instructions.rstrip()}\n\nA working {source.language} solution of this exercise is "
                    f"given. Write the {target.language} solution: keep its approach, in idiomatic {target.language}.\n")
    row = _base("transfer", f"transfer/{source.language}-to-{target.language}/{target.slug}", target, instructions,
                difficulty)
    row["source_language"] = source.language
    row["source_problem_id"] = source.id
    row["input_files"] = (_records(_target(source), "source") + _records(stub_files(target), "solution")
                          + _editor(target))
    row["target_files"] = _records(_target(target), "solution")
    # What the two references share and what the target needs beyond the source (synthesis.concepts).
    source_files, target_files = solved_files(source), solved_files(target)
    row["shared_concepts"] = shared_concepts(source_files, source.language, target_files, target.language)
    row["language_challenges"] = language_challenges(source_files, source.language, target_files, target.language)
    return row


# ---------------------------------------------------------------------------------------------
# diff_edit


@dataclass
class DiffCandidate:
    """One possible ``diff_edit`` example of a problem: editable files before and after."""

    problem: Problem
    edit_type: str
    before: dict[str, str]
    after: dict[str, str]
    instructions: str
    detail: dict[str, Any] = field(default_factory=dict)  # operator, target, path, line, description
    test_feedback: str = ""
    verification: str = "not_run"  # the input's test status when verified by execution


def _changed_line_chars(before: Mapping[str, str], after: Mapping[str, str]) -> int:
    total = 0
    for path in set(before) | set(after):
        old = before.get(path, "").splitlines(keepends=True)
        new = after.get(path, "").splitlines(keepends=True)
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
            if tag == "equal":
                continue
            total += sum(map(len, old[i1:i2])) + sum(map(len, new[j1:j2]))
            if tag == "insert" and old:  # an insertion into a non-empty file needs one anchor line, twice
                anchor = old[i1 - 1] if i1 > 0 else old[0]
                total += 2 * len(anchor)
    return total


def line_minimality(before: Mapping[str, str], after: Mapping[str, str], blocks: Sequence[EditBlock]) -> float:
    """Characters of the changed lines (the least a line-based edit carries) over characters in the blocks."""
    edited = sum(len(b.search) + len(b.replace) for b in blocks)
    if not edited:
        return 1.0
    return min(1.0, _changed_line_chars(before, after) / edited)


def quality_score(stats: Mapping[str, Any], minimality: float) -> float:
    """The documented score (module docstring): 0 unless well formed and applying."""
    if not (stats["well_formed"] and stats["applies"]):
        return 0.0
    return round(0.5 * float(stats["unique_anchors"]) + 0.5 * minimality, 4)


def mutant_pool(problem: Problem, n: int, seed: int) -> list[Mutant]:
    """Up to ``n`` seeded, operator-balanced mutants of the problem's solved files."""
    files = {p: c for p, c in solved_files(problem).items() if c}
    return select_mutants(enumerate_mutants(files, problem.language), n, seed, key=problem.id)


def _feature_candidates(problem: Problem, seed: int) -> list[DiffCandidate]:
    solved = solved_files(problem)
    stub = stub_files(problem)
    out = []
    for path in sorted(_target(problem)):
        text = solved[path]
        if not text:
            continue
        for fn in find_functions(text, problem.language):
            if fn.end - fn.header_line < 2:
                continue
            before = dict(solved)
            before[path] = remove_function(text, fn)
            if before == {**stub, **{p: before[p] for p in before if p not in stub}} or not before[path].strip():
                continue
            methods_only = get_language(problem.language).methods_only
            kind = "method" if methods_only or text.splitlines()[fn.header_line][:1].isspace() else "function"
            instructions = (f"{problem.instructions.rstrip()}\n\nThe {kind} `{fn.name}` is missing from `{path}`. "
                            f"Add it back so that the tests pass.\n")
            out.append(DiffCandidate(problem, "feature", before, dict(solved), instructions,
                                     {"operator": "remove_function", "target": fn.name, "path": path,
                                      "line": fn.header_line + 1, "description": f"{kind} `{fn.name}` removed"}))
    out.sort(key=lambda c: seeded_rank(seed, "feature", problem.id, c.detail["path"], c.detail["target"]))
    return out


def bug_fix_candidate(problem: Problem, mutant: Mutant) -> DiffCandidate:
    solved = solved_files(problem)
    before = dict(solved)
    before[mutant.path] = mutant.mutated
    instructions = (f"{problem.instructions.rstrip()}\n\nThe solution below has a bug: some of its tests fail. "
                    f"Find the bug and fix it with the smallest edit.\n")
    return DiffCandidate(problem, "bug_fix", before, solved, instructions,
                         {"operator": mutant.operator, "target": "", "path": mutant.path, "line": mutant.line,
                          "description": mutant.description})


def refactor_pool(problem: Problem, n: int, seed: int) -> list[Refactoring]:
    """Up to ``n`` seeded, kind-balanced refactorings of the files the reference writes (see
    :mod:`.refactor`)."""
    files = {p: c for p, c in _target(problem).items() if c}
    return select_refactorings(enumerate_refactorings(files, problem.language), n, seed, key=problem.id)


def refactor_candidate(problem: Problem, refactoring: Refactoring) -> DiffCandidate:
    """The reference -> the reference with ``refactoring`` applied, asked for by naming the refactoring."""
    solved = solved_files(problem)
    after = dict(solved)
    after[refactoring.path] = refactoring.refactored
    instructions = (f"{problem.instructions.rstrip()}\n\nThe solution below passes its tests. Refactor it without "
                    f"changing its behaviour: {refactoring.description}.\n")
    return DiffCandidate(problem, "refactor", solved, after, instructions,
                         {"operator": refactoring.kind, "target": refactoring.target, "path": refactoring.path,
                          "line": refactoring.line, "description": refactoring.description})


def diff_candidates(problem: Problem, seed: int, max_features: int) -> list[DiffCandidate]:
    """The ``implement`` candidate and up to ``max_features`` ``feature`` candidates (bug fixes come from
    :func:`mutant_pool`, since they may need verifying first)."""
    implement = DiffCandidate(problem, "implement", stub_files(problem), solved_files(problem),
                              problem.instructions, {"operator": "", "target": "", "path": "", "line": 0,
                                                     "description": "stub to reference"})
    return [implement] + _feature_candidates(problem, seed)[:max_features]


def diff_edit_row(candidate: DiffCandidate, index: int, difficulty: str = "") -> dict[str, Any]:
    """The row of one candidate: minimal blocks from before to after, their stats and quality score."""
    problem = candidate.problem
    blocks = synthesize_blocks(candidate.before, candidate.after, on_delete="empty")
    stats = edit_stats(candidate.before, candidate.after, blocks)
    minimality = line_minimality(candidate.before, candidate.after, blocks)
    row = _base("diff_edit", f"diff_edit/{problem.id}/{candidate.edit_type}/{index}", problem,
                candidate.instructions, difficulty)
    row["edit_type"] = candidate.edit_type
    row["input_files"] = _records(candidate.before, "solution") + _editor(problem)
    row["target_files"] = _records({p: c for p, c in candidate.after.items() if candidate.before.get(p) != c},
                                   "solution")
    row["target_edit"] = render_blocks(blocks) if stats["well_formed"] else ""
    row["test_feedback"] = candidate.test_feedback
    row["verification"] = candidate.verification
    row["mutation"] = {k: candidate.detail.get(k, "" if k != "line" else 0)
                       for k in ("operator", "target", "path", "line", "description")}
    row["edit_stats"] = {**{k: stats[k] for k in ("n_blocks", "edited_chars", "changed_chars", "unique_anchors",
                                                  "applies", "well_formed")},
                         "minimality": round(float(stats["minimality"]), 4), "line_minimality": round(minimality, 4)}
    row["quality_score"] = quality_score(stats, minimality)
    return row
