"""Issue 19, "Nothing lost": each test reproduces a trigger that used to lose or damage something (a user's files
overwritten, checkpoints deleted, a half-written checkpoint resumed, results lost at the last step, a late or
silent config error, a damaged cache loaded) and asserts what happens now."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from polyglot_hrm.outputs import MANIFEST, NotOursError, read_manifest

from conftest import run_command

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "trainer" / "recipes" / "tiny.yaml"


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------------------------ 1. outputs: export
@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("datasets")


EXPORT_OPTIONS = {"verify_by_execution": False, "languages": "python,go", "max_diff_examples_per_problem": 1}


def test_export_into_a_folder_of_other_files_is_refused_before_building(tmp_path, monkeypatch):
    """Before: the user's README.md was replaced and <config>/*.parquet it did not write deleted, exit 0."""
    from polyglot_hrm.cli import main
    from polyglot_hrm.dataset import export as export_module

    out = tmp_path / "mine"
    (out / "generation").mkdir(parents=True)
    (out / "README.md").write_text("my notes\n")
    (out / "generation" / "old-00000-of-00001.parquet").write_bytes(b"mine")
    before = _snapshot(out)
    monkeypatch.setattr(export_module, "build_datasets", lambda *a, **k: pytest.fail("built before refusing"))
    with pytest.raises(NotOursError, match=str(out)):
        export_module.export(None, out)
    assert main(["export", "--out", str(out), "--verify", "off"]) == 2
    assert _snapshot(out) == before  # nothing deleted or replaced


def test_export_again_replaces_only_its_own_files(tmp_path, cache, capsys):
    """Before: exporting again with fewer configs left the old configs' Parquet beside a card that no longer
    listed them (and `push` uploaded them)."""
    from polyglot_hrm.dataset.export import export, push

    out = tmp_path / "export"
    first = export(None, out, cache_dir=str(cache), **EXPORT_OPTIONS)
    assert set(first.counts) == {"generation", "diff_edit", "transfer"}
    assert read_manifest(out).kind == "export"
    (out / "notes.txt").write_text("the user's own file\n")
    export(None, out, configs=["generation"], cache_dir=str(cache), **EXPORT_OPTIONS)
    assert not (out / "diff_edit").exists() and not (out / "transfer").exists()
    assert (out / "notes.txt").read_text() == "the user's own file\n"  # not listed: not touched
    card = (out / "README.md").read_text()
    assert "config_name: generation" in card and "config_name: diff_edit" not in card
    plan = push(out, "someone/polyglot-hrm", dry_run=True)
    assert any("generation/" in line for line in plan) and not any("diff_edit" in line for line in plan)
    assert not list(tmp_path.glob(".export.partial-*"))  # the staging folder is gone


def test_an_export_that_fails_midway_leaves_the_previous_one_whole(tmp_path, cache, monkeypatch):
    from polyglot_hrm.dataset import export as export_module

    out = tmp_path / "export"
    export_module.export(None, out, configs=["generation"], cache_dir=str(cache), **EXPORT_OPTIONS)
    before = _snapshot(out)

    def half_written(folder, *args):
        (folder / "generation").mkdir()
        (folder / "generation" / "train-00000-of-00001.parquet").write_bytes(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export_module, "_write_export", half_written)
    with pytest.raises(OSError, match="No space left"):
        export_module.export(None, out, configs=["generation"], cache_dir=str(cache), **EXPORT_OPTIONS)
    assert _snapshot(out) == before
    assert not list(tmp_path.glob(".export.partial-*"))


