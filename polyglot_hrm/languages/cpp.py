"""C++: the exercise's CMake build and its bundled Catch2 single header.

References are ``.meta/example.cpp`` and ``.meta/example.h``. A header-only reference has no
``.cpp``; the exercise's CMakeLists.txt compiles ``<slug>.cpp`` whenever it exists, so the stub
``.cpp`` must be removed when the reference is in place. The track skips all but the first test
behind ``#if defined(EXERCISM_RUN_ALL_TESTS)``: the runner configures with
``-DEXERCISM_RUN_ALL_TESTS=ON``. CMakeLists.txt names its target after the exercise folder, so
the workspace folder is named after the slug.

Speed without losing fidelity: CMake itself is asked, once per distinct CMakeLists.txt and set of
``.cpp`` files, for the exact compile flags (definitions included, e.g. Boost's), sources and link line
of the target (``flags.make``, ``link.txt``, ``compile_commands.json``); that recipe, and the objects of
the test harness under ``test/`` (Catch2's implementation and ``main``, the slow part to compile), are
cached by content hash. A run then compiles the test file, then the candidate's own ``.cpp`` files and
links, with CMake's own flags. Whenever the workspace's CMakeLists.txt differs from the exercise's
(candidates cannot write it) or CMake cannot be asked, the run falls back to plain CMake.

``main()`` is ours, not the exercise's ``test/tests-main.cpp`` (:data:`_MAIN_SOURCE`, Catch2 v2 and v3): it
registers, before any ordinary static initializer runs, a listener that ends the process without a report when a
test run starts before ``main()`` (a candidate's static initializer driving ``Catch::Session``); refuses to run
when a test-event listener or a ``junit`` reporter other than Catch2's own is registered (candidate code hooking
the reporter); and after the run flushes and leaves with ``_Exit``, so that no ``atexit`` handler or static
destructor of candidate code runs after Catch2 wrote the report. The report goes to the host's pipe
(:data:`.base.REPORT_FD_PATH`), which takes it as it is written.

What the tests' sources are visible to: the test file (canaries included) is compiled first, in a step of its own;
the candidate's ``.cpp`` files are compiled in the next step, with the test file removed and the test objects in
a folder of random name (no ``#include``/``.incbin`` there can name them); the test binary runs (no-exec launcher)
with neither in view. The candidate's *header* is another matter: the test file includes it, so it is compiled in
the test's translation unit and sees the test source (``__BASE_FILE__``, ``.incbin``) and Catch2's macros (it can
redefine them for the test file: the canaries appended to that file use the same macros, and a patch that spares
the canaries must tell them apart from the exercise's tests, whose names are public).

A candidate writes top-level ``.cpp``/``.h``/``.hpp`` files only: never ``CMakeLists.txt``, ``test/``
(Catch2 and its ``main``) or a test, and no header named like a system header. The verdict is read
from Catch2's JUnit report (``-r junit -o FILE``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
import shlex
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Sequence

from .artifacts import ArtifactCache, content_key
from .base import REPORT_FD_PATH, Language, Step, ToolCheck, tool_version
from .lexer import split_parameters
from .canaries import canary_names
from .registry import register
from .reports import Canary, Report, canary_values, junit_outcomes, junit_text, parse_xml, read_report_file

logger = logging.getLogger(__name__)

_MAIN = "test/tests-main.cpp"
_CATCH = "test/catch.hpp"
_CATCH_V3 = "test/catch_amalgamated.hpp"
_REPORT = "catch.xml"
# The test objects wait here (plus a random suffix) while the candidate's .cpp files compile: no path in them can
# name the folder.
_TEST_OBJECTS = "build/.tests-"
# The test binary's main(), ours: it replaces the exercise's test/tests-main.cpp. {header}: the exercise's Catch2
# header; {v3}: 1 for Catch2 v3 (catch_amalgamated.hpp, whose .cpp is then compiled with
# CATCH_AMALGAMATED_CUSTOM_MAIN), 0 for the v2 single header.
_MAIN_SOURCE = r"""// polyglot-hrm's main() for the exercise's Catch2 tests (see polyglot_hrm/languages/cpp.py).
#define CATCH_CONFIG_RUNNER
#include "{header}"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#define POLYGLOT_CATCH_V3 {v3}

