"""Issue 25, "Bad input and faults, second round": each test reproduces a case a new user met (a disabled
timeout, a link followed out of an exercise, a solutions file of the wrong shape, a report that cannot be rerun,
a journal overwritten by its own results, a late recipe error, files unreadable to others, a traceback where a
message was due, a misleading line) and asserts what happens now: a clear message naming the thing and the fix,
exit status 2 for bad input (before any work), 1 for a fault, 130 for Ctrl-C, and nothing lost."""

from __future__ import annotations

import errno
import json
import logging
import math
import os
import stat
import sys
from pathlib import Path

import pytest

from conftest import python_exercise

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "trainer" / "recipes" / "tiny.yaml"


def _no_runs(monkeypatch):
    """Fail the test if anything is run (the check must come first)."""
    from polyglot_hrm.execution import runner

    monkeypatch.setattr(runner.Sandbox, "__init__", lambda *a, **k: pytest.fail("a run started before the check"))


# ------------------------------------------------------------------------------------ 2. nan/inf timeouts
@pytest.mark.parametrize("value", ["nan", "inf", "NaN", "Infinity"])
@pytest.mark.parametrize("command", [["run", "--problem", "python/digit-sum", "--reference"], ["validate"],
                                     ["evaluate", "--backend", "reference"]])
def test_a_nan_or_infinite_timeout_is_refused_by_every_command(command, value, capsys):
    """Before: `--timeout nan` / `inf` was taken as a limit that never fires: an infinite loop ran until it was
    killed from outside (exit 0)."""
    from polyglot_hrm.cli import main

    with pytest.raises(SystemExit) as exit_:
        main([*command, "--timeout", value])
    assert exit_.value.code == 2
    assert f"--timeout {value!r}: must be a finite number of seconds > 0" in capsys.readouterr().err


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 0, -1, True, "fast"])
def test_the_library_refuses_the_same_timeouts_in_one_place(value, monkeypatch):
    from polyglot_hrm.execution import run_many
    from polyglot_hrm.execution.timeouts import check_timeout, run_timeout
    from polyglot_hrm.scoring import score_candidates
    from polyglot_hrm.training.config import PolyglotTrainingConfig

    _no_runs(monkeypatch)
    with pytest.raises(ValueError, match=r"timeout="):
        check_timeout(value)
    with pytest.raises(ValueError, match=r"timeout="):
        run_timeout(value, None)
    with pytest.raises(ValueError, match=r"^timeout="):
        run_many([], timeout=value)
    with pytest.raises(ValueError, match=r"^timeout="):
        score_candidates([], [], timeout=value)
    with pytest.raises(ValueError, match=r"PolyglotTrainingConfig.eval_timeout="):
        PolyglotTrainingConfig(eval_timeout=value)
    assert check_timeout("auto") == "auto" and check_timeout(5) == 5.0


def test_a_run_task_with_a_nan_timeout_is_refused_before_running(mini_problems, monkeypatch):
    from polyglot_hrm.execution import RunTask, run_many

    _no_runs(monkeypatch)
    with pytest.raises(ValueError, match=r"RunTask\(python/.*\)\.timeout=nan"):
        run_many([RunTask(next(p for p in mini_problems if p.language == "python"), mode="reference",
                          timeout=math.nan)])


# ------------------------------------------------------------------------------------ 3. links out of an exercise
def _track(tmp_path: Path) -> Path:
    """A one-exercise Python track checkout."""
    root = tmp_path / "track"
    root.mkdir()
    (root / "config.json").write_text(json.dumps({"slug": "python", "exercises": {"practice": []}}))
    python_exercise(root / "exercises" / "practice" / "greet")
    return root


def _listing(exercise: Path, **extra: list[str]) -> None:
    config_path = exercise / ".meta" / "config.json"
    config = json.loads(config_path.read_text())
    for key, paths in extra.items():
        config["files"][key] = paths
    config_path.write_text(json.dumps(config))


def test_a_listed_file_behind_a_link_out_of_the_exercise_is_never_read(tmp_path, caplog):
    """Before: `etclink -> /etc` with `etclink/hostname` listed as an editor file put the host's /etc/hostname
    into the problem (and the dataset rows that may be pushed)."""
    from polyglot_hrm.problems import BenchmarkError, PolyglotBenchmarkExtractor

    root = _track(tmp_path)
    exercise = root / "exercises" / "practice" / "greet"
    (exercise / "etclink").symlink_to("/etc")
    _listing(exercise, editor=["etclink/hostname"])
    extractor = PolyglotBenchmarkExtractor(root)
    with caplog.at_level(logging.WARNING):
        assert extractor.extract() == []  # the one exercise is skipped, not read
    [(path, reason)] = extractor.report.skipped
    assert path == str(exercise)
    assert "etclink/hostname: a link out of the exercise folder (to /etc/hostname)" in reason
    with pytest.raises(BenchmarkError, match="a link out of the exercise folder"):
        PolyglotBenchmarkExtractor(root, strict=True).extract()


