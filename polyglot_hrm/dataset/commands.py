"""Dataset subcommands of ``polyglot-hrm``: ``build``, ``export``, ``push``, ``crosslang``."""

from __future__ import annotations

import argparse
import time
from collections import Counter
from dataclasses import fields
from pathlib import Path

from ..problems import load_problems_json
from ..execution.commands import add_executor_arguments, executor_from_args
from ..settings import BENCHMARK_ROOT_ENV, command_benchmark_root
from ..synthesis.examples import EDIT_TYPES
from ..tables import format_table
from . import export  # export.build_datasets, .export, .push: looked up at each call (tests replace them)
from .config import DatasetOptions
from .crosslang_report import write_crosslang
from .names import CONFIG_NAMES, SPLITS

__all__ = ["add_dataset_commands", "refactor_report", "stats_report"]


def _configs(value: str | None) -> list[str]:
    names = [v.strip() for v in (value or ",".join(CONFIG_NAMES)).split(",") if v.strip()]
    unknown = [n for n in names if n not in CONFIG_NAMES]
    if unknown:
        raise ValueError(f"--configs: unknown {unknown}; choose from {', '.join(CONFIG_NAMES)}")
    return names


_VERIFY = {"auto": None, "on": True, "off": False}


def _options(args: argparse.Namespace) -> dict:
    """The dataset options given on the command line (the others keep the builder's defaults)."""
    out = {f.name: getattr(args, f.name) for f in fields(DatasetOptions) if f.name != "verify_by_execution"}
    out["verify_by_execution"] = _VERIFY[args.verify]
    return out


def _add_options(p: argparse.ArgumentParser) -> None:
    """The build/export flags: one per :class:`DatasetOptions` field, with its help (said once there)."""
    p.add_argument("--benchmark-root", "--data-dir", dest="benchmark_root", type=Path, nargs="+", default=None,
                   metavar="DIR", help="one or more roots, each a polyglot-benchmark clone or an Exercism track "
                                       "checkout; a language/slug in two keeps the first root's copy (default: "
                                       f"${BENCHMARK_ROOT_ENV}, else the built-in mini-benchmark; the roots read, "
                                       "and why, are logged, and the card of an export names them)")
    p.add_argument("--configs", default=None, help=f"comma-separated subset of {','.join(CONFIG_NAMES)} (default: all)")
    types = {"int": int, "float": float, "Optional[int]": int, "Optional[tuple]": str, "Optional[str]": str}
    for f in fields(DatasetOptions):
        if f.name == "verify_by_execution":
            p.add_argument("--verify", choices=list(_VERIFY), default="auto", help=f"{f.metadata['help']}; auto, on or off")
            continue
        flags = f.metadata.get("flags") or (f"--{f.name.replace('_', '-')}",)
        p.add_argument(*flags, dest=f.name, type=types[str(f.type)], default=None, help=f.metadata["help"],
                       metavar=f.metadata.get("metavar"))
    p.add_argument("--cache-dir", default=None, help="datasets cache directory (default: HF_DATASETS_CACHE)")
    # Where mutant verification runs: not a dataset option (a build verified on Ray reloads locally).
    add_executor_arguments(p)


def stats_report(built: dict) -> str:
    """Rows per config x split x language, x source (the root each row's exercise was read from), and x edit type
    for diff_edit, as tables."""
    out = []
    for name, dd in built.items():
        splits = [s for s in SPLITS if s in dd]
        langs = sorted({lang for s in splits for lang in dd[s]["language"]})
        rows = []
        for lang in langs:
            counts = [sum(1 for x in dd[s]["language"] if x == lang) for s in splits]
            rows.append([lang, *counts, sum(counts)])
        totals = [dd[s].num_rows for s in splits]
        rows.append(["total", *totals, sum(totals)])
        out.append(format_table(["language", *splits, "total"], rows, title=f"{name}: rows per split and language"))
        rows = []
        for src in sorted({x for s in splits for x in dd[s]["source"]}):
            counts = [sum(1 for x in dd[s]["source"] if x == src) for s in splits]
            rows.append([src, *counts, sum(counts)])
        out.append(format_table(["source", *splits, "total"], rows, title=f"{name}: rows per split and source"))
        if name == "diff_edit":
            types = list(EDIT_TYPES)
            rows = []
            for lang in langs:
                counts = []
                for t in types:
                    counts.append(sum(1 for s in splits for x, y in zip(dd[s]["language"], dd[s]["edit_type"])
                                      if x == lang and y == t))
                rows.append([lang, *counts, sum(counts)])
            for s in splits:
                counts = [sum(1 for y in dd[s]["edit_type"] if y == t) for t in types]
                rows.append([f"[{s}]", *counts, sum(counts)])
            out.append(format_table(["language / split", *types, "total"], rows, title="diff_edit: rows per edit type"))
    return "\n\n".join(out)


