"""The GRPO job behind ``accelerate launch trainer/grpo.py --recipe ...``: TRL's ``GRPOTrainer`` with the execution
reward, for this project's HRM and for any chat model.

``run_grpo(recipe, output_dir)``: rows (the builder, or an export / Hub dataset) -> a ``prompt`` column
(:func:`.grpo_data.with_prompts`: the HRM's own prompt text, or the evaluation's first-attempt chat) -> the policy and
its tokenizer -> ``GRPOTrainer(reward_funcs=[ExecutionReward, format_reward?])`` -> the trained model and tokenizer in
``output_dir``, with the log history.

What GRPO trains on an HRM, and what it does not:

* The LM head, embeddings, puzzle embeddings and the H/L stacks, through the log-probabilities of the completions
  (TRL's pass gives the model ids and a mask only: the HRM reads its prompt block and puzzle id from the ids,
  ``HRMConfig.derive_prompt_inputs``, as ``generate`` did when it sampled them).
* Not the ACT Q-head: the reward says nothing about when to halt and GRPO's loss never reads the Q-values, so the
  head is frozen (``requires_grad=False``) and a fixed number of segments runs, as at inference.
* The gradient is the one-step gradient of the model's ``gradient_mode``: within each segment only the last L-step
  and the last H-step record autograd, and the state is detached between segments. The policy gradient is
  truncated the same way: credit for a reward reaches the parameters only through those steps.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import datasets

from ..dataset.export import build_datasets, check_datasets_cache
from ..modelio.prompt_format import prompt_layout_fields
from ..modelio.tokenizer import load_tokenizer
from ..outputs import atomic_write_text
from ..rewards import ExecutionReward, format_reward
from ..settings import RootArg, resolve_benchmark_root, world_size
from .data import select_train_rows
from .grpo_config import GRPOData, GRPOPolicy, GRPORecipe, GRPOReward
from .grpo_data import reward_format, with_prompts
from .run import TOKENIZER_DIR

__all__ = ["GRPOOutcome", "grpo_rows", "load_policy", "reward_functions", "run_grpo"]

logger = logging.getLogger(__name__)


@dataclass
class GRPOOutcome:
    """What a GRPO run produced: where, its log history, the rows it trained on, seconds."""

    output_dir: Path
    log_history: list[dict[str, Any]]
    rows: int = 0
    seconds: float = 0.0
    model: Any = None
    tokenizer: Any = None
    row_ids: list[str] = field(default_factory=list)


def grpo_rows(data: GRPOData, benchmark_root: RootArg = None, cache_dir: str | Path | None = None) -> datasets.Dataset:
    """The rows of ``data``'s configs and split (built, or loaded from ``data.dataset``), cut to ``ids`` and
    ``max_rows``."""
    parts = []
    for config in data.configs:
        if data.dataset:
            loaded = datasets.load_dataset(data.dataset, config, cache_dir=str(cache_dir) if cache_dir else None)
        else:
            loaded = build_datasets(benchmark_root, [config], str(cache_dir) if cache_dir else None,
                                    **data.dataset_options())[config]
        if data.split in loaded:
            parts.append(loaded[data.split])
    if not parts:
        raise ValueError(f"no {data.split!r} split in configs {list(data.configs)}; choose another data.split")
    # Configurations have different columns: keep the shared ones (the reward's are in every config).
    shared = [c for c in parts[0].column_names if all(c in p.column_names for p in parts)]
    rows = datasets.concatenate_datasets([p.select_columns(shared) for p in parts])
    if data.ids is not None:
        wanted = set(data.ids)
        rows = rows.filter(lambda row: row["id"] in wanted)
        missing = wanted - set(rows["id"])
        if missing:
            raise ValueError(f"data.ids: no row {sorted(missing)[:5]} in configs {list(data.configs)}, split "
                             f"{data.split!r}")
    if data.max_rows is not None and len(rows) > data.max_rows:
        chosen = {r["id"] for r in select_train_rows(rows.to_list(), data.max_rows)}
        rows = rows.filter(lambda row: row["id"] in chosen)
    if not len(rows):
        raise ValueError(f"no rows for configs {list(data.configs)}, split {data.split!r}; check the data section")
    return rows


def load_policy(policy: GRPOPolicy) -> tuple[Any, Any]:
    """The model to train and its tokenizer (padding on the left, as TRL generates).

    HRM: a ``trainer/train.py`` folder (or any saved HRM); a checkpoint made before ``derive_prompt_inputs`` existed
    gets the token ids from its tokenizer and the flag turned on. Its Q-head is frozen (module docstring).
    Chat: any ``AutoModelForCausalLM``; its tokenizer must have a chat template."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from hrm_modeling import HRMForCausalLM  # importing it registers the model type with the Auto classes

    dtype = getattr(torch, policy.dtype) if policy.dtype else torch.float32
    if policy.kind == "hrm":
        tokenizer = load_tokenizer(_hrm_tokenizer_path(policy))
        model = AutoModelForCausalLM.from_pretrained(policy.path, dtype=dtype)
        if not isinstance(model, HRMForCausalLM):
            raise ValueError(f"policy.path={policy.path}: a {type(model).__name__}, not this project's HRM; use "
                             f"policy.kind=chat for another model")
        if not model.config.derive_prompt_inputs:
            for name, value in prompt_layout_fields(tokenizer).items():
                setattr(model.config, name, value)
            model.config.derive_prompt_inputs = True
            model.config._validate_prompt_layout()
            logger.info("%s: derive_prompt_inputs turned on (token ids from its tokenizer)", policy.path)
        model.q_head.requires_grad_(False)
    else:
        tokenizer = AutoTokenizer.from_pretrained(policy.tokenizer_path or policy.path)
        if not tokenizer.chat_template:
            raise ValueError(f"policy.path={policy.path}: its tokenizer has no chat template; GRPO with kind=chat "
                             f"sends the evaluation's chat messages. Use an instruct model, or set policy.tokenizer_path "
                             f"to a tokenizer that has one")
        model = AutoModelForCausalLM.from_pretrained(policy.path, dtype=dtype)
    tokenizer.padding_side = "left"
    return model, tokenizer


