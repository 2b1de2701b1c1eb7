"""Several evaluations side by side: ``polyglot-hrm compare RESULTS.json...``.

Each run is a ``results.json`` of ``polyglot-hrm evaluate`` (any backend, or a solutions file). The
comparison prints and writes:

* a per-language table of one measure (``--metric``; default ``pass_rate_2`` when every run made two
  attempts, else ``pass_rate_1``), one column per run;
* a per-run table: cases, pass@1, pass rates of both attempts, well-formed, applies, compile rate, timeouts,
  tokens in/out per case, seconds per case, executions;
* paired statistics of every run against the first (the baseline), per language and overall, on the cases both
  scored (:mod:`.stats`): the pass-rate difference with its paired bootstrap 95 % interval (each case's pass
  fraction over its samples; ``pass_rate_2``: passed within two attempts), and the exact McNemar p-value on each
  case's first sample; ``compare.md`` / ``compare.html`` list the cases that flipped;
* ``compare.png``: grouped bars per language, one bar per run; and ``compare.md`` plus a self-contained
  ``compare.html`` holding all of it.

Runs whose cases differ are compared as they are (each on its own cases) with a note saying so.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..outputs import atomic_path, atomic_write_text, check_writable, claim_files, record_files
from ..provenance import summary as provenance_summary
from ..tables import format_table
from .report import _bars, _html, _plt
from .results import EvaluationResults
from .stats import PairedComparison, case_outcomes, paired_comparison

__all__ = ["COMPARE_METRICS", "check_metric", "comparison_tables", "default_metric", "load_runs", "paired_metric",
           "paired_statistics", "run_label", "write_comparison"]

logger = logging.getLogger(__name__)

COMPARE_METRICS = ("pass_rate_2", "pass_rate_1", "pass@1", "well_formed_rate", "applies_rate", "compile_rate")
RUN_COLUMNS = [("cases", "cases"), ("pass@1", "pass@1"), ("pass_rate_1", "pass 1st"), ("pass_rate_2", "pass 2nd"),
               ("well_formed_rate", "well-formed"), ("applies_rate", "applies"), ("compile_rate", "compiles"),
               ("timeouts", "timeouts"), ("tokens_in_per_case", "tok in/case"),
               ("tokens_out_per_case", "tok out/case"), ("seconds_per_case", "s/case"), ("executions", "runs")]


def run_label(results: EvaluationResults, path: str | Path) -> str:
    """``model [edit format]`` for a model run, the solutions file's name for a solutions run."""
    s = results.settings
    if s.get("mode") == "model":
        model = str(s.get("model") or s.get("backend") or "model")
        name = Path(model).name if Path(model).exists() else model
        return f"{name} [{s['edit_format']}]" if s.get("edit_format") else name
    return Path(str(s.get("solutions") or path)).stem


def load_runs(paths: Sequence[str | Path], labels: Sequence[str] | None = None
              ) -> list[tuple[str, EvaluationResults]]:
    """``(label, results)`` per file; labels made unique (``name (2)``)."""
    if labels is not None and len(labels) != len(paths):
        raise ValueError(f"`labels` gives {len(labels)} labels for {len(paths)} results files: give one per file")
    runs: list[tuple[str, EvaluationResults]] = []
    for i, path in enumerate(paths):
        try:
            data = json.loads(Path(path).read_text())
            results = EvaluationResults.from_dict(data)
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise ValueError(f"{path}: not a results.json of `polyglot-hrm evaluate` ({err})") from err
        label = labels[i] if labels is not None else run_label(results, path)
        taken = {name for name, _ in runs}
        base, n = label, 2
        while label in taken:
            label, n = f"{base} ({n})", n + 1
        runs.append((label, results))
    return runs


def default_metric(runs: Sequence[tuple[str, EvaluationResults]]) -> str:
    return "pass_rate_2" if all("pass_rate_2" in r.summary for _, r in runs) else "pass_rate_1"


def _languages(runs: Sequence[tuple[str, EvaluationResults]]) -> list[str]:
    return sorted({lang for _, r in runs for lang in r.per_language})


def _value(v: Any) -> Any:
    return "-" if v is None else v


def paired_metric(metric: str) -> str:
    """The pass rate the paired statistics test: ``pass_rate_2`` when that is compared, else first attempts."""
    return "pass_rate_2" if metric == "pass_rate_2" else "pass_rate_1"