# ------------------------------------------------------------------------------------ 5. repo ids
@pytest.mark.parametrize("repo_id", ["org/", "org/na me", "o/" + "a" * 119, "a--b/name"])
def test_push_dry_run_rejects_ids_the_hub_rejects(repo_id, tmp_path, capsys):
    """Before: `push --dry-run` listed the upload for ids the Hub refuses."""
    from polyglot_hrm.cli import main

    (tmp_path / "README.md").write_text("---\n---\n")
    assert main(["push", "--repo-id", repo_id, "--export-dir", str(tmp_path), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "--repo-id" in err and "would upload" not in err


# ------------------------------------------------------------------------------------ 1. outputs: evaluate
def _no_work(monkeypatch):
    from polyglot_hrm.evaluation import commands  # where cmd_evaluate looks load_cases up

    monkeypatch.setattr(commands, "load_cases", lambda *a, **k: pytest.fail("cases loaded before the output check"))


@pytest.mark.parametrize("where", ["a folder", "under a file", "read-only"])
def test_evaluate_output_is_checked_before_any_work(where, tmp_path, monkeypatch, capsys):
    """Before: `evaluate --output` at a folder, under a file or in a read-only place crashed after all
    scoring was done, and every result was lost."""
    from polyglot_hrm.cli import main

    _no_work(monkeypatch)
    if where == "a folder":
        output = tmp_path / "results.json"
        output.mkdir()
    elif where == "under a file":
        (tmp_path / "file").write_text("x")
        output = tmp_path / "file" / "results.json"
    else:
        output = Path("/sys/polyglot-hrm-test/results.json")  # sysfs: not writable, even by root
    assert main(["evaluate", "--backend", "reference", "--languages", "python", "-o", str(output)]) == 2
    assert str(output.parent if where != "a folder" else output) in capsys.readouterr().err


def test_evaluate_does_not_overwrite_results_it_did_not_write(tmp_path, monkeypatch, capsys):
    from polyglot_hrm.cli import main

    _no_work(monkeypatch)
    output = tmp_path / "results.json"
    output.write_text("my own results\n")
    assert main(["evaluate", "--backend", "reference", "--languages", "python", "-o", str(output)]) == 2
    assert "not overwritten" in capsys.readouterr().err and output.read_text() == "my own results\n"


def test_reports_replace_their_own_files_atomically(tmp_path):
    from polyglot_hrm.evaluation import write_report
    from polyglot_hrm.evaluation.results import results_from_records

    record = {"id": "python/x", "problem_id": "python/x", "task": "generation", "language": "python",
              "source_language": None, "difficulty": "easy", "edit_type": None, "stub_passes": False,
              "candidates": [{"status": "passed", "kind": "files", "well_formed": True, "applies": True,
                              "compiled": True, "edited_chars": 1, "efficiency": 1.0, "diff_quality": None,
                              "duration_s": 0.1}]}
    results = results_from_records([record], [1], {"mode": "solutions"})
    first = write_report(results, tmp_path)
    second = write_report(results, tmp_path)  # ours now: replaced, not refused
    assert first == second and set(read_manifest(tmp_path).files) >= {"results.json", "report.md", "report.html"}
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp") or ".tmp." in p.name]


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["solutions", "backend"])
def test_ctrl_c_during_evaluate_keeps_what_finished(mode, tmp_path):
    """Before: Ctrl-C during `evaluate --solutions` kept nothing (and a traceback). Now SIGINT ends the run with
    status 130 and a message; the journal keeps every finished result and a rerun only runs the rest."""
    out = tmp_path / "results.json"
    journal = out.with_suffix(".jsonl")
    env = {**os.environ, "POLYGLOT_HRM_ALLOW_CODE_EXECUTION": "1", "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    command = ["evaluate", "--languages", "python"]
    if mode == "solutions":
        solutions = tmp_path / "solutions.json"
        assert run_command(*command, "--write-solutions", str(solutions)).returncode == 0
        command += ["--solutions", str(solutions)]
    else:
        command += ["--backend", "reference"]
    command += ["--jobs", "1", "--no-report", "-o", str(out)]
    argv = [sys.executable, "-m", "polyglot_hrm.cli", *command]
    # A pytest-xdist worker ignores SIGINT and a child inherits that (Python then installs no KeyboardInterrupt
    # handler): give the run the default disposition a terminal's Ctrl-C meets.
    proc = subprocess.Popen(argv, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if journal.exists() and '"kind": "result"' in journal.read_text():
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    assert "rerun the same command to resume" in err and "Traceback" not in err
    kept = [json.loads(line) for line in journal.read_text().splitlines()[1:] if line.strip()]
    done = [(r["case"], r["sample"]) for r in kept if r["kind"] == "result"]
    assert done and not out.exists()
    rerun = run_command(*command)  # the interrupted process is what had to be a process
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    results = json.loads(out.read_text())
    records = [json.loads(line) for line in journal.read_text().splitlines()[1:] if line.strip()]
    keys = [(r["case"], r["sample"]) for r in records if r["kind"] == "result"]
    assert len(keys) == len(set(keys)) == results["summary"]["candidates"]  # each result once: none re-run
    assert keys[: len(done)] == done


# ------------------------------------------------------------------------------------ 2. training runs
TINY_OVERRIDES = ["polyglot.configs=[generation]", "polyglot.languages=[python]", "polyglot.eval_num_problems=0",
                  "polyglot.vocab_size=300", "polyglot.max_sequence_length=1024", "polyglot.batch_size=2",
                  "model.hidden_size=32", "model.intermediate_size=64", "model.num_attention_heads=4",
                  "model.max_position_embeddings=1280", "training_args.eval_strategy=no",
                  "training_args.save_steps=1", "training_args.save_total_limit=null",
                  "training_args.logging_steps=1", "training_args.use_cpu=true"]


def _recipe(*extra: str):
    from polyglot_hrm.training.config import load_recipe

    return load_recipe(TINY, [*TINY_OVERRIDES, *extra])


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory, cache):
    """A finished two-step run with checkpoint-1 and checkpoint-2 (kept as a pristine copy)."""
    import shutil

    from polyglot_hrm.training.run import train

    root = tmp_path_factory.mktemp("run")
    train(_recipe("training_args.max_steps=2"), root / "run", cache_dir=cache)
    assert {p.name for p in (root / "run").glob("checkpoint-*")} == {"checkpoint-1", "checkpoint-2"}
    return root / "run", shutil.copytree


@pytest.fixture
def run_dir(trained_run, tmp_path) -> Path:
    source, copytree = trained_run
    return Path(copytree(source, tmp_path / "run"))


def _no_data(monkeypatch):
    from polyglot_hrm.training import data

    monkeypatch.setattr(data, "load_rows", lambda *a, **k: pytest.fail("data built before the check"))


def test_a_rerun_into_an_earlier_runs_folder_is_refused_and_deletes_nothing(run_dir, monkeypatch, capsys):
    """Before: a second run into the same --output-dir let checkpoint rotation delete the first run's
    checkpoints, without a warning."""
    from polyglot_hrm.training.checkpoints import RunExistsError
    from polyglot_hrm.training.run import train

    sys.path.insert(0, str(REPO / "trainer"))
    import train as train_script

    before = _snapshot(run_dir)
    _no_data(monkeypatch)
    with pytest.raises(RunExistsError,
                       match="checkpoint-2.*`resume_from_checkpoint=auto`.*`overwrite_output_dir=True`"):
        train(_recipe("training_args.max_steps=2"), run_dir)
    assert train_script.main(["--recipe", str(TINY), "--output-dir", str(run_dir), *TINY_OVERRIDES]) == 2
    err = capsys.readouterr().err  # train.py says the library's parameters as its flags
    assert "Pass --resume-from-checkpoint auto to continue that run, --overwrite-output-dir to start over" in err
    assert _snapshot(run_dir) == before


def test_a_folder_not_written_by_a_run_is_never_cleared(tmp_path, monkeypatch):
    from polyglot_hrm.training.run import train

    (tmp_path / "thesis.tex").write_text("months of work\n")
    _no_data(monkeypatch)
    with pytest.raises(NotOursError, match="thesis.tex"):
        train(_recipe(), tmp_path, overwrite_output_dir=True)
    assert (tmp_path / "thesis.tex").read_text() == "months of work\n"


def test_the_removed_overwrite_output_dir_argument_points_to_ours():
    from polyglot_hrm.training.config import RecipeError

    with pytest.raises(RecipeError, match="`overwrite_output_dir=True`"):
        _recipe("training_args.overwrite_output_dir=true")


def test_a_stored_tokenizer_with_other_settings_is_an_error_naming_both(run_dir, monkeypatch):
    """Before: the tokenizer an earlier run left was reused silently although the recipe asked another size."""
    from polyglot_hrm.training.run import TokenizerMismatchError, train

    _no_data(monkeypatch)
    with pytest.raises(TokenizerMismatchError, match=r"vocab_size=300 there, polyglot.vocab_size=400 in the recipe"):
        train(_recipe("polyglot.vocab_size=400", "training_args.max_steps=3"), run_dir, resume_from_checkpoint="auto")


def test_auto_resumes_from_the_newest_complete_checkpoint(run_dir, cache, caplog):
    """Before: `auto` took the newest checkpoint-* even when a kill while saving left it without its trainer
    state, crashed with a traceback, and no log line named the checkpoint resumed from."""
    from polyglot_hrm.training.run import train

    (run_dir / "checkpoint-2" / "trainer_state.json").unlink()  # killed while saving: the state comes last
    weights = run_dir / "checkpoint-2" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:4096])
    with caplog.at_level(logging.INFO, logger="polyglot_hrm.training.checkpoints"):
        outcome = train(_recipe("training_args.max_steps=3"), run_dir, cache_dir=cache, resume_from_checkpoint="auto")
    assert "skipping " + str(run_dir / "checkpoint-2") in caplog.text and "truncated" in caplog.text
    assert "resuming from " + str(run_dir / "checkpoint-1") in caplog.text
    steps = [h["step"] for h in outcome.log_history if "loss" in h]
    assert steps == [1, 2, 3]  # step 1 restored from checkpoint-1, then 2 and 3 trained again


