"""Train the polyglot HRM: `accelerate launch trainer/train.py --recipe trainer/recipes/tiny.yaml`.

Thin entry point (loaded by path, as `accelerate launch` expects); the job is
`polyglot_hrm.training.run.train`. Overrides are `section.field=value` (value parsed as YAML), e.g.

    accelerate launch --config_file trainer/accelerate/cpu_multi.yaml trainer/train.py \
        --recipe trainer/recipes/tiny.yaml --output-dir runs/tiny training_args.max_steps=20
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Mapping

from polyglot_hrm.execution.commands import as_flags, flags_of
from polyglot_hrm.outputs import OutputError, write_fault
from polyglot_hrm.settings import BENCHMARK_ROOT_HELP, command_benchmark_root
from polyglot_hrm.training.checkpoints import CheckpointError, RunExistsError
from polyglot_hrm.training.config import RecipeError, load_recipe
from polyglot_hrm.training.run import TokenizerMismatchError, shutdown_process_group, train

#: Mistakes in the command, reported as one line (no traceback) before or instead of any work.
USAGE_ERRORS = (RecipeError, RunExistsError, CheckpointError, TokenizerMismatchError, OutputError, FileNotFoundError)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--recipe", type=Path, required=True, help="recipe YAML (trainer/recipes/tiny.yaml, hrm-27m.yaml)")
    p.add_argument("--benchmark-root", type=Path, default=None, metavar="DIR", help=BENCHMARK_ROOT_HELP)
    p.add_argument("--output-dir", type=Path, default=None,
                   help="checkpoints, final model and tokenizer (default: runs/<recipe name>)")
    p.add_argument("--cache-dir", type=Path, default=None, help="datasets cache (default: the HF datasets cache)")
    p.add_argument("--resume-from-checkpoint", default=None, metavar="PATH|auto",
                   help="continue from a checkpoint directory, or 'auto' for the newest complete one in --output-dir")
    p.add_argument("--overwrite-output-dir", action="store_true",
                   help="start over in an --output-dir that holds an earlier run's checkpoints: what that run wrote is "
                        "removed (files polyglot-hrm did not write never are). Without it such a folder is refused.")
    p.add_argument("--push-to-hub", action="store_true",
                   help="push model + tokenizer at the end (set training_args.hub_model_id=user/name)")
    p.add_argument("overrides", nargs="*", help="section.field=value, e.g. training_args.max_steps=20")
    return p


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    return build_parser().parse_args(argv)


def log_settings(environ: Mapping[str, str] = os.environ) -> tuple[int, str]:
    """(level, format) of this process's log. In a run of several processes each line says which rank wrote it,
    and only the main one logs INFO (the others would repeat every line): the rest log warnings and errors."""
    rank, world = int(environ.get("RANK", "0")), int(environ.get("WORLD_SIZE", "1"))
    prefix = f"[rank {rank}/{world}] " if world > 1 else ""
    return (logging.INFO if rank == 0 else logging.WARNING), f"%(asctime)s {prefix}%(levelname)s %(name)s: %(message)s"


def _me(environ: Mapping[str, str] = os.environ) -> str:
    """``train.py``, with ``[rank R/W]`` in a run of several processes (each says what it saw)."""
    rank, world = int(environ.get("RANK", "0")), int(environ.get("WORLD_SIZE", "1"))
    return f"train.py [rank {rank}/{world}]" if world > 1 else "train.py"


def usage_error_text(err: BaseException, environ: Mapping[str, str] = os.environ) -> str:
    """The one-line report of a mistake in the command. Under a launcher (several processes) every rank finds
    the same mistake and says it, prefixed with its rank, and the main one adds that the launcher's traceback
    after it (torchrun's ``ChildFailedError``, which ``accelerate launch`` prints on any nonzero exit) is only
    that launcher reporting this exit."""
    rank, world = int(environ.get("RANK", "0")), int(environ.get("WORLD_SIZE", "1"))
    text = f"{_me(environ)}: error: {as_flags(str(err), flags_of(build_parser()))}"  # the library names parameters
    if world <= 1:
        return text
    if rank == 0:
        text += ("\ntrain.py: the launcher's ChildFailedError traceback that follows only reports this exit "
                 "(exit code 2); the error above is the cause")
    return text


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    level, fmt = log_settings()
    logging.basicConfig(level=level, format=fmt)
    output_dir = args.output_dir or Path("runs") / args.recipe.stem
    rerun = (f"rerun with --resume-from-checkpoint auto to continue from the newest complete checkpoint in "
             f"{output_dir} (one a fault left incomplete is skipped), or with --overwrite-output-dir to start over")
    try:
        return _run(args, output_dir)
    except USAGE_ERRORS as err:
        print(usage_error_text(err), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\n{_me()}: interrupted; {rerun}", file=sys.stderr)
        return 130
    except Exception as err:
        fault = write_fault(err)
        if fault is None:
            raise
        print(f"train.py: error: {fault}. Free some space (or choose another --output-dir), then {rerun}",
              file=sys.stderr)
        return 1


def _run(args: argparse.Namespace, output_dir: Path) -> int:
    recipe = load_recipe(args.recipe, args.overrides)
    root = command_benchmark_root(args.benchmark_root)  # the one rule (polyglot_hrm.settings), logged
    if os.environ.get("ACCELERATE_USE_CPU", "").lower() in ("1", "true") and "WORLD_SIZE" not in os.environ:
        # `accelerate launch --cpu --num_processes N` starts ONE process unless mpirun is configured.
        logging.getLogger("trainer").warning(
            "running as a single CPU process: accelerate starts several CPU processes only through mpirun. For N "
            "processes with gloo use `accelerate launch --config_file trainer/accelerate/cpu_multi.yaml` (or "
            "`--multi_gpu --num_processes N` / `torchrun --nproc_per_node N` on a machine without GPUs).")
    outcome = train(recipe, output_dir, benchmark_root=root, cache_dir=args.cache_dir,
                    resume_from_checkpoint=args.resume_from_checkpoint, push_to_hub=args.push_to_hub,
                    overwrite_output_dir=args.overwrite_output_dir)
    logging.getLogger("trainer").info("done in %.1f s: %s", outcome.seconds, outcome.output_dir)
    shutdown_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
