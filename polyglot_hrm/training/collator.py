"""`PolyglotCollator`: tokenized examples -> a padded batch whose labels cover the answer only.

An example (from `polyglot_hrm.training.data.tokenize_rows`, i.e. `tokenizer.encode_pair`) has `input_ids`,
`token_type_ids` (1 = bos + prompt, 0 = answer) and `puzzle_identifiers` (an int). The collator derives
`labels` from the token types, so the prompt never enters the loss whatever the dataset stored, and
right-pads (training appends nothing, so right padding keeps every answer at its trained positions).

Given the model's config with `derive_prompt_inputs` on, the token types and the puzzle identifier come instead
from the ids, by the model's own derivation (`hrm_modeling.prompt_inputs_from_ids`): the function `generate` and a
forward given ids alone (TRL's GRPO log-probabilities) use, so SFT trains on exactly what those see.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from hrm_modeling.modeling_hrm import prompt_inputs_from_ids

__all__ = ["IGNORE_INDEX", "PolyglotCollator"]

IGNORE_INDEX = -100


@dataclass
class PolyglotCollator:
    """Pad to the longest example (rounded up to `pad_to_multiple_of`); labels = answer tokens, else -100.

    Batch: input_ids, attention_mask, token_type_ids, labels `(B, T)`; puzzle_identifiers `(B,)`.
    """

    pad_token_id: int
    pad_to_multiple_of: int | None = None
    #: The model's config: when it has `derive_prompt_inputs` on, types and puzzle ids are derived from the ids.
    model_config: Any = None

    def __call__(self, features: Sequence[Mapping[str, Any]]) -> dict[str, torch.Tensor]:
        if not features:
            raise ValueError("PolyglotCollator got an empty batch")
        lengths = [len(f["input_ids"]) for f in features]
        width = max(lengths)
        if self.pad_to_multiple_of:
            width = -(-width // self.pad_to_multiple_of) * self.pad_to_multiple_of
        batch = len(features)
        input_ids = torch.full((batch, width), self.pad_token_id, dtype=torch.long)
        attention_mask = torch.zeros((batch, width), dtype=torch.long)
        token_type_ids = torch.zeros((batch, width), dtype=torch.long)
        labels = torch.full((batch, width), IGNORE_INDEX, dtype=torch.long)
        for i, (f, n) in enumerate(zip(features, lengths)):
            ids = torch.as_tensor(f["input_ids"], dtype=torch.long)
            types = torch.as_tensor(f["token_type_ids"], dtype=torch.long)
            if types.shape != ids.shape:
                raise ValueError(f"example {i}: token_type_ids has {types.numel()} entries for {n} input_ids")
            input_ids[i, :n] = ids
            attention_mask[i, :n] = 1
            token_type_ids[i, :n] = types
            labels[i, :n] = torch.where(types == 0, ids, torch.full_like(ids, IGNORE_INDEX))
        puzzle = torch.tensor([int(f.get("puzzle_identifiers", 0)) for f in features], dtype=torch.long)
        if getattr(self.model_config, "derive_prompt_inputs", False):
            token_type_ids, puzzle = prompt_inputs_from_ids(input_ids, attention_mask, self.model_config)
            labels = torch.where((token_type_ids == 0) & (attention_mask == 1), input_ids, IGNORE_INDEX)
        return {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids,
                "labels": labels, "puzzle_identifiers": puzzle}
