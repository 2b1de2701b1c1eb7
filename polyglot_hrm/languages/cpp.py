"""C++: the exercise's CMake build and its bundled Catch2 single header.

References are ``.meta/example.cpp`` and ``.meta/example.h``. A header-only reference has no
``.cpp``; the exercise's CMakeLists.txt compiles ``<slug>.cpp`` whenever it exists, so the stub
``.cpp`` must be removed when the reference is in place. The track skips all but the first test
behind ``#if defined(EXERCISM_RUN_ALL_TESTS)``: the runner configures with
``-DEXERCISM_RUN_ALL_TESTS=ON``. CMakeLists.txt names its target after the exercise folder, so
the workspace folder is named after the slug.

Speed without losing fidelity: CMake itself is asked, once per distinct CMakeLists.txt, for the
exact compile flags (definitions included, e.g. Boost's), sources and link line of the target
(``flags.make``, ``link.txt``, ``compile_commands.json``); that recipe, and the object of
``test/tests-main.cpp`` (Catch2's ``main``, the slow part to compile), are cached by content
hash. A run then makes one compiler call with CMake's own flags. Whenever the workspace's
CMakeLists.txt or Catch2 files differ from the exercise's originals (a candidate changed them), or
a ``.cpp`` appears that CMake was not configured with, the run falls back to plain CMake.

A candidate writes top-level ``.cpp``/``.h``/``.hpp`` files only: never ``CMakeLists.txt``, ``test/``
(Catch2 and its ``main``) or a test, and no header named like a system header. A solution header
can still redefine Catch2's macros for the test file that includes it: the canary tests appended to
that file use the same macros, so such a patch makes a must-fail canary pass. The verdict is read
from Catch2's JUnit report (``-r junit -o FILE``).
"""

from __future__ import annotations

import json
import logging
import os
import re
import shlex
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Sequence

from . import register
from .artifacts import ArtifactCache, content_key
from .base import Language, Step, ToolCheck, split_parameters, tool_version
from .reports import Canary, Report, canary_id, canary_values, junit_outcomes, junit_text, parse_xml, read_report_file

logger = logging.getLogger(__name__)

_MAIN = "test/tests-main.cpp"
_CATCH = "test/catch.hpp"
_REPORT = "catch.xml"
_NEW_FILE_SUFFIXES = (".cpp", ".cc", ".h", ".hpp")
# A failing use of each Catch2 macro: the canary for every one the test file uses.
_FAILING = {
    "REQUIRE": "REQUIRE({a} == {b});",
    "CHECK": "CHECK({a} == {b});",
    "REQUIRE_FALSE": "REQUIRE_FALSE({a} == {a});",
    "CHECK_FALSE": "CHECK_FALSE({a} == {a});",
    "REQUIRE_THROWS": "REQUIRE_THROWS(static_cast<void>({a}));",
    "REQUIRE_THROWS_AS": "REQUIRE_THROWS_AS(static_cast<void>({a}), std::exception);",
    "CHECK_THROWS_AS": "CHECK_THROWS_AS(static_cast<void>({a}), std::exception);",
    "REQUIRE_NOTHROW": "REQUIRE_NOTHROW(throw {a});",
    "CHECK_NOTHROW": "CHECK_NOTHROW(throw {a});",
    "REQUIRE_THAT": 'REQUIRE_THAT(std::string("{a}"), Catch::Matchers::Equals("{b}"));',
    "CHECK_THAT": 'CHECK_THAT(std::string("{a}"), Catch::Matchers::Equals("{b}"));',
}
_ALWAYS = ("REQUIRE", "CHECK", "REQUIRE_THROWS_AS", "REQUIRE_NOTHROW")
_MACRO = re.compile(r"\b([A-Z_]{5,20})\(")


@lru_cache(maxsize=1)
def system_header_names() -> frozenset[str]:
    """File names directly under the compiler's include directories: a candidate header must not take one."""
    names: set[str] = set()
    roots = [Path("/usr/include"), Path("/usr/local/include"), *Path("/usr/include").glob("c++/*"),
             *Path("/usr/include").glob("*-linux-gnu")]
    for root in roots:
        try:
            names.update(os.listdir(root))
        except OSError:
            pass
    return frozenset(names)


