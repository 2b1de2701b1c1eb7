"""JavaScript: Jest + babel, one installed ``node_modules`` per dependency set.

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

**Dependencies** (:class:`DependencySet`): the npm packages an exercise's package.json declares (versions, not
names: the polyglot benchmark wants Jest ^29, the Exercism track Jest ^30, under which ``toThrowError`` is gone),
installed once per distinct set into ``<cache>/javascript/deps/<key>/node_modules``, the key a hash of the
declaration. Each run links its workspaces' ``node_modules`` to its own exercise's set, so what else was
provisioned before, in whatever order, never changes a result; a set that is not installed (and cannot be, offline)
makes the run an ``error`` naming the set and ``setup-runners``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Literal, Sequence

from .artifacts import PARTIAL, content_key, place_whole
from .base import REPORT_FD_PATH, Language, Step, ToolCheck, tool_version
from .lexer import split_parameters
from .registry import register
from .reports import Canary, Report, canary_id, canary_values, ReportError, TestOutcome, read_report_file

logger = logging.getLogger(__name__)

#: What an exercise's tests run with where its package.json does not say (the polyglot benchmark's own versions).
DEV_DEPENDENCIES = {
    "@babel/core": "^7.25.2",
    "@exercism/babel-preset-javascript": "^0.2.1",
    "babel-jest": "^29.6.4",
    "core-js": "~3.37.1",
    "jest": "^29.7.0",
}
# Declared for linting and editors only: not installed, not part of a set's key.
_NOT_NEEDED = ("eslint", "@exercism/eslint-config-javascript", "@types/jest", "@types/node")
#: The lockfiles npm reads: part of a set's key, installed with it (a pnpm or yarn lockfile npm ignores, so it is not).
_NPM_LOCKFILES = ("package-lock.json", "npm-shrinkwrap.json")
#: The installed dependency sets, one folder per key (see :class:`DependencySet`), under the runner cache.
_DEPS_DIR = ("javascript", "deps")
_COMPLETE = ".polyglot-hrm-set.json"  # the stamp of a set installed whole (written before the folder is renamed in)
_STALE_PARTIAL_S = 24 * 3600  # an install's folder left this long was interrupted: removed
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
    count_lines = re.compile(r"(Tests|Test Suites):\s.*|(PASS|FAIL) \S+|Test results written to: .*")
    address_space_limit = False
    programs = ("node",)
    artifact_folders = ("node_modules",)

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

    def modules_dir(self, ctx, problem=None) -> Path:
        """The ``node_modules`` of ``problem``'s dependency set (:meth:`dependency_set`; None: the default set)."""
        return self.set_dir(ctx, self.dependency_set(problem)) / "node_modules"

    def prepare(self, workspace: Path, ctx, problem=None) -> None:
        """Link the workspace's ``node_modules`` to the installed set ``problem``'s package.json declares (a
        workspace that has its own ``node_modules`` keeps it: Node resolves from there first either way)."""
        link = workspace / "node_modules"
        if not link.exists():
            link.symlink_to(self.modules_dir(ctx, problem), target_is_directory=True)

    def steps(self, workspace: Path, ctx, problem, report_dir: Path) -> list[Step]:
        jest = self.modules_dir(ctx, problem) / "jest" / "bin" / "jest.js"
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

    def dependency_set(self, problem=None) -> "DependencySet":
        """The npm packages ``problem``'s tests run with: its package.json's ``devDependencies`` and ``dependencies``
        (what only linting or typing needs left out) over :data:`DEV_DEPENDENCIES` for what it leaves out, and an npm
        lockfile it ships; None: :data:`DEV_DEPENDENCIES` alone. Raises :class:`DependencyError` for a package.json
        that is not a manifest."""
        packages = dict(DEV_DEPENDENCIES)
        lockfiles: list[tuple[str, str]] = []
        for f in problem.files if problem is not None else ():
            if f.role == "reference":
                continue
            if f.path == "package.json":
                packages.update(_declared(f.content, problem.id))
            elif f.path in _NPM_LOCKFILES:
                lockfiles.append((f.path, f.content))
        return DependencySet.of(packages, lockfiles)

    def set_dir(self, ctx, dependencies: "DependencySet") -> Path:
        """Where ``dependencies`` is installed: ``<cache>/javascript/deps/<key>`` (its ``node_modules`` inside)."""
        return ctx.path(*_DEPS_DIR, dependencies.key)

    def installed(self, ctx, dependencies: "DependencySet") -> bool:
        """Whether ``dependencies`` is installed whole: its folder appears only once npm has finished (see
        :meth:`install`), and carries the stamp and Jest."""
        folder = self.set_dir(ctx, dependencies)
        return (folder / _COMPLETE).is_file() and (folder / "node_modules" / "jest" / "bin" / "jest.js").is_file()

    def install(self, ctx, dependencies: "DependencySet") -> bool:
        """Install ``dependencies`` into its own folder, atomically: npm runs in a private ``.partial`` folder beside
        it, which is renamed into place only once the install is complete (stamp written). An interrupted install
        leaves only a ``.partial`` folder, which no run reads (removed by a later provisioning after a day); of two
        installers of one set the first rename wins and the other's copy is dropped. Returns False when it was
        already there. Raises :class:`subprocess.CalledProcessError` when npm fails."""
        if self.installed(ctx, dependencies):
            return False
        target = self.set_dir(ctx, dependencies)
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_partials(target.parent)

        def npm_install(staging: Path) -> None:
            (staging / "package.json").write_text(json.dumps(dependencies.manifest, indent=2) + "\n")
            for name, text in dependencies.lockfiles:
                (staging / name).write_text(text)
            subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=staging, check=True)
            (staging / _COMPLETE).write_text(json.dumps({"key": dependencies.key, **dependencies.manifest}, indent=2))

        place_whole(target, npm_install, lambda folder: self.installed(ctx, dependencies),
                    prefix=f"{dependencies.key}.")
        return True

    def provision(self, ctx, problems: Sequence) -> list[str]:
        """Install each distinct dependency set of ``problems`` once (never one manifest merged over a batch: each
        exercise keeps the versions it declares). A set that fails does not stop the others; the first failure is
        raised after all were tried."""
        self.install_runtime(ctx)
        wanted: dict[str, tuple[DependencySet, list[str]]] = {}
        for p in problems:
            if p.language != self.name:
                continue
            try:
                dependencies = self.dependency_set(p)
            except DependencyError as err:
                logger.warning("%s", err)
                continue
            wanted.setdefault(dependencies.key, (dependencies, []))[1].append(p.id)
        if not wanted:  # provisioning without problems: the default set, which the mini-benchmark's exercises use
            default = self.dependency_set()
            wanted[default.key] = (default, [])
        done, failed = [], None
        for key, (dependencies, ids) in sorted(wanted.items()):
            try:
                if self.install(ctx, dependencies):
                    done.append(f"npm installed set {key} ({dependencies.describe()}; {len(ids)} exercise(s)) into "
                                f"{self.set_dir(ctx, dependencies)}")
            except (OSError, subprocess.CalledProcessError) as err:
                logger.warning("npm could not install set %s (%s) for %s: %s", key, dependencies.describe(),
                               ", ".join(ids[:3]) + (" ..." if len(ids) > 3 else ""), err)
                failed = failed or err
        if failed is not None:
            raise failed
        return done

    def installed_sets(self, ctx) -> list["DependencySet"]:
        """The sets installed whole in this cache, from their stamps."""
        out = []
        for stamp in sorted(ctx.path(*_DEPS_DIR).glob(f"*/{_COMPLETE}")):
            try:
                data = json.loads(stamp.read_text())
                packages = data["devDependencies"]
            except (OSError, ValueError, KeyError, TypeError):
                continue
            found = DependencySet(tuple(sorted(packages.items())), (), stamp.parent.name)
            if self.installed(ctx, found):
                out.append(found)
        return out

    def missing_provision(self, ctx) -> str | None:
        if self.installed_sets(ctx):
            return None  # the proxy's files are (re)written by steps() and companion() themselves
        return "Jest is not provisioned; run `polyglot-hrm setup-runners --languages javascript`"

    def provision_summary(self, ctx) -> str:
        sets = self.installed_sets(ctx)
        versions = [f"jest {_installed_version(self.set_dir(ctx, s) / 'node_modules' / 'jest')} ({s.key})" for s in sets]
        text = f"ok: {len(sets)} npm set(s): {', '.join(versions)}"
        legacy = ctx.path("javascript", "node_modules")
        if legacy.is_dir():
            text += f"; {legacy} (one shared set, before sets were kept apart) is no longer read: remove it"
        return text

    def missing_dependency(self, problem, ctx) -> str | None:
        try:
            dependencies = self.dependency_set(problem)
        except DependencyError as err:
            return str(err)
        if self.installed(ctx, dependencies):
            return None
        return (f"npm dependency set {dependencies.key} ({dependencies.describe()}), which {problem.id}'s package.json "
                f"declares, is not installed in {self.set_dir(ctx, dependencies)}; run `polyglot-hrm setup-runners "
                f"--benchmark-root DIR --languages javascript` (needs network once)")

    def toolchain(self) -> list[ToolCheck]:
        return [ToolCheck("node", tool_version(["node", "--version"]), "apt-get install nodejs (20+)"),
                ToolCheck("npm", tool_version(["npm", "--version"]), "apt-get install npm")]


