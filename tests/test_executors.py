"""Executors (issue 16): the local pool never imports Ray; a two-node Ray cluster on this machine
(``ray.cluster_utils.Cluster``) validates an exercise of the mini-benchmark in every language with the statuses the
local pool gives, still does after a worker process is killed by its pid mid-run, and refuses a node that fails the
checks.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from polyglot_hrm.execution import LocalExecutor, RunTask, make_executor, run_many
from polyglot_hrm.execution.nodes import check_node, sweep_leftovers

REPO = Path(__file__).resolve().parents[1]
MODES = ("reference", "stub")


def _tasks(problems, languages=None, slugs=None):
    return [RunTask(p, mode=m) for p in problems if languages is None or p.language in languages
            if slugs is None or p.slug in slugs for m in MODES]


def _expected(local_results, tasks):
    """The local pool's verdicts of these tasks (a subset of the mini-benchmark's, in the same order)."""
    wanted = {(t.problem.id, t.mode) for t in tasks}
    return [v for v in _verdicts(local_results) if (v[0], v[1]) in wanted]


def _verdicts(results):
    """What must not depend on where a run executed: everything but timings and output text."""
    return [(r.problem_id, r.mode, r.status, r.tests_passed, r.tests_failed, r.tests_total) for r in results]


# --------------------------------------------------------------------------------------------- no cluster


def test_local_executor_never_imports_ray():
    code = ("import sys\n"
            "from polyglot_hrm.cli import build_parser\n"
            "from polyglot_hrm.scoring import score_candidates\n"
            "from polyglot_hrm.execution import make_executor, run_many\n"
            "executor = make_executor('local')\n"
            "assert run_many([], executor=executor) == []\n"
            "build_parser().parse_args(['validate', '--executor', 'local'])\n"
            "print('ray' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_executor_choices_and_their_errors():
    from polyglot_hrm.training.config import PolyglotTrainingConfig

    assert isinstance(make_executor(None, jobs=3), LocalExecutor) and make_executor(None, jobs=3).jobs == 3
    with pytest.raises(ValueError, match="`ray_address` is for `executor='ray'`"):
        make_executor("local", ray_address="10.0.0.1:6379")
    with pytest.raises(ValueError, match="choose one of local, ray"):
        make_executor("slurm")
    with pytest.raises(ValueError, match="eval_executor"):
        PolyglotTrainingConfig(eval_executor="slurm")
    with pytest.raises(ValueError, match="eval_ray_address"):
        PolyglotTrainingConfig(eval_ray_address="10.0.0.1:6379")


def test_sweep_removes_only_what_dead_processes_left(tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    mine = tmp_path / f"polyglot-hrm-pid{os.getpid()}_abcdefgh"
    gone = tmp_path / f"polyglot-hrm-pid{dead.pid}_abcdefgh"
    older = tmp_path / "polyglot-hrm-12_abcde"  # an older version's name (mkdtemp's 8 characters): not ours to judge
    for folder in (mine, gone, older):
        (folder / "slug").mkdir(parents=True)
    assert sweep_leftovers(tmp_path, cgroup_parents=[]) == 1
    assert mine.is_dir() and older.is_dir() and not gone.exists()


def test_node_check_refuses_a_node_that_cannot_drop_to_an_unprivileged_uid(monkeypatch, mini_problems):
    if os.geteuid() != 0:
        pytest.skip("the uid base only matters when runs start as root")
    monkeypatch.setenv("POLYGLOT_HRM_SANDBOX_UID_BASE", "not-a-number")
    report = check_node([p for p in mini_problems if p.language == "python"], node="n1")
    assert not report.ok
    assert "n1" in report.refusal() and "POLYGLOT_HRM_SANDBOX_UID_BASE" in report.refusal()
    monkeypatch.delenv("POLYGLOT_HRM_SANDBOX_UID_BASE")
    assert check_node([p for p in mini_problems if p.language == "python"], node="n1").failures == []


class CountingExecutor(LocalExecutor):
    """The local pool, counting the runs it was given (which the build must not remember)."""

    def __init__(self):
        super().__init__(jobs=2)
        self.given = 0

    def run(self, jobs, *args, **kwargs):
        self.given += len(jobs)
        return super().run(jobs, *args, **kwargs)


@pytest.mark.slow
def test_the_executor_is_not_part_of_the_dataset_cache_key(tmp_path, monkeypatch):
    from polyglot_hrm.dataset import rows
    from polyglot_hrm.dataset.builder import PolyglotHRM

    # A journal of its own: runs another test already verified (the shared runner cache's journal) would be
    # replayed without reaching the executor, and the count below would say nothing.
    monkeypatch.setattr(rows, "journal_path", lambda: tmp_path / "verified" / "runs.jsonl")

    options = dict(config_name="diff_edit", cache_dir=str(tmp_path), languages=("python",),
                   max_problems_per_language=1, max_diff_examples_per_problem=3, verify_by_execution=True)
    elsewhere = CountingExecutor()
    first = PolyglotHRM(executor=elsewhere, **options)
    first.download_and_prepare()
    assert elsewhere.given > 0 and first.build_report is not None  # it built, verifying on that executor
    again = PolyglotHRM(**options)  # the default, local
    assert again.cache_dir == first.cache_dir
    again.download_and_prepare()
    assert again.build_report is None  # reloaded from the Arrow cache: nothing was built or run
    assert again.as_dataset()["train"]["id"] == first.as_dataset()["train"]["id"]


# --------------------------------------------------------------------------------------------- a Ray cluster


@pytest.fixture(scope="module")
def cluster():
    pytest.importorskip("ray", reason="the ray extra: pip install 'polyglot-hrm[ray]'")
    import ray
    from ray.cluster_utils import Cluster

    two = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    two.add_node(num_cpus=1)
    two.wait_for_nodes()
    yield two
    ray.shutdown()
    two.shutdown()


@pytest.fixture(scope="module")
def ray_executor(cluster):
    from polyglot_hrm.execution.ray_executor import RayExecutor

    executor = RayExecutor(address=cluster.address)
    yield executor
    executor.close()


@pytest.fixture(scope="module")
def local_results(mini_reference_and_stub_results):
    """The local pool's results of ``_tasks(mini_problems)`` (the same tasks, in the same order)."""
    return mini_reference_and_stub_results


