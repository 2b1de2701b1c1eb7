"""Records for one exercise in one language, and their JSON form."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Literal, get_args

from ..languages.base import exercise_tree
from ..outputs import atomic_write_text

__all__ = ["Role", "ROLES", "ProblemFile", "ProblemMetadata", "Problem", "save_problems", "load_problems_json"]

Role = Literal["solution", "reference", "test", "editor", "support"]
ROLES: tuple[str, ...] = get_args(Role)


@dataclass(frozen=True)
class ProblemFile:
    """One file of an exercise. ``path`` is relative to the exercise root, POSIX style.

    For ``reference`` files the path is where the file goes in a workspace (the solution
    path it replaces or, for extra helper classes, the path it is added at), not where the
    benchmark keeps it under ``.meta/``.
    """

    path: str
    role: Role
    content: str

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"ProblemFile {self.path!r}: role {self.role!r} is not one of {ROLES}")


@dataclass(frozen=True)
class ProblemMetadata:
    """What the exercise says about itself, plus what we compute from it.

    ``complexity`` is a score in [0, 1]; see :func:`polyglot_hrm.problems.complexity.complexity_score`.
    ``difficulty`` is Exercism's 1-10 rating where the layout carries it (a track's
    ``config.json``); the polyglot benchmark does not, so it is ``None`` there.
    ``added`` is the day (``YYYY-MM-DD``, UTC) the exercise entered its track, from the track checkout's git
    history (:mod:`polyglot_hrm.problems.dates`); ``None`` where there is none (the polyglot benchmark).
    """

    blurb: str = ""
    source: str | None = None
    source_url: str | None = None
    authors: tuple[str, ...] = ()
    test_case_count: int | None = None
    difficulty: int | None = None
    complexity: float = 0.0
    added: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ProblemMetadata":
        data = dict(data)
        data["authors"] = tuple(data.get("authors") or ())
        return cls(**data)


@dataclass(frozen=True)
class Problem:
    """One exercise in one language, with every file it needs to be solved and tested."""

    language: str
    slug: str
    instructions: str
    files: tuple[ProblemFile, ...]
    metadata: ProblemMetadata = field(default_factory=ProblemMetadata)
    # Solution paths that must disappear when the reference is in place (a C++ exercise whose
    # reference is header-only: its CMakeLists.txt compiles the .cpp stub if it exists).
    reference_removes: tuple[str, ...] = ()
    # The test names a passing run reports (recorded from the reference's run; see
    # polyglot_hrm.execution.expected). Empty: not known here, the runner looks them up.
    expected_tests: tuple[str, ...] = ()
    # Seconds the reference took to build and test where it was recorded (a dataset row carries them; the
    # runner prefers this machine's own record): they calibrate the per-problem timeout. None: not known.
    reference_seconds: float | None = None
    # Label of the tree the problem was read from when the data has several (``exercism/python``,
    # ``polyglot-benchmark``; see polyglot_hrm.dataset.sources); "" when not recorded.
    source: str = ""

    @property
    def id(self) -> str:
        return f"{self.language}/{self.slug}"

    def files_with_role(self, *roles: Role) -> list[ProblemFile]:
        return [f for f in self.files if f.role in roles]

    def paths(self, *roles: Role) -> list[str]:
        return [f.path for f in self.files_with_role(*roles)]

    def workspace_files(self, mode: Literal["stub", "reference"] = "stub") -> dict[str, str]:
        """The files of a ready-to-test exercise directory: stub or reference in place
        (:func:`polyglot_hrm.languages.base.exercise_tree`, the layout every language's runs start from)."""
        return exercise_tree(self.files, self.reference_removes, mode)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data = {"id": self.id, **data}
        data["metadata"]["authors"] = list(self.metadata.authors)
        data["files"] = [asdict(f) for f in self.files]
        data["reference_removes"] = list(self.reference_removes)
        data["expected_tests"] = list(self.expected_tests)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Problem":
        problem = cls(
            language=data["language"],
            slug=data["slug"],
            instructions=data["instructions"],
            files=tuple(ProblemFile(**f) for f in data["files"]),
            metadata=ProblemMetadata.from_dict(data.get("metadata") or {}),
            reference_removes=tuple(data.get("reference_removes") or ()),
            expected_tests=tuple(data.get("expected_tests") or ()),
            reference_seconds=data.get("reference_seconds"),
            source=data.get("source") or "",
        )
        if "id" in data and data["id"] != problem.id:
            raise ValueError(f"problem id {data['id']!r} does not match language/slug {problem.id!r}")
        return problem


def save_problems(problems: Iterable[Problem], path: str | Path) -> int:
    """Write problems as a JSON list; returns how many were written."""
    rows = [p.to_dict() for p in problems]
    atomic_write_text(path, json.dumps(rows, indent=1, ensure_ascii=False))
    return len(rows)


def load_problems_json(path: str | Path) -> list[Problem]:
    """Read a file written by :func:`save_problems` (or ``polyglot-hrm extract``)."""
    path = Path(path)
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such problems file; create one with `polyglot-hrm extract`") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err}); re-create it with `polyglot-hrm extract`") from None
    if not isinstance(rows, list):
        raise ValueError(f"{path}: expected a JSON list of problems, got {type(rows).__name__}")
    problems = []
    for i, row in enumerate(rows):
        where = f"{path}: problem [{i}]" + (f" ({row['id']})" if isinstance(row, dict) and row.get("id") else "")
        problem_error = _problem_error(row)
        if problem_error:
            raise ValueError(f"{where}: {problem_error}; re-create the file with `polyglot-hrm extract`")
        try:
            problems.append(Problem.from_dict(row))
        except (TypeError, ValueError) as err:
            raise ValueError(f"{where}: {err}; re-create the file with `polyglot-hrm extract`") from None
    return problems


#: What a problem record needs (the rest has defaults), and each file record.
_PROBLEM_FIELDS = {"language": str, "slug": str, "instructions": str, "files": list}
_FILE_FIELDS = {"path": str, "role": str, "content": str}


def _problem_error(row: Any) -> str | None:
    """Why ``row`` is not a problem record as :meth:`Problem.to_dict` writes it, or None."""
    if not isinstance(row, dict):
        return f"is {_a(type(row).__name__)} ({json.dumps(row)[:40]}), not a problem object"
    for name, kind in _PROBLEM_FIELDS.items():
        if name not in row:
            return f"has no `{name}`"
        if not isinstance(row[name], kind):
            return f"`{name}` is {_a(type(row[name]).__name__)}, not {_a(kind.__name__)}"
    for j, record in enumerate(row["files"]):
        if not isinstance(record, dict):
            return f"files[{j}] is {_a(type(record).__name__)}, not a {{path, role, content}} object"
        for name, kind in _FILE_FIELDS.items():
            if not isinstance(record.get(name), kind):
                return f"files[{j}].{name} is {'missing' if name not in record else type(record[name]).__name__}, " \
                       f"expected text"
    if not isinstance(row.get("metadata") or {}, dict):
        return f"`metadata` is {_a(type(row['metadata']).__name__)}, not an object"
    return None


def _a(name: str) -> str:
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"