def test_overwrite_output_dir_starts_over_removing_only_the_runs_files(run_dir, cache):
    from polyglot_hrm.training.run import train

    (run_dir / "notes.txt").write_text("mine\n")
    train(_recipe("training_args.max_steps=1", "polyglot.vocab_size=320"), run_dir, cache_dir=cache,
          overwrite_output_dir=True)
    assert sorted(p.name for p in run_dir.glob("checkpoint-*")) == ["checkpoint-1"]
    assert json.loads((run_dir / "tokenizer" / "polyglot_tokenizer.json").read_text()) == {"vocab_size": 320}
    assert (run_dir / "notes.txt").read_text() == "mine\n"


# ------------------------------------------------------------------------------------ 3. fail early
def test_config_errors_are_raised_before_any_data_is_built(tmp_path, monkeypatch, capsys):
    """Before: `training_args.max_steps=abc` failed only after the dataset and tokenizer were built, and
    `model.hiden_size=128` was accepted and written into config.json."""
    from polyglot_hrm.training.config import RecipeError

    sys.path.insert(0, str(REPO / "trainer"))
    import train as train_script

    _no_data(monkeypatch)
    with pytest.raises(RecipeError, match=r"training_args.max_steps='abc' is a str, expected int"):
        _recipe("training_args.max_steps=abc")
    with pytest.raises(RecipeError, match=r"unknown field model.hiden_size; did you mean model.hidden_size\?"):
        _recipe("model.hiden_size=128")
    with pytest.raises(RecipeError, match=r"polyglot.eval_timeout='slow' is a str, expected float"):
        _recipe("polyglot.eval_timeout=slow")
    with pytest.raises(RecipeError, match=r"write it with a decimal point"):
        _recipe("training_args.learning_rate=3e-3")
    out = tmp_path / "run"
    assert train_script.main(["--recipe", str(TINY), "--output-dir", str(out), "model.hiden_size=128"]) == 2
    assert "did you mean model.hidden_size" in capsys.readouterr().err and not out.exists()


