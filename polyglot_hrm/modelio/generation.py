"""Model-side generation for evaluation: dataset rows -> generated answer texts -> candidates to execute.

Shared by the training-time evaluation callback (`polyglot_hrm.training.callbacks`) and the evaluation CLI,
so both prompt and decode exactly as training renders examples (`polyglot_hrm.modelio.prompt_format`).

Stable API:

    generate_answers(model, tokenizer, rows, *, num_samples=1, temperature=0.0, top_p=1.0,
                     max_new_tokens=512, batch_size=8, max_prompt_length=None, seed=None,
                     seeds=None, progress=True) -> list[list[str]]
        (the generation defaults are `polyglot_hrm.settings.GenerationOptions`'s)
        One list of `num_samples` answer texts per row (the text the model wrote after the answer
        marker, cut at its end-of-sequence token, special tokens dropped). Prompts are
        `prompt_format.render_prompt(row)` encoded with `tokenizer.encode_pair` (bos + prompt,
        prompt tokens typed 1 = the model's bidirectional prefix block), left-padded into batches;
        `puzzle_identifiers` come from the row's language and task (`config.puzzle_id`); a causal LM whose
        forward takes neither them nor `token_type_ids` (a Llama trained on this format) gets neither, and an
        HRM with `config.derive_prompt_inputs` gets neither either: it reads both from the ids.
        `temperature == 0` is greedy: one sequence is generated and repeated `num_samples` times
        (greedy samples are identical). `temperature > 0` samples (`top_p` nucleus), seeded by
        `seed` when given; with `seeds` (one per row, `num_samples=1`) each row samples from its own
        stream (`modelio.sampling.SeededSampling`), so its answer does not depend on its batch.

    generate_outputs(model, tokenizer, rows, ...same arguments...) -> list[list[Generated]]
        The same answers with why each ended: ``Generated(text, finish_reason)``, ``finish_reason`` one of
        ``stop`` (the model wrote its end-of-sequence token), ``length`` (``max_new_tokens`` ran out first) or
        ``context_window`` (the prompt did not fit the model's positions beside ``max_new_tokens`` and was cut
        from the left: the model answered without the start of its prompt).

    answer_to_candidate(row, text) -> dict[str, str] | str
        A generated answer in the form `scoring.score_candidates` (and the `polyglot_exec`
        metric) accepts: `{path: content}` for generation/transfer rows, SEARCH/REPLACE edit text for
        diff_edit rows (applied there to the row's input files). Parsing is
        `prompt_format.parse_answer`; an unparsable answer gives `{}` / `""`, which scores as a failed
        run / a malformed edit rather than raising.

    candidates_for(rows, answers) -> list[list[dict[str, str] | str]]
        `answer_to_candidate` over the output of `generate_answers`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from tqdm.auto import tqdm
from transformers import LogitsProcessorList

from ..settings import GenerationOptions
from .prompt_format import parse_answer, render_prompt
from .sampling import SeededSampling
from .tokenizer import encode_pair, header_length, keep_head_and_tail

__all__ = ["Generated", "answer_to_candidate", "candidates_for", "generate_answers", "generate_outputs"]

logger = logging.getLogger(__name__)

# Room kept for the answer when a prompt must be truncated (from the left) to fit the model's positions.
MIN_PROMPT_TOKENS = 16


def _unwrap(model: Any) -> Any:
    """The bare model under a DDP / accelerate wrapper (`generate` lives on the model itself)."""
    while hasattr(model, "module") and not hasattr(model, "generate"):
        model = model.module
    return model


def _prompt_limit(model: Any, max_new_tokens: int, max_prompt_length: int | None) -> int | None:
    """Prompt tokens allowed: the caller's limit, else what the model's positions leave after the answer."""
    if max_prompt_length is not None:
        return max_prompt_length
    config = model.config
    positions = getattr(config, "max_position_embeddings", None)
    if positions is None:
        return None
    return max(MIN_PROMPT_TOKENS, positions - getattr(config, "puzzle_emb_len", 0) - max_new_tokens)


def _takes(model: Any, name: str) -> bool:
    """Whether the model's forward names the argument `name`. A plain causal LM trained on this prompt format
    (the Llama of `benchmarks/learning.py`) has no puzzle table and no prefix block: it gets neither
    `puzzle_identifiers` nor `token_type_ids`, which `generate` would otherwise hand to its layers."""
    import inspect

    return name in inspect.signature(model.forward).parameters


def _puzzle_id(model: Any, row: Mapping[str, Any]) -> int:
    """The row's language x task id, or 0 for a model without a puzzle table."""
    puzzle_id = getattr(model.config, "puzzle_id", None)
    return puzzle_id(row.get("language"), row.get("task")) if puzzle_id is not None else 0


