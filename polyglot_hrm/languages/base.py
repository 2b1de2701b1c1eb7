"""The shape every language module fills in.

A language module says how an exercise of its track is laid out (which example file replaces
which stub, which files are not worth carrying) and, for the runners, how its tests are run
and read. Adding a language is one new module that subclasses :class:`Language` and calls
:func:`polyglot_hrm.languages.register`.
"""

from __future__ import annotations

import fnmatch
from pathlib import PurePosixPath
from typing import ClassVar, Sequence

__all__ = ["Language", "LayoutError"]


class LayoutError(ValueError):
    """An exercise's files do not fit the layout its language expects."""


class Language:
    #: Name used in problem ids and on the command line (``python``, ``cpp``, ...).
    name: ClassVar[str]
    #: Values of ``slug``/``language`` in an Exercism track's ``config.json`` that mean this language.
    track_names: ClassVar[tuple[str, ...]] = ()
    #: Globs (relative to the exercise root) of files never carried into a ``Problem``.
    ignored_files: ClassVar[tuple[str, ...]] = ()
    #: ``.meta/`` files that are references although ``config.json`` does not list them,
    #: mapped to the workspace path they replace.
    unlisted_references: ClassVar[dict[str, str]] = {}

    def is_ignored(self, path: str) -> bool:
        return any(fnmatch.fnmatch(path, pattern) for pattern in self.ignored_files)

    def reference_target(self, example: str, solution_paths: Sequence[str], slug: str) -> str:
        """Workspace path of the example (reference) file ``example``.

        Default: the one solution file with the same suffix. Languages whose references can
        add files (Java helper classes) override this.
        """
        suffix = PurePosixPath(example).suffix
        matches = [p for p in solution_paths if PurePosixPath(p).suffix == suffix]
        if len(matches) != 1:
            raise LayoutError(
                f"cannot tell which solution file {example!r} replaces: {len(matches)} solution files "
                f"end in {suffix!r} ({', '.join(solution_paths) or 'none'}); list it under `files.example` "
                f"next to exactly one matching `files.solution` entry in .meta/config.json"
            )
        return matches[0]

    def reference_removes(self, solution_paths: Sequence[str], reference_paths: Sequence[str]) -> list[str]:
        """Solution paths that must be deleted when the reference is in place."""
        return []

    def __repr__(self) -> str:
        return f"<Language {self.name}>"