@dataclass(frozen=True)
class CMakeRecipe:
    """What CMake would run for the exercise's target, with ``@WS@`` for the source folder."""

    compiler: str
    compile_flags: tuple[str, ...]
    sources: tuple[str, ...]  # relative to the exercise folder
    link_args: tuple[str, ...]


@lru_cache(maxsize=1)
def _toolchain_id() -> str:
    return "\n".join(subprocess.run(argv, capture_output=True, text=True).stdout.splitlines()[0]
                     for argv in (["c++", "--version"], ["cmake", "--version"]))


def _read_make_var(text: str, name: str) -> list[str]:
    match = re.search(rf"^{name} = (.*)$", text, re.M)
    return shlex.split(match.group(1)) if match else []


def _configure(problem, folder: Path) -> CMakeRecipe:
    """Ask CMake (on the exercise's original, trusted files) what it would compile and link."""
    src = folder / problem.slug
    for f in problem.files_with_role("solution", "test", "editor", "support"):
        (src / f.path).parent.mkdir(parents=True, exist_ok=True)
        (src / f.path).write_text(f.content)
    build = folder / "build"
    subprocess.run(["cmake", "-S", str(src), "-B", str(build), "-DEXERCISM_RUN_ALL_TESTS=ON",
                    "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON"], check=True, capture_output=True, text=True)
    target = build / "CMakeFiles" / f"{problem.slug}.dir"
    flags = (target / "flags.make").read_text()
    commands = json.loads((build / "compile_commands.json").read_text())
    compile_flags = [*_read_make_var(flags, "CXX_DEFINES"), *_read_make_var(flags, "CXX_INCLUDES"),
                     *_read_make_var(flags, "CXX_FLAGS")]
    link = shlex.split((target / "link.txt").read_text())
    link_args, skip = [], False
    for token in link[1:]:
        if skip:
            skip = False
        elif token == "-o":
            skip = True
        elif not token.endswith(".o"):
            link_args.append(token)
    ws = str(src)
    fix = lambda items: tuple(t.replace(ws, "@WS@") for t in items)  # noqa: E731
    sources = tuple(str(Path(c["file"]).relative_to(src)) for c in commands)
    return CMakeRecipe(shlex.split(commands[0]["command"])[0], fix(compile_flags), sources, fix(link_args))


# Header -> (Debian package, text that shows an exercise needs it, the file that text is in).
_SYSTEM_HEADERS = {"boost/date_time.hpp": ("libboost-date-time-dev", "Boost", "CMakeLists.txt"),
                   "tbb/tbb.h": ("libtbb-dev", "TBB", "CMakeLists.txt"),
                   "catch2/catch.hpp": ("catch2", "<catch2/catch.hpp>", _CATCH)}


def _missing_headers(wanted: dict[str, tuple[str, str, str]]) -> str | None:
    missing = [pkg for header, (pkg, _, _) in wanted.items() if not any(
        (Path(root) / header).is_file() for root in ("/usr/include", "/usr/local/include"))]
    return f"missing headers; run `apt-get install {' '.join(missing)}` (or `make setup`)" if missing else None


