"""The seed's surface over the package: its records round-trip with the dataset's rows, its concept and
construct tags, its module command lines, its HRM faces and its integration check (`demo --benchmark-root`)."""

from __future__ import annotations

import json
import shutil
from dataclasses import fields
from pathlib import Path

import pytest

from polyglot_hrm.problems import load_problems_json
from polyglot_hrm.dataset import PolyglotHRMConfig, build_rows, features_for
from polyglot_hrm.dataset.records import (RECORD_TYPES, CodeGenerationInput, CodeGenerationTask, DiffEdit,
                                          DiffEditType, ProgrammingLanguage, TransferLearningExample, record_from_row)
from polyglot_hrm.languages import LANGUAGES
from polyglot_hrm.languages.concepts import CONCEPTS, CONSTRUCTS, DETECTED_WITHOUT_PATTERN
from polyglot_hrm.synthesis.concepts import concepts, constructs, language_challenges, shared_concepts
from polyglot_hrm.edit_format import parse_blocks
from polyglot_hrm.synthesis.examples import EDIT_TYPES, solved_files

from conftest import CommandRun, run_module

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def mini_rows() -> dict[str, list[dict]]:
    """Every row of each configuration of the mini-benchmark (no execution: rows as a fresh clone builds them)."""
    return {name: build_rows(PolyglotHRMConfig(name=name, verify_by_execution=False, max_diff_examples_per_problem=4))
            for name in RECORD_TYPES}


def _problem(mini_problems, problem_id: str):
    return next(p for p in mini_problems if p.id == problem_id)


# --------------------------------------------------------------------------------------------- records


@pytest.mark.parametrize("name", list(RECORD_TYPES))
def test_each_record_has_exactly_its_configs_columns_in_order(name):
    assert [f.name for f in fields(RECORD_TYPES[name])] == list(features_for(name))


@pytest.mark.parametrize("name", list(RECORD_TYPES))
def test_records_round_trip_with_built_rows_and_with_arrow_rows(mini_rows, name):
    import datasets

    rows = mini_rows[name]
    assert rows, name
    for row in rows:
        record = record_from_row(row)
        assert type(record) is RECORD_TYPES[name]
        assert record.to_row() == row
    # Through Arrow with the config's features, as load_dataset returns them.
    loaded = list(datasets.Dataset.from_list(rows, features=features_for(name)))
    assert [RECORD_TYPES[name].from_row(r).to_row() for r in loaded] == loaded
    assert loaded == rows


def test_the_seeds_names_read_the_rows(mini_rows):
    gen = record_from_row(next(r for r in mini_rows["generation"] if r["problem_id"] == "python/digit-sum"))
    assert gen.problem_description == gen.instructions and "digit" in gen.problem_description.lower()
    assert gen.task_type is CodeGenerationTask.GENERATION and gen.programming_language is ProgrammingLanguage.PYTHON
    assert gen.test_cases == [f["content"] for f in gen.files if f["role"] == "test"] and "digit_sum" in gen.test_cases[0]

    row = next(r for r in mini_rows["diff_edit"] if r["edit_type"] == "bug_fix")
    edit = DiffEdit.from_row(row)
    blocks = parse_blocks(row["target_edit"])
    assert edit.edit_type == DiffEditType.BUG_FIX and edit.task_type == CodeGenerationTask.DIFF_EDIT
    assert (edit.search_text, edit.replace_text) == (blocks[0].search, blocks[0].replace)
    assert edit.search_text != edit.replace_text and edit.description == row["mutation"]["description"] != ""

    row = next(r for r in mini_rows["transfer"] if r["id"] == "transfer/python-to-rust/tally-words")
    example = TransferLearningExample.from_row(row)
    assert (example.source_language, example.target_language) == ("python", "rust")
    assert example.transfer_instructions == row["instructions"]
    assert "def tally" in example.source_files["tally_words.py"]
    assert example.shared_concepts == ["iteration", "string_processing", "mapping"]
    assert example.language_challenges == ["static_types", "ownership_borrowing", "type_parameters"]


