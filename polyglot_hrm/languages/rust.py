"""Rust: ``cargo test -- --include-ignored``; the reference is ``.meta/example.rs`` (-> ``src/lib.rs``).

The track skips all but the first test with ``#[ignore]``; ``--include-ignored`` runs them, so the
test files are left as they are. Exercises whose reference needs crates ship
``.meta/Cargo-example.toml``, which ``config.json`` does not list: it replaces ``Cargo.toml`` when
the reference is in place, and its dependency sections are added to the stub's ``Cargo.toml`` for
stub and candidate runs, so an honest answer may use the crates the exercise's own solution uses.
Crates are fetched once (``setup-runners``) into the runner cache's ``CARGO_HOME``; runs are ``--offline``. The registry
holds every version any exercise fetched, side by side, and an offline resolution takes the newest compatible one
there: so the Cargo.lock each dependency set's fetch resolved is kept with its stamp, and its runs (and its seed of
compiled crates) build with exactly those versions, whatever was fetched after.

A candidate writes Rust sources under ``src/`` only (``src/lib.rs`` and new modules beside it): never
``Cargo.toml``, ``build.rs``, ``.cargo/config.toml`` or a test. Only the integration tests under
``tests/`` run (one test binary per file, so unit tests a candidate adds to ``src/`` never count).

The build comes in two steps, and cargo is not there when the tests run:

1. the library alone (``cargo build --lib``), with ``tests/`` out of its view: it waits under a random folder name
   that no ``include_str!``/``include_bytes!``/``#[path]`` in the solution can name (a candidate runs no code at
   compile time: no ``build.rs``, no proc macros of its own), so a solution that embeds its test file does not build;
2. the test targets (``cargo test --no-run``), once ``tests/`` is back: cargo finds the library fresh and does not
   compile it again (the solution's sources are the same, and those that named ``tests/`` failed in step 1).

Each test binary is then started by itself, under the no-exec launcher, with the test sources (canaries included)
removed from its view, and writes libtest's ``--logfile`` to the host's report pipe (:data:`.base.REPORT_FD_PATH`):
the host takes each line as it is written, so nothing that runs later in the process (an ``atexit`` handler, a
thread still running after the last test) can rewrite the log; lines appended after the real ones report a test
twice, which the verdict refuses. Exercises whose own tests start programs keep ``exec`` (see
:data:`_STARTS_PROGRAMS`). The canaries get ordinary test names (``walnut_bracket_holds``): libtest runs tests in
name order, so they are spread among the exercise's own tests.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from pathlib import PurePosixPath

from .artifacts import ArtifactCache, content_key
from .base import REPORT_FD_PATH, Language, LayoutError, Step, ToolCheck, tool_version
from .lexer import split_parameters
from .canaries import canary_names
from .registry import register
from .reports import Canary, Report, canary_values, TestOutcome, read_report_file

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

logger = logging.getLogger(__name__)
_DEPENDENCY_TABLE = re.compile(r"^(?:target\.[^\]]*\.)?(?:dev-|build-)?dependencies(?:\.|$)")
_LOG_OUTCOMES = {"ok": "passed", "failed": "failed", "ignored": "skipped"}
# A libtest log record starts a line: `ok NAME`, `failed NAME`, `failed: MESSAGE NAME`, `ignored[: MESSAGE] NAME`,
# `failed (time limit exceeded) NAME`. A message may run over several lines (a should_panic test whose panic lacks the
# expected text); its continuation lines start with spaces, and the candidate's part of it is Debug-quoted.
_LOG_RECORD = re.compile(r"(ok|failed|ignored)(?=[ :(])")
# The canaries: one assertion per macro the test file uses, must fail with {a} != {b}; the one that must pass reads
# alike. Which is which is known only to the host.
_FAILING = {
    "assert_eq!": "assert_eq!(std::hint::black_box({a}), {b});",
    "assert!": "assert!(std::hint::black_box({a}) == {b});",
    "assert_ne!": "assert_ne!(std::hint::black_box({b}), {b});",
}
_PASSING = "assert_eq!(std::hint::black_box({b}), {b});"
# The tests are out of the library's view while it builds (step 1): they wait in `<this><random hex>/`.
_STASH_PREFIX = ".tests-"
_BINARIES = "target/polyglot-tests"
# Step 2: the tests back in view, their targets built, and each test binary linked to _BINARIES/<target> (the name
# of a test target is its file's stem; cargo names the binary <crate>-<hash>, the hash unknown in advance).
_BUILD_TESTS = r"""set -e
mv -T -- "$0" tests
cargo test --offline --no-run -q --message-format=json-render-diagnostics --test '*' > target/polyglot-build.json
mkdir -p {binaries}
sed -n 's/^{{"reason":"compiler-artifact".*"target":{{"kind":\["test"\],[^}}]*"name":"\([^"]*\)".*"executable":"\([^"]*\)".*$/\1 \2/p' \
  target/polyglot-build.json | while read -r name exe; do ln -f -- "$exe" "{binaries}/$name"; done
