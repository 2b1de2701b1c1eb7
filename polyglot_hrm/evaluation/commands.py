"""The ``polyglot-hrm evaluate`` subcommand (also ``python -m polyglot_hrm.evaluation``, the seed's form)."""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
from pathlib import Path
from typing import Any

from ..dataset.names import CONFIG_NAMES
from ..execution.commands import (ConfigFileError, add_executor_arguments, config_keys, executor_from_args,
                                  given_dests, parse_timeout, positive_int, read_config_file)
from ..execution.executors import runs_per_node_table
from ..execution.journal import journal_path
from ..execution.provision import check_runner_cache
from ..execution.sandbox import require_opt_in
from ..languages import LANGUAGES
from ..modelio.backends import HRMBackend, OpenAIBackend, ReferenceBackend, TransformersBackend, infer_backend
from ..modelio.names import BACKENDS, EDIT_FORMATS
from ..modelio.tokenizer import load_tokenizer
from ..outputs import atomic_write_text, check_writable, claim_files, record_files
from ..problems import parse_added_date
from ..provenance import benchmark_info, collect, model_info, redact
from ..settings import (API_CONCURRENCY, API_KEY_ENV, API_MAX_RETRIES, API_REQUEST_TIMEOUT, AUTO_FACTOR, AUTO_FLOOR_S,
                        BENCHMARK_ROOT_ENV, BENCHMARK_ROOT_HELP, DEFAULT_TIMEOUT, EVALUATION_TIMEOUT, GenerationOptions,
                        command_benchmark_root)
from .cases import load_cases, load_solutions, solutions_from_problems
from .leaderboard import case_count_note, leaderboard_row, leaderboard_yaml
from .compare import (COMPARE_METRICS, check_metric, comparison_tables, default_metric, load_runs,
                      write_comparison)
from .protocol import evaluate_backend
from .report import check_report_targets, summary_table, write_report
from .system import evaluate_solutions

__all__ = ["add_compare_command", "add_evaluate_arguments", "add_evaluate_command", "add_leaderboard_command",
           "apply_settings_file", "cmd_compare", "cmd_evaluate", "cmd_leaderboard", "effective_config", "load_model",
           "make_backend"]

logger = logging.getLogger(__name__)


def _ks(value: str) -> list[int]:
    try:
        ks = sorted({int(v) for v in value.split(",") if v.strip()})
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"--k {value!r}: comma-separated integers, e.g. 1,5") from err
    if not ks or ks[0] < 1:
        raise argparse.ArgumentTypeError(f"--k {value!r}: every k must be >= 1")
    return ks


def _added_day(value: str) -> str:
    try:
        return parse_added_date(value, "--added-after")
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _json_object(value: str) -> dict[str, Any]:
    """``--extra-body``: a JSON object, or a usage error naming the value, before anything is loaded."""
    try:
        data = json.loads(value)
    except json.JSONDecodeError as err:
        raise argparse.ArgumentTypeError(f"{value!r}: not JSON ({err}); give an object, e.g. "
                                         "'{\"reasoning_effort\": \"low\"}'") from None
    if not isinstance(data, dict):
        raise argparse.ArgumentTypeError(f"{value!r}: a JSON object of request fields, e.g. "
                                         "'{\"max_completion_tokens\": 8192}', not a {type(data).__name__}")
    return data


#: What ``--config`` takes besides a dataset config: a settings file of evaluate's flags.
SETTINGS_SUFFIXES = (".yaml", ".yml")


def _config(value: str) -> str:
    if value in CONFIG_NAMES or value.endswith(SETTINGS_SUFFIXES):
        return value
    raise argparse.ArgumentTypeError(f"{value!r}: a dataset config ({', '.join(CONFIG_NAMES)}) or a settings file "
                                     f"of evaluate's flags ({' or '.join(SETTINGS_SUFFIXES)})")