#: The exercise the cluster validates in every language (reference and stub): the verdicts are compared with the local
#: pool's run by run, so one exercise per language shows the cluster judges each language as the pool does (the
#: other tests here run digit-sum and caesar-shift on it); the whole mini-benchmark would be 58 runs instead of 12.
VALIDATED = ("tally-words",)


@pytest.mark.slow
def test_two_node_cluster_validates_the_mini_benchmark_as_local_does(mini_problems, local_results, ray_executor):
    tasks = _tasks(mini_problems, slugs=VALIDATED)
    assert {t.problem.language for t in tasks} == {p.language for p in mini_problems}
    results = run_many(tasks, executor=ray_executor, progress=False)
    assert _verdicts(results) == _expected(local_results, tasks)
    assert sum(r.passed for r in results if r.mode == "reference") == len(tasks) // 2  # fidelity, not luck
    assert ray_executor.refused == {} and len(ray_executor.accepted) == 2
    assert len(ray_executor.runs_per_node) == 2 and sum(ray_executor.runs_per_node.values()) == len(tasks)


def _kill_one_run_mid_way(killed: list[int], stop: threading.Event) -> None:
    """Kill (SIGKILL, by pid) the first Ray worker seen running a job twice in a row, half a second apart."""
    seen: set[int] = set()
    while not stop.is_set() and not killed:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                title = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if title.startswith(b"ray::polyglot_run"):
                pid = int(entry.name)
                if pid in seen:
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                    return
                seen.add(pid)
        time.sleep(0.5)


@pytest.mark.slow
def test_a_worker_killed_mid_run_still_gives_every_result_once(mini_problems, local_results, ray_executor):
    languages = ("cpp", "java", "rust")  # builds of several seconds: the kill lands mid-run
    tasks = _tasks(mini_problems, languages, slugs=("digit-sum", "caesar-shift"))  # one kill needs no more runs
    killed: list[int] = []
    stop = threading.Event()
    killer = threading.Thread(target=_kill_one_run_mid_way, args=(killed, stop), daemon=True)
    before = sum(ray_executor.runs_per_node.values())
    killer.start()
    try:
        results = run_many(tasks, executor=ray_executor, progress=False)
    finally:
        stop.set()
        killer.join()
    assert killed, "no run was seen to kill"
    assert _verdicts(results) == _expected(local_results, tasks)
    assert sum(ray_executor.runs_per_node.values()) - before == len(tasks)  # each result counted once
    assert "lost" not in ray_executor.runs_per_node
    # What the killed run left in its workspace folder was swept after the batch.
    assert not list(Path(tempfile.gettempdir()).glob(f"polyglot-hrm-pid{killed[0]}_*"))


