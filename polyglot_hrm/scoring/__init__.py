"""Candidates to scores: resolve an answer against its reference's input files, run it, pass@k.

Between synthesis (the edit format it applies) and everything that scores (the dataset's row checks,
the training callback, evaluation, the ``polyglot_exec`` metric): execution only ever receives
resolved files.
"""

from .candidates import (CandidateError, EditFailure, check_candidate, input_files, problem_from_reference,
                         resolve_candidate, unwrap_candidate)
from .engine import Scored, check_ks, check_predictions, score, score_candidates, summarize_pass_at_k

__all__ = ["CandidateError", "EditFailure", "Scored", "check_candidate", "check_ks", "check_predictions", "input_files",
           "problem_from_reference", "resolve_candidate", "score", "score_candidates", "summarize_pass_at_k",
           "unwrap_candidate"]