def add_evaluate_arguments(p: argparse.ArgumentParser) -> None:
    """Every option of ``evaluate`` (shared by the CLI subcommand and ``python -m polyglot_hrm.evaluation``)."""
    src = p.add_argument_group(f"problems (one source; default: the tree ${BENCHMARK_ROOT_ENV} names, else the "
                               f"built-in mini-benchmark)")
    src.add_argument("--benchmark-root", type=Path, default=None, metavar="DIR",
                     help=f"one generation case per exercise of this tree: {BENCHMARK_ROOT_HELP}")
    src.add_argument("--problems-json", type=Path, default=None, metavar="FILE",
                     help="problems file from `polyglot-hrm extract` (seed form)")
    src.add_argument("--dataset", default=None, metavar="DIR_OR_HUB_ID",
                     help="exported dataset folder or Hub dataset id (with --config, --split)")
    src.add_argument("--config", type=_config, default="generation",
                     metavar="{" + ",".join(CONFIG_NAMES) + "}|FILE.yaml",
                     help="dataset config (default: generation); or a YAML settings file of evaluate's flags, one key "
                          "per flag (max_new_tokens or max-new-tokens; its `config` key is the dataset config); flags "
                          "given on the command line override it")
    src.add_argument("--split", default="test", help="dataset split (default: test)")
    src.add_argument("--languages", default=None, metavar="LANGS",
                     help=f"comma-separated subset of {','.join(LANGUAGES)} (default: all)")
    src.add_argument("--limit", type=positive_int, default=None, metavar="N",
                     help="at most this many cases per language (default: all)")
    src.add_argument("--added-after", type=_added_day, default=None, metavar="DATE",
                     help="only exercises added to their Exercism track after this day, YYYY-MM-DD, e.g. a model's "
                          "training cutoff (dates from a track checkout's git history; undated ones are left out) "
                          "(default: all)")

    what = p.add_argument_group("what to score (one of)")
    what.add_argument("--solutions", "--solutions-json", dest="solutions", type=Path, default=None, metavar="FILE",
                      help='solutions JSON: {"<problem or row id>": [{"files": {path: content}} | {"edit": "<SEARCH/REPLACE>"}]}')
    what.add_argument("--model", default=None, metavar="DIR_OR_HUB_ID_OR_NAME",
                      help="the model that answers: an HRM checkpoint folder, a transformers chat model (folder or "
                           "Hub id), or the model name an OpenAI-compatible server knows (with --base-url)")
    what.add_argument("--write-solutions", type=Path, default=None, metavar="FILE",
                      help="instead of scoring, write the selected cases' --solutions-of as a solutions file here")
    what.add_argument("--solutions-of", choices=["reference", "stub"], default="reference",
                      help="what --write-solutions writes (default: reference)")

    gen = p.add_argument_group("generation (--model / --backend)")
    gen.add_argument("--backend", choices=BACKENDS, default=None,
                     help="who answers: hrm (this project's checkpoint, its trained format), transformers (any chat "
                          "model), openai (any OpenAI-compatible server), reference (each case's reference solution "
                          "in --edit-format: the protocol's fidelity check). Default: openai with --base-url, hrm "
                          "for a folder holding an HRM config, else transformers")
    gen.add_argument("--edit-format", choices=EDIT_FORMATS, default=None,
                     help="how chat backends answer: whole (each changed file in full) or diff (SEARCH/REPLACE "
                          "blocks) (default: whole; the hrm backend answers in its trained format)")
    gen.add_argument("--num-samples", type=positive_int, default=1, help="samples per case (default: 1)")
    defaults = GenerationOptions()
    gen.add_argument("--temperature", type=float, default=defaults.temperature,
                     help=f"sampling temperature; 0 = greedy (default: {defaults.temperature:g})")
    gen.add_argument("--top-p", type=float, default=defaults.top_p,
                     help=f"nucleus sampling mass (default: {defaults.top_p:g}; 1 = off)")
    gen.add_argument("--max-new-tokens", type=int, default=defaults.max_new_tokens,
                     help=f"tokens per answer (default: {defaults.max_new_tokens})")
    gen.add_argument("--attempts", type=int, choices=[1, 2], default=1,
                     help="2: retry a failed first sample with its trimmed test output (Aider's protocol; default: 1)")
    gen.add_argument("--seed", type=int, default=0,
                     help="sampling seed; each (case, sample, attempt) gets its own stream from it (default: 0)")
    gen.add_argument("--no-resume", action="store_true",
                     help="start over: replace the journal (the --output name with .jsonl) instead of resuming it")

    local = p.add_argument_group("local models (hrm, transformers)")
    local.add_argument("--batch-size", type=positive_int, default=defaults.batch_size,
                       help=f"prompts per generate call (default: {defaults.batch_size})")
    local.add_argument("--device", default="auto",
                       help="torch device for the transformers backend: auto (cuda when there is one), cpu, cuda:0, "
                            "mps (default: auto)")
    local.add_argument("--dtype", default="auto", choices=["auto", "float32", "bfloat16", "float16"],
                       help="weights' dtype for the transformers backend (default: auto, as saved)")
    local.add_argument("--trust-remote-code", action="store_true",
                       help="let transformers run the model repository's own code (only for models you trust)")

    api = p.add_argument_group("OpenAI-compatible servers (openai)")
    api.add_argument("--base-url", default=None, metavar="URL",
                     help="the server's API root, e.g. http://127.0.0.1:8000/v1 (vLLM, TGI, llama.cpp, "
                          "`transformers serve`); default: OpenAI's")
    api.add_argument("--api-key-env", default=API_KEY_ENV, metavar="VAR",
                     help="environment variable holding the API key; the key itself is never written anywhere "
                          f"(default: {API_KEY_ENV}; unset: no key, fine for local servers)")
    api.add_argument("--concurrency", type=positive_int, default=API_CONCURRENCY,
                     help=f"requests in flight (default: {API_CONCURRENCY})")
    api.add_argument("--max-retries", type=int, default=API_MAX_RETRIES,
                     help="retries of a request on connection errors, 408/409/429 and 5xx, with exponential backoff "
                          f"(default: {API_MAX_RETRIES})")
    api.add_argument("--request-timeout", type=float, default=API_REQUEST_TIMEOUT,
                     help=f"seconds one request may take (default: {API_REQUEST_TIMEOUT:g})")
    api.add_argument("--extra-body", type=_json_object, default=None, metavar="JSON",
                     help="a JSON object merged into every request's body, over what is sent otherwise (a field "
                          "set to null is left out), e.g. '{\"max_completion_tokens\": 8192, \"reasoning_effort\": "
                          "\"low\"}' for a reasoning model; recorded in the results with secret-looking values "
                          "hidden (default: none)")
    api.add_argument("--no-sampling-params", action="store_true",
                     help="send no temperature, top_p nor max_tokens (for models that reject them, such as "
                          "reasoning models; give their limits with --extra-body)")

    run = p.add_argument_group("scoring and output")
    run.add_argument("--k", type=_ks, default=[1], metavar="K[,K...]",
                     help="pass@k values, comma-separated (default: 1)")
    run.add_argument("--jobs", type=positive_int, default=None,
                     help="parallel test runs (default: one per core); with --executor ray, runs in flight "
                          "(default: twice the cluster's CPUs)")
    add_executor_arguments(run)
    run.add_argument("--timeout", type=parse_timeout, default=EVALUATION_TIMEOUT, metavar="auto|SECONDS",
                     help=f"wall-clock limit per test run: seconds, or auto = max({AUTO_FLOOR_S:g}, {AUTO_FACTOR:g} x "
                          f"the reference's own seconds as `validate` recorded them), {DEFAULT_TIMEOUT:g} s where "
                          f"not recorded (default: {EVALUATION_TIMEOUT})")
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

    model = AutoModelForCausalLM.from_pretrained(name)
    tokenizer = load_tokenizer(name)
    if torch.cuda.is_available():
        model = model.to("cuda")
    return model.eval(), tokenizer


