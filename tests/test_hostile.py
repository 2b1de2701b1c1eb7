"""Hostile candidates against the sandbox, in all six languages (issue 4, item 2).

Every attack of ``fixtures/hostile.py`` replaces the solution of the mini-benchmark's ``digit-sum``:
infinite loop, fork bomb, memory bomb (> 8 GB), writing and deleting files in the host user's home
and the host's /tmp, connecting to a server on 127.0.0.1, a 128 MB output flood, a detached
process that tries to outlive the run, and reading a secret from the home directory. Each run must
end as failed/timeout/error (never passed, never a compile error: the attack has to have run)
within its time limit, leave the host untouched (canaries, files, the server, the output, no
surviving process) and the next run must work.

The whole matrix runs once, on the pool (two workers), in a module-scoped fixture; the tests then
check each (attack, language) cell. ``python benchmarks/hostile.py`` prints the same matrix as a table.

Issue 23 adds harm that lands on the host side of a run or on its neighbours, each in a scenario
subprocess: a report flood the host reads (its memory and the run's clock), a 2,000-deep tree left for
the workspace cleanup and for the sweep after a killed run, and a full disk beside honest neighbours.
``python benchmarks/hostile.py --host-effects`` prints them, before and now.
"""

from __future__ import annotations

import pytest

from fixtures.hostile import (ALLOWED, ATTACKS, ESCAPE, LANGUAGES, MEMORY_BOMB_DONE, SLACK_S, SOURCES,
                              can_mount_private_tmpfs, cgroup_available, deep_tree_finished, deep_tree_killed,
                              fill_workspace, make_cases, mounts_under, remove_tree, report_flood, run_matrix)
from polyglot_hrm.execution.provision import setup_runners
from polyglot_hrm.execution.workspace import unmount

from conftest import run_command

pytestmark = pytest.mark.slow

#: What the captured output of a run may grow to (``run_problem`` keeps an 8000-character excerpt).
OUTPUT_CAP = 10_000


@pytest.fixture(scope="module")
def outcome(mini_problems, allow_execution_module):
    """The whole matrix, once: results, host problems and leftovers per case, then the references."""
    setup_runners(mini_problems)
    problems = {p.language: p for p in mini_problems if p.slug == "digit-sum"}
    cases = make_cases(cgroup=cgroup_available())
    return run_matrix(problems, cases, jobs=2)


CELLS = [(a, lang) for a in ATTACKS for lang in LANGUAGES if lang in SOURCES[a]] + [(ESCAPE, "python")]


def _id(cell):
    return f"{cell[0]}-{cell[1]}"


#: Languages whose candidate process keeps what the candidate prints (a bounded capture) instead of the host.
CAPTURED_IN_CANDIDATE_PROCESS = {"python"}


@pytest.mark.parametrize("cell", CELLS, ids=_id)
def test_attack_is_contained(outcome, cell):
    attack, language = cell
    if cell not in outcome.cases:
        pytest.skip("no per-run cgroup here: this memory bomb would be unbounded (GOMEMLIMIT is soft; Node "
                    "Buffers are outside the V8 heap), so it is not run")
    case, r = outcome.cases[cell], outcome.results[cell]
    where = f"{attack} in {language}: {r.status} after {r.duration_s:.1f} s\n{r.output[-3000:]}"
    if ALLOWED[attack] != {"compile_error"}:
        assert r.status != "compile_error", f"the attack never ran: {where}"
    assert r.status != "passed", where
    allowed = ALLOWED[attack]
    if attack == "output_flood" and language in CAPTURED_IN_CANDIDATE_PROCESS:
        # The two-process Python runner keeps what the candidate prints through sys.stdout in the candidate's own
        # process, up to 1 MiB: the flood never reaches the host, and the tests fail as they should.
        allowed = {"failed"}
    assert r.status in allowed, where
    # Ends within its limit (plus the time to kill the tree and clean up).
    assert r.duration_s <= case.timeout + SLACK_S, where
    # The host is untouched.
    assert outcome.host_problems[cell] == [], f"{where}\nhost problems: {outcome.host_problems[cell]}"
    # Captured output stays capped whatever the candidate writes.
    assert len(r.output) <= OUTPUT_CAP, where
    if ALLOWED[attack] == {"failed"}:
        # It compiled, the tests ran and failed: the attack's code did run.
        assert r.tests_total > 0 and r.tests_failed > 0, where
    if attack == "memory_bomb":
        assert MEMORY_BOMB_DONE not in r.output, f"the memory bomb got 9 GB: {where}"
    if attack == "output_flood" and language in CAPTURED_IN_CANDIDATE_PROCESS:
        assert r.isolation == "process" and "printed in the candidate's process were cut" in r.output, where
    elif attack == "output_flood":
        assert "output limit exceeded" in r.output, where
    if attack == "read_home_secret":
        assert "cannot read the secret" in r.output, where
    if attack == "host_root":
        assert "shadow: denied" in r.output and "procsys: denied" in r.output, where
    if attack == "compile_time_read":
        assert "Permission denied" in r.output or "permission denied" in r.output.lower(), where


