"""Java: JUnit 5 + AssertJ, compiled with ``javac`` and run with the JUnit console launcher.

References live in ``.meta/src/reference/java/``; a reference may have more classes than the stub
(helper classes): they are added under ``src/main/java/`` at the same relative path. The track
skips all but the first test with ``@Disabled(...)``: :meth:`Java.unskip` removes it.

The Gradle build is not run: its only jobs here are to compile ``src/main`` and ``src/test`` with
the dependencies ``build.gradle`` names and run JUnit, which ``javac`` plus the JUnit console
launcher do with the same jars (provisioned once from Maven Central by ``mvn``). Both happen in one
JVM (``data/runners/java/CompileAndTest.java``, built once into a jar with a class-data-sharing
archive), which saves a JVM start and most class loading per run.

A candidate writes ``.java`` files under ``src/main/java/`` only, in no package of the JDK or of the test
libraries (a class there could stand in for an assertion); the libraries also come first on the class
path. Annotation processing is off and the JVM refuses attach requests (no agent can rewrite a loaded
class). The verdict is read from the console launcher's XML report (``--reports-dir``).
"""

from __future__ import annotations

import logging
import re
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from pathlib import PurePosixPath

from . import register
from .artifacts import ArtifactCache, content_key
from .base import Language, Step, ToolCheck, split_parameters, tool_version
from .reports import Canary, Report, canary_id, canary_values, junit_outcomes, parse_xml, read_report_file

logger = logging.getLogger(__name__)
_LAUNCHER_SOURCE = Path(__file__).resolve().parent.parent / "data" / "runners" / "java" / "CompileAndTest.java"
_COMPILE_FAILED = "[polyglot-hrm] compilation failed"
_CDS_PROBE = {
    "src/main/java/Probe.java": "class Probe {\n    int one() {\n        return 1;\n    }\n}\n",
    "src/test/java/ProbeTest.java": (
        "import static org.assertj.core.api.Assertions.assertThat;\n\nimport org.junit.jupiter.api.Test;\n\n"
        "public class ProbeTest {\n    @Test\n    public void one() {\n        assertThat(new Probe().one()).isEqualTo(1);\n"
        "    }\n}\n"),
}


@lru_cache(maxsize=1)
def _java_version() -> str:
    out = subprocess.run(["java", "-version"], capture_output=True, text=True)
    return out.stderr + out.stdout

_REFERENCE_ROOT = ".meta/src/reference/java/"
_DISABLED = re.compile(r"^[ \t]*@Disabled(\([^)]*\))?[ \t]*\n|@Disabled(\([^)]*\))?[ \t]*", re.M)
_DEPENDENCY = re.compile(r"""\b(?:testImplementation|implementation)\s*\(?\s*["']([\w.\-]+):([\w.\-]+):([\w.\-]+)["']""")
_BOM = re.compile(r"""junit-bom:([\d.]+)""")
_MODIFIERS = {"public", "private", "protected", "static", "final", "synchronized", "default"}
_REPORT = "TEST-junit-jupiter.xml"
#: Packages a candidate's class may not live in: the JDK's and the test libraries'.
RESERVED_PACKAGES = ("java", "javax", "jdk", "sun", "com.sun", "org.junit", "junit", "org.assertj", "org.opentest4j",
                     "org.apiguardian", "net.bytebuddy", "org.hamcrest", "org.mockito", "org.w3c", "org.xml",
                     "org.ietf", "org.omg")
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
_CANARY_CLASS = """import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

@Order(Integer.MAX_VALUE)
public class {cls} {{
{methods}}}
"""
# The canary class runs after every test class of the exercise (their default order is MAX_VALUE / 2), so that
# a patch the solution applies when its code first runs is in place when the canaries run.
CLASS_ORDER = "--config=junit.jupiter.testclass.order.default=org.junit.jupiter.api.ClassOrderer$OrderAnnotation"
_METHOD = "    @Test\n    public void {name}() {{\n        {body};\n    }}\n"


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
JVM_FLAGS = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-Xss8m", "-XX:+DisableAttachMechanism"]


def dependencies(build_gradle: str) -> list[tuple[str, str, str]]:
    """Maven coordinates a ``build.gradle`` names, plus the JUnit console launcher matching its BOM."""
    coords = _DEPENDENCY.findall(build_gradle)
    bom = _BOM.search(build_gradle)
    jupiter = bom.group(1) if bom else "5.10.0"
    platform = "1." + jupiter.split(".", 1)[1]  # JUnit 5.x.y ships platform 1.x.y
    return [("org.junit.platform", "junit-platform-console-standalone", platform), *coords]