@pytest.mark.parametrize("role", ["test", "solution"])
def test_a_listed_file_that_is_itself_a_link_out_is_refused(role, tmp_path):
    from polyglot_hrm.problems import BenchmarkError, read_exercise

    exercise = python_exercise(tmp_path / "greet")
    name = {"test": "greet_test.py", "solution": "greet.py"}[role]
    secret = tmp_path / "secret.txt"
    secret.write_text("host secret\n")
    (exercise / name).unlink()
    (exercise / name).symlink_to(secret)
    with pytest.raises(BenchmarkError, match=rf"{name}: a link out of the exercise folder \(to {secret}\)"):
        read_exercise(exercise, "python")


def test_unlisted_links_out_are_left_out_counted_and_named_and_links_inside_are_kept(tmp_path, capsys):
    from polyglot_hrm.problems import PolyglotBenchmarkExtractor
    from polyglot_hrm.cli import main

    root = _track(tmp_path)
    exercise = root / "exercises" / "practice" / "greet"
    secret = tmp_path / "secret.txt"
    secret.write_text("host secret\n")
    (exercise / "notes.txt").symlink_to(secret)
    (exercise / "data").mkdir()
    (exercise / "data" / "words.txt").write_text("hello\n")
    (exercise / "words.txt").symlink_to("data/words.txt")  # inside the exercise: fine
    (exercise / "elsewhere").symlink_to(tmp_path)  # a linked folder: never walked
    extractor = PolyglotBenchmarkExtractor(root)
    [problem] = extractor.extract()
    support = {f.path: f.content for f in problem.files_with_role("support")}
    assert support == {"data/words.txt": "hello\n", "words.txt": "hello\n"}
    assert not any("host secret" in f.content for f in problem.files)
    assert extractor.report.links_skipped == [str(exercise / "notes.txt")]
    assert main(["stats", "--benchmark-root", str(root)]) == 0


def test_dot_dot_paths_are_still_refused(tmp_path):
    """Refused before this issue too (the file was read, then refused); now refused before it is touched."""
    from polyglot_hrm.problems import BenchmarkError, read_exercise

    exercise = python_exercise(tmp_path / "greet")
    (tmp_path / "outside.py").write_text("x = 1\n")
    _listing(exercise, editor=["../outside.py"])
    with pytest.raises(BenchmarkError, match=r"files.editor lists '../outside.py', a path outside the exercise"):
        read_exercise(exercise, "python")


def test_a_huge_test_file_is_refused_with_its_size(tmp_path):
    """Before: a 30 MB test file was read silently (and copied into every dataset row of the exercise)."""
    from polyglot_hrm.problems import BenchmarkError, read_exercise

    exercise = python_exercise(tmp_path / "greet")
    with open(exercise / "greet_test.py", "r+b") as handle:
        handle.truncate(30 * 1000 * 1000)  # sparse: nothing written
    with pytest.raises(BenchmarkError, match=r"greet_test.py: 30.0 MB, over the 2 MiB an exercise file may have"):
        read_exercise(exercise, "python")


# ------------------------------------------------------------------------------------ 4. solutions of the wrong shape
SOLUTIONS = {
    "misspelt key": ('{"python/digit-sum": [{"filez": {"digit_sum.py": "x"}}]}',
                     r"python/digit-sum\[0\]: 'filez' holds a dict, so it is neither a file"),
    "content 42": ('{"python/digit-sum": [{"files": {"digit_sum.py": 42}}]}',
                   r"python/digit-sum\[0\].files\['digit_sum.py'\] is an int \(42\), not text"),
    "content NaN": ('{"python/digit-sum": [{"files": {"digit_sum.py": NaN}}]}',
                    r"python/digit-sum\[0\].files\['digit_sum.py'\] is NaN, not text"),
    "bare content 42": ('{"python/digit-sum": [{"digit_sum.py": 42}]}',
                        r"python/digit-sum\[0\]\[.digit_sum.py.\] is an int \(42\), not text"),
    "files and edit": ('{"python/digit-sum": [{"files": {"digit_sum.py": "x"}, "edit": "y"}]}',
                       r"python/digit-sum\[0\]: Can't provide both \"files\" and \"edit\""),
    "edit not text": ('{"python/digit-sum": [{"edit": ["x"]}]}', r"python/digit-sum\[0\].edit is a list"),
    "a number": ('{"python/digit-sum": [7]}', r"python/digit-sum\[0\] is an int \(7\); a candidate is"),
    "bare string": ('{"python/digit-sum": "def digit_sum(n):\\n    return 0\\n"}',
                    r"python/digit-sum is a bare string without a SEARCH/REPLACE block"),
    "duplicated id": ('{"python/digit-sum": [{"files": {"digit_sum.py": "a"}}], '
                      '"python/digit-sum": [{"files": {"digit_sum.py": "b"}}]}',
                      r"'python/digit-sum' appears twice in one JSON object"),
}


@pytest.mark.parametrize("case", list(SOLUTIONS))
def test_a_solutions_file_of_the_wrong_shape_is_exit_2_naming_the_id_and_field(case, tmp_path, monkeypatch, capsys):
    """Before: each of these scored 0 silently (status `error`, or the last of two ids kept), exit 0."""
    from polyglot_hrm.cli import main
    from polyglot_hrm.evaluation import commands  # where cmd_evaluate looks load_cases up

    text, message = SOLUTIONS[case]
    solutions = tmp_path / "solutions.json"
    solutions.write_text(text)
    monkeypatch.setattr(commands, "load_cases", lambda *a, **k: pytest.fail("cases loaded before the check"))
    _no_runs(monkeypatch)
    assert main(["evaluate", "--solutions", str(solutions), "-o", str(tmp_path / "out" / "results.json")]) == 2
    err = capsys.readouterr().err
    assert str(solutions) in err
    assert __import__("re").search(message, err), err


