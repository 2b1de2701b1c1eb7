"""Sampling that batching cannot change: each generated sequence draws from its own seeded stream.

``generate(do_sample=True)`` draws every row of a batch from one global generator, so the text a prompt
gets depends on which prompts share its batch, and a resumed run (fewer prompts left, other batches)
would sample other answers. :class:`SeededSampling` instead makes the choice of each row's next token
depend only on that row's seed and the step:

    next token = argmax(logits / temperature (top-p filtered) + Gumbel noise from the row's generator)

which is an exact sample from the tempered, nucleus-filtered distribution (the Gumbel-max trick); it
runs as a logits processor with ``do_sample=False``. A row's seed is :func:`request_seed` of the run's
seed, the case, the sample and the attempt.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

import torch
from transformers import LogitsProcessor

__all__ = ["SeededSampling", "request_seed"]


def request_seed(seed: int, case_id: str, sample: int, attempt: int) -> int:
    """A 63-bit seed for one (case, sample, attempt) of a run seeded with ``seed``."""
    digest = hashlib.sha256(json.dumps([seed, case_id, sample, attempt]).encode()).digest()
    return int.from_bytes(digest[:8], "little") & (2**63 - 1)


class SeededSampling(LogitsProcessor):
    """A ``LogitsProcessor`` (use with ``do_sample=False``): row ``i`` of every batch step samples with the
    generator seeded by ``seeds[i]``, one uniform draw per vocabulary entry per step."""

    def __init__(self, seeds: Sequence[int], temperature: float, top_p: float = 1.0):
        if temperature <= 0:
            raise ValueError(f"temperature={temperature}: seeded sampling needs > 0 (0 is greedy: no sampling)")
        if not 0 < top_p <= 1:
            raise ValueError(f"top_p={top_p}: must be in (0, 1]")
        self.generators = [torch.Generator().manual_seed(int(s)) for s in seeds]
        self.temperature = temperature
        self.top_p = top_p

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if scores.shape[0] != len(self.generators):
            raise ValueError(f"{scores.shape[0]} rows in the batch for {len(self.generators)} seeds: one seed per "
                             "generated sequence (num_return_sequences=1)")
        logits = scores.float() / self.temperature  # (B, V)
        if self.top_p < 1.0:
            sorted_logits, order = torch.sort(logits, descending=True, dim=-1)
            cumulative = torch.softmax(sorted_logits, dim=-1).cumsum(dim=-1)
            drop = cumulative - torch.softmax(sorted_logits, dim=-1) >= self.top_p  # keep the token crossing top_p
            logits = logits.masked_fill(drop.scatter(-1, order, drop), float("-inf"))
        vocab = logits.shape[-1]
        uniform = torch.stack([torch.rand(vocab, generator=g, dtype=torch.float64) for g in self.generators])
        uniform = uniform.clamp(1e-300, 1.0 - 1e-16)
        gumbel = -torch.log(-torch.log(uniform))  # (B, V)
        return logits + gumbel.to(device=logits.device, dtype=logits.dtype)
