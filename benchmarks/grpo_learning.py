"""Does GRPO with the execution reward teach the tiny HRM anything? Pass rates by execution before and after.

1. An under-trained SFT checkpoint: the tiny recipe (`trainer/recipes/tiny.yaml`: its 8 training rows, each
   language's shortest) trained for `--sft-steps` steps instead of 150.
2. Before: `--samples` answers per training row, sampled at `--temperature` with fixed seeds (one seed per row and
   sample: `modelio.sampling.SeededSampling`, so a row's answers do not depend on its batch), each scored by the
   execution reward (`polyglot_hrm.rewards.ExecutionReward`, the HRM's answer format). A row's pass rate is the share
   of its samples that pass.
3. The rows GRPO can learn from: pass rate in [0.1, 0.9] (a group all right or all wrong has no advantage, so no
   gradient). GRPO (`polyglot_hrm.training.grpo.run_grpo`, the `grpo/tiny` recipe: `--num-generations` completions
   per prompt, `--grpo-steps` steps, one process) on those rows only.
4. After: the same sampling, the same seeds, on the GRPO model.

Prints the table (pass rate per row before/after, the mean execution reward over the GRPO rows and over all rows),
the reward per GRPO step and the wall time of each phase; writes `grpo_learning.json` under `--output-dir`.

    POLYGLOT_HRM_ALLOW_CODE_EXECUTION=1 python benchmarks/grpo_learning.py --output-dir runs/grpo-learning

The rows are training rows of the SFT run (the tiny recipe learns a slice by heart): this measures whether the
reward moves the policy, not generalisation. Uses the built-in mini-benchmark unless `--benchmark-root` is given.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from polyglot_hrm.modelio.generation import generate_answers  # noqa: E402
from polyglot_hrm.rewards import REWARD_COLUMNS, ExecutionReward, RewardOutcome  # noqa: E402
from polyglot_hrm.settings import BENCHMARK_ROOT_HELP, command_benchmark_root  # noqa: E402
from polyglot_hrm.training.config import load_recipe  # noqa: E402
from polyglot_hrm.training.grpo import load_policy, run_grpo  # noqa: E402
from polyglot_hrm.training.grpo_config import load_grpo_recipe  # noqa: E402
from polyglot_hrm.training.run import train  # noqa: E402

logger = logging.getLogger("grpo_learning")

#: The tiny SFT recipe's dataset options (the GRPO rows must be the rows it trained on).
TINY_DATA = ["data.configs=[generation, diff_edit, transfer]", "data.max_diff_examples_per_problem=2",
             "data.max_transfer_examples_per_pair=1", "data.verify_by_execution=false"]


def sft(out: Path, steps: int, root: Any, cache_dir: Path | None) -> tuple[Path, list[dict[str, Any]], float]:
    """The under-trained SFT checkpoint, its training rows and the seconds it took (reused when already there)."""
    folder = out / f"sft-{steps}"
    rows_file = folder / "train_rows.json"
    if rows_file.is_file():
        return folder, json.loads(rows_file.read_text()), 0.0
    recipe = load_recipe("tiny", [f"training_args.max_steps={steps}", "training_args.eval_strategy=no",
                                  f"training_args.save_steps={steps}", "training_args.logging_steps=10"])
    outcome = train(recipe, folder, benchmark_root=root, cache_dir=cache_dir, overwrite_output_dir=True)
    rows = [dict(r) for r in outcome.train_rows]
    rows_file.write_text(json.dumps(rows))
    return folder, rows, outcome.seconds


def sample_and_score(model: Any, tokenizer: Any, rows: Sequence[dict[str, Any]], samples: int, temperature: float,
                     max_new_tokens: int, seed: int, reward: ExecutionReward) -> list[list[RewardOutcome]]:
    """`samples` answers per row (seed per row and sample), each row's reward outcomes."""
    expanded = [row for row in rows for _ in range(samples)]
    seeds = [seed * 100_003 + i for i in range(len(expanded))]
    answers = generate_answers(model, tokenizer, expanded, temperature=temperature, max_new_tokens=max_new_tokens,
                               batch_size=8, seeds=seeds, progress=False)
    texts = [a[0] for a in answers]
    columns = {c: [row.get(c) for row in expanded] for c in REWARD_COLUMNS}
    outcomes = reward.score(texts, **columns)
    return [outcomes[i * samples:(i + 1) * samples] for i in range(len(rows))]


def pass_rate(outcomes: Sequence[RewardOutcome]) -> float:
    judged = [o.reward for o in outcomes if o.reward is not None]
    return sum(judged) / len(judged) if judged else float("nan")


