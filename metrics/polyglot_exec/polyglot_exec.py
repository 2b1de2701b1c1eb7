"""polyglot_exec: score code by running each exercise's real unit tests (C++, Go, Java, JavaScript, Python, Rust)."""

import json

import datasets
import evaluate

import polyglot_hrm.scoring as scoring
from polyglot_hrm.execution.executors import check_jobs, make_executor
from polyglot_hrm.execution.sandbox import OPT_IN_MESSAGE, require_opt_in
from polyglot_hrm.execution.timeouts import check_timeout
from polyglot_hrm.settings import DEFAULT_TIMEOUT

_CITATION = """\
@misc{chen2021codex,
  title={Evaluating Large Language Models Trained on Code},
  author={Mark Chen and others},
  year={2021}, eprint={2107.03374}, archivePrefix={arXiv}, primaryClass={cs.LG}
}
"""

_DESCRIPTION = """\
Executes candidate solutions of Exercism exercises (Aider's polyglot benchmark, or the rows of the
polyglot-hrm dataset) against each exercise's own unit tests, in a sandbox, and reports the unbiased
pass@k estimator overall and per language, with counts by status (compile errors, timeouts).
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions: one list of candidates per problem (a flat list is refused before anything runs; a problem
        with an empty list is left out of pass@k, counted in per-language no_candidates and listed in
        no_candidates, with a warning); a candidate is a mapping {path: file content}
        of the files it writes over the exercise's stub (for example {"bob.py": "def response(...): ..."}),
        or, for a diff_edit row, Aider SEARCH/REPLACE edit text (a string, or {"edit": text}) that is
        applied to the row's input_files. A malformed or non-applying edit is not run: it counts as
        status "error" with the reason as output, and in malformed_edits / non_applying_edits. A candidate
        of a form the schema does not have (file content 42 or NaN, an unknown key) is a ValueError naming
        the problem, the candidate and the field, raised before anything runs.
    references: one per problem: a polyglot-hrm dataset row (with `files`, `language`, `slug`), or
        {"problem_id": "python/bowling", "benchmark_root": "/path/to/polyglot-benchmark"} (without
        benchmark_root: $POLYGLOT_BENCHMARK_ROOT, else the built-in mini-benchmark, as every command; logged).
    k: list of k for pass@k (default [1]), or one int; each an integer >= 1, checked before anything
        runs. A k larger than some problem's number of candidates is
        left out of the output.
    num_workers: parallel runs (default: one per CPU core).
    timeout: wall-clock seconds per run, build included (default 180), or "auto": per problem
        max(30, 10 x its reference's seconds as `polyglot-hrm validate` recorded them; a row's
        reference_seconds where this machine has none), 180 where unknown.
    executor: where the runs execute: "local" (default: a pool on this machine) or "ray" (a Ray cluster,
        each node checked first; needs pip install 'polyglot-hrm[ray]').
    ray_address: with executor="ray", the cluster to join (default: $RAY_ADDRESS, else a local Ray).
Returns:
    pass@k for each k; per_language: {language: {pass@k..., problems}}; status_counts: runs by status
    (passed, failed, compile_error, timeout, error); malformed_edits and non_applying_edits: candidates
    that were not run (empty, unparseable, or an edit that does not apply); stub_passes: problems whose
    untouched stub already passes, and pass@k_without_stub_passes; results: per problem, per candidate
    run results; executor: which executor ran and the runs each node made.
Examples:
    >>> import os; os.environ["POLYGLOT_HRM_ALLOW_CODE_EXECUTION"] = "1"  # doctest: +SKIP
    >>> from polyglot_hrm.problems import mini_benchmark_root
    >>> metric = evaluate.load("metrics/polyglot_exec")  # doctest: +SKIP
    >>> bad = {"digit_sum.py": "def digit_sum(number):\\n    return number % 10\\n"}
    >>> ref = {"problem_id": "python/digit-sum", "benchmark_root": str(mini_benchmark_root())}
    >>> out = metric.compute(predictions=[[bad]], references=[ref])  # doctest: +SKIP
    >>> out["pass@1"], out["status_counts"]["failed"]  # doctest: +SKIP
    (0.0, 1)
"""

_WARNING = OPT_IN_MESSAGE


def _encode(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _decode(value: str):
    """A JSON-encoded candidate, or raw edit-block text (which is not JSON) as it is."""
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class PolyglotExec(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({
                # Candidates and references are JSON-encoded on the way in (compute does it), since
                # Arrow features cannot hold {path: content} mappings with arbitrary keys.
                "predictions": datasets.Sequence(datasets.Value("string")),
                "references": datasets.Value("string"),
            }),
            homepage="https://github.com/Aider-AI/polyglot-benchmark",
            codebase_urls=["https://github.com/Aider-AI/polyglot-benchmark"],
            reference_urls=["https://arxiv.org/abs/2107.03374"],
        )

    def compute(self, *, predictions=None, references=None, **kwargs):
        """Check k and the shape of predictions (before anything runs), encode {path: content} candidates and
        row references as JSON, then compute as usual."""
        if "k" in kwargs:
            kwargs["k"] = scoring.check_ks(kwargs["k"])
        if "timeout" in kwargs:
            kwargs["timeout"] = check_timeout(kwargs["timeout"])
        check_jobs(kwargs.get("num_workers"), "num_workers")
        if predictions is not None:
            scoring.check_predictions(predictions, references)
            # Every candidate is JSON-encoded, edit text included (a str candidate is an edit).
            predictions = [[json.dumps(c) for c in cands] for cands in predictions]
        if references is not None:
            references = [_encode(r) for r in references]
        return super().compute(predictions=predictions, references=references, **kwargs)

    def _compute(self, predictions, references, k=(1,), num_workers=None, timeout=DEFAULT_TIMEOUT, executor="local",
                 ray_address=None):
        k = scoring.check_ks(k)
        require_opt_in()
        rows = [json.loads(r) for r in references]
        candidates = [[_decode(c) for c in cands] for cands in predictions]
        runner = make_executor(executor, num_workers, ray_address)
        return scoring.score_candidates(rows, candidates, k=list(k), num_workers=num_workers, timeout=timeout,
                                        executor=runner)
