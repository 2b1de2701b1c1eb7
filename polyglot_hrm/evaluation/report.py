"""Reports of an evaluation: ``results.json``, ``report.md``, a self-contained ``report.html`` and PNG charts.

Charts (matplotlib, Agg backend, so no display is needed):

* ``per_language.png``: grouped bars per language: pass@1, pass rate after the second attempt (when
  run), compile rate and well-formed rate, each labelled with its value;
* ``by_difficulty.png``: first-attempt pass rate per difficulty bucket (easy / medium / hard), one bar
  per language and bucket, with the case count under each group;
* ``transfer_matrix.png`` (transfer cases only): source x target heat map of first-attempt pass rates,
  each cell annotated.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..outputs import OutputError, atomic_path, atomic_write_text, check_writable, claim_files, record_files
from ..provenance import summary as provenance_summary
from ..tables import format_table
from .results import EvaluationResults

__all__ = ["REPORT_FILES", "check_report_targets", "summary_table", "write_report"]

logger = logging.getLogger(__name__)

DIFFICULTY_ORDER = ["easy", "medium", "hard", "unknown"]
#: What a report writes in its folder (besides the results JSON), each listed in the folder's manifest.
REPORT_FILES = ("report.md", "report.html", "per_language.png", "by_difficulty.png", "transfer_matrix.png")
KIND = "evaluation"
COLUMNS = [("cases", "cases"), ("pass@1", "pass@1"), ("pass_rate_1", "pass 1st"), ("pass_rate_2", "pass 2nd"),
           ("well_formed_rate", "well-formed"), ("applies_rate", "applies"), ("compile_rate", "compiles"),
           ("timeouts", "timeouts"), ("isolated_rate", "out of process"), ("mean_edit_chars", "edit chars"), ("mean_efficiency", "chars/ref change"),
           ("mean_diff_quality", "diff quality"), ("tokens_in_per_case", "tok in/case"),
           ("tokens_out_per_case", "tok out/case"), ("seconds_per_case", "s/case"),
           ("truncated_answers", "cut at max tokens"), ("exhausted_context_windows", "context full")]
# Shown only where the results have them (two attempts; a backend that counts tokens; generated answers).
OPTIONAL = ("pass_rate_2", "tokens_in_per_case", "tokens_out_per_case", "truncated_answers",
            "exhausted_context_windows")


def _columns(results: EvaluationResults) -> list[tuple[str, str]]:
    """The table's columns: pass@k for every k asked, pass rate 2 only when two attempts ran."""
    ks = [k for k in results.summary if k.startswith("pass@")]
    cols = [COLUMNS[0], *((k, k) for k in ks), *COLUMNS[2:]]
    return [c for c in cols if c[0] not in OPTIONAL or results.summary.get(c[0]) is not None]


def _value(v: Any) -> Any:
    return "-" if v is None else v


def summary_table(results: EvaluationResults) -> str:
    """The terminal table: one row per language, then all."""
    cols = _columns(results)
    rows = [[lang, *(_value(s.get(k)) for k, _ in cols)] for lang, s in results.per_language.items()]
    rows.append(["all", *(_value(results.summary.get(k)) for k, _ in cols)])
    if results.summary.get("no_candidates"):  # given no candidate: not scored, shown rather than blanking a row
        missing = [lang for lang, s in results.per_language.items() if s.get("no_candidates")]
        rows.append([f"no candidates ({', '.join(missing)})", results.summary["no_candidates"],
                     *("-" for _ in cols[1:])])
    out = [format_table(["language", *(h for _, h in cols)], rows, title="Evaluation by language")]
    note = pass_at_k_note(results)
    if note:
        out[0] += "\n" + note
    if results.transfer_matrix:
        targets = sorted({t for row in results.transfer_matrix.values() for t in row})
        matrix = [[src, *(_value(row.get(t)) for t in targets)] for src, row in results.transfer_matrix.items()]
        out.append(format_table(["source \\ target", *targets], matrix, title="Transfer pass rate (first attempt)"))
    return "\n\n".join(out)


