"""Refactoring edits: the transformations (per language, on this project's snippets), their rows, and the rule
that a refactor row exists only when the refactored reference was run and passed every test."""

from __future__ import annotations

import re

import pytest

from conftest import ALL_LANGUAGES
from fixtures.refactor_snippets import EXTRA_KINDS, PATHS, SNIPPETS
from polyglot_hrm.edit_format import apply_blocks, parse_blocks
from polyglot_hrm.languages.lexer import code_mask
from polyglot_hrm.synthesis.examples import refactor_candidate, refactor_pool, diff_edit_row, solved_files
from polyglot_hrm.synthesis.refactor import REFACTORINGS, Refactoring, enumerate_refactorings, select_refactorings

BASE_KINDS = {"rename_local", "extract_function", "inline_temp", "for_each"}


def _refactorings(language: str) -> list[Refactoring]:
    return enumerate_refactorings({PATHS[language]: SNIPPETS[language]}, language)


def _one(language: str, kind: str, target: str | None = None) -> Refactoring:
    found = [r for r in _refactorings(language) if r.kind == kind and (target is None or r.target == target)]
    assert found, (language, kind, target)
    return found[0]


@pytest.mark.parametrize("language", ALL_LANGUAGES)
def test_every_language_has_the_four_refactorings_and_its_own(language):
    kinds = {r.kind for r in _refactorings(language)}
    assert kinds == BASE_KINDS | EXTRA_KINDS.get(language, set())
    assert _refactorings(language) == _refactorings(language)  # deterministic
    assert all(r.refactored != r.original and r.original == SNIPPETS[language] for r in _refactorings(language))


@pytest.mark.parametrize("language", ALL_LANGUAGES)
def test_rename_changes_every_read_of_the_local_and_nothing_else(language):
    r = _one(language, "rename_local", "total")
    new = re.search(r"to `(\w+)`", r.description).group(1)
    assert new in ("running_total", "runningTotal")
    # the comment and the string that say "total" are as they were; the code says `total` nowhere any more
    assert "// the total, doubled" in r.refactored or "# the total, doubled" in r.refactored
    assert "total\"" in r.refactored or "'total'" in r.refactored
    mask = code_mask(r.refactored, language)
    assert not [m.start() for m in re.finditer(r"\btotal\b", r.refactored) if mask[m.start()]]
    assert len(re.findall(rf"\b{new}\b", r.refactored)) == 3  # the declaration, the `+=`, the read


@pytest.mark.parametrize("language", ALL_LANGUAGES)
def test_inline_removes_the_declaration_and_reads_the_value(language):
    r = _one(language, "inline_temp", "scaled")
    assert not re.search(r"\bscaled\b", r.refactored)
    assert "total * 2" in r.refactored
    assert len(r.refactored.splitlines()) == len(r.original.splitlines()) - 1


@pytest.mark.parametrize("language", ALL_LANGUAGES)
def test_extract_function_delegates_with_the_same_parameters(language):
    r = next(r for r in _refactorings(language)
             if r.kind == "extract_function" and r.target.lower().startswith("weight"))
    helper = re.search(r"helper function `(\w+)`", r.description).group(1)
    assert helper.lower().lstrip("_").startswith("weighted")
    # defined once, called once with the parameters in order; the body moved, not copied
    assert len(re.findall(rf"\b{helper}\s*(= )?\(", r.refactored)) == 2  # JavaScript's is an arrow function
    assert re.search(rf"^\s*(return )?{helper}\(values, weight\);?$", r.refactored, re.M)  # the delegating body
    assert r.refactored.count("total * 2") == r.original.count("total * 2") == 1
    if language == "python":  # the docstring stays with the function it documents
        assert re.search(r'def weighted_sum\(values, weight\):\n    """Every value', r.refactored)


@pytest.mark.parametrize("language", ALL_LANGUAGES)
def test_for_each_reads_the_element_instead_of_indexing(language):
    r = _one(language, "for_each", "values")
    assert "values[i]" not in r.refactored and "[i]" not in r.refactored
    assert re.search(r"\bvalue\b", r.refactored)
    assert "* weight" in r.refactored


def test_python_refactorings_behave_like_the_original():
    """Python runs here: every refactoring of the snippet computes what the original computes."""
    def run(text):
        namespace: dict = {}
        exec(compile(text, "weights.py", "exec"), namespace)  # noqa: S102 - this project's own snippet
        return namespace["weighted_sum"]([1, 2, 3], 2), namespace["sign"](-3), namespace["sign"](4)

    expected = run(SNIPPETS["python"])
    for r in _refactorings("python"):
        assert run(r.refactored) == expected, r.description


def test_rust_extras_are_the_tail_expression_and_the_iter_idiom():
    tail = _one("rust", "tail_expression")
    assert "return scaled;" not in tail.refactored and re.search(r"\n    scaled\n}", tail.refactored)
    idiom = _one("rust", "idiom")
    assert "for v in &values {" in idiom.refactored


def test_refactoring_sites_leave_strings_alone():
    text = 'def f(items):\n    n = len(items)\n    msg = f"{n} items"\n    return n, msg\n'
    kinds = {(r.kind, r.target) for r in enumerate_refactorings({"f.py": text}, "python")}
    assert ("rename_local", "n") not in kinds  # read inside an f-string, where a rename cannot reach


def test_select_is_seeded_and_balanced_across_kinds():
    refactorings = _refactorings("rust")
    a = select_refactorings(refactorings, 4, seed=1, key="k")
    assert a == select_refactorings(refactorings, 4, seed=1, key="k")
    assert len({r.kind for r in a}) == 4
    assert select_refactorings(refactorings, 6, seed=1, key="k")[:4] == a
    assert set(REFACTORINGS) >= {r.kind for r in refactorings}


