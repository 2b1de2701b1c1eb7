"""Python: pytest on ``*_test.py``; the reference is ``.meta/example.py``. Nothing is skipped."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from . import register
from ..execution.results import TestCounts
from .base import Language, Step, ToolCheck, tool_version

_SUMMARY = re.compile(r"(\d+) (passed|failed|errors?)\b")


class Python(Language):
    name = "python"
    track_names = ("python",)
    test_globs = ("*_test.py", "test_*.py")

    def steps(self, workspace: Path, ctx, problem=None) -> list[Step]:
        argv = [ctx.python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--tb=short", "-o", "console_output_style=classic"]
        # Plugins installed beside pytest (hypothesis, xdist, ...) are not part of an exercise's test run; loading
        # their entry points took half of a warm run (0.2 of 0.37 s on python/forth).
        env = {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
        return [Step(argv, env=env)]

    def parse_counts(self, output: str) -> TestCounts | None:
        lines = [ln for ln in output.splitlines() if _SUMMARY.search(ln) and " in " in ln]
        if not lines:
            return None
        found = {kind: int(n) for n, kind in _SUMMARY.findall(lines[-1])}
        failed = found.get("failed", 0) + found.get("error", 0) + found.get("errors", 0)
        return TestCounts(found.get("passed", 0), failed)

    def is_compile_error(self, output: str, returncode: int | None, counts: TestCounts | None) -> bool:
        # A SyntaxError or ImportError in the solution stops collection (pytest exit code 2).
        return returncode == 2 or "error during collection" in output or "errors during collection" in output

    def missing_provision(self, ctx) -> str | None:
        ok = subprocess.run([ctx.python, "-c", "import pytest"], capture_output=True).returncode == 0
        return None if ok else f"pytest is not importable by {ctx.python}; run `{ctx.python} -m pip install pytest`"

    def toolchain(self) -> list[ToolCheck]:
        return [ToolCheck("python3", tool_version(["python3", "--version"]), "install Python 3.10+"),
                ToolCheck("pytest", tool_version([sys.executable, "-m", "pytest", "--version"]), "pip install pytest")]


PYTHON = register(Python())