def pass_at_k_note(results: EvaluationResults) -> str | None:
    """Why a pass@k shows ``-``: some case has fewer than k candidates (pass@k draws k of them); None otherwise."""
    blank = sorted(int(k.split("@")[1]) for k, v in results.summary.items()
                   if k.startswith("pass@") and "_" not in k and v is None)
    counts = [len(c["candidates"]) for c in results.cases if c["candidates"]]
    if not blank or not counts:
        return None
    return (f"pass@{', pass@'.join(map(str, blank))}: '-' because a case has fewer candidates than k (as few as "
            f"{min(counts)}); pass@k draws k candidates per case: draw {blank[-1]} or more samples per case "
            f"(`num_samples`; a solutions file: at least {blank[-1]} candidates per problem)")


def _plt():
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt

    return plt


def _bars(ax, groups: list[str], series: dict[str, list[float | None]], ylabel: str) -> None:
    width = 0.8 / max(1, len(series))
    crowded = len(series) > 4 or len(series) * len(groups) > 12  # narrow bars: upright labels would touch
    for s, (label, values) in enumerate(series.items()):
        xs = [g + (s - (len(series) - 1) / 2) * width for g in range(len(groups))]
        heights = [v or 0.0 for v in values]
        bars = ax.bar(xs, heights, width, label=label)
        for bar, v in zip(bars, values):
            ax.annotate("-" if v is None else f"{v:.0%}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                        ha="center", va="bottom", fontsize=7, xytext=(0, 2), textcoords="offset points",
                        rotation=90 if crowded else 0)
    ax.set_xticks(range(len(groups)), groups)
    ax.set_ylim(0, 1.22 if crowded else 1.12)
    ax.set_ylabel(ylabel)
    ax.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.yaxis.set_major_formatter(lambda y, _: f"{y:.0%}")
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    ax.legend(loc="upper left", fontsize=8, frameon=False, bbox_to_anchor=(1.01, 1.0))  # outside: bars reach 100%


