"""The execution reward on a GRPO-shaped batch: rewards per second, ours (cold and warm) against a naive scorer.

    python benchmarks/rewards.py [--benchmark-root DIR] [--jobs 2] [--warm-rounds 2]

The batch is what one GRPO step scores: 8 prompts x 8 completions, mixed languages (the rows are the dataset's
``generation`` rows, :func:`polyglot_hrm.synthesis.examples.generation_row`, carrying the expected tests and the
reference's seconds as the built dataset does). Each prompt's 8 completions, in the ``whole`` edit format: the
reference twice (a group that agrees), the reference with trailing blank lines (right, but other files), the stub
(wrong), one mutant of the reference twice and another once (wrong: :func:`~polyglot_hrm.synthesis.examples.
mutant_pool`), and prose without code (malformed).

* **naive**: what a hand-written reward does — each completion on its own, one after the other, parsed the same way,
  its files laid over a fresh copy of the exercise, run with the track's own commands (``benchmarks/runners.py``'s
  ``naive_command``: pytest, npm test, go test, cargo test, cmake, javac + JUnit) unsandboxed, 1 if every command
  exits 0; a malformed answer 0 without running; 30 s per command.
* **ours cold**: :class:`polyglot_hrm.rewards.ExecutionReward` (``timeout="rl"``, ``--jobs`` workers) made fresh, on a
  runner cache holding the provisioned dependencies but no build artifact (no CMake recipes, Catch2 mains, Java
  runner, Rust seeds, Go build cache: ``benchmarks/runners.py``'s ``cold_context``).
* **ours warm**: the same reward called again with the same batch (nothing is cached between calls but the runner
  cache and the loop executor's provisioning: every distinct completion runs again); median of ``--warm-rounds``.

Prints rewards per second for each, the agreement of the rewards with the naive ones, a per-language table (runs,
seconds summed over runs, the build steps' share) and where a warm call's time goes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from runners import cold_context, naive_command

from polyglot_hrm.execution import RunnerContext, record_expected
from polyglot_hrm.execution.expected import load_reference_seconds
from polyglot_hrm.execution.process import safe_run
from polyglot_hrm.execution.provision import setup_runners
from polyglot_hrm.execution.workspace import workspace, workspace_files
from polyglot_hrm.modelio.chat_format import render_whole
from polyglot_hrm.problems import Problem, load_benchmark, mini_benchmark_root
from polyglot_hrm.rewards import ExecutionReward
from polyglot_hrm.rewards.reward import answer_candidate
from polyglot_hrm.scoring import EditFailure, problem_from_reference, resolve_candidate
from polyglot_hrm.settings import CACHE_ENV, OPT_IN_ENV
from polyglot_hrm.synthesis.examples import generation_row, mutant_pool, solved_files, stub_files
from polyglot_hrm.tables import format_table

#: The languages of the 8 prompts, in order.
PROMPT_LANGUAGES = ["python", "javascript", "go", "rust", "java", "cpp", "python", "javascript"]
NAIVE_TIMEOUT_S = 30
MALFORMED = "I think the bug is in the loop: it should stop one step earlier. Let me know if that helps!"


def pick_problems(problems: list[Problem], ctx: RunnerContext) -> list[Problem]:
    """One problem per prompt language, each with two mutants and a recorded reference (distinct slugs first)."""
    chosen: list[Problem] = []
    for language in PROMPT_LANGUAGES:
        pool = sorted((p for p in problems if p.language == language and p not in chosen),
                      key=lambda p: (p.slug in {c.slug for c in chosen}, p.slug))
        for p in pool:
            if len(mutant_pool(p, 2, seed=0)) == 2:
                chosen.append(p)
                break
        else:
            raise SystemExit(f"no {language} problem with two mutants")
    known = record_expected(chosen, ctx, jobs=2)
    missing = [p.id for p in chosen if p.id not in known]
    if missing:
        raise SystemExit(f"references that do not pass here: {missing}; run `polyglot-hrm validate` first")
    return chosen


def batch(problems: list[Problem], ctx: RunnerContext) -> tuple[list[dict], list[str], list[str]]:
    """Rows (one per completion), completions and their kinds."""
    rows, completions, kinds = [], [], []
    for p in problems:
        row = generation_row(p)
        row["expected_tests"] = sorted(record_expected([p], ctx)[p.id])
        row["reference_seconds"] = load_reference_seconds(p, ctx)
        ref = solved_files(p)
        a, b = mutant_pool(p, 2, seed=0)
        spaced = {path: text + "\n\n" for path, text in ref.items()}
        group = [(ref, "reference"), (ref, "reference"), (spaced, "reference+blank lines"), (stub_files(p), "stub"),
                 ({**ref, a.path: a.mutated}, "mutant"), ({**ref, a.path: a.mutated}, "mutant"),
                 ({**ref, b.path: b.mutated}, "mutant"), (None, "malformed")]
        for files, kind in group:
            rows.append(row)
            completions.append(MALFORMED if files is None else render_whole(files, p.language))
            kinds.append(kind)
    return rows, completions, kinds


def naive_reward(row: dict, text: str, ctx: RunnerContext) -> tuple[float, float]:
    """(reward, seconds) the naive way (module docstring)."""
    start = time.monotonic()
    problem = problem_from_reference(row)
    files = resolve_candidate(row, problem, answer_candidate(row, text, "whole"))
    if isinstance(files, EditFailure):
        return 0.0, time.monotonic() - start
    ok = True
    with workspace(problem.slug, workspace_files(problem, "candidate", files).files) as ws:
        commands, env = naive_command(problem, ws, ctx)
        for argv in commands:
            outcome = safe_run(argv, ws, env, timeout=NAIVE_TIMEOUT_S)
            ok = ok and outcome.returncode == 0 and not outcome.timed_out
            if not ok:
                break
    return float(ok), time.monotonic() - start


def columns(rows: list[dict]) -> dict[str, list]:
    return {k: [r.get(k) for r in rows] for k in rows[0]}


def ours(reward: ExecutionReward, rows: list[dict], completions: list[str]) -> tuple[list, float]:
    start = time.monotonic()
    outcomes = reward.score(completions, **columns(rows))
    return outcomes, time.monotonic() - start


def run(name: str, problems: list[Problem], jobs: int, warm_rounds: int) -> None:
    warm_ctx = RunnerContext()
    languages = sorted({lang for lang in PROMPT_LANGUAGES})
    setup_runners(problems, languages, warm_ctx)
    chosen = pick_problems(problems, warm_ctx)
    rows, completions, kinds = batch(chosen, warm_ctx)
    n = len(completions)
    print(f"[{name}] prompts: {', '.join(p.id for p in chosen)}", file=sys.stderr)

    start = time.monotonic()
    naive = [naive_reward(r, c, warm_ctx) for r, c in zip(rows, completions)]
    naive_wall = time.monotonic() - start
    print(f"[{name}] naive: {naive_wall:.1f} s", file=sys.stderr)

    home_cache = Path.home() / ".cache" / "polyglot-hrm"
    home_cache.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=home_cache, prefix="bench-rewards-cold-"))
    old_cache = os.environ.get(CACHE_ENV)
    try:
        cold = cold_context(warm_ctx, tmp)
        os.environ[CACHE_ENV] = str(cold.cache_dir)  # every run of the reward reads this cache
        reward = ExecutionReward(jobs=jobs, server=False)
        cold_out, cold_wall = ours(reward, rows, completions)
        print(f"[{name}] ours cold: {cold_wall:.1f} s", file=sys.stderr)
        warm = [ours(reward, rows, completions) for _ in range(warm_rounds)]
        warm_out = warm[-1][0]
        warm_wall = statistics.median(w for _, w in warm)
        parse_s = _parse_seconds(rows, completions)
        reward.close()
    finally:
        if old_cache is None:
            os.environ.pop(CACHE_ENV, None)
        else:
            os.environ[CACHE_ENV] = old_cache
        shutil.rmtree(tmp, ignore_errors=True)

    agree = sum((o.reward or 0.0) == r for o, (r, _) in zip(warm_out, naive))
    agree_cold = sum((o.reward or 0.0) == r for o, (r, _) in zip(cold_out, naive))
    runs = len({(id(r), c) for r, c, k in zip(rows, completions, kinds) if k != "malformed"})
    print(format_table(["scorer", "wall s", "rewards/s", "runs", "x naive", "rewards = naive's"], [
        ["naive (serial, unsandboxed)", naive_wall, n / naive_wall, sum(k != "malformed" for k in kinds), 1.0, f"{n}/{n}"],
        [f"ours cold ({jobs} workers)", cold_wall, n / cold_wall, runs, naive_wall / cold_wall, f"{agree_cold}/{n}"],
        [f"ours warm ({jobs} workers)", warm_wall, n / warm_wall, runs, naive_wall / warm_wall, f"{agree}/{n}"],
    ], title=f"[{name}] one GRPO batch: {len(chosen)} prompts x 8 completions"))
    print()
    for label, out in (("cold", cold_out), ("warm", warm_out)):
        for row, kind, o, (r, t) in zip(rows, kinds, out, naive):
            if (o.reward or 0.0) != r:
                took = f"{o.result.duration_s:.1f} s" if o.result else "not run"
                print(f"  differs ({label}): {row['problem_id']} {kind}: ours {o.status} ({took}), naive {r:g} "
                      f"({t:.1f} s)")
    mix = Counter(zip(kinds, [o.status for o in warm_out]))
    print("completions (kind, our status): " + ", ".join(f"{k}/{s} {c}" for (k, s), c in sorted(mix.items())))
    print()
    table = []
    for lang in languages:
        idx = [i for i, r in enumerate(rows) if r["language"] == lang]
        results = {id(warm_out[i].result): warm_out[i].result for i in idx if warm_out[i].result is not None}
        summed = sum(r.duration_s for r in results.values())
        built = [r.build_s for r in results.values() if r.build_s is not None]
        naive_s = sum(naive[i][1] for i in idx)
        table.append([lang, len(idx), len(results), naive_s, summed, sum(built) if built else "one step",
                      f"{sum(built) / summed:.0%}" if built and summed else "", naive_s / summed if summed else ""])
    print(format_table(["language", "completions", "runs (ours)", "naive s", "ours warm s (summed runs)",
                        "build steps s", "build share", "naive/ours per run"], table,
                       title=f"[{name}] per language (seconds summed over runs, not wall time)"))
    print()
    summed = sum(r.duration_s for r in {id(o.result): o.result for o in warm_out if o.result}.values())
    print(format_table(["part of a warm call", "seconds"], [
        ["parsing answers (all 64, client side)", parse_s],
        ["runs, summed over the runs", summed],
        [f"runs, summed / {jobs} workers (the floor a {jobs}-worker pool can reach)", summed / jobs],
        ["wall time of the call", warm_wall],
        ["left: waiting on the slowest run, resolving, scheduling", warm_wall - summed / jobs],
    ], title=f"[{name}] where a warm call's time goes"))
    print()


def _parse_seconds(rows: list[dict], completions: list[str]) -> float:
    start = time.perf_counter()
    for r, c in zip(rows, completions):
        answer_candidate(r, c, "whole")
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--warm-rounds", type=int, default=2)
    parser.add_argument("--benchmark-root", type=Path, default=None, help="also the real benchmark (polyglot layout)")
    parser.add_argument("--skip-mini", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault(OPT_IN_ENV, "1")  # the naive scorer and ours run the batch's code (ours sandboxed)
    if not args.skip_mini:
        run("mini", load_benchmark(mini_benchmark_root()), args.jobs, args.warm_rounds)
    if args.benchmark_root:
        run("real", load_benchmark(args.benchmark_root), args.jobs, args.warm_rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