def backend_choice(args: argparse.Namespace) -> tuple[str, str, GenerationOptions]:
    """The backend kind, edit format and generation options the flags ask for, checked (no model is loaded)."""
    kind = args.backend or infer_backend(args.model, args.base_url)
    if kind != "openai" and args.base_url:
        raise ValueError(f"`--base-url` is for the openai backend, not `--backend {kind}`: drop one of them.")
    if kind == "hrm" and args.edit_format:
        raise ValueError("`--edit-format` applies to the chat backends (transformers, openai, reference); the hrm "
                         "backend answers in the format it was trained on: drop `--edit-format`.")
    given = [f for f, v in (("--extra-body", args.extra_body), ("--no-sampling-params", args.no_sampling_params))
             if v]
    if kind != "openai" and given:
        raise ValueError(f"`{given[0]}` shapes the requests to an OpenAI-compatible server (`--backend openai`, "
                         f"`--base-url`), not `--backend {kind}`: drop it.")
    if kind != "reference" and not args.model:
        raise ValueError(f"`--backend {kind}` needs `--model` (a folder, a Hub id, or the server's model name).")
    return kind, args.edit_format or "whole", GenerationOptions(args.max_new_tokens, args.temperature, args.top_p,
                                                                args.batch_size)


def make_backend(args: argparse.Namespace) -> Any:
    """The backend the flags ask for (``--backend``, or inferred from ``--model`` / ``--base-url``)."""
    kind, edit_format, options = backend_choice(args)
    if kind == "reference":
        return ReferenceBackend(edit_format)
    if kind == "hrm":
        model, tokenizer = load_model(args.model)
        return HRMBackend(model, tokenizer, options, model_name=args.model)
    if kind == "transformers":
        return TransformersBackend(args.model, edit_format, options, device=args.device, dtype=args.dtype,
                                   trust_remote_code=args.trust_remote_code)
    return OpenAIBackend(args.model, args.base_url, edit_format, options, api_key_env=args.api_key_env,
                         concurrency=args.concurrency, max_retries=args.max_retries,
                         request_timeout=args.request_timeout, extra_body=args.extra_body,
                         no_sampling_params=args.no_sampling_params)


