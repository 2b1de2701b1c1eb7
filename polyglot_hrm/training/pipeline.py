"""Seed face (listed in ``polyglot_hrm.SEED_FACES``).

The seed's API, thin over the training pieces: `PolyglotTrainingPipeline(benchmark_root, hrm_model, config)`.

    pipeline = PolyglotTrainingPipeline("polyglot-benchmark/", model, PolyglotTrainingConfig(batch_size=16))
    data = pipeline.extract_and_process_data()              # {"train": rows, "validation": rows, "test": rows}
    train_dataset, val_dataset = pipeline.create_training_datasets()
    train_loader, val_loader = pipeline.create_data_loaders()
    for batch in train_loader:                              # input_ids, attention_mask, token_type_ids, labels,
        loss = model(**batch).loss                          # puzzle_identifiers

The training job (`trainer/train.py`) uses the same pieces with `transformers.Trainer`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from torch.utils.data import DataLoader

from ..modelio.tokenizer import load_tokenizer
from .collator import PolyglotCollator
from .config import PolyglotTrainingConfig
from .data import TokenizedDataset, load_rows, tokenize_rows, train_tokenizer_on_rows
from .sampler import CurriculumSampler

__all__ = ["PolyglotTrainingConfig", "PolyglotTrainingPipeline"]

logger = logging.getLogger(__name__)


class PolyglotTrainingPipeline:
    """Rows -> tokenizer -> tokenized datasets -> data loaders for an HRM.

    Args:
        benchmark_root: polyglot-benchmark clone or track checkout; None: $POLYGLOT_BENCHMARK_ROOT, else the
            built-in mini-benchmark (polyglot_hrm.settings).
        hrm_model: the model to train (its config's puzzle table and positions are used); None: the default table.
        config: data, batching and sampling options.
        tokenizer: use this tokenizer; None: train one on the training rows (`config.vocab_size`), or load
            `config.tokenizer_path`.
        cache_dir: datasets cache directory.
    """

    def __init__(self, benchmark_root: str | Path | None, hrm_model: Any = None,
                 config: PolyglotTrainingConfig | None = None, tokenizer: Any = None,
                 cache_dir: str | Path | None = None) -> None:
        self.benchmark_root = benchmark_root
        self.hrm_model = hrm_model
        self.config = config or PolyglotTrainingConfig()
        self.tokenizer = tokenizer
        self.cache_dir = cache_dir
        self.data: dict[str, list[dict[str, Any]]] | None = None
        self.train_dataset: TokenizedDataset | None = None
        self.val_dataset: TokenizedDataset | None = None

    def extract_and_process_data(self) -> dict[str, list[dict[str, Any]]]:
        """Rows of every configured task by split, from the dataset builder (cached)."""
        self.data = load_rows(self.config, self.benchmark_root, self.cache_dir)
        return self.data

    def _tokenizer(self) -> Any:
        if self.tokenizer is None:
            if self.config.tokenizer_path:
                self.tokenizer = load_tokenizer(self.config.tokenizer_path)
            else:
                self.tokenizer = train_tokenizer_on_rows(self.data["train"], self.config.vocab_size)
        return self.tokenizer

    def get_tokenizer(self) -> Any:
        """The tokenizer: the one given, else `config.tokenizer_path`, else one trained on the training rows."""
        if self.tokenizer is None and self.data is None and not self.config.tokenizer_path:
            self.extract_and_process_data()
        return self._tokenizer()

    def create_training_datasets(self) -> tuple[TokenizedDataset, TokenizedDataset]:
        """(train, validation) tokenized datasets; extracts the data first if needed."""
        if self.data is None:
            self.extract_and_process_data()
        tokenizer = self._tokenizer()
        names = getattr(getattr(self.hrm_model, "config", None), "puzzle_identifier_names", None)
        length = self.config.max_sequence_length
        positions = getattr(getattr(self.hrm_model, "config", None), "max_position_embeddings", None)
        if positions is not None and positions < length:
            logger.warning("max_sequence_length=%d exceeds the model's max_position_embeddings=%d; using the latter",
                           length, positions)
            length = positions
        self.train_dataset = tokenize_rows(self.data.get("train", []), tokenizer, length, names)
        self.val_dataset = tokenize_rows(self.data.get("validation", []), tokenizer, length, names)
        return self.train_dataset, self.val_dataset

    def create_data_loaders(self, num_epochs: int = 1) -> tuple[DataLoader, DataLoader]:
        """(train, validation) loaders of `config.batch_size`: the training one samples with the curriculum,
        language weights and mixing ratio paced over `num_epochs`; the validation one in order."""
        if self.train_dataset is None:
            self.create_training_datasets()
        train, val, cfg = self.train_dataset, self.val_dataset, self.config
        if not len(train):
            raise ValueError("no training examples: check benchmark_root, the filters and max_sequence_length")
        sampler = CurriculumSampler(train.difficulties, train.languages, train.tasks,
                                    total_samples=num_epochs * len(train), language_weights=cfg.language_weights,
                                    mixing_ratio=cfg.cross_language_mixing_ratio, curriculum=cfg.curriculum_learning,
                                    pacing=cfg.curriculum_pacing, start=cfg.curriculum_start,
                                    full_at=cfg.curriculum_full_at, seed=cfg.seed)
        collator = PolyglotCollator(self._tokenizer().pad_token_id)
        rank, world = _rank_and_world()
        # Under DDP each process takes its own share of the sampled order (the Trainer does this through
        # accelerate; a bare DataLoader does not), so the processes never train on the same batch.
        train_order = _Shard(sampler, rank, world) if world > 1 else sampler
        val_order = _Shard(range(len(val)), rank, world) if world > 1 else None
        return (DataLoader(train, batch_size=cfg.batch_size, sampler=train_order, collate_fn=collator),
                DataLoader(val, batch_size=cfg.batch_size, sampler=val_order, shuffle=False, collate_fn=collator))


def _rank_and_world() -> tuple[int, int]:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


class _Shard:
    """Every ``world``-th index of ``order``, from ``rank``: one process's share of a sampled order."""

    def __init__(self, order, rank: int, world: int) -> None:
        self.order, self.rank, self.world = order, rank, world

    def __iter__(self):
        for i, index in enumerate(self.order):
            if i % self.world == self.rank:
                yield index

    def __len__(self) -> int:
        return len(range(self.rank, len(self.order), self.world))