for target in "$@"; do
  [ -x "{binaries}/$target" ] || {{ echo "error: cargo built no test binary for tests/$target.rs" >&2; exit 1; }}
done
""".format(binaries=_BINARIES)
# Test targets that start programs themselves keep exec (and cargo): the polyglot benchmark's rust/macros runs
# `cargo build` on its tests/invalid/*.rs to check that they fail to compile. Found by their source, which is the
# benchmark's (a candidate cannot write tests/).
_STARTS_PROGRAMS = re.compile(r"\bCommand::new\(")


@lru_cache(maxsize=1)
def _rustc_version() -> str:
    return subprocess.run(["rustc", "-vV"], capture_output=True, text=True).stdout


def _dependency_sections(cargo_toml: str) -> dict:
    data = tomllib.loads(cargo_toml)
    keep = ("dependencies", "dev-dependencies", "build-dependencies", "profile", "features")
    return {"edition": data.get("package", {}).get("edition"), **{k: data.get(k) for k in keep}}


def _sections(text: str) -> list[tuple[str, str]]:
    """``(table name, text)`` per top-level TOML table, in order; the preamble has the name ``""``."""
    out: list[tuple[str, list[str]]] = [("", [])]
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith("[") and not stripped.startswith("[["):
            out.append((stripped.strip("[] \t").split("]")[0].strip(), [line]))
        elif stripped.startswith("[["):
            out.append((stripped.strip("[] \t"), [line]))
        else:
            out[-1][1].append(line)
    return [(name, "".join(lines)) for name, lines in out]


def with_dependencies_of(stub_toml: str, example_toml: str) -> str:
    """The stub's ``Cargo.toml`` with its dependency tables replaced by those of the example's manifest."""
    kept = [text for name, text in _sections(stub_toml) if not _DEPENDENCY_TABLE.match(name)]
    added = [text for name, text in _sections(example_toml) if name and _DEPENDENCY_TABLE.match(name)]
    if not added:
        return stub_toml
    merged = "".join(kept).rstrip("\n") + "\n\n" + "\n".join(t.rstrip("\n") + "\n" for t in added)
    tomllib.loads(merged)  # still a manifest
    return merged


def has_dependencies(cargo_toml: str) -> bool:
    try:
        data = tomllib.loads(cargo_toml)
    except tomllib.TOMLDecodeError:
        return False
    return any(data.get(key) for key in ("dependencies", "dev-dependencies"))


def _log_records(text: str) -> list[tuple[str, str]]:
    """(outcome, test name) per record of a libtest log file: the name is a record's last word (test names have no
    spaces; a message, which may, comes between the outcome and the name)."""
    records: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        match = _LOG_RECORD.match(line)
        if match:
            records.append((match.group(1), [line]))
        elif records and line[:1].isspace():
            records[-1][1].append(line)
    out = []
    for outcome, lines in records:
        words = lines[-1].split()
        if len(lines) > 1 or len(words) > 1:
            out.append((_LOG_OUTCOMES[outcome], words[-1]))
    return out


def _stash_tests(workspace: Path) -> Path | None:
    """Move ``tests/`` out of the library build's view, under a random name; the stash when there is one."""
    stash = next(iter(sorted(workspace.glob(f"{_STASH_PREFIX}*"))), None)
    tests = workspace / "tests"
    if stash is None and tests.is_dir():
        stash = workspace / f"{_STASH_PREFIX}{secrets.token_hex(16)}"
        tests.rename(stash)
    return stash


