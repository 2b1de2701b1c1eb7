"""Does HRM's hierarchy help on code edits at small scale? HRM vs a same-size Llama, same everything.

Both models train on the same rows of the benchmark's train split (generation, diff_edit and transfer), in the
same order, with the same tokenizer (a byte-level BPE trained on those rows), the same batches, token budget,
optimizer (AdamW) and schedule (linear warmup, cosine decay), and similar parameter counts (the Llama has the
HRM's width and distinct-layer count, its MLP widened to match: `benchmarks/model.py`'s `build_llama`). The
HRM trains as the project trains it (deep supervision, ACT, one-step gradient); the Llama with its plain
causal-LM loss on the same answer tokens (prompt masked). Three runs:

  hrm          the HRM, `tokens` training tokens
  llama        the Llama, the same batches (equal tokens)
  llama@time   the Llama trained from scratch for as many of the same stream's batches as fit in the HRM's
               training time (equal compute time; its schedule spans its own, longer run)

Training time is process CPU time on CPU (this process only, so other work on a shared machine does not
count; torch runs one thread) and synchronised wall time on CUDA. Then, on the test split, by execution
(`polyglot_hrm.evaluation.evaluate_model`, two attempts as Aider's protocol): pass@1, pass rate after two
attempts, well-formed and compile rates; and the teacher-forced LM loss of the answers. Writes
`learning.json` (settings, curves, per-run rows digest and token counts), `learning.md` (the table) and
`loss_curves.png` (training loss against tokens and against time) under `--output-dir`.

Sizes (`SIZES`): `smoke` (tests/test_learning_benchmark.py runs it: minutes on CPU, numbers meaningless),
`cpu-hour` (run on the real benchmark: 63 min wall on a 2-core CPU beside other jobs, HRM 1,061 s of CPU
for 2M tokens, the two Llama runs 343 s and 1,041 s, scoring the rest; the table is in the README), `gpu`
(one H200, bf16, larger batches; sized for under 10 minutes but not yet run: no GPU was available). Usage:

    POLYGLOT_HRM_ALLOW_CODE_EXECUTION=1 python benchmarks/learning.py --size smoke --output-dir runs/learning
    POLYGLOT_HRM_ALLOW_CODE_EXECUTION=1 python benchmarks/learning.py --size cpu-hour --benchmark-root ../polyglot-benchmark
    accelerate launch --config_file trainer/accelerate/single_gpu.yaml benchmarks/learning.py --size gpu \\
        --benchmark-root ../polyglot-benchmark --train-only          # a GPU machine without the toolchains:
    POLYGLOT_HRM_ALLOW_CODE_EXECUTION=1 python benchmarks/learning.py --size gpu --score-only   # then score here

`--benchmark-root` defaults to `$POLYGLOT_BENCHMARK_ROOT`, else the built-in mini-benchmark.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import logging
import math
import os
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hrm_modeling import HRMConfig, HRMForCausalLM  # noqa: E402
from polyglot_hrm.settings import BENCHMARK_ROOT_HELP, command_benchmark_root, resolve_benchmark_root  # noqa: E402
from polyglot_hrm.training.collator import PolyglotCollator  # noqa: E402
from polyglot_hrm.training.config import PolyglotTrainingConfig  # noqa: E402
from polyglot_hrm.training.data import (  # noqa: E402
    TokenizedDataset, load_rows, select_eval_rows, tokenize_rows, train_tokenizer_on_rows,
)

__all__ = ["RUNS", "SIZES", "Size", "main", "run_benchmark"]

logger = logging.getLogger("benchmarks.learning")

RUNS = ("hrm", "llama", "llama@time")
TABLE_COLUMNS = ("run", "params", "steps", "train tokens", "train s", "last train loss", "test loss", "pass@1",
                 "pass 2nd", "well-formed", "compiles")


@dataclass(frozen=True)
class Size:
    """One size of the experiment: the models, the data, the budget and the evaluation."""

    hidden_size: int
    intermediate_size: int
    layers_per_stack: int  # HRM layers per H/L stack; the Llama gets twice as many
    heads: int
    vocab_size: int
    max_sequence_length: int
    batch_size: int
    tokens: int  # training budget: non-padding tokens of the batches (prompt + answer), both models
    learning_rate: float
    warmup_share: float = 0.05
    weight_decay: float = 0.1
    max_train_rows: int | None = None  # None: the whole train split
    test_rows: int | None = None  # None: the whole test split
    max_new_tokens: int = 512
    eval_batch_size: int = 8
    attempts: int = 2
    mixed_precision: str = "no"  # "bf16" on GPU
    max_diff_examples_per_problem: int = 2
    max_transfer_examples_per_pair: int = 1


SIZES: dict[str, Size] = {
    # Minutes on CPU in the test suite: the shapes and the bookkeeping, not the numbers.
    "smoke": Size(hidden_size=32, intermediate_size=64, layers_per_stack=1, heads=2, vocab_size=512,
                  max_sequence_length=768, batch_size=4, tokens=6_000, learning_rate=3e-3, max_train_rows=8,
                  test_rows=4, max_new_tokens=24, eval_batch_size=4),
    # About an hour on a 2-core CPU (measured: 63 min; HRM 18 min at ~1.9k tokens/s, the two Llama runs 23 min,
    # scoring the rest); on the real benchmark's train split with --benchmark-root.
    "cpu-hour": Size(hidden_size=128, intermediate_size=512, layers_per_stack=1, heads=4, vocab_size=2048,
                     max_sequence_length=1024, batch_size=8, tokens=2_000_000, learning_rate=2e-3,
                     max_new_tokens=384),
    # One H200 in under 10 minutes, bf16: the HRM paper's width (hrm-27m's model section).
    "gpu": Size(hidden_size=512, intermediate_size=2048, layers_per_stack=2, heads=8, vocab_size=8192,
                max_sequence_length=2048, batch_size=32, tokens=12_000_000, learning_rate=1e-3, max_new_tokens=512,
                eval_batch_size=32, mixed_precision="bf16", max_diff_examples_per_problem=10,
                max_transfer_examples_per_pair=5),
}


# ---------------------------------------------------------------------------------------------- data
@dataclass
class Data:
    """The rows, tokenizer and tokenized training set both models share."""

    train: TokenizedDataset
    test_rows: list[dict[str, Any]]
    tokenizer: Any


def load_data(size: Size, benchmark_root: Any, cache_dir: str | Path | None) -> Data:
    """Train split (cut to `size.max_train_rows`) and test split; a tokenizer trained on the training rows."""
    config = PolyglotTrainingConfig(max_diff_examples_per_problem=size.max_diff_examples_per_problem,
                                    max_transfer_examples_per_pair=size.max_transfer_examples_per_pair,
                                    verify_by_execution=False, max_train_rows=size.max_train_rows,
                                    vocab_size=size.vocab_size, max_sequence_length=size.max_sequence_length)
    rows = load_rows(config, benchmark_root, cache_dir)
    tokenizer = train_tokenizer_on_rows(rows["train"], size.vocab_size)
    train = tokenize_rows(rows["train"], tokenizer, size.max_sequence_length)
    test = rows.get("test", [])
    if size.test_rows is not None:
        test = select_eval_rows(test, size.test_rows, config.seed)
    if not len(train) or not test:
        raise ValueError(f"need training and test rows; got {len(train)} and {len(test)} under "
                         f"{resolve_benchmark_root(benchmark_root).describe()}")
    return Data(train, list(test), tokenizer)


def batch_plan(train: TokenizedDataset, batch_size: int, tokens: int, seed: int = 0) -> list[list[int]]:
    """Row indices of each batch until `tokens` non-padding tokens: seeded epochs over the rows. The plan for a
    larger budget starts with the plan for a smaller one, so every run reads a prefix of one stream."""
    lengths = [len(e["input_ids"]) for e in train.examples]
    plan, total = [], 0
    for epoch in _epochs(len(lengths), seed):
        for start in range(0, len(epoch), batch_size):
            batch = [int(i) for i in epoch[start:start + batch_size]]
            plan.append(batch)
            total += sum(lengths[i] for i in batch)
            if total >= tokens:
                return plan
    raise AssertionError("unreachable: _epochs never ends")


def _epochs(n: int, seed: int) -> Iterator[np.ndarray]:
    epoch = 0
    while True:
        yield np.random.default_rng((seed, epoch)).permutation(n)
        epoch += 1


def plan_tokens(train: TokenizedDataset, plan: Sequence[Sequence[int]]) -> int:
    return sum(len(train.examples[i]["input_ids"]) for batch in plan for i in batch)


def rows_digest(train: TokenizedDataset, plan: Sequence[Sequence[int]]) -> str:
    """sha256 of the row ids in the order they were trained on: equal digests, identical training data."""
    ids = "\n".join(train.rows[i]["id"] for batch in plan for i in batch)
    return hashlib.sha256(ids.encode()).hexdigest()[:16]


# ---------------------------------------------------------------------------------------------- models
def _benchmarks_model():
    """`benchmarks/model.py` (its `build_llama`): a script folder, not a package, so loaded by path."""
    spec = importlib.util.spec_from_file_location("benchmarks_model", Path(__file__).with_name("model.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def build_models(size: Size, tokenizer: Any, seed: int = 0) -> dict[str, torch.nn.Module]:
    """The HRM (default training config) and a Llama of its width, depth and parameter count."""
    torch.manual_seed(seed)
    hrm = HRMForCausalLM(HRMConfig(
        vocab_size=len(tokenizer), hidden_size=size.hidden_size, intermediate_size=size.intermediate_size,
        num_hidden_layers=size.layers_per_stack, num_attention_heads=size.heads,
        max_position_embeddings=size.max_sequence_length + size.max_new_tokens,
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id))
    llama = _benchmarks_model().build_llama(n_params(hrm), hrm.config)
    return {"hrm": hrm, "llama": llama}


def n_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def model_inputs(model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The batch as the model takes it: the Llama has no puzzle table and no bidirectional prompt block."""
    if isinstance(model, HRMForCausalLM):
        return batch
    return {k: batch[k] for k in ("input_ids", "attention_mask", "labels")}


