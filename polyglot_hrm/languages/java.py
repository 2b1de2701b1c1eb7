"""Java: JUnit 5 + AssertJ, compiled with ``javac`` and run with the JUnit console launcher.

References live in ``.meta/src/reference/java/``; a reference may have more classes than the stub
(helper classes): they are added under ``src/main/java/`` at the same relative path. The track
skips all but the first test with ``@Disabled(...)``: :meth:`Java.unskip` removes it.

The Gradle build is not run: its only jobs here are to compile ``src/main`` and ``src/test`` with
the dependencies ``build.gradle`` names and run JUnit, which ``javac`` plus the JUnit console
launcher do with the same jars (provisioned once from Maven Central by ``mvn``). Both happen in one
JVM (``data/runners/java/CompileAndTest.java``, built once into a jar with a class-data-sharing
archive), which saves a JVM start and most class loading per run.
"""

from __future__ import annotations

import logging
import re
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from . import register
from ..execution.artifacts import ArtifactCache, content_key
from ..execution.results import TestCounts
from .base import Language, Step, ToolCheck, tool_version

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
_SUMMARY = re.compile(r"\[\s*(\d+) tests (successful|failed)\s*\]")
DEFAULT_BUILD = 'testImplementation platform("org.junit:junit-bom:5.10.0")\ntestImplementation "org.assertj:assertj-core:3.25.1"\n'
JVM_FLAGS = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-Xss8m"]


def dependencies(build_gradle: str) -> list[tuple[str, str, str]]:
    """Maven coordinates a ``build.gradle`` names, plus the JUnit console launcher matching its BOM."""
    coords = _DEPENDENCY.findall(build_gradle)
    bom = _BOM.search(build_gradle)
    jupiter = bom.group(1) if bom else "5.10.0"
    platform = "1." + jupiter.split(".", 1)[1]  # JUnit 5.x.y ships platform 1.x.y
    return [("org.junit.platform", "junit-platform-console-standalone", platform), *coords]


class Java(Language):
    name = "java"
    track_names = ("java",)
    # The Gradle wrapper is never run and its jar is binary.
    ignored_files = ("gradlew", "gradlew.bat", "gradle/*")
    test_globs = ("src/test/java/*.java",)
    run_cost = 2
    address_space_limit = False
    _broken: set[str] = set()

    def memory_env(self, memory_mb: int) -> dict[str, str]:
        # Heap at half the budget leaves room for metaspace, code cache and thread stacks.
        return {"JAVA_TOOL_OPTIONS": f"-Xmx{max(256, memory_mb // 2)}m"}

    def reference_target(self, example: str, solution_paths: Sequence[str], slug: str) -> str:
        if example.startswith(_REFERENCE_ROOT):
            return "src/main/java/" + example[len(_REFERENCE_ROOT):]
        return super().reference_target(example, solution_paths, slug)

    def unskip(self, text: str) -> str:
        return _DISABLED.sub("", text)

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
        key = content_key("java-runner-v1", source, str(console), _java_version())

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
                cmd = self._runner_command(folder / "runner.jar", console, jars, Path(probe),
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

    def _runner_command(self, runner: Path, console: Path, jars: Sequence[Path], workspace: Path,
                        jvm_extra: Sequence[str] = ()) -> list[str]:
        sources = self._sources(workspace)
        classes = workspace / "build" / "classes"
        return ["java", *JVM_FLAGS, *jvm_extra, "-cp", f"{runner}:{console}", "CompileAndTest", str(classes),
                ":".join(str(j) for j in jars), "--", *sources]

    def steps(self, workspace: Path, ctx, problem=None) -> list[Step]:
        console, jars = self.classpath(workspace, ctx)
        runner = self.runner_jar(ctx, console, jars)
        if runner is not None:
            archive = runner.with_name("runner.jsa")
            cds = [f"-XX:SharedArchiveFile={archive}", "-Xlog:cds=off", "-Xlog:cds+dynamic=off"] if archive.is_file() else []
            return [Step(self._runner_command(runner, console, jars, workspace, cds))]
        sources = self._sources(workspace)
        classes = workspace / "build" / "classes"
        compile_cp = ":".join(str(p) for p in [console, *jars])
        run_cp = ":".join(str(p) for p in [classes, *jars])
        javac = ["javac", "-J-XX:+UseSerialGC", "-J-XX:TieredStopAtLevel=1", "-encoding", "UTF-8", "-nowarn",
                 "-d", str(classes), "-cp", compile_cp, *sources]
        junit = ["java", *JVM_FLAGS, "-jar", str(console), "execute", "--disable-banner", "--details=tree",
                 "--disable-ansi-colors", "--class-path", run_cp, "--scan-class-path", str(classes), "--fail-if-no-tests"]
        return [Step(javac, compiles=True), Step(junit)]

    def parse_counts(self, output: str) -> TestCounts | None:
        found = {kind: int(n) for n, kind in _SUMMARY.findall(output)}
        if not found:
            return None
        return TestCounts(found.get("successful", 0), found.get("failed", 0))

    def is_compile_error(self, output: str, returncode: int | None, counts: TestCounts | None) -> bool:
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

    def toolchain(self) -> list[ToolCheck]:
        return [ToolCheck("javac", tool_version(["javac", "-version"]), "apt-get install openjdk-17-jdk-headless"),
                ToolCheck("java", tool_version(["java", "-version"]), "apt-get install openjdk-17-jre-headless"),
                ToolCheck("mvn", tool_version(["mvn", "-v"]), "apt-get install maven (only for setup-runners)")]


JAVA = register(Java())
