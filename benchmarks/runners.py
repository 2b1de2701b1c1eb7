"""Reference validation: our runners (cold and warm caches, both cores) against the naive way.

    python benchmarks/runners.py [--languages cpp,java] [--repeat 3] [--jobs 2]

The naive way, in the same run: each exercise alone, one after the other, in a fresh copy with
the reference in place and skipped tests un-skipped, with its track's plain command — `pytest`;
`npm test` (Jest, with the exercise's installed dependency set); `go test ./...`; `cargo test -- --include-ignored`
(fresh target/); `cmake` + `cmake --build` (whose test target runs the tests); `javac` + the JUnit
console launcher. Ours: `run_many` on the worker pool, sandboxed, first with empty artifact caches
(cold: no CMake recipes, Catch2 mains, Java runner, crate seeds or Go build cache) and then again
(warm). Rows: the mini-benchmark, and the real benchmark when POLYGLOT_BENCHMARK_ROOT is set
(or --benchmark-root). Prints per language the naive and our seconds and ratios, the overall
ratio, the pass counts of each (fidelity), and the median of single warm runs of one Python and
one JavaScript problem. Medians over --repeat rounds (default 3 on the mini-benchmark, 1 on the
real one). Dependencies are provisioned first (`setup-runners`; a no-op when done), so that no
exercise fails for want of a crate or a jar.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from polyglot_hrm.problems import Problem, load_benchmark, mini_benchmark_root
from polyglot_hrm.execution import RunnerContext, RunTask, run_many, run_problem
from polyglot_hrm.execution.process import safe_run
from polyglot_hrm.execution.provision import setup_runners
from polyglot_hrm.execution.workspace import workspace, workspace_files
from polyglot_hrm.languages import LANGUAGES, get_language
from polyglot_hrm.settings import BENCHMARK_ROOT_ENV
from polyglot_hrm.tables import format_table

ORDER = ["cpp", "rust", "java", "javascript", "go", "python"]
# "<benchmark>:<problem id>" -> {"cold": [status per round], "warm": [...]}: fidelity across caches and rounds.
STATUSES: dict[str, dict[str, list[str]]] = {}
# "<benchmark>:<language>" -> where the warm runs' time goes (see _breakdown).
BREAKDOWN: dict[str, list] = {}


def naive_command(problem: Problem, ws: Path, ctx: RunnerContext) -> tuple[list[list[str]], dict[str, str]]:
    env = ctx.base_env()
    lang = problem.language
    if lang == "python":
        return [[sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]], env
    if lang == "javascript":
        (ws / "node_modules").symlink_to(get_language("javascript").modules_dir(ctx, problem))
        return [["npm", "test", "--silent"]], env
    if lang == "go":
        return [["go", "test", "./..."]], {**env, "GOFLAGS": "-mod=mod", "GOPROXY": "off", "GOTOOLCHAIN": "local"}
    if lang == "rust":
        return [["cargo", "test", "--offline", "--", "--include-ignored"]], {**env, "CARGO_HOME": str(ctx.path("cargo"))}
    if lang == "cpp":
        return [["cmake", "-S", ".", "-B", "build", "-DEXERCISM_RUN_ALL_TESTS=ON"], ["cmake", "--build", "build"]], env
    if lang == "java":
        java = get_language("java")
        console, jars = java.classpath(ws, ctx)
        sources = [str(p.relative_to(ws)) for p in (ws / "src").rglob("*.java")]
        cp = ":".join(map(str, [console, *jars]))
        return [["javac", "-d", "classes", "-cp", cp, *sources],
                ["java", "-jar", str(console), "execute", "--class-path", ":".join(["classes", *map(str, jars)]),
                 "--scan-class-path", "classes"]], env
    raise ValueError(lang)


def run_naive(problem: Problem, ctx: RunnerContext) -> tuple[bool, float]:
    start = time.monotonic()
    with workspace(problem.slug, workspace_files(problem, "reference")) as ws:
        commands, env = naive_command(problem, ws, ctx)
        ok = True
        for argv in commands:
            outcome = safe_run(argv, ws, env, timeout=600)
            ok = ok and outcome.returncode == 0
    return ok, time.monotonic() - start


def cold_context(warm: RunnerContext, root: Path) -> RunnerContext:
    """A cache with the provisioned dependencies (copied) and none of the build artifacts."""
    cold = root / "cache"
    (cold / "java").mkdir(parents=True)
    shutil.copytree(warm.path("javascript"), cold / "javascript", symlinks=True)
    if warm.path("cargo").exists():
        shutil.copytree(warm.path("cargo"), cold / "cargo", symlinks=True)
    for child in warm.path("java").iterdir():
        if child.name != "runner":
            shutil.copytree(child, cold / "java" / child.name, symlinks=True)
    return RunnerContext(cache_dir=cold)


def _breakdown(results: list) -> list:
    """Seconds summed over runs (not wall time): all of it, and the build steps alone (compiler and linker)."""
    total = sum(r.duration_s for r in results)
    built = [r.build_s for r in results if r.build_s is not None]
    if not built:
        return [len(results), total, "one step", ""]
    return [len(results), total, sum(built), sum(built) / total]


def bench(name: str, problems: list[Problem], languages: list[str], repeat: int, jobs: int) -> list[list]:
    warm_ctx = RunnerContext()
    # Unprovisioned dependencies (a crate, a jar) fail naive and ours alike, fast: a meaningless timing.
    setup_runners(problems, languages, warm_ctx)
    rows = []
    totals = {"naive": 0.0, "cold": 0.0, "warm": 0.0}
    for lang in languages:
        mine = [p for p in problems if p.language == lang]
        if not mine:
            continue
        naive_s, cold_s, warm_s = [], [], []
        naive_pass = ours_pass = 0
        for _ in range(repeat):
            results = [run_naive(p, warm_ctx) for p in mine]
            naive_s.append(sum(t for _, t in results))
            naive_pass = sum(ok for ok, _ in results)
            home_cache = Path.home() / ".cache" / "polyglot-hrm"
            home_cache.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=home_cache, prefix="bench-cold-") as tmp:
                ctx = cold_context(warm_ctx, Path(tmp))
                for bucket, label in ((cold_s, "cold"), (warm_s, "warm")):
                    start = time.monotonic()
                    out = run_many([RunTask(p, mode="reference") for p in mine], jobs=jobs, ctx=ctx, progress=False)
                    bucket.append(time.monotonic() - start)
                    ours_pass = sum(r.passed for r in out)
                    for r in out:
                        STATUSES.setdefault(f"{name}:{r.problem_id}", {}).setdefault(label, []).append(r.status)
                    if label == "warm":
                        BREAKDOWN[f"{name}:{lang}"] = _breakdown(out)
        n, c, w = (statistics.median(x) for x in (naive_s, cold_s, warm_s))
        totals["naive"] += n
        totals["cold"] += c
        totals["warm"] += w
        rows.append([f"{name}:{lang}", len(mine), f"{naive_pass}/{ours_pass}", n, c, w, n / c, n / w])
        print(f"  {name}:{lang}: naive {n:.1f} s, cold {c:.1f} s, warm {w:.1f} s", file=sys.stderr)
    rows.append([f"{name}:all", sum(p.language in languages for p in problems), "", totals["naive"], totals["cold"], totals["warm"],
                 totals["naive"] / totals["cold"], totals["naive"] / totals["warm"]])
    return rows


def single_runs(repeat: int = 5) -> list[list]:
    problems = {p.language: p for p in load_benchmark(mini_benchmark_root()) if p.slug == "digit-sum"}
    rows = []
    for lang in ("python", "javascript"):
        run_problem(problems[lang], mode="reference")
        times = [run_problem(problems[lang], mode="reference").duration_s for _ in range(repeat)]
        rows.append([lang, statistics.median(times), min(times)])
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--languages", default=",".join(ORDER))
    parser.add_argument("--repeat", type=int, default=None, help="rounds per benchmark (default: 3 mini, 1 real)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--benchmark-root", type=Path, default=os.environ.get(BENCHMARK_ROOT_ENV))
    parser.add_argument("--skip-mini", action="store_true")
    parser.add_argument("--statuses", type=Path, default=None, help="write every run's status here (JSON)")
    args = parser.parse_args()
    languages = [lang for lang in args.languages.split(",") if lang in LANGUAGES]
    rows = []
    if not args.skip_mini:
        rows += bench("mini", load_benchmark(mini_benchmark_root()), languages, args.repeat or 3, args.jobs)
    if args.benchmark_root:
        rows += bench("real", load_benchmark(args.benchmark_root), languages, args.repeat or 1, args.jobs)
    print(format_table(["benchmark:language", "problems", "pass naive/ours", "naive s", "ours cold s", "ours warm s",
                        "naive/cold", "naive/warm"], rows,
                       title=f"Reference validation, naive per-exercise commands vs ours ({args.jobs} workers)"))
    print()
    print(format_table(["benchmark:language", "runs", "run s (summed)", "build steps s", "build share"],
                       [[key, *row] for key, row in BREAKDOWN.items()],
                       title="Where the warm runs' time goes (last round; build steps = the candidate's own compile)"))
    differing = {key: runs for key, runs in STATUSES.items() if len({s for r in runs.values() for s in r}) > 1}
    print(f"\nstatuses identical cold and warm in every round: {len(STATUSES) - len(differing)}/{len(STATUSES)} problems")
    for key, runs in sorted(differing.items()):
        print(f"  differs: {key} {runs}")
    if args.statuses:
        args.statuses.write_text(json.dumps(STATUSES, indent=1, sort_keys=True) + "\n")
    print()
    print(format_table(["language", "median s", "min s"], single_runs(),
                       title="Single warm run of mini digit-sum (reference), 5 runs"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
