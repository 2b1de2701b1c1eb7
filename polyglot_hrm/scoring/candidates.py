"""What a candidate stands for: the one rule that turns an answer into the files a run executes.

A *reference* says which problem a candidate answers: a dataset row (any mapping with ``files`` as
``{path, role, content}`` records plus ``language`` and ``slug``, or an ``id`` / ``problem_id``), a
:class:`Problem`, or ``{"problem_id": "python/bowling", "benchmark_root": DIR}``. Its *input files* are
the row's ``input_files`` of role ``solution`` (what the solver saw), else the problem's stub solution
files.

A *candidate* is a ``{path: content}`` mapping of files, Aider SEARCH/REPLACE edit text, or either
wrapped as ``{"files": {...}}`` / ``{"edit": text}``. Files are laid over the input files; an edit is
parsed and applied to them. An empty mapping, text without a block, or anything else is *malformed*;
an edit whose SEARCH text is missing, ambiguous or names an unknown file is *non-applying*. Neither is
ever run: each is an :class:`EditFailure` that scoring reports as an ``error`` with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from ..benchmark.problem import Problem, ProblemFile, ProblemMetadata
from ..benchmark.reader import load_benchmark
from ..synthesis.edit_format import EditApplyError, EditFormatError, apply_blocks, parse_blocks
from ..synthesis.examples import row_files

__all__ = ["EditFailure", "input_files", "problem_from_reference", "resolve_candidate", "unwrap_candidate"]


@lru_cache(maxsize=8)
def _benchmark(root: str) -> dict[str, Problem]:
    return {p.id: p for p in load_benchmark(root)}


def problem_from_reference(reference: Any) -> Problem:
    """The :class:`Problem` a reference names (see the module docstring for the forms)."""
    if isinstance(reference, Problem):
        return reference
    if not isinstance(reference, Mapping):
        raise TypeError(f"a reference must be a dataset row, a Problem or {{problem_id, benchmark_root}}, "
                        f"not {type(reference).__name__}")
    problem_id = reference.get("problem_id") or reference.get("id")
    if "files" in reference:
        language = reference.get("language") or str(problem_id).split("/")[0]
        slug = reference.get("slug") or str(problem_id).split("/", 1)[-1]
        files = tuple(ProblemFile(f["path"], f["role"], f["content"]) for f in reference["files"])
        return Problem(language=language, slug=slug, instructions=reference.get("instructions", ""), files=files,
                       metadata=ProblemMetadata(),
                       reference_removes=tuple(reference.get("reference_removes") or ()),
                       expected_tests=tuple(reference.get("expected_tests") or ()),
                       reference_seconds=reference.get("reference_seconds"))
    if problem_id and reference.get("benchmark_root"):
        problems = _benchmark(str(Path(reference["benchmark_root"]).expanduser().resolve()))
        if problem_id not in problems:
            raise KeyError(f"no problem {problem_id!r} under {reference['benchmark_root']}")
        return problems[problem_id]
    raise ValueError(f"reference {sorted(reference)} has neither `files` (a dataset row) nor "
                     f"`problem_id` + `benchmark_root`")


@dataclass(frozen=True)
class EditFailure:
    """A candidate that is not run: ``malformed`` (unusable form, empty, no block) or ``non_applying``."""

    kind: Literal["malformed", "non_applying"]
    reason: str


def input_files(reference: Any, problem: Problem) -> dict[str, str]:
    """The files the solver was shown and a candidate is resolved against (module docstring)."""
    if isinstance(reference, Mapping) and reference.get("input_files"):
        return row_files(reference["input_files"], "solution")
    return {f.path: f.content for f in problem.files_with_role("solution")}


def unwrap_candidate(candidate: Any) -> Any:
    """``{"files": m}`` -> ``m``, ``{"edit": text}`` -> ``text``; anything else as it is."""
    if isinstance(candidate, Mapping) and len(candidate) == 1:
        if set(candidate) == {"edit"} and isinstance(candidate["edit"], str):
            return candidate["edit"]
        if set(candidate) == {"files"} and isinstance(candidate["files"], Mapping):
            return dict(candidate["files"])
    return candidate


def resolve_candidate(reference: Any, problem: Problem, candidate: Any) -> dict[str, str] | EditFailure:
    """The files a candidate stands for (its input files, changed by it), or why it is not run."""
    candidate = unwrap_candidate(candidate)
    inputs = input_files(reference, problem)
    if isinstance(candidate, str):
        try:
            blocks = parse_blocks(candidate, valid_paths=list(inputs))
        except EditFormatError as err:
            return EditFailure("malformed", f"malformed edit: {err}")
        if not blocks:
            return EditFailure("malformed", "malformed edit: no SEARCH/REPLACE block found in the candidate text")
        try:
            return apply_blocks(inputs, blocks)
        except EditApplyError as err:
            return EditFailure("non_applying", f"edit does not apply ({err.reason}): {err}")
    if isinstance(candidate, Mapping) and all(isinstance(k, str) and isinstance(v, str) for k, v in candidate.items()):
        if not candidate:
            return EditFailure("malformed", "malformed answer: no files in the candidate")
        return {**inputs, **candidate}
    return EditFailure("malformed", f"a candidate must be a {{path: content}} mapping of strings, edit-block text, "
                                    f"or {{\"edit\": text}}; got {type(candidate).__name__}")