def test_enums_are_made_from_the_one_declaration_of_each_name():
    assert [t.value for t in CodeGenerationTask] == ["generation", "diff_edit", "transfer"]
    assert CodeGenerationTask.DIFF_EDIT == "diff_edit" and str(CodeGenerationTask.DIFF_EDIT) == "diff_edit"
    assert [m.value for m in ProgrammingLanguage] == list(LANGUAGES)
    assert [m.value for m in DiffEditType] == list(EDIT_TYPES)


def test_records_built_by_hand_take_enum_members_and_refuse_what_rows_cannot_hold(mini_rows):
    record = DiffEdit(language=ProgrammingLanguage.GO, edit_type=DiffEditType.FEATURE, instructions="Add it.")
    assert record.to_row()["language"] == "go" and type(record.to_row()["language"]) is str
    assert record.to_row()["edit_type"] == "feature" and record.to_row()["task"] == "diff_edit"
    with pytest.raises(ValueError, match="unknown column.*'extra'"):
        CodeGenerationInput.from_row({**mini_rows["generation"][0], "extra": 1})
    with pytest.raises(ValueError, match="holds 'generation' rows"):
        CodeGenerationInput.from_row(mini_rows["diff_edit"][0])
    with pytest.raises(ValueError, match="language='cobol'"):
        CodeGenerationInput(language="cobol")
    with pytest.raises(ValueError, match=r"row\['task'\]='nope'"):
        record_from_row({"task": "nope"})


# --------------------------------------------------------------------------------------------- concepts


def test_every_language_tags_only_with_the_documented_vocabularies():
    for language in LANGUAGES.values():
        assert set(language.concept_patterns) == set(CONCEPTS) - DETECTED_WITHOUT_PATTERN, language.name
        assert set(language.construct_patterns) <= set(CONSTRUCTS), language.name


@pytest.mark.parametrize("language", ["cpp", "go", "java", "javascript", "python", "rust"])
def test_concepts_of_the_same_exercise_agree_across_languages(mini_problems, language):
    tally = solved_files(_problem(mini_problems, f"{language}/tally-words"))
    assert {"iteration", "string_processing", "mapping"} <= set(concepts(tally, language))
    digits = solved_files(_problem(mini_problems, f"{language}/digit-sum"))
    assert "modular_arithmetic" in concepts(digits, language)
    assert "mapping" not in concepts(digits, language)


def test_constructs_and_challenges_of_a_pair(mini_problems):
    python = solved_files(_problem(mini_problems, "python/digit-sum"))
    java = solved_files(_problem(mini_problems, "java/digit-sum"))
    assert constructs(java, "java") == ["static_types", "classes", "exceptions", "explicit_casts"]
    assert language_challenges(python, "python", java, "java") == ["static_types", "classes", "explicit_casts"]
    assert language_challenges(java, "java", python, "python") == []
    assert shared_concepts(python, "python", java, "java") == ["iteration", "modular_arithmetic", "error_handling"]


def test_comments_and_strings_are_not_code_and_recursion_is_found_by_name():
    quiet = {"a.py": '# for each while\nx = "sorted( for while"\n'}
    assert concepts(quiet, "python") == []
    recursive = {"a.py": "def fact(n):\n    return 1 if n < 2 else n * fact(n - 1)\n"}
    assert concepts(recursive, "python") == ["recursion"]
    rust = {"lib.rs": "pub fn fact(n: u64) -> u64 {\n    if n < 2 { 1 } else { n * fact(n - 1) }\n}\n"}
    assert concepts(rust, "rust") == ["recursion"]
    assert concepts({"lib.rs": "pub fn f(n: u64) -> u64 {\n    g(n)\n}\n"}, "rust") == []


