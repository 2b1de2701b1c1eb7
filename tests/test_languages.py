"""A language is one module (issue 14): its syntax facts live on its ``Language``, nothing outside
``polyglot_hrm/languages/`` names a language, the model's own table equals the registry, and a toy
seventh language defined in one file (``tests/fixtures/toylang.py``) is read, run and made into rows."""

from __future__ import annotations

import ast
import fnmatch
import os
import re
import shutil
import sys
from collections import Counter
from pathlib import Path

import pytest

import hrm_modeling
import polyglot_hrm
from conftest import ALL_LANGUAGES, write_exercise
from fixtures import toylang
from polyglot_hrm.problems import load_benchmark
from polyglot_hrm.dataset.rows import build_rows
from polyglot_hrm.dataset.config import PolyglotHRMConfig
from polyglot_hrm.dataset.names import CONFIG_NAMES
from polyglot_hrm.edit_format import EditBlock, render_blocks
from polyglot_hrm.execution import run_problem
from polyglot_hrm.execution.sandbox import Sandbox
from polyglot_hrm.languages import LANGUAGES, Language, get_language, register
from polyglot_hrm.languages.context import RunnerContext
from polyglot_hrm.languages.registry import ARTIFACT_FOLDERS, mask_durations, toolchain_paths
from polyglot_hrm.modelio.prompt_format import render_files, render_prompt
from polyglot_hrm.synthesis.functions import find_functions
from polyglot_hrm.synthesis.mutation import enumerate_mutants

PACKAGE = Path(polyglot_hrm.__file__).resolve().parent
REPO = PACKAGE.parent


def test_the_models_table_equals_the_registry_and_the_configurations():
    # hrm_modeling ships as remote code and imports nothing of polyglot_hrm: its copy must agree.
    assert hrm_modeling.LANGUAGES == tuple(LANGUAGES) == tuple(ALL_LANGUAGES)
    assert hrm_modeling.TASKS == CONFIG_NAMES == ("generation", "diff_edit", "transfer")


# ---------------------------------------------------------------------------------------------
# the language guard: no language fact outside polyglot_hrm/languages/
#
# What it reads: every string constant of every module of polyglot_hrm/ outside languages/ (f-strings' literal
# parts included), docstrings and the texts below aside. Comments are not read (they are not in the code).
#
# Out of its scope, and why:
# * hrm_modeling/: remote code that imports nothing of polyglot_hrm, so it keeps its own copy of the language
#   table; test_the_models_table_equals_the_registry_and_the_configurations checks the copy.
# * recipes (polyglot_hrm/recipes/*.yaml, trainer/recipes/*.yaml): a user's settings (which languages to train
#   on, with which weights), not code; only Python modules are read.
# * polyglot_hrm/data/: the mini-benchmark's exercises and the runners' data files, content in each language.
# * TEXTS: text written for people or models, not acted on: docstrings, the dataset card and the dataset's
#   description (card text: they describe the shipped data, whose languages they name), and the example in the
#   chat prompts of how an answer looks (Aider's prompts show a Python file): every prompt repeats it, and
#   changing it would change what every model is asked.
TEXTS = {"dataset/card.py": "*", "dataset/builder.py": {"_DESCRIPTION"}, "modelio/chat_format.py": {"WHOLE_RULES"},
         "edit_format.py": {"EXAMPLE_BLOCK"}}
