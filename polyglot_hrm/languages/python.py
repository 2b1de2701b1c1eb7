"""Python: pytest on ``*_test.py``; the reference is ``.meta/example.py``. Nothing is skipped.

A candidate may add modules beside the solution (``helpers.py``), but none that pytest loads by
itself (``conftest.py``) or that shadows a standard, builtin or installed module (``pytest.py``,
``sitecustomize.py``, ``unittest.py``): the workspace is on ``sys.path`` while the tests run. pytest
writes a JUnit XML report into the run's report folder; conftest files are not loaded at all.

Two processes (:meth:`Python.split`, :meth:`Python.companion`): the tests and pytest run in one (A), whose
workspace holds a generated stub in place of each candidate module; the candidate's modules run in another (B),
``python_proxy.py serve`` in a workspace of their own, and the two talk over :data:`~.base.CHANNEL_FD`
(:mod:`.python_proxy` says what crosses and what is refused). The few exercises whose tests the proxy cannot
carry run in one process, as before: :data:`IN_PROCESS` names them and why.
"""

from __future__ import annotations

import builtins
import hashlib
import keyword
import os
import re
import pkgutil
import site
import subprocess
import sys
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Literal

from . import python_proxy
from .base import CHANNEL_FD, REPORT_FD_PATH, Language, Step, ToolCheck, tool_version
from .lexer import split_parameters
from .registry import register
from .reports import Canary, Report, canary_id, canary_values, junit_outcomes, parse_xml, read_report_file

_REPORT = "junit.xml"
# Modules pytest or the interpreter import on their own, or that pytest's run depends on.
_TOOL_MODULES = {"conftest", "sitecustomize", "usercustomize", "pytest", "_pytest", "pluggy", "py", "iniconfig",
                 "packaging", "exceptiongroup", "tomli", "__main__", "pytest_cov", "coverage", "python_proxy"}

#: Exercises whose tests the proxy cannot carry: they run with the candidate in the tests' process, and their
#: results say ``isolation: "in-process"``. Each entry is a fact about the exercise's tests, checked by running
#: the references both ways (benchmarks/python_isolation.py).
IN_PROCESS: dict[str, str] = {
    "grep": "the tests patch the builtin `open` inside the candidate's module with a unittest.mock object that "
            "serves the files' text; a mock stays in the tests' process, and the candidate would open files that "
            "do not exist",
    "paasio": "the tests patch the builtin `super` inside the candidate's module and hand unittest.mock objects "
              "(mocked sockets and files) to its classes, then assert on the calls the mocks record; a mock stays "
              "in the tests' process",
}

# The proxy runtime's folder in the runner cache, keyed by its content: a run never uses a stale copy.
_RUNTIME = Path(python_proxy.__file__)
_RUNTIME_KEY = hashlib.sha256(_RUNTIME.read_bytes()).hexdigest()[:16]

# A failing call per unittest assertion: the canary for each one the test file uses. A patched
# assertion then lets its must-fail canary pass, which the verdict refuses.
_FAILING_ASSERTIONS = {
    "assertEqual": "self.assertEqual({a}, {b})",
    "assertNotEqual": "self.assertNotEqual({a}, {a})",
    "assertTrue": "self.assertTrue({a} == {b})",
    "assertFalse": "self.assertFalse({a} == {a})",
    "assertIs": "self.assertIs(None, {a})",
    "assertIsNone": "self.assertIsNone({a})",
    "assertIsNotNone": "self.assertIsNotNone(None)",
    "assertIn": "self.assertIn({a}, [{b}])",
    "assertNotIn": "self.assertNotIn({a}, [{a}])",
    "assertLess": "self.assertLess({b}, {a})",
    "assertGreater": "self.assertGreater({a}, {b})",
    "assertAlmostEqual": "self.assertAlmostEqual({a}.0, {b}.0)",
    "assertCountEqual": "self.assertCountEqual([{a}], [{b}])",
    "assertListEqual": "self.assertListEqual([{a}], [{b}])",
    "assertSetEqual": "self.assertSetEqual({{{a}}}, {{{b}}})",
    "assertDictEqual": "self.assertDictEqual({{{a}: 1}}, {{{b}: 1}})",
    "assertMultiLineEqual": "self.assertMultiLineEqual('{a}', '{b}')",
    "assertRegex": "self.assertRegex('{a}', '{b}')",
    "assertRaises": "with self.assertRaises(ValueError):\n            pass",
    "assertRaisesRegex": "with self.assertRaisesRegex(ValueError, 'x'):\n            pass",
    "fail": "self.fail('{a}')",
}
_ALWAYS = ("assertEqual", "assertRaises", "fail")


