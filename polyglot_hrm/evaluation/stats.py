"""Paired statistics for two evaluations of the same cases, and an interval for one evaluation's pass rate.

Two runs of ``polyglot-hrm evaluate`` share case ids, so they can be compared case by case, which is far
more sensitive than comparing two rates: most cases pass (or fail) in both runs, and only the cases that
differ carry information about the difference.

* **Pass-rate difference with a paired bootstrap interval** (:func:`paired_bootstrap`): over the cases both
  runs scored, each case's outcome in each run is its *pass fraction* (the share of its samples that passed;
  0 or 1 with one sample); the difference is ``mean(b - a)``. The cases are resampled with replacement
  (:data:`~polyglot_hrm.settings.BOOTSTRAP_RESAMPLES` times, seeded with
  :data:`~polyglot_hrm.settings.BOOTSTRAP_SEED`, so a comparison prints the same interval every time), the
  same case ids for both runs (that is what makes it paired), and the interval is the 2.5th and 97.5th
  percentiles of the resampled differences (the percentile bootstrap, :data:`~polyglot_hrm.settings.CONFIDENCE`).
* **Exact McNemar test** (:func:`mcnemar_exact`): on the first sample of each shared case, ``b`` cases pass
  in the first run only and ``c`` in the second only; under "no difference" each such discordant case is a fair
  coin, so the two-sided p-value is ``min(1, 2 * P(X <= min(b, c)))`` for ``X ~ Binomial(b + c, 1/2)``,
  computed exactly with integers (no normal approximation: discordant pairs are few on 225 cases).
* **One run's pass rate with an interval** (:func:`bootstrap_interval`): the same percentile bootstrap over the
  run's own cases.

What they do not say: the cases are the benchmark's exercises, not a sample from all programming problems, so
the interval speaks of how much the result depends on which of these exercises drive it, and it is blind to
sampling noise that the runs share (one greedy answer per case). With every case passing (or failing) in both
runs the interval is a single point.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from math import comb
from typing import Any

import numpy as np

from ..settings import BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, CONFIDENCE

__all__ = ["CaseOutcome", "PairedComparison", "bootstrap_interval", "case_outcomes", "mcnemar_exact",
           "paired_bootstrap", "paired_comparison"]


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value for ``b`` and ``c`` discordant pairs (module docstring); 1.0 when none."""
    if b < 0 or c < 0:
        raise ValueError(f"discordant counts b={b}, c={c}: must be >= 0")
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(comb(n, i) for i in range(min(b, c) + 1))
    return min(1.0, 2 * tail / 2**n)


def _percentiles(means: np.ndarray, confidence: float) -> tuple[float, float]:
    alpha = (1.0 - confidence) / 2
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    return float(low), float(high)


def _resampled_means(values: np.ndarray, resamples: int, seed: int) -> np.ndarray:
    """Means of ``resamples`` resamples (with replacement) of ``values`` ``(n,)``, all from one seeded stream."""
    if resamples < 1:
        raise ValueError(f"resamples={resamples}: must be >= 1")
    rng = np.random.default_rng(seed)
    index = rng.integers(0, len(values), size=(resamples, len(values)))  # (R, n)
    return values[index].mean(axis=1)  # (R,)


def bootstrap_interval(values: Sequence[float], resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED,
                       confidence: float = CONFIDENCE) -> tuple[float, float] | None:
    """Percentile bootstrap interval of ``mean(values)`` over the cases (module docstring); None with no case."""
    if len(values) == 0:
        return None
    return _percentiles(_resampled_means(np.asarray(values, dtype=float), resamples, seed), confidence)


def paired_bootstrap(a: Sequence[float], b: Sequence[float], resamples: int = BOOTSTRAP_RESAMPLES,
                     seed: int = BOOTSTRAP_SEED, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """``(mean(b - a), low, high)``: ``a[i]`` and ``b[i]`` are one case's outcomes in two runs; the cases are
    resampled together (module docstring)."""
    if len(a) != len(b):
        raise ValueError(f"paired outcomes: {len(a)} values for the first run, {len(b)} for the second; give one "
                         "per shared case in the same order")
    if len(a) == 0:
        raise ValueError("paired outcomes: no case in common")
    diff = np.asarray(b, dtype=float) - np.asarray(a, dtype=float)
    low, high = _percentiles(_resampled_means(diff, resamples, seed), confidence)
    return float(diff.mean()), low, high


@dataclass(frozen=True)
class CaseOutcome:
    """One case of one run: ``fraction`` of its samples that passed, and whether its ``first`` sample passed
    (with ``pass_rate_2``: within two attempts)."""

    language: str
    fraction: float
    first: bool


def case_outcomes(cases: Sequence[Mapping[str, Any]], metric: str = "pass_rate_1") -> dict[str, CaseOutcome]:
    """Per case id of a ``results.json``'s ``cases``: its outcome for ``metric``. ``pass_rate_2`` counts the first
    sample as passed when it or its retry passed (the retry is of the first sample only, so the fraction is that
    too); any other metric counts first attempts, over every sample. Cases without candidates are left out."""
    out = {}
    for case in cases:
        candidates = case.get("candidates") or []
        if not candidates:
            continue
        passed = [c.get("status") == "passed" for c in candidates]
        if metric == "pass_rate_2":
            first = passed[0] or (case.get("retry") or {}).get("status") == "passed"
            out[str(case["id"])] = CaseOutcome(case["language"], float(first), first)
        else:
            out[str(case["id"])] = CaseOutcome(case["language"], sum(passed) / len(passed), passed[0])
    return out


@dataclass
class PairedComparison:
    """Run ``b`` against baseline run ``a`` on their shared cases of one scope (a language, or ``all``)."""

    scope: str
    cases: int
    rate_a: float
    rate_b: float
    difference: float
    low: float
    high: float
    only_a: int  # discordant: the first sample passes in a only (McNemar's b)
    only_b: int  # ... in b only (McNemar's c)
    p_value: float
    gained: list[str] = field(default_factory=list)  # case ids passing in b only (first sample)
    lost: list[str] = field(default_factory=list)  # case ids passing in a only

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def paired_comparison(a: Mapping[str, CaseOutcome], b: Mapping[str, CaseOutcome], scope: str = "all",
                      resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED) -> PairedComparison | None:
    """The paired statistics of ``b`` against ``a`` (:func:`case_outcomes` of each) over the case ids both hold,
    restricted to one language unless ``scope`` is ``all``; None when they share no case there."""
    shared = sorted(k for k in a.keys() & b.keys() if scope == "all" or a[k].language == scope)
    if not shared:
        return None
    fa, fb = [a[k].fraction for k in shared], [b[k].fraction for k in shared]
    difference, low, high = paired_bootstrap(fa, fb, resamples, seed)
    gained = [k for k in shared if b[k].first and not a[k].first]
    lost = [k for k in shared if a[k].first and not b[k].first]
    return PairedComparison(scope, len(shared), round(float(np.mean(fa)), 4), round(float(np.mean(fb)), 4),
                            round(difference, 4), round(low, 4), round(high, 4), len(lost), len(gained),
                            mcnemar_exact(len(lost), len(gained)), gained, lost)