namespace {{

// Set on entering main(). A static local: no other object file can name it.
bool& mainBegan() {{
    static bool began = false;
    return began;
}}

[[noreturn]] void refuse(char const* why) {{
    std::fprintf(stderr, "polyglot-hrm: %s; the run stops without a report\n", why);
    std::fflush(stderr);
    std::_Exit(3);
}}

#if POLYGLOT_CATCH_V3
using ListenerBase = Catch::EventListenerBase;
#else
using ListenerBase = Catch::TestEventListenerBase;
#endif

// A test run that starts before main() was started by code outside the tests (a static initializer driving
// Catch::Session): it ends here, before a reporter wrote a byte.
struct RunGuard : ListenerBase {{
    using ListenerBase::ListenerBase;
    void testRunStarting(Catch::TestRunInfo const& info) override {{
        if (!mainBegan()) refuse("a Catch2 test run started before main()");
        ListenerBase::testRunStarting(info);
    }}
}};

#if POLYGLOT_CATCH_V3
struct GuardFactory : Catch::EventListenerFactory {{
    Catch::IEventListenerPtr create(Catch::IConfig const* config) const override {{
        return Catch::Detail::make_unique<RunGuard>(config);
    }}
    Catch::StringRef getName() const override {{ return "RunGuard"; }}
    std::string getDescription() const override {{ return std::string(); }}
}};

Catch::EventListenerFactory*& guard() {{
    static Catch::EventListenerFactory* factory = nullptr;
    return factory;
}}

void registerOurs() {{
    auto factory = Catch::Detail::make_unique<GuardFactory>();
    guard() = factory.get();
    Catch::getMutableRegistryHub().registerListener(std::move(factory));
}}

// Catch2 v3 registers its reporters itself and refuses a second one of the same name: only listeners to check.
void checkRegistry() {{
    auto const& listeners = Catch::getRegistryHub().getReporterRegistry().getListeners();
    if (listeners.size() != 1 || listeners.front().get() != guard())
        refuse("a test-event listener that is not polyglot-hrm's is registered");
}}
#else
struct GuardFactory : Catch::IReporterFactory {{
    Catch::IStreamingReporterPtr create(Catch::ReporterConfig const& config) const override {{
        return Catch::IStreamingReporterPtr(new RunGuard(config));
    }}
    std::string getDescription() const override {{ return std::string(); }}
}};

// Catch2 v2 keeps the first reporter registered under a name: ours comes first, and main() checks it is there.
struct JunitFactory : Catch::IReporterFactory {{
    Catch::IStreamingReporterPtr create(Catch::ReporterConfig const& config) const override {{
        return Catch::IStreamingReporterPtr(new Catch::JunitReporter(config));
    }}
    std::string getDescription() const override {{ return Catch::JunitReporter::getDescription(); }}
}};

Catch::IReporterFactoryPtr& guard() {{
    static Catch::IReporterFactoryPtr factory;
    return factory;
}}

Catch::IReporterFactoryPtr& junit() {{
    static Catch::IReporterFactoryPtr factory;
    return factory;
}}

void registerOurs() {{
    guard() = std::make_shared<GuardFactory>();
    junit() = std::make_shared<JunitFactory>();
    Catch::getMutableRegistryHub().registerListener(guard());
    Catch::getMutableRegistryHub().registerReporter("junit", junit());
}}

void checkRegistry() {{
    auto const& registry = Catch::getRegistryHub().getReporterRegistry();
    auto const& listeners = registry.getListeners();
    if (listeners.size() != 1 || listeners.front() != guard())
        refuse("a test-event listener that is not polyglot-hrm's is registered");
    auto const found = registry.getFactories().find("junit");
    if (found == registry.getFactories().end() || found->second != junit())
        refuse("the junit reporter registered is not Catch2's own");
}}
#endif

// 101 is the earliest priority ordinary code may use, and this object is linked first: the guard is in place
// before any static initializer of the tests or the candidate runs.
__attribute__((constructor(101))) void registerEarly() {{
    registerOurs();
}}

}}  // namespace

