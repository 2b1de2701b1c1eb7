"""Local pool vs Ray on the same cores: the real benchmark's validation runs (every reference and every stub).

    POLYGLOT_BENCHMARK_ROOT=../polyglot-benchmark python benchmarks/executors.py [--cores 2] [--output FILE]

One process, one after the other on the same machine: the ``local`` executor with ``--cores`` workers, then
a local Ray started with ``--cores`` CPUs (``ray.init(num_cpus=...)``). Ray's start-up (``ray.init``) is
reported on its own line; the Ray batch's wall time includes everything else it does per batch (the node
check with provisioning, shipping the problems, the sweep). The runner caches are shared, and warm for both
after any earlier validation on this machine (the local batch runs first). Prints the verdicts that differ
(none expected), the two batches, Ray's overhead, and an *estimate* of the wall time of 9,000 runs (an
evaluation: 225 problems x 20 samples x 2 attempts) on 1, 4 and 16 nodes like this one, from the measured
seconds per run: ``runs x (wall / runs x cores) / (nodes x cores)``, plus Ray's start-up; it assumes the
runs spread evenly and the nodes have this machine's cores and speed.

The two batches run minutes apart, so load from other processes lands on one of them: on a shared VM run it
twice (on this project's 2-core VM, quiet: +20.2 % once, then +2.3 %, and -9 % to +6 % for per-language
subsets back to back).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from polyglot_hrm.problems import load_benchmark
from polyglot_hrm.execution import LocalExecutor, RunTask, run_many
from polyglot_hrm.settings import BENCHMARK_ROOT_ENV
from polyglot_hrm.tables import format_table

EVALUATION_RUNS = 9000
NODES = (1, 4, 16)


def _batch(tasks: list[RunTask], executor) -> tuple[list, float]:
    start = time.perf_counter()
    results = run_many(tasks, executor=executor, desc=f"{executor.name}", progress=sys.stderr.isatty())
    return results, time.perf_counter() - start


def _verdict(r) -> tuple:
    return r.problem_id, r.mode, r.status, r.tests_passed, r.tests_total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--benchmark-root", type=Path, default=os.environ.get(BENCHMARK_ROOT_ENV))
    parser.add_argument("--cores", type=int, default=2, help="workers / Ray CPUs (default: 2)")
    parser.add_argument("--languages", default=None, help="comma-separated subset (default: all)")
    parser.add_argument("--output", type=Path, default=None, help="also write the numbers as JSON here")
    args = parser.parse_args()
    if args.benchmark_root is None:
        parser.error("give --benchmark-root or set POLYGLOT_BENCHMARK_ROOT (a polyglot-benchmark clone)")
    from polyglot_hrm.execution.ray_executor import RayExecutor

    languages = args.languages.split(",") if args.languages else None
    problems = load_benchmark(args.benchmark_root, languages=languages)
    tasks = [RunTask(p, mode=m) for p in problems for m in ("reference", "stub")]
    n = len(tasks)

    local = LocalExecutor(args.cores)
    local_results, local_wall = _batch(tasks, local)
    ray_executor = RayExecutor(init_kwargs={"num_cpus": args.cores, "include_dashboard": False})
    ray_executor.connect()
    startup = ray_executor.startup_s or 0.0
    ray_results, ray_wall = _batch(tasks, ray_executor)
    ray_executor.close()

    differ = [(a, b) for a, b in zip(map(_verdict, local_results), map(_verdict, ray_results)) if a != b]
    for a, b in differ:
        print(f"verdicts differ: local {a} / ray {b}")
    overhead = 100.0 * (ray_wall - local_wall) / local_wall
    rows = [["local", n, local_wall, n / local_wall, local_wall * args.cores / n, "-"],
            ["ray (cluster up)", n, ray_wall, n / ray_wall, ray_wall * args.cores / n, f"{overhead:+.1f} %"]]
    print(format_table(["executor", "runs", "wall s", "runs/s", "core-s per run", "overhead"], rows,
                       title=f"{n} validation runs (references + stubs, {len(problems)} problems) on {args.cores} "
                             f"cores; verdicts that differ: {len(differ)}"))
    print(f"\nRay start-up (ray.init, a local cluster of {args.cores} CPUs): {startup:.1f} s, not in the wall above")
    print("runs per node: local " + json.dumps(dict(local.runs_per_node)) + ", ray "
          + json.dumps(dict(ray_executor.runs_per_node)))

    per_run = {"local": local_wall * args.cores / n, "ray": ray_wall * args.cores / n}
    estimate = [[nodes, nodes * args.cores,
                 EVALUATION_RUNS * per_run["local"] / (nodes * args.cores) / 60 if nodes == 1 else "-",
                 (EVALUATION_RUNS * per_run["ray"] / (nodes * args.cores) + startup) / 60] for nodes in NODES]
    print()
    print(format_table(["nodes", "cores", "local min", "ray min"], estimate,
                       title=f"ESTIMATE, not measured: {EVALUATION_RUNS} runs on nodes like this one "
                             f"({args.cores} cores each), from the core-seconds per run above"))
    if args.output:
        args.output.write_text(json.dumps({"runs": n, "cores": args.cores, "local_wall_s": round(local_wall, 2),
                                           "ray_wall_s": round(ray_wall, 2), "ray_startup_s": round(startup, 2),
                                           "overhead_pct": round(overhead, 2), "verdicts_differ": len(differ),
                                           "estimate_min": {str(r[0]): r[3] for r in estimate}}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
