"""Seed face (listed in ``polyglot_hrm.SEED_FACES``).

The seed's form: ``python -m polyglot_hrm.problems [--benchmark-root DIR] --output FILE [--languages L,...]``.

The same as ``polyglot-hrm extract``, written with the benchmark layer alone (the CLI sits above every
layer and is not imported here).
"""

import argparse
import logging
import sys
from pathlib import Path

from ..languages import LANGUAGES
from ..settings import BENCHMARK_ROOT_HELP, command_benchmark_root
from ..tables import plain_text
from . import BenchmarkError, PolyglotBenchmarkExtractor, save_problems


def main(argv: list[str] | None = None, prog: str = "python -m polyglot_hrm.problems") -> int:
    parser = argparse.ArgumentParser(prog=prog, description=plain_text(__doc__.splitlines()[0]))
    parser.add_argument("--benchmark-root", type=Path, default=None, metavar="DIR", help=BENCHMARK_ROOT_HELP)
    parser.add_argument("--output", "-o", type=Path, required=True, metavar="FILE", help="JSON file to write")
    parser.add_argument("--languages", default=None, help=f"comma-separated subset of {','.join(LANGUAGES)} (default: all)")
    parser.add_argument("--strict", action="store_true", help="fail on an unreadable exercise instead of skipping it")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    languages = [v.strip() for v in args.languages.split(",") if v.strip()] if args.languages else None
    try:
        root = command_benchmark_root(args.benchmark_root).path
        problems = PolyglotBenchmarkExtractor(root, languages, strict=args.strict).extract()
    except (BenchmarkError, FileNotFoundError, ValueError) as err:
        print(f"{parser.prog}: error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {save_problems(problems, args.output)} problems to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
