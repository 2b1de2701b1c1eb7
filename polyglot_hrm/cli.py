"""The ``polyglot-hrm`` command line."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Sequence

from . import __version__
from .benchmark import (BenchmarkError, CrossLanguageIndex, PolyglotBenchmarkExtractor, Problem,
                        mini_benchmark_root, save_problems)
from .tables import format_table

logger = logging.getLogger("polyglot_hrm")

BENCHMARK_ROOT_ENV = "POLYGLOT_BENCHMARK_ROOT"


def _default_root() -> Path:
    env = os.environ.get(BENCHMARK_ROOT_ENV)
    return Path(env) if env else mini_benchmark_root()


def _languages(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def _add_root_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--benchmark-root", type=Path, default=None,
                   help=f"polyglot-benchmark clone or Exercism track checkout (default: ${BENCHMARK_ROOT_ENV}, "
                        f"else the built-in mini-benchmark)")
    p.add_argument("--languages", default=None, help="comma-separated subset, e.g. python,rust (default: all)")
    p.add_argument("--strict", action="store_true", help="fail on an unreadable exercise instead of skipping it")


def _extract(args: argparse.Namespace) -> tuple[list[Problem], PolyglotBenchmarkExtractor]:
    root = args.benchmark_root or _default_root()
    extractor = PolyglotBenchmarkExtractor(root, _languages(args.languages), strict=args.strict)
    problems = extractor.extract()
    report = extractor.report
    logger.info("read %d problems from %s (%s layout) in %.2f s", report.problems, root, report.layout, report.seconds)
    if report.skipped:
        logger.warning("skipped %d exercise(s); rerun with --strict to stop at the first", len(report.skipped))
    return problems, extractor


def cmd_extract(args: argparse.Namespace) -> int:
    problems, _ = _extract(args)
    n = save_problems(problems, args.output)
    print(f"wrote {n} problems to {args.output}")
    return 0


def stats_tables(problems: Sequence[Problem]) -> str:
    index = CrossLanguageIndex.from_problems(problems)
    langs = index.languages
    per_lang = index.problems_per_language()
    by_lang: dict[str, list[Problem]] = {}
    for p in problems:
        by_lang.setdefault(p.language, []).append(p)

    def files(ps: list[Problem], role: str) -> int:
        return sum(len(p.files_with_role(role)) for p in ps)

    rows = []
    for lang in langs:
        ps = by_lang[lang]
        ref_lines = sum(f.content.count("\n") for p in ps for f in p.files_with_role("reference"))
        tests = sum(p.metadata.test_case_count or 0 for p in ps)
        rows.append([lang, per_lang[lang], files(ps, "solution"), files(ps, "reference"), files(ps, "test"),
                     tests, ref_lines, sum(p.metadata.complexity for p in ps) / len(ps)])
    rows.append(["total", len(problems), *(sum(r[i] for r in rows) for i in range(2, 7)),
                 sum(p.metadata.complexity for p in problems) / max(1, len(problems))])
    out = [format_table(["language", "problems", "solution files", "reference files", "test files", "test cases",
                         "reference lines", "mean complexity"], rows, title="Problems per language")]
    hist = index.coverage_histogram()
    out.append(format_table(["languages", "slugs"], [[n, c] for n, c in hist.items()] + [["total", len(index.languages_by_slug)]],
                            title="Slugs by number of languages"))
    pairs = index.transfer_pairs()
    matrix = [[src, *(pairs.get((src, tgt), "-") if src != tgt else "-" for tgt in langs)] for src in langs]
    out.append(format_table(["source \\ target", *langs], matrix,
                            title=f"Directed transfer pairs (shared slugs), {sum(pairs.values())} in all"))
    return "\n\n".join(out)


def cmd_stats(args: argparse.Namespace) -> int:
    problems, extractor = _extract(args)
    print(stats_tables(problems))
    if extractor.report.skipped:
        print(f"\nskipped {len(extractor.report.skipped)} exercise(s):")
        for path, reason in extractor.report.skipped:
            print(f"  {path}: {reason}")
    if args.json:
        index = CrossLanguageIndex.from_problems(problems)
        data = {"problems_per_language": index.problems_per_language(),
                "coverage_histogram": index.coverage_histogram(),
                "transfer_pairs": {f"{a}->{b}": n for (a, b), n in index.transfer_pairs().items()},
                "languages_by_slug": index.languages_by_slug}
        Path(args.json).write_text(json.dumps(data, indent=1))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    extractor = PolyglotBenchmarkExtractor(mini_benchmark_root(), strict=True)
    problems = extractor.extract()
    save_problems(problems, out / "problems.json")
    print(stats_tables(problems))
    print(f"\ndemo: {len(problems)} problems from the built-in mini-benchmark in {time.perf_counter() - start:.1f} s; "
          f"outputs in {out.resolve()}/ (problems.json)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="polyglot-hrm", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("extract", help="read a benchmark tree and write its problems as JSON")
    _add_root_args(p)
    p.add_argument("--output", "-o", type=Path, required=True, help="JSON file to write (a list of problems)")
    p.set_defaults(func=cmd_extract)

    p = sub.add_parser("stats", help="problems per language, coverage histogram, transfer pairs")
    _add_root_args(p)
    p.add_argument("--json", type=Path, default=None, help="also write the numbers to this JSON file")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("demo", help="the whole loop on the built-in mini-benchmark")
    p.add_argument("--output-dir", type=Path, default=Path("demo_output"), help="where outputs go (default: demo_output)")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose + 1, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except (BenchmarkError, FileNotFoundError, ValueError) as err:
        print(f"polyglot-hrm {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
