"""`PolyglotTrainer`: `transformers.Trainer` with the curriculum sampler and the HRM's ACT diagnostics logged.

Deep supervision and ACT run inside `HRMForCausalLM.forward` (its loss already sums segments and the Q-head
losses), so the only changes are: the training sampler is ours, and the mean LM loss / Q-losses / ACT steps
of the logged steps join the Trainer's `loss` in the log.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.utils.data import Sampler
from transformers import Trainer

__all__ = ["PolyglotTrainer"]

ACT_KEYS = ("lm_loss", "q_halt_loss", "q_continue_loss")


class PolyglotTrainer(Trainer):
    """`Trainer(..., train_sampler=CurriculumSampler(...))`; everything else as the base class."""

    def __init__(self, *args: Any, train_sampler: Sampler | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.train_sampler = train_sampler
        self._act_sums: dict[str, float] = {}
        self._act_count = 0

    def _get_train_sampler(self, train_dataset=None):
        if self.train_sampler is not None:
            return self.train_sampler
        return super()._get_train_sampler(train_dataset)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        loss, outputs = super().compute_loss(model, inputs, return_outputs=True, num_items_in_batch=num_items_in_batch)
        if model.training:
            self._record_act(outputs)
        return (loss, outputs) if return_outputs else loss

    def _record_act(self, outputs: Any) -> None:
        """Accumulate the diagnostics the HRM returns (detached) until the next log."""
        for key in ACT_KEYS:
            value = getattr(outputs, key, None) if not isinstance(outputs, dict) else outputs.get(key)
            if isinstance(value, torch.Tensor):
                self._act_sums[key] = self._act_sums.get(key, 0.0) + float(value)
        steps = getattr(outputs, "act_steps", None) if not isinstance(outputs, dict) else outputs.get("act_steps")
        if isinstance(steps, torch.Tensor):
            self._act_sums["act_steps"] = self._act_sums.get("act_steps", 0.0) + float(steps.float().mean())
        self._act_count += 1

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        if "loss" in logs and self._act_count:
            logs = {**logs, **{k: round(v / self._act_count, 4) for k, v in self._act_sums.items()}}
            self._act_sums, self._act_count = {}, 0
        super().log(logs, start_time)
