"""C++: CMake + the Catch2 single header bundled in ``test/``.

References are ``.meta/example.cpp`` and ``.meta/example.h``. A header-only reference has no
``.cpp``; the exercise's CMakeLists.txt compiles ``<slug>.cpp`` whenever it exists, so the stub
``.cpp`` must be removed when the reference is in place. The track skips all but the first test
behind ``#if defined(EXERCISM_RUN_ALL_TESTS)``: the runner configures with
``-DEXERCISM_RUN_ALL_TESTS=ON``. CMakeLists.txt names its target after the exercise folder, so
the workspace folder is named after the slug.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Sequence

from . import register
from ..execution.results import TestCounts
from .base import Language, Step, ToolCheck, tool_version

_ALL_PASSED = re.compile(r"All tests passed \(\d+ assertions? in (\d+) test cases?\)")
_SUMMARY = re.compile(r"^test cases:(.*)$", re.M)


class Cpp(Language):
    name = "cpp"
    track_names = ("cpp", "c++")
    test_globs = ("*_test.cpp",)
    run_cost = 3

    def reference_removes(self, solution_paths: Sequence[str], reference_paths: Sequence[str]) -> list[str]:
        replaced = set(reference_paths)
        return [p for p in solution_paths if PurePosixPath(p).suffix == ".cpp" and p not in replaced]

    def steps(self, workspace: Path, ctx) -> list[Step]:
        build = workspace / "build"
        exe = build / workspace.name
        return [
            Step(["cmake", "-S", str(workspace), "-B", str(build), "-DEXERCISM_RUN_ALL_TESTS=ON",
                  "-DCMAKE_BUILD_TYPE=Debug"], compiles=True),
            Step(["cmake", "--build", str(build), "--target", workspace.name], compiles=True),
            Step([str(exe)]),
        ]

    def parse_counts(self, output: str) -> TestCounts | None:
        match = _ALL_PASSED.search(output)
        if match:
            return TestCounts(int(match.group(1)), 0)
        lines = _SUMMARY.findall(output)
        if not lines:
            return None
        found = {kind: int(n) for n, kind in re.findall(r"(\d+) (passed|failed)", lines[-1])}
        return TestCounts(found.get("passed", 0), found.get("failed", 0))

    def missing_provision(self, ctx) -> str | None:
        # Boost date_time and TBB for the few exercises that link them; Catch2 for the mini-benchmark's shim.
        wanted = {"boost/date_time.hpp": "libboost-date-time-dev", "tbb/tbb.h": "libtbb-dev",
                  "catch2/catch.hpp": "catch2"}
        missing = [pkg for header, pkg in wanted.items() if not any(
            (Path(root) / header).is_file() for root in ("/usr/include", "/usr/local/include"))]
        return f"missing headers; run `apt-get install {' '.join(missing)}` (or `make setup`)" if missing else None

    def toolchain(self) -> list[ToolCheck]:
        return [ToolCheck("g++", tool_version(["g++", "--version"]), "apt-get install g++"),
                ToolCheck("cmake", tool_version(["cmake", "--version"]), "apt-get install cmake")]


CPP = register(Cpp())
