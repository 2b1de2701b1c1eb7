"""Rust: ``cargo test -- --include-ignored``; the reference is ``.meta/example.rs`` (-> ``src/lib.rs``).

The track skips all but the first test with ``#[ignore]``; ``--include-ignored`` runs them, so the
test files are left as they are. Exercises whose reference needs crates ship
``.meta/Cargo-example.toml``, which ``config.json`` does not list: it replaces ``Cargo.toml`` when
the reference is in place. Crates are fetched once (``setup-runners``) into the runner cache's
``CARGO_HOME``; runs are ``--offline``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import subprocess
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from . import register
from ..execution.artifacts import ArtifactCache, content_key
from ..execution.results import TestCounts
from .base import Language, LayoutError, Step, ToolCheck, tool_version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

logger = logging.getLogger(__name__)
_RESULT = re.compile(r"test result: \w+\. (\d+) passed; (\d+) failed")


@lru_cache(maxsize=1)
def _rustc_version() -> str:
    return subprocess.run(["rustc", "-vV"], capture_output=True, text=True).stdout


def _dependency_sections(cargo_toml: str) -> dict:
    data = tomllib.loads(cargo_toml)
    keep = ("dependencies", "dev-dependencies", "build-dependencies", "profile", "features")
    return {"edition": data.get("package", {}).get("edition"), **{k: data.get(k) for k in keep}}


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

    def prepare(self, workspace: Path, ctx, problem=None) -> None:
        """Seed ``target/`` with the exercise's crates, compiled once per dependency set.

        Only for a Cargo.toml that is one of the exercise's own (stub or reference): the seed is
        built outside the sandbox, so it must never come from a candidate's manifest. Cargo's
        own fingerprints decide what of the seed it reuses, so a seed can only save time.
        """
        manifest = workspace / "Cargo.toml"
        if problem is None or not manifest.is_file():
            return
        text = manifest.read_text()
        originals = {f.content for f in problem.files if f.path == "Cargo.toml"}
        if text not in originals or not has_dependencies(text):
            return
        seed = self.dependency_seed(ctx, text)
        if seed is not None:
            shutil.copytree(seed / "target", workspace / "target", symlinks=True, dirs_exist_ok=True)
            if not (workspace / "Cargo.lock").exists():
                shutil.copy2(seed / "Cargo.lock", workspace / "Cargo.lock")

    def dependency_seed(self, ctx, cargo_toml: str) -> Path | None:
        key = content_key("rust-seed-v1", json.dumps(_dependency_sections(cargo_toml), sort_keys=True),
                          _rustc_version(), str(ctx.path("cargo")))

        def build(folder: Path) -> None:
            with tempfile.TemporaryDirectory() as tmp:
                crate = Path(tmp) / "seed"
                (crate / "src").mkdir(parents=True)
                (crate / "src" / "lib.rs").write_text("")
                data = tomllib.loads(cargo_toml)
                name = data.get("package", {}).get("name", "seed")
                (crate / "Cargo.toml").write_text(cargo_toml)
                env = {**ctx.base_env(), **self.env(crate, ctx), "CARGO_TARGET_DIR": str(folder / "target")}
                subprocess.run(["cargo", "test", "--offline", "--no-run", "-q"], cwd=crate, env=env, check=True,
                               capture_output=True)
                shutil.copy2(crate / "Cargo.lock", folder / "Cargo.lock")
                # Keep only the dependencies: the seed crate's own artifacts would just be rebuilt.
                for path in (folder / "target").rglob(f"*{name.replace('-', '_')}*"):
                    if path.is_file():
                        path.unlink()

        try:
            return ArtifactCache(ctx.path("rust", "seeds")).get(key, build)
        except (OSError, subprocess.CalledProcessError, tomllib.TOMLDecodeError) as err:
            logger.warning("could not pre-build the crates of a Cargo.toml (%s); the run builds them", err)
            return None

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
