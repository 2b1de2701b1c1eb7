"""`polyglot-hrm demo`: the whole loop on the built-in mini-benchmark, in minutes on a CPU.

Builds the three dataset configs, trains the tiny recipe (one process), scores the trained model by execution
on the held-out rows (validation + test) and on a few of the rows it trained on, prints the per-language
tables and writes the evaluation reports (`polyglot_hrm.evaluation.write_report`: results.json, report.md,
report.html, PNG charts) plus `demo.json`, a summary of the run.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def _losses(history: list[dict[str, Any]]) -> tuple[float | None, float | None]:
    losses = [h["loss"] for h in history if "loss" in h]
    return (losses[0], losses[-1]) if losses else (None, None)


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
    outcome = train(recipe, out / "model", cache_dir=options.cache_dir)
    train_s = outcome.seconds
    first, last = _losses(outcome.log_history)
    print(f"      trained in {train_s:.0f} s; loss {first} -> {last}", flush=True)

    config = recipe.training_config()
    from .training.data import load_rows

    rows = load_rows(config, None, options.cache_dir)
    held_out = [r for split in config.eval_splits for r in rows.get(split, [])]
    seen = select_eval_rows(outcome.train_rows, options.seen_rows, config.seed) if options.seen_rows else []
    summary: dict[str, Any] = {"recipe": str(recipe_file), "overrides": list(options.overrides),
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
