"""What the trust hardening of issue 23 costs: the benchmark's references run by the code before it and by this
tree, in the same run, on the same machine.

    python benchmarks/isolation.py --benchmark-root /path/to/polyglot-benchmark [--before REV] [--jobs 2]
                                   [--languages python,javascript] [--repeat 2] [--cache-root DIR] [--json OUT]

``--before`` (default ``3957aa1``, the last commit before the hardening) is checked out into a temporary git
worktree; each tree validates the references (``polyglot-hrm validate --mode reference``) with a runner cache of
its own under ``--cache-root`` (kept between invocations, so a second invocation is warm). A first pass per tree
warms its cache and is not counted (``--no-warm`` skips it where the caches are warm already); then ``--repeat``
timed passes alternate which tree goes first. Printed: per language, the median seconds per reference run (a
run's own ``duration_s``: build and tests, as the verdict's clock measures them), after/before, how many references passed, and each pass's wall time. Time spent provisioning is
never counted. Run it on a quiet machine: other work on the cores moves every number.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from polyglot_hrm.tables import format_table  # noqa: E402

DEFAULT_BEFORE = "3957aa1"


def validate(tree: Path, cache: Path, root: Path, languages: str | None, jobs: int, out: Path) -> float:
    """Wall seconds of one `validate --mode reference` of ``root`` by the code in ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree), "POLYGLOT_HRM_CACHE": str(cache),
           "POLYGLOT_HRM_ALLOW_CODE_EXECUTION": "1"}
    argv = [sys.executable, "-m", "polyglot_hrm.cli", "validate", "--benchmark-root", str(root), "--mode",
            "reference", "--jobs", str(jobs), "-o", str(out)]
    if languages:
        argv += ["--languages", languages]
    start = time.monotonic()
    done = subprocess.run(argv, cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"validate in {tree} failed ({done.returncode}): {done.stderr[-2000:]}")
    return time.monotonic() - start


def results(path: Path) -> list[dict]:
    data = json.loads(path.read_text())
    return data["results"] if isinstance(data, dict) else data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--benchmark-root", type=Path, required=True)
    parser.add_argument("--before", default=DEFAULT_BEFORE, help=f"git revision of the code before (default {DEFAULT_BEFORE})")
    parser.add_argument("--languages", default=None)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1, help="timed passes per tree (default 1)")
    parser.add_argument("--cache-root", type=Path, default=Path(tempfile.gettempdir()) / "polyglot-hrm-isolation-bench")
    parser.add_argument("--json", type=Path, default=None, help="write every run's seconds here")
    parser.add_argument("--no-warm", dest="warm", action="store_false",
                        help="skip the untimed first pass (the caches under --cache-root are warm already)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="isolation-bench-"))
    before_tree = work / "before"
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(before_tree), args.before],
                   check=True, capture_output=True)
    trees = {"before": before_tree, "after": REPO}
    seconds: dict[str, dict[str, list[float]]] = {name: {} for name in trees}
    walls: dict[str, list[float]] = {name: [] for name in trees}
    passed: dict[str, dict[str, int]] = {}
    try:
        for name, tree in trees.items() if args.warm else ():  # warm each cache: provisioning, expected tests, ...
            validate(tree, args.cache_root / name, args.benchmark_root, args.languages, args.jobs, work / "warm.json")
        for i in range(args.repeat):
            order = list(trees) if i % 2 == 0 else list(reversed(trees))
            for name in order:
                out = work / f"{name}-{i}.json"
                walls[name].append(validate(trees[name], args.cache_root / name, args.benchmark_root,
                                            args.languages, args.jobs, out))
                runs = results(out)
                for r in runs:
                    lang = r["problem_id"].split("/")[0]
                    seconds[name].setdefault(lang, []).append(r["duration_s"])
                passed[name] = {lang: sum(r["status"] == "passed" for r in runs if r["problem_id"].startswith(lang + "/"))
                                for lang in seconds[name]}
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(before_tree)], capture_output=True)

    rows = []
    for lang in sorted(seconds["after"]):
        b, a = statistics.median(seconds["before"][lang]), statistics.median(seconds["after"][lang])
        runs = len(seconds["after"][lang]) // args.repeat
        rows.append([lang, runs, f"{passed['before'][lang]}/{runs}", f"{passed['after'][lang]}/{runs}",
                     f"{b:.3f}", f"{a:.3f}", f"{a / b:.2f}"])
    print(format_table(["language", "references", "passed before", "passed after", "median s before",
                        "median s after", "after/before"], rows,
                       title=f"Median seconds per reference run ({args.repeat} timed pass(es), --jobs {args.jobs})"))
    print()
    print(format_table(["code", "validate wall s (each pass)"],
                       [[name, ", ".join(f"{w:.1f}" for w in walls[name])] for name in trees],
                       title="validate wall time"))
    if args.json:
        args.json.write_text(json.dumps({"seconds": seconds, "walls": walls, "passed": passed}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