def test_refactor_row_edits_the_reference_into_the_refactoring(mini_problems):
    problem = next(p for p in mini_problems if p.language == "python")
    pool = refactor_pool(problem, 3, seed=42)
    assert pool
    cand = refactor_candidate(problem, pool[0])
    row = diff_edit_row(cand, 0)
    assert row["edit_type"] == "refactor" and row["id"].endswith("/refactor/0")
    assert row["mutation"]["operator"] == pool[0].kind
    assert pool[0].description in row["instructions"] and "without changing its behaviour" in row["instructions"]
    solved = solved_files(problem)
    inputs = {f["path"]: f["content"] for f in row["input_files"] if f["role"] == "solution"}
    assert inputs == solved
    assert apply_blocks(inputs, parse_blocks(row["target_edit"]))[pool[0].path] == pool[0].refactored


def test_without_verification_there_are_no_refactor_rows():
    from polyglot_hrm.dataset.rows import build_rows
    from polyglot_hrm.dataset.config import PolyglotHRMConfig

    rows = build_rows(PolyglotHRMConfig(name="diff_edit", verify_by_execution=False, max_diff_examples_per_problem=2))
    assert rows and not [r for r in rows if r["edit_type"] == "refactor"]


@pytest.mark.slow
def test_a_refactoring_is_kept_only_when_it_passes_every_test(monkeypatch, tmp_path, allow_execution):
    """One refactoring that keeps the behaviour and one that changes it: only the first becomes a row, and it
    passes when the row is checked by execution."""
    from polyglot_hrm.dataset import rows as build_module
    from polyglot_hrm.dataset.rows import RunJournal, build
    from polyglot_hrm.dataset.config import PolyglotHRMConfig
    from polyglot_hrm.dataset.validate import check_rows
    from polyglot_hrm.synthesis import examples

    monkeypatch.setattr(build_module, "journal_path", lambda: tmp_path / "runs.jsonl")
    real_pool = examples.refactor_pool

    def pool_with_a_bad_one(problem, n, seed):
        good = real_pool(problem, n, seed)
        path = good[0].path
        text = good[0].original
        # `return x` -> `return None`: builds, runs, and fails the tests
        broken = re.sub(r"return (\S.*)", "return None", text, count=1)
        bad = Refactoring(path, "rename_local", 1, "x", "break it", text, broken)
        return [bad] + good[:1]

    monkeypatch.setattr(build_module, "refactor_pool", pool_with_a_bad_one)
    config = PolyglotHRMConfig(name="diff_edit", languages=("python",), verify_by_execution=True,
                               max_diff_examples_per_problem=1, max_refactor_examples_per_problem=1,
                               verify_timeout=20.0)
    report = build(config)
    refactors = [r for r in report.rows if r["edit_type"] == "refactor"]
    problems = {r["problem_id"] for r in report.rows}
    assert len(refactors) == len(problems) > 0
    assert all(r["verification"] == "passed" and r["mutation"]["description"] != "break it" for r in refactors)
    assert report.refactor_runs[("python", "failed")] == len(problems)
    assert report.refactor_runs[("python", "passed")] == len(problems)
    assert len(RunJournal(tmp_path / "runs.jsonl").done) == 2 * len(problems)
    checks = check_rows(refactors, progress=False)
    assert all(c.ok for c in checks), [c for c in checks if not c.ok]


def test_a_rename_reaches_ranges_and_spreads_but_not_members():
    rust = "pub fn f(xs: &[i32]) -> i32 {\n    let n = xs.len();\n    let mut t = 0;\n    for i in 0..n {\n" \
           "        t += xs[i] + i as i32;\n    }\n    t + n as i32\n}\n"
    r = next(r for r in enumerate_refactorings({"src/lib.rs": rust}, "rust")
             if r.kind == "rename_local" and r.target == "n")
    assert "0..count" in r.refactored and not re.search(r"\bn\b", r.refactored)
    js = "export const f = (o) => {\n  const items = o.items;\n  return [...items, items.length];\n};\n"
    r = next(r for r in enumerate_refactorings({"f.js": js}, "javascript")
             if r.kind == "rename_local" and r.target == "items")
    assert "= o.items;" in r.refactored and "[...itemsValue, itemsValue.length]" in r.refactored


@pytest.mark.slow
def test_at_least_three_refactorings_per_language_on_the_real_benchmark(real_root, allow_execution):
    """A verified build of a few problems per language keeps three refactor rows or more in every language."""
    from collections import Counter

    from polyglot_hrm.dataset.rows import build
    from polyglot_hrm.dataset.config import PolyglotHRMConfig

    config = PolyglotHRMConfig(name="diff_edit", data_dir=str(real_root), verify_by_execution=True,
                               max_problems_per_language=8, max_diff_examples_per_problem=1)
    report = build(config)
    kept = Counter(r["language"] for r in report.rows if r["edit_type"] == "refactor")
    assert all(kept[lang] >= 3 for lang in ALL_LANGUAGES), (kept, report.refactor_runs)
    assert all(r["verification"] == "passed" for r in report.rows if r["edit_type"] == "refactor")


def test_a_parameter_with_a_default_is_not_renamed_as_a_local():
    text = "def walk(board, seen=None):\n    if not seen:\n        seen = []\n    return len(seen) + len(board)\n"
    assert not [r for r in enumerate_refactorings({"walk.py": text}, "python") if r.kind == "rename_local"]