@lru_cache(maxsize=1)
def reserved_modules() -> frozenset[str]:
    """Names a candidate's module must not take: standard, builtin, installed, or loaded by pytest."""
    names = set(getattr(sys, "stdlib_module_names", ())) | set(sys.builtin_module_names) | _TOOL_MODULES
    dirs = [d for d in [*site.getsitepackages(), site.getusersitepackages()] if Path(d).is_dir()]
    names.update(m.name for m in pkgutil.iter_modules(dirs))
    return frozenset(names)


def _top_level_module(path: str) -> bool:
    """Whether ``path`` is a module a stub can stand in for: ``name.py`` at the top, ``name`` importable."""
    pure = PurePosixPath(path)
    return (len(pure.parts) == 1 and pure.suffix == ".py" and pure.stem.isidentifier()
            and not keyword.iskeyword(pure.stem))


@lru_cache(maxsize=8)
def _imports_pytest(python: str) -> bool:
    return subprocess.run([python, "-c", "import pytest"], capture_output=True).returncode == 0


class Python(Language):
    name = "python"
    title = "Python"
    track_names = ("python",)
    test_globs = ("*_test.py", "test_*.py")
    section_start = re.compile(r"_+ .* _+$|={3,}|-{3,} ")
    count_lines = re.compile(r"(=+ )?(\d+ (failed|passed|errors?|skipped|xfailed|xpassed|warnings?|deselected|rerun)"
                             r"(, )?)+( in [\d.]+s)?( \(.*\))?( =+)?|(\S+\.py )?[.FEsxX]+( +\[ *\d+%\])?"
                             r"|=+ (FAILURES|short test summary info) =+")
    # No programs: its runs start ctx.python, the interpreter this package runs on, which the sandbox shows every run.
    artifact_folders = ("__pycache__", ".pytest_cache")

    fence_tag = "python"
    source_suffixes = (".py",)
    line_comment = "#"
    block_comment = None
    multiline_strings = ('"""', "'''")
    indented_blocks = True
    booleans = ("True", "False")
    arithmetic_operators = (*Language.arithmetic_operators, "//")  # floor division: `//` -> `*`
    function_header = re.compile(r"^(\s*)(async\s+)?def\s+(?P<name>\w+)\s*\(")
    leading_prefixes = ("@", "#")

    # Concepts and constructs (polyglot_hrm.languages.concepts), over code with comments and strings blanked.
    concept_patterns = {
        "iteration": r"\b(for|while)\b",
        "string_processing": r"\.(lower|upper|casefold|split|rsplit|splitlines|join|strip|lstrip|rstrip|replace|isalpha"
                             r"|isdigit|isalnum|isspace|isupper|islower|startswith|endswith|translate)\(|\b(ord|chr)\("
                             r"|\bre\.\w+\(",
        "mapping": r"\b(dict|Counter|defaultdict|OrderedDict)\b|\.items\(\)|\.get\(|=\s*\{\s*\}",
        "sorting": r"\bsorted\(|\.sort\(",
        "modular_arithmetic": r"%|\bdivmod\(",
        "error_handling": r"\braise\b|\btry\s*:",
        "higher_order_functions": r"\blambda\b",
    }
    construct_patterns = {
        "static_types": r"\bdef\s+\w+\([^)]*\w\s*:\s*\w|\)\s*->\s*\w",  # type hints
        "classes": r"^\s*class\s+\w",
        "exceptions": r"\b(raise|try|except)\b",
        "type_parameters": r"\b(list|dict|set|tuple|List|Dict|Set|Tuple|Optional|Sequence|Iterable)\[",
    }

    identifier_case = "snake"
    reserved_words = frozenset(keyword.kwlist) | frozenset(dir(builtins))
    # `name = value`, one target (not `a.b =`, `a[i] =`, `a, b =`, `x == y`, an annotated `x: int = 1`).
    local_declaration = re.compile(r"^(?P<name>[A-Za-z_]\w*)\s*=(?!=)\s*(?P<value>\S.*)$")
    statement_end = ""
    keyword_arguments = True
    index_loops = ((re.compile(r"^for (?P<index>\w+) in range\(len\((?P<seq>[\w.]+)\)\):$"), "{seq}[{index}]"),)
    foreach_header = "for {item} in {seq}:"

    def helper_name(self, function: str) -> str:
        return f"_{function.lstrip('_')}_impl"  # a private module function

    def parameter_names(self, params: str) -> list[str] | None:
        out, keyword_only = [], False
        for param in split_parameters(params):
            name = param.split("=")[0].split(":")[0].strip()
            if name == "/":
                continue
            if name == "*":
                keyword_only = True
                continue
            if name.startswith("*"):
                keyword_only = keyword_only or not name.startswith("**")
                out.append(name)
                continue
            if not name.isidentifier() or name in ("self", "cls"):
                return None
            out.append(f"{name}={name}" if keyword_only else name)
        return out

    def new_file_problem(self, path: str) -> str | None:
        pure = PurePosixPath(path)
        if len(pure.parts) != 1 or pure.suffix != ".py" or not pure.stem.isidentifier():
            return "a new Python module must be a top-level <identifier>.py file"
        if self.is_test_file(path):
            return "a new test file (only the exercise's tests run)"
        if pure.stem in reserved_modules():
            return f"{pure.stem!r} would shadow a module that Python or pytest loads"
        return None

    def add_canaries(self, files: dict[str, str], problem, token: str) -> Canary:
        test_path = self.first_test_file(files)
        text = files[test_path]
        used = [name for name in _FAILING_ASSERTIONS if name in _ALWAYS or f"self.{name}(" in text]
        a, b = canary_values(token)
        methods = [f"    def test_{canary_id(token, 'pass')}(self):\n        self.assertEqual({a}, {a})\n"]
        fails = [canary_id(token, f"fail_{name}") for name in used]
        for name, fail in zip(used, fails):
            methods.append(f"    def test_{fail}(self):\n        {_FAILING_ASSERTIONS[name].format(a=a, b=b)}\n")
        fails.append(canary_id(token, "fail_assert"))
        files[test_path] = (
            text.rstrip("\n") + f"\n\n\nimport unittest as _pgcanary_unittest_{token}\n\n\n"
            f"class Pgcanary_{token}(_pgcanary_unittest_{token}.TestCase):\n" + "\n".join(methods)
            + f"\n\ndef test_{fails[-1]}():\n    assert {a} == {b}\n")
        return Canary(token, (canary_id(token, "pass"),), tuple(fails))

    # ------------------------------------------------------------------ two processes

    def isolation(self, problem) -> Literal["process", "in-process"]:
        """``"process"`` when the candidate's modules run in a process of their own, ``"in-process"`` for the
        exercises the proxy cannot carry (:data:`IN_PROCESS`) and for solution files that are not top-level
        modules (the stubs stand in for top-level modules only)."""
        if problem.slug in IN_PROCESS:
            return "in-process"
        return "process" if all(_top_level_module(p) for p in problem.paths("solution")) else "in-process"

    def split(self, files: dict[str, str], problem) -> tuple[dict[str, str], dict[str, str]] | None:
        """(the tests' workspace, the candidate's workspace) of a two-process run, or None when the exercise runs
        in one process. The candidate's modules are the solution files and the modules the candidate added
        (every top-level ``.py`` that is not one of the exercise's test, support or editor files); the tests'
        side holds everything else plus a stub per candidate module, the candidate's side those modules only."""
        if self.isolation(problem) != "process":
            return None
        exercise = set(problem.paths("test", "support", "editor"))
        candidate = {path: text for path, text in files.items()
                     if path not in exercise and not self.is_test_file(path) and _top_level_module(path)}
        tests = {path: text for path, text in files.items() if path not in candidate}
        tests.update({path: python_proxy.stub_module(PurePosixPath(path).stem) for path in candidate})
        return tests, candidate

    def runtime_dir(self, ctx) -> Path:
        """The runner cache's folder holding ``python_proxy.py`` (put on A's path; B runs it)."""
        return ctx.path("python-proxy", _RUNTIME_KEY)

    def companion(self, workspace: Path, ctx, problem) -> Step:
        """The candidate's process (B): the proxy's server, run in ``workspace`` (the candidate's modules only),
        talking over :data:`CHANNEL_FD`. ``-m`` with the runtime's folder on PYTHONPATH: the module loads from
        the bytecode provisioning compiled (a script would be compiled at every start). ``-S``: the standard
        library only, as the Exercism track's own runner has it (no installed package, and no ``.pth`` file
        run at each start: a third of B's start). PYTHONSAFEPATH: the working directory joins ``sys.path`` only
        where the server puts it, first (``python_proxy`` is a reserved module name all the same, for Pythons
        before 3.11). Not ``-I``, which would drop PYTHONHASHSEED: set iteration order must match the tests'
        process and a one-process run."""
        argv = [ctx.python, "-S", "-m", "python_proxy", "serve"]
        env = {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0", "PYTHONSAFEPATH": "1",
               "PYTHONPATH": str(self.runtime_dir(ctx)), python_proxy.FD_ENV: str(CHANNEL_FD)}
        return Step(argv, env=env, noexec=True)

    def steps(self, workspace: Path, ctx, problem, report_dir: Path) -> list[Step]:
        tests = sorted(str(p.relative_to(workspace)) for g in self.test_globs for p in workspace.glob(g))
        argv = [ctx.python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--noconftest", "--tb=short",
                "-o", "console_output_style=classic", "-o", "junit_family=xunit1",
                f"--junitxml={REPORT_FD_PATH}", "--rootdir", str(workspace), *tests]
        # Plugins installed beside pytest (hypothesis, xdist, ...) are not part of an exercise's test run; loading
        # their entry points took half of a warm run (0.2 of 0.37 s on python/forth). PYTHONSAFEPATH: the
        # working directory is not put first on sys.path, so `-m pytest` is the installed pytest.
        env = {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
               "PYTHONSAFEPATH": "1"}
        if self.isolation(problem) == "process":  # the stubs import python_proxy, which finds B on CHANNEL_FD
            env.update({"PYTHONPATH": str(self.runtime_dir(ctx)), python_proxy.FD_ENV: str(CHANNEL_FD)})
        # The report goes to the host's pipe: taken as pytest writes it, never rewritten after (see Step.report).
        return [Step(argv, env=env, noexec=True, report=_REPORT)]

    def read_report(self, report_dir: Path, output: str) -> Report | None:
        data = read_report_file(report_dir / _REPORT)
        if data is None:
            return None
        root = parse_xml(data)
        report = junit_outcomes(root, lambda case: f"{case.get('classname', '')}.{case.get('name', '')}")
        # A module that fails to import is one <testcase> with an empty class name and a collection error.
        for case in root.iter("testcase"):
            error = case.find("error")
            if not case.get("classname") and error is not None and "collection" in (error.get("message") or ""):
                report.load_errors.append(case.get("name", ""))
        report.tests = [t for t in report.tests if not t.name.startswith(".")]
        return report

    def is_compile_error(self, output: str, returncode: int | None) -> bool:
        # A SyntaxError or ImportError in the solution stops collection (pytest exit code 2).
        return returncode == 2 or "error during collection" in output or "errors during collection" in output

    def provision(self, ctx, problems) -> list[str]:
        target = self.runtime_dir(ctx) / _RUNTIME.name
        if target.is_file() and any(target.parent.glob("__pycache__/python_proxy.*.pyc")):
            return []
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{os.getpid()}")  # written whole, then renamed into place
        partial.write_bytes(_RUNTIME.read_bytes())
        os.replace(partial, target)
        # Bytecode for the Python that runs the tests: both processes import the runtime at every run, and runs
        # write no bytecode themselves. Checked by hash, so a copied cache's file times do not matter.
        compile_pyc = ("import py_compile, sys; py_compile.compile(sys.argv[1], doraise=True, "
                       "invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)")
        subprocess.run([ctx.python, "-c", compile_pyc, str(target)], check=True, capture_output=True)
        return [f"the proxy runtime into {target.parent}"]

    def missing_provision(self, ctx) -> str | None:
        if not _imports_pytest(ctx.python):
            return f"pytest is not importable by {ctx.python}; run `{ctx.python} -m pip install pytest`"
        target = self.runtime_dir(ctx) / _RUNTIME.name
        if not target.is_file() or hashlib.sha256(target.read_bytes()).hexdigest()[:16] != _RUNTIME_KEY:
            return f"the Python proxy runtime is not in {target.parent}; run `polyglot-hrm setup-runners`"
        return None

    def toolchain(self) -> list[ToolCheck]:
        return [ToolCheck("python3", tool_version(["python3", "--version"]), "install Python 3.10+"),
                ToolCheck("pytest", tool_version([sys.executable, "-m", "pytest", "--version"]), "pip install pytest")]


PYTHON = register(Python())
