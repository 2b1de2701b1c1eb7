"""One module per language, one shared shape (:class:`Language`), one registry."""

from __future__ import annotations

from .base import Language, LayoutError

__all__ = ["Language", "LayoutError", "LANGUAGES", "register", "get_language", "language_for_track"]

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


# Importing the modules registers them; the order is the display order.
from . import cpp, go, java, javascript, python, rust  # noqa: E402,F401
