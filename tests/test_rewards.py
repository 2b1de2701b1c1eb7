"""The execution reward (issue 26): TRL's reward-function shape, the rewards it gives (references 1, stubs 0,
malformed answers the penalty, partial credit), identical completions run once, infrastructure failures None (never
0), the async variant, the node's shared server, the RL timeout, and every forgery attack of ``tests/test_forgery.py``
rewarded 0.

Rows are made the way the dataset makes them (:mod:`polyglot_hrm.synthesis.examples`), from the mini-benchmark.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter

import pytest

from conftest import ALL_LANGUAGES, SharedRunsExecutor
from fixtures.forgery import ATTACKS, PY_LAST_DIGIT, TARGETS, TIMEOUT, attacks_for
from polyglot_hrm.dataset.features import features_for
from polyglot_hrm.edit_format import EditBlock, render_blocks
from polyglot_hrm.execution import LocalExecutor
from polyglot_hrm.execution.executors import ExecutorError
from polyglot_hrm.execution.timeouts import build_timeout, run_timeout
from polyglot_hrm.modelio.chat_format import render_whole
from polyglot_hrm.modelio.prompt_format import render_answer
from polyglot_hrm.rewards import (REWARD_COLUMNS, AsyncExecutionReward, ExecutionReward, LoopExecutor,
                                  completion_text, format_reward)
from polyglot_hrm.rewards.reward import LOG_COLUMNS
from polyglot_hrm.synthesis.examples import bug_fix_candidate, diff_edit_row, generation_row, mutant_pool, solved_files

#: A completion that never returns, asleep: what it costs is the clock, not a core (test_hostile's infinite_loop spins).
HANG_PY = "import time\n\n\ndef digit_sum(number):\n    time.sleep(3600)\n"


@pytest.fixture(scope="module")
def problems(mini_problems):
    return {(p.language, p.slug): p for p in mini_problems}


def columns(rows):
    """TRL's keyword lists: one value per completion for every column."""
    names = sorted({k for r in rows for k in r})
    return {k: [r.get(k) for r in rows] for k in names}


def call(reward, rows, completions, **kwargs):
    """Call a reward as GRPOTrainer does; returns (rewards, log_extra columns, log_metric values)."""
    extra, metrics = {}, {}
    out = reward(prompts=["prompt"] * len(completions), completions=completions,
                 completion_ids=[[1, 2]] * len(completions), trainer_state=None,
                 log_extra=lambda k, v: extra.setdefault(k, []).extend(v),
                 log_metric=lambda k, v: metrics.__setitem__(k, v), **columns(rows), **kwargs)
    if asyncio.iscoroutine(out):
        out = asyncio.run(out)
    return out, extra, metrics


def reference_answer(problem):
    return render_whole(solved_files(problem), problem.language)


def stub_answer(row):
    return render_whole({f["path"]: f["content"] for f in row["input_files"] if f["role"] == "solution"},
                        row["language"])


@pytest.fixture
def reward(allow_execution):
    r = ExecutionReward(server=False, jobs=2, malformed_penalty=0.5)
    yield r
    r.close()


# ----------------------------------------------------------------------------- shape (no runs)

def test_reward_columns_are_in_every_dataset_config():
    for config in ("generation", "diff_edit", "transfer"):
        missing = set(REWARD_COLUMNS) - set(features_for(config))
        assert not missing, (config, missing)


@pytest.mark.slow
def test_trl_sees_a_named_sync_and_an_async_reward(allow_execution):
    from trl.trainer.utils import get_callable_name, is_async_callable

    sync, asynchronous = ExecutionReward(server=False), AsyncExecutionReward(server=False)
    assert get_callable_name(sync) == get_callable_name(asynchronous) == "execution_reward"
    assert not is_async_callable(sync) and is_async_callable(asynchronous)


def test_completion_text_reads_text_and_chat_messages():
    assert completion_text("x") == "x"
    assert completion_text([{"role": "assistant", "content": "a"}]) == "a"
    assert completion_text([{"role": "assistant", "content": [{"type": "text", "text": "b"}]}]) == "b"
    with pytest.raises(TypeError, match="chat messages"):
        completion_text(42)