def _left_padded(encoded: Sequence[dict[str, list[int]]], pad_id: int, device: torch.device) -> dict[str, torch.Tensor]:
    """Left-pad prompts (generation appends on the right): input_ids, attention_mask, token_type_ids `(B, T)`."""
    width = max(len(e["input_ids"]) for e in encoded)
    out: dict[str, list[list[int]]] = {"input_ids": [], "attention_mask": [], "token_type_ids": []}
    for e in encoded:
        pad = width - len(e["input_ids"])
        out["input_ids"].append([pad_id] * pad + e["input_ids"])
        out["attention_mask"].append([0] * pad + e["attention_mask"])
        out["token_type_ids"].append([0] * pad + e["token_type_ids"])
    return {k: torch.tensor(v, dtype=torch.long, device=device) for k, v in out.items()}


@dataclass(frozen=True)
class Generated:
    """One generated answer and why it ended (module docstring)."""

    text: str
    finish_reason: str = "stop"


def _decode(tokenizer: Any, ids: Sequence[int]) -> str:
    """Text of generated ids up to (not including) the first eos; special tokens (pad, markers) dropped."""
    ids = list(ids)
    if tokenizer.eos_token_id in ids:
        ids = ids[: ids.index(tokenizer.eos_token_id)]
    return tokenizer.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)


def generate_answers(
    model: Any,
    tokenizer: Any,
    rows: Sequence[Mapping[str, Any]],
    *,
    num_samples: int = 1,
    temperature: float = GenerationOptions.temperature,
    top_p: float = GenerationOptions.top_p,
    max_new_tokens: int = GenerationOptions.max_new_tokens,
    batch_size: int = GenerationOptions.batch_size,
    max_prompt_length: int | None = None,
    seed: int | None = None,
    seeds: Sequence[int] | None = None,
    progress: bool = True,
) -> list[list[str]]:
    """Generate `num_samples` answer texts per row (see the module docstring): :func:`generate_outputs`' texts.
    The model's train/eval mode is restored afterwards, so this can run inside a training loop."""
    outputs = generate_outputs(model, tokenizer, rows, num_samples=num_samples, temperature=temperature, top_p=top_p,
                               max_new_tokens=max_new_tokens, batch_size=batch_size,
                               max_prompt_length=max_prompt_length, seed=seed, seeds=seeds, progress=progress)
    return [[g.text for g in answers] for answers in outputs]