# What it looks for: the facts each registered Language declares (see language_terms): its names (name, title,
# track names, fence tag), the tools it starts or checks (programs, the toolchain checks' names), its toolchain
# folders, host environment variables and artifact folders, and its source suffixes.
# The matching rule: a constant is cut into words at white space and punctuation (keeping / . _ - ~ + * #),
# and a word into path parts at "/". A part that equals a term (any case; a trailing "." dropped) is a hit;
# so is a part that ends in a source suffix (``*.rs``, ``lib.rs``, ``.py``). Three kinds of part are not hits:
# * HOMONYMS, terms that are also ordinary words of this package or of any system: not on their own. A homonym
#   that is a language's name still counts as a whole constant (``"go"``) and in a path (``go/ledger``); the
#   others (``node``, ``bin``, ``/bin/sh``) are left to the distinctive terms beside them (``node_modules``,
#   ``.cargo``);
# * this project's own Python: a file of the repository's own code (``trainer/train.py``, ``*.py`` over the
#   package's own folders), and ``python -m polyglot_hrm...`` usage lines;
# * nothing else: no module is exempt.
HOMONYMS = {
    "go": "the verb (where outputs go)",
    "node": "a machine of a Ray cluster",
    "build": "the `build` command; any tool's build folder",
    "target": "a mutation's target, a transfer's target language",
    "bin": "any installation's folder of programs",
    "__pycache__": "also this package's own bytecode, which a Ray upload leaves out",
    "llama.cpp": "an inference server, not a C++ file",
}
_SPLIT = re.compile(r"[\s`'\"()\[\]{},;:=<>|!?@$%&^\\]+")
_OWN_PYTHON = re.compile(r"\bpython -m polyglot_hrm[\w.]*")


def language_terms(monkeypatch) -> tuple[set[str], set[str], set[str]]:
    """(the registered languages' names, all their words including the names, their source suffixes), lower-case."""
    names, words, suffixes = set(), set(), set()
    for language in LANGUAGES.values():
        # Only the checks' names are wanted: their version probes are skipped.
        monkeypatch.setattr(sys.modules[type(language).__module__], "tool_version", lambda *a, **k: None)
        names |= {language.name, language.title, *language.track_names, language.fence_tag}
        words |= {*language.programs, *(check.name.split()[0] for check in language.toolchain()),
                  *language.host_env, *language.artifact_folders,
                  *(part for folder in language.home_toolchain for part in folder.split("/"))}
        suffixes |= {*language.source_suffixes, *language.support_fence_tags}
    names = {n.lower() for n in names if n}
    return names, names | {w.lower() for w in words if w}, {s.lower() for s in suffixes}


def _own_code() -> list[str]:
    """This repository's own Python files (paths relative to the repository), tests and data left out."""
    roots = [PACKAGE, REPO / "trainer", REPO / "metrics", REPO / "hrm_modeling", REPO / "benchmarks"]
    files = [p for root in roots for p in root.rglob("*.py") if "data" not in p.relative_to(REPO).parts]
    return [p.relative_to(REPO).as_posix() for p in files + sorted(REPO.glob("*.py"))]


def _is_own(name: str, own: list[str]) -> bool:
    """Whether ``name`` (a path, a file name or a glob) names a file of this repository's own code."""
    return any(fnmatch.fnmatch(path, name) or fnmatch.fnmatch(path, "*/" + name) for path in own)


def language_facts_in(text: str, terms: tuple[set[str], set[str], set[str]], own: list[str]) -> list[str]:
    """The language facts the string constant ``text`` holds, by the matching rule above."""
    names, words, suffixes = terms
    if text.lower() in names:  # a name is never a bare constant, a homonym's included
        return [text]
    found = []
    for word in _SPLIT.split(_OWN_PYTHON.sub(" ", text)):
        parts = [p.rstrip(".") for p in word.split("/") if p.rstrip(".")]
        for part in parts:
            lower = part.lower()
            if lower in HOMONYMS and (len(parts) == 1 or lower not in names):
                continue
            if lower in words or (lower.endswith(tuple(suffixes)) and not _is_own(word if len(parts) > 1 else part, own)):
                found.append(word)
                break
    return found


def _texts(tree: ast.Module, rel: str) -> set[int]:
    """ids of the constants out of scope in one module: docstrings and TEXTS."""
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skipped.add(id(first.value))
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id in TEXTS.get(rel, ())
                                                for t in node.targets):
            skipped |= {id(n) for n in ast.walk(node.value)}
    return skipped