def test_options_are_checked(allow_execution, monkeypatch):
    with pytest.raises(ValueError, match="edit_format"):
        ExecutionReward(edit_format="udiff")
    with pytest.raises(ValueError, match="malformed_penalty"):
        ExecutionReward(malformed_penalty=-1)
    with pytest.raises(ValueError, match="timeout"):
        ExecutionReward(timeout=float("nan"))
    monkeypatch.delenv("POLYGLOT_HRM_ALLOW_CODE_EXECUTION")
    monkeypatch.delenv("HF_ALLOW_CODE_EVAL", raising=False)
    with pytest.raises(RuntimeError, match="POLYGLOT_HRM_ALLOW_CODE_EXECUTION=1"):
        ExecutionReward()


def test_format_reward(problems):
    problem = problems[("python", "digit-sum")]
    row = generation_row(problem)
    block = EditBlock("digit_sum.py", "def digit_sum(number):\n", "def digit_sum(n):\n")
    texts = [reference_answer(problem), "no code here"]
    assert format_reward(texts, texts, **columns([row] * 2)) == [1.0, 0.0]
    texts = ["no block here", render_blocks([block])]
    assert format_reward(texts, texts, edit_format="diff", **columns([row] * 2)) == [0.0, 1.0]
    hrm = [render_answer(row), "nothing"]
    assert format_reward(hrm, hrm, edit_format="hrm", **columns([row] * 2)) == [1.0, 0.0]


def test_rl_timeout_rule():
    assert run_timeout("rl", 9.0) == 12.0 and run_timeout("rl", 20.0) == 23.0  # ref + 3 s
    # The floor: a loaded node is slower than the one that timed the reference. (With the floor at 10 s, 10 x ref
    # binds only where the floor is lowered: it is below ref + 3 s for ref < 1/3 s.)
    assert run_timeout("rl", 1.0) == 10.0 and run_timeout("rl", 0.2) == 10.0
    assert run_timeout("rl", None) == 30.0
    assert build_timeout("rl") == 120.0
    # Every other rule keeps one clock, as before.
    assert build_timeout("auto") is None and build_timeout(180) is None
    assert run_timeout("auto", 1.0) == 30.0 and run_timeout(60, 1.0) == 60.0


# ----------------------------------------------------------------------------- Python (fast)

def test_reference_stub_malformed_chat_and_log_columns(reward, problems):
    problem = problems[("python", "digit-sum")]
    row = generation_row(problem)
    ref = reference_answer(problem)
    completions = [ref, stub_answer(row), "I cannot solve this.", [{"role": "assistant", "content": ref}],
                   render_whole({"digit_sum.py": PY_LAST_DIGIT}, "python")]
    rewards, extra, metrics = call(reward, [row] * 5, completions)
    assert rewards == [1.0, 0.0, -0.5, 1.0, 0.0]
    assert set(extra) == set(LOG_COLUMNS) and all(len(v) == 5 for v in extra.values())
    assert extra["execution_status"] == ["passed", "failed", "malformed", "passed", "failed"]
    assert extra["tests_total"][0] == problem.metadata.test_case_count == extra["tests_passed"][0]
    assert extra["not_run_reason"][2].startswith("malformed") and extra["not_run_reason"][0] == ""
    assert metrics["execution_reward/runs"] == 3.0  # reference (twice, as text and as chat), stub, last digit
    assert metrics["execution_reward/pass_rate"] == 0.4 and metrics["execution_reward/none_rate"] == 0.0


def test_partial_credit(allow_execution, problems):
    problem = problems[("python", "digit-sum")]
    row = generation_row(problem)
    completions = [reference_answer(problem), render_whole({"digit_sum.py": PY_LAST_DIGIT}, "python")]
    partial = ExecutionReward(server=False, jobs=2, partial_credit=True)
    rewards, extra, _ = call(partial, [row] * 2, completions)
    passed, total = extra["tests_passed"][1], extra["tests_total"][1]
    assert 0 < passed < total and extra["execution_status"][1] == "failed"
    assert rewards == [1.0, passed / total]


