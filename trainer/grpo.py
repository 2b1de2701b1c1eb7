"""GRPO with the execution reward: `accelerate launch trainer/grpo.py --recipe trainer/recipes/grpo/tiny.yaml`.

Thin entry point (loaded by path, as `accelerate launch` expects); the job is `polyglot_hrm.training.grpo.run_grpo`,
the recipe format `polyglot_hrm.training.grpo_config`. Overrides are `section.field=value` (value parsed as YAML):

    POLYGLOT_HRM_ALLOW_CODE_EXECUTION=1 accelerate launch --config_file trainer/accelerate/cpu_multi.yaml \\
        trainer/grpo.py --recipe trainer/recipes/grpo/tiny.yaml --output-dir runs/grpo-tiny \\
        policy.path=runs/tiny grpo_args.max_steps=3

The reward runs every completion's code: set POLYGLOT_HRM_ALLOW_CODE_EXECUTION=1 (the sandbox confines each run).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from polyglot_hrm.execution.commands import as_flags, flags_of
from polyglot_hrm.execution.sandbox import ExecutionNotAllowed
from polyglot_hrm.settings import BENCHMARK_ROOT_HELP, command_benchmark_root
from polyglot_hrm.training.config import RecipeError
from polyglot_hrm.training.grpo import run_grpo
from polyglot_hrm.training.grpo_config import load_grpo_recipe
from polyglot_hrm.training.run import shutdown_process_group

#: Mistakes in the command, reported as one line (no traceback) before any work.
USAGE_ERRORS = (RecipeError, ExecutionNotAllowed, FileNotFoundError)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--recipe", type=Path, required=True,
                   help="GRPO recipe YAML (trainer/recipes/grpo/tiny.yaml, hrm-27m.yaml, qwen-coder-chat.yaml)")
    p.add_argument("--benchmark-root", type=Path, default=None, metavar="DIR", help=BENCHMARK_ROOT_HELP)
    p.add_argument("--output-dir", type=Path, default=None,
                   help="the trained model, its tokenizer and checkpoints (default: runs/grpo-<recipe name>)")
    p.add_argument("--cache-dir", type=Path, default=None, help="datasets cache (default: the HF datasets cache)")
    p.add_argument("overrides", nargs="*", help="section.field=value, e.g. grpo_args.max_steps=2 policy.path=runs/tiny")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    rank, world = int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))
    prefix = f"[rank {rank}/{world}] " if world > 1 else ""
    logging.basicConfig(level=logging.INFO if rank == 0 else logging.WARNING,
                        format=f"%(asctime)s {prefix}%(levelname)s %(name)s: %(message)s")
    me = f"grpo.py{' ' + prefix.strip() if prefix else ''}"
    try:
        recipe = load_grpo_recipe(args.recipe, args.overrides)
        root = command_benchmark_root(args.benchmark_root)
    except USAGE_ERRORS as err:
        print(f"{me}: error: {as_flags(str(err), flags_of(build_parser()))}", file=sys.stderr)
        return 2
    try:
        outcome = run_grpo(recipe, args.output_dir or Path("runs") / f"grpo-{args.recipe.stem}", root, args.cache_dir)
    except (RecipeError, ExecutionNotAllowed) as err:  # found as the run starts (a file missing later is a fault)
        print(f"{me}: error: {as_flags(str(err), flags_of(build_parser()))}", file=sys.stderr)
        return 2
    logging.getLogger("trainer").info("done in %.1f s: %s", outcome.seconds, outcome.output_dir)
    shutdown_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
