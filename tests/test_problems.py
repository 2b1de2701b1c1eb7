"""The benchmark reader: layouts, roles, reference mapping, bad input, JSON round trip."""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path

import pytest

from conftest import ALL_LANGUAGES, python_exercise, write_exercise
from polyglot_hrm.problems import (BenchmarkError, CrossLanguageIndex, PolyglotBenchmarkExtractor, Problem,
                                    complexity_score, load_benchmark, load_problems_json, save_problems)

# ----------------------------------------------------------------------------- the mini-benchmark


def test_mini_benchmark_covers_all_languages_unevenly(mini_problems):
    index = CrossLanguageIndex.from_problems(mini_problems)
    assert index.languages == ALL_LANGUAGES
    assert sum(len(langs) == 6 for langs in index.languages_by_slug.values()) >= 4
    partial = [s for s, langs in index.languages_by_slug.items() if 2 <= len(langs) <= 3]
    assert len(partial) >= 2


@pytest.mark.parametrize("language", ALL_LANGUAGES)
def test_mini_problems_have_every_role_they_need(mini_problems, language):
    problems = [p for p in mini_problems if p.language == language]
    assert problems
    for p in problems:
        assert p.id == f"{language}/{p.slug}"
        assert p.instructions.strip()
        assert p.files_with_role("solution") and p.files_with_role("test") and p.files_with_role("reference")
        for f in p.files:
            assert not f.path.startswith(".") or "/" not in f.path, f.path  # nothing from .meta/ or .docs/
        # Every reference lands on a solution path, except Java helper classes, which go next to them.
        for ref in p.paths("reference"):
            if language == "java":
                assert ref.startswith("src/main/java/")
            else:
                assert ref in p.paths("solution"), (p.id, ref)
        assert p.metadata.test_case_count and p.metadata.test_case_count > 0
        assert 0.0 < p.metadata.complexity <= 1.0


def test_mini_has_the_real_corner_cases(mini_problems):
    java_extra = [p for p in mini_problems if p.language == "java"
                  and set(p.paths("reference")) - set(p.paths("solution"))]
    assert java_extra, "a Java reference with a helper class the stub lacks"
    header_only = [p for p in mini_problems if p.language == "cpp" and p.reference_removes]
    assert header_only, "a header-only C++ reference"
    for p in header_only:
        ws = p.workspace_files("reference")
        assert not any(path.endswith(".cpp") and path in p.reference_removes for path in ws)
        assert all(path.endswith(".cpp") for path in p.reference_removes)
    assert any(p.files_with_role("editor") for p in mini_problems if p.language == "go")


def test_workspace_files_swap_stub_for_reference(mini_problems):
    p = next(p for p in mini_problems if p.language == "python")
    stub, ref = p.workspace_files("stub"), p.workspace_files("reference")
    sol = p.paths("solution")[0]
    assert stub[sol] != ref[sol]
    assert ref[sol] == next(f.content for f in p.files_with_role("reference") if f.path == sol)
    assert set(p.paths("test")) <= set(stub) and set(p.paths("test")) <= set(ref)
    with pytest.raises(ValueError, match="mode"):
        p.workspace_files("solved")


def test_json_round_trip_gives_equal_problems(mini_problems, tmp_path):
    path = tmp_path / "problems.json"
    assert save_problems(mini_problems, path) == len(mini_problems)
    rows = json.loads(path.read_text())
    assert {"id", "language", "slug", "instructions", "metadata", "files"} <= set(rows[0])
    assert set(rows[0]["files"][0]) == {"path", "role", "content"}
    assert load_problems_json(path) == mini_problems


def test_language_filter(mini_root):
    problems = load_benchmark(mini_root, languages=["python", "rust"])
    assert {p.language for p in problems} == {"python", "rust"}
    with pytest.raises(ValueError, match="unknown language 'cobol'"):
        load_benchmark(mini_root, languages=["cobol"])


# ----------------------------------------------------------------------------- other layouts


def test_single_track_layout_reads_language_and_difficulty(tmp_path):
    track = tmp_path / "python-track"
    python_exercise(track / "exercises" / "practice" / "greet")
    (track / "config.json").write_text(json.dumps(
        {"language": "Python", "slug": "python", "exercises": {"practice": [{"slug": "greet", "difficulty": 3}]}}))
    extractor = PolyglotBenchmarkExtractor(track)
    [problem] = extractor.extract()
    assert extractor.report.layout == "exercism-track"
    assert problem.id == "python/greet"
    assert problem.metadata.difficulty == 3
    assert problem.metadata.test_case_count == 1  # the case with include = false does not count
    assert problem.paths("reference") == ["greet.py"]


