"""Training-data synthesis: Aider SEARCH/REPLACE edit blocks (the format and its application in
:mod:`.edit_format`; blocks made from a before/after pair and their measures in :mod:`.edit_synthesis`),
mutations, and the example builders."""

from .edit_format import (EditApplyError, EditBlock, EditFormatError, EditSynthesisError, apply_blocks, is_renderable,
                          parse_blocks, render_blocks)
from .edit_synthesis import changed_chars, edit_stats, synthesize_blocks

__all__ = ["EditApplyError", "EditBlock", "EditFormatError", "EditSynthesisError", "apply_blocks", "changed_chars",
           "edit_stats", "is_renderable", "parse_blocks", "render_blocks", "synthesize_blocks"]