def test_no_process_outlives_the_matrix(outcome):
    """Nothing started by any hostile run is left among this process's descendants."""
    assert outcome.leftovers == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_next_run_works(outcome, language):
    r = outcome.references[language]
    assert r.status == "passed", r.output


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "java"])
def test_memory_bomb_is_reported_as_over_the_memory_limit(outcome, language):
    """The cgroup is what stops these bombs (Java's stops at -Xmx with an OutOfMemoryError: a failed test)."""
    if ("memory_bomb", language) not in outcome.results:
        pytest.skip("no per-run cgroup here")
    r = outcome.results[("memory_bomb", language)]
    assert r.status == "error" and "memory limit" in r.output, f"{r.status}\n{r.output[-2000:]}"


# ---------------------------------------------------------------------------- inputs that are not code
# One bad path or file in a candidate is that candidate's own result: a batch always completes.

BAD_FILES = [{".": "x = 1\n"}, {"digit_sum.py/y": "x = 1\n"}, {"a" * 300 + ".py": "x = 1\n"},
             {"helper.py": "x = '\ud800'\n"}, {"\udcff.py": "x = 1\n"}, {"digit_sum.py": "x = '\ud800'\n"}]
# (A file whose content is not text at all is refused before anything runs, issue 25: tests/test_bad_input.py.)


def _python_digit_sum(mini_problems):
    return next(p for p in mini_problems if p.id == "python/digit-sum")


def test_bad_candidate_files_never_sink_the_metric(mini_problems, allow_execution):
    import evaluate

    from test_metric import METRIC_DIR

    p = _python_digit_sum(mini_problems)
    good = {f.path: f.content for f in p.files_with_role("reference")}
    out = evaluate.load(METRIC_DIR).compute(predictions=[[*BAD_FILES, good]], references=[p.to_dict()], k=[1])
    statuses = [c["status"] for c in out["results"][0]["candidates"]]
    assert statuses[-1] == "passed" and len(statuses) == len(BAD_FILES) + 1
    # Dropped files and an unusable solution file: never passed; the unusable solution file is an error.
    assert all(s != "passed" for s in statuses[:-1]) and statuses[5] == "error"
    assert out["results"][0]["candidates"][0]["ignored_files"][0]["reason"].startswith("bad path")


def test_bad_candidate_files_never_sink_evaluate(mini_problems, tmp_path, allow_execution):
    import json

    p = _python_digit_sum(mini_problems)
    good = {f.path: f.content for f in p.files_with_role("reference")}
    solutions = tmp_path / "solutions.json"
    solutions.write_text(json.dumps({p.id: [{"files": f} for f in [*BAD_FILES, good]]}))  # \ud800 as JSON escapes
    out = tmp_path / "results.json"
    proc = run_command("evaluate", "--languages", "python", "--solutions", str(solutions), "--output", str(out),
                       "--no-report")
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(out.read_text())
    [case] = [c for c in results["cases"] if c["problem_id"] == p.id]
    assert [c["status"] for c in case["candidates"]][-1] == "passed"
    assert len(case["candidates"]) == len(BAD_FILES) + 1