@torch.no_grad()
def generate_outputs(
    model: Any,
    tokenizer: Any,
    rows: Sequence[Mapping[str, Any]],
    *,
    num_samples: int = 1,
    temperature: float = GenerationOptions.temperature,
    top_p: float = GenerationOptions.top_p,
    max_new_tokens: int = GenerationOptions.max_new_tokens,
    batch_size: int = GenerationOptions.batch_size,
    max_prompt_length: int | None = None,
    seed: int | None = None,
    seeds: Sequence[int] | None = None,
    progress: bool = True,
) -> list[list[Generated]]:
    """`num_samples` answers per row with why each ended (see the module docstring). The model's train/eval mode is
    restored afterwards, so this can run inside a training loop."""
    if num_samples < 1:
        raise ValueError(f"num_samples={num_samples}: must be >= 1")
    GenerationOptions(max_new_tokens, temperature, top_p, batch_size)  # the one check of generation options
    if seeds is not None and (len(seeds) != len(rows) or num_samples != 1):
        raise ValueError(f"seeds: one per row ({len(seeds)} for {len(rows)} rows) and num_samples=1 "
                         f"(got {num_samples}); give each sample its own row")
    model = _unwrap(model)
    if not rows:
        return []
    greedy = temperature == 0.0
    per_prompt = 1 if greedy else num_samples
    limit = _prompt_limit(model, max_new_tokens, max_prompt_length)
    encoded = [encode_pair(tokenizer, render_prompt(row)) for row in rows]
    cut = [limit is not None and len(e["input_ids"]) > limit for e in encoded]
    if limit is not None:
        # Keep the end of an over-long prompt (its answer marker) and its header, as encode_pair does for training.
        encoded = [_truncate_left(e, limit, header_length(tokenizer, e["input_ids"])) for e in encoded]
    # Similar lengths together: less padding, fewer wasted positions per batch.
    order = sorted(range(len(rows)), key=lambda i: len(encoded[i]["input_ids"]))
    device = next(model.parameters()).device
    generator_kwargs: dict[str, Any] = dict(
        max_new_tokens=max_new_tokens,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        num_return_sequences=per_prompt,
    )
    if greedy or seeds is not None:
        generator_kwargs.update(do_sample=False)
    else:
        generator_kwargs.update(do_sample=True, temperature=temperature, top_p=top_p, top_k=0)
    if seed is not None:
        torch.manual_seed(seed)
    answers: list[list[Generated]] = [[] for _ in rows]
    takes_puzzle, takes_types = _takes(model, "puzzle_identifiers"), _takes(model, "token_type_ids")
    if getattr(model.config, "derive_prompt_inputs", False):
        # The model reads both from the ids itself (hrm_modeling.prompt_inputs_from_ids), as it does when TRL or a
        # plain `generate` call passes ids alone: one derivation for every caller.
        takes_puzzle = takes_types = False
    was_training = model.training
    model.eval()
    try:
        batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
        for batch in tqdm(batches, desc="generating", unit="batch", disable=not progress):
            inputs = _left_padded([encoded[i] for i in batch], tokenizer.pad_token_id, device)
            extra: dict[str, Any] = {}
            if takes_puzzle:
                extra["puzzle_identifiers"] = torch.tensor([_puzzle_id(model, rows[i]) for i in batch],
                                                           dtype=torch.long, device=device)
            if not takes_types:
                del inputs["token_type_ids"]
            if seeds is not None and not greedy:
                sampler = SeededSampling([seeds[i] for i in batch], temperature, top_p)
                extra["logits_processor"] = LogitsProcessorList([sampler])
            out = model.generate(**inputs, **generator_kwargs, **extra)
            width = inputs["input_ids"].shape[1]
            new = out[:, width:].tolist()  # (B * per_prompt, N)
            for j, i in enumerate(batch):
                outputs = [_generated(tokenizer, new[j * per_prompt + s], cut[i]) for s in range(per_prompt)]
                answers[i] = outputs * num_samples if greedy else outputs
    finally:
        model.train(was_training)
    return answers


def _generated(tokenizer: Any, ids: Sequence[int], prompt_cut: bool) -> Generated:
    """The answer in ``ids`` and why it ended: a cut prompt first (the model answered a prompt it did not see
    whole), else its end token, else the budget."""
    reason = "context_window" if prompt_cut else "stop" if tokenizer.eos_token_id in ids else "length"
    return Generated(_decode(tokenizer, ids), reason)


def _truncate_left(encoded: dict[str, list[int]], limit: int, head: int) -> dict[str, list[int]]:
    """Keep the first `head` tokens (bos and the header's task and language tokens) and the last `limit - head`."""
    if len(encoded["input_ids"]) <= limit:
        return encoded
    logger.debug("prompt of %d tokens truncated to %d", len(encoded["input_ids"]), limit)
    return {k: keep_head_and_tail(v, limit, min(head, limit - 1)) for k, v in encoded.items()}


def answer_to_candidate(row: Mapping[str, Any], text: str) -> dict[str, str] | str:
    """A generated answer as a scoring candidate: files for generation/transfer, edit text for diff_edit."""
    return parse_answer(row["task"], text)


def candidates_for(rows: Sequence[Mapping[str, Any]], answers: Sequence[Sequence[str]]) -> list[list[dict[str, str] | str]]:
    """`answer_to_candidate` for every answer of every row (the `candidates` argument of `score_candidates`)."""
    if len(rows) != len(answers):
        raise ValueError(f"got {len(answers)} answer lists for {len(rows)} rows; pass one list per row")
    return [[answer_to_candidate(row, text) for text in texts] for row, texts in zip(rows, answers)]
