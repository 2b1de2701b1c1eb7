"""Run candidates against exercises' real unit tests: workspaces, sandbox, runners, worker pool, provisioning.

Execution receives resolved files only (a candidate's edit is applied before it gets here, by
:mod:`polyglot_hrm.scoring`) and never imports torch or transformers.
"""

from ..languages.context import CACHE_ENV, RunnerContext, default_cache_dir
from .results import STATUSES, RunResult, Status, TestCounts
from .runner import DEFAULT_TIMEOUT, RunTask, record_expected, record_stub_passes, run_many, run_problem

__all__ = ["CACHE_ENV", "DEFAULT_TIMEOUT", "RunResult", "RunTask", "RunnerContext", "STATUSES", "Status",
           "TestCounts", "default_cache_dir", "record_expected", "record_stub_passes", "run_many", "run_problem"]
