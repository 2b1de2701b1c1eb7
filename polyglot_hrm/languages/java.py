"""Java: JUnit 5 (and JUnit 4 through JUnit Vintage) + AssertJ, compiled and run in one JVM, candidate code confined.

References live in ``.meta/src/reference/java/``; a reference may have more classes than the stub
(helper classes): they are added under ``src/main/java/`` at the same relative path. The track
skips all but the first test with ``@Disabled(...)`` (JUnit 5) or ``@Ignore(...)`` (JUnit 4, eight
exercises of the track): :meth:`Java.unskip` removes both, as pending markers.

The Gradle build is not run: its only jobs here are to compile ``src/main`` and ``src/test`` with
the dependencies ``build.gradle`` names and run JUnit, which ``javac`` plus the JUnit console
launcher do with the same jars (provisioned once from Maven Central by ``mvn``). Both happen in one
JVM (``data/runners/java/CompileAndTest.java``, built once into a jar with a class-data-sharing
archive per class path), which saves a JVM start and most class loading per run.

How candidate code is confined (the runner's docstring has the order of events):

* **Compiled apart.** ``src/main`` (the candidate's) compiles first, against the JDK and the exercise's
  ``implementation`` jars only, into ``build/main``; then ``src/test`` (tests and canaries) against the
  test libraries and ``build/main`` into ``build/test``. Candidate code cannot name a test class.
* **Sources gone.** The runner deletes ``src/`` after compiling, before any candidate class loads (javac
  runs no code it compiles; annotation processing is off). The fallback path hides ``src/`` from its
  test step (:attr:`Step.hide`).
* **Loaded apart.** The candidate's classes come from a class loader of their own whose parent is the
  JDK's platform loader: they cannot resolve a test class, JUnit, AssertJ or the runner. Tests find
  the candidate's classes through it. Package-private and protected access in the candidate's class files
  is widened to public so the tests keep the access the shared package gave them; JUnit 5 test classes are
  made package-private, so even a lambda of the tests' leads candidate code to nothing it may use (JUnit 4
  needs public test classes: those stay public).
* **A code-source policy** (``data/runners/java/candidate.policy``, JDK 17's SecurityManager): the
  runner, the libraries and the tests hold every permission; the candidate's code source holds only the
  standard properties, ``modifyThread`` (shutting down its own executors) and reading the files directly
  in the working directory (java/grep's tests write its inputs there). So no file writes, no reading
  of ``build/`` or anything else, no processes, no ``exitVM``, no shutdown hooks, no ``setIO``, no
  ``suppressAccessChecks``, no ``createClassLoader``, no ``setSecurityManager``, no thread of the
  runner's touched (the runner's SecurityManager), and no class of the test libraries' packages
  (``package.access``). A candidate frame anywhere on the stack withdraws what it lacks.
* **No new programs**: the one JVM starts none; its step has :attr:`Step.noexec`.

The SecurityManager is gone from JDK 24 on: :meth:`Java.toolchain` names the JDK major, and runs
on a JDK outside 17..23 are refused (``error``, naming the JDK to install) rather than run unconfined.
Attach is disabled (no agent can rewrite a loaded class). The verdict is read from the console
launcher's XML reports (``--reports-dir``: one file per test engine, Jupiter's and Vintage's).
"""

from __future__ import annotations

import logging
import random
import re
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from pathlib import PurePosixPath

from .artifacts import ArtifactCache, content_key, place_whole
from .base import Language, Step, ToolCheck, tool_version
from .lexer import split_parameters
from .registry import register
from .reports import Canary, Report, ReportError, junit_outcomes, parse_xml, read_report_file

logger = logging.getLogger(__name__)

_TERMINAL_CODES = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_RUNNER_SOURCES = Path(__file__).resolve().parent.parent / "data" / "runners" / "java"
_RUNNER_MAIN = "polyglothrm.runner.CompileAndTest"
_POLICY = "candidate.policy"
# Engines in this order: Vintage (JUnit 4) before Jupiter, so the Jupiter canary class runs after every test of
# a JUnit 4 exercise too. The launcher asks ServiceLoader, which reads the runner's jar (first on the class path)
# first and skips the console launcher's own list of the same engines.
_ENGINE_ORDER = ("org.junit.vintage.engine.VintageTestEngine", "org.junit.jupiter.engine.JupiterTestEngine",
                 "org.junit.platform.suite.engine.SuiteTestEngine")
_COMPILE_FAILED = "[polyglot-hrm] compilation failed"
_UNCONFINED = "[polyglot-hrm] cannot confine candidate code"
#: JDKs whose SecurityManager can confine candidate code: 17 (-Djava.security.manager=allow) to 23 (JDK 24 removed it).
JDK_RANGE = (17, 23)
_JDK_FIX = ("install a JDK from 17 to 23 (apt-get install openjdk-17-jdk-headless) and put it first on PATH: "
            "JDK 24 removed the SecurityManager that confines Java candidates")
