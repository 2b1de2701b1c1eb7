"""JavaScript: Jest + babel, one shared ``node_modules`` for every exercise.

The reference is ``.meta/proof.ci.js``. The track skips all but the first test with ``xtest(``
(also ``xit(``/``xdescribe(``, ``test.skip(``): :meth:`JavaScript.unskip` turns them back on.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Sequence

from . import register
from ..execution.results import TestCounts
from .base import Language, Step, ToolCheck, tool_version

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
_SKIP = re.compile(r"\b(test|it|describe)\.skip\s*\(")
_TESTS_LINE = re.compile(r"^Tests:\s+(.*)$", re.M)


class JavaScript(Language):
    name = "javascript"
    track_names = ("javascript", "js")
    # Licence text and lint config are not needed to build, test or learn from an exercise.
    ignored_files = ("LICENSE", ".eslintrc")
    test_globs = ("*.spec.js", "*.test.js")
    address_space_limit = False

    def memory_env(self, memory_mb: int) -> dict[str, str]:
        return {"NODE_OPTIONS": f"--max-old-space-size={max(256, memory_mb // 2)}"}

    def unskip(self, text: str) -> str:
        return _SKIP.sub(r"\1(", _XTEST.sub(r"\1(", text))

    def modules_dir(self, ctx) -> Path:
        return ctx.path("javascript", "node_modules")

    def prepare(self, workspace: Path, ctx, problem=None) -> None:
        link = workspace / "node_modules"
        if not link.exists():
            link.symlink_to(self.modules_dir(ctx), target_is_directory=True)

    def steps(self, workspace: Path, ctx, problem=None) -> list[Step]:
        jest = self.modules_dir(ctx) / "jest" / "bin" / "jest.js"
        argv = ["node", str(jest), "--ci", "--watchman=false", "--colors=false", "--rootDir", str(workspace),
                "--cacheDirectory", str(workspace / ".jest-cache")]
        return [Step(argv, env={"FORCE_COLOR": "0"})]

    def parse_counts(self, output: str) -> TestCounts | None:
        lines = _TESTS_LINE.findall(output)
        if not lines:
            return None
        found = {kind: int(n) for n, kind in re.findall(r"(\d+) (passed|failed|total)", lines[-1])}
        return TestCounts(found.get("passed", 0), found.get("failed", 0))

    def is_compile_error(self, output: str, returncode: int | None, counts: TestCounts | None) -> bool:
        return "Test suite failed to run" in output and (counts is None or counts.total == 0)

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
        if stamp.is_file() and stamp.read_text() == text and (self.modules_dir(ctx) / "jest").is_dir():
            return []
        (root / "package.json").write_text(text)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=root, check=True)
        stamp.write_text(text)
        return [f"npm installed {len(manifest['devDependencies'])} packages into {root}"]

    def missing_provision(self, ctx) -> str | None:
        if (self.modules_dir(ctx) / "jest" / "bin" / "jest.js").is_file():
            return None
        return "Jest is not provisioned; run `polyglot-hrm setup-runners --languages javascript`"

    def toolchain(self) -> list[ToolCheck]:
        return [ToolCheck("node", tool_version(["node", "--version"]), "apt-get install nodejs (20+)"),
                ToolCheck("npm", tool_version(["npm", "--version"]), "apt-get install npm")]


JAVASCRIPT = register(JavaScript())
