"""The shape every language module fills in.

A language module says everything the package knows about its language:

* **layout**: which example file replaces which stub, which files are not worth carrying;
* **what a candidate may write**: which new files it may add and where, which sources are refused;
* **running**: how its skipped tests are un-skipped, which canary tests every run carries, which
  commands build and test it, how to read the test tool's structured report, what to provision;
* **syntax**, read by the training-data synthesis and the prompt format: the fence tag of its code
  blocks and the file suffixes fenced with it, comments and string literals (what a mutation must
  not touch), how blocks and conditions are written, which operators and literals the mutations
  change, and the header pattern of a function definition;
* **refactoring**, read by the behaviour-preserving ``refactor`` edits (:mod:`polyglot_hrm.synthesis.refactor`):
  how locals are declared and named, how a statement ends, how a helper's header is written and called
  (its parameters forwarded, its result returned), and the index loops that read better as for-each loops.

Adding a language is one new module that subclasses :class:`Language` and calls
:func:`polyglot_hrm.languages.register`; nothing else in the package names a language
(``tests/test_languages.py`` registers a toy seventh one from a single file). The model's own
language x task table (``hrm_modeling.configuration_hrm``, shipped as remote code) is the one copy
kept apart: append the new language there too; a test checks the two agree.
"""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Callable, ClassVar, Iterable, Sequence

from .reports import DURATIONS, Canary, Report

if TYPE_CHECKING:
    from ..problems.problem import Problem, ProblemFile
    from .context import RunnerContext

__all__ = ["CHANNEL_FD", "Language", "LayoutError", "REPORT_FD", "REPORT_FD_PATH", "Step", "ToolCheck",
           "WORKSPACE_ROLES", "exercise_tree", "tool_version"]


class LayoutError(ValueError):
    """An exercise's files do not fit the layout its language expects."""