def test_identical_completions_run_once(allow_execution, problems):
    problem = problems[("python", "digit-sum")]
    row = generation_row(problem)
    reward = ExecutionReward(executor=LocalExecutor(2))
    call(reward, [row], [reference_answer(problem)])  # records the expected tests once, if not known yet
    loop = reward._scorer.executor
    assert isinstance(loop, LoopExecutor)
    before = sum(loop.runs_per_node.values())
    group = [reference_answer(problem)] * 4 + [stub_answer(row)] * 3 + ["garbage"]
    rewards, _, metrics = call(reward, [row] * 8, group)
    assert rewards == [1.0] * 4 + [0.0] * 4
    assert sum(loop.runs_per_node.values()) - before == 2 and metrics["execution_reward/runs"] == 2.0
    assert loop.prepared_batches == 1  # the problem was provisioned on the first call only


def test_diff_format_and_dataset_rows(allow_execution, problems):
    problem = problems[("python", "digit-sum")]
    row = diff_edit_row(bug_fix_candidate(problem, mutant_pool(problem, 1, seed=0)[0]), 0)
    reward = ExecutionReward(edit_format="diff", server=False, jobs=2)
    wrong = render_blocks([EditBlock("digit_sum.py", "not in the file\n", "x\n")])
    rewards, extra, _ = call(reward, [row] * 3, [row["target_edit"], wrong, "prose, no block"])
    assert rewards == [1.0, 0.0, 0.0]
    assert extra["execution_status"] == ["passed", "non_applying", "malformed"]
    # The HRM's own format: the answer it was trained to write.
    hrm = ExecutionReward(edit_format="hrm", server=False, jobs=2)
    assert call(hrm, [row], [render_answer(row)])[0] == [1.0]


def test_async_variant_gives_the_same_rewards(allow_execution, problems):
    problem = problems[("python", "digit-sum")]
    row = generation_row(problem)
    completions = [reference_answer(problem), stub_answer(row), "nothing"]
    reward = AsyncExecutionReward(server=False, jobs=2)
    out = reward(prompts=["p"] * 3, completions=completions, **columns([row] * 3))
    assert asyncio.iscoroutine(out)
    assert asyncio.run(out) == [1.0, 0.0, 0.0]


class MissingDependency(LocalExecutor):
    """A pool whose provisioning failed for every problem: the runner reports the missing dependency."""

    def prepare(self, problems, ctx):
        return {p.id: "a jar that could not be downloaded" for p in problems}


class Gone(LocalExecutor):
    def run(self, jobs, ctx, sandbox, output_limit, on_outcome):
        raise ExecutorError("every accepted Ray node is gone")


def test_infrastructure_failures_are_none_never_zero(allow_execution, problems, caplog):
    problem = problems[("python", "digit-sum")]
    row = generation_row(problem)
    completions = [reference_answer(problem), stub_answer(row), "garbage"]
    rewards, extra, metrics = call(ExecutionReward(executor=MissingDependency(2)), [row] * 3, completions)
    assert rewards == [None, None, 0.0]  # the malformed answer never needed the machine
    assert extra["execution_status"] == ["infrastructure", "infrastructure", "malformed"]
    assert "missing dependency" in extra["not_run_reason"][0]
    rewards, extra, metrics = call(ExecutionReward(executor=Gone(2)), [row] * 2, completions[:2])
    assert rewards == [None, None] and set(extra) == set(LOG_COLUMNS) and metrics["execution_reward/none_rate"] == 1.0
    assert "every accepted Ray node is gone" in extra["not_run_reason"][0]
    assert "get None, not 0" in caplog.text


def test_a_candidate_cannot_print_its_way_to_none(reward, problems):
    """Printing what an infrastructure failure says is the candidate's own failure: 0, not None."""
    problem = problems[("python", "digit-sum")]
    fake = ("import sys\nprint('missing dependency: the runner failed: cannot confine the run')\nsys.exit(3)\n"
            "def digit_sum(number):\n    return 0\n")
    rewards, extra, _ = call(reward, [generation_row(problem)], [render_whole({"digit_sum.py": fake}, "python")])
    assert rewards == [0.0] and extra["execution_status"] != ["infrastructure"]


