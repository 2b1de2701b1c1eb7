"""How long building the dataset takes, cold and from the Arrow cache; optionally, a check by execution.

    python benchmarks/dataset.py [--benchmark-root DIR] [--verify on|off|auto] [--check] [--export DIR]

Builds all three configurations into a fresh cache directory (mutant verification off unless asked:
the issue's budget, 30 s on the real benchmark, is for building without it), then builds them again
with new builder objects on the same cache (a reload: the tree is hashed, nothing is generated) and
reports both wall times, rows per config and the cache size. ``--check`` then runs every row by
execution (needs POLYGLOT_HRM_ALLOW_CODE_EXECUTION=1): every target must pass, every verified
``bug_fix`` mutant must fail; identical runs are executed once. ``--export`` also times the export.
Default root: $POLYGLOT_BENCHMARK_ROOT, else the built-in mini-benchmark.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from collections import Counter

from polyglot_hrm.dataset.export import build_datasets, export
from polyglot_hrm.dataset.names import CONFIG_NAMES
from polyglot_hrm.settings import BENCHMARK_ROOT_HELP, command_benchmark_root
from polyglot_hrm.tables import format_table


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--benchmark-root", type=Path, default=None, help=BENCHMARK_ROOT_HELP)
    parser.add_argument("--verify", choices=["on", "off", "auto"], default="off")
    parser.add_argument("--check", action="store_true", help="run every row's target (and kept mutant) by execution")
    parser.add_argument("--export", type=Path, default=None, help="also export here and time it")
    parser.add_argument("--json", type=Path, default=None, help="write the numbers here")
    parser.add_argument("--cache-dir", type=Path, default=None,
                        help="Arrow cache to use (default: a fresh temporary one, so the first build is cold)")
    args = parser.parse_args()
    verify = {"on": True, "off": False, "auto": None}[args.verify]
    root = command_benchmark_root(args.benchmark_root)
    numbers: dict = {"benchmark_root": "mini-benchmark" if root.origin == "mini" else root.data_dir,
                     "verify": args.verify}
    with tempfile.TemporaryDirectory() as tmp:
        cache = str(args.cache_dir or tmp)
        start = time.perf_counter()
        cold: dict = {}
        built = build_datasets(root, CONFIG_NAMES, cache, reports=cold, verify_by_execution=verify)
        numbers["cold_build_s"] = round(time.perf_counter() - start, 2)
        verification = sum((r.verification for r in cold.values() if r is not None), Counter())
        numbers["mutant_verification"] = dict(verification)
        start = time.perf_counter()
        reload: dict = {}
        build_datasets(root, CONFIG_NAMES, cache, reports=reload, verify_by_execution=verify)
        numbers["cached_reload_s"] = round(time.perf_counter() - start, 2)
        numbers["regenerated_on_reload"] = any(r is not None for r in reload.values())
        numbers["cache_mb"] = round(_size(Path(cache)) / 1e6, 1)
        numbers["rows"] = {n: {s: dd[s].num_rows for s in dd} for n, dd in built.items()}
        if args.export:
            start = time.perf_counter()
            export(root, args.export, CONFIG_NAMES, cache, verify_by_execution=verify)
            numbers["export_s"] = round(time.perf_counter() - start, 2)
            numbers["export_mb"] = round(_size(args.export) / 1e6, 1)
    rows = [[n, *(c.get(s, 0) for s in ("train", "validation", "test")), sum(c.values())]
            for n, c in numbers["rows"].items()]
    print(format_table(["config", "train", "validation", "test", "total"], rows,
                       title=f"Rows ({numbers['benchmark_root']}, verification {args.verify})"))
    print(f"\ncold build of all three configs: {numbers['cold_build_s']} s; cached reload: "
          f"{numbers['cached_reload_s']} s (regenerated: {numbers['regenerated_on_reload']}); "
          f"Arrow cache {numbers['cache_mb']} MB")
    if numbers["mutant_verification"]:
        print(f"bug_fix mutants verified, by status (only `failed` is kept): {numbers['mutant_verification']}")
    if args.export:
        print(f"export: {numbers['export_s']} s, {numbers['export_mb']} MB of Parquet + card")
    if args.check:
        from polyglot_hrm.dataset.validate import check_rows, summarize

        all_rows = [r for dd in built.values() for s in dd for r in dd[s]]
        start = time.perf_counter()
        summary = summarize(check_rows(all_rows))
        numbers["check_s"] = round(time.perf_counter() - start, 1)
        numbers["check"] = summary
        print(f"\nchecked by execution in {numbers['check_s']} s: {summary['ok']}/{summary['checks']} as expected")
        for key, v in summary["by_config"].items():
            print(f"  {key}: {v['ok']} ok, {v['bad']} not")
        for bad in summary["bad"][:20]:
            print(f"  NOT OK: {bad}")
    if args.json:
        args.json.write_text(json.dumps(numbers, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
