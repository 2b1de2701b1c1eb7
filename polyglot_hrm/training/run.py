"""The training job behind `accelerate launch trainer/train.py --recipe ...` (and `polyglot-hrm demo`).

`train(recipe, output_dir)`: rows from the dataset builder -> tokenizer (trained on the training rows, or
loaded) -> HRM from the recipe's model section -> `PolyglotTrainer` with the curriculum sampler, the
collator and the execution-evaluation callback -> checkpoints, final model + tokenizer in `output_dir`.
Resumes from a checkpoint, pushes to the Hub when the training arguments say so.
"""

from __future__ import annotations

import json
import logging
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..dataset.export import check_datasets_cache
from ..dataset.fingerprint import data_hash
from ..modelio.prompt_format import prompt_layout_fields
from ..modelio.tokenizer import load_tokenizer
from ..outputs import atomic_write_text
from ..provenance import collect, git_state, rows_digest, weights_digest
from ..settings import RootArg, resolve_benchmark_root, world_size
from . import data  # data.load_rows etc.: looked up at each call (tests replace them)
from .callbacks import ExecutionEvalCallback
from .checkpoints import check_output_dir, prepare_output_dir, record_run_outputs, resolve_resume
from .collator import PolyglotCollator
from .config import PolyglotTrainingConfig, Recipe
from .sampler import CurriculumSampler
from .trainer import PolyglotTrainer

__all__ = ["PROVENANCE_FILE", "TrainOutcome", "build_model", "get_tokenizer", "train", "training_provenance"]

logger = logging.getLogger(__name__)

TOKENIZER_DIR = "tokenizer"
TOKENIZER_SETTINGS = "polyglot_tokenizer.json"  # what the stored tokenizer was trained with
PROVENANCE_FILE = "provenance.json"  # where the run came from (polyglot_hrm.provenance)


class TokenizerMismatchError(ValueError):
    """A tokenizer stored by an earlier run whose settings differ from the recipe's."""


@dataclass
class TrainOutcome:
    """What a run produced: where, its log history, the held-out rows the callback evaluated, timings."""

    output_dir: Path
    log_history: list[dict[str, Any]]
    eval_rows: list[dict[str, Any]] = field(default_factory=list)
    train_rows: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    model: Any = None
    tokenizer: Any = None


def get_tokenizer(config: PolyglotTrainingConfig, train_rows: list[dict[str, Any]], output_dir: Path):
    """The recipe's tokenizer, else one saved by an earlier run in `output_dir` (when trained with the recipe's
    settings; else an error naming both), else a new one trained on the training rows (by the main process;
    the others wait and load it)."""
    from accelerate import PartialState

    if config.tokenizer_path:
        return load_tokenizer(config.tokenizer_path)
    saved = output_dir / TOKENIZER_DIR
    state = PartialState()
    with state.main_process_first():
        if not (saved / "tokenizer.json").is_file():
            tokenizer = data.train_tokenizer_on_rows(train_rows, config.vocab_size)
            tokenizer.save_pretrained(saved)
            atomic_write_text(saved / TOKENIZER_SETTINGS, json.dumps(tokenizer_settings(config)))
            logger.info("trained a %d-token tokenizer on %d rows -> %s", len(tokenizer), len(train_rows), saved)
    tokenizer = load_tokenizer(saved)
    check_stored_tokenizer(saved, tokenizer, config)
    return tokenizer


def tokenizer_settings(config: PolyglotTrainingConfig) -> dict[str, Any]:
    """The recipe settings a trained tokenizer depends on."""
    return {"vocab_size": config.vocab_size}


def check_stored_tokenizer(folder: Path, tokenizer: Any, config: PolyglotTrainingConfig) -> None:
    """An earlier run's tokenizer is reused only when trained with the recipe's settings."""
    try:
        stored = json.loads((folder / TOKENIZER_SETTINGS).read_text())
    except (OSError, ValueError):
        # Saved before settings were recorded: a vocabulary larger than asked cannot be the recipe's.
        if len(tokenizer) <= config.vocab_size:
            logger.warning("%s: reusing a tokenizer of %d tokens saved without its settings", folder, len(tokenizer))
            return
        stored = {"vocab_size": f"{len(tokenizer)} tokens"}
    _compare_tokenizer_settings(folder, stored, config)


def check_stored_tokenizer_settings(folder: Path, config: PolyglotTrainingConfig) -> None:
    """The same check from the recorded settings alone, before any data is built."""
    try:
        stored = json.loads((folder / TOKENIZER_SETTINGS).read_text())
    except (OSError, ValueError):
        return  # none recorded: checked against the tokenizer itself once it is loaded
    _compare_tokenizer_settings(folder, stored, config)


