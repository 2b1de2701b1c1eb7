"""The seed's HRM code-generation faces: ``CodeGenerationInputProcessor`` (a record -> what the model reads) and
``CodeOutputGenerator`` (a model -> answers and candidates to execute).

Both are thin over the one prompt format (:mod:`.prompt_format`), the tokenizer's ``encode_pair`` and
:mod:`.generation`, so training, evaluation and these faces prompt and decode the same way. They take the
seed's records (:mod:`polyglot_hrm.dataset.records`: ``CodeGenerationInput``, ``DiffEdit``,
``TransferLearningExample``) or plain dataset rows::

    processor = CodeGenerationInputProcessor(tokenizer, max_length=2048)
    processor.prompt(edit)                 # the prompt text, up to the answer marker
    processor.encode(edit)                 # input_ids, attention_mask, token_type_ids, labels, puzzle_identifiers

    generator = CodeOutputGenerator(model, tokenizer, max_new_tokens=512)
    answers = generator.generate(records)             # one list of answer texts per record
    candidates = generator.candidates(records, answers)   # {path: content} or SEARCH/REPLACE text, to score
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Union

from hrm_modeling.configuration_hrm import default_puzzle_identifier_names, puzzle_identifier_name

from ..dataset.records import CodeGenerationInput
from ..settings import GenerationOptions
from .generation import candidates_for, generate_answers
from .prompt_format import render_example, render_prompt
from .tokenizer import encode_pair

__all__ = ["CodeGenerationInputProcessor", "CodeOutputGenerator", "RecordOrRow", "as_row"]

RecordOrRow = Union[CodeGenerationInput, Mapping[str, Any]]


def as_row(record: RecordOrRow) -> Mapping[str, Any]:
    """A record's row (a row is returned as is)."""
    return record.to_row() if isinstance(record, CodeGenerationInput) else record


class CodeGenerationInputProcessor:
    """Records -> prompt text and token ids for an HRM.

    Args:
        tokenizer: the project's tokenizer (:mod:`.tokenizer`).
        max_length: cut over-long prompts from the left to fit (the answer is kept whole; an answer that does
            not fit raises ``ValueError``); None: no limit.
        puzzle_names: the model's puzzle identifier table (``model.config.puzzle_identifier_names``); None: the
            default table.
    """

    def __init__(self, tokenizer: Any, max_length: int | None = None,
                 puzzle_names: Sequence[str] | None = None) -> None:
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.puzzle_names = list(puzzle_names or default_puzzle_identifier_names())

    def prompt(self, record: RecordOrRow) -> str:
        return render_prompt(as_row(record))

    def example(self, record: RecordOrRow) -> tuple[str, str]:
        """``(prompt, answer)`` text: the answer is the target files, or the edit text for ``diff_edit``."""
        return render_example(as_row(record))

    def puzzle_identifier(self, record: RecordOrRow) -> int:
        """The record's language x task id in the model's table."""
        row = as_row(record)
        name = puzzle_identifier_name(row["language"], row["task"])
        if name not in self.puzzle_names:
            raise ValueError(f"no puzzle identifier {name!r} in the model's table ({len(self.puzzle_names)} names); "
                             f"pass the model's config.puzzle_identifier_names as puzzle_names")
        return self.puzzle_names.index(name)

    def encode(self, record: RecordOrRow, with_answer: bool = True) -> dict[str, Any]:
        """Token ids of ``bos + prompt (+ answer + eos)`` (``encode_pair``) plus ``puzzle_identifiers``. Without
        the answer it is a generation prompt (no labels)."""
        prompt, answer = self.example(record) if with_answer else (self.prompt(record), None)
        encoded: dict[str, Any] = encode_pair(self.tokenizer, prompt, answer, max_length=self.max_length)
        encoded["puzzle_identifiers"] = self.puzzle_identifier(record)
        return encoded


class CodeOutputGenerator:
    """An HRM (or any model with the same ``generate``) answering records, and the answers as candidates.

    Args:
        model, tokenizer: the trained model and its tokenizer.
        max_new_tokens, temperature, top_p, batch_size, seed: generation settings (``temperature=0``: greedy;
            defaults: :class:`polyglot_hrm.settings.GenerationOptions`).
    """

    def __init__(self, model: Any, tokenizer: Any, max_new_tokens: int = GenerationOptions.max_new_tokens,
                 temperature: float = GenerationOptions.temperature, top_p: float = GenerationOptions.top_p,
                 batch_size: int = GenerationOptions.batch_size, seed: int | None = None) -> None:
        self.model, self.tokenizer = model, tokenizer
        self.max_new_tokens, self.temperature, self.top_p = max_new_tokens, temperature, top_p
        self.batch_size, self.seed = batch_size, seed

    def generate(self, records: Sequence[RecordOrRow], num_samples: int = 1, progress: bool = False) -> list[list[str]]:
        """``num_samples`` answer texts per record (what the model wrote after the answer marker)."""
        return generate_answers(self.model, self.tokenizer, [as_row(r) for r in records], num_samples=num_samples,
                                temperature=self.temperature, top_p=self.top_p, max_new_tokens=self.max_new_tokens,
                                batch_size=self.batch_size, seed=self.seed, progress=progress)

    def candidates(self, records: Sequence[RecordOrRow],
                   answers: Sequence[Sequence[str]] | None = None) -> list[list[dict[str, str] | str]]:
        """The answers (generated now when not given) as scoring candidates: ``{path: content}`` for generation
        and transfer, SEARCH/REPLACE text for diff_edit; an unparsable answer gives ``{}`` / ``""``."""
        rows = [as_row(r) for r in records]
        return candidates_for(rows, answers if answers is not None else self.generate(rows))
