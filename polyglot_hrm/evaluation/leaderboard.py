"""Rows in the shape of Aider's polyglot leaderboard (``aider/website/_data/polyglot_leaderboard.yml``) from
``results.json`` files: ``polyglot-hrm leaderboard RESULTS.json...``.

Aider's file has no formal schema; ``tests/fixtures/aider_leaderboard_schema.yaml`` records the field names and
YAML types its rows use, and a test checks our rows against it. Every field is filled only where this project
measures the same thing; the rest are left out rather than invented. Aider's protocol is the first sample of
each case, answered once and, when it fails, once more with the test output: the row reads the first candidate
of each case and its retry (:mod:`.protocol`), whatever ``num_samples`` was.

=================================  =====================================================================
field                              from
=================================  =====================================================================
``dirname``                        the run's start (UTC) and the model, as Aider names its run folders
``test_cases``                     cases scored (a case given no candidate is not counted)
``model``, ``edit_format``         the backend's settings (a solutions run: the file's name)
``commit_hash``                    *this project's* commit, 7 digits, ``-dirty`` when the tree differed
``pass_rate_1``, ``pass_num_1``    first attempt passed: percent of ``test_cases`` (one decimal), count
``pass_rate_2``, ``pass_num_2``    either attempt passed (only with ``--attempts 2``)
``percent_cases_well_formed``      100 x (1 - ``num_with_malformed_responses`` / ``test_cases``)
``num_malformed_responses``        answers (first attempts and retries) whose edit could not be used: not
                                   parseable, or (as Aider counts them) a SEARCH that does not match
``num_with_malformed_responses``   cases with at least one such answer
``exhausted_context_windows``      answers whose ``finish_reason`` is ``context_window`` (results that
                                   record finish reasons only)
``test_timeouts``                  test runs of those answers that hit the time limit
``total_tests``                    exercises of the benchmark: ``test_cases`` plus those left out (the
                                   polyglot benchmark's go/counter has no tests: 224 scored of 225)
``command``, ``date``              the provenance's command line (credentials hidden) and UTC date
``versions``                       polyglot-hrm's version
``seconds_per_case``               test-run plus generation seconds of those answers, per case
``prompt_tokens``,                 tokens of those answers, where the backend counts them
``completion_tokens``
``total_cost``                     ``--price-in`` / ``--price-out`` (per million tokens) x the tokens
``reasoning_effort``               the ``reasoning_effort`` the backend sent, where it sent one
=================================  =====================================================================

Left out: ``error_outputs`` (Aider counts every error message its tool printed: lint failures, API errors,
malformed edits; there is no equal here), ``user_asks`` and ``lazy_comments`` (Aider's chat loop asks the user
and scans for ``# ... rest of code`` comments; this project does neither), ``syntax_errors`` and
``indentation_errors`` (Aider greps Python's full test output; the results keep a trimmed excerpt only),
``thinking_tokens``, ``editor_model`` and ``editor_edit_format`` (no architect mode here).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from ..provenance import short_commit

__all__ = ["FIELD_ORDER", "case_count_note", "leaderboard_row", "leaderboard_yaml"]

#: Aider's order of the fields (its rows' order; ``reasoning_effort`` where its rows put it, after the commit).
FIELD_ORDER = ("dirname", "test_cases", "model", "edit_format", "commit_hash", "reasoning_effort", "pass_rate_1",
               "pass_rate_2", "pass_num_1", "pass_num_2", "percent_cases_well_formed", "num_malformed_responses",
               "num_with_malformed_responses", "exhausted_context_windows", "prompt_tokens", "completion_tokens",
               "test_timeouts", "total_tests", "command", "date", "versions", "seconds_per_case", "total_cost")


def _answers(case: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Aider's answers of a case: the first sample's first attempt, and its retry when there was one."""
    return [case["candidates"][0], *([case["retry"]] if case.get("retry") else [])]


def _malformed(answer: Mapping[str, Any]) -> bool:
    # Aider reports an edit it cannot apply (no SEARCH match) as malformed, like one it cannot parse.
    return not answer.get("applies", answer.get("well_formed", True))


def _tokens(answers: Sequence[Mapping[str, Any]], key: str) -> int | None:
    counts = [a.get(key) for a in answers if a.get(key) is not None]
    return sum(counts) if counts else None


def _start(provenance: Mapping[str, Any]) -> dt.datetime | None:
    text = provenance.get("date_utc")
    if not text:
        return None
    return dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))


def _model(settings: Mapping[str, Any]) -> str:
    if settings.get("mode") == "model":
        return str(settings.get("model") or settings.get("backend") or "model")
    return Path(str(settings.get("solutions") or "solutions")).name