class Rust(Language):
    name = "rust"
    title = "Rust"
    track_names = ("rust",)
    unlisted_references = {".meta/Cargo-example.toml": "Cargo.toml"}
    test_globs = ("tests/*.rs",)
    section_start = re.compile(r"---- .* ----$|failures:$|test result: |running \d{1,9} tests?$")
    count_lines = re.compile(r"running \d+ tests?|test result: .*|[.Fi]+( \d+/\d+)?|failures:")
    run_cost = 3
    programs = ("cargo",)
    # rustup's toolchains, and only ~/.cargo/bin of ~/.cargo (rustup's proxies): the rest may hold registry
    # credentials. The runs get a CARGO_HOME of their own (:meth:`env`).
    home_toolchain = (".rustup", ".cargo/bin")
    host_env = ("RUSTUP_HOME", "RUSTUP_TOOLCHAIN")
    artifact_folders = ("target",)

    fence_tag = "rust"
    source_suffixes = (".rs",)
    raw_strings = True
    char_literal = re.compile(r"'(\\.[^']{0,8}|[^'\\])'")  # a character, not a lifetime such as `'a`
    parenthesized_conditions = False
    inclusive_ranges = True
    function_header = re.compile(
        r"^(\s*)(pub(\([\w:]+\))?\s+)?(const\s+)?(async\s+)?(unsafe\s+)?(extern\s+\"C\"\s+)?fn\s+(?P<name>\w+)")

    # Concepts and constructs (polyglot_hrm.languages.concepts), over code with comments and strings blanked.
    concept_patterns = {
        "iteration": r"\b(for|while|loop)\b|\.(iter|iter_mut|into_iter|chars|bytes|map|filter|fold|for_each)\(",
        "string_processing": r"\.(chars|bytes|to_lowercase|to_uppercase|to_ascii_lowercase|to_ascii_uppercase|split"
                             r"|split_whitespace|trim|is_alphabetic|is_ascii_alphabetic|is_alphanumeric"
                             r"|is_ascii_alphanumeric|is_numeric|is_ascii_digit|starts_with|ends_with)\(|\bString\b|&str\b",
        "mapping": r"\b(HashMap|BTreeMap)\b",
        "sorting": r"\.sort(_by|_by_key|_unstable|_unstable_by|_unstable_by_key)?\(",
        "modular_arithmetic": r"%|\.rem_euclid\(",
        "error_handling": r"\b(Result|Option)\s*<|\b(Err|Some)\(|\bNone\b|\bpanic!",
        "higher_order_functions": r"(?<!\|)\|[^|\n]*\|(?!\|)",  # a closure's parameter list, |x|
    }
    construct_patterns = {
        "static_types": r"\b(i8|i16|i32|i64|i128|isize|u8|u16|u32|u64|u128|usize|f32|f64|bool|char|str|String)\b",
        "classes": r"\b(struct|enum|trait)\s+\w|\bimpl\b",
        "error_values": r"\b(Result|Option)\s*<|\b(Err|Ok)\(",
        "ownership_borrowing": r"&mut\b|&[\w\[(]|\.clone\(\)|\.to_owned\(\)",
        "type_parameters": r"\b(Vec|HashMap|HashSet|BTreeMap|BTreeSet|VecDeque|Option|Result|Box|Rc|Arc|RefCell)\s*<|::<",
        "explicit_casts": r"\bas\s+(i8|i16|i32|i64|i128|isize|u8|u16|u32|u64|u128|usize|f32|f64|char)\b"
                          r"|\b[iu](8|16|32|64|128|size)::from\(",
    }


    identifier_case = "snake"
    reserved_words = frozenset(
        "as async await break const continue crate dyn else enum extern false fn for if impl in let loop match mod "
        "move mut pub ref return self Self static struct super trait true type unsafe use where while abstract "
        "become box do final macro override priv typeof unsized virtual yield try i8 i16 i32 i64 i128 isize u8 u16 "
        "u32 u64 u128 usize f32 f64 bool char str String Vec Option Some None Ok Err Result Box".split())
    local_declaration = re.compile(
        r"^let\s+(?P<mutable>mut\s+)?(?P<name>[a-z_]\w*)(?:\s*:\s*[^=]+?)?\s*=(?!=)\s*(?P<value>\S.*);$")
    index_loops = ((re.compile(r"^for (?P<index>\w+) in 0\.\.(?P<seq>[\w.]+)\.len\(\) \{$"), "{seq}[{index}]"),)
    # `&item` copies each element out, as `seq[index]` did (a non-Copy element does not build: dropped).
    foreach_header = "for &{item} in {seq}.iter() {{"
    tail_expressions = True
    # clippy's explicit_iter_loop: a reference iterates like `.iter()`.
    idioms = (("iterate over `&\\g<seq>` instead of calling `\\g<seq>.iter()`",
               re.compile(r"^(?P<head>\s*for .+ in )(?P<seq>[\w.]+)\.iter\(\)(?P<tail> \{)$"),
               r"\g<head>&\g<seq>\g<tail>"),)

    def helper_header(self, header: str, function: str, helper: str) -> str | None:
        if header[:1].isspace():  # a method in an `impl`: the helper would need `Self::`
            return None
        header = re.sub(r"^pub(\([\w:]+\))?\s+", "", header)
        return super().helper_header(header, function, helper)

    def parameter_names(self, params: str) -> list[str] | None:
        out = []
        for param in split_parameters(params):
            name = param.split(":")[0].strip()
            name = name[4:].strip() if name.startswith("mut ") else name
            if not re.fullmatch(r"[a-z_]\w*", name) or name == "self":
                return None
            out.append(name)
        return out

    def delegate(self, call: str, returns: bool) -> str:
        return call  # the tail expression is the body's value, unit included

    def reference_target(self, example: str, solution_paths: Sequence[str], slug: str) -> str:
        if example.endswith(".rs"):
            for candidate in ("src/lib.rs", "src/main.rs"):
                if candidate in solution_paths:
                    return candidate
            raise LayoutError(f"Rust example {example!r}: no src/lib.rs or src/main.rs among the solution files")
        return super().reference_target(example, solution_paths, slug)

    def stub_tree(self, problem, mode: str) -> dict[str, str]:
        files = super().stub_tree(problem, mode)
        example = next((f.content for f in problem.files_with_role("reference") if f.path == "Cargo.toml"), None)
        if mode != "reference" and example is not None and "Cargo.toml" in files:
            try:
                files["Cargo.toml"] = with_dependencies_of(files["Cargo.toml"], example)
            except tomllib.TOMLDecodeError as err:
                raise LayoutError(f"{problem.id}: the stub's Cargo.toml with the example's dependencies is not "
                                  f"valid TOML ({err}); check .meta/Cargo-example.toml") from None
        return files

    def new_file_problem(self, path: str) -> str | None:
        pure = PurePosixPath(path)
        if pure.parts[0] != "src" or pure.suffix != ".rs" or len(pure.parts) < 2:
            return "a new Rust file must be a module under src/"
        if pure.parts[1] == "bin" or pure.name == "main.rs":
            return "a binary target (cargo would build it as a program, not the library under test)"
        return None

    def add_canaries(self, files: dict[str, str], problem, token: str) -> Canary:
        # One test target carries them: tests of one binary run in parallel threads, and some exercises'
        # tests count allocations through a global allocator (doubly-linked-list's leak tests).
        target = self.first_test_file(files)
        text = files[target]
        a, b = canary_values(token)
        used = [m for m in _FAILING if m in text]
        panics = "should_panic" in text
        names = canary_names(token, 1 + len(used) + panics, lambda words: "_".join(words), text)
        bodies = [_PASSING.format(b=b)] + [_FAILING[m].format(a=a, b=b) for m in used]
        tests = [f"#[test]\nfn {name}() {{\n    {body}\n}}\n" for name, body in zip(names, bodies)]
        if panics:  # a should_panic test that does not panic fails
            tests.append(f"#[test]\n#[should_panic]\nfn {names[-1]}() {{\n    {_PASSING.format(b=b)}\n}}\n")
        files[target] = text.rstrip("\n") + "\n\n" + "\n".join(tests)
        # The report names a test `<target>::<name>` (see read_report).
        ids = [f"{PurePosixPath(target).stem}::{name}" for name in names]
        return Canary(token, (ids[0],), tuple(ids[1:]), shown=tuple(names))

    def prepare(self, workspace: Path, ctx, problem=None) -> None:
        """Seed ``target/`` with the exercise's crates, compiled once per dependency set.

        The manifest is always the benchmark's (candidates cannot write one), and the seed is built
        outside the sandbox from it alone. Cargo's own fingerprints decide what of the seed it
        reuses, so a seed can only save time.
        """
        _stash_tests(workspace)
        manifest = workspace / "Cargo.toml"
        if problem is None or not manifest.is_file():
            return
        text = manifest.read_text()
        if not has_dependencies(text):
            return
        seed = self.dependency_seed(ctx, text)
        if seed is not None:
            shutil.copytree(seed / "target", workspace / "target", symlinks=True, dirs_exist_ok=True)
        lock = seed / "Cargo.lock" if seed is not None else self._fetched_lock(ctx, text)
        if not (workspace / "Cargo.lock").exists() and lock.is_file():
            # The versions fetched for this dependency set: offline, cargo would otherwise take the newest of
            # whatever versions other exercises' fetches left in the registry.
            shutil.copy2(lock, workspace / "Cargo.lock")

    def dependency_seed(self, ctx, cargo_toml: str) -> Path | None:
        fetched = self._fetched_lock(ctx, cargo_toml)
        if not fetched.is_file():
            return None  # not fetched: the run is an error naming setup-runners (missing_dependency)
        locked = fetched.read_text()
        key = content_key("rust-seed-v2", json.dumps(_dependency_sections(cargo_toml), sort_keys=True), locked,
                          _rustc_version(), str(ctx.path("cargo")))

        def build(folder: Path) -> None:
            with tempfile.TemporaryDirectory() as tmp:
                crate = Path(tmp) / "seed"
                (crate / "src").mkdir(parents=True)
                (crate / "src" / "lib.rs").write_text("")
                data = tomllib.loads(cargo_toml)
                name = data.get("package", {}).get("name", "seed")
                (crate / "Cargo.toml").write_text(cargo_toml)
                (crate / "Cargo.lock").write_text(locked)
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

    def steps(self, workspace: Path, ctx, problem, report_dir: Path) -> list[Step]:
        env = self.env(workspace, ctx)
        stash = _stash_tests(workspace)
        targets = sorted(p.stem for p in stash.glob("*.rs")) if stash is not None else []
        # 1. The library alone: the tests are not where a solution could name them.
        steps = [Step(["cargo", "build", "--offline", "-q", "--lib"], env=env, compiles=True)]
        if stash is not None:  # 2. The tests back, their targets built; 3. each test binary by itself.
            steps.append(Step(["bash", "-c", _BUILD_TESTS, stash.name, *targets], env=env, compiles=True))
            steps += [self._test_step(workspace, stash / f"{target}.rs", env) for target in targets]
        return steps

    @staticmethod
    def _test_step(workspace: Path, source: Path, env: dict[str, str]) -> Step:
        """The test binary of the target built from ``source``, started directly. Its log goes to the host's report
        pipe, line by line as libtest writes it: an exit handler or a thread that outlives the last test can only
        add lines (a test reported twice is refused), never rewrite what was written."""
        starts_programs = bool(_STARTS_PROGRAMS.search(source.read_text(errors="replace")))
        argv = [str(workspace / _BINARIES / source.stem), "--include-ignored", "-q", "--logfile", REPORT_FD_PATH]
        # CARGO_MANIFEST_DIR: what `cargo test` sets for a test binary it runs.
        return Step(argv, env={**env, "CARGO_MANIFEST_DIR": str(workspace)}, noexec=not starts_programs,
                    hide=("tests/*.rs",), report=f"{source.stem}.log")

    def read_report(self, report_dir: Path, output: str) -> Report | None:
        report = Report()
        for log in sorted(report_dir.glob("*.log"))[:64]:
            data = read_report_file(log)
            for outcome, name in _log_records((data or b"").decode("utf-8", "replace")):
                report.tests.append(TestOutcome(f"{log.stem}::{name}", outcome))  # type: ignore[arg-type]
        return report if report.tests else None

    def is_compile_error(self, output: str, returncode: int | None) -> bool:
        return "could not compile" in output or "error[E" in output

    # ------------------------------------------------------------------ provisioning

    def manifests(self, problems: Sequence) -> list[str]:
        """Every distinct Cargo.toml (reference, and the stub with the reference's dependencies) that needs crates."""
        found = set()
        for p in problems:
            if p.language == self.name:
                found.update(t for mode in ("stub", "reference") if has_dependencies(t := self.stub_tree(p, mode).get("Cargo.toml", "")))
        return sorted(found)

    def provision(self, ctx, problems: Sequence) -> list[str]:
        home = ctx.path("cargo")
        home.mkdir(parents=True, exist_ok=True)
        done = []
        for manifest in self.manifests(problems):
            stamp = self._fetched_stamp(ctx, manifest)
            if stamp.is_file() and self._fetched_lock(ctx, manifest).is_file():
                continue
            # (A stamp without its lock was written by a version that kept none: fetched again, to pin the versions.)
            stamp.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory() as tmp:
                (Path(tmp) / "src").mkdir()
                (Path(tmp) / "src" / "lib.rs").write_text("")
                (Path(tmp) / "Cargo.toml").write_text(manifest)
                env = {**ctx.base_env(), "CARGO_HOME": str(home)}
                subprocess.run(["cargo", "fetch", "-q"], cwd=tmp, env=env, check=True)
                # The versions this fetch resolved, kept for the set: its runs build with them (see prepare).
                shutil.copy2(Path(tmp) / "Cargo.lock", self._fetched_lock(ctx, manifest))
            stamp.write_text(manifest)  # last: a stamp always has its lock
            name = tomllib.loads(manifest).get("package", {}).get("name", "?")
            done.append(f"fetched the crates of {name}'s Cargo.toml into {home}")
        return done

    @staticmethod
    def _fetched_stamp(ctx, manifest: str) -> Path:
        """Stamp of a fetched dependency set: keyed by the dependency tables, not the whole manifest."""
        deps = {k: v for k, v in tomllib.loads(manifest).items() if _DEPENDENCY_TABLE.match(k) or k == "target"}
        key = hashlib.sha256(json.dumps(deps, sort_keys=True).encode()).hexdigest()
        return ctx.path("cargo") / "fetched" / key

    @classmethod
    def _fetched_lock(cls, ctx, manifest: str) -> Path:
        """The Cargo.lock the fetch of ``manifest``'s dependency set resolved (beside its stamp)."""
        stamp = cls._fetched_stamp(ctx, manifest)
        return stamp.with_name(stamp.name + ".lock")

    def missing_dependency(self, problem, ctx) -> str | None:
        for mode in ("stub", "reference"):
            manifest = self.stub_tree(problem, mode).get("Cargo.toml", "")
            if has_dependencies(manifest) and not (self._fetched_stamp(ctx, manifest).is_file()
                                                   and self._fetched_lock(ctx, manifest).is_file()):
                return (f"the crates {problem.id}'s Cargo.toml needs are not fetched; run `polyglot-hrm setup-runners "
                        f"--benchmark-root DIR --languages rust` (needs network once)")
        return None

    def host_env_defaults(self) -> dict[str, str]:
        # The runs get their own CARGO_HOME; rustup must still find its toolchains.
        rustup = Path.home() / ".rustup"
        return {"RUSTUP_HOME": str(rustup)} if rustup.is_dir() else {}

    def toolchain(self) -> list[ToolCheck]:
        return [ToolCheck("cargo", tool_version(["cargo", "--version"]), "install Rust with rustup"),
                ToolCheck("rustc", tool_version(["rustc", "--version"]), "install Rust with rustup")]


RUST = register(Rust())
