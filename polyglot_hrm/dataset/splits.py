"""Splits by exercise slug: one exercise, in every language and every configuration, sits in one split."""

from __future__ import annotations

from typing import Iterable

from ..seeded import seeded_rank
from .names import SPLITS

__all__ = ["assign_splits"]


def assign_splits(slugs: Iterable[str], seed: int, ratios: dict[str, float]) -> dict[str, str]:
    """``slug -> split``, deterministic in ``(seed, slug)``.

    Each slug draws ``u = sha256(seed, slug)`` in [0, 1) and goes to the split whose cumulative ratio
    interval holds ``u``, so a slug's split does not depend on which other slugs exist. On a small tree
    where that leaves a split with a positive ratio empty (the mini-benchmark has six slugs), slugs are
    instead ranked by ``u`` and cut by ratio with at least one slug per such split (largest remainders).
    """
    slugs = sorted(set(slugs))
    u = {s: seeded_rank(seed, "split", s) / 2.0 ** 64 for s in slugs}
    names = [n for n in SPLITS if n in ratios]
    bounds, total = [], 0.0
    for name in names:
        total += ratios[name]
        bounds.append((total, name))
    out = {}
    for s in slugs:
        out[s] = next((name for bound, name in bounds if u[s] < bound), names[0])
    wanted = [n for n in names if ratios[n] > 0]
    if len(slugs) >= len(wanted) and any(n not in out.values() for n in wanted):
        ranked = sorted(slugs, key=lambda s: u[s])
        exact = {n: ratios[n] * len(slugs) for n in wanted}
        counts = {n: max(1, int(exact[n])) for n in wanted}
        while sum(counts.values()) > len(slugs):
            n = max((n for n in wanted if counts[n] > 1), key=lambda n: counts[n] - exact[n])
            counts[n] -= 1
        while sum(counts.values()) < len(slugs):
            n = max(wanted, key=lambda n: exact[n] - counts[n])
            counts[n] += 1
        out, i = {}, 0
        for n in wanted:
            for s in ranked[i:i + counts[n]]:
                out[s] = n
            i += counts[n]
    return out