def test_no_module_outside_the_language_modules_names_a_language(monkeypatch):
    terms, own = language_terms(monkeypatch), _own_code()
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith(("languages/", "data/")) or TEXTS.get(rel) == "*":
            continue
        tree = ast.parse(path.read_text())
        skipped = _texts(tree, rel)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skipped:
                found += [f"{rel}:{node.lineno}: {hit!r}" for hit in language_facts_in(node.value, terms, own)]
    assert not found, "language facts belong to the language's module:\n" + "\n".join(found)


@pytest.mark.parametrize("text", [
    "cargo", "java", "javac", "cmake", "~/.cargo/bin", "RUSTUP_HOME", "node_modules", "JAVA_HOME",
    "go/ledger", "python,rust", "e.g. python/bowling", "bowling.py", "*.rs", "src/lib.rs", ".gradle", "C++", "Go",
    "run `npm install` first", "pytest's report", "x_test.go", "*_test.py", "go", "python",
    "the Rust toolchain", "JavaScript's", "ids look like cpp/grains.", "~/.rustup",
])
def test_the_guard_catches_language_facts(text, monkeypatch):
    assert language_facts_in(text, language_terms(monkeypatch), _own_code()), text


@pytest.mark.parametrize("text", [
    "where outputs go (default: demo_output)", "runs_per_node", "node", "Runs per node (local executor)",
    "ray.io/node-id", "target", "build", "make demo", "python -m polyglot_hrm.evaluation", "trainer/train.py",
    "*.py", "polyglot_hrm/evaluation/measures.py", "vLLM, TGI, llama.cpp, ...", "__pycache__", ".git", "*.pyc", "/bin/sh",
])
def test_the_guard_leaves_ordinary_words_and_this_projects_own_python(text, monkeypatch):
    assert not language_facts_in(text, language_terms(monkeypatch), _own_code()), text


# ---------------------------------------------------------------------------------------------
# what the host gives a run: declared by each language, unioned by the registry

#: What the package spelled out itself until issue 24 (the sandbox's binds, the run environment, the two walks'
#: skipped folders), now declared by each language: judging code, so it must not change unnoticed.
DECLARED = {
    "cpp": (("cmake",), (), (), ("build",)),
    "go": (("go",), (), (), ()),
    "java": (("java", "javac"), (), ("JAVA_HOME",), ("build", "bin", ".gradle")),
    "javascript": (("node",), (), (), ("node_modules",)),
    "python": ((), (), (), ("__pycache__", ".pytest_cache")),
    "rust": (("cargo",), (".rustup", ".cargo/bin"), ("RUSTUP_HOME", "RUSTUP_TOOLCHAIN"), ("target",)),
}


def test_the_languages_declare_what_the_package_spelled_out_before():
    assert {language.name: (language.programs, language.home_toolchain, language.host_env, language.artifact_folders)
            for language in LANGUAGES.values()} == DECLARED
    assert set(ARTIFACT_FOLDERS) == {".git", "node_modules", "target", "build", "bin", "__pycache__", ".pytest_cache",
                                     ".gradle"}


