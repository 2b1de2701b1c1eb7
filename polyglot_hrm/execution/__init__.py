"""Run candidates against exercises' real unit tests: workspaces, runners, worker pool, provisioning."""

from importlib import import_module

from .context import CACHE_ENV, RunnerContext, default_cache_dir
from .results import STATUSES, RunResult, Status, TestCounts

__all__ = ["CACHE_ENV", "DEFAULT_TIMEOUT", "RunResult", "RunTask", "RunnerContext", "STATUSES", "Status",
           "TestCounts", "default_cache_dir", "run_many", "run_problem"]

_LAZY = {"DEFAULT_TIMEOUT": "runner", "RunTask": "runner", "run_many": "runner", "run_problem": "runner"}


def __getattr__(name: str):
    # The runner needs the language registry, whose modules need ``results``: import it on first use.
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
