"""`PolyglotTrainer`: `transformers.Trainer` with the curriculum sampler and the HRM's ACT diagnostics logged.

Deep supervision and ACT run inside `HRMForCausalLM.forward` (its loss already sums segments and the Q-head
losses), so the only changes are: the training sampler is ours, and the mean LM loss / Q-losses / ACT steps
of the logged steps join the Trainer's `loss` in the log.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch.utils.data import Sampler
from transformers import Trainer

from ..outputs import honour_umask

__all__ = ["PolyglotTrainer"]

ACT_KEYS = ("lm_loss", "q_halt_loss", "q_continue_loss")


class PolyglotTrainer(Trainer):
    """`Trainer(..., train_sampler=CurriculumSampler(...))`; everything else as the base class."""

    def __init__(self, *args: Any, train_sampler: Sampler | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.train_sampler = train_sampler
        self._act_sums: dict[str, float] = {}
        self._act_count = 0

    def _save(self, output_dir: str | None = None, state_dict: dict | None = None) -> None:
        """The base class's save (final model and every checkpoint), with the weights given the umask's mode:
        safetensors writes them through a temporary file (mode 0600)."""
        super()._save(output_dir, state_dict)
        if self.args.should_save:
            honour_umask(Path(output_dir or self.args.output_dir).glob("*.safetensors"))

    def _get_train_sampler(self, train_dataset=None):
        if self.train_sampler is not None:
            return self.train_sampler
        return super()._get_train_sampler(train_dataset)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        loss, outputs = super().compute_loss(model, inputs, return_outputs=True, num_items_in_batch=num_items_in_batch)
        if model.training:
            self._record_act(outputs, self._loss_scale(num_items_in_batch))
        return (loss, outputs) if return_outputs else loss

    def _loss_scale(self, num_items_in_batch) -> float:
        """With tokens averaged across processes, each process's LM loss is divided by the *global* token count
        (the base class multiplies the loss it backpropagates by the process count): the same factor puts
        `lm_loss` back on the per-token scale, and :meth:`log` averages it over processes. The Q-losses are
        per-process means already."""
        if (self.args.average_tokens_across_devices and num_items_in_batch is not None
                and (self.model_accepts_loss_kwargs or self.compute_loss_func)):
            return float(self.accelerator.num_processes // self.get_tp_size())
        return 1.0

    def _record_act(self, outputs: Any, scale: float = 1.0) -> None:
        """Accumulate the diagnostics the HRM returns (detached) until the next log."""
        for key in ACT_KEYS:
            value = getattr(outputs, key, None) if not isinstance(outputs, dict) else outputs.get(key)
            if isinstance(value, torch.Tensor):
                self._act_sums[key] = self._act_sums.get(key, 0.0) + float(value) * (scale if key == "lm_loss" else 1.0)
        steps = getattr(outputs, "act_steps", None) if not isinstance(outputs, dict) else outputs.get("act_steps")
        if isinstance(steps, torch.Tensor):
            self._act_sums["act_steps"] = self._act_sums.get("act_steps", 0.0) + float(steps.float().mean())
        self._act_count += 1

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        if "loss" in logs and self._act_count:
            keys = sorted(self._act_sums)
            means = torch.tensor([self._act_sums[k] / self._act_count for k in keys], device=self.args.device)
            if self.accelerator.num_processes > 1:  # every process logs at the same steps: a collective is safe
                means = self.accelerator.reduce(means, reduction="mean")
            logs = {**logs, **{k: round(float(v), 4) for k, v in zip(keys, means)}}
            self._act_sums, self._act_count = {}, 0
        super().log(logs, start_time)
