"""``polyglot-hrm leaderboard``: rows in the shape of Aider's polyglot_leaderboard.yml, checked against the field
names and types its rows use (tests/fixtures/aider_leaderboard_schema.yaml)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from conftest import run_command

from polyglot_hrm.evaluation.leaderboard import FIELD_ORDER, leaderboard_row, leaderboard_yaml

SCHEMA = yaml.safe_load((Path(__file__).parent / "fixtures" / "aider_leaderboard_schema.yaml").read_text())["fields"]
TYPES = {"str": str, "int": int, "float": float, "date": dt.date}


def check_schema(row: dict) -> None:
    """Every field is one of Aider's, with the YAML type its rows give it, in Aider's order."""
    for name, value in row.items():
        assert name in SCHEMA, f"{name}: not a field of Aider's rows"
        wanted = TYPES[SCHEMA[name]["type"]]
        assert isinstance(value, wanted) and not isinstance(value, bool), f"{name}={value!r}: not {wanted.__name__}"
    assert list(row) == [k for k in FIELD_ORDER if k in row]


def _answer(status="passed", applies=True, **more):
    return {"status": status, "well_formed": True, "applies": applies, "duration_s": 1.0, "generation_s": 2.0,
            "tokens_in": 100, "tokens_out": 10, **more}


def _results(cases, **settings):
    return {"settings": {"mode": "model", "backend": "openai", "model": "m", "edit_format": "diff", **settings},
            "provenance": {"date_utc": "2025-01-31T20:42:47Z", "command": "polyglot-hrm evaluate --model m",
                           "polyglot_hrm": {"version": "0.1.0", "git_commit": "abcdef0123456789", "git_dirty": True},
                           "benchmark": {"left_out": ["go/counter"]}},
            "cases": cases}


def test_the_row_counts_as_aider_does():
    cases = [
        {"candidates": [_answer()], "retry": None},  # passed at once
        {"candidates": [_answer("failed", applies=False)], "retry": _answer()},  # malformed, then passed
        {"candidates": [_answer("timeout")], "retry": _answer("failed", applies=False, finish_reason="context_window")},
        {"candidates": [_answer("failed", finish_reason="length")], "retry": _answer("failed", applies=False)},
        {"candidates": []},  # given no candidate: not a case
    ]
    row = leaderboard_row(_results(cases, extra_body={"reasoning_effort": "high", "api_key": "***"}),
                          price_in=3, price_out=15)
    check_schema(row)
    assert row == {
        "dirname": "2025-01-31-20-42-47--m", "test_cases": 4, "model": "m", "edit_format": "diff",
        "commit_hash": "abcdef0-dirty", "reasoning_effort": "high", "pass_rate_1": 25.0, "pass_rate_2": 50.0,
        "pass_num_1": 1, "pass_num_2": 2, "percent_cases_well_formed": 25.0, "num_malformed_responses": 3,
        "num_with_malformed_responses": 3, "exhausted_context_windows": 1, "prompt_tokens": 700,
        "completion_tokens": 70, "test_timeouts": 1, "total_tests": 5, "command": "polyglot-hrm evaluate --model m",
        "date": dt.date(2025, 1, 31), "versions": "0.1.0", "seconds_per_case": 5.2,
        "total_cost": round(700 * 3 / 1e6 + 70 * 15 / 1e6, 4)}


def test_what_is_not_measured_is_left_out():
    cases = [{"candidates": [{"status": "passed", "well_formed": True, "applies": True, "duration_s": 1.0}]}]
    row = leaderboard_row({"settings": {"mode": "solutions", "solutions": "/x/sols.json"}, "cases": cases},
                          price_in=1, price_out=1)
    check_schema(row)
    # One attempt, no tokens, no provenance, no finish reasons: no pass_rate_2, cost, commit, date or context count.
    assert row == {"test_cases": 1, "model": "sols.json", "pass_rate_1": 100.0, "pass_num_1": 1,
                   "percent_cases_well_formed": 100.0, "num_malformed_responses": 0,
                   "num_with_malformed_responses": 0, "test_timeouts": 0, "total_tests": 1, "seconds_per_case": 1.0}
    for never in ("user_asks", "lazy_comments", "error_outputs", "syntax_errors", "indentation_errors"):
        assert never in SCHEMA and never not in row


def test_free_tokens_need_no_count_and_priced_ones_do():
    cases = [{"candidates": [{"status": "passed", "applies": True, "tokens_in": None, "tokens_out": None}]}]
    assert leaderboard_row(_results(cases), price_in=0, price_out=0)["total_cost"] == 0.0
    assert "total_cost" not in leaderboard_row(_results(cases), price_in=1, price_out=0)


def test_the_yaml_reads_back_with_aiders_types():
    cases = [{"candidates": [_answer()], "retry": None}]
    text = leaderboard_yaml([leaderboard_row(_results(cases)), leaderboard_row(_results(cases))])
    rows = yaml.safe_load(text)
    assert len(rows) == 2 and text.startswith("- dirname: 2025-01-31-20-42-47--m\n  test_cases: 1\n")
    assert "\n\n- dirname" in text  # a blank line between rows, as Aider's file has
    for row in rows:
        check_schema(row)
        assert row["date"] == dt.date(2025, 1, 31)  # unquoted: a YAML date, as in Aider's rows


@pytest.mark.slow
def test_a_reference_run_on_the_mini_benchmark_gives_a_row_in_aiders_schema(tmp_path):
    out = tmp_path / "results.json"
    done = run_command("evaluate", "--backend", "reference", "--attempts", "2", "--languages", "python,javascript",
                       "--limit", "1", "--no-report", "-o", str(out))
    assert done.returncode == 0, done.stderr
    done = run_command("leaderboard", str(out), "--price-in", "0", "--price-out", "0", "-o", str(tmp_path / "lb.yml"))
    assert done.returncode == 0, done.stderr
    assert "2 cases scored" in done.stderr
    [row] = yaml.safe_load((tmp_path / "lb.yml").read_text())
    check_schema(row)
    data = json.loads(out.read_text())
    assert row["test_cases"] == row["total_tests"] == 2  # the mini-benchmark has no exercise without tests
    assert (row["pass_num_1"], row["pass_rate_1"], row["pass_rate_2"]) == (2, 100.0, 100.0)
    assert row["model"] == "reference" and row["edit_format"] == "whole"
    assert row["command"] == data["provenance"]["command"] and row["versions"] == data["provenance"]["polyglot_hrm"][
        "version"]
    assert row["date"] == dt.date.fromisoformat(data["provenance"]["date_utc"][:10])
    assert row["total_cost"] == 0.0  # free, and the reference counts no tokens