# ---------------------------------------------------------------------------------------------- training
@dataclass
class RunLog:
    """What one training run did: its curve is `(step, tokens, seconds, lm_loss)` per step."""

    name: str
    params: int
    steps: int
    tokens: int
    rows_digest: str
    seconds: float = 0.0
    curve: list[tuple[int, int, float, float]] = field(default_factory=list)
    test_loss: float | None = None
    evaluation: dict[str, Any] = field(default_factory=dict)


class Clock:
    """Training time: process CPU time on CPU (robust to other load on a shared machine), wall on CUDA."""

    def __init__(self, device: torch.device):
        self.cuda = device.type == "cuda"

    def __call__(self) -> float:
        if self.cuda:
            torch.cuda.synchronize()
            return time.perf_counter()
        return time.process_time()


def train_run(name: str, model: torch.nn.Module, data: Data, plan: list[list[int]], size: Size,
              accelerator: Any, log_every: int = 10) -> RunLog:
    """Train `model` on the batches of `plan` with AdamW and warmup + cosine; the same for every run."""
    from transformers import get_cosine_schedule_with_warmup

    collate = PolyglotCollator(data.tokenizer.pad_token_id)
    optimizer = torch.optim.AdamW(model.parameters(), lr=size.learning_rate, weight_decay=size.weight_decay,
                                  betas=(0.9, 0.95))
    warmup = math.ceil(size.warmup_share * len(plan))
    schedule = get_cosine_schedule_with_warmup(optimizer, warmup, len(plan))
    model, optimizer = accelerator.prepare(model, optimizer)
    log = RunLog(name, n_params(model), len(plan), plan_tokens(data.train, plan), rows_digest(data.train, plan))
    clock, tokens = Clock(accelerator.device), 0
    model.train()
    for step, rows in enumerate(plan, start=1):
        batch = {k: v.to(accelerator.device) for k, v in collate([data.train[i] for i in rows]).items()}
        start = clock()
        with accelerator.autocast():
            out = model(**model_inputs(model, batch))
        accelerator.backward(out.loss)
        accelerator.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        log.seconds += clock() - start
        tokens += int(batch["attention_mask"].sum())
        # The LM loss, comparable across models (the HRM's `loss` adds its ACT Q-losses).
        lm_loss = getattr(out, "lm_loss", None)
        lm_loss = float((lm_loss if lm_loss is not None else out.loss).detach())
        log.curve.append((step, tokens, round(log.seconds, 3), lm_loss))
        if step % log_every == 0 or step == len(plan):
            logger.info("%s step %d/%d tokens %d loss %.3f (%.0f s)", name, step, len(plan), tokens,
                        log.curve[-1][3], log.seconds)
    assert tokens == log.tokens, (tokens, log.tokens)
    return log


