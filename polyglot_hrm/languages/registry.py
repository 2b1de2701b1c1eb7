"""The language registry: every :class:`~.base.Language` by name, in the order registered (the display order).

Each language module registers its one instance when imported (``CPP = register(Cpp())``); importing
:mod:`polyglot_hrm.languages` imports the six shipped ones. This module imports only :mod:`.base`, so a language
module registers itself without importing the package that imports it.
"""

from __future__ import annotations

from .base import Language

__all__ = ["LANGUAGES", "get_language", "language_for_track", "register"]

LANGUAGES: dict[str, Language] = {}


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
