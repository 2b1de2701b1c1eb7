"""The execution reward: TRL reward functions that run each completion against its exercise's own tests.

A reward function in TRL's shape (``GRPOTrainer(reward_funcs=[ExecutionReward()])``): called with ``prompts``,
``completions``, ``completion_ids``, ``trainer_state``, ``log_extra``, ``log_metric`` and the dataset's columns as
keyword lists, one entry per completion; it returns one reward per completion. A completion is text or chat messages
(``[{"role": "assistant", "content": ...}]``), read in the edit format given: ``whole`` (every changed file in full),
``diff`` (Aider SEARCH/REPLACE blocks) — the chat protocol's parser, :mod:`polyglot_hrm.modelio.chat_format` — or
``hrm`` (this project's HRM's own answer format, :func:`polyglot_hrm.modelio.prompt_format.parse_answer`). The answer
is scored by the one scoring path, :func:`polyglot_hrm.scoring.score`: resolved against the row's input files, run in
the sandbox, judged by the verdict that resists forgery (README "What `passed` means"). No second judge.

**Rewards.**

* ``1.0``: the run ``passed`` (the test tool reported every expected test passed, canaries right).
* ``0.0``: it ran and did not pass (``failed``, ``compile_error``, ``timeout``, or an ``error`` of the candidate's own:
  a tripped canary, a report the candidate tampered with, a memory bomb). With ``partial_credit=True`` a ``failed``
  run earns ``tests passed / tests total`` instead, counted by the verdict from the tool's structured report (the
  exercise's tests only, canaries left out); every other status stays 0. *Risks of partial credit*: the reward then
  pays for passing easy tests (empty input, the first examples), which a policy can learn to special-case instead of
  solving the exercise; tests are not equally hard or equally many per exercise, so the scale differs between rows;
  an exercise with one test gives no partial signal at all; and the per-test counts come from a report the tests'
  process writes — a forgery that rewrites it wholesale trips the canaries (status ``error``, reward 0), but partial
  credit gives a forger a gradient that pass/fail does not. Prefer pass/fail; use partial credit for a model too weak
  to pass anything yet, and check ``tests_passed`` against ``execution_status`` in the completions table.
* ``-malformed_penalty`` (default 0.0): the answer could not be used and was never run: nothing parsed in the edit
  format (``malformed``) or an edit whose SEARCH text is not in the file (``non_applying``).
* ``None``: an infrastructure failure — the sandbox, a dependency, a process that could not start, the executor or
  its server gone, a reference that does not pass on this machine (:attr:`RunResult.infrastructure`, set by the
  runner, never read from a run's output). TRL leaves a ``None`` out of the loss (NaN); a 0 would teach the model
  that a right answer was wrong. Each one is logged at ERROR with the reason.

**Logged** (``log_extra``, one value per completion, the same four columns on every rank and every call, as TRL
gathers them by name): ``execution_status`` (a run status, ``malformed``, ``non_applying`` or ``infrastructure``),
``tests_passed``, ``tests_total`` and ``not_run_reason`` ("" where it ran). ``log_metric``: the pass rate, the share
of ``None`` rewards, the runs made and the call's seconds, under ``execution_reward/``.

**Identical completions run once.** Completions of the same row that resolve to the same files are one run
(:func:`~polyglot_hrm.scoring.score` keys runs by problem and files); a group of 8 samples that agree costs one run.

**Where the runs happen** (:mod:`.server`, :mod:`.loop`): in a multi-process launch (``accelerate launch``) the
ranks of a node share one scoring server and its one pool; alone, the reward keeps its own. ``executor="ray"``
sends the runs to a Ray cluster's CPU nodes. ``timeout="rl"`` (the default) gives the test steps
``max(10 s, min(10 x ref, ref + 3 s))`` and the build steps their own budget (:mod:`polyglot_hrm.execution.timeouts`).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..edit_format import EditFormatError, parse_blocks
from ..execution.results import RunResult
from ..execution.sandbox import ExecutionNotAllowed, require_opt_in
from ..execution.timeouts import check_timeout
from ..modelio.chat_format import parse_chat_answer
from ..modelio.names import EDIT_FORMATS
from ..modelio.prompt_format import parse_answer
from ..scoring import EditFailure, Scored
from ..settings import RL, Timeout
from .loop import Scorer
from .server import make_scorer

__all__ = ["AsyncExecutionReward", "ExecutionReward", "REWARD_COLUMNS", "REWARD_FORMATS", "RewardOutcome",
           "completion_text", "format_reward"]

logger = logging.getLogger(__name__)

#: The dataset columns the reward reads (a GRPO dataset keeps them beside ``prompt``): which problem judges the row
#: (``problem_id``, ``language``, ``slug``, every file with its role, the tests a pass must report, the reference's
#: seconds for the timeout) and what the solver was shown (``input_files``, ``task``), which an answer is laid over.
#: ``id`` tells rows apart (the completions of one prompt share it). A row without ``files`` names its problem by
#: ``problem_id`` in the tree ``benchmark_root`` gives.
REWARD_COLUMNS: tuple[str, ...] = ("id", "problem_id", "task", "language", "slug", "files", "input_files",
                                   "reference_removes", "expected_tests", "reference_seconds")
#: The answer formats: the chat protocol's two, and the HRM's own.
REWARD_FORMATS: tuple[str, ...] = (*EDIT_FORMATS, "hrm")
#: Errors that are mistakes in the input or the code, not the infrastructure's failure: raised, never a None reward
#: (a row naming an unknown problem would otherwise quietly give None at every step).
_MISTAKES = (TypeError, ValueError, KeyError, AttributeError, NameError, AssertionError, ExecutionNotAllowed)
#: The ``log_extra`` columns, logged on every call for every completion.
LOG_COLUMNS: tuple[str, ...] = ("execution_status", "tests_passed", "tests_total", "not_run_reason")


def completion_text(completion: Any) -> str:
    """A completion as text: as it is, or a conversational completion's assistant content (each message's
    ``content``, text or ``[{"type": "text", "text": ...}]`` parts, joined). Anything else is a TypeError."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Mapping):
        completion = [completion]
    if isinstance(completion, Sequence):
        messages = [m for m in completion if isinstance(m, Mapping)]
        if len(messages) == len(completion):
            said = [m for m in messages if m.get("role") == "assistant"] or messages
            return "".join(_content_text(m.get("content")) for m in said)
    raise TypeError(f"a completion is text or a list of chat messages ({{'role', 'content'}}), not "
                    f"{type(completion).__name__}")