def test_valid_solution_forms_still_load():
    from polyglot_hrm.evaluation.cases import load_solutions

    edit = "digit_sum.py\n```\n<<<<<<< SEARCH\n    pass\n=======\n    return 0\n>>>>>>> REPLACE\n```\n"
    loaded = load_solutions({"a": [{"files": {"x.py": "1"}}, {"edit": edit}, {"x.py": "2"}, "no block here"],
                             "b": edit, "c": {"files": {"x.py": "3"}}, "d": []})
    assert loaded == {"a": [{"x.py": "1"}, edit, {"x.py": "2"}, "no block here"], "b": [edit], "c": [{"x.py": "3"}],
                      "d": []}


@pytest.mark.parametrize("content", [42, math.nan, None])
def test_the_metric_refuses_non_text_content_before_running(content, monkeypatch):
    """Before: the metric scored {"digit_sum.py": 42} or NaN as a malformed answer (pass@1 0), no error."""
    import evaluate

    from polyglot_hrm.problems import mini_benchmark_root

    _no_runs(monkeypatch)
    metric = evaluate.load(str(REPO / "metrics" / "polyglot_exec"))
    ref = {"problem_id": "python/digit-sum", "benchmark_root": str(mini_benchmark_root())}
    with pytest.raises(ValueError, match=r"predictions\[0\]\[1\] \(python/digit-sum\)\['digit_sum.py'\] is "):
        metric.compute(predictions=[[{"digit_sum.py": "x"}, {"digit_sum.py": content}]], references=[ref])


# ------------------------------------------------------------------------------------ 5. a report cut short
def _one_record_results():
    from polyglot_hrm.evaluation.results import results_from_records

    record = {"id": "python/x", "problem_id": "python/x", "task": "generation", "language": "python",
              "source_language": None, "difficulty": "easy", "edit_type": None, "stub_passes": False,
              "candidates": [{"status": "passed", "kind": "files", "well_formed": True, "applies": True,
                              "compiled": True, "edited_chars": 1, "efficiency": 1.0, "diff_quality": None,
                              "duration_s": 0.1}]}
    return results_from_records([record], [1], {"mode": "solutions"})


def test_a_report_cut_short_by_a_full_disk_can_be_rerun(tmp_path, monkeypatch):
    """Before: per_language.png was written, by_difficulty.png hit ENOSPC, and the rerun was refused with
    "per_language.png ... was not written by polyglot-hrm" (charts joined the manifest only after all
    succeeded)."""
    from polyglot_hrm.evaluation import report

    results = _one_record_results()
    real = report._difficulty_chart

    def disk_full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(report, "_difficulty_chart", disk_full)
    with pytest.raises(OSError, match="No space left"):
        report.write_report(results, tmp_path)
    assert (tmp_path / "per_language.png").is_file()  # half done
    monkeypatch.setattr(report, "_difficulty_chart", real)
    paths = report.write_report(results, tmp_path)  # space freed: the same call now succeeds
    assert paths["html"].is_file() and (tmp_path / "by_difficulty.png").is_file()
    mine = tmp_path / "other" / "report.md"
    mine.parent.mkdir()
    mine.write_text("my own report\n")
    with pytest.raises(report.OutputError, match="not written by polyglot-hrm"):
        report.write_report(results, mine.parent)  # a file this project did not write is still never overwritten
    assert mine.read_text() == "my own report\n"


# ------------------------------------------------------------------------------------ 6. -o results.jsonl
@pytest.mark.parametrize("name", ["results.jsonl", "RESULTS.JSONL"])
def test_an_output_named_like_its_own_journal_is_refused_before_any_work(name, tmp_path, monkeypatch, capsys):
    """Before: `-o results.jsonl` made the journal and the results one file: the results JSON overwrote the
    journal, and the rerun said "journal is damaged". Refused (rather than moving the journal elsewhere): the
    results are one JSON document, not JSON lines, and one rule (the output's name with .jsonl) keeps every
    existing journal resumable."""
    from polyglot_hrm.cli import main
    from polyglot_hrm.evaluation import commands  # where cmd_evaluate looks load_cases up
    from polyglot_hrm.execution.journal import JournalError, journal_path

    monkeypatch.setattr(commands, "load_cases", lambda *a, **k: pytest.fail("cases loaded before the check"))
    output = tmp_path / name
    assert main(["evaluate", "--backend", "reference", "-o", str(output)]) == 2
    err = capsys.readouterr().err
    assert f"--output {output}: a .jsonl name is where the journal of the results goes" in err
    assert str(output.with_suffix(".json")) in err and not output.exists()
    with pytest.raises(JournalError, match=r"^output="):
        journal_path(output)
    assert journal_path(tmp_path / "results.json") == tmp_path / "results.jsonl"


# ------------------------------------------------------------------------------------ 7. recipes checked up front
def _train_script():
    sys.path.insert(0, str(REPO / "trainer"))
    import train as train_script

    return train_script


