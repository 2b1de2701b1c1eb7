"""A language is one module (issue 14): its syntax facts live on its ``Language``, nothing outside
``polyglot_hrm/languages/`` names a language, the model's own table equals the registry, and a toy
seventh language defined in one file (``tests/fixtures/toylang.py``) is read, run and made into rows."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import hrm_modeling
import polyglot_hrm
from conftest import ALL_LANGUAGES, write_exercise
from fixtures import toylang
from polyglot_hrm.benchmark import load_benchmark
from polyglot_hrm.dataset.build import build_rows
from polyglot_hrm.dataset.config import PolyglotHRMConfig
from polyglot_hrm.dataset.names import CONFIG_NAMES
from polyglot_hrm.edit_format import EditBlock, render_blocks
from polyglot_hrm.execution import run_problem
from polyglot_hrm.languages import LANGUAGES, get_language, register
from polyglot_hrm.modelio.prompt_format import render_files, render_prompt
from polyglot_hrm.synthesis.functions import find_functions
from polyglot_hrm.synthesis.mutation import enumerate_mutants

PACKAGE = Path(polyglot_hrm.__file__).resolve().parent
# Literals that are not language names where they stand: executables looked up on PATH.
NOT_LANGUAGES = {"execution/sandbox.py": {"go", "java"}}


def test_the_models_table_equals_the_registry_and_the_configurations():
    # hrm_modeling ships as remote code and imports nothing of polyglot_hrm: its copy must agree.
    assert hrm_modeling.LANGUAGES == tuple(LANGUAGES) == tuple(ALL_LANGUAGES)
    assert hrm_modeling.TASKS == CONFIG_NAMES == ("generation", "diff_edit", "transfer")


def test_no_module_outside_the_language_modules_names_a_language():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith(("languages/", "data/")):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Constant) and node.value in ALL_LANGUAGES
                    and node.value not in NOT_LANGUAGES.get(rel, ())):
                found.append(f"{rel}:{node.lineno}: {node.value!r}")
    assert not found, "language facts belong to the language's module:\n" + "\n".join(found)


@pytest.mark.parametrize("name", ALL_LANGUAGES)
def test_every_language_declares_its_syntax(name):
    language = get_language(name)
    assert language.fence_tag == name
    assert language.source_suffixes and all(s.startswith(".") and s == s.lower() for s in language.source_suffixes)
    assert language.function_header is not None and "name" in language.function_header.groupindex
    assert len(language.booleans) == 2 and {"==", "<"} <= set(language.comparison_operators)


@pytest.mark.parametrize("name", ALL_LANGUAGES)
def test_fences_carry_the_languages_tag(name):
    language = get_language(name)
    for suffix in language.source_suffixes:
        assert render_blocks([EditBlock(f"x{suffix}", "a\n", "b\n")]).splitlines()[1] == f"```{name}"
        assert render_blocks([EditBlock(f"X{suffix.upper()}", "a\n", "b\n")]).splitlines()[1] == f"```{name}"
    assert render_files([{"path": "f", "content": "x\n"}], name) == f"f\n```{name}\nx\n```\n"


def test_source_suffixes_belong_to_one_language():
    owners: dict[str, str] = {}
    for language in LANGUAGES.values():
        for suffix in language.source_suffixes:
            assert owners.setdefault(suffix, language.name) == language.name, suffix


# ---------------------------------------------------------------------------------------------
# a toy seventh language


@pytest.fixture
def toysh(tmp_path, monkeypatch):
    """``toysh`` registered for one test (its runner cache in ``tmp_path``), removed afterwards."""
    monkeypatch.setenv("POLYGLOT_HRM_CACHE", str(tmp_path / "cache"))
    language = register(toylang.ToySh())
    yield language
    del LANGUAGES[language.name]


@pytest.fixture
def toy_root(tmp_path) -> Path:
    root = tmp_path / "benchmark"
    write_exercise(root / "toysh" / "exercises" / "practice" / toylang.SLUG, toylang.EXERCISE, toylang.CONFIG,
                   instructions="Sum the squares of 1..n; tell whether a number is even.\n")
    return root


def test_a_toy_language_registered_from_one_file_is_read_run_and_built(toysh, toy_root, allow_execution):
    # Nothing in the package knows it.
    assert not [p for p in PACKAGE.rglob("*.py") if "toysh" in p.read_text()]

    # The reader maps its layout with the Language's defaults.
    (problem,) = load_benchmark(toy_root, strict=True)
    assert (problem.id, problem.language, problem.metadata.test_case_count) == ("toysh/square-sum", "toysh", 4)
    assert sorted((f.path, f.role) for f in problem.files) == [
        ("square_sum.sh", "reference"), ("square_sum.sh", "solution"), ("square_sum_test.sh", "test")]
    assert [f.content for f in problem.files_with_role("solution")] == [toylang.STUB]
    assert [f.content for f in problem.files_with_role("reference")] == [toylang.REFERENCE]

    # The runner: canaries, report, verdict, expected tests, candidate-file rules.
    reference = run_problem(problem, mode="reference")
    assert (reference.status, reference.tests_passed, reference.tests_failed) == ("passed", 4, 0), reference.output
    stub = run_problem(problem, mode="stub")
    assert (stub.status, stub.tests_passed, stub.tests_failed) == ("failed", 0, 4), stub.output
    half = run_problem(problem, {"square_sum.sh": toylang.REFERENCE.replace("% 2 == 0", "% 2 == 1"),
                                 "helper.sh": "helper() { :; }\n", "extra_test.sh": "test_x() { :; }\n"})
    assert (half.status, half.tests_passed, half.tests_failed) == ("failed", 2, 2), half.output
    assert [f["path"] for f in half.ignored_files] == ["extra_test.sh"]
    broken = run_problem(problem, {"square_sum.sh": "square_sum() {\n"})
    assert broken.status == "compile_error", broken.output
    assert "pgcanary" not in reference.output + stub.output + half.output

    # The dataset builder: rows with expected tests recorded by running the reference; mutants and
    # functions found with the Language's syntax, verified by running them; fences with its tag.
    (row,) = build_rows(PolyglotHRMConfig(name="generation", data_dir=str(toy_root), verify_by_execution=True))
    assert (row["language"], sorted(row["expected_tests"])) == ("toysh", list(toylang.TEST_NAMES))
    assert "square_sum.sh\n```bash\n" in render_prompt(row)
    diff = build_rows(PolyglotHRMConfig(name="diff_edit", data_dir=str(toy_root), verify_by_execution=True))
    assert {r["edit_type"] for r in diff} == {"implement", "feature", "bug_fix"}
    assert all("```bash\n" in r["target_edit"] for r in diff)
    assert [f.name for f in find_functions(toylang.REFERENCE, "toysh")] == ["square_sum", "is_even"]
    assert {m.operator for m in enumerate_mutants({"square_sum.sh": toylang.REFERENCE}, "toysh")} >= {
        "comparison", "arithmetic", "literal", "off_by_one"}


def test_the_toy_language_is_gone_after_its_test():
    assert "toysh" not in LANGUAGES and tuple(LANGUAGES) == tuple(ALL_LANGUAGES)