def test_a_malformed_recipe_names_the_file_and_line(tmp_path):
    from polyglot_hrm.training.config import RecipeError, load_recipe

    bad = tmp_path / "bad.yaml"
    bad.write_text("polyglot:\n  batch_size: 2\nmodel:\n  hidden_size: [64\ntraining_args: {}\n")
    with pytest.raises(RecipeError, match=rf"{bad}:5:\d+: not valid YAML"):
        load_recipe(bad)


def test_metric_checks_k_and_predictions_before_running(monkeypatch, allow_execution, mini_problems):
    """Before: k was checked after every candidate ran, k=[1.5] gave a `pass@1.5`, k=1 raised a TypeError and
    non-nested predictions were scored as edit text."""
    import evaluate

    import polyglot_hrm.scoring.engine as engine
    from polyglot_hrm.problems import mini_benchmark_root

    metric = evaluate.load(str(REPO / "metrics" / "polyglot_exec"))
    ref = {"problem_id": "python/digit-sum", "benchmark_root": str(mini_benchmark_root())}
    [problem] = [p for p in mini_problems if p.id == "python/digit-sum"]
    good = {f.path: f.content for f in problem.files_with_role("reference")}
    ran = []
    real_score = engine.score
    monkeypatch.setattr(engine, "score", lambda *a, **k: ran.append(1) or real_score(*a, **k))
    with pytest.raises(ValueError, match=r"k=\[1.5\]: every k must be an integer"):
        metric.compute(predictions=[[good]], references=[ref], k=[1.5])
    with pytest.raises(ValueError, match=r"predictions\[0\] is a dict, not a list of candidates"):
        metric.compute(predictions=[good], references=[ref])
    with pytest.raises(ValueError, match=r"predictions\[0\] is a str"):
        metric.compute(predictions=["def digit_sum(n): ..."], references=[ref])
    assert not ran  # nothing ran for the bad calls
    assert engine.check_ks(1) == [1] and engine.check_ks([5, 1, 1]) == [1, 5]
    out = metric.compute(predictions=[[good]], references=[ref], k=1)
    assert ran and out["pass@1"] == 1.0


