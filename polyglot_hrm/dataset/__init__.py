"""The Hugging Face dataset: builder, row engine, export and dataset card, cross-language mapping."""

from .rows import build_rows
from .builder import PolyglotHRM
from .config import PolyglotHRMConfig
from .features import features_for
from .fingerprint import tree_hash
from .names import CONFIG_NAMES, SPLITS
from .splits import assign_splits

__all__ = ["CONFIG_NAMES", "PolyglotHRM", "PolyglotHRMConfig", "SPLITS", "assign_splits", "build_rows",
           "features_for", "tree_hash"]