# --------------------------------------------------------------------------------------------- module CLIs


def _module(*args: str, execution: bool = False) -> CommandRun:
    """``python -m ARGS`` with this checkout's package, optionally opted in to code execution (in this process:
    conftest.run_module)."""
    return run_module(*args, execution=execution)


@pytest.fixture(scope="module")
def problems_json(tmp_path_factory, mini_root) -> Path:
    """A tiny problems file (Python and Go, five shared slugs), written by the seed's extractor form."""
    out = tmp_path_factory.mktemp("seed") / "problems.json"
    done = _module("polyglot_hrm.dataset.polyglot_benchmark_extractor", "--benchmark-root", str(mini_root),
                   "--output", str(out), "--languages", "python,go")
    assert done.returncode == 0, done.stderr
    assert "wrote 10 problems" in done.stdout
    return out


def test_extractor_form_writes_the_problems_and_names_itself_in_errors(problems_json, tmp_path):
    problems = load_problems_json(problems_json)
    assert sorted({p.language for p in problems}) == ["go", "python"] and len(problems) == 10
    done = _module("polyglot_hrm.dataset.polyglot_benchmark_extractor", "--benchmark-root", str(tmp_path / "none"),
                   "--output", str(tmp_path / "x.json"))
    assert done.returncode == 2
    assert done.stderr.startswith("python -m polyglot_hrm.dataset.polyglot_benchmark_extractor: error:")


def test_diff_generator_form_caps_examples_per_problem(problems_json, tmp_path):
    out = tmp_path / "diff.json"
    done = _module("polyglot_hrm.dataset.diff_based_training_generator", "--problems-json", str(problems_json),
                   "--output", str(out), "--max-examples", "2", "--verify", "off")
    assert done.returncode == 0, done.stderr
    rows = json.loads(out.read_text())
    edits = [DiffEdit.from_row(r) for r in rows]
    per_problem = {p: sum(e.problem_id == p for e in edits) for p in {e.problem_id for e in edits}}
    assert len(per_problem) == 10 and set(per_problem.values()) == {2}
    assert all(e.to_row() == r for e, r in zip(edits, rows))
    assert sum(e.edit_type == DiffEditType.IMPLEMENT for e in edits) == 10
    assert f"wrote 20 diff_edit examples of 10 problems to {out}" in done.stdout


def test_cross_language_mapper_form_writes_the_report_and_transfer_examples(problems_json, tmp_path):
    out = tmp_path / "mappings.json"
    done = _module("polyglot_hrm.dataset.cross_language_mapper", "--problems-json", str(problems_json),
                   "--output", str(out), "--max-examples", "1", "--verify", "off")
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text())
    examples = [TransferLearningExample.from_row(r) for r in data["examples"]]
    assert sorted((e.source_language, e.target_language) for e in examples) == [("go", "python"), ("python", "go")]
    assert len(data["pairs"]) == 10 and {d["problems"] for d in data["difficulty_distribution"].values()} == {5}
    assert data["difficulty_distribution"]["go"]["easy"] + data["difficulty_distribution"]["go"]["medium"] + \
        data["difficulty_distribution"]["go"]["hard"] == 5
    # Python solutions write no types: every one of the five Go references needs them.
    assert data["language_challenges"]["python"]["go"]["static_types"] == 5
    assert "static_types" not in data["language_challenges"]["go"]["python"]
    assert "Language-specific challenges" in done.stdout and "Difficulty distribution" in done.stdout