def test_candidate_dir_refuses_links_and_special_files(mini_root, tmp_path, allow_execution):
    """`run --candidate DIR` reads regular files only: a link to a host file is refused before anything runs."""
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-on-the-host\n")
    candidate = tmp_path / "candidate"
    candidate.mkdir()
    (candidate / "digit_sum.py").symlink_to(secret)
    run = ["run", "--benchmark-root", str(mini_root), "--problem", "python/digit-sum", "--candidate", str(candidate)]
    proc = run_command(*run)
    assert proc.returncode == 2 and "symbolic link" in proc.stderr and "SECRET" not in proc.stdout + proc.stderr
    (candidate / "digit_sum.py").unlink()
    (candidate / "digit_sum.py").write_text("def digit_sum(number):\n    return 0\n")
    (candidate / "linked_dir").symlink_to("/etc", target_is_directory=True)
    proc = run_command(*run)
    assert proc.returncode == 2 and "symbolic link" in proc.stderr
    (candidate / "linked_dir").unlink()
    proc = run_command(*run)
    assert proc.returncode == 0 and '"status": "failed"' in proc.stdout, proc.stderr[-2000:]


# ---------------------------------------------------------------------------- host effects (issue 23)
# Harm that lands outside the sandbox: on the host process that reads a run's report and cleans up after it,
# and on a neighbouring run. Each runs in a scenario subprocess (fixtures.hostile.run_scenario) so that it can
# be measured and killed from here; HOST_EFFECTS_BEFORE_ISSUE_23 holds what each did before issue 23.

@pytest.fixture
def scenario_folder(tmp_path):
    """A TMPDIR of the scenario's own; whatever is left in it is removed at any depth (pytest's own cleanup of
    tmp_path would hit the deep tree's recursion limit)."""
    folder = tmp_path / "tmpdir"
    folder.mkdir()
    yield folder
    for mount in mounts_under(folder):  # a run's tmpfs that a failing scenario left mounted (no sweep came after)
        unmount(mount)
    remove_tree(folder)


def test_report_flood_keeps_the_host_bounded(allow_execution):
    """Four 16 MB libtest logs beside a Rust run's report: the host reads a bounded report, inside the run's clock
    (before issue 23: 4 GB of host memory and about twice the limit)."""
    effect = report_flood()
    assert effect.ok, f"{effect.summary}\n{effect.detail}"


def test_deep_tree_left_by_a_killed_run_is_swept(scenario_folder, allow_execution):
    """A run killed while its workspace holds 2,000 nested folders and 100 MB: the next command works, and its sweep
    removes the tree (before: RecursionError in the sweep, so every later command crashed)."""
    effect = deep_tree_killed(scenario_folder)
    assert effect.ok, f"{effect.summary}\n{effect.detail}"


def test_deep_tree_in_a_finished_run_is_removed(scenario_folder, allow_execution):
    """A run whose workspace holds 2,000 nested folders ends as the failure it is, and its workspace goes (before:
    `error: the runner failed: RecursionError`, the tree left behind)."""
    effect = deep_tree_finished(scenario_folder)
    assert effect.ok, f"{effect.summary}\n{effect.detail}"


def test_full_disk_is_the_fillers_own_error(scenario_folder, allow_execution):
    """A candidate fills the disk its workspace is on (a small tmpfs standing in for the host's /tmp) while honest
    neighbours run beside it (two workers): every neighbour still passes."""
    if not can_mount_private_tmpfs(scenario_folder):
        pytest.skip("needs root and unshare(1) for a private mount namespace with a small tmpfs")
    effect = fill_workspace(scenario_folder)
    assert effect.ok, f"{effect.summary}\n{effect.detail}"