def check_model_name(name: str) -> None:
    """A ``--model`` that is neither an existing folder nor a valid Hub id fails at once (not after the Hub has
    been retried for half a minute): a missing relative path such as ``runs/tiny/model`` is the usual case."""
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    path = Path(name).expanduser()
    if path.is_dir() and not (path / "config.json").is_file():
        found = ", ".join(sorted(p.name for p in path.iterdir())[:5]) or "empty"
        raise FileNotFoundError(f"--model {name}: a folder without config.json ({found}), so not a saved model "
                                f"(save_pretrained writes config.json beside the weights); point --model at the "
                                f"folder a training run wrote (its --output-dir) or at a Hub id")
    if path.exists():
        return
    first = name.split("/", 1)[0]
    local = name.startswith((".", "/", "~")) or ("/" in name and first not in ("", ".") and Path(first).is_dir())
    try:
        validate_repo_id(name)
    except HFValidationError:
        local = True
    if local:
        raise FileNotFoundError(f"--model {name}: no such folder (and not a Hub model id, ORG/NAME); check the path")


def check_outputs(args: argparse.Namespace) -> None:
    """Every path ``evaluate`` will write is checked before any case is loaded or run: writable, not a folder,
    and not a file this tool did not write (:mod:`polyglot_hrm.outputs`)."""
    if args.write_solutions is not None:
        check_writable(args.write_solutions.parent, "--write-solutions folder")
        claim_files(args.write_solutions.parent, [args.write_solutions.name], "--write-solutions")
        return
    journal = journal_path(args.output)  # its error names `output`: the CLI prints it as --output
    check_report_targets(None if args.no_report else (args.report_dir or args.output.parent), args.output)
    claim_files(args.output.parent, [journal.name], "journal")