def refactor_report(report) -> str:
    """Refactorings tried and kept per language (a :class:`~.rows.BuildReport` of diff_edit)."""
    kept = Counter(r["language"] for r in report.rows if r.get("edit_type") == "refactor")
    langs = sorted({lang for lang, _ in report.refactor_runs})
    rows = []
    for lang in langs:
        tried = sum(n for (x, _), n in report.refactor_runs.items() if x == lang)
        passed = report.refactor_runs[(lang, "passed")]
        rows.append([lang, tried, passed, kept[lang]])
    rows.append(["total", *(sum(r[i] for r in rows) for i in (1, 2, 3))])
    return format_table(["language", "tried", "passed", "kept"], rows,
                        title="refactorings: tried (run), passed every test, kept as rows (at most the cap per problem)")


def cmd_build(args: argparse.Namespace) -> int:
    root = command_benchmark_root(args.benchmark_root)
    start = time.perf_counter()
    reports: dict = {}
    built = export.build_datasets(root, _configs(args.configs), args.cache_dir, reports=reports,
                           executor=executor_from_args(args), **_options(args))
    wall = time.perf_counter() - start
    for name, dd in built.items():
        print(f"{name}: " + ", ".join(f"{s} {dd[s].num_rows}" for s in dd))
    if args.stats:
        print()
        print(stats_report(built))
    verification = sum((r.verification for r in reports.values() if r is not None), Counter())
    if verification:
        print(f"\nbug_fix mutants run, by status (only `failed` ones are kept): {dict(verification)}")
    diff = reports.get("diff_edit")
    if diff is not None and diff.refactor_runs:
        print()
        print(refactor_report(diff))
    resumed = sum(r.resumed for r in reports.values() if r is not None)
    if resumed:
        print(f"\n{resumed} verification run(s) answered by the journal of an earlier build (resumed)")
    print(f"\nbuilt (or reloaded) {len(built)} configuration(s) from {root.data_dir} in {wall:.1f} s")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    root = command_benchmark_root(args.benchmark_root)
    report = export.export(root, args.out, _configs(args.configs), args.cache_dir,
                    executor=executor_from_args(args), command=getattr(args, "argv", None), **_options(args))
    for path in report.files:
        print(f"wrote {path}")
    exported = list(report.counts)
    config = "diff_edit" if "diff_edit" in exported else (exported[0] if exported else None)
    hint = f"; load with datasets.load_dataset({str(args.out)!r}, {config!r})" if config else ""
    print(f"exported {', '.join(f'{n} ({sum(c.values())} rows)' for n, c in report.counts.items())} from "
          f"{root.data_dir} to {args.out} in {report.seconds:.1f} s{hint}")
    return 0


def cmd_push(args: argparse.Namespace) -> int:
    for line in export.push(args.export_dir, args.repo_id, private=args.private, dry_run=args.dry_run):
        print(line)
    return 0


def cmd_crosslang(args: argparse.Namespace) -> int:
    report = write_crosslang(load_problems_json(args.problems_json), args.output)
    langs = report["languages"]
    rows = [[a, *(f"{report['matrix'][a][b]['shared_slugs']} / {report['matrix'][a][b]['mean_similarity'] or 0:.2f}"
                  if a != b else "-" for b in langs)] for a in langs]
    print(format_table(["source \\ target", *langs], rows,
                       title="Shared slugs / mean solution similarity (token-set Jaccard)"))
    print(f"\nwrote {len(report['pairs'])} directed pairs and the matrix to {args.output}")
    return 0


def add_dataset_commands(sub) -> None:
    """Register ``build``, ``export``, ``push`` and ``crosslang`` on the CLI's subparsers."""
    p = sub.add_parser("build", help="build (or reload from cache) the dataset configs; --stats prints row counts")
    _add_options(p)
    p.add_argument("--stats", action="store_true",
                   help="print rows per config x split x language (x edit type) and x source")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("export", help="write Parquet per config and split plus a dataset card (README.md)")
    _add_options(p)
    p.add_argument("--out", type=Path, required=True, help="output folder (load it with datasets.load_dataset(OUT, cfg))")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("push", help="upload an export folder to the Hugging Face Hub with push_to_hub")
    p.add_argument("--repo-id", required=True, help="dataset repository, ORG/NAME")
    p.add_argument("--export-dir", type=Path, default=Path("dataset_export"),
                   help="folder written by `polyglot-hrm export` (default: dataset_export)")
    p.add_argument("--private", action="store_true", help="create the repository as private")
    p.add_argument("--dry-run", action="store_true", help="list what would be uploaded; send nothing")
    p.set_defaults(func=cmd_push)

    p = sub.add_parser("crosslang", help="transfer pairs and a language compatibility matrix as JSON")
    p.add_argument("--problems-json", type=Path, required=True, help="problems file from `polyglot-hrm extract`")
    p.add_argument("--output", "-o", type=Path, required=True, help="JSON file to write")
    p.set_defaults(func=cmd_crosslang)