@dataclass
class Step:
    """One command of a run. A failing ``compiles`` step means the candidate did not build; the other
    steps run the tests (all of them run, whatever an earlier one returned)."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    compiles: bool = False
    #: Paths outside the workspace this step may write (shared caches of compiler output).
    writable: list[Path] = field(default_factory=list)
    #: For a ``compiles`` step: whether a failure with this output is acceptable (the run goes on).
    tolerate: Callable[[str], bool] | None = None
    #: Started through the no-exec launcher: from its first instruction on, this process and everything it loads
    #: can start no program and fork no process (threads only); see :mod:`polyglot_hrm.execution.noexec`.
    noexec: bool = False
    #: Workspace globs removed before this step starts: sources the built program no longer needs (the tests'
    #: and canaries' sources), so that code running in it cannot read them.
    hide: tuple[str, ...] = ()
    #: The file name (in the report folder) of the structured report this step's tool writes to
    #: :data:`REPORT_FD_PATH`, a pipe the host reads while the step runs: the report is taken as it is written,
    #: bounded, and cannot be rewritten afterwards (a second document is a forged one). None: no report, or the
    #: tool writes it into the report folder itself.
    report: str | None = None


#: Where a step with :attr:`Step.report` writes its report: the write end of the host's pipe.
REPORT_FD = 4
REPORT_FD_PATH = f"/dev/fd/{REPORT_FD}"
#: The descriptor of a two-process run's channel between the tests' process and the candidate's.
CHANNEL_FD = 3


@dataclass
class ToolCheck:
    name: str
    version: str | None  # None: missing
    fix: str = ""


#: Versions already read in this process, by (argv, pattern, the program's path and modification time): ``doctor``,
#: a node's checks and an evaluation's provenance each ask, and a JVM or Maven takes a second to answer.
_VERSIONS: dict[tuple[tuple[str, ...], str, str, int], str | None] = {}


def tool_version(argv: Sequence[str], pattern: str = r"\d+\.\d+(\.\d+)?") -> str | None:
    """First version-looking string a tool prints, or None when it is not installed. Read once per process
    for a given program file (a program replaced on disk is asked again)."""
    program = shutil.which(argv[0])
    if program is None:
        return None
    try:
        key = (tuple(argv), pattern, program, Path(program).stat().st_mtime_ns)
    except OSError:
        return None
    if key in _VERSIONS:
        return _VERSIONS[key]
    try:
        out = subprocess.run(list(argv), capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(pattern, out.stdout + out.stderr)
    _VERSIONS[key] = match.group(0) if match else "unknown"
    return _VERSIONS[key]


#: The roles of an exercise's files that a workspace holds with the stub in place (references replace stubs).
WORKSPACE_ROLES = ("solution", "test", "editor", "support")


def exercise_tree(files: Iterable[ProblemFile], reference_removes: Iterable[str], mode: str) -> dict[str, str]:
    """The files of a ready-to-test exercise directory, ``path -> content``, from an exercise's files (anything
    with ``path``, ``role`` and ``content``, as :class:`~polyglot_hrm.problems.problem.ProblemFile`):
    ``mode="stub"`` the stub in place; ``"reference"`` the reference files over it, less ``reference_removes``."""
    files = list(files)
    tree = {f.path: f.content for f in files if f.role in WORKSPACE_ROLES}
    if mode == "reference":
        for path in reference_removes:
            tree.pop(path, None)
        tree.update({f.path: f.content for f in files if f.role == "reference"})
    elif mode != "stub":
        raise ValueError(f"mode must be 'stub' or 'reference', not {mode!r}")
    return tree


class Language:
    #: Name used in problem ids and on the command line (``python``, ``cpp``, ...).
    name: ClassVar[str]
    #: How people write the name (``C++``, ``JavaScript``): prompts say it; defaults to ``name``.
    title: ClassVar[str] = ""
    #: Values of ``slug``/``language`` in an Exercism track's ``config.json`` that mean this language.
    track_names: ClassVar[tuple[str, ...]] = ()
    #: Globs (relative to the exercise root) of files never carried into a ``Problem``.
    ignored_files: ClassVar[tuple[str, ...]] = ()
    #: ``.meta/`` files that are references although ``config.json`` does not list them,
    #: mapped to the workspace path they replace.
    unlisted_references: ClassVar[dict[str, str]] = {}
    #: Globs of test files whose skipped tests :meth:`unskip` turns back on.
    test_globs: ClassVar[tuple[str, ...]] = ()
    #: A line that starts one test's section of the console output (its failure message, its captured
    #: output): :meth:`scrub` drops a canary's whole section, not only the lines that name it.
    section_start: ClassVar[re.Pattern | None] = None
    #: Lines of the test tool's console output whose counts or verdict include the run's canary tests (pytest's
    #: "4 failed, 7 passed", Jest's "Tests:", libtest's "test result:"; progress dots): :meth:`scrub` drops them,
    #: and the run's output ends with the exercise's own counts instead (``polyglot_hrm.execution.job``).
    count_lines: ClassVar[re.Pattern | None] = None
    #: Separator of nested test names (Go's ``TestX/case``): tests are counted by their leaves.
    subtest_separator: ClassVar[str | None] = None
    #: Long builds first: the pool starts these before quick ones so the batch ends sooner.
    run_cost: ClassVar[int] = 1
    #: Whether an address-space rlimit is a usable memory bound where no cgroup is available. The JVM
    #: reserves far more address space than it uses, and V8 and the Go runtime reserve large arenas:
    #: those languages are bounded by runtime flags (:meth:`memory_env`) instead.
    address_space_limit: ClassVar[bool] = True

    # ------------------------------------------------------------------ the host (sandbox, environment, tree walks)
    # The registry (:mod:`.registry`) unions these over every language: every run sees every language's toolchain.

    #: Programs its runs start, looked up on ``PATH``: the sandbox shows a run the installation each one resolves
    #: to (the folder above the resolved program's own folder, ``/usr/local/go`` for ``/usr/local/go/bin/go``).
    programs: ClassVar[tuple[str, ...]] = ()
    #: Folders under the user's home that hold its toolchain (relative to the home), shown to a run read-only.
    home_toolchain: ClassVar[tuple[str, ...]] = ()
    #: Host environment variables its tools need to find the toolchain, passed on to every run when set.
    host_env: ClassVar[tuple[str, ...]] = ()
    #: Folders its tools leave in an exercise (build output, caches): never part of an exercise, never hashed.
    artifact_folders: ClassVar[tuple[str, ...]] = ()
    #: How its test tool writes a duration (``0.05s``), masked in test output shown to a model so that a prompt does
    #: not depend on how busy the machine was; the group ``number`` is what is masked.
    durations: ClassVar[re.Pattern] = DURATIONS

    def host_env_defaults(self) -> dict[str, str]:
        """Values of :attr:`host_env` variables for a host that sets none (read now: the home may differ later)."""
        return {}

    # ------------------------------------------------------------------ syntax (synthesis and prompts)

    #: Info string of a fenced code block of this language (```python); "" for none.
    fence_tag: ClassVar[str] = ""
    #: Lower-case suffixes of this language's source files: edit blocks fence them with :attr:`fence_tag`.
    source_suffixes: ClassVar[tuple[str, ...]] = ()
    #: Fence tags of its other files, by lower-case suffix (build files written in another language).
    support_fence_tags: ClassVar[dict[str, str]] = {}
    #: Start of a comment that runs to the end of the line.
    line_comment: ClassVar[str] = "//"
    #: Start and end of a block comment, or None when the language has none.
    block_comment: ClassVar[tuple[str, str] | None] = ("/*", "*/")
    #: Delimiters of string literals that may span lines and have no escapes (Python's triple quotes,
    #: backticks); each closes at the next occurrence of itself.
    multiline_strings: ClassVar[tuple[str, ...]] = ()
    #: Whether ``r"..."`` and ``r#"..."#`` are raw string literals (Rust).
    raw_strings: ClassVar[bool] = False
    #: Where a ``'`` opens a character literal (matched at the quote); None: every ``'`` opens a string.
    char_literal: ClassVar[re.Pattern | None] = None
    #: Blocks by indentation under ``:``-ended headers (Python), else by braces with ``;``-ended statements.
    indented_blocks: ClassVar[bool] = False
    #: Whether ``if``/``while`` conditions sit in parentheses (``if (a < b) {``); Go and Rust write ``if a < b {``.
    parenthesized_conditions: ClassVar[bool] = True
    #: Whether a definition names its return type before its name (``int f(int a, int b)``: C++, Java).
    type_first_declarations: ClassVar[bool] = False
    #: Whether every function is a method of a class (Java): a removed one is described as a method.
    methods_only: ClassVar[bool] = False
    #: The boolean literals, true first.
    booleans: ClassVar[tuple[str, str]] = ("true", "false")
    #: Comparison operators the ``comparison`` mutation flips (``<`` <-> ``<=``, ``==`` <-> ``!=``, ...).
    comparison_operators: ClassVar[tuple[str, ...]] = ("==", "!=", "<", "<=", ">", ">=")
    #: Arithmetic operators the ``arithmetic`` mutation swaps (``+`` <-> ``-``, ``*`` <-> ``/``, ...).
    arithmetic_operators: ClassVar[tuple[str, ...]] = ("+", "-", "*", "/", "+=", "-=")
    #: Whether ``a..b`` and ``a..=b`` are ranges (Rust): the ``off_by_one`` mutation swaps them.
    inclusive_ranges: ClassVar[bool] = False
    #: Starts of (stripped) lines no mutation touches: preprocessor lines, imports, annotations, attributes.
    unmutated_line_prefixes: ClassVar[tuple[str, ...]] = (
        "#include", "#define", "#if", "#endif", "#pragma", "import ", "package ", "use ", "from ", "@", "#[", "#![")
    #: A function or method header, matched at the start of a line: group 1 is its indentation, group
    #: ``name`` (or ``method``/``arrow``, JavaScript's) its name. None: functions are not looked for.
    function_header: ClassVar[re.Pattern | None] = None
    #: Starts of the lines directly above a definition that belong to it (comments, decorators,
    #: attributes); a line ending a block comment belongs to it too.
    leading_prefixes: ClassVar[tuple[str, ...]] = ("//", "/*", "*", "#[", "@")

    # ------------------------------------------------------------------ concepts and constructs (cross-language)

    #: Concept tag (:data:`polyglot_hrm.languages.concepts.CONCEPTS`) -> regex over code with comments and
    #: strings blanked: what a solution does. A transfer example's ``shared_concepts`` are found in both references.
    concept_patterns: ClassVar[dict[str, str]] = {}
    #: Construct tag (:data:`polyglot_hrm.languages.concepts.CONSTRUCTS`) -> regex: what this language makes a
    #: solution write. A transfer example's ``language_challenges`` are in the target and not in the source.
    construct_patterns: ClassVar[dict[str, str]] = {}

    # ------------------------------------------------------------------ refactoring (behaviour-preserving edits)

    #: How names are written: "snake" (``word_count``) or "camel" (``wordCount``); new names follow it.
    identifier_case: ClassVar[str] = "camel"
    #: Words no new name may be (keywords, builtin types): a refactoring that would pick one picks another.
    reserved_words: ClassVar[frozenset[str]] = frozenset()
    #: A stripped line declaring one local variable with its value: groups ``name`` and ``value``; a group
    #: ``mutable`` that matched marks a variable declared reassignable (``let mut``), which is never inlined.
    local_declaration: ClassVar[re.Pattern | None] = None
    #: How a simple statement ends: ";" or "" (a line break ends it).
    statement_end: ClassVar[str] = ";"
    #: Whether ``f(name=value)`` passes a keyword argument (Python): a rename leaves that ``name`` alone.
    keyword_arguments: ClassVar[bool] = False
    #: Index loops the ``for_each`` refactoring rewrites: (a stripped loop header with groups ``index`` and
    #: ``seq``, how the body reads one element: a template with ``{seq}`` and ``{index}``).
    index_loops: ClassVar[tuple[tuple[re.Pattern, str], ...]] = ()
    #: The for-each header that replaces such a loop (stripped; ``{item}`` and ``{seq}``), and how its body
    #: reads the element (``{item}``).
    foreach_header: ClassVar[str] = ""
    foreach_item: ClassVar[str] = "{item}"
    #: Whether a block's last expression, without ``;``, is its value (Rust): a function's final ``return x;``
    #: is then better written ``x``.
    tail_expressions: ClassVar[bool] = False
    #: One-line idiomatic rewrites: (instruction, pattern matching a whole line, replacement), the instruction and
    #: the replacement written with the match's groups (``\\g<name>``).
    idioms: ClassVar[tuple[tuple[str, re.Pattern, str], ...]] = ()

    def new_name(self, *words: str) -> str:
        """``words`` joined in this language's :attr:`identifier_case` (the first word's case kept)."""
        words = tuple(w for w in words if w)
        if self.identifier_case == "snake":
            return "_".join(w.lower() if i else w for i, w in enumerate(words))
        return words[0] + "".join(w[:1].upper() + w[1:] for w in words[1:])

    def helper_name(self, function: str) -> str:
        """The name of a helper extracted from ``function`` (``count_impl``, ``countImpl``)."""
        return self.new_name(function, "impl")

    def helper_header(self, header: str, function: str, helper: str) -> str | None:
        """The helper's header: ``header`` (the function's, up to its body) renamed, as a private definition;
        None when this definition cannot be extracted from (a method that needs its object, a constructor)."""
        if header[:1].isspace():
            return None
        renamed = re.sub(rf"\b{re.escape(function)}(?=\s*[(<\[=])", helper, header, count=1)
        return renamed if renamed != header else None

    def parameter_names(self, params: str) -> list[str] | None:
        """How a call forwards the parameters ``params`` (the text between a header's parentheses) to a
        function of the same signature: one argument per parameter; None when they cannot be forwarded."""
        return None

    def returns_value(self, header: str) -> bool:
        """Whether the function of ``header`` returns a value (a delegating body then returns the call's)."""
        return True

    def delegate(self, call: str, returns: bool) -> str:
        """The one statement of a body that delegates to ``call``."""
        return f"return {call}{self.statement_end}" if returns else f"{call}{self.statement_end}"

    # ------------------------------------------------------------------ layout

    def stub_tree(self, problem: "Problem", mode: str) -> dict[str, str]:
        """The benchmark's files of a run before any candidate file: the reference tree for
        ``mode="reference"``, else the stub tree (candidates are laid over it)."""
        return exercise_tree(problem.files, problem.reference_removes, "reference" if mode == "reference" else "stub")

    def is_ignored(self, path: str) -> bool:
        return any(fnmatch.fnmatch(path, pattern) for pattern in self.ignored_files)

    def reference_target(self, example: str, solution_paths: Sequence[str], slug: str) -> str:
        """Workspace path of the example (reference) file ``example``.

        Default: the one solution file with the same suffix. Languages whose references can
        add files (Java helper classes) override this.
        """
        suffix = PurePosixPath(example).suffix
        matches = [p for p in solution_paths if PurePosixPath(p).suffix == suffix]
        if len(matches) != 1:
            raise LayoutError(
                f"cannot tell which solution file {example!r} replaces: {len(matches)} solution files "
                f"end in {suffix!r} ({', '.join(solution_paths) or 'none'}); list it under `files.example` "
                f"next to exactly one matching `files.solution` entry in .meta/config.json"
            )
        return matches[0]

    def reference_removes(self, solution_paths: Sequence[str], reference_paths: Sequence[str]) -> list[str]:
        """Solution paths that must be deleted when the reference is in place."""
        return []

    # ------------------------------------------------------------------ running

    def is_test_file(self, path: str) -> bool:
        return any(fnmatch.fnmatch(path, pattern) for pattern in self.test_globs)

    def unskip(self, text: str) -> str:
        """Turn the track's skipped tests back on (Exercism skips all but the first)."""
        return text

    # ------------------------------------------------------------------ what a candidate may write

    def new_file_problem(self, path: str) -> str | None:
        """Why a candidate may not add a new file at ``path`` (normalised, not one of the exercise's
        files, not hidden), or None when it may: a source file where this language's solutions live,
        that no test tool loads by itself and that shadows no tool, library or standard module."""
        return "not a source file where this language's solutions live"

    def source_problem(self, path: str, content: str) -> str | None:
        """Why a candidate's source file must not be used (e.g. it declares a test library's
        package), or None. A solution file with a problem makes the run an ``error``; a new file
        with one is dropped."""
        return None

    # ------------------------------------------------------------------ running

    def first_test_file(self, files: dict[str, str]) -> str:
        """The test file that carries the canaries: the shallowest, then the first by name (Rust's
        ``tests/invalid/*.rs`` of rust/macros are compile-fail inputs, not a test target)."""
        return min((p for p in files if self.is_test_file(p)), key=lambda p: (p.count("/"), p))

    def add_canaries(self, files: dict[str, str], problem: "Problem", token: str) -> Canary:
        """Add this run's canary tests to the test files in ``files`` (in place); see :mod:`.reports`."""
        raise NotImplementedError(f"{self.name}: no canary tests")

    def scrub(self, output: str, canary: Canary) -> str:
        """``output`` without the canary tests' lines and sections (people and models read it as test feedback)."""
        kept, inside = [], False
        for line in output.splitlines():
            named = canary.mentioned_in(line)
            if self.section_start is not None and self.section_start.match(line):
                inside = named
            if not inside and not named:
                kept.append(line)
        # Count lines go last: a summary line may be what ends a canary's section above.
        return self.drop_count_lines("\n".join(kept))

    def drop_count_lines(self, output: str) -> str:
        """``output`` without the tool's lines that count the canaries in (:attr:`count_lines`)."""
        if self.count_lines is None:
            return output
        return "\n".join(line for line in output.splitlines() if not self.count_lines.fullmatch(line.strip()))

    def prepare(self, workspace: Path, ctx: "RunnerContext", problem: "Problem | None" = None) -> None:
        """Anything a workspace needs before its steps run (links to shared dependencies)."""

    def steps(self, workspace: Path, ctx: "RunnerContext", problem: "Problem", report_dir: Path) -> list[Step]:
        """The commands of a run; the last runs the tests and writes its structured report into ``report_dir``."""
        raise NotImplementedError(f"{self.name}: no test command")

    # ------------------------------------------------------------------ two-process runs

    def isolation(self, problem: "Problem") -> str:
        """``"process"`` when this problem's candidate code runs in a process of its own, apart from the tests and
        the test tool (see :meth:`split`); ``"in-process"`` when they share one (compiled languages: one binary or
        JVM; a language's named fallback list)."""
        return "in-process"

    def split(self, files: dict[str, str], problem: "Problem") -> tuple[dict[str, str], dict[str, str]] | None:
        """For a two-process run: (the tests' workspace files — tests, support files and a proxy module in place of
        each candidate module —, the candidate's workspace files — its modules and what loading them needs), or
        None when this problem runs in one process. The candidate's process gets no test, canary or report."""
        return None

    def companion(self, workspace: Path, ctx: "RunnerContext", problem: "Problem") -> "Step":
        """The command of a two-process run's candidate process, run in ``workspace`` (the second half of
        :meth:`split`); it serves the tests' process over :data:`CHANNEL_FD`."""
        raise NotImplementedError(f"{self.name}: no two-process runs")

    def memory_env(self, memory_mb: int) -> dict[str, str]:
        """Environment that keeps the language's runtime under ``memory_mb`` (heap flags)."""
        return {}

    def read_report(self, report_dir: Path, output: str) -> Report | None:
        """The test tool's structured report of the last step (None: it wrote none). Raises
        :class:`~.reports.ReportError` for a report that cannot be genuine."""
        raise NotImplementedError

    def is_compile_error(self, output: str, returncode: int | None) -> bool:
        """Whether a test step that reported no test failed to build or load the code."""
        return False

    # ------------------------------------------------------------------ provisioning

    def provision(self, ctx: "RunnerContext", problems: Sequence["Problem"]) -> list[str]:
        """Install what the tests need into ``ctx.cache_dir``; returns what was done, for the log."""
        return []

    def missing_provision(self, ctx: "RunnerContext") -> str | None:
        """Why runs would fail now for lack of provisioning, or None when ready."""
        return None

    def provision_summary(self, ctx: "RunnerContext") -> str:
        """What is provisioned, for ``doctor`` (asked only when :meth:`missing_provision` found nothing missing)."""
        return "ok"

    def missing_dependency(self, problem: "Problem", ctx: "RunnerContext") -> str | None:
        """What ``problem`` needs that is not provisioned (with the command that fixes it), or None."""
        return self.missing_provision(ctx)

    def toolchain(self) -> list[ToolCheck]:
        return []

    def __repr__(self) -> str:
        return f"<Language {self.name}>"