def test_a_missing_relative_model_path_fails_at_once(tmp_path, monkeypatch, capsys):
    """Before: `--model runs/x/model` that does not exist retried the Hub for 31 s before failing."""
    from polyglot_hrm.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs").mkdir()
    _no_work(monkeypatch)
    start = time.monotonic()
    assert main(["evaluate", "--model", "runs/tiny/model", "--languages", "python"]) == 2
    assert main(["evaluate", "--model", "runs/tiny", "--languages", "python"]) == 2
    assert time.monotonic() - start < 5
    assert "--model runs/tiny: no such folder" in capsys.readouterr().err


# ------------------------------------------------------------------------------------ 4. caches
def _build(cache_dir: Path, name: str = "generation"):
    from polyglot_hrm.dataset.builder import PolyglotHRM

    builder = PolyglotHRM(config_name=name, cache_dir=str(cache_dir), languages=["python", "go"],
                          verify_by_execution=False)
    builder.download_and_prepare()
    return builder, builder.as_dataset()


def _rows(dd) -> dict[str, list]:
    return {split: dd[split].to_list() for split in sorted(dd)}


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:1000])


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _shrink_info(path: Path) -> None:
    info = json.loads(path.read_text())
    info["splits"]["train"]["num_examples"] = 1
    path.write_text(json.dumps(info))


@pytest.mark.parametrize("damage", ["truncated arrow", "flipped byte", "edited dataset_info.json",
                                    "dataset_info.json not JSON"])