def test_mapper_api_matches_its_report(mini_problems):
    from polyglot_hrm.dataset.cross_language_mapper import CrossLanguageProblemMapper

    mapper = CrossLanguageProblemMapper(mini_problems, max_transfer_examples_per_pair=1, verify_by_execution=False)
    assert mapper.equivalent_problems()["fizz-words"] == ("go", "python", "rust")
    assert mapper.language_challenges("python", "rust") == mapper.report["language_challenges"]["python"]["rust"]
    assert mapper.language_challenges("python", "rust")["ownership_borrowing"] == 4
    assert sum(mapper.difficulty_distribution()["python"][b] for b in ("easy", "medium", "hard")) == 5
    examples = mapper.transfer_examples()
    pairs = {(e.source_language, e.target_language) for e in examples}
    assert len(examples) == len(pairs) == 30  # every directed pair of six languages, one slug each


def test_evaluation_system_form_scores_reference_solutions(tmp_path, mini_problems):
    from polyglot_hrm.problems import save_problems
    from polyglot_hrm.evaluation.polyglot_evaluation_system import main

    problems = tmp_path / "problems.json"
    save_problems([p for p in mini_problems if p.language == "python"], problems)
    solutions = tmp_path / "solutions.json"
    assert main(["--problems-json", str(problems), "--write-solutions", str(solutions), "--limit", "1"]) == 0
    out = tmp_path / "eval" / "results.json"
    done = _module("polyglot_hrm.evaluation.polyglot_evaluation_system", "--problems-json", str(problems),
                   "--solutions-json", str(solutions), "--output", str(out), "--limit", "1", execution=True)
    assert done.returncode == 0, done.stderr
    summary = json.loads(out.read_text())["summary"]
    assert (summary["cases"], summary["pass@1"]) == (1, 1.0)


# --------------------------------------------------------------------------------------------- HRM faces


def test_input_processor_encodes_as_training_does_and_output_generator_answers(mini_rows):
    from hrm_modeling import HRMConfig, HRMForCausalLM
    from polyglot_hrm.modelio.code_generation import CodeGenerationInputProcessor, CodeOutputGenerator
    from polyglot_hrm.modelio.prompt_format import render_example
    from polyglot_hrm.modelio.tokenizer import encode_pair
    from polyglot_hrm.training.data import train_tokenizer_on_rows

    python = [r for r in mini_rows["diff_edit"] if r["language"] == "python"][:3]
    rows = python + [r for r in mini_rows["transfer"] if r["language"] == "python"][:1]
    tokenizer = train_tokenizer_on_rows(rows, vocab_size=300)
    processor = CodeGenerationInputProcessor(tokenizer, max_length=2048)
    edit = DiffEdit.from_row(rows[0])
    encoded = processor.encode(edit)
    assert encoded["input_ids"] == encode_pair(tokenizer, *render_example(rows[0]), max_length=2048)["input_ids"]
    assert processor.puzzle_identifier(edit) == processor.puzzle_names.index(f"{edit.language}/diff_edit")
    assert "labels" not in processor.encode(edit, with_answer=False)
    assert processor.prompt(edit) == processor.example(rows[0])[0]

    model = HRMForCausalLM(HRMConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64,
                                     num_hidden_layers=1, num_attention_heads=4, max_position_embeddings=2048))
    generator = CodeOutputGenerator(model, tokenizer, max_new_tokens=4, batch_size=2)
    records = [edit, TransferLearningExample.from_row(rows[3])]
    answers = generator.generate(records)
    candidates = generator.candidates(records, answers)
    assert [len(a) for a in answers] == [1, 1]
    assert isinstance(candidates[0][0], str) and isinstance(candidates[1][0], dict)


