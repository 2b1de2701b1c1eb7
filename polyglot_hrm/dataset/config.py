"""``PolyglotHRMConfig``: the dataset's options (the seed's data options), validated on creation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import datasets

from ..languages import LANGUAGES

__all__ = ["CONFIG_NAMES", "PolyglotHRMConfig", "SPLITS"]

from .names import CONFIG_NAMES, SPLITS


@dataclass
class PolyglotHRMConfig(datasets.BuilderConfig):
    """Options of one configuration (``name`` is ``generation``, ``diff_edit`` or ``transfer``).

    Attributes:
        languages: languages to read (a tuple, or a comma-separated string); None: all six.
        max_problems_per_language: at most this many problems per language, a seeded sample; None: all.
        max_diff_examples_per_problem: ``diff_edit`` rows per problem, at most (one ``implement``, up to a
            third ``feature``, the rest ``bug_fix``).
        max_transfer_examples_per_pair: ``transfer`` rows per directed language pair, at most (seeded choice of
            slugs); None: every shared slug.
        min_complexity_score, max_complexity_score: keep problems whose complexity score
            (:mod:`polyglot_hrm.benchmark.complexity`) lies in this closed range.
        min_diff_quality_score: drop ``diff_edit`` rows whose quality score is lower
            (:func:`polyglot_hrm.synthesis.examples.quality_score`).
        seed: seeds every choice (problem sample, mutants, features, transfer slugs, splits).
        verify_by_execution: run each ``bug_fix`` mutant's tests and keep it only if they fail (status
            ``failed``), with the failing output as ``test_feedback``. None (default): on for the languages
            whose runners are available (``polyglot-hrm doctor``), decided when the data is built. The same
            switch lets the build run each chosen problem's reference once to record its ``expected_tests``
            (the tests a passing run reports, which the metric checks); False: rows carry none.
        verify_timeout: seconds per verification run (mutants often loop forever: keep it short; a run that
            times out is dropped).
        train_ratio, validation_ratio, test_ratio: shares of *slugs* per split (they must sum to 1).
    """

    languages: Optional[tuple] = None
    max_problems_per_language: Optional[int] = None
    max_diff_examples_per_problem: int = 10
    max_transfer_examples_per_pair: Optional[int] = None
    min_complexity_score: float = 0.0
    max_complexity_score: float = 1.0
    min_diff_quality_score: float = 0.5
    seed: int = 42
    verify_by_execution: Optional[bool] = None
    verify_timeout: float = 20.0
    train_ratio: float = 0.8
    validation_ratio: float = 0.1
    test_ratio: float = 0.1

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.name not in CONFIG_NAMES:
            raise ValueError(f"name={self.name!r}: not a configuration of this dataset; choose one of {CONFIG_NAMES}")
        if isinstance(self.languages, str):
            self.languages = tuple(s.strip() for s in self.languages.split(",") if s.strip())
        if self.languages is not None:
            self.languages = tuple(self.languages)
            unknown = [lang for lang in self.languages if lang not in LANGUAGES]
            if unknown or not self.languages:
                raise ValueError(f"languages={self.languages!r}: unknown {unknown or 'empty'}; choose from "
                                 f"{', '.join(LANGUAGES)} (or None for all)")
        for name in ("max_problems_per_language", "max_transfer_examples_per_pair"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                raise ValueError(f"{name}={value!r}: must be a positive integer, or None for no limit")
        value = self.max_diff_examples_per_problem
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"max_diff_examples_per_problem={value!r}: must be a positive integer (1 keeps only "
                             f"the implement example)")
        for name in ("min_complexity_score", "max_complexity_score", "min_diff_quality_score"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise ValueError(f"{name}={value!r}: must be a number in [0, 1]")
        if self.min_complexity_score > self.max_complexity_score:
            raise ValueError(f"min_complexity_score={self.min_complexity_score} is above max_complexity_score="
                             f"{self.max_complexity_score}; lower the first or raise the second")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise ValueError(f"seed={self.seed!r}: must be an integer")
        if self.verify_by_execution not in (None, True, False):
            raise ValueError(f"verify_by_execution={self.verify_by_execution!r}: must be True, False or None (auto)")
        if not isinstance(self.verify_timeout, (int, float)) or self.verify_timeout <= 0:
            raise ValueError(f"verify_timeout={self.verify_timeout!r}: must be a positive number of seconds")
        ratios = self.split_ratios
        for split, value in ratios.items():
            if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise ValueError(f"{split}_ratio={value!r}: must be a number in [0, 1]")
        if abs(sum(ratios.values()) - 1.0) > 1e-6:
            raise ValueError(f"train_ratio + validation_ratio + test_ratio = {sum(ratios.values()):g}: they must sum "
                             f"to 1")
        if ratios["train"] <= 0:
            raise ValueError("train_ratio=0: the train split needs a positive share")

    @property
    def split_ratios(self) -> dict[str, float]:
        return {"train": self.train_ratio, "validation": self.validation_ratio, "test": self.test_ratio}
