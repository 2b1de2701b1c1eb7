"""Go: ``go test``; the reference is ``.meta/example.go``; ``cases_test.go`` is an editor file.

Nothing is skipped. Runs are offline (``GOPROXY=off``, ``GOTOOLCHAIN=local``) and share one build
cache, which Go keys by content, so a stale entry cannot change a result.

A candidate may add ``.go`` files beside the solution, never a ``_test.go`` file. Solution and tests
share one package, so a solution could reach into the test file's tables (an ``init()`` that rewrites
the expected values): the package is first built *without* its test files, where such code does not
compile — except calls of the test files' own helper functions (bottle-song's tests define ``Title`` for
solutions to use) — and ``//go:linkname`` is refused. ``//go:embed`` is refused too: it is the one way Go code
reads a file at compile time (cgo is off, and a candidate adds only ``.go`` files), and it would put the test
sources into the binary. The verdict is read from the test binary's test2json framing (``-test.v=test2json``:
every result line carries a ``^V`` marker), not from plain printed text.

The test binary is started directly, through the no-exec launcher (it is statically linked: the launcher execs it
and nothing after that can start a program), with the test sources, canaries included, removed from its view: it
needs none of them. The canaries are appended to the exercise's last test file under ordinary test names
(``TestWalnutBracketHolds``), so neither a file name nor a test name says which tests are canaries or which of
them must fail.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from .base import Language, Step, ToolCheck, tool_version
from .lexer import closing_bracket, split_parameters
from .canaries import canary_names
from .registry import register
from .reports import Canary, Report, canary_values, TestOutcome

_PACKAGE = re.compile(r"^package[ \t]+(\w+)", re.M)
_FUNC = re.compile(r"^func[ \t]+(\w+)[ \t]*[(\[]", re.M)
_TEST_NAME = re.compile(r"(Test|Benchmark|Example|Fuzz)([A-Z_0-9]|$)")
_TEST_FUNC = re.compile(r"^func[ \t]+Test\w*[ \t]*\(", re.M)


_UNDEFINED = re.compile(r"^\S+\.go:\d+:\d+: undefined: (\w+)$")
_FRAME = "\x16--- "  # test2json framing of a test's result line
_OUTCOMES = {"PASS": "passed", "FAIL": "failed", "SKIP": "skipped"}
# The canaries, appended to a test file. All three read alike: which one must fail is known only to the host.
_CANARY_TEST = """

func {name}(t *{testing}.T) {{
\tif got, want := {got}, {want}; got != want {{
\t\tt.{report}("got %d, want %d", got, want)
\t}}
}}
"""
# Tests run file by file in name order, then in source order: these sections of the test2json output are per test.
# ("=== NAME" with no name, printed between top-level tests, starts none: it stays in the section before it.)
_SECTION = re.compile(r"\x16?(=== (RUN|CONT|PAUSE|NAME) +\S|--- (PASS|FAIL|SKIP): |(PASS|FAIL)$)")


def _canary_file(files: dict[str, str]) -> str:
    """The exercise's last test file that declares tests: canaries appended to it run after every real test."""
    with_tests = [p for p in files if p.endswith("_test.go") and "/" not in p and _TEST_FUNC.search(files[p])]
    return max(with_tests or [p for p in files if p.endswith("_test.go")])


def _only_uses(output: str, helpers: set[str]) -> bool:
    """Whether a build of the package alone failed only for calls of the test files' helper functions."""
    undefined = [_UNDEFINED.match(line) for line in output.splitlines() if line and not line.startswith("#")]
    return bool(undefined) and all(m is not None and m.group(1) in helpers for m in undefined)


