"""Rust's crates: a run builds with the versions its own dependency set's fetch resolved, whatever was fetched after.

The registry in the runner cache's ``CARGO_HOME`` keeps every version any exercise fetched, and an offline
resolution takes the newest compatible one there; the Cargo.lock kept with each set's stamp pins it. Offline: a
fake ``cargo`` whose ``fetch`` writes a numbered Cargo.lock (and whose builds fail, so no seed is made).
"""

from __future__ import annotations

import os
import sys

from conftest import write_exercise
from polyglot_hrm.problems.reader import load_benchmark
from polyglot_hrm.languages.context import RunnerContext
from polyglot_hrm.languages.rust import RUST

FAKE_CARGO = r'''#!{python}
import os, sys
if sys.argv[1:2] != ["fetch"]:
    sys.exit("error: the fake cargo only fetches")
counter = {counter!r}  # cargo runs with the runners' small environment
n = int(open(counter).read()) + 1 if os.path.exists(counter) else 1
open(counter, "w").write(str(n))
deps = open("Cargo.toml").read().split("[dependencies]")[1].strip()
open("Cargo.lock", "w").write(f"# fetch {{n}}: {{deps}}\n")
'''


def _crate(root, slug: str, requirement: str):
    write_exercise(root / "rust" / "exercises" / "practice" / slug, {
        "Cargo.toml": f'[package]\nname = "{slug.replace("-", "_")}"\nversion = "0.1.0"\nedition = "2021"\n\n'
                      f'[dependencies]\nrand = "{requirement}"\n',
        "src/lib.rs": "pub fn f() -> u32 {\n    todo!()\n}\n",
        f"tests/{slug}.rs": "#[test]\nfn one() {\n    assert_eq!(crab::f(), 1);\n}\n",
        ".meta/example.rs": "pub fn f() -> u32 {\n    1\n}\n",
    }, {"files": {"solution": ["src/lib.rs"], "test": [f"tests/{slug}.rs"], "example": [".meta/example.rs"]}})


def test_a_rust_run_builds_with_the_versions_its_own_fetch_resolved(tmp_path, monkeypatch):
    fake = tmp_path / "bin" / "cargo"
    fake.parent.mkdir()
    fake.write_text(FAKE_CARGO.format(python=sys.executable, counter=str(tmp_path / "fetches")))
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    _crate(tmp_path / "bench", "old-rand", "0.8")
    _crate(tmp_path / "bench", "new-rand", "0.8.5")
    problems = {p.slug: p for p in load_benchmark(tmp_path / "bench", ["rust"], strict=True)}
    ctx = RunnerContext(cache_dir=tmp_path / "cache")
    assert RUST.missing_dependency(problems["old-rand"], ctx) is not None

    RUST.provision(ctx, [problems["old-rand"]])
    RUST.provision(ctx, [problems["new-rand"]])  # a later fetch: newer versions land in the shared registry
    assert RUST.missing_dependency(problems["old-rand"], ctx) is None
    for slug, fetch in (("old-rand", 1), ("new-rand", 2)):
        workspace = tmp_path / "ws" / slug
        for path, text in problems[slug].workspace_files("reference").items():
            (workspace / path).parent.mkdir(parents=True, exist_ok=True)
            (workspace / path).write_text(text)
        RUST.prepare(workspace, ctx, problems[slug])
        assert (workspace / "Cargo.lock").read_text().startswith(f"# fetch {fetch}: "), slug

    # A stamp from a version that kept no lock: not ready; provisioning fetches it again, and pins it.
    stamp = RUST._fetched_stamp(ctx, problems["old-rand"].workspace_files("stub")["Cargo.toml"])
    stamp.with_name(stamp.name + ".lock").unlink()
    assert "setup-runners" in RUST.missing_dependency(problems["old-rand"], ctx)
    assert RUST.provision(ctx, [problems["old-rand"], problems["new-rand"]]) == [
        "fetched the crates of old_rand's Cargo.toml into " + str(ctx.path("cargo"))]
    assert RUST.missing_dependency(problems["old-rand"], ctx) is None