@pytest.mark.slow
def test_a_hanging_completion_costs_seconds(reward, problems):
    problem = problems[("python", "digit-sum")]
    row = {**generation_row(problem), "reference_seconds": 1.0}
    call(reward, [row], [reference_answer(problem)])  # the reference's own seconds, recorded on this machine
    start = time.monotonic()
    rewards, extra, _ = call(reward, [row], [render_whole({"digit_sum.py": HANG_PY}, "python")])
    assert rewards == [0.0] and extra["execution_status"] == ["timeout"]
    assert time.monotonic() - start < 25  # the tests' 10 s (floor), not the 30 s "auto" floor or 180 s


@pytest.mark.slow
def test_server_shared_by_two_ranks_and_restarted_when_it_dies(allow_execution, problems, tmp_path):
    problem = problems[("python", "digit-sum")]
    row = generation_row(problem)
    sock = tmp_path / "rewards.sock"
    first, second = ExecutionReward(server=sock, jobs=2), ExecutionReward(server=sock, jobs=2)
    try:
        assert call(first, [row], [reference_answer(problem)])[0] == [1.0]
        assert call(second, [row], [stub_answer(row)])[0] == [0.0]
        starter, other = first._scorer, second._scorer
        assert starter.starts == 1 and other.starts == 0  # the second rank found the first one's server
        pid = starter.ping()["pid"]
        assert other.ping()["pid"] == pid
        os.kill(pid, signal.SIGKILL)
        starter.process.wait()
        # The call in flight fails, the rank starts a new server and sends it again: no None.
        assert call(second, [row], [reference_answer(problem)])[0] == [1.0]
        assert other.starts == 1 and other.ping()["pid"] != pid
    finally:
        for r in (first, second):
            if r._scorer is not None and r._scorer.process is not None:
                r._scorer.stop_server()


# ----------------------------------------------------------------------------- every language
#: The references' runs as completions (job key -> result): made by the first test here that needs each, given again
#: to a later one whose job is the same (conftest's ``SharedRunsExecutor``).
REFERENCE_RUNS: dict = {}


@pytest.mark.slow
def test_references_one_stubs_zero_in_every_language(allow_execution, problems):
    """One call, mixed languages, as a GRPO batch is: per language the reference (twice: one run), the stub, and
    an answer that names no file."""
    rows, completions, expected = [], [], []
    for language in ALL_LANGUAGES:
        problem = problems[(language, "digit-sum")]
        row = generation_row(problem)
        for completion, value in [(reference_answer(problem), 1.0), (reference_answer(problem), 1.0),
                                  (stub_answer(row), 0.0), ("I cannot write this one.", -0.25)]:
            rows.append(row)
            completions.append(completion)
            expected.append(value)
    reward = ExecutionReward(server=False, executor=SharedRunsExecutor(2, REFERENCE_RUNS), malformed_penalty=0.25,
                             timeout=180)
    rewards, extra, metrics = call(reward, rows, completions)
    assert rewards == expected, list(zip(rows and [r["problem_id"] for r in rows], extra["execution_status"]))
    assert metrics["execution_reward/runs"] == 2 * len(ALL_LANGUAGES)


@pytest.mark.slow
def test_every_forgery_attack_is_rewarded_zero(allow_execution, problems, forgery_catalogue):
    """Issue 26, item 6: the catalogue of tests/test_forgery.py, each attack sent as a completion (its files in the
    ``whole`` format), is rewarded 0 — not 1, and not None — and the attacked problems' references 1.

    The runs are the catalogue's own (conftest's ``forgery_catalogue``, made once per session and checked by
    test_forgery): what this test adds is the completion's way to them — rendered, parsed back by the reward into
    the same files, limits and expected tests, so that the reward's jobs equal the catalogue's (all of them must) —
    and the reward each verdict maps to. The references go in as completions: jobs of their own, those of digit-sum
    run by the test above (``REFERENCE_RUNS``)."""
    executor = SharedRunsExecutor(2, dict(forgery_catalogue.runs))
    forged, statuses = [], Counter()
    for language in sorted({a.language for a in ATTACKS}):
        attacks = attacks_for(language)
        # The catalogue's limit for the language: generous, so that an attack comes out 0 on its verdict.
        reward = ExecutionReward(server=False, executor=executor, timeout=TIMEOUT[language])
        rewards, extra, _ = call(reward, [generation_row(problems[(a.language, a.slug)]) for a in attacks],
                                 [render_whole(a.files, language) for a in attacks])
        reward.close()
        forged += [(a.name, r, s) for a, r, s in zip(attacks, rewards, extra["execution_status"]) if r != 0.0]
        statuses.update(extra["execution_status"])
        assert all(s == forgery_catalogue.results[a.key].status for a, s in zip(attacks, extra["execution_status"]))
    assert not forged, forged
    assert executor.served == len(ATTACKS), f"{executor.served} of {len(ATTACKS)} jobs equal to the catalogue's"
    assert statuses["passed"] == 0 and sum(statuses.values()) == len(ATTACKS), statuses
    reward = ExecutionReward(server=False, executor=SharedRunsExecutor(2, REFERENCE_RUNS), timeout=180)
    rewards, _, _ = call(reward, [generation_row(problems[t]) for t in TARGETS],
                         [reference_answer(problems[t]) for t in TARGETS])
    reward.close()
    assert rewards == [1.0] * len(TARGETS)


