"""Which exercise slugs exist in which languages, and what that allows for transfer."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from itertools import permutations
from typing import Iterable, Iterator

from ..languages import LANGUAGES
from .problem import Problem

__all__ = ["CrossLanguageIndex"]


@dataclass
class CrossLanguageIndex:
    """``slug -> languages`` over a set of problems, with the stats the seed reports."""

    languages_by_slug: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_problems(cls, problems: Iterable[Problem]) -> "CrossLanguageIndex":
        order = {name: i for i, name in enumerate(LANGUAGES)}
        by_slug: dict[str, set[str]] = {}
        for p in problems:
            by_slug.setdefault(p.slug, set()).add(p.language)
        return cls({s: tuple(sorted(langs, key=lambda n: order.get(n, len(order)))) for s, langs in sorted(by_slug.items())})

    @property
    def languages(self) -> list[str]:
        present = {lang for langs in self.languages_by_slug.values() for lang in langs}
        return [name for name in LANGUAGES if name in present] + sorted(present - set(LANGUAGES))

    def problems_per_language(self) -> dict[str, int]:
        counts = Counter(lang for langs in self.languages_by_slug.values() for lang in langs)
        return {lang: counts[lang] for lang in self.languages}

    def coverage_histogram(self) -> dict[int, int]:
        """Number of slugs by how many languages have them (1..len(languages))."""
        counts = Counter(len(langs) for langs in self.languages_by_slug.values())
        return {n: counts.get(n, 0) for n in range(1, len(self.languages) + 1)}

    def directed_pairs(self) -> Iterator[tuple[str, str, str]]:
        """``(slug, source language, target language)`` for every slug in two or more languages and every
        ordered pair of its languages: the transfer examples and the language matrix both enumerate these."""
        for slug, langs in self.languages_by_slug.items():
            for a, b in permutations(langs, 2):
                yield slug, a, b

    def transfer_pairs(self) -> dict[tuple[str, str], int]:
        """Directed (source, target) language pairs -> number of slugs both have."""
        counts = Counter((a, b) for _, a, b in self.directed_pairs())
        return {(a, b): counts.get((a, b), 0) for a in self.languages for b in self.languages if a != b}
