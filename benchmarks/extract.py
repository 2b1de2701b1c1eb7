"""How long reading a benchmark tree takes, against the floor of reading every byte of it.

    python benchmarks/extract.py [--repeat 5]

Rows: the built-in mini-benchmark, and the real one when POLYGLOT_BENCHMARK_ROOT is set. Columns:
the naive floor (walk the tree and read every file, nothing parsed), our extract (parse configs,
map references, score complexity), extract + writing problems.json, and the ratio extract / floor.
Medians of --repeat runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from polyglot_hrm.problems import load_benchmark, mini_benchmark_root, save_problems
from polyglot_hrm.settings import BENCHMARK_ROOT_ENV
from polyglot_hrm.tables import format_table


def read_everything(root: Path) -> int:
    total = 0
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            total += len((Path(dirpath) / name).read_bytes())
    return total


def median_seconds(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    roots = [("mini", mini_benchmark_root())]
    if os.environ.get(BENCHMARK_ROOT_ENV):
        roots.append(("real", Path(os.environ[BENCHMARK_ROOT_ENV])))
    rows = []
    for name, root in roots:
        problems = load_benchmark(root)
        floor = median_seconds(lambda: read_everything(root), args.repeat)
        extract = median_seconds(lambda: load_benchmark(root), args.repeat)
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "problems.json"
            full = median_seconds(lambda: save_problems(load_benchmark(root), out), args.repeat)
            size = out.stat().st_size
        rows.append([name, len(problems), floor, extract, full, extract / floor, f"{size / 1e6:.1f} MB"])
    print(format_table(["benchmark", "problems", "read all files s", "extract s", "extract+json s",
                        "extract / read", "problems.json"], rows,
                       title=f"Extraction, median of {args.repeat} runs"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