int main(int argc, char* argv[]) {{
    mainBegan() = true;
    checkRegistry();
    int rc = 0;
    {{
        // Catch2 v2's session owns the report's stream: closing the session flushes and closes the report.
        Catch::Session session;
        rc = session.run(argc, argv);
    }}
    // The report is complete: no atexit handler or static destructor (candidate code) runs after it.
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
    std::_Exit(rc);
}}
"""
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


def _configure(problem, folder: Path, cpp_files: Sequence[str]) -> CMakeRecipe:
    """Ask CMake (on the exercise's original, trusted files, with the top-level ``.cpp`` files ``cpp_files``: CMake
    decides by their presence what to compile) what it would compile and link."""
    src = folder / problem.slug
    for f in problem.files_with_role("solution", "test", "editor", "support"):
        if _is_top_level_cpp(f.path) and f.path not in cpp_files:
            continue
        (src / f.path).parent.mkdir(parents=True, exist_ok=True)
        (src / f.path).write_text(f.content)
    for name in cpp_files:
        if not (src / name).exists():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            (src / name).write_text("")
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


def _is_top_level_cpp(path: str) -> bool:
    return "/" not in path and path.endswith(".cpp")


def _catch_header(files: dict[str, str]) -> str | None:
    """The Catch2 header the exercise's tests include (``catch.hpp``, v2, or ``catch_amalgamated.hpp``, v3)."""
    if _CATCH_V3 in files:
        return PurePosixPath(_CATCH_V3).name
    if _CATCH in files:
        return PurePosixPath(_CATCH).name
    return None


def main_source(header: str) -> str:
    """Our ``main()`` for an exercise whose tests include ``header``."""
    return _MAIN_SOURCE.format(header=header, v3=int(header == PurePosixPath(_CATCH_V3).name))


def _harness_defines(header: str) -> list[str]:
    """Defines the harness sources compile with: Catch2 v3's amalgamated .cpp leaves ``main()`` to ours."""
    return ["-DCATCH_AMALGAMATED_CUSTOM_MAIN"] if header == PurePosixPath(_CATCH_V3).name else []