def statuses(outcomes: Sequence[RewardOutcome]) -> str:
    """`passed 3, failed 4, malformed 1`: what the samples came to."""
    counts = Counter(o.status for o in outcomes)
    return ", ".join(f"{k} {v}" for k, v in counts.most_common())


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def run(args: argparse.Namespace) -> dict[str, Any]:
    torch.set_num_threads(1)
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    root = command_benchmark_root(args.benchmark_root)
    timings: dict[str, float] = {}
    folder, rows, timings["sft_s"] = sft(out, args.sft_steps, root, args.cache_dir)
    reward = ExecutionReward(edit_format="hrm", benchmark_root=root, server=False, jobs=args.jobs)
    sampling = dict(samples=args.samples, temperature=args.temperature, max_new_tokens=args.max_new_tokens,
                    seed=args.seed, reward=reward)

    start = time.perf_counter()
    policy = load_grpo_recipe("tiny", [f"policy.path={folder}"]).policy_config()
    model, tokenizer = load_policy(policy)
    before = sample_and_score(model, tokenizer, rows, **sampling)
    timings["sample_before_s"] = time.perf_counter() - start
    chosen = [i for i, r in enumerate(before) if args.low <= pass_rate(r) <= args.high]
    logger.info("%d of %d rows have a sampled pass rate in [%.1f, %.1f]", len(chosen), len(rows), args.low, args.high)
    result: dict[str, Any] = {"settings": vars(args) | {"benchmark_root": str(root)}, "rows": [], "curve": [],
                              "qualifying": len(chosen), "timings": timings}
    after: list[list[RewardOutcome]] = [[] for _ in rows]
    if chosen:
        start = time.perf_counter()
        recipe = load_grpo_recipe("tiny", [
            f"policy.path={folder}", *TINY_DATA, f"data.ids={json.dumps([rows[i]['id'] for i in chosen])}",
            "data.max_rows=null", f"grpo_args.num_generations={args.num_generations}",
            f"grpo_args.per_device_train_batch_size={args.num_generations}",
            f"grpo_args.max_completion_length={args.max_new_tokens}", f"grpo_args.temperature={args.temperature}",
            f"grpo_args.max_steps={args.grpo_steps}", f"grpo_args.learning_rate={args.learning_rate}",
            f"grpo_args.seed={args.seed}"])
        outcome = run_grpo(recipe, out / "grpo", root, args.cache_dir)
        timings["grpo_s"] = time.perf_counter() - start
        result["curve"] = [{"step": h["step"], "reward": h["rewards/execution_reward/mean"],
                            "reward_std": h.get("reward_std"), "rows": None}
                           for h in outcome.log_history if "rewards/execution_reward/mean" in h]
        start = time.perf_counter()
        tuned = outcome.model.eval()
        after = sample_and_score(tuned, tokenizer, rows, **sampling)
        timings["sample_after_s"] = time.perf_counter() - start
    reward.close()
    for i, row in enumerate(rows):
        result["rows"].append({"id": row["id"], "language": row["language"], "task": row["task"],
                               "grpo": i in chosen, "before": pass_rate(before[i]),
                               "after": pass_rate(after[i]) if after[i] else None,
                               "statuses_before": statuses(before[i]), "statuses_after": statuses(after[i])})
    grpo_rows = [r for r in result["rows"] if r["grpo"]]
    result["mean_reward"] = {
        "grpo_rows_before": mean([r["before"] for r in grpo_rows]),
        "grpo_rows_after": mean([r["after"] for r in grpo_rows]) if chosen else None,
        "all_rows_before": mean([r["before"] for r in result["rows"]]),
        "all_rows_after": mean([r["after"] for r in result["rows"]]) if chosen else None,
    }
    (out / "grpo_learning.json").write_text(json.dumps(result, indent=1, default=str))
    return result


def table(result: dict[str, Any]) -> str:
    samples = result["settings"]["samples"]
    lines = [f"| row | GRPO row | pass rate before ({samples} samples) | after | samples before | samples after |",
             "|---|---|---|---|---|---|"]
    for r in result["rows"]:
        after = "-" if r["after"] is None else f"{r['after']:.3f}"
        lines.append(f"| {r['id']} | {'yes' if r['grpo'] else 'no'} | {r['before']:.3f} | {after} | "
                     f"{r['statuses_before']} | {r['statuses_after'] or '-'} |")
    m = result["mean_reward"]
    fmt = lambda v: "-" if v is None else f"{v:.3f}"  # noqa: E731
    lines += ["", f"rows with a pass rate in [{result['settings']['low']}, {result['settings']['high']}]: "
                  f"{result['qualifying']} of {len(result['rows'])}",
              f"mean execution reward, GRPO rows: {fmt(m['grpo_rows_before'])} before, {fmt(m['grpo_rows_after'])} after",
              f"mean execution reward, all rows:  {fmt(m['all_rows_before'])} before, {fmt(m['all_rows_after'])} after"]
    if result["curve"]:
        lines += ["", "GRPO step: mean execution reward of its group",
                  " ".join(f"{c['step']}:{c['reward']:.2f}" for c in result["curve"])]
    lines += ["", "wall time: " + ", ".join(f"{k} {v:.0f} s" for k, v in result["timings"].items())]
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--output-dir", type=Path, default=Path("runs/grpo-learning"))
    p.add_argument("--benchmark-root", type=Path, default=None, help=BENCHMARK_ROOT_HELP)
    p.add_argument("--cache-dir", type=Path, default=None, help="datasets cache (default: the HF datasets cache)")
    p.add_argument("--sft-steps", type=int, default=60, help="SFT steps of the tiny recipe (default 60 of its 150)")
    p.add_argument("--samples", type=int, default=8, help="answers sampled per row, before and after (default 8)")
    p.add_argument("--temperature", type=float, default=1.0, help="sampling temperature, also GRPO's (default 1.0)")
    p.add_argument("--max-new-tokens", type=int, default=192, help="answer tokens at most (default 192)")
    p.add_argument("--low", type=float, default=0.1, help="lowest pass rate of a GRPO row (default 0.1)")
    p.add_argument("--high", type=float, default=0.9, help="highest pass rate of a GRPO row (default 0.9)")
    p.add_argument("--num-generations", type=int, default=8, help="GRPO group size (default 8)")
    p.add_argument("--grpo-steps", type=int, default=16, help="GRPO steps, one group each (default 16)")
    p.add_argument("--learning-rate", type=float, default=1e-3, help="GRPO learning rate (default 1e-3)")
    p.add_argument("--jobs", type=int, default=2, help="test runs in parallel (default 2)")
    p.add_argument("--seed", type=int, default=0)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    result = run(build_parser().parse_args(argv))
    print(table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
