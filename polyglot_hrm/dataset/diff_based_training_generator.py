"""Seed face (listed in ``polyglot_hrm.SEED_FACES``).

The seed's ``DiffBasedTrainingGenerator``: problems -> ``diff_edit`` examples (:class:`DiffEdit` records).

A thin face over the dataset builder's engine (:func:`polyglot_hrm.dataset.rows.build` with the
``diff_edit`` configuration), so the examples are exactly the dataset's rows: per problem one ``implement``
edit (stub -> reference), up to a third ``feature`` edits (a removed function put back) and ``bug_fix``
edits from mutants of the reference, which with verification on are kept only when their tests fail (the
failing output becomes ``test_feedback``); each carries minimal Aider SEARCH/REPLACE blocks
(``target_edit``), their measures and a quality score (rows under ``min_diff_quality_score`` are dropped).

    generator = DiffBasedTrainingGenerator(max_diff_examples_per_problem=10, verify_by_execution=False)
    edits = generator.generate(problems)           # list[DiffEdit]; generator.report has what the build did

Options are the dataset's (:class:`~polyglot_hrm.dataset.config.DatasetOptions`). The seed's command line::

    python -m polyglot_hrm.dataset.diff_based_training_generator --problems-json problems.json \\
        --output diff_training_data.json --max-examples 10 [--verify auto|on|off] [--languages python,go]

writes a JSON list of ``diff_edit`` rows (``DiffEdit.from_row`` reads each back); ``--max-examples`` is
``max_diff_examples_per_problem`` (examples per problem, at most).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from typing import Any, Sequence

from ..problems import Problem
from ..synthesis.examples import EDIT_TYPES
from ..tables import format_table
from .rows import BuildReport, build
from .config import PolyglotHRMConfig
from .records import DiffEdit, DiffEditType
from .seed_cli import options, run_seed_cli, seed_parser, write_json

__all__ = ["DiffBasedTrainingGenerator", "DiffEdit", "DiffEditType", "main"]


class DiffBasedTrainingGenerator:
    """``diff_edit`` examples of problems, as the dataset builds them.

    Args:
        **options: dataset options (``max_diff_examples_per_problem``, ``min_diff_quality_score``, ``seed``,
            ``verify_by_execution``, ``verify_timeout``, ``languages``, ...), validated as the builder does.
    """

    def __init__(self, **options: Any) -> None:
        self.config = PolyglotHRMConfig(name="diff_edit", **options)
        #: What the last :meth:`generate` did (rows, mutant verification statuses); None before.
        self.report: BuildReport | None = None

    def generate_rows(self, problems: Sequence[Problem]) -> list[dict[str, Any]]:
        """The ``diff_edit`` rows of ``problems`` (each with its split), in a deterministic order."""
        self.report = build(self.config, problems)
        return self.report.rows

    def generate(self, problems: Sequence[Problem]) -> list[DiffEdit]:
        """The ``diff_edit`` examples of ``problems`` as :class:`DiffEdit` records."""
        return [DiffEdit.from_row(row) for row in self.generate_rows(problems)]


def summary_table(rows: Sequence[dict[str, Any]]) -> str:
    """Examples per language and edit type."""
    counts = Counter((r["language"], r["edit_type"]) for r in rows)
    languages = sorted({r["language"] for r in rows})
    table = [[lang, *(counts[(lang, t)] for t in EDIT_TYPES), sum(counts[(lang, t)] for t in EDIT_TYPES)]
             for lang in languages]
    table.append(["total", *(sum(counts[(lang, t)] for lang in languages) for t in EDIT_TYPES), len(rows)])
    return format_table(["language", *EDIT_TYPES, "total"], table, title="diff_edit examples")


def _job(args: argparse.Namespace, problems: list[Problem]) -> None:
    generator = DiffBasedTrainingGenerator(**options(args, "max_diff_examples_per_problem"))
    rows = generator.generate_rows(problems)
    write_json(rows, args.output)
    print(summary_table(rows))
    if generator.report and generator.report.verification:
        print(f"bug_fix mutants run, by status (only `failed` ones are kept): {dict(generator.report.verification)}")
    print(f"wrote {len(rows)} diff_edit examples of {len(problems)} problems to {args.output}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = seed_parser("python -m polyglot_hrm.dataset.diff_based_training_generator",
                         "Generate diff_edit (SEARCH/REPLACE) training examples from a problems file.",
                         "diff_edit examples per problem, at most (max_diff_examples_per_problem; default: 10)")
    return run_seed_cli(parser, argv, _job)


if __name__ == "__main__":
    sys.exit(main())
