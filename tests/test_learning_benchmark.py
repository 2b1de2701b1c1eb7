"""`benchmarks/learning.py` (HRM vs a same-size Llama): its batch plan, and the smoke size end to end: the shape of
its outputs and that both models trained on identical rows and budgets."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _load_learning():
    """The benchmark script, loaded by path (benchmarks/ is a folder of scripts, not a package)."""
    spec = importlib.util.spec_from_file_location("benchmarks_learning", REPO / "benchmarks" / "learning.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


learning = _load_learning()


class _Rows:
    """A stand-in for TokenizedDataset: examples with input_ids of given lengths, rows with ids."""

    def __init__(self, lengths):
        self.examples = [{"input_ids": [0] * n} for n in lengths]
        self.rows = [{"id": f"row{i}"} for i in range(len(lengths))]

    def __len__(self):
        return len(self.examples)


def test_batch_plan_meets_the_token_budget_and_longer_plans_extend_shorter_ones():
    train = _Rows([100, 200, 300, 400, 500])
    plan = learning.batch_plan(train, batch_size=2, tokens=2000, seed=3)
    assert learning.plan_tokens(train, plan) >= 2000
    assert learning.plan_tokens(train, plan[:-1]) < 2000  # stops at the first batch that reaches the budget
    # Each epoch is a permutation of all rows: the first 3 batches (5 rows, the last one alone) cover every row.
    assert sorted(i for batch in plan[:3] for i in batch) == [0, 1, 2, 3, 4]
    assert [len(b) for b in plan[:3]] == [2, 2, 1]
    longer = learning.batch_plan(train, batch_size=2, tokens=6000, seed=3)
    assert longer[:len(plan)] == plan
    assert learning.batch_plan(train, batch_size=2, tokens=2000, seed=3) == plan
    assert learning.rows_digest(train, plan) == learning.rows_digest(train, longer[:len(plan)])
    assert learning.rows_digest(train, plan) != learning.rows_digest(train, longer)


@pytest.fixture(scope="module")
def smoke(tmp_path_factory, allow_execution_module):
    out = tmp_path_factory.mktemp("learning")
    result = learning.run_benchmark(learning.SIZES["smoke"], out, cache_dir=out / "datasets")
    return out, result


@pytest.mark.slow
def test_smoke_table_has_one_row_per_run_and_every_column(smoke):
    out, result = smoke
    lines = result["table"].splitlines()
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in lines]
    assert tuple(cells[0]) == learning.TABLE_COLUMNS
    body = cells[2:]
    assert [row[0] for row in body] == list(learning.RUNS)
    assert all(len(row) == len(learning.TABLE_COLUMNS) for row in body)
    for row in body:
        for name in ("pass@1", "pass 2nd", "well-formed", "compiles"):
            value = float(row[learning.TABLE_COLUMNS.index(name)])  # scored by execution: a number, not "-"
            assert 0.0 <= value <= 1.0
    assert (out / "learning.md").read_text() == result["table"] + "\n"


@pytest.mark.slow
def test_smoke_models_trained_on_identical_rows_and_budgets(smoke):
    _, result = smoke
    size = learning.SIZES["smoke"]
    runs = {run["name"]: run for run in result["runs"]}
    hrm, llama, timed = runs["hrm"], runs["llama"], runs["llama@time"]
    assert hrm["rows_digest"] == llama["rows_digest"]
    assert hrm["tokens"] == llama["tokens"] >= size.tokens
    assert hrm["steps"] == llama["steps"] == len(hrm["curve"]) == len(llama["curve"])
    assert [c[1] for c in hrm["curve"]] == [c[1] for c in llama["curve"]]  # the same batches, step by step
    # Equal time: the Llama reads the same stream further; its first batches are the HRM's.
    assert timed["steps"] >= hrm["steps"]
    assert [c[1] for c in timed["curve"][:hrm["steps"]]] == [c[1] for c in hrm["curve"]]
    assert abs(hrm["params"] - llama["params"]) / hrm["params"] < 0.1
    assert result["size"]["learning_rate"] == size.learning_rate  # one optimizer setting for all runs


@pytest.mark.slow
def test_smoke_writes_curves_scores_and_saved_models(smoke):
    out, result = smoke
    assert (out / "loss_curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    saved = json.loads((out / "learning.json").read_text())
    assert saved["table"] == result["table"] and saved["test_rows"] == learning.SIZES["smoke"].test_rows
    for run in saved["runs"]:
        assert math.isfinite(run["test_loss"]) and run["test_loss"] > 0
        assert run["evaluation"]["cases"] == learning.SIZES["smoke"].test_rows
        scores = json.loads((out / "scores" / run["name"].replace("@", "_at_") / "results.json").read_text())
        assert scores["settings"]["attempts"] == 2
        assert (out / "models" / run["name"].replace("@", "_at_") / "config.json").is_file()
