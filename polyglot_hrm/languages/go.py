"""Go: ``go test ./...``; the reference is ``.meta/example.go``; ``cases_test.go`` is an editor file.

Nothing is skipped. Runs are offline (``GOPROXY=off``, ``GOTOOLCHAIN=local``) and share one build
cache, which Go keys by content, so a stale entry cannot change a result.
"""

from __future__ import annotations

import re
from pathlib import Path

from . import register
from ..execution.results import TestCounts
from .base import Language, Step, ToolCheck, tool_version

_RESULT = re.compile(r"^\s*--- (PASS|FAIL): (\S+)", re.M)


class Go(Language):
    name = "go"
    track_names = ("go",)
    test_globs = ("*_test.go",)

    address_space_limit = False

    def memory_env(self, memory_mb: int) -> dict[str, str]:
        return {"GOMEMLIMIT": f"{memory_mb}MiB"}

    def steps(self, workspace: Path, ctx, problem=None) -> list[Step]:
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
        return [Step(build, env=env, compiles=True, writable=[cache]),
                Step([str(binary), "-test.v=true", "-test.paniconexit0", "-test.count=1", "-test.timeout=10m"])]

    def parse_counts(self, output: str) -> TestCounts | None:
        results = dict((name, outcome) for outcome, name in _RESULT.findall(output))
        if not results:
            return None
        # Count leaves: a test with subtests is counted through its subtests.
        leaves = [n for n in results if not any(other.startswith(n + "/") for other in results)]
        passed = sum(1 for n in leaves if results[n] == "PASS")
        return TestCounts(passed, len(leaves) - passed)

    def is_compile_error(self, output: str, returncode: int | None, counts: TestCounts | None) -> bool:
        # The build is its own step; a test binary that crashes (killed, out of threads) has failed.
        return "[build failed]" in output or "[setup failed]" in output

    def toolchain(self) -> list[ToolCheck]:
        return [ToolCheck("go", tool_version(["go", "version"]), "install Go 1.21+ (golang-go)")]


GO = register(Go())
