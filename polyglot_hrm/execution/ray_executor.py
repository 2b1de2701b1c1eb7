"""The ``ray`` executor: the same sandboxed runs, as tasks on a Ray cluster.

* **Joining.** ``ray.init(address=...)``: an address (or ``RAY_ADDRESS``) joins that cluster; with neither,
  Ray joins the cluster that ``ray start`` last started on this machine, else starts a local one that lasts
  until :meth:`RayExecutor.close` or the end of this process. A process already connected to Ray keeps its
  connection.
* **Same code, same sandbox on every node.** When this executor connects, the driver's ``polyglot_hrm``
  package travels with the job (a ``py_modules`` runtime environment), so every node runs the code the driver
  runs (a process that called ``ray.init`` itself sets its own runtime environment); a node needs Python,
  the package's dependencies, the toolchains and bubblewrap (README: "Running on a Ray cluster"). Problems
  and candidates travel as data (each problem is put in the object store once), never as paths.
* **Checked nodes only.** Before a batch, one task per node (:func:`~.nodes.check_node`) sweeps leftovers,
  provisions what the batch's problems need and checks the toolchains, the unprivileged uid and a real
  confined command. A node that fails is refused (logged with what is wrong and the fix) and gets no run:
  every run task carries a label selector naming the accepted nodes (``ray.io/node-id``).
* **Faults.** A run task whose worker process or node dies is retried by Ray (``max_retries``, on any
  accepted node); each job has one object reference, so its result comes back once. A job Ray gives up on
  is one ``error`` result saying so; if every accepted node is gone the rest are ``error`` results too.
  After the batch, one task per node sweeps what the killed runs left (workspaces, cgroups).
* **Size.** At most ``max_in_flight`` tasks are submitted and unfinished at any time (default: twice the
  accepted nodes' CPUs), so a batch of 100,000 runs holds a few dozen in the object store, not all.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Sequence

import ray

import polyglot_hrm

from ..problems.problem import Problem
from ..languages.context import RunnerContext
from ..settings import ray_address
from .executor_base import Executor, ExecutorError, OnOutcome
from .job import Job, JobOutcome, run_job
from .nodes import NodeReport, check_node, sweep_leftovers
from .results import RunResult
from .sandbox import Limits, Sandbox

__all__ = ["RayExecutor", "node_label"]

logger = logging.getLogger(__name__)

NODE_ID_LABEL = "ray.io/node-id"


def node_label() -> str:
    """This Ray node, as summaries name it: its IP and the start of its node id (several nodes may share an IP)."""
    context = ray.get_runtime_context()
    return f"{ray.util.get_node_ip_address()}/{context.get_node_id()[:8]}"


@ray.remote(num_cpus=1)
def polyglot_check_node(problems: list[Problem]) -> NodeReport:
    return check_node(problems, RunnerContext(), node_label())


@ray.remote(num_cpus=0)
def polyglot_sweep() -> int:
    return sweep_leftovers()


@ray.remote(num_cpus=1)
def polyglot_run(problem: Problem, job: Job, limits: Limits, use_cgroup: bool, output_limit: int) -> JobOutcome:
    # The node's own runner cache; bubblewrap always (the node passed the checks, so it is there).
    sandbox = Sandbox(limits, use_bwrap=True, use_cgroup=use_cgroup)
    return run_job(replace(job, problem=problem), RunnerContext(), sandbox, output_limit, node_label())


class RayExecutor(Executor):
    """Runs jobs as Ray tasks on the nodes that pass the checks (module docstring)."""

    name = "ray"
    remote = True

    def __init__(self, address: str | None = None, max_in_flight: int | None = None, max_retries: int = 3,
                 ship_code: bool = True, poll_s: float = 5.0, init_kwargs: dict[str, Any] | None = None):
        super().__init__()
        self.address = address
        self.max_in_flight = max_in_flight
        self.max_retries = max_retries
        self.ship_code = ship_code
        self.poll_s = poll_s
        self.init_kwargs = dict(init_kwargs or {})
        self.accepted: dict[str, float] = {}  # node id -> CPUs
        self.refused: dict[str, NodeReport] = {}  # node id -> why
        self.labels: dict[str, str] = {}  # node id -> label
        self.startup_s: float | None = None  # seconds ray.init took (None: already connected)
        self._started = False

    # ------------------------------------------------------------------ connection

    def connect(self) -> None:
        """Join the cluster (or start a local one) once; ``startup_s`` says how long it took."""
        if ray.is_initialized():
            return
        address = ray_address(self.address)
        kwargs = dict(self.init_kwargs)
        if self.ship_code:
            # Ray uploads a local package only at the job level (ray.init), not per task.
            package = Path(polyglot_hrm.__file__).resolve().parent
            env = dict(kwargs.pop("runtime_env", None) or {})
            env.setdefault("py_modules", [str(package)])
            env.setdefault("excludes", ["__pycache__", "*.pyc"])
            kwargs["runtime_env"] = env
        start = time.perf_counter()
        ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False, **kwargs)
        self.startup_s = time.perf_counter() - start
        self._started = True
        logger.info("ray: %s in %.1f s", f"joined {address}" if address else "started a local cluster",
                    self.startup_s)

    def close(self) -> None:
        if self._started and ray.is_initialized():
            ray.shutdown()
        self._started = False

    @staticmethod
    def _alive_nodes() -> dict[str, float]:
        """Alive nodes that can take runs: ``{node id: CPUs}`` (a head node with 0 CPUs takes none)."""
        return {n["NodeID"]: n.get("Resources", {}).get("CPU", 0.0) for n in ray.nodes()
                if n.get("Alive") and n.get("Resources", {}).get("CPU", 0.0) >= 1}

    # ------------------------------------------------------------------ the executor

    def prepare(self, problems: Sequence[Problem], ctx: RunnerContext) -> dict[str, str]:
        """Check every node (one task each, pinned to it); keep the fit ones. Missing dependencies refuse a
        node, so nothing is missing on the nodes that run (``{}``)."""
        self.connect()
        nodes = self._alive_nodes()
        if not nodes:
            raise ExecutorError("the Ray cluster has no alive node with a CPU; start workers with `ray start "
                                "--address=<head>:6379` (README: Running on a Ray cluster)")
        shared = ray.put(list(problems))
        refs = {node: polyglot_check_node.options(label_selector={NODE_ID_LABEL: node}).remote(shared)
                for node in nodes}
        self.accepted, self.refused = {}, {}
        for node, ref in refs.items():
            try:
                report = ray.get(ref)
            except ray.exceptions.RayError as err:
                report = NodeReport(node[:8], "?", [f"the check task failed ({type(err).__name__}: "
                                                    f"{str(err).splitlines()[0][:200]}); fix: see that node's Ray "
                                                    f"logs, and that it can import polyglot_hrm's dependencies"])
            self.labels[node] = report.node
            if report.ok:
                self.accepted[node] = nodes[node]
            else:
                self.refused[node] = report
                logger.error("%s", report.refusal())
        if not self.accepted:
            reasons = "\n".join(r.refusal() for r in self.refused.values())
            raise ExecutorError(f"no Ray node can run the tests:\n{reasons}")
        logger.info("ray: %d node(s) accepted (%g CPUs), %d refused", len(self.accepted), sum(self.accepted.values()),
                    len(self.refused))
        return {}

    def run(self, jobs: Sequence[Job], ctx: RunnerContext, sandbox: Sandbox, output_limit: int,
            on_outcome: OnOutcome) -> None:
        if not jobs:
            return
        if not self.accepted:
            raise ExecutorError("RayExecutor.run before prepare: no node was checked")
        limit = self.max_in_flight or max(2, int(2 * sum(self.accepted.values())))
        selector = {NODE_ID_LABEL: f"in({','.join(sorted(self.accepted))})"}
        task = polyglot_run.options(label_selector=selector, max_retries=self.max_retries, retry_exceptions=False)
        problem_refs: dict[int, Any] = {}
        queue = list(reversed(jobs))  # pop() takes them in the order given
        in_flight: dict[Any, Job] = {}
        while queue or in_flight:
            while queue and len(in_flight) < limit:
                job = queue.pop()
                key = id(job.problem)
                if key not in problem_refs:
                    problem_refs[key] = ray.put(job.problem)
                # The problem travels once per batch (by reference), not with each of its jobs.
                ref = task.remote(problem_refs[key], replace(job, problem=None), sandbox.limits, sandbox.use_cgroup,
                                  output_limit)
                in_flight[ref] = job
            ready, _ = ray.wait(list(in_flight), num_returns=1, timeout=self.poll_s)
            if not ready:
                if not set(self._alive_nodes()) & set(self.accepted):
                    for ref in in_flight:
                        ray.cancel(ref, force=True)
                    self._fail_all([*in_flight.values(), *reversed(queue)], on_outcome,
                                   "every accepted Ray node is gone")
                    return
                continue
            for ref in ready:
                job = in_flight.pop(ref)
                on_outcome(self._outcome(ref, job))

    def _outcome(self, ref: Any, job: Job) -> JobOutcome:
        try:
            outcome = ray.get(ref)
        except ray.exceptions.RayError as err:
            # Ray retried the task max_retries times (its worker or node kept dying): one error, never a crash.
            why = str(err).splitlines()[0][:300]
            logger.error("%s: lost after %d retries: %s", job.problem.id, self.max_retries, why)
            outcome = JobOutcome(job.index, RunResult(job.problem.id, "error", mode=job.mode,
                                                   output=f"the run was lost on the Ray cluster "
                                                          f"({self.max_retries} retries): {type(err).__name__}: {why}",
                                                   infrastructure=True),
                              node="lost")
        self.runs_per_node[outcome.node] += 1
        return outcome

    def _fail_all(self, jobs: Sequence[Job], on_outcome: OnOutcome, why: str) -> None:
        logger.error("ray: %s; %d run(s) end as errors", why, len(jobs))
        for job in jobs:
            result = RunResult(job.problem.id, "error", mode=job.mode, output=f"not run: {why}",
                               infrastructure=True)
            self.runs_per_node["lost"] += 1
            on_outcome(JobOutcome(job.index, result, node="lost"))

    def finish(self) -> None:
        """Sweep every accepted node that is still alive (what killed runs left there)."""
        alive = set(self._alive_nodes()) & set(self.accepted)
        refs = [polyglot_sweep.options(label_selector={NODE_ID_LABEL: node}).remote()
                for node in alive]
        try:
            swept = sum(ray.get(refs)) if refs else 0
        except ray.exceptions.RayError as err:  # a node lost since: its leftovers went with it
            logger.warning("ray: a sweep task failed (%s)", type(err).__name__)
            return
        if swept:
            logger.info("ray: swept %d leftover(s) of killed runs", swept)

    def describe(self) -> dict[str, Any]:
        out = super().describe()
        out["refused_nodes"] = {self.labels.get(n, n): r.failures for n, r in self.refused.items()}
        if self.startup_s is not None:
            out["startup_s"] = round(self.startup_s, 2)
        return out