_CDS_PROBE = {
    "src/main/java/Probe.java": "class Probe {\n    int one() {\n        return 1;\n    }\n}\n",
    "src/test/java/ProbeTest.java": (
        "import static org.assertj.core.api.Assertions.assertThat;\n\nimport org.junit.jupiter.api.Test;\n\n"
        "public class ProbeTest {\n    @Test\n    public void one() {\n        assertThat(new Probe().one()).isEqualTo(1);\n"
        "    }\n}\n"),
}
# Added to the probe when JUnit 4 is on the class path, so the archive holds the Vintage engine's classes too.
_CDS_PROBE_JUNIT4 = {
    "src/test/java/ProbeFourTest.java": (
        "import static org.junit.Assert.assertEquals;\n\nimport org.junit.Test;\n\n"
        "public class ProbeFourTest {\n    @Test\n    public void one() {\n        assertEquals(1, new Probe().one());\n"
        "    }\n}\n"),
}


@lru_cache(maxsize=1)
def _java_version() -> str:
    out = subprocess.run(["java", "-version"], capture_output=True, text=True)
    return out.stderr + out.stdout


def jdk_major(version_text: str) -> int | None:
    """The feature release of ``java -version``'s text (``"17.0.15"`` -> 17, ``"1.8.0_392"`` -> 8), or None."""
    m = re.search(r'version "(\d+)(?:\.(\d+))?', version_text)
    if not m:
        return None
    major = int(m.group(1))
    return int(m.group(2) or 0) if major == 1 else major


def jdk_problem(version_text: str) -> str | None:
    """Why this JDK cannot run confined Java candidates, or None."""
    major = jdk_major(version_text)
    if major is None:
        return f"cannot tell the JDK's version from `java -version`; {_JDK_FIX}"
    if not JDK_RANGE[0] <= major <= JDK_RANGE[1]:
        return f"`java` is JDK {major}; {_JDK_FIX}"
    return None


_REFERENCE_ROOT = ".meta/src/reference/java/"
# Pending markers, lifted: JUnit 5's @Disabled and JUnit 4's @Ignore (with or without a reason).
_DISABLED = re.compile(r"^[ \t]*@(?:Disabled|Ignore)\b(\([^)]*\))?[ \t]*\n|@(?:Disabled|Ignore)\b(\([^)]*\))?[ \t]*",
                       re.M)
_DEPENDENCY = re.compile(r"""\b(testImplementation|implementation)\s*\(?\s*["']([\w.\-]+):([\w.\-]+):([\w.\-]+)["']""")
_BOM = re.compile(r"""junit-bom:([\d.]+)""")
_JUNIT4_IMPORT = re.compile(r"^\s*import\s+(?:static\s+)?org\.junit\.(?!jupiter\b|platform\b)\w", re.M)
_MODIFIERS = {"public", "private", "protected", "static", "final", "synchronized", "default"}
#: The console launcher's report files, one per test engine that ran.
_REPORTS = ("TEST-junit-vintage.xml", "TEST-junit-jupiter.xml")
#: Packages a candidate's class may not live in: the JDK's and the test libraries'.
RESERVED_PACKAGES = ("java", "javax", "jdk", "sun", "com.sun", "org.junit", "junit", "org.assertj", "org.opentest4j",
                     "org.apiguardian", "net.bytebuddy", "org.hamcrest", "org.mockito", "org.w3c", "org.xml",
                     "org.ietf", "org.omg", "polyglothrm")
# A failing use of each assertion: the canary for every one a test file uses. JUnit's own always runs.
_FAILING = {
    "isEqualTo": "assertThat({a}).isEqualTo({b})",
    "isNotEqualTo": "assertThat({a}).isNotEqualTo({a})",
    "containsExactly": "assertThat(java.util.List.of({a})).containsExactly({b})",
    "containsExactlyInAnyOrder": "assertThat(java.util.List.of({a})).containsExactlyInAnyOrder({b})",
    "isThrownBy": "assertThatExceptionOfType(IllegalStateException.class).isThrownBy(() -> {{ }})",
    "assertThatThrownBy": "assertThatThrownBy(() -> {{ }}).isInstanceOf(IllegalStateException.class)",
    "isTrue": "assertThat({a} == {b}).isTrue()",
    "isFalse": "assertThat({a} == {a}).isFalse()",
    "isEmpty": "assertThat(java.util.List.of({a})).isEmpty()",
    "isNotNull": "assertThat((Object) null).isNotNull()",
    "isNull": "assertThat((Object) \"{a}\").isNull()",
    "isCloseTo": "assertThat({a}.0).isCloseTo({b}.0, org.assertj.core.api.Assertions.within(0.1))",
    "containsOnly": "assertThat(java.util.List.of({a})).containsOnly({b})",
    "contains": "assertThat(java.util.List.of({a})).contains({b})",
}
_ALWAYS = ("isEqualTo", "isThrownBy")
# JUnit's own assertions, always: Jupiter's, and JUnit 4's where the exercise's tests are JUnit 4.
_JUPITER_FAILING = ("org.junit.jupiter.api.Assertions.assertEquals({a}, {b})",
                    'org.junit.jupiter.api.Assertions.fail("{a}")')
