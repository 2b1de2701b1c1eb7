"""The seed's records, ``CodeGenerationInput``, ``DiffEdit`` and ``TransferLearningExample``, as dataclasses
that round-trip with the dataset's rows.

One record type per configuration, with the row's columns as fields (``features_for(config)``, the same
names in the same order; a test checks they agree)::

    CodeGenerationInput       generation rows (and the base class: what every row has)
    DiffEdit                  diff_edit rows: + edit_type, target_edit, test_feedback, verification, ...
    TransferLearningExample   transfer rows:  + source_language, source_problem_id, shared_concepts,
                                                language_challenges

``Record.from_row(row).to_row() == row`` for every row the builder makes and every row ``load_dataset``
returns; :func:`record_from_row` picks the type from ``row["task"]``. Records are plain data: build them
from rows, or by hand with keyword arguments (every field has a default), and hand them to anything that
takes rows (a record's ``to_row()``), e.g. ``CodeGenerationInputProcessor``.

The seed's field names are read-only aliases of the row's:

=========================  =========================================================================
seed name                  row field
=========================  =========================================================================
``problem_description``    ``instructions``
``task_type``              ``task`` as a :class:`CodeGenerationTask` (``CodeGenerationTask.DIFF_EDIT``)
``programming_language``   ``language`` as a :data:`ProgrammingLanguage` (``ProgrammingLanguage.RUST``)
``test_cases``             the contents of the ``files`` whose role is ``test``
``DiffEdit.search_text``,  the first SEARCH/REPLACE block of ``target_edit`` (``blocks`` has them all)
``replace_text``
``DiffEdit.description``   ``mutation["description"]`` (what was changed to make the example)
``target_language``        ``language`` (the language written)
``transfer_instructions``  ``instructions``
=========================  =========================================================================

``shared_concepts`` are the concept tags found in both references and ``language_challenges`` the construct
tags the target's reference uses and the source's does not; both vocabularies, and what each tag means, are in
:mod:`polyglot_hrm.languages.concepts` (detection: :mod:`polyglot_hrm.synthesis.concepts`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Mapping

from ..edit_format import EditBlock, parse_blocks
from ..languages import LANGUAGES
from ..synthesis.examples import EDIT_TYPES, row_files
from .names import CodeGenerationTask, StrEnum, Task

__all__ = ["CodeGenerationInput", "CodeGenerationTask", "DiffEdit", "DiffEditType", "ProgrammingLanguage",
           "RECORD_TYPES", "TransferLearningExample", "record_from_row"]

#: The languages as an enum (``ProgrammingLanguage.PYTHON == "python"``), made from the language registry.
ProgrammingLanguage = StrEnum("ProgrammingLanguage", {name.upper(): name for name in LANGUAGES})
#: The ``diff_edit`` edit types as an enum (``DiffEditType.BUG_FIX == "bug_fix"``), made from ``EDIT_TYPES``.
DiffEditType = StrEnum("DiffEditType", {name.upper(): name for name in EDIT_TYPES})

FileRecord = dict[str, str]  # {"path", "role", "content"}


def _plain(value: Any) -> Any:
    """An enum member as its string value (rows hold plain strings)."""
    return value.value if isinstance(value, StrEnum) else value


@dataclass
class CodeGenerationInput:
    """A ``generation`` row: instructions + stub (``input_files``) -> the reference (``target_files``).

    Also the base of the other two records: the fields every row has. See the module docstring for the
    seed's names.
    """

    TASK: ClassVar[Task] = "generation"

    id: str = ""
    problem_id: str = ""
    task: str = "generation"
    language: str = ""
    slug: str = ""
    split: str = ""
    difficulty: str = ""
    instructions: str = ""
    input_files: list[FileRecord] = field(default_factory=list)
    target_files: list[FileRecord] = field(default_factory=list)
    files: list[FileRecord] = field(default_factory=list)
    reference_removes: list[str] = field(default_factory=list)
    expected_tests: list[str] = field(default_factory=list)
    reference_seconds: float | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    added: str | None = None  # the day the exercise entered its track (YYYY-MM-DD), where known

    def __post_init__(self) -> None:
        self.task = _plain(self.task)
        self.language = _plain(self.language)
        if self.task != self.TASK:
            raise ValueError(f"{type(self).__name__}.task={self.task!r}: this record holds {self.TASK!r} rows; "
                             f"record_from_row(row) picks the record type of a row from its task")
        if self.language and self.language not in LANGUAGES:
            raise ValueError(f"{type(self).__name__}.language={self.language!r}: unknown; choose from "
                             f"{', '.join(LANGUAGES)}")

    # ------------------------------------------------------------------ rows

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "CodeGenerationInput":
        """The record of a row (a dict from the builder or from ``load_dataset``). Columns the record does not
        know are an error (the record and the dataset's features must not drift apart); missing ones take
        the field's default."""
        task = _plain(row.get("task", cls.TASK))
        if task != cls.TASK:
            raise ValueError(f"{cls.__name__}.from_row: row['task']={task!r}, but this record holds {cls.TASK!r} rows; "
                             f"record_from_row(row) picks the record type of a row from its task")
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(row) - names)
        if unknown:
            raise ValueError(f"{cls.__name__}.from_row: unknown column(s) {unknown}; a {cls.TASK} row has "
                             f"{sorted(names)} (record_from_row picks the record type from row['task'])")
        return cls(**copy.deepcopy(dict(row)))

    def to_row(self) -> dict[str, Any]:
        """The row: every field, in the dataset's column order, as plain data (a deep copy)."""
        return {f.name: copy.deepcopy(getattr(self, f.name)) for f in fields(self)}

    # ------------------------------------------------------------------ the seed's names

    @property
    def problem_description(self) -> str:
        return self.instructions

    @property
    def task_type(self) -> CodeGenerationTask:
        return CodeGenerationTask(self.task)

    @property
    def programming_language(self) -> StrEnum:
        return ProgrammingLanguage(self.language)

    @property
    def test_cases(self) -> list[str]:
        """The contents of the exercise's test files."""
        return list(row_files(self.files, "test").values())

    def files_with_role(self, role: str) -> dict[str, str]:
        """``{path: content}`` of the exercise's files with ``role`` (solution, reference, test, editor, support)."""
        return row_files(self.files, role)


