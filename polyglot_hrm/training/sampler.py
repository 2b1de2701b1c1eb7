"""Curriculum sampling with language weights and a cross-language (transfer) mixing ratio.

`CurriculumSampler` draws row indices with replacement. Each draw picks from the *available* rows: rows are
ordered easy -> medium -> hard (seeded shuffle inside a bucket), and at training progress p in [0, 1] the
easiest `competence(p)` share of them is available (Platanios et al. 2019, competence-based curriculum):

    linear: c(p) = min(1, c0 + (1 - c0) * p / full_at)
    sqrt:   c(p) = min(1, sqrt(c0^2 + (1 - c0^2) * p / full_at))

Among the available rows, a row's probability is proportional to its language weight, and the transfer rows
together get `mixing_ratio` of the mass (the other tasks the rest), when both kinds are available.

Every process of a distributed run builds the same sampler and draws the same sequence (seed + epoch);
accelerate then deals the batches out to the processes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Iterator

import numpy as np
from torch.utils.data import Sampler

__all__ = ["DIFFICULTY_ORDER", "CurriculumSampler", "competence", "row_probabilities"]

DIFFICULTY_ORDER = {"easy": 0, "medium": 1, "hard": 2}


def competence(progress: float, start: float, full_at: float, pacing: str = "linear") -> float:
    """Share of rows (easiest first) available at training `progress` in [0, 1]."""
    t = min(1.0, max(0.0, progress) / full_at)
    if pacing == "linear":
        return min(1.0, start + (1.0 - start) * t)
    if pacing == "sqrt":
        return min(1.0, math.sqrt(start**2 + (1.0 - start**2) * t))
    raise ValueError(f"pacing={pacing!r}: use 'linear' or 'sqrt'")


def row_probabilities(languages: Sequence[str], tasks: Sequence[str], language_weights: Mapping[str, float],
                      mixing_ratio: float | None) -> np.ndarray:
    """Sampling probabilities of rows: language weight, then transfer rows rescaled to `mixing_ratio` of the mass."""
    weights = np.array([float(language_weights.get(lang, 1.0)) for lang in languages], dtype=np.float64)
    if weights.sum() <= 0:
        raise ValueError("every available row has language weight 0: raise some language_weights")
    transfer = np.array([t == "transfer" for t in tasks])
    if mixing_ratio is not None and transfer.any() and (~transfer).any():
        t_mass, o_mass = weights[transfer].sum(), weights[~transfer].sum()
        if t_mass > 0 and o_mass > 0:
            weights = np.where(transfer, weights * mixing_ratio / t_mass, weights * (1 - mixing_ratio) / o_mass)
    return weights / weights.sum()


class CurriculumSampler(Sampler[int]):
    """Weighted, curriculum-paced sampling with replacement (see the module docstring).

    Args:
        difficulties, languages, tasks: per row of the dataset.
        total_samples: draws over the whole training (all epochs, all processes): sets the pace.
        num_samples: draws per epoch (default: one per row).
        curriculum: False makes every row available from the start.
    """

    def __init__(self, difficulties: Sequence[str], languages: Sequence[str], tasks: Sequence[str], *,
                 total_samples: int, num_samples: int | None = None, language_weights: Mapping[str, float] | None = None,
                 mixing_ratio: float | None = None, curriculum: bool = True, pacing: str = "linear",
                 start: float = 0.25, full_at: float = 0.5, seed: int = 42) -> None:
        n = len(difficulties)
        if not n or len(languages) != n or len(tasks) != n:
            raise ValueError(f"need one difficulty, language and task per row; got {n}, {len(languages)}, {len(tasks)}")
        unknown = sorted({d for d in difficulties if d not in DIFFICULTY_ORDER})
        if unknown:
            raise ValueError(f"unknown difficulty {unknown}; rows carry one of {list(DIFFICULTY_ORDER)}")
        competence(0.0, start, full_at, pacing)  # validates pacing
        self.num_samples = num_samples or n
        self.total_samples = max(1, total_samples)
        self.curriculum, self.pacing, self.start, self.full_at, self.seed = curriculum, pacing, start, full_at, seed
        self.epoch = 0
        # Easiest first; a seeded shuffle inside each bucket so the available prefix is not one language.
        tiebreak = np.random.default_rng(seed).permutation(n)
        self.order = np.array(sorted(range(n), key=lambda i: (DIFFICULTY_ORDER[difficulties[i]], tiebreak[i])))
        self._languages = [languages[i] for i in self.order]
        self._tasks = [tasks[i] for i in self.order]
        self._weights = dict(language_weights or {})
        self._mixing = mixing_ratio
        self._probs: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def available(self, progress: float) -> int:
        """Rows available at `progress` (a prefix of `self.order`), at least one."""
        if not self.curriculum:
            return len(self.order)
        share = competence(progress, self.start, self.full_at, self.pacing)
        return max(1, math.ceil(share * len(self.order)))

    def _prefix_probs(self, m: int) -> np.ndarray:
        if m not in self._probs:
            self._probs[m] = row_probabilities(self._languages[:m], self._tasks[:m], self._weights, self._mixing)
        return self._probs[m]

    def __iter__(self) -> Iterator[int]:
        epoch = self.epoch
        self.epoch += 1  # a Trainer that never calls set_epoch still gets a new order each epoch
        rng = np.random.default_rng((self.seed, epoch))
        first = epoch * self.num_samples
        progress = (first + np.arange(self.num_samples)) / self.total_samples
        sizes = np.array([self.available(p) for p in progress])
        draws = np.empty(self.num_samples, dtype=np.int64)
        for m in np.unique(sizes):
            where = np.flatnonzero(sizes == m)
            draws[where] = rng.choice(int(m), size=len(where), p=self._prefix_probs(int(m)))
        yield from (int(self.order[d]) for d in draws)