_JUNIT4_FAILING = ("org.junit.Assert.assertEquals({a}, {b})", "org.junit.Assert.assertTrue({a} == {b})",
                   'org.junit.Assert.fail("{a}")')
_CANARY_CLASS = """import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

@Order(Integer.MAX_VALUE)
public class {cls} {{
{methods}}}
"""
# The canary class runs after every test class of the exercise (their default order is MAX_VALUE / 2; JUnit 4
# classes run before any Jupiter class, see _ENGINE_ORDER), so that a patch the solution applies when its code
# first runs is in place when the canaries run.
CLASS_ORDER = "--config=junit.jupiter.testclass.order.default=org.junit.jupiter.api.ClassOrderer$OrderAnnotation"
_SM_WARNING = re.compile(r"WARNING: (A terminally deprecated method in java\.lang\.System has been called|System::setSecurityManager "
                         r"(has been called by polyglothrm\.|will be removed in a future release)|Please consider "
                         r"reporting this to the maintainers of polyglothrm\.)")
_METHOD = "    @Test\n    public void {name}() {{\n        {body};\n    }}\n"
# Words of the canaries' names: they read like any exercise's tests and say nothing of what a canary expects.
_VERBS = ("accepts", "allows", "builds", "checks", "combines", "computes", "converts", "counts", "creates", "detects",
          "finds", "handles", "ignores", "keeps", "lists", "matches", "merges", "parses", "produces", "reads",
          "rejects", "removes", "reports", "returns", "scores", "sorts", "splits", "tracks", "updates", "validates")
_ADJECTIVES = ("Empty", "Single", "Large", "Small", "Repeated", "Mixed", "Negative", "Nested", "Unknown", "Long",
               "Short", "Sorted", "Unsorted", "Duplicate", "Missing", "Extra", "Odd", "Even", "Zero", "Maximum",
               "Minimum", "Adjacent", "Distinct", "Partial", "Full", "Blank", "Trailing", "Leading")
_NOUNS = ("Input", "Value", "Values", "List", "Word", "Words", "Number", "Numbers", "Line", "Lines", "Entry",
          "Entries", "Item", "Items", "Key", "Keys", "Pair", "Pairs", "Row", "Rows", "Column", "Columns", "Name",
          "Names", "Digit", "Digits", "Letter", "Letters", "Range", "Ranges", "Case", "Cases", "Step", "Steps")
_TOPICS = ("Ledger", "Inventory", "Schedule", "Catalog", "Matrix", "Sequence", "Register", "Journal", "Archive",
           "Roster", "Tally", "Index", "Record", "Grid", "Queue", "Stack", "Table", "Chart", "Track", "Batch")
_ASPECTS = ("Boundary", "Edge", "Format", "Order", "Layout", "Limit", "Shape", "Count", "Parsing", "Lookup",
            "Summary", "Update", "Merge", "Split", "Search", "Balance", "Window", "Cursor", "Filter", "Mapping")


@dataclass(frozen=True)
class JavaCanary(Canary):
    """The canaries of one Java run: one test class with a random, ordinary-looking name and random method
    names; ``must_pass`` and ``must_fail`` hold the method names, and only this object knows which is which."""

    class_name: str = ""

    def id_of(self, test_name: str) -> str | None:
        """The method name of a reported ``Class.method()`` of the canary class, or None for the exercise's tests."""
        prefix = self.class_name + "."
        if not test_name.startswith(prefix):
            return None
        return test_name[len(prefix):].split("(", 1)[0]

    def name(self, kind: str) -> str:
        return self.class_name


def _random_names(count: int, taken: set[str], rng: random.Random) -> tuple[str, list[str]]:
    """A canary class name and ``count`` method names, none of them an identifier the exercise already uses."""
    cls = f"{rng.choice(_TOPICS)}{rng.choice(_ASPECTS)}Test"
    while cls in taken:
        cls = f"{rng.choice(_TOPICS)}{rng.choice(_ASPECTS)}Test"
    methods: list[str] = []
    while len(methods) < count:
        name = f"{rng.choice(_VERBS)}{rng.choice(_ADJECTIVES)}{rng.choice(_NOUNS)}"
        if name not in taken and name not in methods:
            methods.append(name)
    return cls, methods


def strip_comments(source: str) -> str:
    """Java (or C-family) source without its comments, string literals kept; one linear pass."""
    out, i, n = [], 0, len(source)
    while i < n:
        two = source[i:i + 2]
        if two == "//":
            end = source.find("\n", i)
            i = n if end < 0 else end
        elif two == "/*":
            end = source.find("*/", i + 2)
            out.append(" ")
            i = n if end < 0 else end + 2
        elif source[i] in "\"'":
            quote, j = source[i], i + 1
            while j < n and source[j] != quote and source[j] != "\n":
                j += 2 if source[j] == "\\" else 1
            out.append(source[i:j + 1])
            i = j + 1
        else:
            out.append(source[i])
            i += 1
    return "".join(out)