class Go(Language):
    name = "go"
    title = "Go"
    track_names = ("go",)
    test_globs = ("*_test.go",)
    section_start = _SECTION
    count_lines = re.compile(r"(FAIL|ok|PASS)(\s+\S+.*)?")
    subtest_separator = "/"
    address_space_limit = False
    programs = ("go",)

    fence_tag = "go"
    source_suffixes = (".go",)
    multiline_strings = ("`",)  # raw strings
    parenthesized_conditions = False
    function_header = re.compile(r"^()func\s+(\([^)]*\)\s*)?(?P<name>\w+)\s*[(\[]")

    # Concepts and constructs (polyglot_hrm.languages.concepts), over code with comments and strings blanked.
    concept_patterns = {
        "iteration": r"\bfor\b",
        "string_processing": r"\b(strings|unicode|strconv|regexp|utf8)\.\w+|\brune\b",
        "mapping": r"\bmap\[",
        "sorting": r"\bsort\.\w+\(|\bslices\.Sort",
        "modular_arithmetic": r"%",
        "error_handling": r"\berror\b|\berrors\.New\(|\bfmt\.Errorf\(|\bpanic\(",
        "higher_order_functions": r"\bfunc\(",  # a function literal (gofmt writes `func (r T)` for receivers)
    }
    construct_patterns = {
        "static_types": r"\b(int|int8|int16|int32|int64|uint|uint8|uint16|uint32|uint64|float32|float64|string|bool"
                        r"|rune|byte|error)\b",
        "classes": r"\btype\s+\w+\s+struct\b",
        "error_values": r"\berror\b",
        "pointers_references": r"(^|[\s(\[,])\*[A-Za-z_]\w*|&[A-Za-z_]\w*\s*\{",
        "type_parameters": r"\[\][\w*\[]|\bmap\[|\[\w+\s+(any|comparable)\]",
        "explicit_casts": r"\b(int|int8|int16|int32|int64|uint|uint8|uint16|uint32|uint64|float32|float64|rune|byte"
                          r"|string)\(",
    }


    reserved_words = frozenset(
        "break case chan const continue default defer else fallthrough for func go goto if import interface map "
        "package range return select struct switch type var bool byte complex64 complex128 error float32 float64 "
        "int int8 int16 int32 int64 rune string uint uint8 uint16 uint32 uint64 uintptr true false iota nil append "
        "cap close copy delete len make new panic print println recover min max clear".split())
    # `name := value` or `var name [type] = value` (a plain `name = value` assigns, it declares nothing).
    local_declaration = re.compile(r"^(?=var\s|\w+\s*:=)(?:var\s+)?(?P<name>[A-Za-z_]\w*)(?:\s+[\w\[\]*.]+)?"
                                   r"\s*:?=(?!=)\s*(?P<value>\S.*)$")
    statement_end = ""
    index_loops = ((re.compile(r"^for (?P<index>\w+) := 0; (?P=index) < len\((?P<seq>[\w.]+)\); "
                               r"(?P=index)(?:\+\+| \+= 1) \{$"), "{seq}[{index}]"),)
    foreach_header = "for _, {item} := range {seq} {{"

    def helper_name(self, function: str) -> str:
        # Unexported: the helper is not part of the package's API.
        return function[:1].lower() + function[1:] + "Impl"

    def helper_header(self, header: str, function: str, helper: str) -> str | None:
        if re.match(r"^func\s*\(", header):  # a method: its receiver is not a parameter
            return None
        return super().helper_header(header, function, helper)

    def parameter_names(self, params: str) -> list[str] | None:
        parts = split_parameters(params)
        if parts and len(parts[-1].split()) < 2:  # unnamed parameters (`func(int, string)`)
            return None
        out = []
        for part in parts:
            words = part.split()
            if not re.fullmatch(r"[A-Za-z_]\w*", words[0]):
                return None
            out.append(words[0] + ("..." if len(words) > 1 and words[1].startswith("...") else ""))
        return out

    def returns_value(self, header: str) -> bool:
        # Anything between the parameters' `)` and the body's `{` is a result type.
        close = closing_bracket(header, header.index("(", header.index("func") + 4))
        return close is not None and bool(header[close + 1:].strip().rstrip("{").strip())

    def memory_env(self, memory_mb: int) -> dict[str, str]:
        return {"GOMEMLIMIT": f"{memory_mb}MiB"}

    def new_file_problem(self, path: str) -> str | None:
        pure = PurePosixPath(path)
        if len(pure.parts) != 1 or pure.suffix != ".go":
            return "a new Go file must be a top-level .go file of the exercise's package"
        if self.is_test_file(path):
            return "a new test file (only the exercise's tests run)"
        return None

    def source_problem(self, path: str, content: str) -> str | None:
        if "go:linkname" in content:
            return "uses //go:linkname, which can reach into the test code"
        if "go:embed" in content:
            return "uses //go:embed, which can read the test files into the program at compile time"
        return None

    def add_canaries(self, files: dict[str, str], problem, token: str) -> Canary:
        target = _canary_file(files)
        text = files[target]
        # The test file's own `testing` import may be renamed or dotted: the canaries import it again, under a
        # name of their own, on the package clause's line so that the file's line numbers stay what they were.
        alias = "tpolyglot"  # not in the binary: import names are gone after compiling
        package = _PACKAGE.search(text)
        if package is not None:
            text = f'{text[:package.end()]}; import {alias} "testing"{text[package.end():]}'
        else:
            text = f'package main; import {alias} "testing"\n{text}'
        names = canary_names(token, 3, lambda words: "Test" + "".join(w.capitalize() for w in words), text)
        a, b = canary_values(token)
        bodies = [(names[0], b, b, "Errorf"), (names[1], a, b, "Errorf"), (names[2], b, a, "Fatalf")]
        text = text.rstrip("\n") + "\n" + "".join(
            _CANARY_TEST.format(name=name, testing=alias, got=got, want=want, report=report)
            for name, got, want, report in bodies)
        files[target] = text
        return Canary(token, (names[0],), (names[1], names[2]), shown=tuple(names))

    def steps(self, workspace: Path, ctx, problem, report_dir: Path) -> list[Step]:
        # `go test` = build (with the same vet checks) + run the test binary from the package folder.
        # Split in two so that only the build, which runs no candidate code, may write the shared cache.
        cache = ctx.path("go", "build")
        env = {"GOCACHE": str(cache), "GOMODCACHE": str(ctx.path("go", "mod")),
               "GOPATH": str(ctx.path("go", "path")), "GOPROXY": "off", "GOTOOLCHAIN": "local",
               "GOFLAGS": "-mod=mod -buildvcs=false", "GO111MODULE": "on", "CGO_ENABLED": "0"}
        binary = workspace / ".gotest" / "exercise.test"
        # -ldflags=-w: no DWARF in the test binary (a quarter of a warm build goes to linking it); stack traces and
        # runtime.Caller read the pclntab, which stays, so no test can tell the difference.
        build = ["go", "test", "-c", "-ldflags=-w", "-o", str(binary), "."]
        # The package alone, without its _test.go files: a solution that uses the tests' variables fails here.
        alone = ["go", "build", "-gcflags=-e", "-o", "/dev/null", "."]
        # Helpers the tests define for solutions to use (bottle-song's Title), never the tests themselves: a solution
        # that calls a TestXxx function could run the tests from its own code (testing.MainStart).
        helpers = {name for f in problem.files_with_role("test", "editor") if f.path.endswith("_test.go")
                   for name in _FUNC.findall(f.content) if not _TEST_NAME.match(name)}
        # The test binary is all the tests need: the test sources (canaries included) leave its view, and it runs
        # under the no-exec launcher (no exercise's tests start a program; none reads its sources at run time).
        test = Step([str(binary), "-test.v=test2json", "-test.paniconexit0", "-test.count=1", "-test.timeout=10m"],
                    noexec=True, hide=self.test_globs)
        return [Step(alone, env=env, compiles=True, writable=[cache], tolerate=lambda out: _only_uses(out, helpers)),
                Step(build, env=env, compiles=True, writable=[cache]), test]

    def read_report(self, report_dir: Path, output: str) -> Report | None:
        report = Report()
        for line in output.splitlines():
            start = line.find(_FRAME)
            while start >= 0:
                # The segment ends where the next marker starts: each character is looked at a bounded number of times.
                end = line.find("\x16", start + 1)
                head, _, rest = line[start + len(_FRAME):end if end >= 0 else len(line)].partition(": ")
                if head in _OUTCOMES and rest:
                    report.tests.append(TestOutcome(rest.split(" ", 1)[0], _OUTCOMES[head]))  # type: ignore[arg-type]
                start = line.find(_FRAME, end) if end >= 0 else -1
        return report if report.tests else None

    def is_compile_error(self, output: str, returncode: int | None) -> bool:
        # The build is its own step; a test binary that crashes (killed, out of threads) has failed.
        return "[build failed]" in output or "[setup failed]" in output

    def toolchain(self) -> list[ToolCheck]:
        return [ToolCheck("go", tool_version(["go", "version"]), "install Go 1.21+ (golang-go)")]


GO = register(Go())