@pytest.mark.slow
def test_evaluate_and_the_metric_run_on_the_cluster(tmp_path, allow_execution, mini_problems, local_results,
                                                     ray_executor):
    """The protocol's journal and the metric's keyword, on Ray (the stubs' verdicts are recorded already)."""
    import evaluate

    from polyglot_hrm.evaluation.cases import load_cases
    from polyglot_hrm.evaluation.protocol import evaluate_backend
    from polyglot_hrm.execution.ray_executor import RayExecutor
    from polyglot_hrm.modelio.backends import ReferenceBackend

    cases = [c for c in load_cases() if c["language"] == "python"][:3]
    journal = tmp_path / "results.jsonl"
    results = evaluate_backend(cases, ReferenceBackend("whole"), journal=journal, progress=False,
                               executor=RayExecutor())
    assert results.summary["pass@1"] == 1.0
    records = [json.loads(line) for line in journal.read_text().splitlines()[1:]]
    assert sorted(r["case"] for r in records if r["kind"] == "result") == sorted(c["id"] for c in cases)
    assert results.settings["executor"] == "ray" and sum(results.settings["runs_per_node"].values()) == len(cases)

    [p] = [p for p in mini_problems if p.id == "go/digit-sum"]
    out = evaluate.load(str(REPO / "metrics" / "polyglot_exec")).compute(
        predictions=[[{f.path: f.content for f in p.files_with_role("reference")}]], references=[p.to_dict()],
        executor="ray")
    assert out["pass@1"] == 1.0 and out["executor"]["executor"] == "ray"
    assert sum(out["executor"]["runs_per_node"].values()) == 1


@pytest.mark.slow
def test_a_node_failing_the_checks_is_reported_and_not_used(cluster, mini_problems, local_results):
    from polyglot_hrm.execution.ray_executor import RayExecutor

    bad = cluster.add_node(num_cpus=1, env_vars={"POLYGLOT_HRM_SANDBOX_UID_BASE": "not-a-number"})
    cluster.wait_for_nodes()
    try:
        executor = RayExecutor(address=cluster.address)
        tasks = _tasks(mini_problems, ("python", "javascript"), slugs=("digit-sum", "caesar-shift"))
        results = run_many(tasks, executor=executor, progress=False)
    finally:
        cluster.remove_node(bad)
    [(node, report)] = executor.refused.items()
    assert node == bad.node_id
    assert "POLYGLOT_HRM_SANDBOX_UID_BASE" in report.refusal() and "fix:" in report.refusal()
    assert report.node in report.refusal()
    assert len(executor.accepted) == 2 and bad.node_id not in executor.accepted
    assert report.node not in executor.runs_per_node and sum(executor.runs_per_node.values()) == len(tasks)
    assert _verdicts(results) == _expected(local_results, tasks)


@pytest.mark.slow
def test_the_execution_reward_runs_on_the_cluster(allow_execution, mini_problems, ray_executor):
    """Issue 26, item 3: ``executor="ray"`` scores a GRPO group on the cluster's nodes (the reference 1, the stub 0,
    a duplicate run once)."""
    from polyglot_hrm.modelio.chat_format import render_whole
    from polyglot_hrm.rewards import ExecutionReward
    from polyglot_hrm.synthesis.examples import generation_row, solved_files

    [problem] = [p for p in mini_problems if p.id == "python/digit-sum"]
    row = generation_row(problem)
    stub = {f["path"]: f["content"] for f in row["input_files"] if f["role"] == "solution"}
    completions = [render_whole(solved_files(problem), "python"), render_whole(solved_files(problem), "python"),
                   render_whole(stub, "python")]
    metrics: dict[str, float] = {}
    reward = ExecutionReward(executor=ray_executor, server=False, timeout=180)
    before = sum(ray_executor.runs_per_node.values())
    rewards = reward(prompts=["p"] * 3, completions=completions, completion_ids=[[1]] * 3, trainer_state=None,
                     log_extra=lambda k, v: None, log_metric=metrics.__setitem__,
                     **{k: [row.get(k)] * 3 for k in row})
    assert rewards == [1.0, 1.0, 0.0]
    assert sum(ray_executor.runs_per_node.values()) - before == 2  # the duplicate ran once, on the cluster