def _evaluate_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(add_help=False)
    add_evaluate_arguments(parser)
    return parser


def apply_settings_file(args: argparse.Namespace) -> dict[str, Any] | None:
    """With ``--config FILE.yaml``: the file's values (:func:`~polyglot_hrm.execution.commands.read_config_file`)
    set on ``args``, except the options the command line set itself (``args.command_argv``, recorded by the
    CLI; without it, options whose value differs from the default count as set). Its ``config`` key is the
    dataset config (default: generation). Returns the file's path, digest and keys, for the provenance; None
    without a settings file."""
    if not str(args.config).endswith(SETTINGS_SUFFIXES):
        return None
    path = Path(args.config)
    parser = _evaluate_parser()
    values = read_config_file(path, parser)
    if str(values.get("config", "")).endswith(SETTINGS_SUFFIXES):
        raise ConfigFileError(f"{path}: config: {values['config']!r}: in a settings file, `config` is the dataset "
                              f"config ({', '.join(CONFIG_NAMES)}); a settings file cannot name another")
    tokens = getattr(args, "command_argv", None)
    if tokens is not None:
        given = given_dests(add_evaluate_arguments, tokens)
    else:
        given = {a.dest for a in parser._actions if getattr(args, a.dest, a.default) != a.default}
    given.discard("config")
    args.config = "generation"
    for dest, value in values.items():
        if dest not in given:
            setattr(args, dest, value)
    logger.info("settings from %s: %s (the command line set %s)", path, ", ".join(sorted(values)) or "none",
                ", ".join(sorted(given & set(values))) or "none of them")
    return {"path": str(path.resolve()), "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "keys": sorted(values)}


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Path) else value


def effective_config(args: argparse.Namespace) -> dict[str, Any]:
    """Every evaluate option's value as this run used it (the command line over a settings file over the
    defaults), keyed as a settings file names it: written into the provenance, and readable back with
    ``--config``."""
    dests = dict.fromkeys(a.dest for a in config_keys(_evaluate_parser()).values())
    return {dest: _plain(getattr(args, dest)) for dest in dests if hasattr(args, dest)}


def evaluation_provenance(args: argparse.Namespace, cases: list[dict[str, Any]], root: Any, backend: Any,
                          left_out: list[str], settings_file: dict[str, Any] | None) -> dict[str, Any]:
    """The run's provenance (:mod:`polyglot_hrm.provenance`), gathered before any case runs."""
    if root is not None:
        benchmark = benchmark_info(root.path, cases, left_out, source=root.origin)
    else:
        source = f"dataset {args.dataset} ({args.config}/{args.split})" if args.dataset else str(args.problems_json)
        benchmark = benchmark_info(None, cases, left_out, source=source)
    if backend is not None:
        settings = backend.settings()
        model = model_info(settings.get("model"), settings.get("backend"), settings.get("base_url"))
        seeds: dict[str, Any] | None = {"seed": args.seed}
    else:
        settings, model, seeds = {"solutions": str(args.solutions)}, None, None
    return collect(languages=sorted({c["language"] for c in cases}), benchmark=benchmark, model=model,
                   backend=settings, seeds=seeds, argv=getattr(args, "argv", None) or ["polyglot-hrm", *sys.argv[1:]],
                   config=effective_config(args), **({"config_file": settings_file} if settings_file else {}))


