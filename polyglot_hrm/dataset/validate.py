"""Check rows by execution, from the rows alone (as the metric would run them): every target passes its
exercise's tests, and every verified ``bug_fix`` input (the mutant) fails them.

Targets: ``generation``/``transfer`` rows' ``target_files``; ``diff_edit`` rows' ``target_edit`` parsed and
applied to ``input_files``. Each row's problem is rebuilt from its ``files``
(:func:`polyglot_hrm.scoring.problem_from_reference`), not from the benchmark tree, and scored on the one
scoring path (:func:`polyglot_hrm.scoring.score`), where identical (problem, files) runs are executed once. Candidate runs need the execution opt-in
(``POLYGLOT_HRM_ALLOW_CODE_EXECUTION=1``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from ..edit_format import apply_blocks, parse_blocks
from ..scoring import score
from ..settings import DEFAULT_TIMEOUT
from ..synthesis.examples import row_files

__all__ = ["RowCheck", "check_rows", "input_candidate", "summarize", "target_candidate"]


def input_candidate(row: Mapping[str, Any]) -> dict[str, str]:
    return row_files(row["input_files"], "solution")


def target_candidate(row: Mapping[str, Any]) -> dict[str, str]:
    """The files a perfect answer to ``row`` writes over the stub."""
    if row["task"] == "diff_edit":
        return apply_blocks(input_candidate(row), parse_blocks(row["target_edit"]))
    return {f["path"]: f["content"] for f in row["target_files"]}


@dataclass
class RowCheck:
    row_id: str
    kind: str  # "target" (must pass) or "mutant" (must fail)
    status: str
    ok: bool
    output: str = ""


def check_rows(rows: Iterable[Mapping[str, Any]], jobs: int | None = None,
               timeout: float = DEFAULT_TIMEOUT, progress: bool = True) -> list[RowCheck]:
    """Run each row's target (and verified mutant) on the one scoring path; identical runs execute once."""
    rows = list(rows)
    kinds, candidates = [], []
    for row in rows:
        target = row["target_edit"] if row["task"] == "diff_edit" else target_candidate(row)
        checks = [("target", target)]
        if row.get("edit_type") == "bug_fix" and row.get("verification") == "failed":
            checks.append(("mutant", input_candidate(row)))
        kinds.append([kind for kind, _ in checks])
        candidates.append([c for _, c in checks])
    scored = score(rows, candidates, jobs=jobs, timeout=timeout, progress=progress, desc="checking rows")
    out = []
    for row, ks, ss in zip(rows, kinds, scored):
        for kind, s in zip(ks, ss):
            r = s.result
            ok = r.status == "passed" if kind == "target" else r.status == "failed"
            out.append(RowCheck(row["id"], kind, r.status, ok, "" if ok else r.output[-2000:]))
    return out


def summarize(checks: list[RowCheck]) -> dict[str, Any]:
    by = Counter((c.row_id.split("/")[0], c.kind, c.ok) for c in checks)
    return {"checks": len(checks), "ok": sum(c.ok for c in checks),
            "by_config": {f"{task}/{kind}": {"ok": by[(task, kind, True)], "bad": by[(task, kind, False)]}
                          for task, kind in sorted({(t, k) for t, k, _ in by})},
            "bad": [{"id": c.row_id, "kind": c.kind, "status": c.status} for c in checks if not c.ok]}
