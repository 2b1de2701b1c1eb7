"""Where runs execute: the executors, and the one function that makes them.

Every batch of runs (:func:`polyglot_hrm.execution.runner.run_many`) goes through an
:class:`~.executor_base.Executor` (the interface, in :mod:`.executor_base`):

* ``local`` (:class:`LocalExecutor`, the default): a thread pool on this machine, one worker per core. It never
  imports Ray.
* ``ray`` (:class:`polyglot_hrm.execution.ray_executor.RayExecutor`): tasks on a Ray cluster. ``ray_address``
  (or ``RAY_ADDRESS``) joins that cluster; with neither, Ray joins the cluster that ``ray start`` last started on
  this machine, else starts a local one that lasts as long as this process. Needs the extra:
  ``pip install 'polyglot-hrm[ray]'``. :func:`make_executor` imports it only when asked for: importing it loads
  Ray.
"""

from __future__ import annotations

import logging
import os
import socket
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, Sequence

from ..problems.problem import Problem
from ..languages.context import RunnerContext
from ..tables import format_table
from .executor_base import Executor, ExecutorError, OnOutcome
from .job import Job, run_job
from .nodes import sweep_leftovers
from .provision import ensure_provisioned
from .sandbox import Sandbox

__all__ = ["EXECUTORS", "Executor", "ExecutorError", "ExecutorSpec", "LocalExecutor", "check_jobs", "make_executor",
           "runs_per_node_table"]

logger = logging.getLogger(__name__)

EXECUTORS = ("local", "ray")
#: An executor, or its name ("local", "ray"); None: local.
ExecutorSpec = Any


def check_jobs(jobs: Any, name: str = "jobs") -> int | None:
    """``jobs`` (parallel runs) as executors take it: None (one per core, or on Ray twice the cluster's CPUs) or an
    integer >= 1; anything else (0, -2, 1.5) is a ValueError naming ``name``, raised before any work."""
    if jobs is None:
        return None
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"{name}={jobs!r}: the number of parallel runs, an integer >= 1 (or None: one per core)")
    return jobs


class LocalExecutor(Executor):
    """A thread pool on this machine (each run is a sandboxed subprocess: threads only wait on them)."""

    name = "local"

    def __init__(self, jobs: int | None = None, max_in_flight: int | None = None):
        super().__init__()
        self.jobs = check_jobs(jobs) or os.cpu_count() or 1
        # Jobs handed to the pool but not finished: enough to keep every worker busy, not the whole batch.
        self.max_in_flight = max_in_flight or 4 * self.jobs
        self.node = f"local ({socket.gethostname()})"

    def prepare(self, problems: Sequence[Problem], ctx: RunnerContext) -> dict[str, str]:
        sweep_leftovers()
        return ensure_provisioned(problems, ctx)

    def run(self, jobs: Sequence[Job], ctx: RunnerContext, sandbox: Sandbox, output_limit: int,
            on_outcome: OnOutcome) -> None:
        queue = list(reversed(jobs))  # pop() takes them in the order given
        running: set[Future] = set()
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            while queue or running:
                while queue and len(running) < self.max_in_flight:
                    running.add(pool.submit(run_job, queue.pop(), ctx, sandbox, output_limit, self.node))
                done, running = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    outcome = future.result()  # run_job never raises for a job
                    self.runs_per_node[outcome.node] += 1
                    on_outcome(outcome)


def make_executor(spec: ExecutorSpec = None, jobs: int | None = None, ray_address: str | None = None) -> Executor:
    """An executor from ``spec``: an :class:`Executor` (returned as is), ``"local"``/None or ``"ray"``.

    ``jobs``: the local pool's workers, or on Ray the runs in flight at most (default: twice the cluster's CPUs).
    """
    if isinstance(spec, Executor):
        return spec
    check_jobs(jobs)
    name = spec or "local"
    if name == "local":
        if ray_address:
            raise ValueError("`ray_address` is for `executor='ray'`; drop it or add `executor='ray'`.")
        return LocalExecutor(jobs)
    if name == "ray":
        try:
            from .ray_executor import RayExecutor
        except ImportError as err:
            raise ExecutorError(f"executor='ray' needs Ray ({err}); install it: "
                                "pip install 'polyglot-hrm[ray]'") from err
        return RayExecutor(address=ray_address, max_in_flight=jobs)
    raise ValueError(f"executor={name!r}: choose one of {', '.join(EXECUTORS)}")


def runs_per_node_table(executor: Executor) -> str:
    """The runs each node made (and, on Ray, the nodes refused), as a table for summaries."""
    info = executor.describe()
    rows = [[node, count] for node, count in info["runs_per_node"].items()]
    rows.append(["total", sum(info["runs_per_node"].values())])
    out = format_table(["node", "runs"], rows, title=f"Runs per node ({executor.name} executor)")
    for node, failures in info.get("refused_nodes", {}).items():
        out += f"\nrefused {node}: " + " | ".join(failures)
    return out
