"""Evaluation: score a solutions file or a model by execution, Aider's two-attempt protocol, reports.

Public API (attributes load on first use, so that importing this package pulls in neither torch nor
matplotlib until needed)::

    load_cases(benchmark_root=... | problems_json=... | dataset=..., config=, split=) -> list of rows
    evaluate_solutions(cases, solutions_path_or_dict, ks=(1,), jobs=None) -> EvaluationResults
    evaluate_model(cases, model, tokenizer, num_samples=1, attempts=2, ...) -> EvaluationResults
    write_report(results, out_dir) -> {"json", "markdown", "html", chart names: Path}
    PolyglotEvaluationSystem(cases).evaluate_solutions(...) / .evaluate_model(...) / .write_report(...)

Model-side generation lives in :mod:`.generation`; the measures are defined in :mod:`.measures`, the
solutions-file schema in :mod:`.cases`.
"""

from importlib import import_module

__all__ = ["EvaluationResults", "PolyglotEvaluationSystem", "evaluate_candidates", "evaluate_model",
           "evaluate_solutions", "load_cases", "load_solutions", "solutions_from_problems", "summary_table",
           "write_report"]

_LAZY = {"EvaluationResults": "system", "PolyglotEvaluationSystem": "system", "evaluate_candidates": "system",
         "evaluate_model": "system", "evaluate_solutions": "system", "load_cases": "cases",
         "load_solutions": "cases", "solutions_from_problems": "cases", "summary_table": "report",
         "write_report": "report"}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