def test_language_folder_layout(tmp_path):
    python_exercise(tmp_path / "python" / "exercises" / "practice" / "greet")
    extractor = PolyglotBenchmarkExtractor(tmp_path / "python")
    assert [p.id for p in extractor.extract()] == ["python/greet"]
    assert extractor.report.layout == "language-folder"


def test_instructions_join_introduction_instructions_and_append(tmp_path):
    ex = python_exercise(tmp_path / "python" / "exercises" / "practice" / "greet")
    (ex / ".docs" / "introduction.md").write_text("INTRO\n")
    (ex / ".docs" / "instructions.append.md").write_text("APPEND\n")
    [p] = load_benchmark(tmp_path)
    assert p.instructions.index("INTRO") < p.instructions.index("Do the thing") < p.instructions.index("APPEND")


def test_reference_mapping_per_language(tmp_path):
    root = tmp_path / "bench"
    write_exercise(root / "java/exercises/practice/pair", {
        "src/main/java/Pair.java": "class Pair {}\n",
        "src/test/java/PairTest.java": "class PairTest {}\n",
        ".meta/src/reference/java/Pair.java": "class Pair { Helper h; }\n",
        ".meta/src/reference/java/Helper.java": "class Helper {}\n",
        "build.gradle": "plugins { id 'java' }\n",
        "gradlew": "#!/bin/sh\n",
    }, {"files": {"solution": ["src/main/java/Pair.java"], "test": ["src/test/java/PairTest.java"],
                  "example": [".meta/src/reference/java/Pair.java", ".meta/src/reference/java/Helper.java"],
                  "invalidator": ["build.gradle"]}})
    write_exercise(root / "cpp/exercises/practice/box", {
        "box.h": "#pragma once\n", "box.cpp": "#include \"box.h\"\n", "box_test.cpp": "// tests\n",
        "CMakeLists.txt": "project(box)\n", "test/catch.hpp": "// catch\n", ".meta/example.h": "#pragma once\nint f();\n",
    }, {"files": {"solution": ["box.cpp", "box.h"], "test": ["box_test.cpp"], "example": [".meta/example.h"]}})
    write_exercise(root / "rust/exercises/practice/crab", {
        "src/lib.rs": "pub fn f() { todo!() }\n", "Cargo.toml": "[package]\nname = \"crab\"\n",
        "tests/crab.rs": "#[test] fn t() {}\n", ".meta/example.rs": "pub fn f() {}\n",
        ".meta/Cargo-example.toml": "[package]\nname = \"crab\"\n[dependencies]\nrand = \"0.8\"\n",
    }, {"files": {"solution": ["src/lib.rs", "Cargo.toml"], "test": ["tests/crab.rs"], "example": [".meta/example.rs"]}})
    problems = {p.language: p for p in load_benchmark(root, strict=True)}

    java = problems["java"]
    assert sorted(java.paths("reference")) == ["src/main/java/Helper.java", "src/main/java/Pair.java"]
    assert java.paths("support") == ["build.gradle"]  # the Gradle wrapper is not carried

    cpp = problems["cpp"]
    assert cpp.paths("reference") == ["box.h"] and cpp.reference_removes == ("box.cpp",)
    assert "box.cpp" not in cpp.workspace_files("reference") and "box.cpp" in cpp.workspace_files("stub")
    assert sorted(cpp.paths("support")) == ["CMakeLists.txt", "test/catch.hpp"]

    rust = problems["rust"]
    assert sorted(rust.paths("reference")) == ["Cargo.toml", "src/lib.rs"]
    assert "rand" in rust.workspace_files("reference")["Cargo.toml"]


# ----------------------------------------------------------------------------- bad input


def test_missing_root_names_the_path(tmp_path):
    with pytest.raises(BenchmarkError, match=r"nope: no such directory; the benchmark root is a polyglot-benchmark clone"):
        load_benchmark(tmp_path / "nope")


def test_empty_root_is_an_unknown_layout(tmp_path):
    with pytest.raises(BenchmarkError, match="unknown layout"):
        load_benchmark(tmp_path)


def test_track_with_unsupported_language(tmp_path):
    (tmp_path / "exercises" / "practice").mkdir(parents=True)
    (tmp_path / "config.json").write_text(json.dumps({"slug": "cobol"}))
    with pytest.raises(BenchmarkError, match="'cobol' is not one of the supported languages"):
        load_benchmark(tmp_path)