def cmd_evaluate(args: argparse.Namespace) -> int:
    settings_file = apply_settings_file(args)
    generating = args.model is not None or args.backend is not None
    chosen = [f for f, v in (("--solutions", args.solutions), ("--model/--backend", generating or None),
                             ("--write-solutions", args.write_solutions)) if v is not None]
    if len(chosen) != 1:
        raise ValueError("Give one of `--solutions FILE`, `--model DIR_OR_HUB_ID` (or `--backend reference`) or "
                         "`--write-solutions FILE`" + (f" (got {' and '.join(chosen)})." if chosen else "."))
    if generating and max(args.k) > args.num_samples:
        logger.warning("--k %s with --num-samples %d: pass@k needs k samples per case, so pass@%s will show '-'; "
                       "give --num-samples %d to have it", ",".join(map(str, args.k)), args.num_samples,
                       ", pass@".join(str(k) for k in args.k if k > args.num_samples), max(args.k))
    if args.attempts == 2 and not generating and args.write_solutions is None:
        raise ValueError("`--attempts 2` retries with the model's second answer: it needs `--model` (or `--backend`).")
    check_outputs(args)  # before any work: a bad path fails now, not after the scoring
    if args.write_solutions is None:
        check_runner_cache()
    if args.solutions is not None:
        load_solutions(args.solutions)  # every candidate's form, before any case is loaded or run
    if args.model and args.base_url is None and args.backend != "openai":
        check_model_name(args.model)
    given = [f for f, v in (("--benchmark-root", args.benchmark_root), ("--problems-json", args.problems_json),
                            ("--dataset", args.dataset)) if v is not None]
    if len(given) > 1:
        raise ValueError(f"Can't provide both `{given[0]}` and `{given[1]}`. Choose one.")
    # A benchmark tree unless a problems file or a dataset is given: the one rule, logged (polyglot_hrm.settings).
    root = command_benchmark_root(args.benchmark_root) if not given or given == ["--benchmark-root"] else None
    languages = [v.strip() for v in args.languages.split(",") if v.strip()] if args.languages else None
    left_out: list[str] = []
    cases = load_cases(benchmark_root=root, problems_json=args.problems_json, dataset=args.dataset,
                       config=args.config, split=args.split, languages=languages, limit=args.limit,
                       added_after=args.added_after, left_out=left_out)
    if args.write_solutions is not None:
        data = solutions_from_problems(cases, args.solutions_of)
        record_files(args.write_solutions.parent, "evaluation", [args.write_solutions.name])
        atomic_write_text(args.write_solutions, json.dumps(data, indent=1))
        print(f"wrote {args.solutions_of} solutions of {len(data)} problems to {args.write_solutions}")
        return 0
    # After the input is checked (a bad flag or file is named first), before a model is loaded and answers are
    # generated: the runs come last but need the opt-in.
    if args.solutions is None:
        backend_choice(args)  # the flags' mistakes first
    require_opt_in()
    backend = make_backend(args) if args.solutions is None else None
    provenance = evaluation_provenance(args, cases, root, backend, left_out, settings_file)
    journal = journal_path(args.output)
    journal.parent.mkdir(parents=True, exist_ok=True)
    record_files(journal.parent, "evaluation", [journal.name])  # ours from its first line: resumable
    executor = executor_from_args(args)
    try:
        if args.solutions is not None:
            results = evaluate_solutions(cases, args.solutions, ks=args.k, jobs=args.jobs, timeout=args.timeout,
                                         journal=journal, resume=not args.no_resume, executor=executor)
        else:
            results = evaluate_backend(cases, backend, num_samples=args.num_samples,
                                       attempts=args.attempts, ks=args.k, jobs=args.jobs, timeout=args.timeout,
                                       seed=args.seed, journal=journal, resume=not args.no_resume,
                                       executor=executor)
    except KeyboardInterrupt:
        print(f"\ninterrupted: what finished is kept in {journal}; rerun the same command to resume",
              file=sys.stderr)
        return 130
    results.settings = redact(results.settings)
    results.provenance = provenance
    print(f"journal: {journal} (rerun the same command to resume an interrupted run)")
    print(summary_table(results))
    print("\n" + runs_per_node_table(executor))
    if args.no_report:
        record_files(args.output.parent, "evaluation", [args.output.name])  # listed first: a rerun may replace it
        atomic_write_text(args.output, json.dumps(results.to_dict(), indent=1))
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