@torch.no_grad()
def test_loss(model: torch.nn.Module, data: Data, size: Size, device: torch.device) -> float:
    """Teacher-forced LM loss per answer token on the test rows (inference mode: the HRM's fixed segments)."""
    test = tokenize_rows(data.test_rows, data.tokenizer, size.max_sequence_length)
    collate = PolyglotCollator(data.tokenizer.pad_token_id)
    model.eval()
    total, count = 0.0, 0
    for start in range(0, len(test), size.eval_batch_size):
        batch = {k: v.to(device) for k, v in collate(test.examples[start:start + size.eval_batch_size]).items()}
        n = int((batch["labels"][:, 1:] != -100).sum())
        total += float(model(**model_inputs(model, batch)).loss) * n
        count += n
    return total / max(count, 1)


# ---------------------------------------------------------------------------------------------- evaluation
def score(model: torch.nn.Module, data: Data, size: Size, out_dir: Path) -> dict[str, Any]:
    """Generate for the test rows and run their tests (two attempts): the summary of `evaluate_model`."""
    from polyglot_hrm.evaluation import evaluate_model, write_report

    results = evaluate_model(data.test_rows, model, data.tokenizer, max_new_tokens=size.max_new_tokens,
                             attempts=size.attempts, batch_size=size.eval_batch_size, progress=False)
    write_report(results, out_dir)
    keys = ("cases", "pass@1", "pass_rate_1", "pass_rate_2", "well_formed_rate", "compile_rate")
    return {k: results.summary.get(k) for k in keys}


