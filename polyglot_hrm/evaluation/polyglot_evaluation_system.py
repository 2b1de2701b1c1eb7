"""Seed face (listed in ``polyglot_hrm.SEED_FACES``).

The seed's module path for ``PolyglotEvaluationSystem`` (it lives in :mod:`.system`) and its command line::

    python -m polyglot_hrm.evaluation.polyglot_evaluation_system --problems-json problems.json \\
        --solutions-json generated_solutions.json --output evaluation_results.json

the same as ``python -m polyglot_hrm.evaluation`` and ``polyglot-hrm evaluate`` (every option works).
"""

import sys
from typing import Sequence

from .__main__ import main as _main
from .system import EvaluationResults, PolyglotEvaluationSystem

__all__ = ["EvaluationResults", "PolyglotEvaluationSystem", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    return _main(argv, prog="python -m polyglot_hrm.evaluation.polyglot_evaluation_system")


if __name__ == "__main__":
    sys.exit(main())