def cmd_compare(args: argparse.Namespace) -> int:
    labels = [v.strip() for v in args.labels.split(",")] if args.labels else None
    runs = load_runs(args.results, labels)
    metric = check_metric(args.metric or default_metric(runs), runs)
    print(comparison_tables(runs, metric))
    paths = write_comparison(runs, args.output_dir, metric)
    print(f"\nwrote {paths['html']}, {paths['markdown'].name} and {paths['chart'].name} in {args.output_dir}")
    return 0


def add_compare_command(sub) -> None:
    """Register ``compare`` on the CLI's subparsers."""
    p = sub.add_parser("compare", help="several evaluations side by side: a per-language table, a chart, an HTML "
                                       "report")
    p.add_argument("results", nargs="+", type=Path, metavar="RESULTS.json",
                   help="results files written by `polyglot-hrm evaluate`")
    p.add_argument("--labels", default=None, metavar="A,B,...",
                   help="one name per results file (default: the model and edit format, or the solutions file)")
    p.add_argument("--metric", choices=COMPARE_METRICS, default=None,
                   help="the per-language measure (default: pass_rate_2 when every run made two attempts, else "
                        "pass_rate_1)")
    p.add_argument("--output-dir", type=Path, default=Path("compare_output"), metavar="DIR",
                   help="where compare.html, compare.md and compare.png go (default: compare_output)")
    p.set_defaults(func=cmd_compare)


def _price(value: str) -> float:
    try:
        price = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r}: dollars per million tokens, e.g. 3 or 0.15") from None
    if not price >= 0 or price == float("inf"):
        raise argparse.ArgumentTypeError(f"{value!r}: must be a finite number >= 0")
    return price


def cmd_leaderboard(args: argparse.Namespace) -> int:
    rows = []
    for path in args.results:
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, ValueError) as err:
            raise ValueError(f"{path}: not a results.json of `polyglot-hrm evaluate` ({err})") from None
        rows.append(leaderboard_row(data, price_in=args.price_in, price_out=args.price_out))
        print(f"{path}: {case_count_note(data)}", file=sys.stderr)
        if "total_cost" not in rows[-1] and (args.price_in is not None or args.price_out is not None):
            print(f"{path}: no total_cost: give both --price-in and --price-out, and results whose backend "
                  f"counts tokens", file=sys.stderr)
    text = leaderboard_yaml(rows)
    if args.output is None:
        print(text, end="")
        return 0
    check_writable(args.output.parent, "--output folder")
    claim_files(args.output.parent, [args.output.name], "--output")
    record_files(args.output.parent, "leaderboard", [args.output.name])
    atomic_write_text(args.output, text)
    print(f"wrote {len(rows)} row(s) to {args.output}", file=sys.stderr)
    return 0


def add_leaderboard_command(sub) -> None:
    """Register ``leaderboard`` on the CLI's subparsers."""
    p = sub.add_parser("leaderboard", help="rows in the shape of Aider's polyglot leaderboard (polyglot_leaderboard"
                                           ".yml) from results files (README: Leaderboard rows)")
    p.add_argument("results", nargs="+", type=Path, metavar="RESULTS.json",
                   help="results files written by `polyglot-hrm evaluate`, one row each")
    p.add_argument("--price-in", type=_price, default=None, metavar="DOLLARS",
                   help="price of a million prompt tokens, for total_cost (default: no total_cost)")
    p.add_argument("--price-out", type=_price, default=None, metavar="DOLLARS",
                   help="price of a million completion tokens, for total_cost (default: no total_cost)")
    p.add_argument("--output", "-o", type=Path, default=None, metavar="FILE.yml",
                   help="write the rows here (default: print them)")
    p.set_defaults(func=cmd_leaderboard)
