"""Training-data synthesis: Aider SEARCH/REPLACE edit blocks (render, parse, apply, synthesize)."""

from .edit_blocks import (
    EditApplyError,
    EditBlock,
    EditFormatError,
    EditSynthesisError,
    apply_blocks,
    edit_stats,
    is_renderable,
    parse_blocks,
    render_blocks,
    synthesize_blocks,
)

__all__ = ["EditApplyError", "EditBlock", "EditFormatError", "EditSynthesisError", "apply_blocks", "edit_stats",
           "is_renderable", "parse_blocks", "render_blocks", "synthesize_blocks"]
