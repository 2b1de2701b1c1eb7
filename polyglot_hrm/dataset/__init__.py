"""The Hugging Face dataset: builder, row engine, export and dataset card, cross-language mapping."""

from .build import assign_splits, build_rows, difficulty_buckets, tree_hash
from .builder import PolyglotHRM
from .config import PolyglotHRMConfig
from .features import features_for
from .names import CONFIG_NAMES, SPLITS

__all__ = ["CONFIG_NAMES", "PolyglotHRM", "PolyglotHRMConfig", "SPLITS", "assign_splits", "build_rows",
           "difficulty_buckets", "features_for", "tree_hash"]
