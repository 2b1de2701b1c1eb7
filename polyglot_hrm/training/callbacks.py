"""Evaluation by execution during training: generate for held-out rows, run their tests, log pass@1.

`ExecutionEvalCallback` runs after each `Trainer.evaluate` and logs, through `Trainer.log` (so every
`report_to` integration and `trainer_state.json` get them):

    eval_pass@1                 over the evaluated rows
    eval_pass@1/<language>      per language
    eval_exec_problems, eval_exec_malformed_edits, eval_exec_seconds

Distributed: each process generates for its share of the rows (the model is replicated under DDP), the main
process executes all candidates and broadcasts the metrics, so every process logs the same numbers. Under
FSDP the parameters are sharded and per-process `generate` is not supported: the callback warns and skips.
Execution needs the opt-in (`POLYGLOT_HRM_ALLOW_CODE_EXECUTION=1`); without it the callback warns once and
logs nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from transformers import TrainerCallback

from ..execution.executors import make_executor
from ..modelio.generation import candidates_for, generate_answers
from ..scoring import score_candidates
from ..settings import (OPT_IN_ENV, TRAINING_EVAL_GENERATION, TRAINING_EVAL_TIMEOUT, GenerationOptions,
                        code_execution_allowed)

__all__ = ["ExecutionEvalCallback", "evaluate_by_execution", "flat_metrics"]

logger = logging.getLogger(__name__)


def evaluate_by_execution(model: Any, tokenizer: Any, rows: Sequence[Mapping[str, Any]], *, num_samples: int = 1,
                          generation: GenerationOptions = TRAINING_EVAL_GENERATION,
                          timeout: float = TRAINING_EVAL_TIMEOUT, num_workers: int | None = None, progress: bool = True,
                          answers: Sequence[Sequence[str]] | None = None, executor: Any = None) -> dict[str, Any]:
    """Generate (unless `answers` are given), execute, score: `score_candidates`' result plus `answers`.
    `generation`, `timeout`: the training-time evaluation's by default (:mod:`polyglot_hrm.settings`: a smaller
    batch and a shorter timeout than evaluation's, since training waits); `executor`: where the runs execute
    ("local", the default, "ray" or an executor)."""
    if answers is None:
        answers = _generate(model, tokenizer, rows, num_samples, generation, progress)
    k = tuple(sorted({1, num_samples}))
    result = score_candidates(rows, candidates_for(rows, answers), k=k, num_workers=num_workers, timeout=timeout,
                              progress=progress, executor=executor)
    result["answers"] = [list(a) for a in answers]
    return result


def _generate(model: Any, tokenizer: Any, rows: Sequence[Mapping[str, Any]], num_samples: int,
              generation: GenerationOptions, progress: bool) -> list[list[str]]:
    return generate_answers(model, tokenizer, rows, num_samples=num_samples, temperature=generation.temperature,
                            top_p=generation.top_p, max_new_tokens=generation.max_new_tokens,
                            batch_size=generation.batch_size, progress=progress)


def flat_metrics(result: Mapping[str, Any], prefix: str = "eval_") -> dict[str, float]:
    """`score_candidates` output -> flat, loggable floats (pass@k overall and per language)."""
    out: dict[str, float] = {}
    for key, value in result.items():
        if key.startswith("pass@"):
            out[f"{prefix}{key}"] = float(value)
    for lang, summary in result.get("per_language", {}).items():
        for key, value in summary.items():
            if key.startswith("pass@"):
                out[f"{prefix}{key}/{lang}"] = float(value)
    out[f"{prefix}exec_problems"] = float(len(result.get("results", [])))
    out[f"{prefix}exec_malformed_edits"] = float(result.get("malformed_edits", 0))
    return out


@dataclass
class ExecutionEvalCallback(TrainerCallback):
    """At each evaluation, generate for `rows` and log execution pass@1 (module docstring).

    Attach with `callback.attach(trainer)`: the callback logs through that trainer's `log`. `executor`: where the
    main process sends the test runs, "local" (a pool on its machine) or "ray" (`ray_address`, else
    `RAY_ADDRESS`, else a local Ray); one executor serves every evaluation of the run.
    """

    rows: Sequence[Mapping[str, Any]]
    tokenizer: Any
    num_samples: int = 1
    generation: GenerationOptions = TRAINING_EVAL_GENERATION
    timeout: float = TRAINING_EVAL_TIMEOUT
    executor: str = "local"
    ray_address: str | None = None
    history: list[dict[str, float]] = field(default_factory=list)
    _trainer: Any = field(default=None, repr=False)
    _executor: Any = field(default=None, repr=False)
    _warned: bool = field(default=False, repr=False)

    def attach(self, trainer: Any) -> ExecutionEvalCallback:
        self._trainer = trainer
        trainer.add_callback(self)
        return self

    def _skip_reason(self, args: Any) -> str | None:
        if not self.rows:
            return "no held-out rows to evaluate"
        if not code_execution_allowed():
            return f"code execution is not opted in (set {OPT_IN_ENV}=1 to log execution pass@1)"
        if getattr(args, "fsdp", None) or getattr(self._trainer, "is_fsdp_enabled", False):
            return "FSDP shards the parameters: per-process generation is not supported; evaluate the saved model"
        return None

    def on_evaluate(self, args, state, control, model=None, **kwargs):
        reason = self._skip_reason(args)
        if reason is not None:
            if not self._warned:
                logger.warning("execution evaluation skipped: %s", reason)
                self._warned = True
            return control
        metrics = self.run(model, args)
        self.history.append({"step": state.global_step, **metrics})
        if self._trainer is not None:
            self._trainer.log(metrics)
        return control

    def run(self, model: Any, args: Any) -> dict[str, float]:
        """Generate on every process (a share each), execute on the main one, return the same metrics everywhere."""
        from accelerate import PartialState
        from accelerate.utils import broadcast_object_list, gather_object

        state = PartialState()
        start = time.perf_counter()
        indices = list(range(state.process_index, len(self.rows), state.num_processes))
        mine = _generate(model, self.tokenizer, [self.rows[i] for i in indices], self.num_samples, self.generation,
                         state.is_main_process)
        pairs = list(zip(indices, mine))
        if state.num_processes > 1:
            pairs = gather_object(pairs)
        payload: list[Any] = [None]
        if state.is_main_process:
            answers = [a for _, a in sorted(pairs, key=lambda p: p[0])]
            if self._executor is None:  # made once: a Ray connection outlives one evaluation
                self._executor = make_executor(self.executor, ray_address=self.ray_address)
            result = evaluate_by_execution(model, self.tokenizer, self.rows, num_samples=self.num_samples,
                                           timeout=self.timeout, answers=answers, progress=False,
                                           executor=self._executor)
            metrics = flat_metrics(result)
            metrics["eval_exec_seconds"] = round(time.perf_counter() - start, 2)
            payload = [metrics]
            logger.info("execution eval: %s", metrics)
        if state.num_processes > 1:
            broadcast_object_list(payload, from_process=0)
        return payload[0]
