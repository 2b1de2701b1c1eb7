"""Seed face (listed in ``polyglot_hrm.SEED_FACES``).

The seed's module path for ``PolyglotBenchmarkExtractor`` (it lives in :mod:`polyglot_hrm.problems`) and its
command line::

    python -m polyglot_hrm.dataset.polyglot_benchmark_extractor --benchmark-root DIR --output problems.json \\
        [--languages python,rust] [--strict]

the same as ``polyglot-hrm extract`` and ``python -m polyglot_hrm.problems``.
"""

import sys
from typing import Sequence

from ..problems import PolyglotBenchmarkExtractor
from ..problems.__main__ import main as _main

__all__ = ["PolyglotBenchmarkExtractor", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    return _main(argv, prog="python -m polyglot_hrm.dataset.polyglot_benchmark_extractor")


if __name__ == "__main__":
    sys.exit(main())