class Cpp(Language):
    name = "cpp"
    title = "C++"
    track_names = ("cpp", "c++")
    test_globs = ("*_test.cpp",)
    section_start = re.compile(r"--- ")
    run_cost = 3

    fence_tag = "cpp"
    source_suffixes = (".cpp", ".cc", ".cxx", ".h", ".hpp", ".hh")
    type_first_declarations = True
    function_header = re.compile(
        r"^(\s*)(?:template\s*<[^>]*>\s*)?(?:(?:inline|static|constexpr|virtual|explicit|friend)\s+)*"
        r"(?:[\w:<>,*&~\s]+?[\s*&])?(?P<name>~?[\w:]*\w|operator\S+)\s*\([^;]*$")

    # Concepts and constructs (polyglot_hrm.languages.concepts), over code with comments and strings blanked.
    concept_patterns = {
        "iteration": r"\b(for|while)\b|\bstd::(transform|accumulate|for_each|count_if|any_of|all_of)\b",
        "string_processing": r"\bstd::(string|stringstream|istringstream|ostringstream)\b"
                             r"|\b(isalpha|isdigit|isalnum|isspace|isupper|islower|tolower|toupper)\s*\(|\.substr\(",
        "mapping": r"\b(std::)?(unordered_)?map\s*<",
        "sorting": r"\b(std::)?(ranges::)?sort\s*\(",
        "modular_arithmetic": r"%",
        "error_handling": r"\bthrow\b|\btry\s*\{|\bstd::optional\b",
        "higher_order_functions": r"\[[\w&=,\s]*\]\s*\(|\bstd::function\b",
    }
    construct_patterns = {
        "static_types": r"\b(int|long|short|double|float|bool|char|void|auto|unsigned|size_t|std::\w+)\b",
        "classes": r"\b(class|struct)\s+\w",
        "exceptions": r"\b(throw|try|catch)\b",
        "error_values": r"\bstd::(optional|expected)\b",
        # `T& name`, `T &name`, `T* name`, `T *name` (a type, then the reference or pointer mark)
        "pointers_references": r"[\w>]&\s*\w|[\w>]\s+&\w|[\w>]\*\s+\w|\w\s+\*\w",
        "type_parameters": r"\b(std::)?(vector|map|unordered_map|set|unordered_set|optional|pair|array|list|deque"
                           r"|stack|queue|function)\s*<",
        "explicit_casts": r"\b(static|dynamic|reinterpret|const)_cast\s*<|\(\s*(int|char|long|double|unsigned|float"
                          r"|size_t)\s*\)\s*\w",
        "headers": r"^\s*#\s*include\b",
    }


    identifier_case = "snake"
    reserved_words = frozenset(
        "alignas alignof and asm auto bool break case catch char char16_t char32_t class const constexpr "
        "const_cast continue decltype default delete do double dynamic_cast else enum explicit export extern false "
        "float for friend goto if inline int long mutable namespace new noexcept not nullptr operator or private "
        "protected public register reinterpret_cast return short signed sizeof static static_assert static_cast "
        "struct switch template this thread_local throw true try typedef typeid typename union unsigned using "
        "virtual void volatile wchar_t while std string vector map set size_t".split())
    local_declaration = re.compile(
        r"^(?:const\s+)?(?!return\b|throw\b|new\b|delete\b|else\b|using\b|typedef\b)"
        r"(?P<type>[A-Za-z_][\w:]*(?:<[^=;]*>)?(?:\s*[&*])?)\s+(?P<name>[a-z_]\w*)\s*=(?!=)\s*(?P<value>\S.*);$")
    index_loops = ((re.compile(r"^for \((?:int|size_t|std::size_t|unsigned|unsigned int|auto|long) (?P<index>\w+)"
                               r" ?= ?0;\s*(?P=index) < (?P<seq>[\w.]+)\.(?:size|length)\(\);\s*"
                               r"(?:(?P=index)\+\+|\+\+(?P=index))\) \{$"), "{seq}[{index}]"),)
    foreach_header = "for (const auto& {item} : {seq}) {{"

    def helper_header(self, header: str, function: str, helper: str) -> str | None:
        name_at = header.find(function)
        if header[:1].isspace() or "::" in header[:name_at] and re.search(r"\w::" + re.escape(function), header):
            return None  # a member function: the helper would need its object
        if not header[:name_at].strip() or "operator" in header:  # a constructor, an operator
            return None
        return super().helper_header(header, function, helper)

    def parameter_names(self, params: str) -> list[str] | None:
        parts = split_parameters(params)
        if parts == ["void"]:
            return []
        out = []
        for param in parts:
            param = param.split("=")[0].strip()
            m = re.search(r"(\w+)\s*(\[\w*\])*$", param)
            if not m or m.group(1) in self.reserved_words or len(param.split()) < 2 and "&" not in param:
                return None
            out.append(m.group(1))
        return out

    def returns_value(self, header: str) -> bool:
        return not re.search(r"(^|\s)void\s+[\w:]+\s*\(", header)

    def new_file_problem(self, path: str) -> str | None:
        pure = PurePosixPath(path)
        if len(pure.parts) != 1 or pure.suffix not in _NEW_FILE_SUFFIXES:
            return "a new C++ file must be a top-level .cpp/.h/.hpp source"
        if self.is_test_file(path) or pure.name in ("tests-main.cpp", "catch.hpp"):
            return "a test file or part of the test harness (only the exercise's tests run)"
        if pure.name in system_header_names():
            return f"{pure.name} would shadow a system header"
        return None

    def add_canaries(self, files: dict[str, str], problem, token: str) -> Canary:
        test_file = self.first_test_file(files)
        text = files[test_file]
        a, b = canary_values(token)
        seen = set(_MACRO.findall(text))
        used = [m for m in _FAILING if m in _ALWAYS or m in seen]
        fails = [canary_id(token, "fail_" + m) for m in used]
        cases = [f'TEST_CASE("{canary_id(token, "pass")}") {{\n    REQUIRE({a} == {a});\n}}\n']
        cases += [f'TEST_CASE("{fail}") {{\n    {_FAILING[m].format(a=a, b=b)}\n}}\n' for m, fail in zip(used, fails)]
        files[test_file] = text.rstrip("\n") + "\n\n" + "\n".join(cases)
        return Canary(token, (canary_id(token, "pass"),), tuple(fails))

    def reference_removes(self, solution_paths: Sequence[str], reference_paths: Sequence[str]) -> list[str]:
        replaced = set(reference_paths)
        return [p for p in solution_paths if PurePosixPath(p).suffix == ".cpp" and p not in replaced]

    # ------------------------------------------------------------------ cached build pieces

    def recipe(self, problem, ctx) -> CMakeRecipe | None:
        originals = {f.path: f.content for f in problem.files}
        if "CMakeLists.txt" not in originals:
            return None
        key = content_key("cpp-recipe-v1", problem.slug, originals["CMakeLists.txt"],
                          sorted(p for p in originals if p.endswith(".cpp")), _toolchain_id())

        def build(folder: Path) -> None:
            with tempfile.TemporaryDirectory() as tmp:
                recipe = _configure(problem, Path(tmp))
            (folder / "recipe.json").write_text(json.dumps(recipe.__dict__))

        try:
            entry = ArtifactCache(ctx.path("cpp", "recipes")).get(key, build)
            data = json.loads((entry / "recipe.json").read_text())
        except (OSError, subprocess.CalledProcessError, ValueError, KeyError, IndexError) as err:
            logger.warning("%s: no cached CMake recipe (%s); using CMake for this run", problem.id, err)
            return None
        return CMakeRecipe(data["compiler"], tuple(data["compile_flags"]), tuple(data["sources"]),
                           tuple(data["link_args"]))

    def main_object(self, problem, recipe: CMakeRecipe, ctx) -> Path | None:
        originals = {f.path: f.content for f in problem.files}
        if _MAIN not in originals or _CATCH not in originals:
            return None
        flags = [f for f in recipe.compile_flags if "@WS@" not in f]
        key = content_key("cpp-main-v1", recipe.compiler, flags, originals[_CATCH], originals[_MAIN], _toolchain_id())

        def build(folder: Path) -> None:
            with tempfile.TemporaryDirectory() as tmp:
                for path in (_MAIN, _CATCH):
                    (Path(tmp) / path).parent.mkdir(parents=True, exist_ok=True)
                    (Path(tmp) / path).write_text(originals[path])
                subprocess.run([recipe.compiler, *flags, "-c", _MAIN, "-o", str(folder / "tests-main.o")],
                               cwd=tmp, check=True, capture_output=True)

        try:
            return ArtifactCache(ctx.path("cpp", "objects")).get(key, build) / "tests-main.o"
        except (OSError, subprocess.CalledProcessError) as err:
            logger.warning("%s: could not precompile the Catch2 main (%s)", problem.id, err)
            return None

    # ------------------------------------------------------------------ running

    def _fast_steps(self, workspace: Path, ctx, problem, report_dir: Path) -> list[Step] | None:
        originals = {f.path: f.content for f in problem.files}

        def unchanged(path: str) -> bool:
            return (workspace / path).is_file() and (workspace / path).read_text() == originals.get(path)

        if not unchanged("CMakeLists.txt"):
            return None
        recipe = self.recipe(problem, ctx)
        if recipe is None:
            return None
        present = {p.name for p in workspace.glob("*.cpp")}
        if not present <= set(recipe.sources):
            return None  # a .cpp CMake was not configured with: let CMake decide
        sources = [s for s in recipe.sources if (workspace / s).is_file()]
        if _MAIN in sources and unchanged(_MAIN) and unchanged(_CATCH):
            main = self.main_object(problem, recipe, ctx)
            if main is not None:
                sources = [str(main) if s == _MAIN else s for s in sources]
        exe = workspace / "build" / workspace.name
        exe.parent.mkdir(exist_ok=True)
        ws = str(workspace)
        argv = [recipe.compiler, *(f.replace("@WS@", ws) for f in recipe.compile_flags), *sources,
                "-o", str(exe), *(a.replace("@WS@", ws) for a in recipe.link_args)]
        return [Step(argv, compiles=True), self._test_step(exe, report_dir)]

    @staticmethod
    def _test_step(exe: Path, report_dir: Path) -> Step:
        return Step([str(exe), "--reporter", "junit", "--out", str(report_dir / _REPORT)])

    def steps(self, workspace: Path, ctx, problem, report_dir: Path) -> list[Step]:
        fast = self._fast_steps(workspace, ctx, problem, report_dir)
        if fast is not None:
            return fast
        build = workspace / "build"
        exe = build / workspace.name
        return [
            Step(["cmake", "-S", str(workspace), "-B", str(build), "-DEXERCISM_RUN_ALL_TESTS=ON"], compiles=True),
            Step(["cmake", "--build", str(build), "--target", workspace.name], compiles=True),
            self._test_step(exe, report_dir),
        ]

    def read_report(self, report_dir: Path, output: str) -> Report | None:
        data = read_report_file(report_dir / _REPORT)
        if data is None:
            return None
        root = parse_xml(data)
        report = junit_outcomes(root, lambda case: case.get("name", ""))
        report.text = junit_text(root)  # Catch2's junit reporter keeps failures and stdout in the report only
        return report

    def provision(self, ctx, problems: Sequence) -> list[str]:
        """Precompute CMake recipes and Catch2 mains for every C++ problem (optional: runs do it lazily)."""
        done = 0
        for p in problems:
            if p.language == self.name:
                recipe = self.recipe(p, ctx)
                if recipe is not None and self.main_object(p, recipe, ctx) is not None:
                    done += 1
        return [f"CMake recipes and Catch2 mains ready for {done} exercise(s)"] if done else []

    def missing_provision(self, ctx) -> str | None:
        return _missing_headers(_SYSTEM_HEADERS)

    def missing_dependency(self, problem, ctx) -> str | None:
        # Only the headers this exercise's build uses: Boost or TBB where CMakeLists.txt links them, Catch2
        # where test/catch.hpp forwards to the system's (the mini-benchmark's shim).
        files = {f.path: f.content for f in problem.files}
        wanted = {header: pkg for header, (pkg, needle, path) in _SYSTEM_HEADERS.items()
                  if needle in files.get(path, "")}
        return _missing_headers({h: _SYSTEM_HEADERS[h] for h in wanted})

    def toolchain(self) -> list[ToolCheck]:
        return [ToolCheck("g++", tool_version(["g++", "--version"]), "apt-get install g++"),
                ToolCheck("cmake", tool_version(["cmake", "--version"]), "apt-get install cmake")]


CPP = register(Cpp())