def _hrm_tokenizer_path(policy: GRPOPolicy) -> str:
    if policy.tokenizer_path:
        return policy.tokenizer_path
    folder = Path(policy.path)
    for candidate in (folder / TOKENIZER_DIR, folder):
        if (candidate / "tokenizer.json").is_file():
            return str(candidate)
    return policy.path  # a Hub id: the tokenizer is saved beside the model


def reward_functions(policy: GRPOPolicy, reward: GRPOReward, benchmark_root: RootArg = None
                     ) -> tuple[list[Any], list[float]]:
    """``(reward_funcs, reward_weights)``: the execution reward (weight 1) and, with ``format_weight > 0``, the
    format reward, both reading completions in the policy's answer format."""
    answer_format = reward_format(policy.style, policy.edit_format)  # type: ignore[arg-type]
    execution = ExecutionReward(edit_format=answer_format, benchmark_root=benchmark_root,
                                partial_credit=reward.partial_credit, malformed_penalty=reward.malformed_penalty,
                                executor=reward.executor, jobs=reward.jobs, timeout=reward.timeout)
    funcs: list[Any] = [execution]
    weights = [1.0]
    if reward.format_weight > 0:
        fmt = functools.partial(format_reward, edit_format=answer_format)
        fmt.__name__ = "format_reward"  # type: ignore[attr-defined]  # TRL names its log columns after it
        funcs.append(fmt)
        weights.append(float(reward.format_weight))
    return funcs, weights


def run_grpo(recipe: GRPORecipe, output_dir: str | Path, benchmark_root: RootArg = None,
             cache_dir: str | Path | None = None) -> GRPOOutcome:
    """Run the GRPO recipe (module docstring); returns what it produced."""
    from accelerate import PartialState
    from transformers import set_seed
    from trl import GRPOConfig, GRPOTrainer

    start = time.perf_counter()
    policy, data, reward = recipe.policy_config(), recipe.data_config(), recipe.reward_config()
    root = resolve_benchmark_root(benchmark_root, name="benchmark_root")
    check_datasets_cache(cache_dir)
    output_dir = Path(output_dir)
    funcs, weights = reward_functions(policy, reward, root)
    fields = dict(recipe.grpo_args)
    if world_size() > 1 and _no_gpu():
        fields.setdefault("use_cpu", True)  # several processes without GPUs: gloo on CPU, as trainer/train.py
    args = GRPOConfig(output_dir=str(output_dir), reward_weights=weights, **fields)
    _ = args.device  # the distributed state, as the Trainer sets it up
    state = PartialState()
    set_seed(args.seed)
    # The main process builds the Arrow cache and maps the prompt column into it, the others then reload both; and
    # no rank goes on while another still works in that folder (the prompt map, run by both ranks at once, raced
    # with the other rank's reload: a temporary file's folder was gone).
    with state.main_process_first():
        rows = grpo_rows(data, root, cache_dir)
        dataset = with_prompts(rows, policy.style, policy.edit_format)  # type: ignore[arg-type]
    state.wait_for_everyone()
    model, tokenizer = load_policy(policy)
    logger.info("GRPO: %s policy %s (%.2fM parameters), %d rows, %d completions per prompt, %d processes",
                policy.kind, policy.path, model.num_parameters() / 1e6, len(dataset), args.num_generations,
                state.num_processes)
    if policy.kind == "hrm" and model.config.selective_checkpointing and not args.gradient_checkpointing_kwargs:
        # TRL turns checkpointing off to generate and back on after with these kwargs: the HRM's selective policy.
        from hrm_modeling.modeling_hrm import SELECTIVE_CHECKPOINTING_KWARGS

        args.gradient_checkpointing_kwargs = dict(SELECTIVE_CHECKPOINTING_KWARGS)
    trainer = GRPOTrainer(model=model, reward_funcs=funcs, args=args, train_dataset=dataset,
                          processing_class=tokenizer)
    try:
        trainer.train()
    finally:
        funcs[0].close()
    trainer.save_model(str(output_dir))
    trainer.save_state()  # trainer_state.json: the log history, per step
    if state.is_main_process:
        tokenizer.save_pretrained(output_dir / TOKENIZER_DIR)
        atomic_write_text(output_dir / "polyglot_grpo_config.json", json.dumps(
            {"recipe": str(recipe.path) if recipe.path else None, "policy": recipe.policy, "data": recipe.data,
             "reward": recipe.reward, "grpo_args": recipe.grpo_args, "num_processes": state.num_processes,
             "rows": list(dataset["id"])}, indent=1, default=str))
    seconds = time.perf_counter() - start
    logger.info("GRPO done in %.1f s; model and tokenizer in %s", seconds, output_dir)
    return GRPOOutcome(output_dir, list(trainer.state.log_history), len(dataset), seconds, model=trainer.model,
                       tokenizer=tokenizer, row_ids=list(dataset["id"]))


def _no_gpu() -> bool:
    import torch

    return not torch.cuda.is_available()
