"""Training-data synthesis: edit blocks made from a before/after pair and their measures (:mod:`.edit_synthesis`;
the format itself and its application are :mod:`polyglot_hrm.edit_format`), mutations, refactorings and the
example builders."""

from .edit_synthesis import EditSynthesisError, changed_chars, edit_stats, synthesize_blocks

__all__ = ["EditSynthesisError", "changed_chars", "edit_stats", "synthesize_blocks"]
