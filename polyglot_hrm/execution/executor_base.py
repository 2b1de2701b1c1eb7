"""The executor interface: what every executor does, wherever its runs happen.

An executor does three things: :meth:`~Executor.prepare` the machines for the problems of a batch (provision
their dependencies; on a cluster also check each node and refuse the unfit ones), :meth:`~Executor.run` jobs
(:class:`~.job.Job`), handing each :class:`~.job.JobOutcome` back as it finishes, with a bounded number in
flight, and count the runs each node made (:attr:`~Executor.runs_per_node`). What to run, in which order,
with which expected tests, is the runner's business; the executor only decides where.

The executors themselves (:mod:`.executors`: ``local``; :mod:`.ray_executor`: ``ray``) import this module, and
it imports neither of them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from typing import Any, Callable, Sequence

from ..problems.problem import Problem
from ..languages.context import RunnerContext
from .job import Job, JobOutcome
from .sandbox import Sandbox

__all__ = ["Executor", "ExecutorError", "OnOutcome"]

OnOutcome = Callable[[JobOutcome], None]


class ExecutorError(RuntimeError):
    """An executor that cannot run the batch at all (Ray missing, no usable node); says why and the fix."""


class Executor(ABC):
    """Runs jobs somewhere (module docstring)."""

    name: str = "executor"
    #: Whether runs happen on other machines, whose runner caches are not this one's.
    remote: bool = False

    def __init__(self) -> None:
        self.runs_per_node: Counter = Counter()

    @abstractmethod
    def prepare(self, problems: Sequence[Problem], ctx: RunnerContext) -> dict[str, str]:
        """Make the machines ready for ``problems``; ``{problem id: dependency still missing}``."""

    @abstractmethod
    def run(self, jobs: Sequence[Job], ctx: RunnerContext, sandbox: Sandbox, output_limit: int,
            on_outcome: OnOutcome) -> None:
        """Run every job exactly once (in about the order given), calling ``on_outcome`` in this thread as each
        finishes."""

    def finish(self) -> None:
        """After a batch: sweep what runs killed on the way left (a no-op where nothing can be left)."""

    def close(self) -> None:
        """Release what the executor holds (a Ray connection it made)."""

    def describe(self) -> dict[str, Any]:
        """For summaries: the executor's name and the runs each node made so far."""
        return {"executor": self.name, "runs_per_node": dict(sorted(self.runs_per_node.items()))}
