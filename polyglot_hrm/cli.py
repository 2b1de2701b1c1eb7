"""The ``polyglot-hrm`` command line."""

from __future__ import annotations

import argparse
import json
import logging
import os
import stat
import sys
import time
from pathlib import Path
from typing import Sequence

from . import __version__
from .dataset.commands import add_dataset_commands
from .dataset.crosslang_report import challenges_table, crosslang_report, difficulty_table
from .dataset.hub import HubError
from .demo import DemoOptions, run_demo
from .evaluation.commands import add_compare_command, add_evaluate_command, add_leaderboard_command
from .problems import (BenchmarkError, CrossLanguageIndex, PolyglotBenchmarkExtractor, Problem, added_per_year,
                       added_table, save_problems)
from .execution import RunTask, run_many, run_problem
from .execution.commands import (add_executor_arguments, as_flags, executor_from_args, flags_of, parse_seconds,
                                 positive_int)
from .execution.executors import ExecutorError, runs_per_node_table
from .execution.provision import check_runner_cache, doctor, setup_runners
from .execution.sandbox import ExecutionNotAllowed
from .execution.workspace import MAX_CANDIDATE_BYTES, MAX_CANDIDATE_FILES
from .languages import LANGUAGES
from .languages.context import RunnerContext
from .modelio.names import BackendError
from .outputs import OutputError, atomic_write_text, write_fault
from .settings import BENCHMARK_ROOT_ENV, BENCHMARK_ROOT_HELP, DEFAULT_TIMEOUT, OPT_IN_ENV, command_benchmark_root
from .tables import format_table, plain_text

logger = logging.getLogger("polyglot_hrm")


def _languages(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def _add_root_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--benchmark-root", type=Path, default=None, metavar="DIR", help=BENCHMARK_ROOT_HELP)
    p.add_argument("--languages", default=None, help=f"comma-separated subset of {','.join(LANGUAGES)} (default: all)")
    p.add_argument("--strict", action="store_true", help="fail on an unreadable exercise instead of skipping it")


def _extract(args: argparse.Namespace) -> tuple[list[Problem], PolyglotBenchmarkExtractor]:
    root = command_benchmark_root(args.benchmark_root).path
    extractor = PolyglotBenchmarkExtractor(root, _languages(args.languages), strict=args.strict)
    problems = extractor.extract()
    report = extractor.report
    logger.info("read %d problems from %s (%s layout) in %.2f s", report.problems, root, report.layout, report.seconds)
    if report.added_dates:
        logger.info("added dates: %s", report.added_dates)
    if report.skipped:
        logger.warning("skipped %d exercise(s); rerun with --strict to stop at the first", len(report.skipped))
    if report.links_skipped:
        logger.warning("left out %d file(s) that link out of their exercise folder: %s", len(report.links_skipped),
                       ", ".join(report.links_skipped[:5]) + (" ..." if len(report.links_skipped) > 5 else ""))
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
    added = added_table(problems)  # only where the tree has dates: a track checkout with its git history
    if added:
        out.append(added)
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
                "languages_by_slug": index.languages_by_slug,
                "added_per_year": {year: dict(counts) for year, counts in sorted(added_per_year(problems).items())}}
        atomic_write_text(args.json, json.dumps(data, indent=1))
    return 0


def cross_language_tables(problems: Sequence[Problem]) -> str:
    """The difficulty distribution and the language-specific challenges (the seed's mapper's views)."""
    report = crosslang_report(problems)
    return f"{difficulty_table(report)}\n\n{challenges_table(report)}"


def cmd_demo(args: argparse.Namespace) -> int:
    chosen = command_benchmark_root(args.benchmark_root)
    root = chosen.path
    problems = PolyglotBenchmarkExtractor(root, strict=chosen.origin == "mini").extract()
    if not problems:
        raise BenchmarkError(f"{chosen.source} {root}: no exercises found; point it at a polyglot-benchmark clone "
                             f"(<language>/exercises/practice/<slug>) or an Exercism track checkout")
    print(f"benchmark: {root}", flush=True)
    print(stats_tables(problems), flush=True)
    if args.demo_verbose:
        print(f"\n{cross_language_tables(problems)}", flush=True)
    run_demo(DemoOptions(output_dir=Path(args.output_dir), recipe=args.recipe, overrides=tuple(args.overrides),
                         eval_max_new_tokens=args.max_new_tokens, seen_rows=args.seen_rows,
                         benchmark_root=chosen, held_out_rows=args.held_out_rows,
                         verbose=args.demo_verbose))
    return 0