def test_integration_serves_records_loaders_and_a_processor(tmp_path):
    from polyglot_hrm.training import PolyglotTrainingConfig
    from polyglot_hrm.training.polyglot_hrm_integration import PolyglotHRMIntegration

    config = PolyglotTrainingConfig(languages=("python",), configs=("generation", "diff_edit"),
                                    verify_by_execution=False, batch_size=2, max_sequence_length=2048, vocab_size=300,
                                    max_diff_examples_per_problem=2)
    integration = PolyglotHRMIntegration(None, None, config, cache_dir=tmp_path)
    edits = integration.records("train", CodeGenerationTask.DIFF_EDIT)
    assert edits and all(type(e) is DiffEdit and e.split == "train" and e.language == "python" for e in edits)
    everything = integration.records("train")
    assert {type(r) for r in everything} == {CodeGenerationInput, DiffEdit}
    encoded = integration.input_processor.encode(edits[0])
    assert encoded["input_ids"][0] == integration.tokenizer.bos_token_id
    train_loader, _ = integration.create_data_loaders()
    assert next(iter(train_loader))["input_ids"].shape[0] == 2
    with pytest.raises(ValueError, match="hrm_model=None"):
        integration.output_generator


# --------------------------------------------------------------------------------------------- demo


@pytest.mark.slow  # trains (two steps) and executes: about a minute on a loaded 2-core machine
def test_demo_runs_the_main_job_on_any_benchmark_root(tmp_path, mini_root, allow_execution, capsys):
    from polyglot_hrm.cli import main

    root = tmp_path / "root"
    for slug in ("caesar-shift", "digit-sum", "tally-words"):
        shutil.copytree(mini_root / "python" / "exercises" / "practice" / slug,
                        root / "python" / "exercises" / "practice" / slug)
    out = tmp_path / "demo"
    code = main(["demo", "--benchmark-root", str(root), "--output-dir", str(out), "--verbose", "--held-out-rows", "2",
                 "--seen-rows", "1", "--max-new-tokens", "8", "training_args.max_steps=2", "training_args.logging_steps=1",
                 "training_args.eval_steps=2", "training_args.save_steps=2", "polyglot.eval_num_problems=0",
                 "polyglot.vocab_size=300"])
    printed = capsys.readouterr().out
    assert code == 0
    assert f"benchmark: {root}" in printed and "Difficulty distribution" in printed
    assert "Rows per split, task and language" in printed and "Evaluation by language" in printed
    summary = json.loads((out / "demo.json").read_text())
    assert summary["benchmark_root"] == str(root)
    assert summary["evaluations"]["held_out"]["rows"] == 2 and summary["evaluations"]["seen"]["rows"] == 1
    assert summary["first_loss"] is not None and (out / "model" / "model.safetensors").is_file()
    assert set(summary["evaluations"]["held_out"]["per_language"]) <= {"python", "all"}
    assert (out / "held_out" / "results.json").is_file()


# ------------------------------------------------------------------------------------------------- the faces
def test_the_seeds_faces_are_listed_thin_and_imported_by_no_library_module():
    import ast
    import importlib

    import polyglot_hrm

    package = Path(polyglot_hrm.__file__).resolve().parent
    faces = {package / (name.removeprefix("polyglot_hrm.").replace(".", "/") + ".py") for name in polyglot_hrm.SEED_FACES}
    for path in sorted(faces):
        importlib.import_module("polyglot_hrm." + path.relative_to(package).with_suffix("").as_posix().replace("/", "."))
        text = path.read_text()
        assert text.startswith('"""Seed face (listed in ``polyglot_hrm.SEED_FACES``).\n'), path
        assert len(text.splitlines()) <= 150, f"{path}: a face is thin"
    face_modules = {".".join(("polyglot_hrm", *p.relative_to(package).with_suffix("").parts)) for p in faces}
    importers = []
    for path in package.rglob("*.py"):
        if path in faces or path.name == "__init__.py":
            continue
        module = ".".join(("polyglot_hrm", *path.relative_to(package).with_suffix("").parts))
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module is not None:
                base = module.rsplit(".", node.level)[0] if node.level else ""
                target = f"{base}.{node.module}" if node.level else node.module
                if target in face_modules:
                    importers.append(f"{module} imports {target}")
    assert not importers, importers
    # Every module whose first line calls itself a face is listed.
    marked = {p for p in package.rglob("*.py") if p.read_text().startswith('"""Seed face')}
    assert marked == faces