def _content_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):  # content parts: [{"type": "text", "text": ...}, ...]
        return "".join(p.get("text") or "" for p in content if isinstance(p, Mapping) and p.get("type") == "text")
    return str(content)


def answer_candidate(row: Mapping[str, Any], text: str, edit_format: str) -> dict[str, str] | str:
    """The scoring candidate an answer stands for, read in ``edit_format`` (module docstring)."""
    if edit_format == "hrm":
        return parse_answer(row.get("task") or "generation", text)
    return parse_chat_answer(row, text, edit_format)  # type: ignore[arg-type]


def format_reward(prompts: Sequence[Any] | None = None, completions: Sequence[Any] = (), *,
                  edit_format: str = "whole", **columns: Any) -> list[float]:
    """An optional format reward (TRL's signature): 1.0 where the answer parses in ``edit_format`` and changes some
    file (``whole``: at least one file; ``diff``: at least one SEARCH/REPLACE block; ``hrm``: the HRM's format for the
    row's task), else 0.0. Nothing runs; whether a diff *applies* is the execution reward's business. Bind the
    format with ``functools.partial(format_reward, edit_format="diff")``."""
    _check_format(edit_format)
    rows = _rows(columns, len(completions), required=("task",) if edit_format == "hrm" else ())
    out = []
    for row, completion in zip(rows, completions):
        text = completion_text(completion)
        candidate = answer_candidate(row, text, edit_format)
        if isinstance(candidate, str):  # diff (and the HRM's diff_edit): at least one block that parses
            try:
                ok = bool(candidate.strip()) and bool(parse_blocks(candidate))
            except EditFormatError:
                ok = False
        else:
            ok = bool(candidate)
        out.append(1.0 if ok else 0.0)
    return out


def _check_format(edit_format: str) -> str:
    if edit_format not in REWARD_FORMATS:
        raise ValueError(f"edit_format={edit_format!r}: choose one of {', '.join(REWARD_FORMATS)}")
    return edit_format


def _rows(columns: Mapping[str, Any], n: int, required: Sequence[str] = ()) -> list[dict[str, Any]]:
    """One row per completion from TRL's column lists (``{column: [value per completion]}``)."""
    missing = [c for c in required if c not in columns]
    if missing:
        raise ValueError(f"the reward needs the dataset column(s) {missing}; keep them in the GRPO dataset "
                         f"(polyglot_hrm.rewards.REWARD_COLUMNS lists what it reads)")
    rows: list[dict[str, Any]] = [{} for _ in range(n)]
    for name, values in columns.items():
        if name in ("trainer_state", "log_extra", "log_metric", "environments") or not isinstance(values, list):
            continue
        if len(values) != n:
            raise ValueError(f"column {name!r} has {len(values)} values for {n} completions; TRL passes one per "
                             f"completion")
        for row, value in zip(rows, values):
            row[name] = value
    return rows


