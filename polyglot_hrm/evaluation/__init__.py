"""Evaluation: score a solutions file or a model by execution, Aider's two-attempt protocol, reports, comparisons.

Public API::

    load_cases(benchmark_root=... | problems_json=... | dataset=..., config=, split=) -> list of rows
    evaluate_solutions(cases, solutions_path_or_dict, ks=(1,), jobs=None) -> EvaluationResults
    evaluate_backend(cases, backend, num_samples=1, attempts=2, journal="eval/results.jsonl") -> EvaluationResults
    evaluate_model(cases, model, tokenizer, num_samples=1, attempts=2, ...) -> EvaluationResults   (HRM in memory)
    write_report(results, out_dir) -> {"json", "markdown", "html", chart names: Path}
    PolyglotEvaluationSystem(cases).evaluate_solutions(...) / .evaluate_model(...) / .write_report(...)

Backends (hrm, transformers, openai, reference) live in :mod:`polyglot_hrm.modelio.backends`, the chat
protocol in :mod:`polyglot_hrm.modelio.chat_format`; the two-attempt loop and its journal in :mod:`.protocol`
and :mod:`.journal`; the measures in :mod:`.measures`, the results and the case records they are made from in
:mod:`.results`, the solutions-file schema in :mod:`.cases`, several runs side by side in :mod:`.compare`.
"""

from .cases import load_cases, load_solutions, solutions_from_problems
from .protocol import evaluate_backend
from .report import summary_table, write_report
from .results import EvaluationResults
from .system import PolyglotEvaluationSystem, evaluate_candidates, evaluate_model, evaluate_solutions

__all__ = ["EvaluationResults", "PolyglotEvaluationSystem", "evaluate_backend", "evaluate_candidates",
           "evaluate_model", "evaluate_solutions", "load_cases", "load_solutions", "solutions_from_problems",
           "summary_table", "write_report"]
