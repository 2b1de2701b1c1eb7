"""Seed face (listed in ``polyglot_hrm.SEED_FACES``).

The seed's ``PolyglotHRMIntegration`` (and its module's ``PolyglotTrainingPipeline``/``PolyglotTrainingConfig``):
the polyglot data wired to an HRM, thin over the training pieces.

    integration = PolyglotHRMIntegration("polyglot-benchmark/", model, config=PolyglotTrainingConfig(...))
    edits = integration.records("train", CodeGenerationTask.DIFF_EDIT)   # list[DiffEdit], the dataset's rows
    batch = integration.input_processor.encode(edits[0])                # CodeGenerationInputProcessor
    train_loader, val_loader = integration.create_data_loaders()        # curriculum: easy rows first
    ...train...
    scores = integration.evaluate(integration.records("validation"))    # CodeOutputGenerator + execution

``records`` come from the dataset builder (cached), ``create_data_loaders`` is
:class:`~.pipeline.PolyglotTrainingPipeline`'s (curriculum, language weights and mixing ratio of
:class:`~.config.PolyglotTrainingConfig`), ``input_processor`` tokenizes as training does, and ``evaluate``
generates with :class:`~polyglot_hrm.modelio.code_generation.CodeOutputGenerator` and scores by running each
problem's tests (:func:`~.callbacks.evaluate_by_execution`; needs ``POLYGLOT_HRM_ALLOW_CODE_EXECUTION=1``).
The seed placed this module under ``dataset/``; here it sits with training, the layer that may use the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..dataset.names import CodeGenerationTask
from ..dataset.records import CodeGenerationInput, record_from_row
from ..modelio.code_generation import CodeGenerationInputProcessor, CodeOutputGenerator, as_row
from .callbacks import evaluate_by_execution
from .config import PolyglotTrainingConfig
from .pipeline import PolyglotTrainingPipeline

__all__ = ["CodeGenerationTask", "PolyglotHRMIntegration", "PolyglotTrainingConfig", "PolyglotTrainingPipeline"]


class PolyglotHRMIntegration:
    """The polyglot benchmark's records, tokenized and sampled for an HRM, and the HRM's answers scored.

    Args:
        benchmark_root: polyglot-benchmark clone or track checkout; None: $POLYGLOT_BENCHMARK_ROOT, else the
            built-in mini-benchmark (polyglot_hrm.settings).
        hrm_model: the model (its config's puzzle table and positions are used); may be None until you evaluate.
        config: data, batching, sampling and evaluation options.
        tokenizer: None: the pipeline trains one on the training rows (or loads ``config.tokenizer_path``).
        cache_dir: datasets cache directory.
    """

    def __init__(self, benchmark_root: str | Path | None = None, hrm_model: Any = None,
                 config: PolyglotTrainingConfig | None = None, tokenizer: Any = None,
                 cache_dir: str | Path | None = None) -> None:
        self.pipeline = PolyglotTrainingPipeline(benchmark_root, hrm_model, config, tokenizer, cache_dir)

    @property
    def config(self) -> PolyglotTrainingConfig:
        return self.pipeline.config

    @property
    def model(self) -> Any:
        return self.pipeline.hrm_model

    @property
    def tokenizer(self) -> Any:
        return self.pipeline.get_tokenizer()

    def records(self, split: str = "train", task: CodeGenerationTask | str | None = None) -> list[CodeGenerationInput]:
        """The split's rows of every configured task (or of ``task`` only) as records."""
        if self.pipeline.data is None:
            self.pipeline.extract_and_process_data()
        rows = self.pipeline.data.get(split, [])
        return [record_from_row(r) for r in rows if task is None or r["task"] == str(task)]

    @property
    def input_processor(self) -> CodeGenerationInputProcessor:
        """Records -> token ids, with the model's puzzle table and the config's sequence length."""
        names = getattr(getattr(self.model, "config", None), "puzzle_identifier_names", None)
        return CodeGenerationInputProcessor(self.tokenizer, self.config.max_sequence_length, names)

    def create_data_loaders(self, num_epochs: int = 1):
        """(train, validation) loaders (:meth:`PolyglotTrainingPipeline.create_data_loaders`)."""
        return self.pipeline.create_data_loaders(num_epochs)

    @property
    def output_generator(self) -> CodeOutputGenerator:
        if self.model is None:
            raise ValueError("PolyglotHRMIntegration(hrm_model=None): pass the model to generate or evaluate with")
        return CodeOutputGenerator(self.model, self.tokenizer, max_new_tokens=self.config.eval_max_new_tokens,
                                   temperature=self.config.eval_temperature, batch_size=self.config.eval_batch_size,
                                   seed=self.config.seed)

    def evaluate(self, records: Sequence[CodeGenerationInput], num_samples: int | None = None,
                 progress: bool = False) -> dict[str, Any]:
        """Generate for ``records`` and run their tests: pass@k overall and per language, and the answers."""
        rows = [dict(as_row(r)) for r in records]
        samples = num_samples or self.config.eval_num_samples
        answers = self.output_generator.generate(rows, num_samples=samples, progress=progress)
        return evaluate_by_execution(self.model, self.tokenizer, rows, num_samples=samples,
                                     timeout=self.config.eval_timeout, progress=progress, answers=answers)