def _compare_tokenizer_settings(folder: Path, stored: dict[str, Any], config: PolyglotTrainingConfig) -> None:
    differ = {k: (stored.get(k), v) for k, v in tokenizer_settings(config).items() if stored.get(k) != v}
    if differ:
        detail = ", ".join(f"{k}={theirs} there, polyglot.{k}={ours} in the recipe"
                           for k, (theirs, ours) in differ.items())
        raise TokenizerMismatchError(
            f"{folder}: the tokenizer an earlier run stored was trained with other settings ({detail}). Pass "
            f"`overwrite_output_dir=True` to start over with a new one, set the recipe to match, or choose another "
            f"`output_dir`.")


def build_model(model_fields: dict[str, Any], tokenizer: Any):
    """An `HRMForCausalLM` from the recipe's model section, with the tokenizer's vocabulary and special ids;
    `init_from: PATH` in the section loads a checkpoint instead."""
    from transformers import AutoModelForCausalLM

    from hrm_modeling import HRMConfig, HRMForCausalLM

    fields = dict(model_fields)
    init_from = fields.pop("init_from", None)
    if init_from:
        return AutoModelForCausalLM.from_pretrained(init_from, **fields)
    fields.update(vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
                  eos_token_id=tokenizer.eos_token_id, **prompt_layout_fields(tokenizer))
    # On by default for a new model: it reads its prompt block and puzzle id from the ids (HRMConfig), so a
    # caller that passes ids alone (TRL's GRPOTrainer, a plain `generate`) sees what training saw.
    fields.setdefault("derive_prompt_inputs", True)
    return HRMForCausalLM(HRMConfig(**fields))


def _total_samples(args: Any, train_size: int, world: int) -> int:
    """Draws over the whole run, which sets the curriculum's pace."""
    per_step = args.per_device_train_batch_size * args.gradient_accumulation_steps * world
    if args.max_steps and args.max_steps > 0:
        return args.max_steps * per_step
    return max(1, math.ceil(args.num_train_epochs * train_size))