class DependencyError(ValueError):
    """An exercise's package.json from which no dependency set can be read: names the file and the fix."""


@dataclass(frozen=True)
class DependencySet:
    """The npm packages one exercise's tests run with, installed once per distinct set and shared by the exercises
    that declare the same: ``key`` is the hash of the normalised declaration (each package's version spec, the npm
    lockfile if one is shipped, and the node and npm majors that install and run it), so an exercise always runs
    with the versions it declares, whatever else the cache holds, and an install for one set never changes another."""

    packages: tuple[tuple[str, str], ...]  # (name, version spec), sorted by name
    lockfiles: tuple[tuple[str, str], ...]  # (file name, text)
    key: str

    @classmethod
    def of(cls, packages: dict[str, str], lockfiles: Sequence[tuple[str, str]] = ()) -> "DependencySet":
        items, locks = tuple(sorted(packages.items())), tuple(sorted(lockfiles))
        key = content_key("javascript-deps-v1", json.dumps(items), [part for lock in locks for part in lock],
                          *_tool_majors())[:16]
        return cls(items, locks, key)

    @property
    def manifest(self) -> dict:
        """The package.json npm installs the set from."""
        return {"name": f"polyglot-hrm-deps-{self.key}", "private": True, "devDependencies": dict(self.packages)}

    def describe(self) -> str:
        """The packages as ``name@spec`` (Jest first), and the lockfile: how messages name the set."""
        ordered = sorted(self.packages, key=lambda item: (item[0] != "jest", item[0]))
        text = ", ".join(f"{name}@{spec}" for name, spec in ordered)
        return text + "".join(f", {name}" for name, _ in self.lockfiles)