def test_the_sandbox_shows_a_run_what_it_showed_when_it_named_the_tools_itself(tmp_path):
    ctx = RunnerContext(cache_dir=tmp_path / "cache")
    ctx.cache_dir.mkdir()
    home = Path.home()
    # The sandbox's own list until issue 24, verbatim.
    before = [Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).parent, ctx.cache_dir,
              home / ".rustup", home / ".cargo" / "bin"]
    for tool in ("go", "cargo", "node", "java", "javac", "cmake"):
        found = shutil.which(tool)
        # ... less an installation inside the home folder (rustup's cargo made it all of ~/.cargo, credentials
        # included): the declared home folders (~/.rustup, ~/.cargo/bin) are what a run needs there.
        if found and home not in Path(found).resolve().parents[1].parents:
            before.append(Path(found).resolve().parent.parent)
    before = [p for p in before if p.exists()]
    sandbox = Sandbox(use_bwrap=True)
    assert Counter(sandbox.visible_paths(ctx)) == Counter(before)
    assert home not in sandbox.visible_paths(ctx) and home / ".cargo" not in sandbox.visible_paths(ctx)
    # The bwrap command takes the paths as a set (same-depth binds come in the set's order, as before).
    workspace = tmp_path / "run"
    workspace.mkdir()
    assert Counter(sandbox.bwrap_argv(workspace, ctx)) == Counter(sandbox.bwrap_argv(workspace, ctx, visible=before))


def test_a_run_gets_the_environment_it_got_when_the_context_named_the_variables(tmp_path, monkeypatch):
    (tmp_path / ".rustup").mkdir()
    for name in ("RUSTUP_HOME", "LC_ALL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    monkeypatch.setenv("JAVA_HOME", "/jdk")
    monkeypatch.setenv("RUSTUP_TOOLCHAIN", "stable")
    monkeypatch.setenv("CARGO_HOME", "/not/passed")
    expected = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "LANG": "en_GB.UTF-8", "RUSTUP_TOOLCHAIN": "stable",
                "JAVA_HOME": "/jdk", "CI": "true", "NO_COLOR": "1", "TERM": "dumb", "TMPDIR": "/tmp",
                "RUSTUP_HOME": str(tmp_path / ".rustup")}
    assert RunnerContext(cache_dir=tmp_path / "cache").base_env() == expected
    monkeypatch.setenv("RUSTUP_HOME", "/rustup")
    assert RunnerContext(cache_dir=tmp_path / "cache").base_env()["RUSTUP_HOME"] == "/rustup"


def test_the_retry_prompt_masks_durations_as_before():
    old = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(\s?)(ms|s)\b")  # protocol.py's pattern until issue 24
    for text in ["test_a PASSED in 0.05s", "ok  \tx\t(0.00s)", "finished in 0.00s; 12ms 3 s v0.5s x1.5s",
                 "Time: 0.5 s, 10.2s and 3ms.", "--- PASS: TestX (0.01s)\n1s2s 99s", "4.5.6s"]:
        assert mask_durations(text) == old.sub(lambda m: f"?{m.group(1)}{m.group(2)}", text), text


def test_a_language_registered_later_counts_in_the_registrys_unions(tmp_path, monkeypatch):
    class Late(Language):
        name = "late"
        programs = ("late-run",)
        home_toolchain = (".late",)
        host_env = ("LATE_HOME",)
        artifact_folders = ("late_out",)
        durations = re.compile(r"(?P<number>\d+) ticks")

        def host_env_defaults(self) -> dict[str, str]:
            return {"LATE_HOME": "/late"}

    monkeypatch.setitem(LANGUAGES, "late", Late())
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    program = tmp_path / "opt" / "late" / "bin" / "late-run"  # outside the home: home toolchains are declared
    program.parent.mkdir(parents=True)
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{program.parent}{os.pathsep}{os.environ['PATH']}")
    assert {"late_out", ".git", "node_modules"} <= set(ARTIFACT_FOLDERS) and "late_out" in ARTIFACT_FOLDERS
    assert {tmp_path / "home" / ".late", (tmp_path / "opt" / "late").resolve()} <= set(toolchain_paths())
    assert RunnerContext(cache_dir=tmp_path / "cache").base_env()["LATE_HOME"] == "/late"
    monkeypatch.setenv("LATE_HOME", "/mine")
    assert RunnerContext(cache_dir=tmp_path / "cache").base_env()["LATE_HOME"] == "/mine"
    assert mask_durations("took 12 ticks, 0.5s") == "took ? ticks, ?s"


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
