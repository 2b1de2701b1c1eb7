"""Rust: ``cargo test -- --include-ignored``; the reference is ``.meta/example.rs`` (-> ``src/lib.rs``).

The track skips all but the first test with ``#[ignore]``; ``--include-ignored`` runs them, so the
test files are left as they are. Exercises whose reference needs crates ship
``.meta/Cargo-example.toml``, which ``config.json`` does not list: it replaces ``Cargo.toml`` when
the reference is in place. Crates are fetched once (``setup-runners``) into the runner cache's
``CARGO_HOME``; runs are ``--offline``.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Sequence

from . import register
from ..execution.results import TestCounts
from .base import Language, LayoutError, Step, ToolCheck, tool_version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_RESULT = re.compile(r"test result: \w+\. (\d+) passed; (\d+) failed")


def has_dependencies(cargo_toml: str) -> bool:
    try:
        data = tomllib.loads(cargo_toml)
    except tomllib.TOMLDecodeError:
        return False
    return any(data.get(key) for key in ("dependencies", "dev-dependencies"))


class Rust(Language):
    name = "rust"
    track_names = ("rust",)
    unlisted_references = {".meta/Cargo-example.toml": "Cargo.toml"}
    test_globs = ("tests/*.rs",)
    run_cost = 3

    def reference_target(self, example: str, solution_paths: Sequence[str], slug: str) -> str:
        if example.endswith(".rs"):
            for candidate in ("src/lib.rs", "src/main.rs"):
                if candidate in solution_paths:
                    return candidate
            raise LayoutError(f"Rust example {example!r}: no src/lib.rs or src/main.rs among the solution files")
        return super().reference_target(example, solution_paths, slug)

    def env(self, workspace: Path, ctx) -> dict[str, str]:
        return {"CARGO_HOME": str(ctx.path("cargo")), "CARGO_TARGET_DIR": str(workspace / "target"),
                "CARGO_TERM_COLOR": "never", "CARGO_INCREMENTAL": "0", "CARGO_NET_OFFLINE": "true",
                "RUST_BACKTRACE": "0"}

    def steps(self, workspace: Path, ctx, problem=None) -> list[Step]:
        env = self.env(workspace, ctx)
        return [Step(["cargo", "test", "--offline", "--no-run", "-q"], env=env, compiles=True),
                Step(["cargo", "test", "--offline", "--", "--include-ignored"], env=env)]

    def parse_counts(self, output: str) -> TestCounts | None:
        results = _RESULT.findall(output)
        if not results:
            return None
        return TestCounts(sum(int(p) for p, _ in results), sum(int(f) for _, f in results))

    def is_compile_error(self, output: str, returncode: int | None, counts: TestCounts | None) -> bool:
        return counts is None and ("could not compile" in output or "error[E" in output)

    # ------------------------------------------------------------------ provisioning

    def manifests(self, problems: Sequence) -> list[str]:
        """Every distinct Cargo.toml (stub or reference) that needs crates."""
        found = {f.content for p in problems if p.language == self.name for f in p.files
                 if f.path == "Cargo.toml" and has_dependencies(f.content)}
        return sorted(found)

    def provision(self, ctx, problems: Sequence) -> list[str]:
        home = ctx.path("cargo")
        home.mkdir(parents=True, exist_ok=True)
        done = []
        for manifest in self.manifests(problems):
            stamp = home / "fetched" / hashlib.sha256(manifest.encode()).hexdigest()
            if stamp.is_file():
                continue
            with tempfile.TemporaryDirectory() as tmp:
                (Path(tmp) / "src").mkdir()
                (Path(tmp) / "src" / "lib.rs").write_text("")
                (Path(tmp) / "Cargo.toml").write_text(manifest)
                env = {**ctx.base_env(), "CARGO_HOME": str(home)}
                subprocess.run(["cargo", "fetch", "-q"], cwd=tmp, env=env, check=True)
            stamp.parent.mkdir(parents=True, exist_ok=True)
            stamp.write_text(manifest)
            name = tomllib.loads(manifest).get("package", {}).get("name", "?")
            done.append(f"fetched the crates of {name}'s Cargo.toml into {home}")
        return done

    def toolchain(self) -> list[ToolCheck]:
        return [ToolCheck("cargo", tool_version(["cargo", "--version"]), "install Rust with rustup"),
                ToolCheck("rustc", tool_version(["rustc", "--version"]), "install Rust with rustup")]


RUST = register(Rust())
