"""The dataset's options, declared once (:class:`DatasetOptions`), and ``PolyglotHRMConfig``, the builder config
made of them."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Optional

import datasets

from ..execution.timeouts import check_seconds
from ..languages import LANGUAGES
from ..problems import parse_added_date
from ..settings import VERIFY_TIMEOUT

__all__ = ["CONFIG_NAMES", "DatasetOptions", "PolyglotHRMConfig", "SPLITS"]

from .names import CONFIG_NAMES, SPLITS


def _option(default, help: str):
    return field(default=default, metadata={"help": help})


@dataclass
class DatasetOptions:
    """The dataset's options (the seed's data options), declared once: the builder config, the training
    config and the ``build``/``export`` command lines are all made from these fields.

    Attributes:
        languages: languages to read (a tuple, or a comma-separated string); None: all six.
        max_problems_per_language: at most this many problems per language, a seeded sample; None: all.
        max_diff_examples_per_problem: ``diff_edit`` rows per problem, at most (one ``implement``, up to a
            third ``feature``, the rest ``bug_fix``), refactorings aside.
        max_refactor_examples_per_problem: ``refactor`` rows per problem, at most, on top of the others: each a
            behaviour-preserving refactoring of the reference (:mod:`polyglot_hrm.synthesis.refactor`) kept only
            when the refactored reference still passes every test, so only built where the build verifies by
            execution (none with ``verify_by_execution=False``); 0: none.
        max_transfer_examples_per_pair: ``transfer`` rows per directed language pair, at most (seeded choice of
            slugs); None: every shared slug.
        min_complexity_score, max_complexity_score: keep problems whose complexity score
            (:mod:`polyglot_hrm.problems.complexity`) lies in this closed range.
        min_diff_quality_score: drop ``diff_edit`` rows whose quality score is lower
            (:func:`polyglot_hrm.synthesis.examples.quality_score`).
        seed: seeds every choice (problem sample, mutants, features, transfer slugs, splits).
        verify_by_execution: run each ``bug_fix`` mutant's tests and keep it only if they fail (status
            ``failed``), with the failing output as ``test_feedback``. None (default): on for the languages
            whose runners are available (``polyglot-hrm doctor``), decided when the data is built. The same
            switch lets the build run each chosen problem's reference once to record its ``expected_tests``
            (the tests a passing run reports, which the metric checks); False: rows carry none.
        verify_timeout: seconds per verification run (mutants often loop forever: keep it short; a run that
            times out is dropped; default :data:`polyglot_hrm.settings.VERIFY_TIMEOUT`).
        train_ratio, validation_ratio, test_ratio: shares of *slugs* per split (they must sum to 1).
        exclude_slugs_of: the root of a benchmark (a polyglot-benchmark clone) whose every exercise slug is left
            out of every split, in every language (:func:`polyglot_hrm.dataset.sources.benchmark_slugs`): data for
            training on Exercism tracks and testing on that benchmark with no exercise in both. None: keep all.
        added_after, added_before: keep problems whose ``added`` day (``YYYY-MM-DD``: when the exercise entered its
            Exercism track, from the track checkout's git history; :mod:`polyglot_hrm.problems.dates`) is strictly
            after / strictly before this day; a problem with no known date is left out (counted in a warning).
            ``added_before`` = a model's training cutoff makes training data older than an evaluation with
            ``added_after`` = the same day; that day's exercises are in neither. None: no bound.

    The roots read are the builder's ``data_dir`` (one, several joined with ``os.pathsep``, or a list; see
    :mod:`polyglot_hrm.dataset.sources`).
    """

    languages: Optional[tuple] = _option(None, "comma-separated languages (default: all)")
    max_problems_per_language: Optional[int] = _option(None, "seeded sample of problems per language (default: all)")
    max_diff_examples_per_problem: int = _option(10, "diff_edit rows per problem, at most (default: 10)")
    max_refactor_examples_per_problem: int = _option(
        2, "refactor rows per problem beyond those, verified by execution only (default: 2; 0: none)")
    max_transfer_examples_per_pair: Optional[int] = _option(
        None, "transfer rows per directed language pair, at most (default: every shared slug)")
    min_complexity_score: float = _option(0.0, "keep problems of at least this complexity, 0-1 (default: 0)")
    max_complexity_score: float = _option(1.0, "keep problems of at most this complexity, 0-1 (default: 1)")
    min_diff_quality_score: float = _option(0.5, "drop diff_edit rows below this quality score (default: 0.5)")
    seed: int = _option(42, "seed of every choice (default: 42)")
    verify_by_execution: Optional[bool] = _option(
        None, "run bug_fix mutants' tests and keep the failing ones, record expected tests (default: where runners "
              "are available)")
    verify_timeout: float = _option(VERIFY_TIMEOUT, f"seconds per verification run (default: {VERIFY_TIMEOUT:g})")
    train_ratio: float = _option(0.8, "share of slugs in train (default: 0.8)")
    validation_ratio: float = _option(0.1, "share of slugs in validation (default: 0.1)")
    test_ratio: float = _option(0.1, "share of slugs in test (default: 0.1)")
    exclude_slugs_of: Optional[str] = field(default=None, metadata={
        "help": "benchmark root whose exercise slugs are left out of every split (default: none)",
        "flags": ("--exclude-benchmark", "--exclude-slugs-of"), "metavar": "DIR"})
    added_after: Optional[str] = field(default=None, metadata={
        "help": "keep exercises added to their track after this day, YYYY-MM-DD (track checkouts with git history; "
                "undated ones are left out) (default: all)", "metavar": "DATE"})
    added_before: Optional[str] = field(default=None, metadata={
        "help": "keep exercises added to their track before this day, YYYY-MM-DD, e.g. a model's training cutoff "
                "(default: all)", "metavar": "DATE"})

    def validate_options(self, owner: str = "") -> None:
        """Normalise and check every option; a :class:`ValueError` names the field, the reason and the fix."""
        where = f"{owner}." if owner else ""
        if isinstance(self.languages, str):
            self.languages = tuple(s.strip() for s in self.languages.split(",") if s.strip())
        if self.languages is not None:
            self.languages = tuple(self.languages)
            unknown = [lang for lang in self.languages if lang not in LANGUAGES]
            if unknown or not self.languages:
                raise ValueError(f"{where}languages={self.languages!r}: unknown {unknown or 'empty'}; choose from "
                                 f"{', '.join(LANGUAGES)} (or None for all)")
        for name in ("max_problems_per_language", "max_transfer_examples_per_pair"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                raise ValueError(f"{where}{name}={value!r}: must be a positive integer, or None for no limit")
        value = self.max_diff_examples_per_problem
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{where}max_diff_examples_per_problem={value!r}: must be a positive integer (1 keeps "
                             f"only the implement example)")
        value = self.max_refactor_examples_per_problem
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{where}max_refactor_examples_per_problem={value!r}: must be an integer >= 0 (0: no "
                             f"refactor rows)")
        if self.exclude_slugs_of is not None:
            self.exclude_slugs_of = str(self.exclude_slugs_of)
            from pathlib import Path

            if not Path(self.exclude_slugs_of).expanduser().is_dir():
                raise ValueError(f"{where}exclude_slugs_of={self.exclude_slugs_of!r}: no such directory; pass the root "
                                 f"of the benchmark clone whose exercises must stay out of the data")
        self.added_after = parse_added_date(self.added_after, f"{where}added_after")
        self.added_before = parse_added_date(self.added_before, f"{where}added_before")
        if self.added_after and self.added_before and self.added_after >= self.added_before:
            raise ValueError(f"{where}added_after={self.added_after} is not before added_before={self.added_before}: "
                             f"no day lies between them; lower the first or raise the second")
        for name in ("min_complexity_score", "max_complexity_score", "min_diff_quality_score"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise ValueError(f"{where}{name}={value!r}: must be a number in [0, 1]")
        if self.min_complexity_score > self.max_complexity_score:
            raise ValueError(f"{where}min_complexity_score={self.min_complexity_score} is above max_complexity_score="
                             f"{self.max_complexity_score}; lower the first or raise the second")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise ValueError(f"{where}seed={self.seed!r}: must be an integer")
        if self.verify_by_execution not in (None, True, False):
            raise ValueError(f"{where}verify_by_execution={self.verify_by_execution!r}: must be True, False or None "
                             f"(auto)")
        check_seconds(self.verify_timeout, f"{where}verify_timeout")
        ratios = self.split_ratios
        for split, value in ratios.items():
            if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise ValueError(f"{where}{split}_ratio={value!r}: must be a number in [0, 1]")
        if abs(sum(ratios.values()) - 1.0) > 1e-6:
            raise ValueError(f"{where}train_ratio + validation_ratio + test_ratio = {sum(ratios.values()):g}: they "
                             f"must sum to 1")
        if ratios["train"] <= 0:
            raise ValueError(f"{where}train_ratio=0: the train split needs a positive share")

    def dataset_options(self) -> dict[str, Any]:
        """The options as keyword arguments of the ``PolyglotHRM`` builder."""
        return {f.name: getattr(self, f.name) for f in fields(DatasetOptions)}

    @property
    def split_ratios(self) -> dict[str, float]:
        return {"train": self.train_ratio, "validation": self.validation_ratio, "test": self.test_ratio}


@dataclass
class PolyglotHRMConfig(datasets.BuilderConfig, DatasetOptions):
    """Options of one configuration (``name`` is ``generation``, ``diff_edit`` or ``transfer``): the
    :class:`DatasetOptions`, validated on creation."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.name not in CONFIG_NAMES:
            raise ValueError(f"name={self.name!r}: not a configuration of this dataset; choose one of {CONFIG_NAMES}")
        self.validate_options()
