"""JavaScript: Jest + babel, one shared ``node_modules`` for every exercise.

The reference is ``.meta/proof.ci.js``. The track marks all but the first test pending with ``xtest(``
(also ``xit(``/``xdescribe(``): :meth:`JavaScript.unskip` turns them back on. A ``test.skip(`` is the
exercise's own decision (javascript/crypto-square skips a test its own proof fails) and stays.
A candidate may add modules beside the solution, but no configuration Jest or Babel loads by itself
(``jest.config.js``, ``babel.config.js``, ``package.json``, dot files) and no file Jest would collect as a
test. Jest writes its JSON report (``--json --outputFile``) into the host's report pipe (:attr:`Step.report`).

**Two processes** (:meth:`JavaScript.split`, :meth:`JavaScript.companion`): the spec and Jest run in process A
with a generated stub (:func:`stub_module`) in place of each of the candidate's modules; the modules themselves
load in process B (``javascript_proxy.js serve``), and the stubs carry every call over the channel on fd 3
(``javascript_proxy.js`` says what is carried and what is refused). Exercises the proxy cannot carry run
in-process: :data:`IN_PROCESS`, each with its reason.

**Jest** runs only the exercise's spec files (``--runTestsByPath``), in band, with polyglot-hrm's configuration
(``javascript_jest_config.js``: the exercise's own plus ``haste.forceNodeFilesystemAPI``, so nothing spawns
``find``), and needs neither ``execve`` nor ``fork`` (:attr:`Step.noexec`).
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import tempfile
from pathlib import Path, PurePosixPath
from typing import Literal, Sequence

from .base import REPORT_FD_PATH, Language, Step, ToolCheck, split_parameters, tool_version
from .registry import register
from .reports import Canary, Report, canary_id, canary_values, ReportError, TestOutcome, read_report_file

logger = logging.getLogger(__name__)

# What every exercise's package.json asks for (devDependencies; eslint/types are not needed to test).
DEV_DEPENDENCIES = {
    "@babel/core": "^7.25.2",
    "@exercism/babel-preset-javascript": "^0.2.1",
    "babel-jest": "^29.6.4",
    "core-js": "~3.37.1",
    "jest": "^29.7.0",
}
_NOT_NEEDED = ("eslint", "@exercism/eslint-config-javascript", "@types/jest", "@types/node")
_XTEST = re.compile(r"\bx(test|it|describe)\s*\(")
_REPORT = "jest.json"
# A top-level file Jest's testMatch collects (Jest 29's and 30's defaults, the track's jest.config.js alike:
# `**/?(*.)+(spec|test).?([mc])[jt]s?(x)`): test.js, spec.js, x.test.js, x.testtest.js, x.spec.cjs, ...
_JEST_TEST_NAME = re.compile(r"^(?:.*\.)?(?:spec|test)+\.[mc]?[jt]sx?$")

#: Where the runtime files go in the runner cache. Under a ``node_modules`` folder on purpose: babel-jest leaves
#: files there untransformed (``transformIgnorePatterns``), so the proxy loads in A as written, at no cost.
_RUNTIME_DIR = ("javascript", "polyglot-hrm", "node_modules")
_PROXY = "javascript_proxy.js"
_JEST_CONFIG = "javascript_jest_config.js"
#: The environment variable through which a stub finds the proxy (the stub is written before the cache is known).
PROXY_ENV = "POLYGLOT_HRM_JS_PROXY"

Isolation = Literal["process", "in-process"]

#: Exercises the proxy cannot carry: they run in-process (the run's ``isolation`` says so), with the reason.
IN_PROCESS: dict[str, str] = {
    "grep": "the spec starts `node grep.js` itself (child_process.spawnSync) and reads the data files beside it",
}
#: Exercises whose own spec starts a program: their test step cannot run under the no-exec launcher.
STARTS_PROGRAMS: dict[str, str] = {"grep": IN_PROCESS["grep"]}
# What in a spec the proxy cannot carry, found by reading it (a named slug above says why in words).
_UNCARRIED = (
    (re.compile(r"\bjest\s*\.\s*(mock|doMock|unstable_mockModule|requireActual|createMockFromModule)\s*\("),
     "jest.mock of a module: the candidate's imports load in another process"),
    (re.compile(r"\bjest\s*\.\s*(useFakeTimers|advanceTimersByTime|runAllTimers)\b"),
     "fake timers: the candidate's timers run in another process"),
    (re.compile(r"\b(child_process|worker_threads)\b|\bspawnSync\b|\bexecSync\b"),
     "the spec starts programs or threads of its own"),
)
#: Jest's per-test limit (its default is 5 s), in ms.
_TEST_TIMEOUT_MS = 60_000
_OUTCOMES = {"passed": "passed", "failed": "failed"}  # pending, todo, skipped, disabled: not run
# A failing use of each matcher: the canary for every matcher the spec file uses (a matcher patched
# to always pass lets its must-fail canary pass).
_FAILING_MATCHERS = {
    "toEqual": "expect({a}).toEqual({b})",
    "toStrictEqual": "expect({a}).toStrictEqual({b})",
    "toBe": "expect({a}).toBe({b})",
    "toThrow": "expect(() => {a}).toThrow()",
    "toThrowError": "expect(() => {a}).toThrowError()",
    "toBeCloseTo": "expect({a}).toBeCloseTo({b})",
    "toBeInstanceOf": "expect({a}).toBeInstanceOf(Array)",
    "toMatch": "expect('{a}').toMatch(/{b}/)",
    "toBeNull": "expect({a}).toBeNull()",
    "toBeDefined": "expect(undefined).toBeDefined()",
    "toBeUndefined": "expect({a}).toBeUndefined()",
    "toBeTruthy": "expect(0).toBeTruthy()",
    "toBeFalsy": "expect({a}).toBeFalsy()",
    "toContain": "expect([{a}]).toContain({b})",
    "toHaveLength": "expect([{a}]).toHaveLength(2)",
    "not.toBe": "expect({a}).not.toBe({a})",
    "not.toEqual": "expect({a}).not.toEqual({a})",
    "not.toThrow": "expect(() => {{ throw new Error('{a}'); }}).not.toThrow()",
    "resolves": "await expect(Promise.resolve({a})).resolves.toEqual({b})",
    "rejects": "await expect(Promise.reject(new Error('{a}'))).rejects.toEqual({b})",
}
_ALWAYS = ("toEqual", "toBe", "toThrow")


class JavaScript(Language):
    name = "javascript"
    title = "JavaScript"
    track_names = ("javascript", "js")
    # Licence text and lint config are not needed to build, test or learn from an exercise.
    ignored_files = ("LICENSE", ".eslintrc")
    test_globs = ("*.spec.js", "*.test.js")
    section_start = re.compile(r"\s*● |(Test Suites|Tests|Snapshots|Time):")
    address_space_limit = False

    fence_tag = "javascript"
    source_suffixes = (".js", ".mjs", ".cjs")
    multiline_strings = ("`",)  # template literals
    comparison_operators = (*Language.comparison_operators, "===", "!==")
    # A function declaration, a method (a name, parameters and `{` on one line) or an arrow function with a body.
    function_header = re.compile(
        r"^(\s*)(?:(?:export\s+)?(?:default\s+)?(?:async\s+)?function\*?\s+(?P<name>\w+)\s*\("
        r"|(?:static\s+)?(?:async\s+)?(?:get\s+|set\s+)?(?P<method>#?\w+)\s*\([^)]*\)\s*\{\s*$"
        r"|(?:export\s+)?(?:const|let|var)\s+(?P<arrow>\w+)\s*=\s*(?:async\s+)?(?:\([^)]*\)|\w+)\s*=>\s*\{\s*$)")

    # Concepts and constructs (polyglot_hrm.languages.concepts), over code with comments and strings blanked.
    concept_patterns = {
        "iteration": r"\b(for|while)\b|\.(forEach|map|filter|reduce|some|every|flatMap)\(",
        "string_processing": r"\.(toLowerCase|toUpperCase|split|join|trim|trimStart|trimEnd|replace|replaceAll|charCodeAt"
                             r"|charAt|codePointAt|match|matchAll|padStart|padEnd|startsWith|endsWith|test)\("
                             r"|\bString\.fromCharCode\b|\bRegExp\b",
        "mapping": r"\bnew\s+Map\b|\bObject\.(keys|entries|values|fromEntries)\(|=\s*\{\s*\}",
        "sorting": r"\.sort\(",
        "modular_arithmetic": r"%",
        "error_handling": r"\bthrow\b|\btry\s*\{",
        # a function given as a value: an arrow or function expression as an argument or a property
        "higher_order_functions": r"[(,:]\s*(async\s+)?(\([^()]*\)|\w+)\s*=>|[(,:]\s*(async\s+)?function\b",
    }
    construct_patterns = {
        "classes": r"\bclass\s+\w",
        "exceptions": r"\b(throw|try|catch)\b",
    }


    reserved_words = frozenset(
        "break case catch class const continue debugger default delete do else export extends false finally for "
        "function if import in instanceof let new null return super switch this throw true try typeof var void "
        "while with yield await static enum implements interface package private protected public arguments eval "
        "undefined NaN Infinity Object Array String Number Boolean Math JSON Map Set Symbol Error".split())
    local_declaration = re.compile(
        r"^(?:const|(?P<mutable>let|var))\s+(?P<name>[A-Za-z_$][\w$]*)\s*=(?!=)\s*(?P<value>\S.*);$")
    index_loops = ((re.compile(r"^for \((?:let|var) (?P<index>\w+) = 0; (?P=index) < (?P<seq>[\w.]+)\.length; "
                               r"(?:(?P=index)\+\+|\+\+(?P=index)|(?P=index) \+= 1)\) \{$"), "{seq}[{index}]"),)
    foreach_header = "for (const {item} of {seq}) {{"

    def helper_header(self, header: str, function: str, helper: str) -> str | None:
        if header[:1].isspace() or re.search(r"\bfunction\s*\*", header):  # methods need `this`; generators
            return None
        header = re.sub(r"^export\s+(default\s+)?", "", header)
        return super().helper_header(header, function, helper)

    def parameter_names(self, params: str) -> list[str] | None:
        out = []
        for param in split_parameters(params):
            name = param.split("=")[0].strip()
            bare = name[3:] if name.startswith("...") else name
            if not re.fullmatch(r"[A-Za-z_$][\w$]*", bare):  # destructuring patterns are not forwarded
                return None
            out.append(name)
        return out

    def memory_env(self, memory_mb: int) -> dict[str, str]:
        return {"NODE_OPTIONS": f"--max-old-space-size={max(256, memory_mb // 2)}"}

    def new_file_problem(self, path: str) -> str | None:
        pure = PurePosixPath(path)
        if len(pure.parts) != 1 or pure.suffix not in (".js", ".mjs", ".cjs"):
            return "a new JavaScript module must be a top-level .js file"
        if self.is_test_file(path) or _JEST_TEST_NAME.match(pure.name):
            return "a file Jest would collect as a test (only the exercise's tests run)"
        lowered = pure.name.lower()
        if ".config." in lowered or lowered.startswith(("jest.", "babel.")):
            return "a configuration file that Jest or Babel would load"
        return None

    def add_canaries(self, files: dict[str, str], problem, token: str) -> Canary:
        spec = self.first_test_file(files)
        text = files[spec]
        used = [m for m in _FAILING_MATCHERS if m in _ALWAYS or f".{m}" in text]
        a, b = canary_values(token)
        fails = [canary_id(token, "fail_" + m.replace(".", "_")) for m in used]
        tests = [f"  test('{canary_id(token, 'pass')}', () => {{\n    expect({a}).toEqual({a});\n  }});\n"]
        tests += [f"  test('{fail}', async () => {{\n    {_FAILING_MATCHERS[m].format(a=a, b=b)};\n  }});\n"
                  for m, fail in zip(used, fails)]
        files[spec] = text.rstrip("\n") + f"\n\ndescribe('{canary_id(token, 'suite')}', () => {{\n" + "\n".join(tests) + "});\n"
        return Canary(token, (canary_id(token, "pass"),), tuple(fails))

    def unskip(self, text: str) -> str:
        """Lift the track's pending markers (``xtest(``, ``xit(``, ``xdescribe(``); a ``.skip(`` stays: the exercise
        skips that test on purpose."""
        return _XTEST.sub(r"\1(", text)

    # ------------------------------------------------------------------ two processes

    def isolation(self, problem) -> Isolation:
        """``process`` where the candidate's modules load in their own process, else ``in-process``."""
        return "in-process" if self.in_process_reason(problem) else "process"

    def in_process_reason(self, problem) -> str | None:
        """Why ``problem`` runs in-process (its :data:`IN_PROCESS` entry, or what its spec does), or None."""
        if problem.slug in IN_PROCESS:
            return IN_PROCESS[problem.slug]
        for f in problem.files:
            if f.role == "test":
                for pattern, reason in _UNCARRIED:
                    if pattern.search(f.content):
                        return reason
        return None

    def split(self, files: dict[str, str], problem) -> tuple[dict[str, str], dict[str, str]] | None:
        """The run's ``files`` as (A's workspace, B's workspace), or None to run in-process.

        A: the spec (with its canaries) and the exercise's support files, and a stub per candidate module; B: the
        candidate's modules (solution files, modules it added, the exercise's editor modules they import) with
        what loading them needs (package.json, Babel's configuration): no test, no canary, no Jest configuration.
        """
        reason = self.in_process_reason(problem)
        if reason:
            logger.debug("%s runs in-process: %s", problem.id, reason)
            return None
        # A reference is mapped onto its solution's path: the role that counts is the solution's.
        roles = {f.path: f.role for f in problem.files if f.role != "reference"}
        modules = sorted(p for p in files if self._is_module(p, roles.get(p)))
        a_files = {p: text for p, text in files.items() if p not in modules}
        a_files.update({p: stub_module(p) for p in modules})
        b_files = {p: files[p] for p in modules}
        b_files.update({p: text for p, text in files.items() if roles.get(p) == "support" and _loads_modules(p)})
        return a_files, b_files

    def _is_module(self, path: str, role: str | None) -> bool:
        """Whether ``path`` is a module of the candidate's side: a solution, an editor or a new source file."""
        if PurePosixPath(path).suffix not in self.source_suffixes or self.is_test_file(path):
            return False
        return role in ("solution", "editor", None)

    def companion(self, workspace: Path, ctx, problem) -> Step:
        """Process B's command, run in B's workspace: the proxy's server, which loads the candidate's modules."""
        proxy = self.install_runtime(ctx) / _PROXY
        return Step(["node", str(proxy), "serve"], env={"FORCE_COLOR": "0"}, noexec=True)

    def runtime_dir(self, ctx) -> Path:
        return ctx.path(*_RUNTIME_DIR)

    def install_runtime(self, ctx) -> Path:
        """The proxy and the Jest configuration in the runner cache, as this package has them (rewritten when
        they differ: a cache never holds a runtime older than the code that writes the stubs)."""
        target = self.runtime_dir(ctx)
        for name in (_PROXY, _JEST_CONFIG):
            source = Path(__file__).with_name(name).read_bytes()
            dest = target / name
            if not dest.is_file() or dest.read_bytes() != source:
                target.mkdir(parents=True, exist_ok=True)
                # One temporary name per writer: runs in parallel (threads or processes) may rewrite it at once.
                fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=target)
                with os.fdopen(fd, "wb") as out:
                    out.write(source)
                os.chmod(tmp, 0o644)
                os.replace(tmp, dest)
        return target

    def modules_dir(self, ctx) -> Path:
        return ctx.path("javascript", "node_modules")

    def prepare(self, workspace: Path, ctx, problem=None) -> None:
        link = workspace / "node_modules"
        if not link.exists():
            link.symlink_to(self.modules_dir(ctx), target_is_directory=True)

    def steps(self, workspace: Path, ctx, problem, report_dir: Path) -> list[Step]:
        jest = self.modules_dir(ctx) / "jest" / "bin" / "jest.js"
        runtime = self.install_runtime(ctx)
        specs = sorted(p for p in problem.paths("test") if self.is_test_file(p))
        # Jest's default 5 s per test failed a correct reference (parallel-letter-frequency) on a loaded machine;
        # the run's own time limit still bounds a hang, and a test file's own jest.setTimeout still applies.
        argv = ["node", str(jest), "--config", str(runtime / _JEST_CONFIG), "--ci", "--runInBand", "--colors=false",
                f"--testTimeout={_TEST_TIMEOUT_MS}", "--cacheDirectory", str(workspace / ".jest-cache"), "--json",
                f"--outputFile={REPORT_FD_PATH}", "--runTestsByPath", *specs]
        env = {"FORCE_COLOR": "0", PROXY_ENV: str(runtime / _PROXY)}
        # The report goes to the host's pipe: taken as Jest writes it, never rewritten after (see Step.report).
        return [Step(argv, env=env, noexec=problem.slug not in STARTS_PROGRAMS, report=_REPORT)]

    def read_report(self, report_dir: Path, output: str) -> Report | None:
        data = read_report_file(report_dir / _REPORT)
        if data is None:
            return None
        try:
            parsed = json.loads(data)
            suites = parsed["testResults"]
            report = Report()
            for suite in suites:
                results = suite.get("assertionResults") or []
                if suite.get("status") == "failed" and not results:
                    report.load_errors.append(str(suite.get("message", ""))[:500])
                for r in results:
                    name = " › ".join([*map(str, r.get("ancestorTitles") or []), str(r["title"])])
                    report.tests.append(TestOutcome(name, _OUTCOMES.get(r.get("status"), "skipped")))
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as err:
            raise ReportError(f"Jest report is not Jest's JSON ({type(err).__name__}: {str(err)[:200]})") from None
        return report

    def is_compile_error(self, output: str, returncode: int | None) -> bool:
        return "Test suite failed to run" in output

    # ------------------------------------------------------------------ provisioning

    def wanted_dependencies(self, problems: Sequence) -> dict[str, str]:
        deps = dict(DEV_DEPENDENCIES)
        for p in problems:
            if p.language != self.name:
                continue
            for f in p.files:
                if f.path == "package.json":
                    data = json.loads(f.content)
                    for name, version in {**data.get("devDependencies", {}), **data.get("dependencies", {})}.items():
                        if name not in _NOT_NEEDED:
                            deps[name] = version
        return dict(sorted(deps.items()))

    def provision(self, ctx, problems: Sequence) -> list[str]:
        root = ctx.path("javascript")
        root.mkdir(parents=True, exist_ok=True)
        manifest = {"name": "polyglot-hrm-runner-deps", "private": True,
                    "devDependencies": self.wanted_dependencies(problems)}
        text = json.dumps(manifest, indent=2) + "\n"
        stamp = root / ".installed"
        self.install_runtime(ctx)
        if stamp.is_file() and stamp.read_text() == text and (self.modules_dir(ctx) / "jest").is_dir():
            return []
        (root / "package.json").write_text(text)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=root, check=True)
        stamp.write_text(text)
        return [f"npm installed {len(manifest['devDependencies'])} packages into {root}"]

    def missing_provision(self, ctx) -> str | None:
        if (self.modules_dir(ctx) / "jest" / "bin" / "jest.js").is_file():
            return None  # the proxy's files are (re)written by steps() and companion() themselves
        return "Jest is not provisioned; run `polyglot-hrm setup-runners --languages javascript`"

    def missing_dependency(self, problem, ctx) -> str | None:
        missing = [name for name in self.wanted_dependencies([problem])
                   if not (self.modules_dir(ctx) / name / "package.json").is_file()]
        if missing:
            return (f"npm packages {', '.join(missing)} ({problem.id}'s package.json) are not provisioned; run "
                    f"`polyglot-hrm setup-runners --benchmark-root DIR --languages javascript` (needs network once)")
        return None

    def toolchain(self) -> list[ToolCheck]:
        return [ToolCheck("node", tool_version(["node", "--version"]), "apt-get install nodejs (20+)"),
                ToolCheck("npm", tool_version(["npm", "--version"]), "apt-get install npm")]


def _loads_modules(path: str) -> bool:
    """Whether the support file ``path`` is needed to load modules the way Jest does (Babel's configuration and
    the package manifest it may read); Jest's, ESLint's and the rest stay with the tests."""
    name = PurePosixPath(path).name
    return name == "package.json" or name.startswith(("babel.config.", ".babelrc"))


def stub_module(path: str) -> str:
    """The module that stands in for the candidate's ``path`` in A's workspace: its exports are proxies of the
    exports B loaded (the proxy is found through :data:`PROXY_ENV`, which the test step sets)."""
    return ("// polyglot-hrm: the candidate's module runs in another process; this stub carries the calls to it.\n"
            f"module.exports = require(process.env.{PROXY_ENV}).load({json.dumps(path)});\n")


JAVASCRIPT = register(JavaScript())
