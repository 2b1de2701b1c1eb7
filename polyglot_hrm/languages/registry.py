"""The language registry: every :class:`~.base.Language` by name, in the order registered (the display order).

Each language module registers its one instance when imported (``CPP = register(Cpp())``); importing
:mod:`polyglot_hrm.languages` imports the six shipped ones. This module imports only :mod:`.base`, so a language
module registers itself without importing the package that imports it.

What the rest of the package needs to know of every language at once is asked here, unioned over the languages
registered now (so a language registered later counts): the toolchain folders a run sees
(:func:`toolchain_paths`), the host environment a run gets (:func:`host_env_names`, :func:`host_env_defaults`), the
folders that are never an exercise's (:data:`ARTIFACT_FOLDERS`) and the durations masked in test output
(:func:`mask_durations`).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator, Set
from pathlib import Path

from .base import Language

__all__ = ["ARTIFACT_FOLDERS", "LANGUAGES", "VCS_FOLDERS", "get_language", "host_env_defaults", "host_env_names",
           "language_for_track", "mask_durations", "register", "toolchain_paths"]

LANGUAGES: dict[str, Language] = {}

#: Version control's folders: in no exercise whatever its language.
VCS_FOLDERS = (".git",)


def register(language: Language) -> Language:
    LANGUAGES[language.name] = language
    return language


def get_language(name: str) -> Language:
    try:
        return LANGUAGES[name]
    except KeyError:
        raise ValueError(f"unknown language {name!r}; known: {', '.join(sorted(LANGUAGES))}") from None


def language_for_track(track_name: str) -> Language | None:
    """The language whose track calls itself ``track_name`` (case-insensitive), if any."""
    wanted = track_name.strip().lower()
    for language in LANGUAGES.values():
        if wanted == language.name or wanted in language.track_names:
            return language
    return None


def toolchain_paths() -> list[Path]:
    """Host folders of every language's toolchain: its :attr:`~.base.Language.home_toolchain` folders, then the
    installation of each of its :attr:`~.base.Language.programs` found on ``PATH`` (may not exist; may repeat).
    An installation inside the home folder is left to ``home_toolchain``: rustup's ``cargo`` resolves to
    ``~/.cargo/bin/rustup``, whose installation would be all of ``~/.cargo`` (registry credentials included)."""
    home = Path.home()
    paths = [home / folder for language in LANGUAGES.values() for folder in language.home_toolchain]
    for language in LANGUAGES.values():
        for program in language.programs:
            found = shutil.which(program)
            if not found:
                continue
            installation = Path(found).resolve().parent.parent
            if installation != home and home not in installation.parents:
                paths.append(installation)
    return paths


def host_env_names() -> tuple[str, ...]:
    """The host environment variables every language's tools need (:attr:`~.base.Language.host_env`), in order."""
    return tuple(dict.fromkeys(name for language in LANGUAGES.values() for name in language.host_env))


def host_env_defaults() -> dict[str, str]:
    """Values for those variables where the host sets none (:meth:`~.base.Language.host_env_defaults`)."""
    return {name: value for language in LANGUAGES.values() for name, value in language.host_env_defaults().items()}


class _ArtifactFolders(Set):
    """Folder names that are never part of an exercise: :data:`VCS_FOLDERS` and every registered language's
    :attr:`~.base.Language.artifact_folders`, read at each use."""

    def _names(self) -> frozenset[str]:
        return frozenset([*VCS_FOLDERS, *(name for language in LANGUAGES.values() for name in language.artifact_folders)])

    def __contains__(self, name: object) -> bool:
        return name in self._names()

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._names()))

    def __len__(self) -> int:
        return len(self._names())

    def __repr__(self) -> str:
        return f"ARTIFACT_FOLDERS({sorted(self._names())})"


#: Folder names a walk over an exercise or a benchmark tree skips (a set, read at each use).
ARTIFACT_FOLDERS: Set[str] = _ArtifactFolders()


def _masked(match: re.Match) -> str:
    start = match.start("number") - match.start()
    return match.group(0)[:start] + "?" + match.group(0)[match.end("number") - match.start():]


def mask_durations(text: str) -> str:
    """``text`` with the durations any language's test tool writes masked (``0.05s`` -> ``?s``)."""
    for pattern in dict.fromkeys(language.durations for language in LANGUAGES.values()):
        text = pattern.sub(_masked, text)
    return text
