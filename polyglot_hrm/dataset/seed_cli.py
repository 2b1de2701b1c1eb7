"""Seed face (listed in ``polyglot_hrm.SEED_FACES``).

What the seed's dataset module CLIs share (``python -m polyglot_hrm.dataset.diff_based_training_generator``,
``... .cross_language_mapper``): read ``--problems-json``, map ``--max-examples`` and the other flags onto the
dataset options, write JSON, report errors as ``prog: error: ...`` with exit status 2."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from ..problems import BenchmarkError, Problem, load_problems_json
from ..execution.commands import as_flags, flags_of
from ..execution.sandbox import ExecutionNotAllowed
from ..languages import LANGUAGES

__all__ = ["run_seed_cli", "seed_parser", "write_json"]

_VERIFY = {"auto": None, "on": True, "off": False}


def seed_parser(prog: str, description: str, max_examples_help: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=description)
    p.add_argument("--problems-json", type=Path, required=True, metavar="FILE",
                   help="problems file from `polyglot-hrm extract` (or python -m polyglot_hrm.dataset.polyglot_benchmark_extractor)")
    p.add_argument("--output", "-o", type=Path, required=True, metavar="FILE", help="JSON file to write")
    p.add_argument("--max-examples", type=int, default=None, metavar="N", help=max_examples_help)
    p.add_argument("--languages", default=None, help=f"comma-separated subset of {','.join(LANGUAGES)} (default: all)")
    p.add_argument("--seed", type=int, default=42, help="seed of every choice (default: 42)")
    p.add_argument("--verify", choices=list(_VERIFY), default="auto",
                   help="run references (and bug_fix mutants) to verify and record expected tests: auto (where "
                        "runners are available), on or off (default: auto)")
    p.add_argument("--verbose", "-v", action="store_true", help="log progress (INFO)")
    return p


def options(args: argparse.Namespace, max_examples_field: str) -> dict[str, Any]:
    """The dataset options the flags set (the rest keep :class:`~.config.DatasetOptions`' defaults)."""
    out: dict[str, Any] = {"seed": args.seed, "verify_by_execution": _VERIFY[args.verify]}
    if args.languages:
        out["languages"] = args.languages
    if args.max_examples is not None:
        out[max_examples_field] = args.max_examples
    return out


def write_json(data: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")


def run_seed_cli(parser: argparse.ArgumentParser, argv: Sequence[str] | None,
                 job: Callable[[argparse.Namespace, list[Problem]], None]) -> int:
    """Parse, load the problems (those of ``--languages``), run ``job``; errors -> status 2 with one line."""
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        problems = load_problems_json(args.problems_json)
        if args.languages:
            wanted = {v.strip() for v in args.languages.split(",") if v.strip()}
            problems = [p for p in problems if p.language in wanted]
        job(args, problems)
    except (BenchmarkError, FileNotFoundError, ValueError, ExecutionNotAllowed) as err:
        print(f"{parser.prog}: error: {as_flags(str(err), flags_of(parser))}", file=sys.stderr)
        return 2
    return 0