RECIPE_ERRORS = {
    "training_args.learning_rate=-1.0": r"training_args.learning_rate=-1.0: must be a finite number > 0",
    "training_args.learning_rate=0.0": r"training_args.learning_rate=0.0: must be a finite number > 0",
    "training_args.learning_rate=.nan": r"training_args.learning_rate=nan: must be a finite number > 0",
    "polyglot.vocab_size=10": r"override 'polyglot.vocab_size=10': PolyglotTrainingConfig.vocab_size=10 is too small "
                              r"for a byte-level BPE: .* need vocab_size >= \d+",
    "model.hidden_size=65536": r"override 'model.hidden_size=65536': model.hidden_size=65536, .* makes a model of "
                               r"43.14B parameters; training it needs at least 690.2 GB \(16 bytes per parameter",
    "model.vocab_size=100": r"model.vocab_size is set from the tokenizer .* remove it and set polyglot.vocab_size",
    "model.pad_token_id=5": r"model.pad_token_id is set from the tokenizer",
    "polyglot.max_sequence_length=4096": r"polyglot.max_sequence_length=4096 is above "
                                         r"model.max_position_embeddings=1280",
}


@pytest.mark.parametrize("override", list(RECIPE_ERRORS))
def test_recipe_values_that_cannot_train_are_refused_before_any_data(override, tmp_path, monkeypatch, capsys):
    """Before: learning_rate=-1.0 was a torch ValueError traceback after the data and tokenizer were built;
    vocab_size=10 failed late in the tokenizer; hidden_size=65536 tried a 17 GB allocation; model.vocab_size=100
    was replaced by the tokenizer's length silently; max_sequence_length 4096 above 1280 positions was accepted."""
    from polyglot_hrm.training import data
    from polyglot_hrm.training.config import RecipeError, load_recipe

    monkeypatch.setattr(data, "load_rows", lambda *a, **k: pytest.fail("data built before the check"))
    with pytest.raises(RecipeError, match=RECIPE_ERRORS[override]):
        load_recipe(TINY, [override])
    out = tmp_path / "run"
    assert _train_script().main(["--recipe", str(TINY), "--output-dir", str(out), override]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and override.split("=")[0] in err and not out.exists()


def test_the_memory_bound_uses_the_training_device_and_passes_the_shipped_recipes(monkeypatch):
    from polyglot_hrm.training import config

    for name in ("tiny", "hrm-27m"):
        config.load_recipe(name)
    monkeypatch.setattr(config, "training_memory", lambda use_cpu=False: (10 ** 9, "GPU 0 (small)"))
    with pytest.raises(config.RecipeError, match=r"needs at least 2.7 GB .* and GPU 0 \(small\) has 1.0 GB"):
        config.load_recipe("hrm-27m", ["model.hidden_size=2048"])


# ------------------------------------------------------------------------------------ 8. the umask
@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_an_export_honours_the_umask(tmp_path, umask_022):
    """Before: with umask 022 the export folder was 0700 and README.md 0600 (a temporary folder and file renamed
    into place), so a shared export was unreadable to others."""
    from polyglot_hrm.dataset.export import export

    out = tmp_path / "export"
    export(None, out, configs=["generation"], cache_dir=str(tmp_path / "cache"), verify_by_execution=False,
           languages="python")
    assert _mode(out) == 0o755
    files = [p for p in out.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"README.md", ".polyglot-hrm.json", "train-00000-of-00001.parquet"}
    assert {p.name: _mode(p) for p in files} == {p.name: 0o644 for p in files}


def test_reports_and_atomic_writes_honour_the_umask(tmp_path, umask_022):
    """Before: results.json, report.md, report.html and the PNG charts were 0600."""
    from polyglot_hrm.evaluation import write_report
    from polyglot_hrm.outputs import atomic_write_text

    paths = write_report(_one_record_results(), tmp_path / "report")
    assert {p.name: _mode(p) for p in paths.values()} == {p.name: 0o644 for p in paths.values()}
    os.umask(0o027)
    assert _mode(atomic_write_text(tmp_path / "x.json", "{}")) == 0o640


def test_saved_weights_honour_the_umask(tmp_path, umask_022):
    """Before: model.safetensors (final model and checkpoints) was 0600: safetensors writes it through a
    temporary file."""
    from transformers import TrainingArguments

    from hrm_modeling import HRMConfig, HRMForCausalLM
    from polyglot_hrm.training.trainer import PolyglotTrainer

    model = HRMForCausalLM(HRMConfig(vocab_size=300, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                     num_attention_heads=4, max_position_embeddings=64))
    args = TrainingArguments(output_dir=str(tmp_path / "run"), use_cpu=True, report_to="none")
    PolyglotTrainer(model=model, args=args).save_model(str(tmp_path / "run"))
    weights = tmp_path / "run" / "model.safetensors"
    assert _mode(weights) == 0o644 and _mode(tmp_path / "run" / "config.json") == 0o644


# ------------------------------------------------------------------------------------ 9. faults as messages
def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device", "/data/cache/x.arrow")


def _build_disk_full(*args, **kwargs):
    from datasets.exceptions import DatasetGenerationError

    try:
        _disk_full()
    except OSError as err:
        raise DatasetGenerationError("An error occurred while generating the dataset") from err


def _interrupt(*args, **kwargs):
    raise KeyboardInterrupt


@pytest.mark.parametrize("fault,status,words", [(_build_disk_full, 1, "no space left on the disk writing "
                                                 "/data/cache/x.arrow"), (_interrupt, 130, "interrupted")])
@pytest.mark.parametrize("command", ["build", "export"])
def test_a_full_disk_or_ctrl_c_during_build_or_export_is_a_message(command, fault, status, words, tmp_path,
                                                                    monkeypatch, capsys):
    """Before: a full disk during `build` gave three chained tracebacks ending in DatasetGenerationError (exit 1),
    during `export` an OSError traceback; Ctrl-C a KeyboardInterrupt traceback and exit -2, no resume hint."""
    from polyglot_hrm.cli import main
    from polyglot_hrm.dataset import export as export_module

    monkeypatch.setattr(export_module, "build_datasets", fault)
    argv = [command, "--verify", "off"] + (["--out", str(tmp_path / "out")] if command == "export" else [])
    assert main(argv) == status
    err = capsys.readouterr().err
    assert words in err and "rerun the same command" in err and "Traceback" not in err
    if command == "export":
        assert "an earlier export there is unchanged" in err and not (tmp_path / "out").exists()


def test_a_full_disk_while_writing_an_export_is_a_message(tmp_path, monkeypatch, capsys):
    from polyglot_hrm.cli import main
    from polyglot_hrm.dataset import export as export_module

    monkeypatch.setattr(export_module, "_write_export", _disk_full)
    argv = ["export", "--verify", "off", "--configs", "generation", "--languages", "python", "--out",
            str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache")]
    assert main(argv) == 1
    assert "no space left on the disk" in capsys.readouterr().err
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out.partial-*"))


@pytest.mark.parametrize("fault,status,words", [
    (_interrupt, 130, "interrupted; rerun with --resume-from-checkpoint auto"),
    (lambda *a, **k: (_ for _ in ()).throw(RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos "
                                                        "13120 vs 13008")), 1, "writing a file failed"),
    (_disk_full, 1, "no space left on the disk")])
def test_a_full_disk_or_ctrl_c_during_training_is_a_message(fault, status, words, tmp_path, monkeypatch, capsys):
    """Before: a full disk while saving a checkpoint gave torch's `inline_container.cc ... unexpected pos`
    traceback; Ctrl-C a KeyboardInterrupt traceback, exit -2 and no resume hint."""
    train_script = _train_script()
    monkeypatch.setattr(train_script, "train", fault)
    out = tmp_path / "run"
    assert train_script.main(["--recipe", str(TINY), "--output-dir", str(out)]) == status
    err = capsys.readouterr().err
    assert words in err and f"newest complete checkpoint in {out}" in err and "Traceback" not in err


@pytest.mark.parametrize("command", [["run", "--problem", "python/digit-sum", "--reference"], ["validate"],
                                     ["evaluate", "--backend", "reference"], ["setup-runners"], ["doctor"]])
def test_a_runner_cache_that_is_a_file_is_named(command, tmp_path, monkeypatch, capsys):
    """Before: `run` and `evaluate` crashed with NotADirectoryError tracebacks; `doctor` said "run setup-runners",
    the wrong fix."""
    from polyglot_hrm.cli import main

    cache = tmp_path / "cache"
    cache.write_text("not a folder\n")
    monkeypatch.setenv("POLYGLOT_HRM_CACHE", str(cache))
    monkeypatch.chdir(tmp_path)
    _no_runs(monkeypatch)
    assert main(command) == (1 if command == ["doctor"] else 2)
    out = capsys.readouterr()
    text = out.out + out.err
    assert f"$POLYGLOT_HRM_CACHE={cache}: {cache} is a file, not a folder" in text
    assert "run `polyglot-hrm setup-runners" not in text
    assert cache.read_text() == "not a folder\n"


def test_run_many_names_a_runner_cache_under_a_file(tmp_path, mini_problems, monkeypatch):
    from polyglot_hrm.execution import RunTask, run_many
    from polyglot_hrm.execution.provision import RunnerCacheError

    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("POLYGLOT_HRM_CACHE", str(tmp_path / "file" / "runners"))
    _no_runs(monkeypatch)
    with pytest.raises(RunnerCacheError, match=r"is under .*/file, a file, not a folder"):
        run_many([RunTask(mini_problems[0], mode="reference")])


@pytest.fixture
def read_only_hf_home(monkeypatch):
    """HF_HOME in sysfs, where nothing can be created (even by root); datasets reads its cache path at import."""
    import datasets.config

    monkeypatch.setenv("HF_HOME", "/sys/polyglot-hrm-test-hf")
    monkeypatch.delenv("HF_DATASETS_CACHE", raising=False)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", Path("/sys/polyglot-hrm-test-hf/datasets"))


@pytest.mark.parametrize("command", ["build", "export"])
def test_a_read_only_hf_home_is_named_before_any_work(command, read_only_hf_home, tmp_path, capsys):
    """Before: `build` and `export` ended in a PermissionError traceback from datasets' builder."""
    from polyglot_hrm.cli import main

    argv = [command, "--verify", "off"] + (["--out", str(tmp_path / "out")] if command == "export" else [])
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert ("datasets cache /sys/polyglot-hrm-test-hf/datasets (chosen by $HF_HOME=/sys/polyglot-hrm-test-hf): not "
            "writable") in err and "--cache-dir DIR" in err


def test_a_read_only_hf_home_stops_training_before_any_work(read_only_hf_home, tmp_path, monkeypatch, capsys):
    from polyglot_hrm.training import data

    monkeypatch.setattr(data, "load_rows", lambda *a, **k: pytest.fail("data built before the check"))
    out = tmp_path / "run"
    assert _train_script().main(["--recipe", str(TINY), "--output-dir", str(out)]) == 2
    assert "datasets cache /sys/polyglot-hrm-test-hf/datasets" in capsys.readouterr().err and not out.exists()


def test_push_without_a_network_is_a_message(tmp_path):
    """Before: a ConnectError traceback (exit 1)."""
    import subprocess

    from polyglot_hrm.dataset.export import export

    out = tmp_path / "export"
    export(None, out, configs=["generation"], cache_dir=str(tmp_path / "cache"), verify_by_execution=False,
           languages="python")
    env = {**os.environ, "HF_ENDPOINT": "http://127.0.0.1:9", "HF_HOME": str(tmp_path / "hf"),
           "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "polyglot_hrm.cli", "push", "--repo-id", "someone/data",
                           "--export-dir", str(out)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr[-2000:]
    assert "could not reach the Hub at http://127.0.0.1:9" in done.stderr and "rerun the same command" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("rows,message", [
    ([1, 2, 3], r"problem \[0\]: is an int \(1\), not a problem object"),
    ([{"id": "python/x", "language": "python", "slug": "x"}], r"problem \[0\] \(python/x\): has no `instructions`"),
    ([{"language": "python", "slug": "x", "instructions": "", "files": [{"path": "x.py", "role": "solution"}]}],
     r"problem \[0\]: files\[0\].content is missing"),
])
def test_a_problems_file_of_ints_or_partial_problems_is_a_message(rows, message, tmp_path, capsys):
    """Before: `--problems-json` with a list of ints was a TypeError traceback, partial problems a KeyError."""
    from polyglot_hrm.cli import main

    problems = tmp_path / "problems.json"
    problems.write_text(json.dumps(rows))
    assert main(["evaluate", "--problems-json", str(problems), "--backend", "reference",
                 "-o", str(tmp_path / "out" / "results.json")]) == 2
    err = capsys.readouterr().err
    assert __import__("re").search(message, err) and "polyglot-hrm extract" in err


# ------------------------------------------------------------------------------------ 10. misleading messages
def test_an_empty_model_folder_says_what_it_is(tmp_path, monkeypatch, capsys):
    """Before: `--model <empty folder>` failed in the tokenizer loader, suggesting to install sentencepiece or
    tiktoken."""
    from polyglot_hrm.cli import main
    from polyglot_hrm.evaluation import commands  # where cmd_evaluate looks load_cases up

    monkeypatch.setattr(commands, "load_cases", lambda *a, **k: pytest.fail("cases loaded before the check"))
    folder = tmp_path / "model"
    folder.mkdir()
    assert main(["evaluate", "--model", str(folder), "-o", str(tmp_path / "out" / "results.json")]) == 2
    err = capsys.readouterr().err
    assert f"--model {folder}: a folder without config.json (empty), so not a saved model" in err
    assert "sentencepiece" not in err


@pytest.mark.parametrize("configs,hint", [("generation", "'generation'"), ("generation,transfer", "'generation'"),
                                          ("transfer,diff_edit", "'diff_edit'")])
def test_exports_load_hint_names_a_config_it_exported(configs, hint, tmp_path, monkeypatch, capsys):
    """Before: `export --configs generation` ended with "load with load_dataset(out, "diff_edit")", a config it
    did not export."""
    from polyglot_hrm.cli import main
    from polyglot_hrm.dataset import export as export_module

    names = configs.split(",")
    report = export_module.ExportReport(tmp_path, counts={n: {"train": 1} for n in names})
    monkeypatch.setattr(export_module, "export", lambda *a, **k: report)
    assert main(["export", "--configs", configs, "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert f"load with datasets.load_dataset({str(tmp_path / 'out')!r}, {hint})" in out


@pytest.mark.parametrize("value", ["0", "-2", "1.5"])
@pytest.mark.parametrize("command", [["validate"], ["evaluate", "--backend", "reference"]])
def test_jobs_below_one_is_a_usage_error_before_any_work(command, value, capsys):
    """Before: `--jobs -2` said "max_workers must be greater than 0" after loading every case, and `--jobs 0` was
    silently the default."""
    from polyglot_hrm.cli import main

    with pytest.raises(SystemExit) as exit_:
        main([*command, "--jobs", value])
    assert exit_.value.code == 2 and f"argument --jobs: {value!r}: " in capsys.readouterr().err


@pytest.mark.parametrize("jobs", [0, -2, 1.5, True])
def test_the_library_refuses_the_same_jobs(jobs):
    from polyglot_hrm.execution import LocalExecutor, make_executor

    with pytest.raises(ValueError, match=rf"jobs={jobs!r}: the number of parallel runs, an integer >= 1"):
        make_executor("local", jobs)
    with pytest.raises(ValueError, match=r"jobs="):
        LocalExecutor(jobs)


def test_a_blank_pass_at_k_says_why():
    """Before: `--k 5` with one candidate per case printed `-` with no word why."""
    from polyglot_hrm.evaluation.report import summary_table
    from polyglot_hrm.evaluation.results import results_from_records

    record = _one_record_results().cases[0]
    table = summary_table(results_from_records([record], [1, 5], {"mode": "solutions"}))
    assert "pass@5: '-' because a case has fewer candidates than k (as few as 1)" in table
    assert "draw 5 or more samples per case (`num_samples`;" in table
    assert "because" not in summary_table(_one_record_results())


def test_k_above_num_samples_is_warned_before_generating(tmp_path, monkeypatch, caplog):
    from polyglot_hrm.cli import main
    from polyglot_hrm.evaluation import commands  # where cmd_evaluate looks load_cases up

    monkeypatch.setattr(commands, "load_cases", lambda *a, **k: (_ for _ in ()).throw(ValueError("stop here")))
    with caplog.at_level(logging.WARNING):
        assert main(["evaluate", "--backend", "reference", "--k", "1,5", "-o", str(tmp_path / "r.json")]) == 2
    assert "--k 1,5 with --num-samples 1: pass@k needs k samples per case, so pass@5 will show '-'" in caplog.text


def test_help_shows_no_restructuredtext_markup(capsys):
    """Before: the top-level `--help` read "The ``polyglot-hrm`` command line."."""
    from polyglot_hrm.problems.__main__ import main as benchmark_main
    from polyglot_hrm.cli import build_parser
    from polyglot_hrm.evaluation.__main__ import main as evaluation_main

    texts = [build_parser().format_help()]
    for entry in (benchmark_main, evaluation_main):
        with pytest.raises(SystemExit):
            entry(["--help"])
        texts.append(capsys.readouterr().out)
    parser = build_parser()
    texts += [choice.format_help() for choice in parser._subparsers._group_actions[0].choices.values()]
    for text in texts:
        assert "``" not in text and ":func:" not in text and ":mod:" not in text, text[:300]
    assert "The polyglot-hrm command line." in texts[0]


@pytest.mark.parametrize("environ,level,prefix", [({}, logging.INFO, ""), ({"RANK": "0", "WORLD_SIZE": "2"},
                                                   logging.INFO, "[rank 0/2] "),
                                                  ({"RANK": "1", "WORLD_SIZE": "2"}, logging.WARNING, "[rank 1/2] ")])
def test_multi_process_training_logs_say_the_rank_and_info_once(environ, level, prefix):
    """Before: `accelerate launch` with two processes printed every INFO line twice, with no rank prefix."""
    got_level, fmt = _train_script().log_settings(environ)
    assert got_level == level and fmt.startswith(f"%(asctime)s {prefix}%(levelname)s")


def test_evaluate_checks_the_execution_opt_in_before_generating(tmp_path, monkeypatch, capsys):
    """Before: `evaluate --model ...` without the opt-in loaded the model and generated every answer, then
    refused to run them."""
    from polyglot_hrm.cli import main
    from polyglot_hrm.evaluation import commands

    for name in ("POLYGLOT_HRM_ALLOW_CODE_EXECUTION", "HF_ALLOW_CODE_EVAL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(commands, "make_backend", lambda args: pytest.fail("a backend was made before the check"))
    assert main(["evaluate", "--backend", "reference", "--output", str(tmp_path / "r.json")]) == 2
    assert "POLYGLOT_HRM_ALLOW_CODE_EXECUTION=1" in capsys.readouterr().err
    assert not (tmp_path / "r.jsonl").exists()


def test_a_failed_maven_fetch_is_one_warning_without_terminal_codes(tmp_path, monkeypatch, caplog):
    """Before: `setup-runners` passed Maven's output straight to the terminal, escape codes included, and a failed
    fetch said only that `mvn` returned non-zero."""
    import subprocess

    from polyglot_hrm.languages import get_language
    from polyglot_hrm.languages.context import RunnerContext

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "mvn").write_text("#!/bin/sh\nprintf '\\033[1;31m[ERROR]\\033[m Could not resolve x:y:1\\n'\nexit 1\n")
    (bin_dir / "mvn").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setenv("POLYGLOT_HRM_CACHE", str(tmp_path / "cache"))
    with caplog.at_level(logging.WARNING), pytest.raises(subprocess.CalledProcessError):
        get_language("java").provision(RunnerContext(), [])
    assert "[ERROR] Could not resolve x:y:1" in caplog.text
    assert "\x1b" not in caplog.text
    assert not any(p.name.endswith(".partial") or ".partial" in p.name for p in (tmp_path / "cache").rglob("*"))


#: What each tool printed about a passing reference, counting the run's canaries in.
CANARY_COUNTS = {"python": ["failed, ", "FAILURES"], "javascript": ["Tests:", "Test Suites:", "FAIL ./"],
                 "go": ["\nFAIL"], "rust": ["test result:", "running "], "java": ["tests failed", "Failures ("],
                 "cpp": ["test cases:"]}


@pytest.mark.slow
@pytest.mark.parametrize("language", sorted(CANARY_COUNTS))
def test_a_passed_runs_output_shows_the_exercises_counts_not_the_canaries(language, mini_problems, allow_execution):
    """Before: a passed run's output read "4 failed, 7 passed" (pytest), "Tests: 3 failed, 7 passed, 10 total"
    (Jest), "test result: FAILED. 7 passed; 1 failed" (Rust), "4 tests failed" (Java), a final "FAIL" (Go): the
    canaries' own counts."""
    from polyglot_hrm.execution import run_problem

    problem = next(p for p in mini_problems if p.language == language)
    result = run_problem(problem, mode="reference")
    assert result.status == "passed", result.output
    total = result.tests_total
    assert f"[polyglot-hrm] the exercise's tests: {total} passed, 0 failed, {total} total" in result.output
    tool_output = result.output.split("[polyglot-hrm]")[0]
    for text in CANARY_COUNTS[language]:
        assert text not in "\n" + tool_output, (text, result.output)


# ------------------------------------------------------------------------------------ 11. the dataset card
@pytest.fixture(scope="module")
def mini_built(tmp_path_factory):
    from polyglot_hrm.dataset.export import build_datasets

    return build_datasets(None, ["generation"], str(tmp_path_factory.mktemp("cache")), verify_by_execution=False,
                          languages="python")


def _card(built, sources=None):
    import yaml

    from polyglot_hrm.dataset.card import dataset_card

    text = dataset_card(built, {}, sources=sources)
    return yaml.safe_load(text.split("---\n")[1]), text.split("---\n", 2)[2]


def test_the_mini_benchmark_card_does_not_claim_to_be_aiders_benchmark(mini_built):
    """Before: an export of the mini-benchmark called itself "Training data made from Aider's polyglot
    benchmark: N Exercism exercises", with Aider's citation and Exercism's licence, and had no size_categories."""
    header, body = _card(mini_built)
    intro = body.split("\n\n")[1]
    assert intro.startswith("Training data made from polyglot-hrm's built-in mini-benchmark: 5 exercises in Python")
    assert "Aider's polyglot benchmark](" not in body.split("## Source")[0] and "Exercism exercises" not in body
    assert "**This is not Aider's benchmark, nor Exercism's exercises.**" in body
    assert "@misc{aider_polyglot_benchmark" not in body and "copyright Exercism" not in body
    assert header["license"] == "mit" and header["size_categories"] == ["n<1K"]
    assert "aider" not in header["tags"] and "exercism" not in header["tags"]


def test_cards_of_other_sources_say_what_they_are(mini_built):
    from polyglot_hrm.dataset.card import CardSource

    header, body = _card(mini_built, [CardSource("polyglot-benchmark", "aider"), CardSource("exercism/go", "exercism")])
    assert body.split("\n\n")[1].startswith("Training data made from [Aider's polyglot benchmark]("
                                            "https://github.com/Aider-AI/polyglot-benchmark) and Exercism's go track: "
                                            "5 Exercism exercises")
    assert "@misc{aider_polyglot_benchmark" in body and "copyright Exercism" in body
    assert header["license"] == "mit" and {"aider", "exercism"} <= set(header["tags"])
    header, body = _card(mini_built, [CardSource("my-tree", "other")])
    assert header["license"] == "other" and "check it before publishing" in body
    assert "Where the exercises of `my-tree` come from is not recorded" in body


def test_card_sources_tell_the_benchmark_a_track_the_mini_benchmark_and_other_trees(tmp_path, mini_root):
    from polyglot_hrm.dataset.card import CardSource, card_sources, size_category

    track = _track(tmp_path)
    aider = tmp_path / "polyglot-benchmark"
    clone = tmp_path / "checkout"
    other = tmp_path / "mine"
    for root in (aider, clone, other):
        python_exercise(root / "python" / "exercises" / "practice" / "greet")
    (clone / ".git").mkdir()
    (clone / ".git" / "config").write_text('[remote "origin"]\n\turl = https://github.com/Aider-AI/polyglot-benchmark\n')
    roots = [mini_root, track, aider, clone, other]
    assert [s.kind for s in card_sources(roots)] == ["mini", "exercism", "aider", "aider", "other"]
    assert card_sources(None) == [CardSource("mini_benchmark", "mini")]
    assert [size_category(n) for n in (0, 999, 1000, 54_321, 2_000_000, 20_000_000)] == \
        ["n<1K", "n<1K", "1K<n<10K", "10K<n<100K", "1M<n<10M", "n>10M"]


@pytest.mark.parametrize("environ", [{}, {"RANK": "0", "WORLD_SIZE": "2"}, {"RANK": "1", "WORLD_SIZE": "2"}])
def test_a_refused_training_run_under_a_launcher_says_which_rank_and_what_the_launcher_traceback_is(environ):
    """Before: under `accelerate launch` (two processes) rerunning into an earlier run's --output-dir printed the
    same `train.py: error:` line twice with no rank, then 30 lines of torchrun's ChildFailedError traceback, whose
    last line ("To enable traceback see ...") pointed away from the cause."""
    text = _train_script().usage_error_text(ValueError("output_dir=runs/tiny holds an earlier run"), environ)
    world = int(environ.get("WORLD_SIZE", "1"))
    first = text.splitlines()[0]
    assert first.endswith("error: --output-dir runs/tiny holds an earlier run")
    if world == 1:
        assert text == "train.py: error: --output-dir runs/tiny holds an earlier run"
    else:
        assert first.startswith(f"train.py [rank {environ['RANK']}/2]: error:")
        assert ("ChildFailedError" in text) == (environ["RANK"] == "0")
