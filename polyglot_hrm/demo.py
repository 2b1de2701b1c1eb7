"""`polyglot-hrm demo`: the whole loop on a benchmark root (default: the built-in mini-benchmark, minutes on a CPU).

Builds the dataset configs, trains the tiny recipe (one process), scores the trained model by execution
on the held-out rows (validation + test; `held_out_rows` caps them, spread over languages) and on a few of the
rows it trained on, prints the per-language tables and writes the evaluation reports
(`polyglot_hrm.evaluation.write_report`: results.json, report.md, report.html, PNG charts) plus `demo.json`, a
summary of the run. It is also the seed's integration check (`test_polyglot_integration.py --benchmark-root DIR
--output-dir DIR --verbose`): `polyglot-hrm demo --benchmark-root DIR --output-dir DIR --verbose` runs it on any
benchmark root (a config with no rows there, such as `transfer` over one language, is skipped with a warning).
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .tables import format_table

__all__ = ["DemoOptions", "default_recipe", "run_demo"]

logger = logging.getLogger(__name__)


def default_recipe() -> Path:
    """The shipped `tiny` recipe (installed with the package; `trainer/recipes/tiny.yaml` in a checkout)."""
    from .training.config import recipe_path

    return recipe_path("tiny")


@dataclass
class DemoOptions:
    output_dir: Path = Path("demo_output")
    recipe: Path | None = None
    overrides: tuple[str, ...] = ()
    eval_max_new_tokens: int = 256
    seen_rows: int = 6  # training rows also scored: shows what the model memorised, next to held-out
    cache_dir: Path | None = None
    benchmark_root: Path | None = None  # None: the built-in mini-benchmark
    held_out_rows: int | None = None  # at most this many held-out rows scored (spread over languages); None: all
    verbose: bool = False  # also print the rows per split, task and language


def _losses(history: list[dict[str, Any]]) -> tuple[float | None, float | None]:
    losses = [h["loss"] for h in history if "loss" in h]
    return (losses[0], losses[-1]) if losses else (None, None)


def rows_table(rows: dict[str, list[dict[str, Any]]]) -> str:
    """Rows per split x task x language."""
    counts = Counter((split, r["task"], r["language"]) for split, rs in rows.items() for r in rs)
    table = [[split, task, lang, n] for (split, task, lang), n in sorted(counts.items())]
    return format_table(["split", "task", "language", "rows"], table, title="Rows per split, task and language")


KIND = "demo"
ENTRIES = ("model", "held_out", "seen", "demo.json")  # what the demo writes in its folder


def claim_output_dir(out: Path) -> None:
    """The demo's folder is replaced on a rerun (so `make demo` runs again) when it is the demo's own (its
    manifest): only the entries that manifest lists are removed. A non-empty folder of other files is refused."""
    from .outputs import check_writable, claim_dir, record_files, remove_listed

    manifest = claim_dir(out, KIND, "--output-dir")
    if manifest is not None:
        removed = remove_listed(out, manifest)
        if removed:
            logger.info("replacing the earlier demo's %s in %s", ", ".join(removed), out)
    check_writable(out, "--output-dir")
    record_files(out, KIND, ENTRIES)


def run_demo(options: DemoOptions) -> dict[str, Any]:
    """Run the demo; returns the `demo.json` summary. Needs the execution opt-in."""
    from .evaluation import evaluate_model, summary_table, write_report
    from .execution.sandbox import require_opt_in
    from .outputs import atomic_write_text
    from .training.config import load_recipe, recipe_path
    from .training.data import select_eval_rows
    from .training.run import train

    require_opt_in()  # fail before training, not after
    start = time.perf_counter()
    out = Path(options.output_dir)
    recipe_file = recipe_path(options.recipe) if options.recipe else default_recipe()
    recipe = load_recipe(recipe_file, list(options.overrides))
    claim_output_dir(out)
    # The callback scores a few held-out rows during training; the full held-out set is scored below.
    print(f"[1/3] building the datasets and training {recipe_file.name} (outputs in {out / 'model'}) ...", flush=True)
    root = options.benchmark_root
    outcome = train(recipe, out / "model", benchmark_root=root, cache_dir=options.cache_dir)
    train_s = outcome.seconds
    first, last = _losses(outcome.log_history)
    print(f"      trained in {train_s:.0f} s; loss {first} -> {last}", flush=True)

    config = recipe.training_config()
    from .training.data import load_rows

    rows = load_rows(config, root, options.cache_dir)
    held_out = [r for split in config.eval_splits for r in rows.get(split, [])]
    if options.verbose:
        print(rows_table(rows), flush=True)
    if options.held_out_rows is not None:
        held_out = select_eval_rows(held_out, options.held_out_rows, config.seed)
    seen = select_eval_rows(outcome.train_rows, options.seen_rows, config.seed) if options.seen_rows else []
    summary: dict[str, Any] = {"benchmark_root": str(root) if root else "mini-benchmark",
                               "recipe": str(recipe_file), "overrides": list(options.overrides),
                               "train_seconds": round(train_s, 1), "first_loss": first, "last_loss": last,
                               "model_dir": str(out / "model"), "evaluations": {}}
    model, tokenizer = outcome.model, outcome.tokenizer
    for step, (name, cases) in enumerate((("held_out", held_out), ("seen", seen)), start=2):
        if not cases:
            continue
        print(f"[{step}/3] scoring {len(cases)} {name.replace('_', '-')} rows by execution ...", flush=True)
        eval_start = time.perf_counter()
        results = evaluate_model(cases, model, tokenizer, max_new_tokens=options.eval_max_new_tokens,
                                 batch_size=config.eval_batch_size, timeout=config.eval_timeout, attempts=1)
        paths = write_report(results, out / name)
        print(summary_table(results), flush=True)
        summary["evaluations"][name] = {"rows": len(cases), "seconds": round(time.perf_counter() - eval_start, 1),
                                        "summary": results.summary, "per_language": results.per_language,
                                        "report": {k: str(v) for k, v in paths.items()}}
    summary["seconds"] = round(time.perf_counter() - start, 1)
    atomic_write_text(out / "demo.json", json.dumps(summary, indent=1, default=str))
    print(f"\ndemo done in {summary['seconds']:.0f} s. Outputs in {out.resolve()}/:\n"
          f"  model/            trained model + tokenizer (AutoModelForCausalLM.from_pretrained), trainer_state.json\n"
          f"  held_out/, seen/  results.json, report.md, report.html, per_language.png, by_difficulty.png\n"
          f"  demo.json         this run's summary", flush=True)
    return summary
