"""Read a benchmark tree into :class:`Problem` objects (which exercises have no tests to run, how hard each is
within its language, when each entered its track), and index them across languages."""

from __future__ import annotations

from ..settings import mini_benchmark_root
from .complexity import complexity_score, difficulty_buckets
from .dates import TrackHistory, added_per_year, added_table, filter_by_added, parse_added_date, track_history
from .index import CrossLanguageIndex
from .problem import ROLES, Problem, ProblemFile, ProblemMetadata, Role, load_problems_json, save_problems
from .reader import (BenchmarkError, ExtractReport, PolyglotBenchmarkExtractor, load_benchmark, read_exercise,
                     skips_tests)

__all__ = [
    "BenchmarkError", "CrossLanguageIndex", "ExtractReport", "PolyglotBenchmarkExtractor", "Problem",
    "ProblemFile", "ProblemMetadata", "ROLES", "Role", "complexity_score", "difficulty_buckets", "load_benchmark",
    "load_problems_json", "mini_benchmark_root", "read_exercise", "save_problems", "skips_tests",
    "TrackHistory", "added_per_year", "added_table", "filter_by_added", "parse_added_date", "track_history",
]
