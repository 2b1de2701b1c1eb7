"""`polyglot-hrm demo`: the whole loop on a benchmark root (default: $POLYGLOT_BENCHMARK_ROOT, else the built-in
mini-benchmark, minutes on a CPU; `make demo` names the mini-benchmark).

Builds the dataset configs, trains the tiny recipe (one process), scores the trained model by execution
on the rows it trained on ("seen") and on the held-out rows (validation + test; `held_out_rows` caps them,
spread over languages), prints the per-language tables and writes the evaluation reports
(`polyglot_hrm.evaluation.write_report`: results.json, report.md, report.html, PNG charts) plus `demo.json`, a
summary of the run. It is also the seed's integration check (`test_polyglot_integration.py --benchmark-root DIR
--output-dir DIR --verbose`): `polyglot-hrm demo --benchmark-root DIR --output-dir DIR --verbose` runs it on any
benchmark root (a config with no rows there, such as `transfer` over one language, is skipped with a warning).

The tiny recipe trains a small HRM on a small slice of the train split (`polyglot.max_train_rows`) for many
passes, so that within a CPU budget it learns those rows well enough for their answers to pass their tests:
the seen-row pass@1 shows that the chain (tokenizer, prompt format, loss mask, model, generation, edit
application, runners) learns. The held-out pass@1 is the same measure on exercises it never saw; at this
size it says nothing about generalisation and is reported beside it so that nobody reads the first as such.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .execution.sandbox import require_opt_in
from .outputs import atomic_write_text, check_writable, claim_dir, record_files, remove_listed
from .settings import RootArg, resolve_benchmark_root
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
    eval_max_new_tokens: int | None = None  # None: the recipe's polyglot.eval_max_new_tokens
    seen_rows: int | None = None  # training rows also scored; None: every row it trained on, 0: none
    cache_dir: Path | None = None
    benchmark_root: RootArg = None  # None: $POLYGLOT_BENCHMARK_ROOT, else the built-in mini-benchmark
    held_out_rows: int | None = None  # at most this many held-out rows scored (spread over languages); None: all
    verbose: bool = False  # also print the rows per split, task and language


MEANING = ("seen pass@1 is the share of the {seen} rows the model trained on whose generated answer passes the "
           "exercise's tests (it learned them); held-out pass@1 is the same on {held} rows of exercises it never "
           "saw (generalisation, not expected from {rows} training rows).")


def _losses(history: list[dict[str, Any]]) -> tuple[float | None, float | None]:
    """First and last logged training loss: the LM loss per answer token where the model logs it (the HRM's
    `loss` adds its ACT Q-losses, which stay near 0.4 after the answers are learned)."""
    key = "lm_loss" if any("lm_loss" in h for h in history) else "loss"
    losses = [h[key] for h in history if key in h]
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
    manifest = claim_dir(out, KIND, "`output_dir`")
    if manifest is not None:
        removed = remove_listed(out, manifest)
        if removed:
            logger.info("replacing the earlier demo's %s in %s", ", ".join(removed), out)
    check_writable(out, "`output_dir`")
    record_files(out, KIND, ENTRIES)


def run_demo(options: DemoOptions) -> dict[str, Any]:
    """Run the demo; returns the `demo.json` summary. Needs the execution opt-in."""
    from .evaluation import evaluate_model, summary_table, write_report
    from .training.config import load_recipe, recipe_path
    from .training.data import select_eval_rows
    from .training.run import train

    require_opt_in()  # fail before training, not after
    root = resolve_benchmark_root(options.benchmark_root, name="benchmark_root")  # a missing one fails here
    start = time.perf_counter()
    out = Path(options.output_dir)
    recipe_file = recipe_path(options.recipe) if options.recipe else default_recipe()
    recipe = load_recipe(recipe_file, list(options.overrides))
    claim_output_dir(out)
    # Every held-out row is scored below, after training (the tiny recipe has no evaluation by execution during it).
    print(f"[1/3] building the datasets and training {recipe_file.name} (outputs in {out / 'model'}) ...", flush=True)
    outcome = train(recipe, out / "model", benchmark_root=root, cache_dir=options.cache_dir)
    train_s = outcome.seconds
    first, last = _losses(outcome.log_history)
    print(f"      trained on {len(outcome.train_rows)} rows in {train_s:.0f} s; LM loss {_fmt(first)} -> {_fmt(last)}",
          flush=True)

    config = recipe.training_config()
    from .training.data import load_rows

    rows = load_rows(config, root, options.cache_dir)
    held_out = [r for split in config.eval_splits for r in rows.get(split, [])]
    if options.verbose:
        print(rows_table(rows), flush=True)
    if options.held_out_rows is not None:
        held_out = select_eval_rows(held_out, options.held_out_rows, config.seed)
    seen = _seen_rows(outcome.train_rows, options.seen_rows, config.seed)
    max_new_tokens = options.eval_max_new_tokens or config.eval_max_new_tokens
    summary: dict[str, Any] = {"benchmark_root": "mini-benchmark" if root.origin == "mini" else root.data_dir,
                               "recipe": str(recipe_file), "overrides": list(options.overrides),
                               "train_rows": len(outcome.train_rows), "train_seconds": round(train_s, 1),
                               "first_loss": first, "last_loss": last, "model_dir": str(out / "model"),
                               "evaluations": {}}
    model, tokenizer = outcome.model, outcome.tokenizer
    for step, (name, cases) in enumerate((("seen", seen), ("held_out", held_out)), start=2):
        if not cases:
            continue
        print(f"[{step}/3] scoring {len(cases)} {name.replace('_', '-')} rows by execution ...", flush=True)
        eval_start = time.perf_counter()
        results = evaluate_model(cases, model, tokenizer, max_new_tokens=max_new_tokens,
                                 batch_size=config.eval_batch_size, timeout=config.eval_timeout, attempts=1)
        paths = write_report(results, out / name)
        print(summary_table(results), flush=True)
        summary["evaluations"][name] = {"rows": len(cases), "seconds": round(time.perf_counter() - eval_start, 1),
                                        "summary": results.summary, "per_language": results.per_language,
                                        "report": {k: str(v) for k, v in paths.items()}}
    summary["seconds"] = round(time.perf_counter() - start, 1)
    summary["meaning"] = MEANING.format(seen=len(seen), held=len(held_out), rows=len(outcome.train_rows))
    atomic_write_text(out / "demo.json", json.dumps(summary, indent=1, default=str))
    print(f"\n{headline(summary)}\n{summary['meaning']}", flush=True)
    print(f"\ndemo done in {summary['seconds']:.0f} s. Outputs in {out.resolve()}/:\n"
          f"  model/            trained model + tokenizer (AutoModelForCausalLM.from_pretrained), trainer_state.json\n"
          f"  seen/, held_out/  results.json, report.md, report.html, per_language.png, by_difficulty.png\n"
          f"  demo.json         this run's summary", flush=True)
    return summary


def _fmt(loss: float | None) -> str:
    return "-" if loss is None else f"{loss:.3f}"


def _seen_rows(train_rows: list[dict[str, Any]], n: int | None, seed: int) -> list[dict[str, Any]]:
    """The training rows scored as "seen": all of them (None), none (0), or `n` spread over languages."""
    from .training.data import select_eval_rows

    if n is None:
        return list(train_rows)
    return select_eval_rows(train_rows, n, seed) if n else []


def headline(summary: dict[str, Any]) -> str:
    """`seen pass@1 0.750 (8 rows) | held-out pass@1 0.000 (29 rows)`: the two numbers side by side."""
    parts = []
    for name, label in (("seen", "seen"), ("held_out", "held-out")):
        evaluation = summary["evaluations"].get(name)
        if evaluation:
            parts.append(f"{label} pass@1 {evaluation['summary']['pass@1']:.3f} ({evaluation['rows']} rows)")
    return " | ".join(parts)
