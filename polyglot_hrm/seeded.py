"""The one seeded sampler: every choice the data makes is a function of the seed and what is chosen, by name.

A choice never draws from a shared stream, so adding a problem, a file or a mutant moves no other choice:

* :func:`seeded_rank` gives ``(seed, *parts)`` a 64-bit rank from SHA-256 (sort by it to shuffle; divide by
  ``2**64`` for a uniform draw in [0, 1));
* :func:`seeded_random` is a :class:`random.Random` seeded with that rank, for shuffles;
* :func:`select_balanced` picks a seeded, kind-balanced subset (mutants by operator, refactorings by kind).

A leaf module: it imports nothing of the package, so every layer may use it.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Sequence
from typing import TypeVar

__all__ = ["seeded_random", "seeded_rank", "select_balanced"]

T = TypeVar("T")


def seeded_rank(seed: int, *parts: str) -> int:
    """A deterministic 64-bit rank of ``(seed, *parts)`` (the first 8 bytes of their SHA-256, big-endian)."""
    return int.from_bytes(hashlib.sha256("\0".join([str(seed), *parts]).encode()).digest()[:8], "big")


def seeded_random(seed: int, *parts: str) -> random.Random:
    """A :class:`random.Random` of its own for ``(seed, *parts)``."""
    return random.Random(seeded_rank(seed, *parts))


def select_balanced(items: list[T], kind_of: Callable[[T], str], kinds: Sequence[str], n: int, seed: int,
                    key: str, order_label: str, kind_label: Callable[[str], tuple[str, ...]]) -> list[T]:
    """Up to ``n`` items, balanced across kinds (round robin), the kinds' order and each kind's order seeded by
    ``(seed, key, order_label)`` and ``(seed, key, *kind_label(kind))``. The same inputs give the same list; a
    larger ``n`` extends a smaller one's list."""
    by_kind: dict[str, list[T]] = {}
    for item in items:
        by_kind.setdefault(kind_of(item), []).append(item)
    order = [k for k in kinds if k in by_kind]
    seeded_random(seed, key, order_label).shuffle(order)
    for kind in order:
        seeded_random(seed, key, *kind_label(kind)).shuffle(by_kind[kind])
    picked: list[T] = []
    while len(picked) < n and any(by_kind[k] for k in order):
        for kind in order:
            if by_kind[kind] and len(picked) < n:
                picked.append(by_kind[kind].pop(0))
    return picked