def train(recipe: Recipe, output_dir: str | Path, benchmark_root: RootArg = None,
          resume_from_checkpoint: str | bool | None = None, cache_dir: str | Path | None = None,
          push_to_hub: bool = False, overwrite_output_dir: bool = False) -> TrainOutcome:
    """Run the recipe; returns what it produced (see `TrainOutcome`).

    ``output_dir`` holding an earlier run's checkpoints is refused unless ``resume_from_checkpoint`` (a path,
    or "auto": the newest complete checkpoint) or ``overwrite_output_dir`` (start over: remove what that run
    wrote) is given (:mod:`.checkpoints`). ``benchmark_root`` None: ``$POLYGLOT_BENCHMARK_ROOT``, else the built-in
    mini-benchmark (:func:`polyglot_hrm.settings.resolve_benchmark_root`, logged)."""
    from accelerate import PartialState
    from transformers import TrainingArguments, set_seed


    start = time.perf_counter()
    root = resolve_benchmark_root(benchmark_root, name="benchmark_root")  # before any work; every rank reads it
    output_dir = Path(output_dir)
    resume = None if resume_from_checkpoint in (None, False, "") else \
        "auto" if resume_from_checkpoint is True else str(resume_from_checkpoint)
    check_output_dir(output_dir, resume, overwrite_output_dir)  # before any work
    check_datasets_cache(cache_dir)
    checkpoint = resolve_resume(output_dir, resume)
    config = recipe.training_config()
    if not config.tokenizer_path and not (overwrite_output_dir and not resume):
        check_stored_tokenizer_settings(output_dir / TOKENIZER_DIR, config)
    args_fields = {"per_device_train_batch_size": config.batch_size, "per_device_eval_batch_size": config.batch_size,
                   "seed": config.seed, **recipe.training_args}
    if push_to_hub:
        args_fields["push_to_hub"] = True
    if _distributed_without_gpu():
        # A launcher started several processes on a machine without GPUs: train on CPU with gloo (accelerate
        # only picks MULTI_CPU when told the run is on CPU).
        args_fields.setdefault("use_cpu", True)
    args = TrainingArguments(output_dir=str(output_dir), **args_fields)
    _ = args.device  # initialise the distributed state as the Trainer will (cpu / gloo included)
    state = PartialState()
    logger.info("processes: %d (%s)", state.num_processes, state.distributed_type)
    set_seed(args.seed)
    if state.is_main_process:
        prepare_output_dir(output_dir, overwrite_output_dir and not resume)
    state.wait_for_everyone()
    before = {p.name for p in output_dir.iterdir()}

    with state.main_process_first():  # the main process builds the Arrow cache, the others reload it
        rows = data.load_rows(config, root, cache_dir)
    train_rows = rows.get("train", [])
    if not train_rows:
        raise ValueError(f"no training rows for configs {config.configs} under {root.data_dir} (from "
                         f"{root.source}); check the benchmark root and the recipe's filters")
    tokenizer = get_tokenizer(config, train_rows, output_dir)
    model = build_model(recipe.model, tokenizer)
    names = model.config.puzzle_identifier_names
    train_data = data.tokenize_rows(train_rows, tokenizer, config.max_sequence_length, names,
                                    progress=state.is_main_process)
    held_out = [row for split in config.eval_splits for row in rows.get(split, [])]
    eval_data = data.tokenize_rows(held_out, tokenizer, config.max_sequence_length, names) if held_out else None
    logger.info("model: %.2fM parameters; %d training examples, %d held-out", model.num_parameters() / 1e6,
                len(train_data), len(eval_data or []))

    sampler = CurriculumSampler(
        train_data.difficulties, train_data.languages, train_data.tasks,
        total_samples=_total_samples(args, len(train_data), state.num_processes),
        language_weights=config.language_weights, mixing_ratio=config.cross_language_mixing_ratio,
        curriculum=config.curriculum_learning, pacing=config.curriculum_pacing, start=config.curriculum_start,
        full_at=config.curriculum_full_at, seed=config.seed)
    trainer = PolyglotTrainer(model=model, args=args, train_dataset=train_data,
                              eval_dataset=eval_data if eval_data and len(eval_data) else None,
                              data_collator=PolyglotCollator(tokenizer.pad_token_id, model_config=model.config),
                              processing_class=tokenizer,
                              train_sampler=sampler)
    eval_rows = (data.select_eval_rows(held_out, config.eval_num_problems, config.seed)
                 if config.eval_num_problems else [])
    if eval_rows:  # eval_num_problems: 0 turns evaluation by execution off, without a warning at each evaluate
        ExecutionEvalCallback(eval_rows, tokenizer, num_samples=config.eval_num_samples,
                              generation=config.eval_generation, timeout=config.eval_timeout,
                              executor=config.eval_executor, ray_address=config.eval_ray_address).attach(trainer)

    trainer.train(resume_from_checkpoint=checkpoint)
    if eval_rows and not _evaluated_at(trainer.state.log_history, trainer.state.global_step):
        trainer.evaluate()  # the callback runs on every evaluate: make sure the final model is scored
    trainer.save_model(str(output_dir))
    trainer.save_state()
    if state.is_main_process:
        atomic_write_text(output_dir / "polyglot_training_config.json", json.dumps(
            {"recipe": str(recipe.path) if recipe.path else None, "polyglot": recipe.polyglot, "model": recipe.model,
             "training_args": recipe.training_args, "num_processes": state.num_processes,
             "distributed_type": str(state.distributed_type)}, indent=1, default=str))
        provenance = training_provenance(recipe, root, output_dir, train_rows, args.seed, state.num_processes)
        atomic_write_text(output_dir / PROVENANCE_FILE, json.dumps(provenance, indent=1))
        record_run_outputs(output_dir, before)
    if args.push_to_hub:
        trainer.push_to_hub(commit_message="polyglot-hrm training run")
    seconds = time.perf_counter() - start
    logger.info("training done in %.1f s; model and tokenizer in %s", seconds, output_dir)
    return TrainOutcome(output_dir, list(trainer.state.log_history), list(eval_rows), list(train_data.rows),
                        seconds, model=trainer.model, tokenizer=tokenizer)


def training_provenance(recipe: Recipe, root: Any, output_dir: Path, train_rows: list[dict[str, Any]],
                        seed: int, num_processes: int) -> dict[str, Any]:
    """The run's provenance (:mod:`polyglot_hrm.provenance`): the trees and the training rows' digest, the
    toolchains of the languages trained on (the evaluation callback runs their tests), the recipe, the seed, the
    command line, and a hash of the weights written to ``output_dir``."""
    languages = sorted({row["language"] for row in train_rows})
    benchmark = {"source": root.origin, "roots": [{"root": str(r), **git_state(r)} for r in root.roots],
                 "data_sha256": data_hash(root), "train_rows": len(train_rows),
                 "train_rows_sha256": rows_digest(train_rows)}
    config = {"recipe": str(recipe.path) if recipe.path else None, "polyglot": recipe.polyglot,
              "model": recipe.model, "training_args": recipe.training_args, "num_processes": num_processes}
    return collect(languages=languages, benchmark=benchmark, model={"path": str(output_dir.resolve()),
                                                                    **weights_digest(output_dir)},
                   seeds={"seed": seed}, argv=sys.argv, config=json.loads(json.dumps(config, default=str)))


def _distributed_without_gpu() -> bool:
    import torch

    return world_size() > 1 and not torch.cuda.is_available()


def _evaluated_at(log_history: list[dict[str, Any]], step: int) -> bool:
    return any(entry.get("step") == step and "eval_loss" in entry for entry in log_history)


def shutdown_process_group() -> None:
    """Leave the process group cleanly at the end of a launched run (a gloo group left open aborts the process at
    exit): the training faces' last step."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