@dataclass(frozen=True)
class RewardOutcome:
    """One completion's reward and what it is made of (the ``log_extra`` columns)."""

    reward: float | None
    status: str
    tests_passed: int = 0
    tests_total: int = 0
    not_run_reason: str = ""
    result: RunResult | None = None  # the run's result (shared by identical completions); None: not run


class ExecutionReward:
    """The execution reward (module docstring) as a TRL reward function.

    Options: ``edit_format`` (``whole``, ``diff`` or ``hrm``); ``benchmark_root`` (for rows that name their problem
    by ``problem_id`` only); ``partial_credit``; ``malformed_penalty`` (>= 0, subtracted); ``executor`` (``"local"``,
    ``"ray"`` or an :class:`~polyglot_hrm.execution.Executor`); ``jobs`` (parallel runs: the node's pool, or on Ray
    the runs in flight); ``timeout`` (``"rl"``, ``"auto"`` or seconds); ``server`` (None: share one scoring server
    per node in a multi-process launch, else run here; False: always here; a path: that server's socket).

    Needs the opt-in to run code (``POLYGLOT_HRM_ALLOW_CODE_EXECUTION=1``), checked when it is made.
    """

    __name__ = "execution_reward"

    def __init__(self, edit_format: str = "whole", benchmark_root: str | Path | None = None,
                 partial_credit: bool = False, malformed_penalty: float = 0.0, executor: Any = None,
                 jobs: int | None = None, timeout: Timeout = RL, server: bool | str | Path | None = None,
                 name: str = "execution_reward"):
        self.edit_format = _check_format(edit_format)
        self.benchmark_root = benchmark_root
        self.partial_credit = bool(partial_credit)
        if isinstance(malformed_penalty, bool) or not isinstance(malformed_penalty, (int, float)) \
                or not math.isfinite(malformed_penalty) or malformed_penalty < 0:
            raise ValueError(f"malformed_penalty={malformed_penalty!r}: a finite number >= 0, subtracted from 0 for "
                             f"an answer that cannot be used (0: no penalty)")
        self.malformed_penalty = float(malformed_penalty)
        self.timeout = check_timeout(timeout, "timeout")
        self.executor, self.jobs, self.server = executor, jobs, server
        self.__name__ = name
        try:
            require_opt_in()
        except ExecutionNotAllowed as err:
            raise ExecutionNotAllowed(f"{err}\nThe execution reward runs every completion's code: set "
                                      f"POLYGLOT_HRM_ALLOW_CODE_EXECUTION=1 in every rank's environment.") from None
        self._scorer: Scorer | None = None

    # ------------------------------------------------------------------ TRL's entry point

    def __call__(self, prompts: Sequence[Any] | None = None, completions: Sequence[Any] = (),
                 completion_ids: Sequence[Any] | None = None, trainer_state: Any = None,
                 log_extra: Callable[[str, list], None] | None = None,
                 log_metric: Callable[[str, float], None] | None = None, **columns: Any) -> list[float | None]:
        outcomes = self.score(completions, **columns, log_metric=log_metric)
        if log_extra is not None:
            log_extra("execution_status", [o.status for o in outcomes])
            log_extra("tests_passed", [o.tests_passed for o in outcomes])
            log_extra("tests_total", [o.tests_total for o in outcomes])
            log_extra("not_run_reason", [o.not_run_reason for o in outcomes])
        return [o.reward for o in outcomes]

    def score(self, completions: Sequence[Any], log_metric: Callable[[str, float], None] | None = None,
              **columns: Any) -> list[RewardOutcome]:
        """Each completion's :class:`RewardOutcome` (what ``__call__`` returns the rewards of)."""
        start = time.perf_counter()
        rows = _rows(columns, len(completions))
        if completions and not any(name in columns for name in ("problem_id", "id", "files")):
            raise ValueError("the reward needs the dataset's `problem_id` (or `id`) and `files` columns; keep them in "
                             "the GRPO dataset (polyglot_hrm.rewards.REWARD_COLUMNS lists what it reads)")
        texts = [completion_text(c) for c in completions]
        # The completions of one row go together: one reference, its candidates (identical ones then run once).
        groups: dict[str, list[int]] = {}
        for i, row in enumerate(rows):
            groups.setdefault(_row_key(row), []).append(i)
        references = [self._reference(rows[members[0]]) for members in groups.values()]
        candidates = [[answer_candidate(rows[i], texts[i], self.edit_format) for i in members]
                      for members in groups.values()]
        outcomes: list[RewardOutcome | None] = [None] * len(completions)
        runs = 0
        try:
            scored = self._get_scorer().score(references, candidates, self.timeout)
        except _MISTAKES:
            raise  # a mistake in the input or the code: it would fail every call, so it stops the run, named
        except Exception as err:  # noqa: BLE001 - the executor or its server failed: no completion was judged
            logger.exception("execution reward: the runs failed (%s: %s); %d completion(s) get None, not 0",
                             type(err).__name__, err, len(completions))
            why = f"infrastructure: {type(err).__name__}: {err}"
            scored = [[None] * len(members) for members in groups.values()]
            for members in groups.values():
                for i in members:
                    outcomes[i] = RewardOutcome(None, "infrastructure", not_run_reason=why[:500])
        else:
            for members, results in zip(groups.values(), scored):
                for i, s in zip(members, results):
                    outcomes[i] = self._outcome(s)
            # Distinct (row, files) pairs: the runs the call asked for, identical completions counted once.
            runs = len({(g, tuple(sorted(s.resolved.items()))) for g, results in enumerate(scored) for s in results
                        if not isinstance(s.resolved, EditFailure)})
        done = [o for o in outcomes if o is not None]
        if log_metric is not None and done:
            judged = [o for o in done if o.reward is not None]
            log_metric("execution_reward/pass_rate", sum(o.status == "passed" for o in done) / len(done))
            log_metric("execution_reward/none_rate", 1 - len(judged) / len(done))
            log_metric("execution_reward/runs", float(runs))
            log_metric("execution_reward/seconds", time.perf_counter() - start)
        return done

    # ------------------------------------------------------------------ pieces

    def _get_scorer(self) -> Scorer:
        if self._scorer is None:
            self._scorer = make_scorer(self.executor, self.jobs, self.server)
        return self._scorer

    def close(self) -> None:
        """Release the executor, or the connection to the node's server (a server this process started stops)."""
        if self._scorer is not None:
            self._scorer.close()
            self._scorer = None

    def _reference(self, row: Mapping[str, Any]) -> Mapping[str, Any]:
        if row.get("files"):
            return row
        problem_id = row.get("problem_id") or row.get("id")
        reference = {"problem_id": problem_id, "benchmark_root": self.benchmark_root}
        if row.get("input_files"):
            reference["input_files"] = row["input_files"]
        return reference

    def _outcome(self, scored: Scored) -> RewardOutcome:
        result: RunResult = scored.result
        if isinstance(scored.resolved, EditFailure):
            return RewardOutcome(0.0 - self.malformed_penalty, scored.resolved.kind,
                                 not_run_reason=scored.resolved.reason[:500])
        if result.infrastructure:
            reason = result.output.strip().splitlines()[0] if result.output.strip() else "infrastructure failure"
            logger.error("execution reward: %s was not judged (infrastructure, reward None): %s", result.problem_id,
                         reason)
            return RewardOutcome(None, "infrastructure", result.tests_passed, result.tests_total, reason[:500], result)
        if result.passed:
            reward = 1.0
        elif self.partial_credit and result.status == "failed" and result.tests_total > 0:
            reward = result.tests_passed / result.tests_total
        else:
            reward = 0.0
        return RewardOutcome(reward, result.status, result.tests_passed, result.tests_total, result=result)


