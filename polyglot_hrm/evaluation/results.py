"""What an evaluation measured: :class:`EvaluationResults` (the ``results.json`` layout) and how it is made
from case records, the one form both ways of scoring (:mod:`.system`: a solutions file; :mod:`.protocol`: a
backend, two attempts) produce.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from ..execution.executors import Executor, ExecutorSpec
from ..execution.runner import record_stub_passes
from ..scoring import problem_from_reference
from .measures import summarize, transfer_matrix

__all__ = ["EvaluationResults", "case_record", "executor_settings", "results_from_records", "stub_passing"]


@dataclass
class EvaluationResults:
    """Everything an evaluation measured; ``to_dict()`` is the ``results.json`` layout."""

    summary: dict[str, Any]
    per_language: dict[str, dict[str, Any]]
    per_difficulty: dict[str, dict[str, Any]]
    transfer_matrix: dict[str, dict[str, float]]
    cases: list[dict[str, Any]]
    settings: dict[str, Any] = field(default_factory=dict)
    #: Where the results came from (:mod:`polyglot_hrm.provenance`): date, versions, commits, toolchains, the
    #: problems' digest, the model, the command line; empty when the library was called without one.
    provenance: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"settings": self.settings, **({"provenance": self.provenance} if self.provenance else {}),
                "summary": self.summary, "per_language": self.per_language,
                "per_difficulty": self.per_difficulty, "transfer_matrix": self.transfer_matrix, "cases": self.cases}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "EvaluationResults":
        return cls(data["summary"], data["per_language"], data["per_difficulty"], data["transfer_matrix"],
                   data["cases"], data.get("settings", {}), data.get("provenance", {}))


def case_record(case: Mapping[str, Any], measured: list[dict[str, Any]], stub_passes: AbstractSet[str] = frozenset()
                ) -> dict[str, Any]:
    """One case of ``results.json``: what it is, whether its stub already passes, its candidates' measures."""
    return {"id": case["id"], "problem_id": case["problem_id"], "task": case.get("task", "generation"),
            "language": case["language"], "source_language": case.get("source_language") or None,
            "difficulty": case.get("difficulty") or "unknown", "edit_type": case.get("edit_type") or None,
            "stub_passes": case["problem_id"] in stub_passes, "candidates": measured}


def stub_passing(cases: Sequence[Mapping[str, Any]], jobs: int | None, executor: ExecutorSpec = None) -> set[str]:
    """Problem ids whose untouched stub already passes (recorded once per problem by running the stub)."""
    return record_stub_passes([problem_from_reference(c) for c in cases], jobs=jobs, executor=executor)


def executor_settings(executor: Executor, settings: dict[str, Any]) -> None:
    """Say in ``settings`` which executor ran and the runs each node made in this invocation (a resumed run
    makes fewer)."""
    settings["executor"] = executor.name
    settings["runs_per_node"] = dict(sorted(executor.runs_per_node.items()))


def results_from_records(records: list[dict[str, Any]], ks: Sequence[int], settings: dict[str, Any]
                         ) -> EvaluationResults:
    """Aggregate case records overall, per language, per difficulty, and the transfer matrix."""

    def group(key: str) -> dict[str, dict[str, Any]]:
        values = sorted({r[key] for r in records})
        return {v: summarize([r for r in records if r[key] == v], ks) for v in values}

    generation = sum(c.get("generation_s") or 0.0 for r in records
                     for c in [*r["candidates"], *([r["retry"]] if r.get("retry") else [])])
    settings = {**settings, **({"generation_s": round(generation, 2)} if settings.get("mode") == "model" else {})}
    return EvaluationResults(summarize(records, ks), group("language"), group("difficulty"), transfer_matrix(records),
                             records, settings)
