"""Rows from the dataset builder -> tokenized training examples, and the held-out rows for evaluation."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from .config import PolyglotTrainingConfig
from ..dataset.export import build_datasets
from ..modelio.code_generation import CodeGenerationInputProcessor
from ..modelio.prompt_format import render_example
from ..modelio.tokenizer import train_tokenizer
from ..settings import RootArg

__all__ = ["TokenizedDataset", "load_rows", "select_eval_rows", "select_train_rows", "tokenize_rows",
           "tokenizer_texts", "train_tokenizer_on_rows"]

logger = logging.getLogger(__name__)


def load_rows(config: PolyglotTrainingConfig, benchmark_root: RootArg = None,
              cache_dir: str | Path | None = None) -> dict[str, list[dict[str, Any]]]:
    """Rows of every configured task, by split (`train` / `validation` / `test`), built or reloaded from the
    builder's Arrow cache; the train split cut to `config.max_train_rows` (`select_train_rows`) when set.
    `benchmark_root` None: `$POLYGLOT_BENCHMARK_ROOT`, else the built-in mini-benchmark (`polyglot_hrm.settings`)."""
    built = build_datasets(benchmark_root, config.configs, str(cache_dir) if cache_dir else None,
                           **config.dataset_options())
    by_split: dict[str, list[dict[str, Any]]] = {}
    for dataset_dict in built.values():
        for split, ds in dataset_dict.items():
            by_split.setdefault(split, []).extend(ds)
    if config.max_train_rows is not None and len(by_split.get("train", [])) > config.max_train_rows:
        full = len(by_split["train"])
        by_split["train"] = select_train_rows(by_split["train"], config.max_train_rows)
        logger.info("training on a slice: %d of %d training rows (max_train_rows)", config.max_train_rows, full)
    logger.info("rows per split: %s", {s: len(r) for s, r in by_split.items()})
    return by_split


def tokenizer_texts(rows: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """The text a tokenizer is trained on: each row's rendered prompt and answer."""
    for row in rows:
        yield from render_example(row)


def train_tokenizer_on_rows(rows: Sequence[Mapping[str, Any]], vocab_size: int):
    """A byte-level BPE trained on the rendered training rows."""
    return train_tokenizer(tokenizer_texts(rows), vocab_size=vocab_size)


@dataclass
class TokenizedDataset(torch.utils.data.Dataset):
    """Tokenized examples (input_ids, token_type_ids, puzzle_identifiers) plus per-row language/task/difficulty
    for the sampler; `rows` are the source rows, in the same order."""

    examples: list[dict[str, Any]]
    rows: list[Mapping[str, Any]]

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return self.examples[i]

    @property
    def languages(self) -> list[str]:
        return [r["language"] for r in self.rows]

    @property
    def tasks(self) -> list[str]:
        return [r["task"] for r in self.rows]

    @property
    def difficulties(self) -> list[str]:
        return [r.get("difficulty") or "medium" for r in self.rows]


def tokenize_rows(rows: Sequence[Mapping[str, Any]], tokenizer: Any, max_length: int,
                  puzzle_names: Sequence[str] | None = None, progress: bool = False) -> TokenizedDataset:
    """Encode each row as `bos + prompt + answer + eos`; rows whose answer alone exceeds `max_length` are dropped
    (logged), over-long prompts are cut from the left (`encode_pair`)."""
    processor = CodeGenerationInputProcessor(tokenizer, max_length, puzzle_names)
    examples, kept, dropped = [], [], 0
    for row in tqdm(rows, desc="tokenizing", unit="row", disable=not progress):
        processor.puzzle_identifier(row)  # a language x task the model lacks is an error, not a dropped row
        try:
            enc = processor.encode(row)
        except ValueError:
            dropped += 1
            continue
        examples.append({"input_ids": enc["input_ids"], "token_type_ids": enc["token_type_ids"],
                         "puzzle_identifiers": enc["puzzle_identifiers"]})
        kept.append(row)
    if dropped:
        logger.warning("dropped %d of %d rows whose answer does not fit max_sequence_length=%d", dropped, len(rows),
                       max_length)
    return TokenizedDataset(examples, kept)


def select_eval_rows(rows: Sequence[Mapping[str, Any]], n: int, seed: int = 0) -> list[Mapping[str, Any]]:
    """Up to `n` rows, spread over languages (round-robin) and tasks, at most one per problem and task while
    others remain; deterministic for a seed."""
    rng = np.random.default_rng(seed)
    return _spread([rows[i] for i in rng.permutation(len(rows))], n)


def select_train_rows(rows: Sequence[Mapping[str, Any]], n: int) -> list[Mapping[str, Any]]:
    """Up to `n` training rows for a small run: spread over languages and tasks as `select_eval_rows`, each
    language's shortest rows (rendered prompt + answer, in characters) first, so that a CPU run sees every row
    often enough to learn it. Deterministic; ties keep the rows' order."""
    lengths = [sum(len(text) for text in render_example(row)) for row in rows]
    return _spread([rows[i] for i in sorted(range(len(rows)), key=lengths.__getitem__)], n)


def _spread(ordered: Sequence[Mapping[str, Any]], n: int) -> list[Mapping[str, Any]]:
    """Up to `n` of `ordered`: round-robin over languages (sorted by name), each language's rows in the given
    order but its first row of every (problem, task) before any second one."""
    by_lang: dict[str, list[Mapping[str, Any]]] = {}
    seen: set[tuple[str, str]] = set()
    firsts, rest = [], []
    for row in ordered:
        key = (row.get("problem_id") or row.get("id", ""), row["task"])
        (rest if key in seen else firsts).append(row)
        seen.add(key)
    for row in firsts + rest:
        by_lang.setdefault(row["language"], []).append(row)
    chosen: list[Mapping[str, Any]] = []
    queues = [by_lang[lang] for lang in sorted(by_lang)]
    while len(chosen) < n and any(queues):
        for queue in queues:
            if queue and len(chosen) < n:
                chosen.append(queue.pop(0))
    return chosen