def _tag(token: str, name: str) -> str:
    """A UUID-shaped tag for a canary, as the exercise's own tests carry one."""
    digest = hashlib.sha256(f"{token}:{name}".encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-5{digest[13:16]}-{digest[16:20]}-{digest[20:32]}"


class Cpp(Language):
    name = "cpp"
    title = "C++"
    track_names = ("cpp", "c++")
    test_globs = ("*_test.cpp",)
    section_start = re.compile(r"--- ")
    count_lines = re.compile(r"(test cases|assertions): .*|All tests passed.*")
    run_cost = 3
    programs = ("cmake",)
    artifact_folders = ("build",)

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
        names = canary_names(token, 1 + len(used), " ".join, text)
        # Tagged like the exercise's own tests (a UUID), and all alike: which must fail is known only to the host.
        bodies = [f"REQUIRE({b} == {b});"] + [_FAILING[m].format(a=a, b=b) for m in used]
        cases = [f'TEST_CASE("{name}", "[{_tag(token, name)}]") {{\n    {body}\n}}\n' for name, body in zip(names, bodies)]
        files[test_file] = text.rstrip("\n") + "\n\n" + "\n".join(cases)
        return Canary(token, (names[0],), tuple(names[1:]), shown=tuple(names))

    def reference_removes(self, solution_paths: Sequence[str], reference_paths: Sequence[str]) -> list[str]:
        replaced = set(reference_paths)
        return [p for p in solution_paths if PurePosixPath(p).suffix == ".cpp" and p not in replaced]

    # ------------------------------------------------------------------ cached build pieces

    def recipe(self, problem, ctx, cpp_files: Sequence[str]) -> CMakeRecipe | None:
        """CMake's recipe for the exercise with the top-level ``.cpp`` files ``cpp_files`` (None: ask CMake itself)."""
        originals = {f.path: f.content for f in problem.files}
        if "CMakeLists.txt" not in originals:
            return None
        key = content_key("cpp-recipe-v2", problem.slug, originals["CMakeLists.txt"], sorted(cpp_files),
                          _toolchain_id())

        def build(folder: Path) -> None:
            with tempfile.TemporaryDirectory() as tmp:
                recipe = _configure(problem, Path(tmp), cpp_files)
            (folder / "recipe.json").write_text(json.dumps(recipe.__dict__))

        try:
            entry = ArtifactCache(ctx.path("cpp", "recipes")).get(key, build)
            data = json.loads((entry / "recipe.json").read_text())
        except (OSError, subprocess.CalledProcessError, ValueError, KeyError, IndexError) as err:
            detail = getattr(err, "stderr", None) or ""
            logger.warning("%s: no cached CMake recipe (%s%s); using CMake for this run", problem.id, err,
                           f": {detail.strip()[-500:]}" if detail else "")
            return None
        return CMakeRecipe(data["compiler"], tuple(data["compile_flags"]), tuple(data["sources"]),
                           tuple(data["link_args"]))

    def harness_objects(self, problem, recipe: CMakeRecipe, ctx) -> list[Path] | None:
        """The objects of the recipe's sources under ``test/`` (Catch2's implementation and our ``main``), compiled
        once per exercise, in the recipe's order; None when the exercise's harness is not the usual one."""
        originals = {f.path: f.content for f in problem.files}
        harness = [s for s in recipe.sources if s.startswith("test/")]
        header = _catch_header(originals)
        if _MAIN not in harness or header is None:
            return None
        files = {p: c for p, c in originals.items() if p.startswith("test/")}
        files[_MAIN] = main_source(header)
        flags = [f for f in recipe.compile_flags if "@WS@" not in f]
        key = content_key("cpp-harness-v1", recipe.compiler, flags, harness, [f"{p}\0{c}" for p, c in sorted(files.items())],
                          _toolchain_id())

        def build(folder: Path) -> None:
            with tempfile.TemporaryDirectory() as tmp:
                for path, content in files.items():
                    (Path(tmp) / path).parent.mkdir(parents=True, exist_ok=True)
                    (Path(tmp) / path).write_text(content)
                for i, source in enumerate(harness):
                    subprocess.run([recipe.compiler, *flags, *_harness_defines(header), "-c", source,
                                    "-o", str(folder / f"{i}.o")], cwd=tmp, check=True, capture_output=True)

        try:
            entry = ArtifactCache(ctx.path("cpp", "harness")).get(key, build)
        except (OSError, subprocess.CalledProcessError) as err:
            logger.warning("%s: could not precompile the Catch2 harness (%s)", problem.id, err)
            return None
        return [entry / f"{i}.o" for i in range(len(harness))]

    # ------------------------------------------------------------------ running

    def prepare(self, workspace: Path, ctx, problem=None) -> None:
        """Our ``main()`` in place of the exercise's ``test/tests-main.cpp`` (for the CMake fallback too)."""
        header = _catch_header({p: "" for p in ("test/catch.hpp", _CATCH_V3) if (workspace / p).is_file()})
        if header is not None and (workspace / _MAIN).is_file():
            (workspace / _MAIN).write_text(main_source(header))

    def _fast_steps(self, workspace: Path, ctx, problem, report_dir: Path) -> list[Step] | None:
        originals = {f.path: f.content for f in problem.files}
        cmake_lists = workspace / "CMakeLists.txt"
        if not cmake_lists.is_file() or cmake_lists.read_text() != originals.get("CMakeLists.txt"):
            return None
        recipe = self.recipe(problem, ctx, sorted(p.name for p in workspace.glob("*.cpp")))
        if recipe is None:
            return None
        harness = self.harness_objects(problem, recipe, ctx)
        if harness is None:
            return None
        sources = [s for s in recipe.sources if (workspace / s).is_file() and not s.startswith("test/")]
        tests = [s for s in sources if self.is_test_file(s)]
        own = [s for s in sources if s not in tests]
        ws = str(workspace)
        flags = [f.replace("@WS@", ws) for f in recipe.compile_flags]
        objects = workspace / f"{_TEST_OBJECTS}{secrets.token_hex(16)}"
        objects.mkdir(parents=True)
        test_objects = [str(objects / f"{i}.o") for i in range(len(tests))]
        exe = workspace / "build" / workspace.name
        # 1. The tests (and the candidate's header they include), with the test file in view.
        steps = [Step([recipe.compiler, *flags, "-c", test, "-o", obj], compiles=True)
                 for test, obj in zip(tests, test_objects)]
        # 2. The candidate's own .cpp files, with the test file gone and the test objects under a name they cannot
        # know; linked with our main() first, so that its static initializers run before any other.
        link = [recipe.compiler, *flags, *map(str, harness), *test_objects, *own, "-o", str(exe),
                *(a.replace("@WS@", ws) for a in recipe.link_args)]
        steps.append(Step(link, compiles=True, hide=tuple(tests)))
        return [*steps, self._test_step(exe, tests)]

    def _test_step(self, exe: Path, tests: Sequence[str]) -> Step:
        # The binary is all the tests need: no test source, no test object, no Catch2 source in view.
        hidden = (*self.test_globs, *tests, "test", f"{_TEST_OBJECTS}*", "build/CMakeFiles")
        return Step([str(exe), "--reporter", "junit", "--out", REPORT_FD_PATH], noexec=True,
                    hide=tuple(dict.fromkeys(hidden)), report=_REPORT)

    def steps(self, workspace: Path, ctx, problem, report_dir: Path) -> list[Step]:
        self.prepare(workspace, ctx, problem)  # idempotent: our main() whoever called prepare
        fast = self._fast_steps(workspace, ctx, problem, report_dir)
        if fast is not None:
            return fast
        build = workspace / "build"
        exe = build / workspace.name
        files = {p.relative_to(workspace).as_posix(): "" for p in (workspace / "test").glob("*")}
        defines = " ".join(_harness_defines(_catch_header(files) or ""))
        configure = ["cmake", "-S", str(workspace), "-B", str(build), "-DEXERCISM_RUN_ALL_TESTS=ON"]
        if defines:
            configure.append(f"-DCMAKE_CXX_FLAGS={defines}")
        return [
            Step(configure, compiles=True),
            Step(["cmake", "--build", str(build), "--target", workspace.name], compiles=True),
            self._test_step(exe, [p.name for p in workspace.glob("*_test.cpp")]),
        ]

    def read_report(self, report_dir: Path, output: str) -> Report | None:
        data = read_report_file(report_dir / _REPORT)
        if not data:  # none, or not a byte of it: the run stopped before Catch2 wrote its report
            return None
        root = parse_xml(data)
        report = junit_outcomes(root, lambda case: case.get("name", ""))
        report.text = junit_text(root)  # Catch2's junit reporter keeps failures and stdout in the report only
        return report

    def provision(self, ctx, problems: Sequence) -> list[str]:
        """Precompute CMake recipes and Catch2 harnesses for every C++ problem's own files (optional: runs do it
        lazily)."""
        done = 0
        for p in problems:
            if p.language == self.name:
                ready = True
                for mode in ("stub", "reference"):
                    cpp_files = sorted(path for path in self.stub_tree(p, mode) if _is_top_level_cpp(path))
                    recipe = self.recipe(p, ctx, cpp_files)
                    ready = ready and recipe is not None and self.harness_objects(p, recipe, ctx) is not None
                done += ready
        return [f"CMake recipes and Catch2 harnesses ready for {done} exercise(s)"] if done else []

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