@lru_cache(maxsize=1)
def _tool_majors() -> tuple[str, str]:
    """The node and npm majors: a set installed by one npm for one node is another set under another."""
    majors = []
    for tool in ("node", "npm"):
        version = tool_version([tool, "--version"])
        majors.append(f"{tool} {version.split('.')[0] if version else 'missing'}")
    return majors[0], majors[1]


def _declared(text: str, problem_id: str) -> dict[str, str]:
    """The packages a package.json declares for testing (``devDependencies`` and ``dependencies``, what only linting
    and typing need left out)."""
    try:
        data = json.loads(text)
        declared = {**(data.get("devDependencies") or {}), **(data.get("dependencies") or {})}
    except (ValueError, AttributeError, TypeError) as err:
        raise DependencyError(f"{problem_id}: package.json is not an npm manifest ({type(err).__name__}: "
                              f"{str(err)[:200]}); fix the exercise's package.json") from None
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in declared.items()):
        raise DependencyError(f"{problem_id}: package.json declares a dependency whose version is not a string; "
                              f"fix the exercise's package.json")
    return {name: spec for name, spec in declared.items() if name not in _NOT_NEEDED}


def _remove_stale_partials(root: Path) -> None:
    """Remove the folders of installs interrupted more than a day ago (a running install's folder is younger)."""
    for folder in root.glob(f"*{PARTIAL}"):
        try:
            if time.time() - folder.stat().st_mtime > _STALE_PARTIAL_S:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def _installed_version(package: Path) -> str:
    try:
        return str(json.loads((package / "package.json").read_text())["version"])
    except (OSError, ValueError, KeyError, TypeError):
        return "?"


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