# ---------------------------------------------------------------------------------------------- report
def table(logs: Sequence[RunLog]) -> str:
    """One row per run; the columns of `TABLE_COLUMNS`."""
    rows = [TABLE_COLUMNS]
    for log in logs:
        e = log.evaluation
        rows.append((log.name, f"{log.params / 1e6:.2f}M", str(log.steps), str(log.tokens), f"{log.seconds:.1f}",
                     f"{log.curve[-1][3]:.3f}", _fmt(log.test_loss), _fmt(e.get("pass@1")),
                     _fmt(e.get("pass_rate_2")), _fmt(e.get("well_formed_rate")), _fmt(e.get("compile_rate"))))
    widths = [max(len(r[i]) for r in rows) for i in range(len(TABLE_COLUMNS))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |" for r in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def plot_curves(logs: Sequence[RunLog], path: Path) -> Path:
    """Training LM loss against tokens (left) and against training time (right), one line per run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (by_tokens, by_time) = plt.subplots(1, 2, figsize=(11, 4))
    for log in logs:
        _, tokens, seconds, losses = zip(*log.curve)
        by_tokens.plot(tokens, _smooth(losses), label=log.name)
        by_time.plot(seconds, _smooth(losses), label=log.name)
    by_tokens.set(xlabel="training tokens", ylabel="training LM loss (nats/token)", title="equal tokens")
    by_time.set(xlabel="training seconds", title="equal time")
    for ax in (by_tokens, by_time):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _smooth(values: Sequence[float], window: int = 5) -> list[float]:
    """Trailing mean: per-batch losses jump with the batch's rows."""
    return [float(np.mean(values[max(0, i - window + 1):i + 1])) for i in range(len(values))]


# ---------------------------------------------------------------------------------------------- driver
def run_benchmark(size: Size, output_dir: str | Path, benchmark_root: Any = None,
                  cache_dir: str | Path | None = None, train_only: bool = False, score_only: bool = False,
                  seed: int = 0) -> dict[str, Any]:
    """Train the three runs (unless `score_only`: load them from `output_dir`), score them (unless `train_only`),
    write the outputs; returns what `learning.json` holds."""
    from accelerate import Accelerator

    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    accelerator = Accelerator(mixed_precision=None if os.environ.get("ACCELERATE_MIXED_PRECISION")
                              else size.mixed_precision)
    if accelerator.device.type == "cpu":
        torch.set_num_threads(1)  # see Clock: one thread, so CPU time is the time this run needs
    root = resolve_benchmark_root(benchmark_root)
    data = load_data(size, root, cache_dir)
    if score_only:
        logs, models = _load_runs(out)
    else:
        logs, models = _train_runs(size, data, accelerator, out, seed)
    for log in logs:
        model = models[log.name].to(accelerator.device)
        log.test_loss = test_loss(model, data, size, accelerator.device)
        if not train_only:
            log.evaluation = score(model, data, size, out / "scores" / log.name.replace("@", "_at_"))
    result = {"size": asdict(size), "benchmark_root": "mini-benchmark" if root.origin == "mini" else root.data_dir,
              "device": str(accelerator.device), "train_rows": len(data.train), "test_rows": len(data.test_rows),
              "runs": [asdict(log) for log in logs], "table": table(logs)}
    (out / "learning.json").write_text(json.dumps(result, indent=1))
    (out / "learning.md").write_text(result["table"] + "\n")
    plot_curves(logs, out / "loss_curves.png")
    return result


def _train_runs(size: Size, data: Data, accelerator: Any, out: Path, seed: int
                ) -> tuple[list[RunLog], dict[str, torch.nn.Module]]:
    """hrm and llama on the same plan; llama@time on the longer plan that fits the HRM's training time. Saves the
    models, the tokenizer and the logs under `out/models` (what `--score-only` reads)."""
    plan = batch_plan(data.train, size.batch_size, size.tokens, seed)
    models = {"hrm": build_models(size, data.tokenizer, seed)["hrm"],
              "llama": build_models(size, data.tokenizer, seed)["llama"]}
    logs = [train_run(name, models[name], data, plan, size, accelerator) for name in ("hrm", "llama")]
    # As many tokens as the Llama processes in the HRM's training time, at the rate it just trained at.
    timed_tokens = int(logs[1].tokens * logs[0].seconds / max(logs[1].seconds, 1e-9))
    timed_plan = batch_plan(data.train, size.batch_size, max(timed_tokens, size.tokens), seed)
    models["llama@time"] = build_models(size, data.tokenizer, seed)["llama"]
    logs.append(train_run("llama@time", models["llama@time"], data, timed_plan, size, accelerator))
    models = {name: accelerator.unwrap_model(m) for name, m in models.items()}
    saved = out / "models"
    for name, model in models.items():
        model.save_pretrained(saved / _dirname(name))
    data.tokenizer.save_pretrained(saved / "tokenizer")
    (saved / "runs.json").write_text(json.dumps([asdict(log) for log in logs]))
    return logs, models


def _load_runs(out: Path) -> tuple[list[RunLog], dict[str, torch.nn.Module]]:
    """The logs and models a `--train-only` run saved (possibly on another machine)."""
    from transformers import AutoModelForCausalLM

    saved = out / "models"
    if not (saved / "runs.json").is_file():
        raise FileNotFoundError(f"--score-only: no {saved / 'runs.json'}; train first (--train-only) with the same "
                                f"--output-dir, or copy that run's models/ folder there")
    logs = [RunLog(**{**entry, "curve": [tuple(c) for c in entry["curve"]]})
            for entry in json.loads((saved / "runs.json").read_text())]
    models = {log.name: AutoModelForCausalLM.from_pretrained(saved / _dirname(log.name), dtype=torch.float32)
              for log in logs}
    return logs, models


def _dirname(run: str) -> str:
    return run.replace("@", "_at_")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="smoke", help="experiment size (default: smoke)")
    parser.add_argument("--benchmark-root", default=None, help=BENCHMARK_ROOT_HELP)
    parser.add_argument("--output-dir", type=Path, default=None, help="outputs (default: runs/learning-SIZE)")
    parser.add_argument("--cache-dir", type=Path, default=None, help="the dataset builder's cache")
    parser.add_argument("--tokens", type=int, default=None, help="override the size's token budget")
    parser.add_argument("--train-only", action="store_true", help="train and save, do not execute (a GPU machine "
                        "without the language toolchains)")
    parser.add_argument("--score-only", action="store_true", help="score the models a --train-only run saved")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.train_only and args.score_only:
        parser.error("Can't provide both --train-only and --score-only. Choose one.")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    size = SIZES[args.size] if args.tokens is None else replace(SIZES[args.size], tokens=args.tokens)
    root = command_benchmark_root(args.benchmark_root)
    result = run_benchmark(size, args.output_dir or REPO / "runs" / f"learning-{args.size}", root,
                           args.cache_dir, train_only=args.train_only, score_only=args.score_only, seed=args.seed)
    print(result["table"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
