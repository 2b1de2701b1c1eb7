"""Names the command line offers before anything heavy is imported: the backends and the edit formats."""

from __future__ import annotations

from typing import Literal

__all__ = ["BACKENDS", "BackendError", "BackendName", "EDIT_FORMATS", "EditFormat"]

BackendName = Literal["hrm", "transformers", "openai", "reference"]
BACKENDS: tuple[str, ...] = ("hrm", "transformers", "openai", "reference")
EditFormat = Literal["whole", "diff"]
EDIT_FORMATS: tuple[str, ...] = ("whole", "diff")


class BackendError(RuntimeError):
    """The backend cannot go on (server unreachable, authentication refused, retries used up)."""
