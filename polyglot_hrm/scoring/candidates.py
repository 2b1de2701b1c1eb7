"""What a candidate stands for: the one rule that turns an answer into the files a run executes.

A *reference* says which problem a candidate answers: a dataset row (any mapping with ``files`` as
``{path, role, content}`` records plus ``language`` and ``slug``, or an ``id`` / ``problem_id``), a
:class:`Problem`, or ``{"problem_id": "python/bowling", "benchmark_root": DIR}`` (``benchmark_root`` left out:
the tree the one rule picks, :func:`polyglot_hrm.settings.resolve_benchmark_root`). Its *input files* are
the row's ``input_files`` of role ``solution`` (what the solver saw), else the problem's stub solution
files.

A *candidate* is a ``{path: content}`` mapping of files, Aider SEARCH/REPLACE edit text, or either
wrapped as ``{"files": {...}}`` / ``{"edit": text}``. Files are laid over the input files; an edit is
parsed and applied to them. An empty mapping or text without a block is *malformed*; an edit whose SEARCH
text is missing, ambiguous or names an unknown file is *non-applying*. Neither is ever run: each is an
:class:`EditFailure` that scoring reports as an ``error`` with the reason. A candidate of a form the schema
does not have (file content ``42`` or ``NaN``, an unknown key such as ``"filez"``, both ``files`` and
``edit``) is not an answer at all but a mistake in the input: :func:`check_candidate` refuses it, naming
where it is, before anything runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from ..problems.problem import Problem, ProblemFile, ProblemMetadata
from ..problems.reader import load_benchmark
from ..edit_format import EditApplyError, EditFormatError, apply_blocks, parse_blocks
from ..settings import BENCHMARK_ROOT_ENV, BenchmarkRoot, resolve_benchmark_root
from ..synthesis.examples import row_files

__all__ = ["CandidateError", "EditFailure", "check_candidate", "input_files", "problem_from_reference",
           "resolve_candidate", "unwrap_candidate"]

#: The forms a candidate takes, for messages.
CANDIDATE_FORMS = ('{"files": {path: content}}, {"edit": "<SEARCH/REPLACE blocks>"}, a bare {path: content} '
                   'mapping or bare edit text')


class CandidateError(ValueError):
    """A candidate of a form the schema does not have (module docstring); names where it is."""


@lru_cache(maxsize=8)
def _benchmark(root: BenchmarkRoot) -> dict[str, Problem]:
    """The problems of a tree, read once per process; a tree the rule chose (none given) is said once, here."""
    if root.origin != "given":
        root.announce()
    return {p.id: p for p in load_benchmark(root.path)}


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
    if problem_id:
        root = resolve_benchmark_root(reference.get("benchmark_root"), name="benchmark_root", announce=False)
        problems = _benchmark(root)
        if problem_id not in problems:
            raise KeyError(f"no problem {problem_id!r} under {root.path} ({root.source})")
        return problems[problem_id]
    raise ValueError(f"reference {sorted(reference)} has neither `files` (a dataset row) nor `problem_id` (with "
                     f"`benchmark_root`, or the tree ${BENCHMARK_ROOT_ENV} names)")


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


def _kind(value: Any) -> str:
    if isinstance(value, float) and value != value:
        return "NaN"
    name = type(value).__name__
    article = "an" if name[0] in "aeiou" else "a"
    return f"{article} {name} ({value!r})" if isinstance(value, (int, float)) else f"{article} {name}"


def _check_files(files: Mapping, where: str) -> None:
    for path, content in files.items():
        if not isinstance(path, str):
            raise CandidateError(f"{where}: file path {path!r} is {_kind(path)}; paths are text, relative to the exercise folder")
        if not isinstance(content, str):
            raise CandidateError(f"{where}[{path!r}] is {_kind(content)}, not text: file content is the whole file "
                                 f"as a string")


def check_candidate(candidate: Any, where: str) -> None:
    """Refuse a candidate whose form the schema does not have (module docstring), naming ``where`` (the problem
    id and the candidate's index) and the field: raised before anything runs."""
    if isinstance(candidate, str):
        return
    if not isinstance(candidate, Mapping):
        raise CandidateError(f"{where} is {_kind(candidate)}; a candidate is {CANDIDATE_FORMS}")
    keys = set(candidate)
    if {"files", "edit"} <= keys:
        raise CandidateError(f"{where}: Can't provide both \"files\" and \"edit\" in one candidate. Choose one (a "
                             f"second candidate is a second item of the list).")
    if keys == {"edit"}:
        if not isinstance(candidate["edit"], str):
            raise CandidateError(f"{where}.edit is {_kind(candidate['edit'])}, not text: \"edit\" is SEARCH/REPLACE "
                                 f"blocks as a string")
        return
    if keys == {"files"} and not isinstance(candidate["files"], str):
        if not isinstance(candidate["files"], Mapping):
            raise CandidateError(f"{where}.files is {_kind(candidate['files'])}; \"files\" is a {{path: content}} "
                                 f"object")
        _check_files(candidate["files"], f"{where}.files")
        return
    odd = [k for k, v in candidate.items() if not isinstance(v, str)]
    if odd and not any("." in str(k) or "/" in str(k) for k in odd):  # no path: a misspelt field ("filez")
        key = odd[0]
        raise CandidateError(f"{where}: {key!r} holds {_kind(candidate[key])}, so it is neither a file (content is "
                             f"text) nor a field of a candidate; a candidate is {CANDIDATE_FORMS}")
    _check_files(candidate, where)


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
