"""Per-candidate measures and their aggregation (overall, per language, per difficulty, transfer matrix).

Per candidate (``CandidateMeasures``):

* ``kind``: ``files`` or ``edit``.
* ``well_formed``: an edit parses into at least one SEARCH/REPLACE block; a files candidate is a
  non-empty ``{path: content}`` mapping of strings.
* ``applies``: the edit applies cleanly to the case's input files (every SEARCH found once); a
  well-formed files candidate always applies. ``False`` whenever not well formed.
* ``compiled``: it ran and built: status ``passed`` or ``failed`` (``compile_error`` did not build;
  ``timeout`` and ``error`` say nothing about building and count as not compiled).
* ``edited_chars`` (edit size): characters the solver wrote: SEARCH + REPLACE texts of an edit; a
  files candidate counts as one block replacing each file it changes whole (old plus new content), so
  both kinds are on one scale.
* ``changed_chars``: characters that actually differ between the input files and the candidate's
  resulting files (character diff inside changed line hunks, as in ``synthesis.edit_synthesis.edit_stats``).
* ``reference_changed_chars``: the same between the input files and the reference solution: the
  least any correct answer has to change.
* ``efficiency``: ``edited_chars / reference_changed_chars``, characters written per character the
  reference changes; 1.0 is a perfectly minimal edit, larger is wasteful (whole-file answers score
  high). ``None`` when the candidate is not well formed, changes nothing, or the reference changes nothing.
* ``diff_quality`` (edit candidates only, in [0, 1]): 0 for a malformed or non-applying edit, else
  the dataset's ``quality_score`` (:mod:`polyglot_hrm.synthesis.examples`) of what the model wrote:
  ``0.5 * unique_anchors + 0.5 * line_minimality``, where ``unique_anchors`` says every SEARCH matched
  once exactly and ``line_minimality`` is the characters of the changed lines over the characters in
  the blocks (clipped to 1). It scores the form of the edit, not its correctness; pass rates score
  correctness.

Aggregates (``summarize``): ``pass@k`` (unbiased estimator, :mod:`polyglot_hrm.execution.passk`),
``pass_rate_1`` (share of cases whose first candidate passes), ``pass_rate_2`` (first attempt or
the retry passes; with two attempts only), each with ``pass_rate_1_interval`` / ``pass_rate_2_interval``: its
95 % percentile bootstrap interval over the cases (:func:`.stats.bootstrap_interval`), rates over candidates (``well_formed_rate``,
``applies_rate``, ``compile_rate``, ``timeout_rate``) with counts, means of the size measures over
the candidates where they are defined, ``seconds_per_case`` (test-run seconds of every candidate and
retry, plus in model mode their generation seconds, per case), and in model mode ``tokens_in`` /
``tokens_out`` (prompt and answer tokens over every generated answer, retries included, where the backend
counts them) with their per-case means ``tokens_in_per_case`` / ``tokens_out_per_case``, and how the answers
ended (every generated answer, retries included): ``finish_reasons`` (count per reason), ``truncated_answers``
(cut at ``max_new_tokens``: ``length``) and ``exhausted_context_windows`` (``context_window``: the prompt and the
answer's budget did not fit the model; Aider's name).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from statistics import mean
from typing import Any

from ..edit_format import EditFormatError, parse_blocks
from ..execution.passk import mean_pass_at_k
from ..scoring import EditFailure, unwrap_candidate
from ..synthesis.edit_synthesis import changed_chars, edit_stats
from ..synthesis.examples import line_minimality, quality_score, row_files
from .cases import reference_files
from .stats import bootstrap_interval

__all__ = ["CandidateMeasures", "measure_candidate", "summarize", "transfer_matrix"]


@dataclass
class CandidateMeasures:
    """What one candidate did (see the module docstring for each field)."""

    kind: str
    status: str
    well_formed: bool
    applies: bool
    compiled: bool
    tests_passed: int
    tests_total: int
    duration_s: float
    edited_chars: int | None
    changed_chars: int | None
    reference_changed_chars: int
    efficiency: float | None
    diff_quality: float | None
    output: str = ""
    #: "process" when the candidate's code ran apart from the tests' process, "in-process" when it shared it
    #: (see RunResult.isolation); None when it did not run.
    isolation: str | None = None

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _input_files(case: Mapping[str, Any]) -> dict[str, str]:
    return row_files(case.get("input_files"), "solution")


def _changed(before: Mapping[str, str], after: Mapping[str, str]) -> int:

    return sum(changed_chars(before.get(p, ""), after.get(p, "")) for p in set(before) | set(after))


def measure_candidate(case: Mapping[str, Any], candidate: Any, resolved: Any, result: Any,
                      output_limit: int = 1500) -> CandidateMeasures:
    """Measures of one candidate: ``resolved`` is what ``resolve_candidate`` made of it (files or an
    ``EditFailure``), ``result`` its ``RunResult``."""

    before = _input_files(case)
    reference_changed = _changed(before, {**before, **reference_files(case)})
    candidate = unwrap_candidate(candidate)
    is_edit = isinstance(candidate, str)
    failure = resolved if isinstance(resolved, EditFailure) else None
    if is_edit:
        well_formed = failure is None or failure.kind != "malformed"
    else:
        well_formed = failure is None and bool(candidate)
    applies = well_formed and failure is None
    edited = changed = None
    quality = None
    if applies:
        after = {**before, **resolved}
        changed = _changed(before, after)
        if is_edit:
            try:
                blocks = parse_blocks(candidate, valid_paths=list(before))
            except EditFormatError:  # resolve_candidate parsed it; cannot happen, but never crash a run
                blocks = []
            stats = edit_stats(before, after, blocks)
            edited = stats["edited_chars"]
            quality = quality_score(stats, line_minimality(before, after, blocks))
        else:
            # As one block replacing each changed file whole (Aider's "whole" format), so the two kinds compare.
            edited = sum(len(before.get(p, "")) + len(c) for p, c in resolved.items() if before.get(p) != c)
    elif is_edit:
        quality = 0.0
    # An answer that changes nothing has no efficiency (0 would read as better than minimal).
    efficiency = round(edited / reference_changed, 4) if edited and reference_changed else None
    out = result.output if result.status != "passed" else ""
    return CandidateMeasures(
        kind="edit" if is_edit else "files", status=result.status, well_formed=well_formed, applies=applies,
        compiled=result.status in ("passed", "failed"), tests_passed=result.tests_passed,
        tests_total=result.tests_total, duration_s=result.duration_s, edited_chars=edited, changed_chars=changed,
        reference_changed_chars=reference_changed, efficiency=efficiency, diff_quality=quality,
        output=out[-output_limit:], isolation=getattr(result, "isolation", None) if applies else None)


def _rate(flags: Sequence[bool]) -> float | None:
    return round(sum(flags) / len(flags), 4) if flags else None


def _mean(values: Sequence[float | int | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(float(mean(present)), 4) if present else None


def _tokens(answers: Sequence[Mapping[str, Any]], key: str) -> int | None:
    counts = [a.get(key) for a in answers if a.get(key) is not None]
    return sum(counts) if counts else None


def _interval(flags: Sequence[bool]) -> list[float] | None:
    bounds = bootstrap_interval([float(f) for f in flags])
    return None if bounds is None else [round(bounds[0], 4), round(bounds[1], 4)]


def summarize(cases: Sequence[Mapping[str, Any]], ks: Sequence[int] = (1,)) -> dict[str, Any]:
    """Aggregate per-case records (``{"candidates": [measures dict], "retry": measures dict | None}``).

    Cases without candidates (an empty list in a solutions file) are not scored: they are counted as
    ``no_candidates`` and every measure is over the others, so one of them cannot blank a language's pass@k."""
    empty = sum(not case["candidates"] for case in cases)
    cases = [case for case in cases if case["candidates"]]
    if not cases:
        return {"cases": 0, **({"no_candidates": empty} if empty else {})}
    if empty:
        return {**summarize(cases, ks), "no_candidates": empty}
    cands = [c for case in cases for c in case["candidates"]]
    answered = cands + [case["retry"] for case in cases if case.get("retry")]
    n = [len(case["candidates"]) for case in cases]
    correct = [sum(c["status"] == "passed" for c in case["candidates"]) for case in cases]
    out: dict[str, Any] = {"cases": len(cases), "candidates": len(cands)}
    for k in ks:
        value = mean_pass_at_k(n, correct, k)
        out[f"pass@{k}"] = None if value is None else round(value, 4)
    stub = [bool(case.get("stub_passes")) for case in cases]
    if any(stub):  # exercises whose untouched stub passes: counted above (as Aider does), and left out here
        out["stub_passes"] = sum(stub)
        kept = [i for i, flag in enumerate(stub) if not flag]
        for k in ks:
            value = mean_pass_at_k([n[i] for i in kept], [correct[i] for i in kept], k) if kept else None
            out[f"pass@{k}_without_stub_passes"] = None if value is None else round(value, 4)
    first = [bool(case["candidates"]) and case["candidates"][0]["status"] == "passed" for case in cases]
    out["pass_rate_1"] = _rate(first)
    out["pass_rate_1_interval"] = _interval(first)
    if any("retry" in case for case in cases):
        second = [f or (case.get("retry") or {}).get("status") == "passed" for f, case in zip(first, cases)]
        out["pass_rate_2"] = _rate(second)
        out["pass_rate_2_interval"] = _interval(second)
    edits = [c for c in cands if c["kind"] == "edit"]
    out.update({
        "well_formed_rate": _rate([c["well_formed"] for c in cands]),
        "applies_rate": _rate([c["applies"] for c in cands]),
        "compile_rate": _rate([c["compiled"] for c in cands]),
        "timeout_rate": _rate([c["status"] == "timeout" for c in cands]),
        "timeouts": sum(c["status"] == "timeout" for c in cands),
        # Of the candidates that ran, the share whose code ran out of the tests' process (README "What `passed`
        # means": the rest shared a process with the tests, compiled languages always).
        "isolated_rate": _rate([c.get("isolation") == "process" for c in cands if c.get("isolation")]),
        "edit_candidates": len(edits),
        "malformed_edits": sum(not c["well_formed"] for c in edits),
        "non_applying_edits": sum(c["well_formed"] and not c["applies"] for c in edits),
        "mean_edit_chars": _mean([c["edited_chars"] for c in cands]),
        "mean_efficiency": _mean([c["efficiency"] for c in cands]),
        "mean_diff_quality": _mean([c["diff_quality"] for c in edits]),
        "seconds_per_case": round(sum((c.get("duration_s") or 0.0) + (c.get("generation_s") or 0.0) for c in answered)
                                  / len(cases), 3),
    })
    if any("tokens_in" in c for c in answered):
        tokens_in, tokens_out = _tokens(answered, "tokens_in"), _tokens(answered, "tokens_out")
        out.update({"tokens_in": tokens_in, "tokens_out": tokens_out,
                    "tokens_in_per_case": None if tokens_in is None else round(tokens_in / len(cases), 1),
                    "tokens_out_per_case": None if tokens_out is None else round(tokens_out / len(cases), 1)})
    if any("finish_reason" in c for c in answered):  # model mode: how the answers ended
        reasons = Counter(c["finish_reason"] for c in answered if c.get("finish_reason"))
        out.update({"finish_reasons": dict(sorted(reasons.items())), "truncated_answers": reasons["length"],
                    "exhausted_context_windows": reasons["context_window"]})
    return out


def transfer_matrix(cases: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, float]]:
    """``{source: {target: pass rate of first candidates}}`` over cases with a ``source_language``."""
    cells: dict[tuple[str, str], list[bool]] = {}
    for case in cases:
        source = case.get("source_language")
        if source and case["candidates"]:
            cells.setdefault((source, case["language"]), []).append(case["candidates"][0]["status"] == "passed")
    matrix: dict[str, dict[str, float]] = {}
    for (source, target), flags in sorted(cells.items()):
        matrix.setdefault(source, {})[target] = round(sum(flags) / len(flags), 4)
    return matrix
