"""By execution, on the mini-benchmark: every target passes its tests; every kept bug_fix mutant fails them."""

from __future__ import annotations

import pytest

from polyglot_hrm.dataset.rows import build_rows
from polyglot_hrm.dataset.config import CONFIG_NAMES, PolyglotHRMConfig
from polyglot_hrm.dataset.validate import check_rows, summarize


@pytest.fixture(scope="module")
def verified_rows():
    rows = []
    for name in CONFIG_NAMES:
        config = PolyglotHRMConfig(name=name, verify_by_execution=True, max_diff_examples_per_problem=2,
                                   verify_timeout=10.0)
        rows.extend(build_rows(config))
    return rows


@pytest.mark.slow
def test_every_target_passes_and_every_kept_mutant_fails(verified_rows, allow_execution):
    bug_fixes = [r for r in verified_rows if r.get("edit_type") == "bug_fix"]
    assert bug_fixes and all(r["verification"] == "failed" and r["test_feedback"] for r in bug_fixes)
    checks = check_rows(verified_rows, progress=False)
    summary = summarize(checks)
    assert summary["ok"] == summary["checks"], summary["bad"]
    kinds = {c.kind for c in checks}
    assert kinds == {"target", "mutant"}
    assert {c.row_id.split("/")[0] for c in checks} == set(CONFIG_NAMES)