def _reasoning_effort(settings: Mapping[str, Any]) -> str | None:
    extra = settings.get("extra_body")
    value = settings.get("reasoning_effort") or (extra.get("reasoning_effort") if isinstance(extra, Mapping) else None)
    return str(value) if value else None


def _cost(prompt: int | None, completion: int | None, price_in: float | None, price_out: float | None
          ) -> float | None:
    """Dollars at the given prices per million tokens; None when a price is missing, or a priced kind of token
    was not counted (a free kind needs no count)."""
    if price_in is None or price_out is None:
        return None
    parts = [(prompt, price_in), (completion, price_out)]
    if any(count is None and price for count, price in parts):
        return None
    return round(sum((count or 0) * price / 1e6 for count, price in parts), 4)


def leaderboard_row(results: Mapping[str, Any], *, name: str | None = None, price_in: float | None = None,
                    price_out: float | None = None) -> dict[str, Any]:
    """One leaderboard row (module docstring) from a ``results.json`` mapping; ``name``: the tail of
    ``dirname`` (default: the model); ``price_in`` / ``price_out``: dollars per million prompt / completion
    tokens. Fields that cannot be filled are absent; the order is Aider's."""
    settings = results.get("settings") or {}
    provenance = results.get("provenance") or {}
    cases = [c for c in results.get("cases") or [] if c.get("candidates")]
    if not cases:
        raise ValueError("`results` hold no scored case: nothing to put in a leaderboard row")
    answers = [a for c in cases for a in _answers(c)]
    two = any("retry" in c for c in cases)
    first = sum(c["candidates"][0]["status"] == "passed" for c in cases)
    either = sum(any(a["status"] == "passed" for a in _answers(c)) for c in cases)
    with_malformed = sum(any(_malformed(a) for a in _answers(c)) for c in cases)
    prompt, completion = _tokens(answers, "tokens_in"), _tokens(answers, "tokens_out")
    start = _start(provenance)
    model = _model(settings)
    left_out = (provenance.get("benchmark") or {}).get("left_out") or []
    row: dict[str, Any] = {
        "test_cases": len(cases), "model": model, "edit_format": settings.get("edit_format"),
        "commit_hash": short_commit(provenance.get("polyglot_hrm") or {}),
        "reasoning_effort": _reasoning_effort(settings),
        "pass_rate_1": round(100 * first / len(cases), 1), "pass_num_1": first,
        "percent_cases_well_formed": round(100 * (1 - with_malformed / len(cases)), 1),
        "num_malformed_responses": sum(_malformed(a) for a in answers),
        "num_with_malformed_responses": with_malformed,
        "prompt_tokens": prompt, "completion_tokens": completion,
        "test_timeouts": sum(a["status"] == "timeout" for a in answers),
        "total_tests": len(cases) + len(left_out),
        "command": provenance.get("command"),
        "date": start.date() if start else None,
        "versions": (provenance.get("polyglot_hrm") or {}).get("version"),
        "seconds_per_case": round(sum((a.get("duration_s") or 0.0) + (a.get("generation_s") or 0.0)
                                      for a in answers) / len(cases), 1),
        "total_cost": _cost(prompt, completion, price_in, price_out),
    }
    if start is not None:
        row["dirname"] = f"{start:%Y-%m-%d-%H-%M-%S}--{name or Path(model).name}"
    if two:
        row.update({"pass_rate_2": round(100 * either / len(cases), 1), "pass_num_2": either})
    if any("finish_reason" in a for a in answers):
        row["exhausted_context_windows"] = sum(a.get("finish_reason") == "context_window" for a in answers)
    return {key: row[key] for key in FIELD_ORDER if row.get(key) is not None}


def leaderboard_yaml(rows: Sequence[Mapping[str, Any]]) -> str:
    """The rows as Aider's file writes them: a YAML list, a blank line between rows, dates unquoted."""
    return "\n".join(yaml.safe_dump([dict(row)], sort_keys=False, allow_unicode=True, default_flow_style=False,
                                    width=1000) for row in rows)


def case_count_note(results: Mapping[str, Any]) -> str:
    """How many cases the row counts, of how many exercises, and why they differ."""
    cases = sum(bool(c.get("candidates")) for c in results.get("cases") or [])
    bench = (results.get("provenance") or {}).get("benchmark") or {}
    left_out = bench.get("left_out") or []
    text = f"{cases} cases scored"
    if left_out:
        text += (f" of {cases + len(left_out)} exercises: left out {', '.join(left_out)} (no tests to run, "
                 f"marked .meta/.skip_tests), which Aider's harness counts among its test cases (its total_tests "
                 f"is every exercise folder)")
    elif not bench:
        text += " (no provenance in these results: total_tests is the cases scored)"
    return text