def test_broken_config_is_skipped_and_counted_or_fatal_with_strict(tmp_path, caplog):
    python_exercise(tmp_path / "python/exercises/practice/good")
    bad = python_exercise(tmp_path / "python/exercises/practice/bad")
    (bad / ".meta" / "config.json").write_text("{ not json")
    extractor = PolyglotBenchmarkExtractor(tmp_path)
    with caplog.at_level(logging.WARNING):
        problems = extractor.extract()
    assert [p.slug for p in problems] == ["good"]
    assert len(extractor.report.skipped) == 1
    assert "bad/.meta/config.json: broken JSON" in extractor.report.skipped[0][1]
    assert "broken JSON" in caplog.text
    with pytest.raises(BenchmarkError, match="broken JSON"):
        load_benchmark(tmp_path, strict=True)


def test_listed_but_absent_file_names_the_file_and_the_fix(tmp_path):
    ex = python_exercise(tmp_path / "python/exercises/practice/greet")
    (ex / "greet_test.py").unlink()
    with pytest.raises(BenchmarkError, match=r"greet_test\.py: listed under files.test .* absent; restore"):
        load_benchmark(tmp_path, strict=True)


def test_ambiguous_reference_is_an_error(tmp_path):
    ex = python_exercise(tmp_path / "python/exercises/practice/greet")
    (ex / "other.py").write_text("")
    config = json.loads((ex / ".meta/config.json").read_text())
    config["files"]["solution"].append("other.py")
    (ex / ".meta/config.json").write_text(json.dumps(config))
    with pytest.raises(BenchmarkError, match="cannot tell which solution file"):
        load_benchmark(tmp_path, strict=True)


def test_missing_instructions_is_an_error(tmp_path):
    ex = python_exercise(tmp_path / "python/exercises/practice/greet")
    (ex / ".docs" / "instructions.md").unlink()
    with pytest.raises(BenchmarkError, match="no .docs/instructions.md"):
        load_benchmark(tmp_path, strict=True)


def test_build_artifacts_and_binaries_are_not_carried(tmp_path):
    ex = python_exercise(tmp_path / "python/exercises/practice/greet")
    (ex / "__pycache__").mkdir()
    (ex / "__pycache__" / "x.pyc").write_bytes(b"\0\1")
    (ex / "data.bin").write_bytes(b"\0\0\0")
    (ex / "notes.txt").write_text("helper data\n")
    [p] = load_benchmark(tmp_path)
    assert p.paths("support") == ["notes.txt"]


# ----------------------------------------------------------------------------- index and score


def _p(lang: str, slug: str) -> Problem:
    return Problem(language=lang, slug=slug, instructions="", files=())


def test_cross_language_index_stats():
    problems = [_p("python", "a"), _p("go", "a"), _p("rust", "a"), _p("python", "b"), _p("go", "b"), _p("java", "c")]
    index = CrossLanguageIndex.from_problems(problems)
    assert index.languages == ["go", "java", "python", "rust"]
    assert index.problems_per_language() == {"go": 2, "java": 1, "python": 2, "rust": 1}
    assert index.coverage_histogram() == {1: 1, 2: 1, 3: 1, 4: 0}
    pairs = index.transfer_pairs()
    assert pairs[("python", "go")] == 2 and pairs[("go", "python")] == 2
    assert pairs[("python", "rust")] == 1 and pairs[("java", "go")] == 0
    assert sum(pairs.values()) == 3 * 2 + 2 * 1


def test_complexity_score_is_bounded_and_monotone():
    assert complexity_score(0, 0, 0) == 0.0
    assert complexity_score(10_000, 10_000, 10_000_000) == 1.0
    assert complexity_score(20, 5, 500) < complexity_score(80, 5, 500) < complexity_score(80, 20, 500)


# ----------------------------------------------------------------------------- the real benchmark


@pytest.mark.slow
def test_real_benchmark_counts(real_root):
    problems = load_benchmark(real_root, strict=True)
    counts = Counter(p.language for p in problems)
    assert counts == {"cpp": 26, "go": 39, "java": 47, "javascript": 49, "python": 34, "rust": 30}
    index = CrossLanguageIndex.from_problems(problems)
    assert len(index.languages_by_slug) == 100
    assert index.coverage_histogram()[6] == 0
    for p in problems:
        assert p.files_with_role("test") and p.files_with_role("solution") and p.files_with_role("reference"), p.id
        for path in p.paths("reference"):
            assert not Path(path).is_absolute() and ".." not in Path(path).parts and not path.startswith(".meta")
