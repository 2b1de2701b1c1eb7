"""Paired statistics (issue 27): exact McNemar and the percentile bootstrap against hand-computed values, and
``compare`` / ``report.md`` showing them."""

from __future__ import annotations

import itertools
import json
from fractions import Fraction
from math import comb
from pathlib import Path

import pytest

from polyglot_hrm.evaluation.stats import (CaseOutcome, bootstrap_interval, case_outcomes, mcnemar_exact,
                                           paired_bootstrap, paired_comparison)


@pytest.mark.parametrize("b, c, expected", [
    (1, 6, 2 * (comb(7, 0) + comb(7, 1)) / 2**7),  # 0.125
    (6, 1, 0.125),  # symmetric
    (0, 5, 2 / 2**5),
    (2, 10, 2 * (1 + 12 + 66) / 2**12),
    (3, 3, 1.0),  # 2 * P(X <= 3) = 2 * 42/64 > 1: capped
    (0, 0, 1.0),  # no discordant pair: no evidence either way
])
def test_mcnemar_exact_matches_the_binomial_tail(b, c, expected):
    assert mcnemar_exact(b, c) == pytest.approx(expected, abs=1e-15)
    assert mcnemar_exact(1, 6) == 0.125


def _exact_percentiles(diff: list[int], q: float) -> tuple[Fraction, Fraction]:
    """The exact bootstrap distribution of mean(diff) by enumerating all n^n resamples: its q and 1-q quantiles
    (the smallest value whose CDF reaches the level)."""
    n = len(diff)
    counts: dict[Fraction, int] = {}
    for index in itertools.product(range(n), repeat=n):
        mean = Fraction(sum(diff[i] for i in index), n)
        counts[mean] = counts.get(mean, 0) + 1
    cdf, total, out = 0, n**n, []
    levels = [q, 1 - q]
    for value in sorted(counts):
        cdf += counts[value]
        while levels and cdf / total >= levels[0]:
            out.append(value)
            levels.pop(0)
    return out[0], out[1]


def test_paired_bootstrap_matches_the_exact_enumeration():
    # Five cases: two gained, two kept, one lost. CDF of the exact distribution: P(mean <= -0.6) = 0.0195,
    # P(mean <= -0.4) = 0.0707, P(mean <= 0.6) = 0.9386, P(mean <= 0.8) = 0.9898: the 2.5 % and 97.5 % points
    # are -0.4 and 0.8, each several Monte Carlo standard errors away from a neighbouring atom.
    a, b = [0, 0, 1, 1, 1], [1, 1, 1, 1, 0]
    low, high = _exact_percentiles([y - x for x, y in zip(a, b)], 0.025)
    assert (low, high) == (Fraction(-2, 5), Fraction(4, 5))
    difference, lo, hi = paired_bootstrap(a, b)
    assert difference == pytest.approx(0.2) and (lo, hi) == (pytest.approx(-0.4), pytest.approx(0.8))


def test_paired_bootstrap_resamples_cases_together():
    # Identical runs: every resample's difference is 0, while unpaired resampling of two 50 % runs would not be.
    outcomes = [0, 1] * 10
    assert paired_bootstrap(outcomes, outcomes) == (0.0, 0.0, 0.0)
    # A constant shift of one pass on every case: the interval is that point.
    assert paired_bootstrap([0.0] * 4, [1.0] * 4) == (1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="one per shared case"):
        paired_bootstrap([1, 0], [1])


def test_bootstrap_interval_of_one_run():
    assert bootstrap_interval([]) is None
    assert bootstrap_interval([1.0] * 7) == (1.0, 1.0)
    low, high = bootstrap_interval([1.0] * 5 + [0.0] * 5)
    assert low < 0.5 < high and low >= 0.1 and high <= 0.9  # mean 0.5; the exact 2.5 % point of Bin(10, .5)/10 is 0.2
    assert (low, high) == (0.2, 0.8)
    assert bootstrap_interval([1.0] * 5 + [0.0] * 5, seed=1) == bootstrap_interval([1.0] * 5 + [0.0] * 5, seed=1)


def test_case_outcomes_use_the_pass_fraction_and_the_first_sample():
    cases = [
        {"id": "a", "language": "go", "candidates": [{"status": "failed"}, {"status": "passed"}],
         "retry": {"status": "passed"}},
        {"id": "b", "language": "go", "candidates": []},  # no candidate: not scored
    ]
    assert case_outcomes(cases) == {"a": CaseOutcome("go", 0.5, False)}
    assert case_outcomes(cases, "pass_rate_2") == {"a": CaseOutcome("go", 1.0, True)}


