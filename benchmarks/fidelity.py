"""Compare two `polyglot-hrm validate --output` files exercise by exercise: what a change to the runners did to
the references (and stubs) it ran.

    python benchmarks/fidelity.py BEFORE.json AFTER.json [BEFORE2.json AFTER2.json ...]

For each pair, per language (the runs AFTER made; a partial rerun is compared on what it ran): runs, passed
before and after, and every run whose status or test counts changed
(``status passed/total``), then the runs of AFTER by isolation (the candidate's code in a process of its own, or
sharing the tests' process). Exits 1 when a run that passed before does not pass after, or passes with other
counts.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from polyglot_hrm.tables import format_table  # noqa: E402


def load(path: Path) -> dict[tuple[str, str], dict]:
    data = json.loads(path.read_text())
    runs = data["results"] if isinstance(data, dict) else data
    return {(r["problem_id"], r.get("mode", "reference")): r for r in runs}


def cell(r: dict | None) -> str:
    return "-" if r is None else f"{r['status']} {r['tests_passed']}/{r['tests_total']}"


def compare(before: dict, after: dict) -> tuple[list[list], list[list], bool]:
    """Runs of AFTER against the same runs of BEFORE (runs AFTER did not make are left out: a partial rerun)."""
    languages = sorted({pid.split("/")[0] for pid, _ in after})
    summary, changed, worse = [], [], False
    for lang in languages:
        keys = sorted(k for k in after if k[0].startswith(lang + "/"))
        b = sum(before.get(k, {}).get("status") == "passed" for k in keys)
        a = sum(after.get(k, {}).get("status") == "passed" for k in keys)
        isolation = Counter(after[k].get("isolation", "in-process") for k in keys if k in after)
        summary.append([lang, len(keys), b, a, isolation.get("process", 0), isolation.get("in-process", 0)])
        for k in keys:
            rb, ra = before.get(k), after.get(k)
            if cell(rb) != cell(ra):
                changed.append([k[0], k[1], cell(rb), cell(ra)])
                if rb is not None and rb["status"] == "passed" and cell(rb) != cell(ra):
                    worse = True
    return summary, changed, worse


def main(argv: list[str]) -> int:
    if len(argv) < 2 or len(argv) % 2:
        print(__doc__, file=sys.stderr)
        return 2
    worse = False
    for before_path, after_path in zip(argv[::2], argv[1::2]):
        summary, changed, bad = compare(load(Path(before_path)), load(Path(after_path)))
        worse |= bad
        print(format_table(["language", "runs", "passed before", "passed after", "after: out of process",
                            "after: in-process"], summary, title=f"{before_path} -> {after_path}"))
        if changed:
            print(format_table(["run", "mode", "before", "after"], changed, title="changed"))
        print()
    return 1 if worse else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
