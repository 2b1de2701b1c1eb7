"""Seed face (listed in ``polyglot_hrm.SEED_FACES``).

The seed's ``CrossLanguageProblemMapper``: which problems are the same exercise in several languages, how
their difficulty is distributed, what each language pair makes a translation add, and the transfer examples.

A thin face over :mod:`.crosslang_report` (the report of ``polyglot-hrm crosslang``) and the dataset builder's
``transfer`` configuration:

    mapper = CrossLanguageProblemMapper(problems, max_transfer_examples_per_pair=5, verify_by_execution=False)
    mapper.equivalent_problems()            # {"tally-words": ("cpp", "go", ...), ...}: slugs in 2+ languages
    mapper.difficulty_distribution()        # {"python": {"easy": 2, "medium": 2, "hard": 1, ...}, ...}
    mapper.language_challenges("python", "rust")   # {"static_types": 5, "ownership_borrowing": 4, ...}
    mapper.compatibility_matrix()           # {source: {target: {"shared_slugs", "mean_similarity"}}}
    mapper.transfer_examples()              # list[TransferLearningExample], the dataset's transfer rows

``language_challenges(source, target)`` counts, over the slugs both languages have, how often the target's
reference uses a construct the source's does not (the construct tags and what they mean:
:mod:`polyglot_hrm.languages.concepts`). The seed's command line::

    python -m polyglot_hrm.dataset.cross_language_mapper --problems-json problems.json \\
        --output cross_language_mappings.json --max-examples 5 [--verify auto|on|off]

writes the report (``languages``, ``problems_per_language``, ``matrix``, ``difficulty_distribution``,
``language_challenges``, ``pairs``) plus ``examples``, the transfer rows; ``--max-examples`` is
``max_transfer_examples_per_pair`` (examples per directed language pair, at most).
"""

from __future__ import annotations

import argparse
import sys
from functools import cached_property
from typing import Any, Sequence

from ..problems import CrossLanguageIndex, Problem
from .rows import build
from .config import PolyglotHRMConfig
from .crosslang_report import challenges_table, crosslang_report, difficulty_table
from .records import TransferLearningExample
from .seed_cli import options, run_seed_cli, seed_parser, write_json

__all__ = ["CrossLanguageProblemMapper", "TransferLearningExample", "main"]


class CrossLanguageProblemMapper:
    """Cross-language views of a set of problems.

    Args:
        problems: the problems (``polyglot-hrm extract`` output, or ``load_benchmark``).
        **options: dataset options for :meth:`transfer_examples` (``max_transfer_examples_per_pair``, ``seed``,
            ``verify_by_execution``, ...), validated as the builder does.
    """

    def __init__(self, problems: Sequence[Problem], **options: Any) -> None:
        self.problems = list(problems)
        self.config = PolyglotHRMConfig(name="transfer", **options)
        self.index = CrossLanguageIndex.from_problems(self.problems)

    @cached_property
    def report(self) -> dict[str, Any]:
        """The cross-language report (:func:`~.crosslang.crosslang_report`), computed once."""
        return crosslang_report(self.problems)

    def equivalent_problems(self) -> dict[str, tuple[str, ...]]:
        """``slug -> languages`` for every slug present in two or more languages."""
        return {slug: langs for slug, langs in self.index.languages_by_slug.items() if len(langs) > 1}

    def difficulty_distribution(self) -> dict[str, dict[str, Any]]:
        return self.report["difficulty_distribution"]

    def language_challenges(self, source: str, target: str) -> dict[str, int]:
        """Construct tag -> number of shared slugs whose target reference needs it and whose source lacks it."""
        return dict(self.report["language_challenges"].get(source, {}).get(target, {}))

    def compatibility_matrix(self) -> dict[str, dict[str, dict[str, Any]]]:
        return self.report["matrix"]

    def transfer_examples(self) -> list[TransferLearningExample]:
        """The ``transfer`` rows of the problems (each with its split) as records."""
        return [TransferLearningExample.from_row(row) for row in build(self.config, self.problems).rows]


def _job(args: argparse.Namespace, problems: list[Problem]) -> None:
    mapper = CrossLanguageProblemMapper(problems, **options(args, "max_transfer_examples_per_pair"))
    examples = [e.to_row() for e in mapper.transfer_examples()]
    write_json({**mapper.report, "examples": examples}, args.output)
    print(f"{difficulty_table(mapper.report)}\n\n{challenges_table(mapper.report)}")
    print(f"\n{len(mapper.equivalent_problems())} slugs in two or more languages, {len(mapper.report['pairs'])} "
          f"directed pairs; wrote the report and {len(examples)} transfer examples to {args.output}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = seed_parser("python -m polyglot_hrm.dataset.cross_language_mapper",
                         "Map problems across languages: pairs, compatibility matrix, difficulty distribution, "
                         "language-specific challenges and transfer examples.",
                         "transfer examples per directed language pair, at most (max_transfer_examples_per_pair; "
                         "default: every shared slug)")
    return run_seed_cli(parser, argv, _job)


if __name__ == "__main__":
    sys.exit(main())