# ---------------------------------------------------------------------------------------------- GRPO smoke run
# Issue 26, item 4: trainer/grpo.py (TRL's GRPOTrainer with this reward) under `accelerate launch`, two processes.
@pytest.fixture(scope="module")
def tiny_policy(tmp_path_factory):
    """An untrained tiny HRM (the tiny recipe's model section) and its tokenizer, saved as trainer/train.py saves."""
    import torch

    from polyglot_hrm.training.config import load_recipe
    from polyglot_hrm.training.data import train_tokenizer_on_rows
    from polyglot_hrm.training.grpo import grpo_rows
    from polyglot_hrm.training.grpo_config import load_grpo_recipe
    from polyglot_hrm.training.run import build_model

    folder = tmp_path_factory.mktemp("policy")
    rows = grpo_rows(load_grpo_recipe("tiny", [f"policy.path={folder}"]).data_config(),
                     cache_dir=tmp_path_factory.mktemp("datasets")).to_list()
    tokenizer = train_tokenizer_on_rows(rows, 600)
    torch.manual_seed(0)
    build_model(load_recipe("tiny").model, tokenizer).save_pretrained(folder)
    tokenizer.save_pretrained(folder / "tokenizer")
    return folder


@pytest.mark.slow
def test_accelerate_two_cpu_processes_run_grpo_on_the_tiny_hrm(tiny_policy, tmp_path):
    """Two processes (gloo), two steps, one group of 4 completions of 16 tokens per step, scored by the execution
    reward (the ranks' shared scoring server); the Q-head stays frozen; the model saved loads."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    import torch
    from transformers import AutoModelForCausalLM

    repo = Path(__file__).resolve().parents[1]
    out = tmp_path / "run"
    # PYTHONPATH: the launched processes import this checkout's package (not another one installed in the venv).
    env = {**os.environ, "POLYGLOT_HRM_ALLOW_CODE_EXECUTION": "1", "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join(p for p in (str(repo), os.environ.get("PYTHONPATH")) if p)}
    cmd = [str(Path(sys.executable).parent / "accelerate"), "launch", "--config_file",
           str(repo / "trainer" / "accelerate" / "cpu_multi.yaml"), "--main_process_port", "0",
           str(repo / "trainer" / "grpo.py"), "--recipe", str(repo / "trainer" / "recipes" / "grpo" / "tiny.yaml"),
           "--output-dir", str(out), "--cache-dir", str(tmp_path / "datasets"), f"policy.path={tiny_policy}",
           "grpo_args.max_steps=2", "grpo_args.per_device_train_batch_size=2", "grpo_args.max_completion_length=16",
           "data.max_rows=2"]
    proc = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    saved = json.loads((out / "polyglot_grpo_config.json").read_text())
    assert saved["num_processes"] == 2 and len(saved["rows"]) == 2
    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    steps = [h for h in history if "rewards/execution_reward/mean" in h]
    assert [h["step"] for h in steps] == [1, 2]
    assert all(h["completions/max_length"] <= 16 and h["execution_reward/none_rate"] == 0 for h in steps)
    before = AutoModelForCausalLM.from_pretrained(tiny_policy)
    after = AutoModelForCausalLM.from_pretrained(out)
    assert after.config.derive_prompt_inputs
    torch.testing.assert_close(after.q_head.weight, before.q_head.weight, rtol=0, atol=0)
