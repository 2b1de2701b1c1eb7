"""One module per language, one shared shape (:class:`Language`), one registry (:mod:`.registry`)."""

from __future__ import annotations

from .base import Language, LayoutError
from .registry import LANGUAGES, get_language, language_for_track, register

# Importing the modules registers them; the order is the display order.
from . import cpp, go, java, javascript, python, rust  # noqa: F401

__all__ = ["Language", "LayoutError", "LANGUAGES", "register", "get_language", "language_for_track"]
