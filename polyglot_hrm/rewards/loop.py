"""The executor made for a training loop, and the scorers the reward calls.

A reward is called at every training step with a few dozen completions. What ``run_many`` does around each batch
is right for one long command and wasteful here, so :class:`LoopExecutor` wraps the executor and does it once:

* **Provisioning and node checks once per problem**, not per call: the first batch that brings a problem prepares
  it (locally: provisions its dependencies; on Ray: checks every node and provisions there, so in a run's first
  epoch a batch with new problems costs one check task per node); later batches of the same problem go straight
  to running.
* **Sweeps** of what killed runs left behind (workspaces, cgroups) once when it starts, then at most every
  :data:`~polyglot_hrm.settings.REWARD_SWEEP_INTERVAL_S` seconds, not after every batch.
* **One pool for every caller**: local runs go to one long-lived thread pool of ``jobs`` workers (one per core by
  default) that every concurrent batch shares, so eight ranks scoring at once run at most ``jobs`` runs, not
  eight times that. On Ray the cluster's CPU resources bound the runs in flight the same way.

The warm caches (node_modules, jars, the Rust target folders, the Go build cache, the Catch2 main object, the
expected tests and reference seconds) are the runner cache's, on disk: they outlive every call.

A :class:`Scorer` is what the reward calls: :class:`LocalScorer` scores in this process through the one scoring
path (:func:`polyglot_hrm.scoring.score`) on a :class:`LoopExecutor`; :class:`~.server.RemoteScorer` sends the
same call to the node's scoring server, which does exactly that in its own process.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any, Sequence

from ..problems.problem import Problem
from ..execution.executors import Executor, LocalExecutor
from ..execution.job import Job, run_job
from ..execution.nodes import sweep_leftovers
from ..execution.provision import ensure_provisioned
from ..execution.sandbox import Sandbox
from ..languages.context import RunnerContext
from ..scoring import Scored, score
from ..settings import REWARD_SWEEP_INTERVAL_S, Timeout

__all__ = ["LocalScorer", "LoopExecutor", "Scorer"]

logger = logging.getLogger(__name__)


def _problem_key(problem: Problem) -> tuple:
    """A problem as provisioning sees it: its id and the files that say what it needs (support and test files)."""
    return (problem.id, tuple(sorted((f.path, hash(f.content)) for f in problem.files if f.role in ("support", "test"))))


class LoopExecutor(Executor):
    """An executor that prepares each problem once, sweeps now and then, and shares one pool (module docstring)."""

    def __init__(self, inner: Executor, sweep_interval_s: float = REWARD_SWEEP_INTERVAL_S):
        super().__init__()
        self.inner = inner
        self.name = inner.name
        self.remote = inner.remote
        self.sweep_interval_s = sweep_interval_s
        self._missing: dict[tuple, str | None] = {}  # problem key -> what could not be provisioned (None: nothing)
        self._lock = threading.Lock()
        self._swept_at: float | None = None
        # The stock local pool's runs go to one long-lived pool; any other executor (Ray, one of a user's own) runs
        # its jobs itself.
        local = isinstance(inner, LocalExecutor) and type(inner).run is LocalExecutor.run
        self.jobs = inner.jobs if isinstance(inner, LocalExecutor) else None
        self.node = inner.node if local else None
        self._pool = ThreadPoolExecutor(max_workers=inner.jobs, thread_name_prefix="reward-run") if local else None
        self.prepared_batches = 0  # batches that brought problems not seen before (tests and the benchmark read it)

    def prepare(self, problems: Sequence[Problem], ctx: RunnerContext) -> dict[str, str]:
        with self._lock:
            self._sweep_if_due()
            new = {_problem_key(p): p for p in problems if _problem_key(p) not in self._missing}
            if new:
                self.prepared_batches += 1
                if type(self.inner).prepare is LocalExecutor.prepare:  # a sweep and provisioning: sweeps are periodic
                    missing = ensure_provisioned(list(new.values()), ctx)
                else:  # Ray: check the nodes and provision there (RayExecutor.prepare); an executor's own prepare
                    missing = self.inner.prepare(list(new.values()), ctx)
                for key, p in new.items():
                    self._missing[key] = missing.get(p.id)
            return {p.id: self._missing[_problem_key(p)] for p in problems  # type: ignore[misc]
                    if self._missing.get(_problem_key(p))}

    def _sweep_if_due(self) -> None:
        now = time.monotonic()
        if self._swept_at is not None and now - self._swept_at < self.sweep_interval_s:
            return
        first = self._swept_at is None
        self._swept_at = now
        if isinstance(self.inner, LocalExecutor):
            sweep_leftovers()
        elif not first:  # Ray: RayExecutor.finish sweeps every accepted node (none is accepted before a prepare)
            self.inner.finish()

    def run(self, jobs: Sequence[Job], ctx: RunnerContext, sandbox: Sandbox, output_limit: int, on_outcome) -> None:
        if self._pool is None:
            before = sum(self.inner.runs_per_node.values())
            self.inner.run(jobs, ctx, sandbox, output_limit, on_outcome)
            with self._lock:
                self.runs_per_node.update({self.inner.name: sum(self.inner.runs_per_node.values()) - before})
            return
        futures = [self._pool.submit(run_job, job, ctx, sandbox, output_limit, self.node) for job in jobs]
        for future in as_completed(futures):
            outcome = future.result()  # run_job never raises for a job
            with self._lock:
                self.runs_per_node[outcome.node] += 1
            on_outcome(outcome)

    def finish(self) -> None:
        """Nothing after each batch: sweeps are periodic (module docstring)."""

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self.inner.close()

    def describe(self) -> dict[str, Any]:
        out = self.inner.describe()
        out["runs_per_node"] = dict(sorted(self.runs_per_node.items()))
        return out


class Scorer(ABC):
    """What the reward calls: the one scoring path, here or on the node's server."""

    @abstractmethod
    def score(self, references: Sequence[Any], candidates: Sequence[Sequence[Any]],
              timeout: Timeout) -> list[list[Scored]]:
        """:func:`polyglot_hrm.scoring.score` of ``candidates`` against ``references``."""

    def close(self) -> None:
        """Release what the scorer holds."""


class LocalScorer(Scorer):
    """Scores in this process on a :class:`LoopExecutor`."""

    def __init__(self, executor: Executor):
        self.executor = executor if isinstance(executor, LoopExecutor) else LoopExecutor(executor)

    def score(self, references: Sequence[Any], candidates: Sequence[Sequence[Any]],
              timeout: Timeout) -> list[list[Scored]]:
        return score(references, candidates, timeout=timeout, progress=False, executor=self.executor)

    def close(self) -> None:
        self.executor.close()