def declared_package(source: str) -> str:
    """The package a compilation unit declares (``""``: the default package)."""
    text = strip_comments(source).lstrip()
    if not text.startswith("package") or len(text) < 8 or not text[7].isspace():
        return ""
    return "".join(text[7:].split(";", 1)[0].split())


def reserved(package: str) -> bool:
    return any(package == p or package.startswith(p + ".") for p in RESERVED_PACKAGES)


DEFAULT_BUILD = 'testImplementation platform("org.junit:junit-bom:5.10.0")\ntestImplementation "org.assertj:assertj-core:3.25.1"\n'
# -Djava.security.manager=allow: the runner installs its SecurityManager once the sources are compiled and gone.
JVM_FLAGS = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-Xss8m", "-XX:+DisableAttachMechanism",
             "-Djava.security.manager=allow"]
Coordinate = tuple[str, str, str]


@dataclass(frozen=True)
class Dependencies:
    """What a ``build.gradle`` needs: the console launcher matching its JUnit BOM, its ``testImplementation``
    coordinates (loaded with JUnit, out of the candidate's reach) and its ``implementation`` ones (the
    candidate's own libraries, loaded with its classes)."""

    launcher: Coordinate
    test: tuple[Coordinate, ...]
    main: tuple[Coordinate, ...]


def split_dependencies(build_gradle: str) -> Dependencies:
    bom = _BOM.search(build_gradle)
    jupiter = bom.group(1) if bom else "5.10.0"
    platform = "1." + jupiter.split(".", 1)[1]  # JUnit 5.x.y ships platform 1.x.y
    found = _DEPENDENCY.findall(build_gradle)
    return Dependencies(("org.junit.platform", "junit-platform-console-standalone", platform),
                        tuple((g, a, v) for kind, g, a, v in found if kind == "testImplementation"),
                        tuple((g, a, v) for kind, g, a, v in found if kind == "implementation"))


def dependencies(build_gradle: str) -> list[Coordinate]:
    """Maven coordinates a ``build.gradle`` names, plus the JUnit console launcher matching its BOM."""
    return [split_dependencies(build_gradle).launcher, *(tuple(c[1:]) for c in _DEPENDENCY.findall(build_gradle))]


@dataclass(frozen=True)
class Classpath:
    """The jars of one run: the console launcher, the test libraries and the candidate's libraries."""

    console: Path
    test: tuple[Path, ...]
    main: tuple[Path, ...]