class AsyncExecutionReward(ExecutionReward):
    """The same reward with ``async def __call__``: TRL 1.16 recognises it (``trl.trainer.utils.is_async_callable``
    looks at ``__call__``) and awaits it on its reward event loop, together with the other async reward functions
    (``asyncio.gather``), so the runs overlap with them — an LLM judge, a remote reward — rather than one after the
    other. The step still waits for all of them. The runs themselves go to a worker thread (or the node's server),
    never blocking the event loop."""

    __name__ = "execution_reward"

    async def __call__(self, prompts: Sequence[Any] | None = None, completions: Sequence[Any] = (),
                       completion_ids: Sequence[Any] | None = None, trainer_state: Any = None,
                       log_extra: Callable[[str, list], None] | None = None,
                       log_metric: Callable[[str, float], None] | None = None,
                       **columns: Any) -> list[float | None]:
        call = super().__call__
        return await asyncio.to_thread(call, prompts, completions, completion_ids, trainer_state, log_extra,
                                       log_metric, **columns)


def _row_key(row: Mapping[str, Any]) -> str:
    """Rows with the same key are one reference: the row's ``id`` where it has one (unique in a config), else its
    content."""
    if row.get("id"):
        return f"id:{row['id']}:{row.get('problem_id')}"
    content = json.dumps({k: row.get(k) for k in REWARD_COLUMNS}, sort_keys=True, default=str)
    return "content:" + hashlib.sha256(content.encode()).hexdigest()
