"""The one resume journal (polyglot_hrm.execution.journal) and its two users: an evaluation's answers and results,
a dataset build's verification runs. One run key, one header with the format version, one policy for a line cut
by a kill (fenced and skipped, never read, never truncated), one refusal of another format that names the fix."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from polyglot_hrm.dataset import rows
from polyglot_hrm.dataset.rows import RunJournal, Verified, verify_runs
from polyglot_hrm.evaluation.journal import Journal
from polyglot_hrm.execution import journal as journal_module
from polyglot_hrm.execution.journal import FORMAT_VERSION, JournalError, JournalFile, journal_path, run_key

CUT = '{"kind": "answer", "case": "python/b", "sa'  # what a kill in the middle of a write leaves


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


# --------------------------------------------------------------------------------------------- the run key


def test_the_run_key_changes_with_the_timeout_the_files_and_the_format_version(mini_problems, monkeypatch):
    problem = next(p for p in mini_problems if p.language == "python")
    files = {f.path: f.content for f in problem.files_with_role("reference")}
    key = run_key(problem, files, 30.0)
    assert key == run_key(problem, dict(files), 30) == run_key(problem, dict(reversed(files.items())), 30.0)
    assert run_key(problem, files, 60.0) != key
    assert run_key(problem, files, "auto") not in (key, run_key(problem, files, 60.0))
    assert run_key(problem, {path: text + "\n" for path, text in files.items()}, 30.0) != key
    other = next(p for p in mini_problems if p.language == "python" and p.id != problem.id)
    assert run_key(other, files, 30.0) != key
    monkeypatch.setattr(journal_module, "FORMAT_VERSION", FORMAT_VERSION + 1)
    assert run_key(problem, files, 30.0) != key
    with pytest.raises(ValueError, match="timeout"):
        run_key(problem, files, float("nan"))


# --------------------------------------------------------------------------------------------- the file format


def test_a_new_journal_starts_with_its_header_and_an_in_memory_one_writes_nothing(tmp_path):
    path = tmp_path / "deep" / "results.jsonl"
    book = JournalFile(path, "evaluation", {"seed": 0}, start_over="start over")
    book.append({"kind": "answer", "n": 1})
    assert [json.loads(line) for line in _lines(path)] == [
        {"kind": "journal", "format": FORMAT_VERSION, "purpose": "evaluation", "settings": {"seed": 0}},
        {"kind": "answer", "n": 1}]
    assert [r for _, r in JournalFile(path, "evaluation", {"seed": 0}, start_over="").records] == [
        {"kind": "answer", "n": 1}]
    memory = JournalFile(None, "evaluation", {"seed": 0}, start_over="")
    memory.append({"kind": "answer"})
    assert memory.records == [] and list(tmp_path.iterdir()) == [tmp_path / "deep"]


def test_starting_over_replaces_the_journal(tmp_path):
    path = tmp_path / "results.jsonl"
    path.write_text('{"kind": "run", "settings": {}}\n')  # any older journal
    JournalFile(path, "evaluation", {"seed": 1}, resume=False, start_over="").append({"kind": "answer"})
    assert [json.loads(line)["kind"] for line in _lines(path)] == ["journal", "answer"]


@pytest.mark.parametrize("first, why", [
    ('{"kind": "run", "settings": {"seed": 0}}', "an older format"),  # an evaluation journal before format 2
    ('{"key": "ab12", "problem_id": "python/x", "status": "passed", "output": ""}', "an older format"),  # a build's
    (json.dumps({"kind": "journal", "format": 1, "purpose": "evaluation", "settings": {}}),
     "format 1, written by an older"),
    (json.dumps({"kind": "journal", "format": FORMAT_VERSION + 1, "purpose": "evaluation", "settings": {}}),
     f"format {FORMAT_VERSION + 1}, written by a newer"),
    (json.dumps({"kind": "journal", "format": FORMAT_VERSION, "purpose": "verification", "settings": {}}),
     "a journal of 'verification', not of 'evaluation'"),
    ("results: not JSON", "not a journal of this polyglot-hrm"),
])
def test_a_journal_of_another_format_or_purpose_is_refused_naming_the_file_and_the_fix(first, why, tmp_path):
    path = tmp_path / "results.jsonl"
    path.write_text(first + "\n" + '{"kind": "answer", "case": "python/a", "sample": 0, "attempt": 1}\n')
    before = path.read_bytes()
    with pytest.raises(JournalError) as refused:
        Journal(path, {"seed": 0})
    message = str(refused.value)
    assert message.startswith(f"{path}: ") and why in message and "`resume=False`" in message
    assert path.read_bytes() == before  # refused, not touched
    assert Journal(path, {"seed": 0}, resume=False).answers == {}  # the fix it names works


def test_an_older_verification_journal_is_refused_with_the_command_that_starts_over(tmp_path, monkeypatch):
    path = tmp_path / "verified" / "runs.jsonl"
    path.parent.mkdir()
    path.write_text('{"key": "ab12", "problem_id": "python/x", "status": "failed", "output": "1 failed"}\n')
    monkeypatch.setattr(rows, "journal_path", lambda: path)
    with pytest.raises(JournalError) as refused:
        verify_runs([], 10.0)  # a build opens the runner cache's journal
    message = str(refused.value)
    assert message.startswith(f"{path}: a journal in an older format") and f"`rm {path}`" in message
    path.unlink()  # what the message says
    assert RunJournal(path).done == {} and json.loads(_lines(path)[0])["purpose"] == "verification"


def test_other_settings_are_refused_naming_each_difference(tmp_path):
    path = tmp_path / "results.jsonl"
    Journal(path, {"backend": "x", "seed": 0}).add_answer(("python/a", 0, 1), {"text": "A"})
    with pytest.raises(JournalError, match=r"seed: 0 there, 1 now.*`resume=False`"):
        Journal(path, {"backend": "x", "seed": 1})
    assert Journal(path, {"backend": "x", "seed": 0}).answers == {("python/a", 0, 1): {"text": "A"}}


def test_a_whole_record_its_job_cannot_read_is_damage_not_a_cut_line(tmp_path):
    path = tmp_path / "results.jsonl"
    Journal(path, {"seed": 0}).add_answer(("python/a", 0, 1), {"text": "A"})
    with path.open("a") as fh:
        fh.write('{"kind": "answer", "case": "python/b"}\n')  # whole JSON, but no sample or attempt
    with pytest.raises(JournalError, match=r"line 3 is not a record this evaluation can read .*damaged.*`resume=False`"):
        Journal(path, {"seed": 0})


# --------------------------------------------------------------------------------------------- a line cut by a kill


def _evaluation_user(path: Path):
    def write(n: int) -> None:
        Journal(path, {"seed": 0}).add_answer((f"python/{n}", 0, 1), {"text": str(n)})

    def read() -> set[str]:
        return {key[0] for key in Journal(path, {"seed": 0}).answers}

    return write, read


def _verification_user(path: Path):
    def write(n: int) -> None:
        RunJournal(path).append(f"key-{n}", Verified("failed", f"run {n}"), "python/x")

    def read() -> set[str]:
        return {f"python/{key.removeprefix('key-')}" for key in RunJournal(path).done}

    return write, read


@pytest.mark.parametrize("user", [_evaluation_user, _verification_user], ids=["evaluation", "verification"])
def test_a_line_cut_by_a_kill_is_never_read_and_the_rerun_appends_after_it(user, tmp_path, caplog):
    path = tmp_path / "journal.jsonl"
    write, read = user(path)
    write(1)
    whole = path.read_text()
    with path.open("a") as fh:
        fh.write(CUT if user is _evaluation_user else '{"key": "key-2", "problem_id": "python/x", "stat')
    assert read() == {"python/1"}  # the cut record is not a result
    assert "cut short by a kill" in caplog.text
    assert path.read_text().startswith(whole) and not path.read_text().endswith("\n")  # reading changed nothing
    write(3)
    lines = _lines(path)
    assert len(lines) == 4 and json.loads(lines[3])  # header, run 1, the cut line fenced off, run 3 on its own line
    assert read() == {"python/1", "python/3"}
    write(2)  # the cut one, done again
    assert read() == {"python/1", "python/2", "python/3"}


def _append_many(path: str, tag: str, n: int) -> None:
    book = JournalFile(Path(path), "verification", start_over="")
    for i in range(n):
        book.append({"key": f"{tag}-{i}", "output": tag * 3000})  # long lines: more than one pipe buffer's worth


def test_two_processes_appending_to_one_journal_never_split_a_line(tmp_path):
    """Builds share the runner cache's verification journal: each append is one write under the file's lock."""
    path = tmp_path / "runs.jsonl"
    JournalFile(path, "verification", start_over="")
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_append_many, args=(str(path), tag, 100)) for tag in "ab"]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert [w.exitcode for w in workers] == [0, 0]
    records = [r for _, r in JournalFile(path, "verification", start_over="").records]
    assert sorted(r["key"] for r in records) == sorted(f"{t}-{i}" for t in "ab" for i in range(100))


# --------------------------------------------------------------------------------------------- where journals live


def test_journal_path(tmp_path, monkeypatch):
    monkeypatch.setenv("POLYGLOT_HRM_CACHE", str(tmp_path / "cache"))
    assert journal_path() == (tmp_path / "cache" / "verified" / "runs.jsonl").resolve()
    assert journal_path(tmp_path / "results.json") == tmp_path / "results.jsonl"
    with pytest.raises(JournalError, match="a .jsonl name"):
        journal_path(tmp_path / "results.jsonl")


def test_evaluate_refuses_an_older_journal_before_running_anything(tmp_path, capsys, allow_execution):
    from polyglot_hrm.cli import main
    from polyglot_hrm.outputs import record_files

    out = tmp_path / "results.json"
    journal = tmp_path / "results.jsonl"
    journal.write_text('{"kind": "run", "settings": {"backend": "reference"}}\n')  # an earlier version's evaluate
    record_files(tmp_path, "evaluation", [journal.name])
    assert main(["evaluate", "--backend", "reference", "--languages", "python", "--limit", "1", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{journal}: a journal in an older format" in err and "--no-resume" in err
    assert not out.exists()


def test_cases_given_twice_are_refused_since_results_are_kept_by_case_id():
    from polyglot_hrm.evaluation.system import evaluate_candidates

    case = {"id": "generation/python/a", "language": "python", "slug": "a"}
    with pytest.raises(ValueError, match="id 'generation/python/a' is given twice"):
        evaluate_candidates([case, dict(case)], [[{"a.py": ""}], [{"a.py": ""}]], progress=False)