class Java(Language):
    name = "java"
    title = "Java"
    track_names = ("java",)
    # The Gradle wrapper is never run and its jar is binary.
    ignored_files = ("gradlew", "gradlew.bat", "gradle/*")
    test_globs = ("src/test/java/*.java",)
    section_start = re.compile(r"  JUnit |[╷├│└]|Failures \(|Test run finished|\[\s")
    run_cost = 2
    address_space_limit = False
    _broken: set[str] = set()

    fence_tag = "java"
    source_suffixes = (".java",)
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
        tests = "\n".join(files[p] for p in files if self.is_test_file(p))
        a, b = canary_values(token)
        used = [m for m in _FAILING if m in _ALWAYS or f"{m}(" in tests]
        if "assertj" not in files.get("build.gradle", DEFAULT_BUILD):
            used = []  # no AssertJ on the class path: JUnit's assertions only
        fails = [canary_id(token, f"fail_{m}") for m in [*used, "assertEquals", "fail"]]
        bodies = [_FAILING[m].format(a=a, b=b) for m in used] + [f"Assertions.assertEquals({a}, {b})",
                                                                 f'Assertions.fail("{a}")']
        methods = [_METHOD.format(name=canary_id(token, "pass"), body=f"Assertions.assertEquals({a}, {a})")]
        methods += [_METHOD.format(name=name, body=body) for name, body in zip(fails, bodies)]
        cls = f"Pgcanary_{token}_Test"
        source = _CANARY_CLASS.format(cls=cls, methods="\n".join(methods))
        if not used:
            source = "\n".join(line for line in source.splitlines() if "org.assertj" not in line) + "\n"
        files[f"src/test/java/{cls}.java"] = source
        return Canary(token, (canary_id(token, "pass"),), tuple(fails))

    def coordinate_dir(self, ctx, coord: tuple[str, str, str]) -> Path:
        return ctx.path("java", *coord)

    def _build_file(self, workspace: Path) -> str:
        path = workspace / "build.gradle"
        return path.read_text() if path.is_file() else DEFAULT_BUILD

    def classpath(self, workspace: Path, ctx) -> tuple[Path, list[Path]]:
        """(console launcher jar, other jars) for this workspace's build.gradle."""
        launcher, *rest = dependencies(self._build_file(workspace))
        jar = self.coordinate_dir(ctx, launcher) / f"{launcher[1]}-{launcher[2]}.jar"
        jars = sorted(j for c in rest for j in self.coordinate_dir(ctx, c).glob("*.jar"))
        return jar, jars

    def runner_jar(self, ctx, console: Path, jars: Sequence[Path]) -> Path | None:
        """``CompileAndTest`` built against this JUnit launcher, with a CDS archive; cached by content."""
        source = _LAUNCHER_SOURCE.read_text()
        key = content_key("java-runner-v3", source, str(console), _java_version())

        def build(folder: Path) -> None:
            with tempfile.TemporaryDirectory() as tmp:
                subprocess.run(["javac", "-d", tmp, "-cp", str(console), str(_LAUNCHER_SOURCE)], check=True,
                               capture_output=True)
                subprocess.run(["jar", "cf", str(folder / "runner.jar"), "-C", tmp, "."], check=True, capture_output=True)
            # Record the classes a run loads into a class-data-sharing archive: later JVMs map them instead.
            with tempfile.TemporaryDirectory() as probe:
                for path, text in _CDS_PROBE.items():
                    (Path(probe) / path).parent.mkdir(parents=True, exist_ok=True)
                    (Path(probe) / path).write_text(text)
                cmd = self._runner_command(folder / "runner.jar", console, jars, Path(probe), Path(probe) / "reports",
                                           [f"-XX:ArchiveClassesAtExit={folder / 'runner.jsa'}"])
                subprocess.run(cmd, cwd=probe, check=True, capture_output=True)

        if key in self._broken:
            return None
        try:
            return ArtifactCache(ctx.path("java", "runner")).get(key, build) / "runner.jar"
        except (OSError, subprocess.CalledProcessError) as err:
            self._broken.add(key)  # don't retry on every run of this process
            detail = getattr(err, "stdout", b"") or b""
            logger.warning("could not build the one-JVM Java runner (%s%s); using javac + the console launcher",
                           err, ": " + detail.decode(errors="replace")[-500:] if detail else "")
            return None

    @staticmethod
    def _sources(workspace: Path) -> list[str]:
        return sorted(str(p.relative_to(workspace)) for p in (workspace / "src").rglob("*.java"))

    def _runner_command(self, runner: Path, console: Path, jars: Sequence[Path], workspace: Path, reports: Path,
                        jvm_extra: Sequence[str] = ()) -> list[str]:
        sources = self._sources(workspace)
        classes = workspace / "build" / "classes"
        return ["java", *JVM_FLAGS, *jvm_extra, "-cp", f"{runner}:{console}", "CompileAndTest", str(classes),
                ":".join(str(j) for j in jars), str(reports), "--", *sources]

    def steps(self, workspace: Path, ctx, problem, report_dir: Path) -> list[Step]:
        console, jars = self.classpath(workspace, ctx)
        runner = self.runner_jar(ctx, console, jars)
        if runner is not None:
            archive = runner.with_name("runner.jsa")
            cds = [f"-XX:SharedArchiveFile={archive}", "-Xlog:cds=off", "-Xlog:cds+dynamic=off"] if archive.is_file() else []
            return [Step(self._runner_command(runner, console, jars, workspace, report_dir, cds))]
        sources = self._sources(workspace)
        classes = workspace / "build" / "classes"
        compile_cp = ":".join(str(p) for p in [console, *jars])
        run_cp = ":".join(str(p) for p in [*jars, classes])
        javac = ["javac", "-J-XX:+UseSerialGC", "-J-XX:TieredStopAtLevel=1", "-encoding", "UTF-8", "-nowarn",
                 "-proc:none", "-d", str(classes), "-cp", compile_cp, *sources]
        junit = ["java", *JVM_FLAGS, "-jar", str(console), "execute", "--disable-banner", "--details=tree",
                 "--disable-ansi-colors", "--class-path", run_cp, "--scan-class-path", str(classes), "--fail-if-no-tests",
                 "--reports-dir", str(report_dir), CLASS_ORDER]
        return [Step(javac, compiles=True), Step(junit)]

    def read_report(self, report_dir: Path, output: str) -> Report | None:
        data = read_report_file(report_dir / _REPORT)
        if data is None:
            return None
        return junit_outcomes(parse_xml(data), lambda case: f"{case.get('classname', '')}.{case.get('name', '')}")

    def is_compile_error(self, output: str, returncode: int | None) -> bool:
        # A class that fails to initialise or link at run time is reported per test: a test failure.
        return returncode == 3 and _COMPILE_FAILED in output

    # ------------------------------------------------------------------ provisioning

    def wanted(self, problems: Sequence) -> set[tuple[str, str, str]]:
        coords = set(dependencies(DEFAULT_BUILD))
        for p in problems:
            if p.language == self.name:
                for f in p.files:
                    if f.path == "build.gradle":
                        coords.update(dependencies(f.content))
        return coords

    def provision(self, ctx, problems: Sequence) -> list[str]:
        done = []
        for coord in sorted(self.wanted(problems)):
            target = self.coordinate_dir(ctx, coord)
            if (target / ".installed").is_file():
                continue
            target.mkdir(parents=True, exist_ok=True)
            group, artifact, version = coord
            pom = (f"<project><modelVersion>4.0.0</modelVersion><groupId>local</groupId><artifactId>deps</artifactId>"
                   f"<version>1</version><dependencies><dependency><groupId>{group}</groupId>"
                   f"<artifactId>{artifact}</artifactId><version>{version}</version></dependency></dependencies></project>")
            with tempfile.TemporaryDirectory() as tmp:
                (Path(tmp) / "pom.xml").write_text(pom)
                subprocess.run(["mvn", "-q", "-B", "dependency:copy-dependencies", f"-DoutputDirectory={target}",
                                "-DincludeScope=runtime"], cwd=tmp, check=True)
            (target / ".installed").write_text(":".join(coord) + "\n")
            done.append(f"fetched {':'.join(coord)} into {target}")
        console, jars = self.classpath(Path("/nonexistent"), ctx)  # the default build.gradle's jars
        self.runner_jar(ctx, console, jars)
        return done

    def missing_provision(self, ctx) -> str | None:
        launcher = dependencies(DEFAULT_BUILD)[0]
        if (self.coordinate_dir(ctx, launcher) / ".installed").is_file():
            return None
        return "the JUnit console launcher is not provisioned; run `polyglot-hrm setup-runners --languages java`"

    def missing_dependency(self, problem, ctx) -> str | None:
        for coord in sorted(self.wanted([problem])):
            if not (self.coordinate_dir(ctx, coord) / ".installed").is_file():
                return (f"{':'.join(coord)} ({problem.id}'s build.gradle) is not provisioned; run `polyglot-hrm "
                        f"setup-runners --benchmark-root DIR --languages java` (needs network once)")
        return None

    def toolchain(self) -> list[ToolCheck]:
        return [ToolCheck("javac", tool_version(["javac", "-version"]), "apt-get install openjdk-17-jdk-headless"),
                ToolCheck("java", tool_version(["java", "-version"]), "apt-get install openjdk-17-jre-headless"),
                ToolCheck("mvn", tool_version(["mvn", "-v"]), "apt-get install maven (only for setup-runners)")]


JAVA = register(Java())