def paired_statistics(runs: Sequence[tuple[str, EvaluationResults]], metric: str
                      ) -> list[tuple[str, list[PairedComparison]]]:
    """Per run after the first: ``(label, [per language..., all])`` against the first run, on shared cases
    (languages the two share no case in are left out)."""
    kind = paired_metric(metric)
    base = case_outcomes(runs[0][1].cases, kind)
    out = []
    for label, results in runs[1:]:
        other = case_outcomes(results.cases, kind)
        scopes = [*_languages([runs[0], (label, results)]), "all"]
        found = [paired_comparison(base, other, scope) for scope in scopes]
        out.append((label, [c for c in found if c is not None]))
    return out


def _interval(c: PairedComparison) -> str:
    return f"[{c.low:+.3f}, {c.high:+.3f}]"


def _paired_rows(pairs: Sequence[PairedComparison]) -> list[list[Any]]:
    return [[c.scope, c.cases, f"{c.rate_a:.3f}", f"{c.rate_b:.3f}", f"{c.difference:+.3f}", _interval(c),
             c.only_a, c.only_b, f"{c.p_value:.3g}"] for c in pairs]


PAIRED_HEADERS = ["language", "shared cases", "baseline", "run", "difference", "95% interval", "baseline only",
                  "run only", "McNemar p"]


def _paired_title(baseline: str, label: str, metric: str) -> str:
    return f"{label} vs {baseline} (baseline): {paired_metric(metric)}, paired"


#: The provenance lines the terminal shows (``compare.md`` shows them all).
TERMINAL_PROVENANCE = ("date (UTC)", "polyglot-hrm", "benchmark", "model")


def _provenance_rows(runs: Sequence[tuple[str, EvaluationResults]], keys: Sequence[str] | None = None
                     ) -> list[list[str]]:
    lines = [provenance_summary(r.provenance) for _, r in runs]
    names = [k for k in dict.fromkeys(k for line in lines for k in line) if keys is None or k in keys]
    return [[name, *(line.get(name, "-") for line in lines)] for name in names]


def provenance_note(runs: Sequence[tuple[str, EvaluationResults]]) -> str | None:
    """A warning when the runs scored different problem content (their digests differ), or some have none."""
    digests = {label: (r.provenance.get("benchmark") or {}).get("problems_sha256") for label, r in runs}
    if len(set(digests.values())) <= 1:
        return None
    missing = [label for label, d in digests.items() if d is None]
    return ("note: the runs' problems differ in content (problems_sha256 differs)"
            + (f"; no provenance in {', '.join(missing)}" if missing else ""))


def comparison_tables(runs: Sequence[tuple[str, EvaluationResults]], metric: str) -> str:
    """The two terminal tables (module docstring)."""
    langs = _languages(runs)
    rows = [[lang, *(_value(r.per_language.get(lang, {}).get(metric)) for _, r in runs)] for lang in langs]
    rows.append(["all", *(_value(r.summary.get(metric)) for _, r in runs)])
    out = [format_table(["language", *(label for label, _ in runs)], rows, title=f"{metric} by language")]
    cols = [(k, h) for k, h in RUN_COLUMNS if any(k in r.summary for _, r in runs)]
    per_run = [[label, *(_value(r.summary.get(k)) for k, _ in cols)] for label, r in runs]
    out.append(format_table(["run", *(h for _, h in cols)], per_run, title="Runs"))
    for label, pairs in paired_statistics(runs, metric):
        if pairs:
            title = _paired_title(runs[0][0], label, metric)
            out.append(format_table(PAIRED_HEADERS, _paired_rows(pairs), title=title))
    provenance = _provenance_rows(runs, TERMINAL_PROVENANCE)
    if provenance:
        out.append(format_table(["provenance", *(label for label, _ in runs)], provenance, title="Provenance"))
    case_sets = {frozenset(c["id"] for c in r.cases) for _, r in runs}
    if len(case_sets) > 1:
        common = frozenset.intersection(*case_sets)
        out.append(f"note: the runs cover different cases ({len(common)} in common); each is shown on its own cases")
    note = provenance_note(runs)
    if note:
        out.append(note)
    return "\n\n".join(out)


