"""The Hugging Face dataset: builder, row engine, export and dataset card, cross-language mapping.

Attributes load on first use, so that importing :mod:`polyglot_hrm.dataset.commands` (the CLI) does not
import ``datasets``.
"""

from importlib import import_module

from .names import CONFIG_NAMES, SPLITS

__all__ = ["CONFIG_NAMES", "PolyglotHRM", "PolyglotHRMConfig", "SPLITS", "assign_splits", "build_rows",
           "difficulty_buckets", "features_for", "tree_hash"]

_LAZY = {"PolyglotHRM": "builder", "PolyglotHRMConfig": "config", "assign_splits": "build", "build_rows": "build",
         "difficulty_buckets": "build", "tree_hash": "build", "features_for": "features"}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