def _read_candidate(directory: Path) -> dict[str, str]:
    """The regular files under ``directory`` as a candidate. Links, devices and other special files are
    refused (a link would make this process, outside the sandbox, read whatever it points to), and so
    are more files or bytes than a candidate may have."""
    if directory.is_symlink() or not directory.is_dir():
        raise FileNotFoundError(f"{directory}: --candidate must be a directory (not a link) of files laid out like the exercise")
    files: dict[str, str] = {}
    total = 0
    for dirpath, dirnames, filenames in os.walk(directory):  # os.walk does not descend into linked folders
        for name in sorted([*dirnames, *filenames]):
            path = Path(dirpath) / name
            rel = path.relative_to(directory).as_posix()
            info = path.lstat()
            if stat.S_ISDIR(info.st_mode):
                continue
            if not stat.S_ISREG(info.st_mode):
                kind = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "not a regular file"
                raise ValueError(f"{directory}/{rel} is {kind}; --candidate takes regular files only")
            total += info.st_size
            if len(files) >= MAX_CANDIDATE_FILES or total > MAX_CANDIDATE_BYTES:
                raise ValueError(f"{directory} holds more than {MAX_CANDIDATE_FILES} files or "
                                 f"{MAX_CANDIDATE_BYTES // (1024 * 1024)} MB; a candidate is the exercise's solution files")
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
            with os.fdopen(fd, "rb") as f:
                data = f.read(MAX_CANDIDATE_BYTES + 1)
            try:
                files[rel] = data.decode("utf-8")
            except UnicodeDecodeError:
                raise ValueError(f"{directory}/{rel} is not UTF-8 text") from None
    return files


def _find_problem(args: argparse.Namespace) -> Problem:
    language = args.problem.split("/", 1)[0]
    args.languages = language
    problems, extractor = _extract(args)
    match = [p for p in problems if p.id == args.problem]
    if not match:
        raise ValueError(f"no problem {args.problem!r} under {extractor.root}; "
                         f"ids look like LANGUAGE/SLUG (see `polyglot-hrm stats`)")
    return match[0]


def cmd_run(args: argparse.Namespace) -> int:
    check_runner_cache()
    problem = _find_problem(args)
    if args.candidate and args.reference:
        raise ValueError("Can't provide both `--candidate` and `--reference`. Choose one.")
    candidate = _read_candidate(args.candidate) if args.candidate else None
    mode = "reference" if args.reference else ("candidate" if candidate else "stub")
    result = run_problem(problem, candidate, mode=mode, timeout=args.timeout)
    print(json.dumps(result.to_dict(), indent=1))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    check_runner_cache()
    problems, _ = _extract(args)
    modes = ["reference", "stub"] if args.mode == "both" else [args.mode]
    tasks = [RunTask(p, mode=m) for p in problems for m in modes]
    executor = executor_from_args(args)
    start = time.perf_counter()
    results = run_many(tasks, jobs=args.jobs, timeout=args.timeout, desc="validating", executor=executor)
    wall = time.perf_counter() - start
    print(validation_report(problems, results, wall))
    print("\n" + runs_per_node_table(executor))
    if args.output:
        rows = [r.to_dict(with_output=False) for r in results]
        atomic_write_text(args.output, json.dumps({"wall_s": round(wall, 2), **executor.describe(), "results": rows},
                                                  indent=1))
        print(f"\nwrote {len(rows)} results to {args.output}")
    return 0