def _chart(runs: Sequence[tuple[str, EvaluationResults]], metric: str, path: Path) -> None:
    plt = _plt()
    langs = _languages(runs) + ["all"]
    series = {label: [*(r.per_language.get(lang, {}).get(metric) for lang in langs[:-1]), r.summary.get(metric)]
              for label, r in runs}
    fig, ax = plt.subplots(figsize=(max(7.0, 0.35 * len(runs) * len(langs) + 3), 4.4))
    _bars(ax, langs, series, metric)
    ax.set_title(f"{metric} by language, {len(runs)} runs", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _markdown(runs: Sequence[tuple[str, EvaluationResults]], metric: str, chart: Path) -> str:
    def cell(v: Any) -> str:
        return "-" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))

    langs = _languages(runs)
    lines = ["# Comparison", "", f"## {metric} by language", "",
             "| language | " + " | ".join(label for label, _ in runs) + " |", "|---" * (len(runs) + 1) + "|"]
    lines += [f"| {lang} | " + " | ".join(cell(r.per_language.get(lang, {}).get(metric)) for _, r in runs) + " |"
              for lang in langs]
    lines += ["| **all** | " + " | ".join(cell(r.summary.get(metric)) for _, r in runs) + " |", ""]
    cols = [(k, h) for k, h in RUN_COLUMNS if any(k in r.summary for _, r in runs)]
    lines += ["## Runs", "", "| run | " + " | ".join(h for _, h in cols) + " |", "|---" * (len(cols) + 1) + "|"]
    lines += [f"| {label} | " + " | ".join(cell(r.summary.get(k)) for k, _ in cols) + " |" for label, r in runs]
    lines += _paired_markdown(runs, metric)
    provenance = _provenance_rows(runs)
    if provenance:
        lines += ["", "## Provenance", "", "| | " + " | ".join(label for label, _ in runs) + " |",
                  "|---" * (len(runs) + 1) + "|"]
        lines += [f"| {name} | " + " | ".join(f"`{v}`".replace("|", "\\|") for v in values) + " |"
                  for name, *values in provenance]  # a pipe in a command line would end the cell
        note = provenance_note(runs)
        lines += ["", note] if note else []
    lines += ["", f"![compare]({chart.name})", "", "## Settings", ""]
    lines += [f"- **{label}**: " + ", ".join(f"`{k}={v}`" for k, v in r.settings.items() if k != "this_invocation")
              for label, r in runs]
    return "\n".join(lines) + "\n"


def _paired_markdown(runs: Sequence[tuple[str, EvaluationResults]], metric: str) -> list[str]:
    """Per run against the baseline: the paired table and the cases whose first sample flipped."""
    lines: list[str] = []
    for label, pairs in paired_statistics(runs, metric):
        if not pairs:
            lines += ["", f"## {label} vs {runs[0][0]}", "", "No case in common: nothing to pair."]
            continue
        lines += ["", f"## {_paired_title(runs[0][0], label, metric)}", "",
                  "Difference: mean over the shared cases of (run - baseline) pass fraction; interval: paired "
                  "percentile bootstrap over cases; p: exact McNemar test on the first sample (README: Evaluation).",
                  "", "| " + " | ".join(PAIRED_HEADERS) + " |", "|---" * len(PAIRED_HEADERS) + "|"]
        lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in _paired_rows(pairs)]
        overall = pairs[-1]
        flipped = ((f"Passing in {label} only", overall.gained), (f"Passing in {runs[0][0]} only", overall.lost))
        for name, ids in flipped:
            lines += ["", f"**{name}** ({len(ids)}, first sample):" + ("" if ids else " none")]
            lines += [f"- `{case_id}`" for case_id in ids]
    return lines


def write_comparison(runs: Sequence[tuple[str, EvaluationResults]], output_dir: str | Path, metric: str
                     ) -> dict[str, Path]:
    """``compare.png``, ``compare.md`` and ``compare.html`` in ``output_dir``; returns the paths by name."""
    out = Path(output_dir)
    paths = {"chart": out / "compare.png", "markdown": out / "compare.md", "html": out / "compare.html"}
    check_writable(out, "`output_dir`")
    claim_files(out, [p.name for p in paths.values()], "`output_dir` file")
    record_files(out, "comparison", [p.name for p in paths.values()])  # listed first: a rerun after a fault replaces them
    with atomic_path(paths["chart"]) as tmp:
        _chart(runs, metric, tmp)
    text = _markdown(runs, metric, paths["chart"])
    atomic_write_text(paths["markdown"], text)
    atomic_write_text(paths["html"], _html(text, {"compare": paths["chart"]}).replace("Evaluation report", "Comparison"))
    return paths


def check_metric(metric: str, runs: Sequence[tuple[str, EvaluationResults]]) -> str:
    missing = [label for label, r in runs if metric not in r.summary]
    if missing:
        raise ValueError(f"metric={metric}: not in the results of {', '.join(missing)} (pass_rate_2 needs "
                         "two attempts, `polyglot-hrm evaluate --attempts 2`); choose another `metric`")
    return metric