class Java(Language):
    name = "java"
    title = "Java"
    track_names = ("java",)
    # The Gradle wrapper is never run and its jar is binary.
    ignored_files = ("gradlew", "gradlew.bat", "gradle/*")
    test_globs = ("src/test/java/*.java",)
    section_start = re.compile(r"  JUnit |[╷├│└]|Failures \(|Test run finished|\[\s")
    count_lines = re.compile(r"\[\s*\d+ (tests|containers) [a-z]+\s*\]|Failures \(\d+\):")
    run_cost = 2
    address_space_limit = False
    programs = ("java", "javac")
    host_env = ("JAVA_HOME",)
    # Gradle's and IDEs' build output, Gradle's project cache.
    artifact_folders = ("build", "bin", ".gradle")
    _broken: set[str] = set()

    fence_tag = "java"
    source_suffixes = (".java",)
    support_fence_tags = {".gradle": "groovy"}
    type_first_declarations = True
    methods_only = True
    unmutated_line_prefixes = (*Language.unmutated_line_prefixes, "import")
    function_header = re.compile(
        r"^(\s*)(?:@\w+\s+)*(?:(?:public|private|protected|static|final|abstract|synchronized|default)\s+)*"
        r"(?:<[^>]+>\s+)?(?:[\w.$]+(?:<[^()]*>)?(?:\[\])*\s+)?(?P<name>\w+)\s*\([^;{]*(\{\s*)?$")

    # Concepts and constructs (polyglot_hrm.languages.concepts), over code with comments and strings blanked.
    concept_patterns = {
        "iteration": r"\b(for|while)\b|\.stream\(\)|\.forEach\(",
        "string_processing": r"\bStringBuilder\b|\bCharacter\.\w+\(|\.(toLowerCase|toUpperCase|split|charAt|chars"
                             r"|toCharArray|substring|trim|strip|replace|replaceAll|matches|startsWith|endsWith)\(",
        "mapping": r"\b(Hash|Tree|LinkedHash|Enum)?Map\s*<",
        "sorting": r"\b(Collections|Arrays)\.sort\(|\.sorted\(|\.sort\(",
        "modular_arithmetic": r"%|\bMath\.floorMod\(",
        "error_handling": r"\bthrow\b|\btry\s*\{|\bOptional\s*<",
        "higher_order_functions": r"->|\w::\w",
    }
    construct_patterns = {
        "static_types": r"\b(int|long|short|byte|double|float|boolean|char|void|String)\b",
        "classes": r"\b(class|record|interface|enum)\s+\w",
        "exceptions": r"\b(throw|try|catch|throws)\b",
        "error_values": r"\bOptional\s*<",
        "type_parameters": r"\b(List|ArrayList|LinkedList|Map|HashMap|TreeMap|Set|HashSet|TreeSet|Optional|Deque"
                           r"|ArrayDeque|Stack|Queue|Collection|Iterable)\s*<",
        "explicit_casts": r"\(\s*(int|long|short|byte|double|float|char)\s*\)",
    }


    reserved_words = frozenset(
        "abstract assert boolean break byte case catch char class const continue default do double else enum "
        "extends final finally float for goto if implements import instanceof int interface long native new "
        "package private protected public return short static strictfp super switch synchronized this throw "
        "throws transient try void volatile while true false null var record yield String Integer Long Object "
        "List Map Set Math".split())
    local_declaration = re.compile(
        r"^(?:final\s+)?(?!return\b|throw\b|new\b|else\b)(?P<type>[A-Za-z_][\w.]*(?:<[^=;]*>)?(?:\[\])*)\s+"
        r"(?P<name>[a-z_]\w*)\s*=(?!=)\s*(?P<value>\S.*);$")
    index_loops = (
        (re.compile(r"^for \(int (?P<index>\w+) = 0; (?P=index) < (?P<seq>[\w.]+)\.length; "
                    r"(?:(?P=index)\+\+|\+\+(?P=index))\) \{$"), "{seq}[{index}]"),
        (re.compile(r"^for \(int (?P<index>\w+) = 0; (?P=index) < (?P<seq>[\w.]+)\.size\(\); "
                    r"(?:(?P=index)\+\+|\+\+(?P=index))\) \{$"), "{seq}.get({index})"),
    )
    foreach_header = "for (var {item} : {seq}) {{"

    def helper_header(self, header: str, function: str, helper: str) -> str | None:
        m = re.search(rf"\b{re.escape(function)}\s*\(", header)
        if not m:
            return None
        words = [w for w in re.sub(r"<[^>]*>", " ", header[:m.start()]).split() if not w.startswith("@")]
        if "abstract" in words or not [w for w in words if w not in _MODIFIERS]:
            return None  # a constructor (no return type), or no body
        indent = header[:len(header) - len(header.lstrip())]
        # A private method of the same class, static when the method is: it needs no access of its own.
        rest = re.sub(r"^(?:@\w+\s+)*", "", header.lstrip())
        rest = re.sub(r"\b(?:public|protected|private|default)\s+", "", rest)
        return indent + re.sub(rf"\b{re.escape(function)}(?=\s*\()", helper, "private " + rest, count=1)

    def parameter_names(self, params: str) -> list[str] | None:
        out = []
        for param in split_parameters(params):
            m = re.search(r"(\w+)\s*(\[\])*$", param)
            if not m:
                return None
            out.append(m.group(1))
        return out

    def returns_value(self, header: str) -> bool:
        return not re.search(r"\bvoid\s+\w+\s*\(", header)

    def memory_env(self, memory_mb: int) -> dict[str, str]:
        # Heap at half the budget leaves room for metaspace, code cache and thread stacks.
        return {"JAVA_TOOL_OPTIONS": f"-Xmx{max(256, memory_mb // 2)}m"}

    def reference_target(self, example: str, solution_paths: Sequence[str], slug: str) -> str:
        if example.startswith(_REFERENCE_ROOT):
            return "src/main/java/" + example[len(_REFERENCE_ROOT):]
        return super().reference_target(example, solution_paths, slug)

    def unskip(self, text: str) -> str:
        return _DISABLED.sub("", text)

    def new_file_problem(self, path: str) -> str | None:
        pure = PurePosixPath(path)
        if pure.parts[:3] != ("src", "main", "java") or pure.suffix != ".java" or len(pure.parts) < 4:
            return "a new Java file must be a source under src/main/java/"
        if pure.name in ("module-info.java", "package-info.java"):
            return "module and package declarations belong to the exercise"
        package = ".".join(pure.parts[3:-1])
        if package and reserved(package):
            return f"package {package} belongs to the JDK or a test library"
        return None

    def source_problem(self, path: str, content: str) -> str | None:
        package = declared_package(content)
        if reserved(package):
            return f"declares package {package}, which belongs to the JDK or a test library"
        return None

    def add_canaries(self, files: dict[str, str], problem, token: str) -> Canary:
        """One Jupiter class of canaries, named at random like an ordinary test class (the token appears nowhere):
        one that must pass and, for each assertion the tests use, one that must fail, in a random order."""
        tests = "\n".join(files[p] for p in files if self.is_test_file(p))
        rng = random.SystemRandom()
        a = rng.randrange(1000, 60000)
        b = a + rng.randrange(1, 1000)
        used = [m for m in _FAILING if m in _ALWAYS or f"{m}(" in tests]
        if "assertj" not in files.get("build.gradle", DEFAULT_BUILD):
            used = []  # no AssertJ on the class path: JUnit's assertions only
        failing = [_FAILING[m] for m in used] + list(_JUPITER_FAILING)
        if _JUNIT4_IMPORT.search(tests):
            failing += _JUNIT4_FAILING
        taken = set(re.findall(r"[A-Za-z_$][\w$]*", "\n".join(files.values())))
        cls, names = _random_names(1 + len(failing), taken, rng)
        passing, fails = names[0], names[1:]
        bodies = {passing: f"org.junit.jupiter.api.Assertions.assertEquals({a}, {a})"}
        bodies.update((name, body.format(a=a, b=b)) for name, body in zip(fails, failing))
        order = list(bodies)
        rng.shuffle(order)
        source = _CANARY_CLASS.format(cls=cls, methods="\n".join(_METHOD.format(name=n, body=bodies[n]) for n in order))
        if not used:
            source = "\n".join(line for line in source.splitlines() if "org.assertj" not in line) + "\n"
        files[f"src/test/java/{cls}.java"] = source
        return JavaCanary(token, (passing,), tuple(fails), class_name=cls)

    def scrub(self, output: str, canary: Canary) -> str:
        """``output`` without the canary class's lines and sections, and without the JDK's notice that the runner
        installed a SecurityManager (printed to the JVM's first stderr, which the runner cannot redirect)."""
        kept = "\n".join(line for line in output.splitlines() if not _SM_WARNING.match(line))
        if not isinstance(canary, JavaCanary):
            return super().scrub(kept, canary)
        mark = re.compile(r"\b(?:%s)\b" % "|".join(map(re.escape, (canary.class_name, *canary.must_pass,
                                                                   *canary.must_fail))))
        lines, inside = [], False
        for line in kept.splitlines():
            # A tree line without a node of its own ("│     │   but was: 2") continues the node above it.
            continued = line.startswith("│") and "├─" not in line and "└─" not in line
            if self.section_start is not None and self.section_start.match(line) and not (inside and continued):
                inside = bool(mark.search(line))
            if not inside and not mark.search(line):
                lines.append(line)
        return self.drop_count_lines("\n".join(lines))  # last: a tally may be what ends a canary's section

    def coordinate_dir(self, ctx, coord: Coordinate) -> Path:
        return ctx.path("java", *coord)

    def _build_file(self, workspace: Path) -> str:
        path = workspace / "build.gradle"
        return path.read_text() if path.is_file() else DEFAULT_BUILD

    def jars(self, workspace: Path, ctx) -> Classpath:
        """The jars of this workspace's build.gradle, each provisioned coordinate's folder in full (its
        transitive dependencies included)."""
        deps = split_dependencies(self._build_file(workspace))
        launcher = deps.launcher
        console = self.coordinate_dir(ctx, launcher) / f"{launcher[1]}-{launcher[2]}.jar"

        def folder_jars(coords: Sequence[Coordinate]) -> tuple[Path, ...]:
            return tuple(sorted({j for c in coords for j in self.coordinate_dir(ctx, c).glob("*.jar")}))

        main = folder_jars(deps.main)
        return Classpath(console, tuple(j for j in folder_jars(deps.test) if j not in main), main)

    def classpath(self, workspace: Path, ctx) -> tuple[Path, list[Path]]:
        """(console launcher jar, other jars) for this workspace's build.gradle."""
        cp = self.jars(workspace, ctx)
        return cp.console, sorted({*cp.test, *cp.main})

    def runner_jar(self, ctx, cp: Classpath) -> Path | None:
        """The folder of ``CompileAndTest`` built against this JUnit launcher, with its policy file and a CDS
        archive for this class path; cached by content. None when it cannot be built (the fallback runs)."""
        sources = sorted(_RUNNER_SOURCES.iterdir())
        key = content_key("java-runner-v4", *(f"{p.name}\n{p.read_text()}" for p in sources), str(cp.console),
                          *map(str, cp.test), _java_version())

        def build(folder: Path) -> None:
            with tempfile.TemporaryDirectory() as tmp:
                services = Path(tmp) / "META-INF" / "services" / "org.junit.platform.engine.TestEngine"
                services.parent.mkdir(parents=True)
                services.write_text("\n".join(_ENGINE_ORDER) + "\n")
                subprocess.run(["javac", "-nowarn", "-Xlint:-removal", "-d", tmp, "-cp", str(cp.console),
                                *(str(p) for p in sources if p.suffix == ".java")], check=True, capture_output=True)
                subprocess.run(["jar", "cf", str(folder / "runner.jar"), "-C", tmp, "."], check=True, capture_output=True)
            (folder / _POLICY).write_text((_RUNNER_SOURCES / _POLICY).read_text())
            self._record_cds(folder, ctx, cp)

        if key in self._broken:
            return None
        try:
            return ArtifactCache(ctx.path("java", "runner")).get(key, build) / "runner.jar"
        except (OSError, subprocess.CalledProcessError) as err:
            self._broken.add(key)  # don't retry on every run of this process
            detail = getattr(err, "stdout", b"") or b""
            detail += getattr(err, "stderr", b"") or b""
            logger.warning("could not build the one-JVM Java runner (%s%s); using javac + the console launcher",
                           err, ": " + detail.decode(errors="replace")[-500:] if detail else "")
            return None

    def _record_cds(self, folder: Path, ctx, cp: Classpath) -> None:
        """Record the classes a run loads into a class-data-sharing archive: later JVMs map them instead."""
        probe_files = dict(_CDS_PROBE)
        if any(j.name.startswith("junit-4") for j in cp.test):
            probe_files.update(_CDS_PROBE_JUNIT4)
        with tempfile.TemporaryDirectory() as probe:
            for path, text in probe_files.items():
                (Path(probe) / path).parent.mkdir(parents=True, exist_ok=True)
                (Path(probe) / path).write_text(text)
            reports = Path(probe) / "reports"
            cmd = self._runner_command(folder / "runner.jar", ctx, cp, Path(probe), reports,
                                       [f"-XX:ArchiveClassesAtExit={folder / 'runner.jsa'}"])
            subprocess.run(cmd, cwd=probe, check=True, capture_output=True)

    @staticmethod
    def _sources(workspace: Path) -> tuple[list[str], list[str]]:
        """(main sources, test sources): ``src/main/`` is the candidate's, the rest of ``src/`` the tests'."""
        every = sorted(str(p.relative_to(workspace)) for p in (workspace / "src").rglob("*.java"))
        main = [p for p in every if p.startswith("src/main/")]
        return main, [p for p in every if not p.startswith("src/main/")]

    def _runner_command(self, runner: Path, ctx, cp: Classpath, workspace: Path, reports: Path,
                        jvm_extra: Sequence[str] = ()) -> list[str]:
        main, tests = self._sources(workspace)
        return ["java", *JVM_FLAGS, *jvm_extra, "-cp", ":".join(map(str, [runner, cp.console, *cp.test])), _RUNNER_MAIN,
                "--workspace", str(workspace), "--policy", str(runner.with_name(_POLICY)),
                "--libraries", str(ctx.path("java")), "--reports", str(reports),
                "--implementation", ":".join(map(str, cp.main)), "--main", *main, "--test", *tests]

    def steps(self, workspace: Path, ctx, problem, report_dir: Path) -> list[Step]:
        cp = self.jars(workspace, ctx)
        runner = self.runner_jar(ctx, cp)
        if runner is not None:
            archive = runner.with_name("runner.jsa")
            cds = [f"-XX:SharedArchiveFile={archive}", "-Xlog:cds=off", "-Xlog:cds+dynamic=off"] if archive.is_file() else []
            return [Step(self._runner_command(runner, ctx, cp, workspace, report_dir, cds), noexec=True)]
        return self._fallback_steps(workspace, ctx, cp, report_dir)

    def _fallback_steps(self, workspace: Path, ctx, cp: Classpath, report_dir: Path) -> list[Step]:
        """javac twice (main, then tests), then the console launcher in a JVM started with the SecurityManager
        and the same policy, ``src/`` hidden from it. What it lacks against the one-JVM runner: the candidate's
        classes share the tests' class loader (package-private members of the tests are reachable by reflection),
        the JDK prints its SecurityManager warning, and a JUnit 4 exercise's canaries run before its tests."""
        main, tests = self._sources(workspace)
        build = workspace / "build"
        main_classes, test_classes = build / "main", build / "test"
        javac = ["javac", "-J-XX:+UseSerialGC", "-J-XX:TieredStopAtLevel=1", "-encoding", "UTF-8", "-nowarn",
                 "-proc:none", "-implicit:none", "-sourcepath", ""]
        library_cp = ":".join(map(str, [cp.console, *cp.test]))
        main_cp = ":".join(map(str, cp.main))
        build.mkdir(exist_ok=True)
        policy = build / _POLICY  # read by the JVM at start, before any candidate class loads
        policy.write_text((_RUNNER_SOURCES / _POLICY).read_text())
        properties = {"polyglot.libraries": ctx.path("java").as_uri() + "/", "polyglot.tests": test_classes.as_uri() + "/",
                      "polyglot.candidate": main_classes.as_uri() + "/"}
        junit = ["java", *JVM_FLAGS[:-1], "-Djava.security.manager=default", f"-Djava.security.policy=={policy}",
                 *(f"-D{k}={v}" for k, v in properties.items()), "-cp", library_cp,
                 "org.junit.platform.console.ConsoleLauncher", "execute", "--disable-banner", "--details=tree",
                 "--disable-ansi-colors", "--class-path", ":".join(map(str, [test_classes, main_classes, *cp.main])),
                 "--scan-class-path", str(test_classes), "--fail-if-no-tests", "--reports-dir", str(report_dir),
                 CLASS_ORDER]
        steps = [Step([*javac, "-d", str(main_classes), "-cp", main_cp, *main], compiles=True)] if main else []
        test_cp = ":".join(p for p in (library_cp, str(main_classes), main_cp) if p)
        return [*steps, Step([*javac, "-d", str(test_classes), "-cp", test_cp, *tests], compiles=True),
                Step(junit, noexec=True, hide=("src/**/*.java",))]

    def read_report(self, report_dir: Path, output: str) -> Report | None:
        if _UNCONFINED in output:
            raise ReportError(f"the JVM could not confine candidate code; {_JDK_FIX}")
        report: Report | None = None
        for name in _REPORTS:
            data = read_report_file(report_dir / name)
            if data is None:
                continue
            found = junit_outcomes(parse_xml(data), lambda case: f"{case.get('classname', '')}.{case.get('name', '')}")
            report = found if report is None else Report(report.tests + found.tests)
        return report

    def is_compile_error(self, output: str, returncode: int | None) -> bool:
        # A class that fails to initialise or link at run time is reported per test: a test failure.
        return returncode == 3 and _COMPILE_FAILED in output

    # ------------------------------------------------------------------ provisioning

    def wanted(self, problems: Sequence) -> set[Coordinate]:
        coords = set(dependencies(DEFAULT_BUILD))
        for p in problems:
            if p.language == self.name:
                for f in p.files:
                    if f.path == "build.gradle":
                        coords.update(dependencies(f.content))
        return coords

    def provision(self, ctx, problems: Sequence) -> list[str]:
        """Fetch each coordinate (group, artifact, version) the problems' build.gradle files name into a folder of its
        own, with its transitive jars: versions sit side by side and each run's class path is its own build.gradle's
        (:meth:`jars`), so what another exercise fetched never changes a run. A folder appears whole: mvn copies into
        a ``.partial`` folder beside it, renamed into place once complete."""
        done = []
        for coord in sorted(self.wanted(problems)):
            target = self.coordinate_dir(ctx, coord)
            if (target / ".installed").is_file():
                continue
            group, artifact, version = coord
            pom = (f"<project><modelVersion>4.0.0</modelVersion><groupId>local</groupId><artifactId>deps</artifactId>"
                   f"<version>1</version><dependencies><dependency><groupId>{group}</groupId>"
                   f"<artifactId>{artifact}</artifactId><version>{version}</version></dependency></dependencies></project>")

            def fetch(staging: Path, pom: str = pom, coord: tuple = coord) -> None:
                with tempfile.TemporaryDirectory() as tmp:
                    (Path(tmp) / "pom.xml").write_text(pom)
                    command = ["mvn", "-q", "-B", "-Dstyle.color=never", "dependency:copy-dependencies",
                               f"-DoutputDirectory={staging}", "-DincludeScope=runtime"]
                    # Captured: Maven's own output carries terminal escape codes even in batch mode.
                    proc = subprocess.run(command, cwd=tmp, capture_output=True, text=True)
                if proc.returncode:
                    said = _TERMINAL_CODES.sub("", proc.stdout + proc.stderr).strip()
                    logger.warning("mvn could not fetch %s:\n%s", ":".join(coord), said[-3000:])
                    raise subprocess.CalledProcessError(proc.returncode, command)
                (staging / ".installed").write_text(":".join(coord) + "\n")

            place_whole(target, fetch, lambda folder: (folder / ".installed").is_file(), prefix=f".{version}.")
            done.append(f"fetched {':'.join(coord)} into {target}")
        self.runner_jar(ctx, self.jars(Path("/nonexistent"), ctx))  # the default build.gradle's jars
        return done

    def missing_provision(self, ctx) -> str | None:
        launcher = dependencies(DEFAULT_BUILD)[0]
        if (self.coordinate_dir(ctx, launcher) / ".installed").is_file():
            return None
        return "the JUnit console launcher is not provisioned; run `polyglot-hrm setup-runners --languages java`"

    def missing_dependency(self, problem, ctx) -> str | None:
        jdk = jdk_problem(_java_version())
        if jdk:
            return jdk
        for coord in sorted(self.wanted([problem])):
            if not (self.coordinate_dir(ctx, coord) / ".installed").is_file():
                return (f"{':'.join(coord)} ({problem.id}'s build.gradle) is not provisioned; run `polyglot-hrm "
                        f"setup-runners --benchmark-root DIR --languages java` (needs network once)")
        return None

    def toolchain(self) -> list[ToolCheck]:
        java = tool_version(["java", "-version"])
        jdk = jdk_problem(_java_version()) if java else None
        # The SecurityManager that confines candidates exists in JDK 17..23 only: another JDK counts as missing.
        java_check = ToolCheck(f"java (JDK {JDK_RANGE[0]} to {JDK_RANGE[1]})", None if jdk else java,
                               jdk or "apt-get install openjdk-17-jre-headless")
        return [ToolCheck("javac", tool_version(["javac", "-version"]), "apt-get install openjdk-17-jdk-headless"),
                java_check, ToolCheck("mvn", tool_version(["mvn", "-v"]), "apt-get install maven (only for setup-runners)")]


JAVA = register(Java())
