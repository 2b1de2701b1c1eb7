"""Execution rewards for reinforcement learning: TRL reward functions that run each completion against its exercise's
own tests, judged by the verdict that resists forgery (:mod:`.reward`), on an executor made for a training loop
(:mod:`.loop`) that every rank of a node shares through one scoring server (:mod:`.server`).

A layer above scoring and model I/O (it reads answers in the chat and HRM formats and scores them through
:func:`polyglot_hrm.scoring.score`); it never imports torch itself.
"""

from .loop import LocalScorer, LoopExecutor, Scorer
from .reward import (REWARD_COLUMNS, REWARD_FORMATS, AsyncExecutionReward, ExecutionReward, RewardOutcome,
                     completion_text, format_reward)
from .server import RemoteScorer, RewardServerError, make_scorer

__all__ = ["AsyncExecutionReward", "ExecutionReward", "LocalScorer", "LoopExecutor", "REWARD_COLUMNS", "REWARD_FORMATS",
           "RemoteScorer", "RewardOutcome", "RewardServerError", "Scorer", "completion_text", "format_reward",
           "make_scorer"]
