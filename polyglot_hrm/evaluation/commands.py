"""The ``polyglot-hrm evaluate`` subcommand (also ``python -m polyglot_hrm.evaluation``, the seed's form)."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

from ..dataset.names import CONFIG_NAMES

__all__ = ["add_evaluate_arguments", "add_evaluate_command", "cmd_evaluate", "load_model"]

logger = logging.getLogger(__name__)


def _ks(value: str) -> list[int]:
    try:
        ks = sorted({int(v) for v in value.split(",") if v.strip()})
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"--k {value!r}: comma-separated integers, e.g. 1,5") from err
    if not ks or ks[0] < 1:
        raise argparse.ArgumentTypeError(f"--k {value!r}: every k must be >= 1")
    return ks


def add_evaluate_arguments(p: argparse.ArgumentParser) -> None:
    """Every option of ``evaluate`` (shared by the CLI subcommand and ``python -m polyglot_hrm.evaluation``)."""
    src = p.add_argument_group("problems (one source; default: $POLYGLOT_BENCHMARK_ROOT, else the mini-benchmark)")
    src.add_argument("--benchmark-root", type=Path, default=None, metavar="DIR",
                     help="polyglot-benchmark clone: one generation case per exercise")
    src.add_argument("--problems-json", type=Path, default=None, metavar="FILE",
                     help="problems file from `polyglot-hrm extract` (seed form)")
    src.add_argument("--dataset", default=None, metavar="DIR_OR_HUB_ID",
                     help="exported dataset folder or Hub dataset id (with --config, --split)")
    src.add_argument("--config", choices=CONFIG_NAMES, default="generation", help="dataset config (default: generation)")
    src.add_argument("--split", default="test", help="dataset split (default: test)")
    src.add_argument("--languages", default=None, metavar="LANGS",
                     help="comma-separated subset, e.g. python,rust (default: all)")
    src.add_argument("--limit", type=int, default=None, metavar="N",
                     help="at most this many cases per language (default: all)")

    what = p.add_argument_group("what to score (one of)")
    what.add_argument("--solutions", "--solutions-json", dest="solutions", type=Path, default=None, metavar="FILE",
                      help='solutions JSON: {"<problem or row id>": [{"files": {path: content}} | {"edit": "<SEARCH/REPLACE>"}]}')
    what.add_argument("--model", default=None, metavar="DIR_OR_HUB_ID",
                      help="model folder or Hub id to generate candidates with")
    what.add_argument("--write-solutions", type=Path, default=None, metavar="FILE",
                      help="instead of scoring, write the selected cases' --solutions-of as a solutions file here")
    what.add_argument("--solutions-of", choices=["reference", "stub"], default="reference",
                      help="what --write-solutions writes (default: reference)")

    gen = p.add_argument_group("generation (--model)")
    gen.add_argument("--num-samples", type=int, default=1, help="samples per case (default: 1)")
    gen.add_argument("--temperature", type=float, default=0.0, help="sampling temperature; 0 = greedy (default: 0)")
    gen.add_argument("--max-new-tokens", type=int, default=512, help="tokens per answer (default: 512)")
    gen.add_argument("--batch-size", type=int, default=8, help="prompts per generate call (default: 8)")
    gen.add_argument("--attempts", type=int, choices=[1, 2], default=1,
                     help="2: retry a failed first sample with its trimmed test output (Aider's protocol; default: 1)")
    gen.add_argument("--seed", type=int, default=0, help="sampling seed (default: 0)")

    run = p.add_argument_group("scoring and output")
    run.add_argument("--k", type=_ks, default=[1], metavar="K[,K...]",
                     help="pass@k values, comma-separated (default: 1)")
    run.add_argument("--jobs", type=int, default=None, help="parallel test runs (default: one per core)")
    run.add_argument("--timeout", type=float, default=180.0, help="wall-clock limit per run, seconds (default: 180)")
    run.add_argument("--output", "-o", type=Path, default=Path("eval_output/results.json"), metavar="FILE",
                     help="results JSON (default: eval_output/results.json)")
    run.add_argument("--report-dir", type=Path, default=None, metavar="DIR",
                     help="where report.md, report.html and the PNG charts go (default: the --output folder)")
    run.add_argument("--no-report", action="store_true", help="write the JSON only, no charts or report")


def load_model(name: str) -> tuple[Any, Any]:
    """(model, tokenizer) from a folder or Hub id saved with ``save_pretrained``; on a GPU when there is one."""
    import torch
    from transformers import AutoModelForCausalLM

    import hrm_modeling  # noqa: F401  (registers the model type with the Auto classes)

    from ..modelio.tokenizer import load_tokenizer

    model = AutoModelForCausalLM.from_pretrained(name)
    tokenizer = load_tokenizer(name)
    if torch.cuda.is_available():
        model = model.to("cuda")
    return model.eval(), tokenizer


def cmd_evaluate(args: argparse.Namespace) -> int:
    import os

    from .cases import load_cases, solutions_from_problems
    from .report import summary_table, write_report
    from .system import evaluate_model, evaluate_solutions

    chosen = [f for f, v in (("--solutions", args.solutions), ("--model", args.model),
                             ("--write-solutions", args.write_solutions)) if v is not None]
    if len(chosen) != 1:
        raise ValueError("Give one of `--solutions FILE`, `--model DIR_OR_HUB_ID` or `--write-solutions FILE`"
                         + (f" (got {' and '.join(chosen)})." if chosen else "."))
    if args.attempts == 2 and args.model is None and args.write_solutions is None:
        raise ValueError("`--attempts 2` retries with the model's second answer: it needs `--model`.")
    root = args.benchmark_root
    env_root = os.environ.get("POLYGLOT_BENCHMARK_ROOT")
    if root is None and args.problems_json is None and args.dataset is None and env_root:
        root = Path(env_root)
    languages = [v.strip() for v in args.languages.split(",") if v.strip()] if args.languages else None
    cases = load_cases(benchmark_root=root, problems_json=args.problems_json, dataset=args.dataset,
                       config=args.config, split=args.split, languages=languages, limit=args.limit)
    if args.write_solutions is not None:
        data = solutions_from_problems(cases, args.solutions_of)
        args.write_solutions.parent.mkdir(parents=True, exist_ok=True)
        args.write_solutions.write_text(json.dumps(data, indent=1))
        print(f"wrote {args.solutions_of} solutions of {len(data)} problems to {args.write_solutions}")
        return 0
    if args.solutions is not None:
        results = evaluate_solutions(cases, args.solutions, ks=args.k, jobs=args.jobs, timeout=args.timeout)
    else:
        model, tokenizer = load_model(args.model)
        results = evaluate_model(cases, model, tokenizer, num_samples=args.num_samples, temperature=args.temperature,
                                 max_new_tokens=args.max_new_tokens, attempts=args.attempts, ks=args.k,
                                 jobs=args.jobs, timeout=args.timeout, batch_size=args.batch_size, seed=args.seed)
        results.settings["model"] = args.model
    print(summary_table(results))
    if args.no_report:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(results.to_dict(), indent=1))
        print(f"\nwrote {args.output}")
    else:
        paths = write_report(results, args.report_dir or args.output.parent, json_path=args.output)
        print(f"\nwrote {paths['json']}, {paths['html']} and {len(paths) - 3} chart(s) in {paths['html'].parent}")
    return 0


def add_evaluate_command(sub) -> None:
    """Register ``evaluate`` on the CLI's subparsers."""
    p = sub.add_parser("evaluate", help="score a solutions file or a model by execution: pass@k, edit quality, "
                                        "per language, two attempts, report with charts")
    add_evaluate_arguments(p)
    p.set_defaults(func=cmd_evaluate)