def test_paired_comparison_counts_flips_on_shared_cases():
    a = {f"go/{i}": CaseOutcome("go", float(i < 3), i < 3) for i in range(10)}  # 0, 1, 2 pass
    b = {f"go/{i}": CaseOutcome("go", float(2 <= i < 9), 2 <= i < 9) for i in range(10)}  # 2..8 pass
    b["rust/x"] = CaseOutcome("rust", 1.0, True)  # not in a: left out
    c = paired_comparison(a, b)
    assert c.cases == 10 and c.rate_a == 0.3 and c.rate_b == 0.7 and c.difference == 0.4
    assert c.lost == ["go/0", "go/1"] and c.gained == [f"go/{i}" for i in range(3, 9)]
    assert (c.only_a, c.only_b) == (2, 6) and c.p_value == mcnemar_exact(2, 6) == pytest.approx(74 / 256)
    assert c.low <= 0.4 <= c.high
    assert paired_comparison(a, b, scope="rust") is None


def _results(path: Path, label: str, passes: dict[str, list[bool]]) -> Path:
    from polyglot_hrm.evaluation.results import case_record, results_from_records

    records = []
    for lang, flags in passes.items():
        for i, ok in enumerate(flags):
            measures = {"status": "passed" if ok else "failed", "kind": "files", "well_formed": True,
                        "applies": True, "compiled": True, "edited_chars": 10, "efficiency": 1.0,
                        "diff_quality": None, "duration_s": 1.0}
            records.append(case_record({"id": f"{lang}/x{i}", "problem_id": f"{lang}/x{i}", "language": lang},
                                       [measures]))
    settings = {"mode": "model", "backend": "openai", "model": label, "edit_format": "whole"}
    path.write_text(json.dumps(results_from_records(records, (1,), settings).to_dict()))
    return path


def test_compare_shows_the_paired_statistics_and_the_flipped_cases(tmp_path, capsys):
    from polyglot_hrm.cli import main

    base = _results(tmp_path / "a.json", "base", {"python": [True, True, False, False, False, False, False],
                                                   "go": [True, False]})
    new = _results(tmp_path / "b.json", "new", {"python": [False, True, True, True, True, True, True],
                                                 "go": [True, False]})
    assert main(["compare", str(base), str(new), "--output-dir", str(tmp_path / "cmp")]) == 0
    out = capsys.readouterr().out
    table = out[out.index("new [whole] vs base [whole] (baseline)"):].splitlines()
    rows = {line.split()[0]: line.split() for line in table[3:6]}
    # python: 1 lost (x0), 5 gained (x2..x6): p = 2 * (1 + 6) / 2^6; all: the same flips over 9 cases
    assert rows["python"][1:5] == ["7", "0.286", "0.857", "+0.571"] and rows["python"][-3:] == ["1", "5", "0.219"]
    assert rows["go"][1:5] == ["2", "0.500", "0.500", "+0.000"] and rows["go"][-1] == "1"
    assert rows["all"][1] == "9" and rows["all"][-1] == f"{mcnemar_exact(1, 5):.3g}" == "0.219"
    page = (tmp_path / "cmp" / "compare.html").read_text()
    assert "Passing in new [whole] only</strong> (5, first sample)" in page
    assert all(f"<code>python/x{i}</code>" in page for i in (0, 2, 3, 4, 5, 6))  # x0 lost, x2..x6 gained
    assert "<code>python/x1</code>" not in page.split("Passing in new")[1]  # passes in both: no flip


def test_report_gives_each_pass_rate_with_its_interval(tmp_path):
    from polyglot_hrm.evaluation.report import write_report
    from polyglot_hrm.evaluation.results import EvaluationResults

    data = json.loads(_results(tmp_path / "r.json", "m", {"python": [True] * 5 + [False] * 5}).read_text())
    results = EvaluationResults.from_dict(data)
    assert results.summary["pass_rate_1_interval"] == [0.2, 0.8]  # test_bootstrap_interval_of_one_run
    text = write_report(results, tmp_path / "report")["markdown"].read_text()
    assert "| python | 10 | 0.500 | 0.500 [0.200, 0.800] |" in text
