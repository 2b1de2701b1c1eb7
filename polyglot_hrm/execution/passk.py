"""The unbiased pass@k estimator of Chen et al. (2021), "Evaluating Large Language Models Trained on Code"."""

from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["pass_at_k", "mean_pass_at_k"]


def pass_at_k(n: int, c: int, k: int) -> float:
    """Probability that at least one of ``k`` samples drawn from ``n`` (``c`` correct) is correct.

    ``1 - C(n-c, k) / C(n, k)``, computed as a running product so it stays stable for large ``n``.
    """
    if not 0 <= c <= n:
        raise ValueError(f"need 0 <= correct <= samples, got correct={c}, samples={n}")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if n < k:
        raise ValueError(f"pass@{k} needs at least {k} samples per problem, got {n}; sample more or lower k")
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def mean_pass_at_k(samples: Sequence[int], correct: Sequence[int], k: int) -> float | None:
    """Mean pass@k over problems; None when some problem has fewer than ``k`` samples."""
    if not samples or any(n < k for n in samples):
        return None
    return float(np.mean([pass_at_k(n, c, k) for n, c in zip(samples, correct)]))