@dataclass
class DiffEdit(CodeGenerationInput):
    """A ``diff_edit`` row: ``input_files`` + ``instructions`` (+ ``test_feedback``) -> ``target_edit``, the
    Aider SEARCH/REPLACE text that turns ``input_files`` into ``target_files``."""

    TASK: ClassVar[Task] = "diff_edit"

    task: str = "diff_edit"
    edit_type: str = "implement"  # a DiffEditType value
    target_edit: str = ""
    test_feedback: str = ""
    verification: str = "not_run"
    mutation: dict[str, Any] = field(default_factory=lambda: {"operator": "", "target": "", "path": "", "line": 0,
                                                              "description": ""})
    edit_stats: dict[str, Any] = field(default_factory=dict)
    quality_score: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        self.edit_type = _plain(self.edit_type)

    @property
    def blocks(self) -> list[EditBlock]:
        """The SEARCH/REPLACE blocks of ``target_edit``."""
        return parse_blocks(self.target_edit) if self.target_edit.strip() else []

    @property
    def search_text(self) -> str:
        """SEARCH text of the first block ("" for none; see :attr:`blocks` for all)."""
        return self.blocks[0].search if self.blocks else ""

    @property
    def replace_text(self) -> str:
        """REPLACE text of the first block ("" for none; see :attr:`blocks` for all)."""
        return self.blocks[0].replace if self.blocks else ""

    @property
    def description(self) -> str:
        return str(self.mutation.get("description", ""))


@dataclass
class TransferLearningExample(CodeGenerationInput):
    """A ``transfer`` row: the source language's reference (``input_files`` with role ``source``) + the target's
    stub -> the target's reference, with ``shared_concepts`` and ``language_challenges`` (module docstring)."""

    TASK: ClassVar[Task] = "transfer"

    task: str = "transfer"
    source_language: str = ""
    source_problem_id: str = ""
    shared_concepts: list[str] = field(default_factory=list)
    language_challenges: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.source_language = _plain(self.source_language)

    @property
    def target_language(self) -> str:
        return self.language

    @property
    def transfer_instructions(self) -> str:
        return self.instructions

    @property
    def source_files(self) -> dict[str, str]:
        """``{path: content}`` of the source language's solution."""
        return row_files(self.input_files, "source")


RECORD_TYPES: dict[str, type[CodeGenerationInput]] = {
    "generation": CodeGenerationInput, "diff_edit": DiffEdit, "transfer": TransferLearningExample}


def record_from_row(row: Mapping[str, Any]) -> CodeGenerationInput:
    """The record of a row of any configuration, by ``row["task"]``."""
    task = row.get("task")
    if task not in RECORD_TYPES:
        raise ValueError(f"row['task']={task!r}: expected one of {sorted(RECORD_TYPES)}")
    return RECORD_TYPES[task].from_row(row)