def validation_report(problems: Sequence[Problem], results: Sequence, wall: float) -> str:
    import statistics

    langs = [lang for lang in CrossLanguageIndex.from_problems(problems).languages]
    rows = []
    for lang in langs:
        mine = [r for r in results if r.problem_id.split("/")[0] == lang]
        ref = [r for r in mine if r.mode == "reference"]
        stub = [r for r in mine if r.mode == "stub"]
        pct = lambda rs: 100.0 * sum(r.passed for r in rs) / len(rs) if rs else float("nan")  # noqa: E731
        rows.append([lang, len({r.problem_id for r in mine}), f"{sum(r.passed for r in ref)}/{len(ref)}", pct(ref),
                     f"{sum(r.passed for r in stub)}/{len(stub)}", pct(stub),
                     statistics.median(r.duration_s for r in mine) if mine else 0.0])
    ref_all = [r for r in results if r.mode == "reference"]
    stub_all = [r for r in results if r.mode == "stub"]
    rows.append(["total", len({r.problem_id for r in results}), f"{sum(r.passed for r in ref_all)}/{len(ref_all)}",
                 100.0 * sum(r.passed for r in ref_all) / max(1, len(ref_all)),
                 f"{sum(r.passed for r in stub_all)}/{len(stub_all)}", 100.0 * sum(r.passed for r in stub_all) / max(1, len(stub_all)),
                 statistics.median(r.duration_s for r in results) if results else 0.0])
    out = [format_table(["language", "problems", "reference pass", "ref %", "stub pass", "stub %", "median s"], rows,
                        title=f"Runner fidelity ({len(results)} runs in {wall:.1f} s wall)")]
    surprises = [r for r in results if (r.mode == "reference") != r.passed]
    if surprises:
        out.append(f"\n{len(surprises)} surprise(s): references that do not pass, stubs that do")
        for r in surprises:
            out.append(f"\n--- {r.problem_id} [{r.mode}] {r.status} ({r.tests_passed}/{r.tests_total} tests)\n{r.output[-2000:]}")
    return "\n".join(out)


def cmd_setup_runners(args: argparse.Namespace) -> int:
    check_runner_cache()
    problems, _ = _extract(args)
    done = setup_runners(problems, _languages(args.languages))
    print("\n".join(done) if done else "runners already provisioned; nothing to do")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    ctx = RunnerContext()
    rows = doctor(ctx)
    print(format_table(["language", "tool", "version", "fix"], [[r.language, r.tool, r.version or "MISSING", r.fix] for r in rows],
                       title=f"Toolchains and provisioned dependencies (cache: {ctx.cache_dir})"))
    return 1 if any(r.version is None for r in rows) else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="polyglot-hrm", description=plain_text(__doc__))
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("extract", help="read a benchmark tree and write its problems as JSON")
    _add_root_args(p)
    p.add_argument("--output", "-o", type=Path, required=True, help="JSON file to write (a list of problems)")
    p.set_defaults(func=cmd_extract)

    p = sub.add_parser("stats", help="problems per language, coverage histogram, transfer pairs, exercises per year "
                                     "added (track checkouts with git history)")
    _add_root_args(p)
    p.add_argument("--json", type=Path, default=None, help="also write the numbers to this JSON file")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("run", help="run one problem's tests against a candidate (or the stub) and print the result")
    _add_root_args(p)
    p.add_argument("--problem", required=True, help=f"problem id, LANGUAGE/SLUG (LANGUAGE one of {', '.join(LANGUAGES)})")
    p.add_argument("--candidate", type=Path, default=None,
                   help="directory whose files replace or add files at the same relative paths (default: the stub as is)")
    p.add_argument("--reference", action="store_true", help="run with the reference solution in place")
    p.add_argument("--timeout", type=parse_seconds, default=DEFAULT_TIMEOUT,
                   help=f"wall-clock limit per run, seconds (default: {DEFAULT_TIMEOUT:g})")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("validate", help="run every reference and stub: runner fidelity per language")
    _add_root_args(p)
    p.add_argument("--jobs", type=positive_int, default=None,
                   help="parallel runs (default: one per core); with --executor ray, runs in flight (default: "
                        "twice the cluster's CPUs)")
    add_executor_arguments(p)
    p.add_argument("--mode", choices=["both", "reference", "stub"], default="both", help="what to run (default: both)")
    p.add_argument("--timeout", type=parse_seconds, default=DEFAULT_TIMEOUT,
                   help=f"wall-clock limit per run, seconds (default: {DEFAULT_TIMEOUT:g})")
    p.add_argument("--output", "-o", type=Path, default=None, help="write the results as JSON here")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("setup-runners", help="install test-framework dependencies once into the runner cache")
    _add_root_args(p)
    p.set_defaults(func=cmd_setup_runners)

    p = sub.add_parser("doctor", help="toolchain versions and what is missing, with the command that fixes it")
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("demo", help=f"the whole loop on a benchmark root (default: ${BENCHMARK_ROOT_ENV}, else the "
                                     "built-in mini-benchmark; `make demo` names the mini-benchmark): build "
                                     "the datasets, train the tiny recipe, score by execution, report (needs "
                                     f"{OPT_IN_ENV}=1); the seed's integration check")
    p.add_argument("--benchmark-root", type=Path, default=None, metavar="DIR", help=BENCHMARK_ROOT_HELP)
    p.add_argument("--output-dir", type=Path, default=Path("demo_output"), help="where outputs go (default: demo_output)")
    p.add_argument("--held-out-rows", type=int, default=None, metavar="N",
                   help="score at most N held-out rows, spread over languages (default: all)")
    p.add_argument("--verbose", dest="demo_verbose", action="store_true",
                   help="also print the difficulty distribution, the language-specific challenges and the rows per "
                        "split, task and language (-v before the command raises the log level)")
    p.add_argument("--recipe", type=Path, default=None, help="training recipe: a YAML file or a shipped recipe's name (default: tiny)")
    p.add_argument("--max-new-tokens", type=int, default=None,
                   help="tokens generated per answer (default: the recipe's polyglot.eval_max_new_tokens)")
    p.add_argument("--seen-rows", type=int, default=None,
                   help="training rows also scored, next to the held-out ones (default: every row it trained on; "
                        "0 skips them)")
    p.add_argument("overrides", nargs="*", help="recipe overrides section.field=value, e.g. training_args.max_steps=20")
    p.set_defaults(func=cmd_demo)

    add_dataset_commands(sub)
    add_evaluate_command(sub)
    add_compare_command(sub)
    add_leaderboard_command(sub)
    return parser


