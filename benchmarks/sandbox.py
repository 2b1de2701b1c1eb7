"""What the sandbox costs per run: the same runs with and without confinement, in one process.

    python benchmarks/sandbox.py [--repeat 5] [--languages python,go,rust]

For each language, the mini-benchmark's digit-sum reference is run --repeat times bare (no bwrap,
no cgroup: only the timeout and output cap) and --repeat times sandboxed (bwrap + per-run cgroup +
ulimits), interleaved so that machine load affects both alike. Prints medians and the overhead.
"""

from __future__ import annotations

import argparse
import statistics
import sys

from polyglot_hrm.problems import load_benchmark, mini_benchmark_root
from polyglot_hrm.execution import run_problem
from polyglot_hrm.execution.sandbox import Sandbox
from polyglot_hrm.tables import format_table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--languages", default="python,javascript,go,rust,java,cpp")
    args = parser.parse_args()
    problems = {p.language: p for p in load_benchmark(mini_benchmark_root()) if p.slug == "digit-sum"}
    bare, boxed = Sandbox(use_bwrap=False, use_cgroup=False), Sandbox()
    rows = []
    for lang in args.languages.split(","):
        p = problems[lang]
        run_problem(p, mode="reference", sandbox=boxed)  # warm the caches first
        times: dict[str, list[float]] = {"bare": [], "sandboxed": []}
        for _ in range(args.repeat):
            for name, sandbox in (("bare", bare), ("sandboxed", boxed)):
                result = run_problem(p, mode="reference", sandbox=sandbox)
                assert result.passed, result.output
                times[name].append(result.duration_s)
        b, s = statistics.median(times["bare"]), statistics.median(times["sandboxed"])
        rows.append([lang, b, s, s - b, s / b])
    print(format_table(["language", "bare median s", "sandboxed median s", "overhead s", "ratio"], rows,
                       title=f"Sandbox overhead per run (digit-sum reference, median of {args.repeat})"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