def _per_language_chart(results: EvaluationResults, path: Path) -> None:
    plt = _plt()
    langs = list(results.per_language)
    metrics = [("pass_rate_1", "pass (1st attempt)"), ("pass_rate_2", "pass (2nd attempt)"),
               ("compile_rate", "compiles"), ("well_formed_rate", "well-formed")]
    series = {label: [results.per_language[lang].get(key) for lang in langs] for key, label in metrics
              if key in results.summary}
    fig, ax = plt.subplots(figsize=(max(6.0, 1.3 * len(langs) + 2), 4.2))
    _bars(ax, langs, series, "share of cases / candidates")
    total = results.summary
    ax.set_title(f"By language\n{total['cases']} cases, pass rate {total['pass_rate_1']:.0%} at the first attempt"
                 + (f", {total['pass_rate_2']:.0%} after two" if "pass_rate_2" in total else ""), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _difficulty_chart(results: EvaluationResults, path: Path) -> None:
    plt = _plt()
    langs = list(results.per_language)
    levels = [d for d in DIFFICULTY_ORDER if any(c["difficulty"] == d for c in results.cases)]
    series: dict[str, list[float | None]] = {}
    counts = []
    for level in levels:
        counts.append(sum(c["difficulty"] == level for c in results.cases))
    for lang in langs:
        values = []
        for level in levels:
            mine = [c for c in results.cases if c["language"] == lang and c["difficulty"] == level and c["candidates"]]
            values.append(sum(c["candidates"][0]["status"] == "passed" for c in mine) / len(mine) if mine else None)
        series[lang] = values
    fig, ax = plt.subplots(figsize=(max(6.0, 2.2 * len(levels) + 2), 4.2))
    _bars(ax, [f"{lv}\n({n} cases)" for lv, n in zip(levels, counts)], series, "pass rate (1st attempt)")
    ax.set_title("Pass rate by difficulty (complexity tertile within each language)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _transfer_chart(results: EvaluationResults, path: Path) -> None:
    plt = _plt()
    matrix = results.transfer_matrix
    sources = sorted(matrix)
    targets = sorted({t for row in matrix.values() for t in row})
    grid = [[matrix[s].get(t, float("nan")) for t in targets] for s in sources]
    counts: dict[tuple[str, str], int] = {}
    for c in results.cases:
        if c.get("source_language"):
            counts[(c["source_language"], c["language"])] = counts.get((c["source_language"], c["language"]), 0) + 1
    fig, ax = plt.subplots(figsize=(1.1 * len(targets) + 2.5, 0.8 * len(sources) + 1.8))
    image = ax.imshow(grid, vmin=0.0, vmax=1.0, cmap="viridis")
    for i, row in enumerate(grid):
        for j, v in enumerate(row):
            if v != v:  # NaN: no case for the pair (the diagonal, or no shared exercise)
                ax.text(j, i, "no cases", ha="center", va="center", fontsize=7, color="gray")
                continue
            ax.text(j, i, f"{v:.0%}\nn={counts.get((sources[i], targets[j]), 0)}", ha="center", va="center",
                    fontsize=8, color="white" if v < 0.6 else "black")
    ax.set_xticks(range(len(targets)), targets, rotation=30, ha="right")
    ax.set_yticks(range(len(sources)), sources)
    ax.set_xlabel("target language")
    ax.set_ylabel("source language")
    ax.set_title("Transfer pass rate (1st attempt)")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, format=lambda y, _: f"{y:.0%}")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _markdown(results: EvaluationResults, charts: Mapping[str, Path]) -> str:
    cols = _columns(results)

    def row(name: str, s: Mapping[str, Any]) -> str:
        cells = []
        for k, _ in cols:
            v = s.get(k)
            cells.append("-" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v)))
            if s.get(f"{k}_interval") and v is not None:  # a pass rate: its 95 % bootstrap interval over the cases
                low, high = s[f"{k}_interval"]
                cells[-1] += f" [{low:.3f}, {high:.3f}]"
        return f"| {name} | " + " | ".join(cells) + " |"

    lines = ["# Evaluation report", "", "Settings: " + ", ".join(f"`{k}={v}`" for k, v in results.settings.items()), ""]
    if results.provenance:  # where the numbers came from; results.json has the whole record
        summary = provenance_summary(results.provenance)
        lines += ["## Provenance", "", *(f"- **{k}**: `{v}`" for k, v in summary.items()),
                  "", "## By language", ""]
    lines += ["| language | " + " | ".join(h for _, h in cols) + " |", "|---" * (len(cols) + 1) + "|"]
    lines += [row(lang, s) for lang, s in results.per_language.items()] + [row("**all**", results.summary)]
    if results.summary.get("no_candidates"):
        lines += [f"| no candidates | {results.summary['no_candidates']} |" + " - |" * (len(cols) - 1)]
    lines += [""]
    lines += ["## By difficulty", "", "| difficulty | " + " | ".join(h for _, h in cols) + " |",
              "|---" * (len(cols) + 1) + "|"]
    lines += [row(d, results.per_difficulty[d]) for d in DIFFICULTY_ORDER if d in results.per_difficulty] + [""]
    if results.transfer_matrix:
        targets = sorted({t for row in results.transfer_matrix.values() for t in row})
        lines += ["## Transfer pass rate (first attempt), source x target", "",
                  "| source \\ target | " + " | ".join(targets) + " |", "|---" * (len(targets) + 1) + "|"]
        lines += [f"| {src} | " + " | ".join("-" if t not in row else f"{row[t]:.3f}" for t in targets) + " |"
                  for src, row in results.transfer_matrix.items()] + [""]
    for name, path in charts.items():
        lines += [f"![{name}]({path.name})", ""]
    failing = [c for c in results.cases if c["candidates"] and not any(x["status"] == "passed" for x in c["candidates"])]
    lines += [f"## Cases without a passing candidate ({len(failing)} of {len(results.cases)})", ""]
    lines += [f"- `{c['id']}`: " + ", ".join(x["status"] for x in c["candidates"]) for c in failing[:200]]
    lines += ["", "Pass rates show their 95 % interval in brackets: a percentile bootstrap over the cases "
              "(`polyglot_hrm/evaluation/stats.py`).",
              "Definitions of every measure: `polyglot_hrm/evaluation/measures.py` (README: Evaluation)."]
    return "\n".join(lines) + "\n"


