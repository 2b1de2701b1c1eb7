"""Run candidates against exercises' real unit tests: workspaces, sandbox, runners, executors (a local pool or a
Ray cluster), provisioning.

Execution receives resolved files only (a candidate's edit is applied before it gets here, by
:mod:`polyglot_hrm.scoring`) and never imports torch or transformers.
"""

from ..languages.context import RunnerContext
from .executors import EXECUTORS, Executor, ExecutorError, LocalExecutor, make_executor
from .results import STATUSES, RunResult, Status, TestCounts
from .runner import RunTask, record_expected, record_stub_passes, run_many, run_problem
from .timeouts import AUTO, DEFAULT_TIMEOUT, Timeout, describe_timeout, run_timeout

__all__ = ["AUTO", "DEFAULT_TIMEOUT", "EXECUTORS", "Executor", "ExecutorError", "LocalExecutor", "RunResult",
           "RunTask", "RunnerContext", "STATUSES", "Status", "TestCounts", "Timeout", "describe_timeout",
           "make_executor", "record_expected", "record_stub_passes", "run_many", "run_problem", "run_timeout"]