#: Mistakes in the command or its input: one line, exit status 2 (checked before any work where they can be).
USAGE_ERRORS = (BenchmarkError, FileNotFoundError, ValueError, OutputError, ExecutionNotAllowed, BackendError,
                ExecutorError)
#: What a rerun of each command does with what an interrupted one finished (Ctrl-C, a full disk, the network).
RERUN = {
    "build": "rerun the same command: configurations already built reload from the datasets cache, and finished "
             "verification runs are kept in the runner cache's journal (verified/runs.jsonl)",
    "export": "rerun the same command: the export is built beside --out and moved in only when whole, so an earlier "
              "export there is unchanged",
    "push": "rerun the same command: it uploads the export again (the export folder is unchanged)",
    "evaluate": "rerun the same command: every finished result is kept in the journal beside --output and is not "
                "run again",
    "setup-runners": "rerun the same command: what was provisioned is kept",
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    # The command line as typed, for the provenance of what a command writes; and the subcommand's own arguments
    # (a settings file may not override what they set).
    args.argv = ["polyglot-hrm", *argv]
    args.command_argv = argv[argv.index(args.command) + 1:] if args.command in argv else []
    level = logging.WARNING - 10 * min(args.verbose + 1, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    rerun = RERUN.get(args.command, "rerun the same command")
    flags = flags_of(parser, args.command)  # library errors name parameters: say them as this command's flags
    try:
        return args.func(args)
    except USAGE_ERRORS as err:
        print(f"polyglot-hrm {args.command}: error: {as_flags(str(err), flags)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\npolyglot-hrm {args.command}: interrupted; {rerun}", file=sys.stderr)
        return 130
    except HubError as err:
        print(f"polyglot-hrm {args.command}: error: {as_flags(str(err), flags)}", file=sys.stderr)
        return 1
    except Exception as err:
        fault = write_fault(err)
        if fault is None:
            raise
        print(f"polyglot-hrm {args.command}: error: {fault}. Free some space (or point the output or cache "
              f"elsewhere), then {rerun}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