def _html(markdown_text: str, charts: Mapping[str, Path]) -> str:
    """A self-contained page: the Markdown rendered by markdown-it (tables on), charts inlined as base64 PNGs."""
    from markdown_it import MarkdownIt

    for name, path in charts.items():
        data = base64.b64encode(path.read_bytes()).decode()
        markdown_text = markdown_text.replace(f"![{name}]({path.name})", f"![{name}](data:image/png;base64,{data})")
    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown_text)
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
             "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}"
             "td:first-child,th:first-child{text-align:left}th{background:#eee}img{max-width:100%}"
             "li code{font-size:12px}")
    return f"<!doctype html>\n<html><head><meta charset='utf-8'><title>Evaluation report</title><style>{style}</style>" \
           f"</head><body>\n{body}</body></html>\n"


def check_report_targets(out_dir: str | Path | None, json_path: str | Path | None) -> None:
    """Before any work: the report folder and the results file can be written, and replace only files this
    tool wrote there (:mod:`polyglot_hrm.outputs`)."""
    if json_path is not None:
        json_path = Path(json_path)
        if json_path.is_dir():
            raise OutputError(f"json_path={json_path}: is a folder; give a file path such as "
                               f"{json_path / 'results.json'}")
        check_writable(json_path.parent, "`json_path` folder")
        claim_files(json_path.parent, [json_path.name], "`json_path`")
    if out_dir is not None:
        check_writable(out_dir, "report folder")
        claim_files(out_dir, REPORT_FILES, "report file")


def write_report(results: EvaluationResults, out_dir: str | Path, json_path: str | Path | None = None
                 ) -> dict[str, Path]:
    """Write ``results.json`` (or ``json_path``), the charts, ``report.md`` and ``report.html`` into
    ``out_dir``; returns the paths by name. Each file is written whole (a temporary file renamed into place);
    a file of that name this tool did not write is refused. Every file joins its folder's manifest *before*
    it is written, so a report cut short by a fault (a full disk) is ours to replace when the same command
    is run again."""
    out = Path(out_dir)
    paths: dict[str, Path] = {"json": Path(json_path) if json_path else out / "results.json"}
    check_report_targets(out, paths["json"])
    charts: dict[str, Path] = {"per_language": out / "per_language.png", "by_difficulty": out / "by_difficulty.png"}
    draw = {"per_language": _per_language_chart, "by_difficulty": _difficulty_chart}
    if results.transfer_matrix:
        charts["transfer_matrix"] = out / "transfer_matrix.png"
        draw["transfer_matrix"] = _transfer_chart
    record_files(paths["json"].parent, KIND, [paths["json"].name])
    record_files(out, KIND, [*(p.name for p in charts.values()), "report.md", "report.html"])
    atomic_write_text(paths["json"], json.dumps(results.to_dict(), indent=1))
    for name, path in charts.items():
        with atomic_path(path) as tmp:
            draw[name](results, tmp)
    markdown_text = _markdown(results, charts)
    paths["markdown"] = atomic_write_text(out / "report.md", markdown_text)
    paths["html"] = atomic_write_text(out / "report.html", _html(markdown_text, charts))
    paths.update(charts)
    logger.info("wrote the report to %s", out)
    return paths