def test_a_damaged_cache_is_detected_and_rebuilt(damage, tmp_path, caplog):
    """Before: a truncated .arrow file raised the same pyarrow traceback on every rerun; an edited
    dataset_info.json or a flipped byte loaded silently as fewer or changed rows."""
    builder, built = _build(tmp_path)
    clean = _rows(built)  # read now: the damage below changes the memory-mapped file under it
    del built
    folder = Path(builder.cache_dir)
    arrow = folder / "polyglot_hrm-train.arrow"
    {"truncated arrow": lambda: _truncate(arrow), "flipped byte": lambda: _flip(arrow),
     "edited dataset_info.json": lambda: _shrink_info(folder / "dataset_info.json"),
     "dataset_info.json not JSON": lambda: (folder / "dataset_info.json").write_text("{oops")}[damage]()
    with caplog.at_level(logging.WARNING, logger="polyglot_hrm.dataset.builder"):
        rebuilt, reloaded = _build(tmp_path)
    assert "damaged" in caplog.text and "rebuilding" in caplog.text
    assert rebuilt.build_report is not None  # built again, not loaded from the damaged folder
    assert _rows(reloaded) == clean


def test_a_sound_cache_reloads_quickly_without_rebuilding(tmp_path):
    _build(tmp_path)
    start = time.perf_counter()
    builder, _ = _build(tmp_path)
    assert builder.build_report is None and time.perf_counter() - start < 2.0


# ------------------------------------------------------------------------------------ 5. no candidates
def test_an_id_with_no_candidates_is_a_warning_and_a_row(caplog, allow_execution):
    """Before: an id with `[]` candidates blanked pass@1 for its language without a warning."""
    from polyglot_hrm.evaluation import evaluate_solutions, load_cases
    from polyglot_hrm.evaluation.cases import reference_files
    from polyglot_hrm.evaluation.report import summary_table

    cases = load_cases(languages=["python"])[:2]
    solutions = {cases[0]["id"]: [{"files": reference_files(cases[0])}], cases[1]["id"]: []}
    with caplog.at_level(logging.WARNING):
        results = evaluate_solutions(cases, solutions, jobs=1, progress=False)
    assert cases[1]["id"] in caplog.text and "no candidates" in caplog.text
    assert results.per_language["python"]["pass@1"] == 1.0 and results.summary["no_candidates"] == 1
    table = summary_table(results)
    assert "no candidates (python)" in table


def test_the_demo_folder_is_replaced_when_ours_and_refused_otherwise(tmp_path):
    """`make demo` reruns: its own folder is replaced entry by entry (what its manifest lists); a folder of
    other files is refused before training starts."""
    from polyglot_hrm.demo import claim_output_dir

    out = tmp_path / "demo_output"
    claim_output_dir(out)  # absent: created and claimed
    (out / "model" / "checkpoint-4").mkdir(parents=True)
    (out / "held_out").mkdir()
    (out / "held_out" / "results.json").write_text("{}")
    (out / "demo.json").write_text("{}")
    (out / "my-notes.md").write_text("mine\n")
    claim_output_dir(out)  # a rerun
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "my-notes.md"]
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "data.csv").write_text("1,2\n")
    with pytest.raises(NotOursError, match="data.csv"):
        claim_output_dir(other)
    assert (other / "data.csv").read_text() == "1,2\n"


def test_two_processes_checking_one_new_folder_both_pass(tmp_path, monkeypatch):
    """Before: two ranks of ``accelerate launch`` checked the same missing datasets cache; one removed the folder
    it had created while the other was about to write its probe file there, and that rank stopped with
    "not writable (No such file or directory)"."""
    import tempfile

    from polyglot_hrm import outputs
    folder = tmp_path / "cache" / "datasets"
    real = tempfile.NamedTemporaryFile
    calls = []

    def neighbour_removes_first(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:  # the other rank's cleanup lands between our mkdir and our probe file
            folder.rmdir()
            folder.parent.rmdir()
        return real(*args, **kwargs)

    monkeypatch.setattr(outputs.tempfile, "NamedTemporaryFile", neighbour_removes_first)
    outputs.check_writable(folder, "datasets cache")
    assert len(calls) == 2
    assert not (tmp_path / "cache").exists()  # what the check created is still removed
