"""JavaScript's dependency sets: each exercise runs with the npm packages it declares, whatever else was provisioned.

Two written exercises, in the mini-benchmark's layout, need different majors of one package (``pad-kit``: 1.x has
``padLeft``, 2.x removed it for ``padStart``, as Jest 30 removed ``toThrowError``); each passes only with its own.
Offline: a fake ``npm`` (on ``PATH``) installs from a local folder of packages, and takes Jest and Babel from the set
the session provisioned for the mini-benchmark (hard links).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
import threading
from pathlib import Path

import pytest

from conftest import write_exercise
from polyglot_hrm.problems.reader import load_benchmark
from polyglot_hrm.execution import RunTask, run_many, run_problem
from polyglot_hrm.execution.provision import setup_runners
from polyglot_hrm.languages.context import RunnerContext
from polyglot_hrm.languages.javascript import DEV_DEPENDENCIES, JAVASCRIPT, DependencySet

# Installs from $FAKE_NPM_REGISTRY/<name>/<version>/ (the highest version of the spec's major) into ./node_modules,
# over a hard-linked copy of $FAKE_NPM_SEED (Jest, Babel); logs each install; anything but `install` is the real npm.
FAKE_NPM = r'''#!{python}
import json, os, shutil, sys
if sys.argv[1:2] != ["install"]:
    os.execv(os.environ["FAKE_NPM_REAL"], ["npm", *sys.argv[1:]])
wanted = json.load(open("package.json"))["devDependencies"]
with open(os.environ["FAKE_NPM_LOG"], "a") as log:
    log.write(json.dumps({{"cwd": os.getcwd(), "packages": wanted}}) + "\n")
seed, registry = os.environ["FAKE_NPM_SEED"], os.environ["FAKE_NPM_REGISTRY"]
def link(src, dst):
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
shutil.copytree(seed, "node_modules", symlinks=True, copy_function=link, dirs_exist_ok=True)
for name, spec in wanted.items():
    folder = os.path.join(registry, name)
    if not os.path.isdir(folder):
        if not os.path.isdir(os.path.join("node_modules", name)):
            sys.exit(f"npm error 404 Not Found - {{name}}")
        continue
    major = spec.lstrip("^~").split(".")[0]
    versions = sorted((v for v in os.listdir(folder) if v.split(".")[0] == major),
                      key=lambda v: tuple(map(int, v.split("."))))
    if not versions:
        sys.exit(f"npm error notarget No matching version found for {{name}}@{{spec}}.")
    shutil.rmtree(os.path.join("node_modules", name), ignore_errors=True)
    shutil.copytree(os.path.join(folder, versions[-1]), os.path.join("node_modules", name))
'''

PAD_KIT = {
    "1.4.0": "exports.version = '1.4.0';\nexports.padLeft = (text, width) => text.padStart(width);\n",
    "2.1.0": "exports.version = '2.1.0';\nexports.padStart = (text, width) => text.padStart(width);\n",
}
# slug -> (pad-kit spec, the function of that major the reference calls)
EXERCISES = {"old-pad": ("^1.0.0", "padLeft"), "new-pad": ("^2.0.0", "padStart"), "future-pad": ("^3.0.0", "padStart")}
TESTS = 3


def _exercise(root: Path, slug: str) -> None:
    spec, function = EXERCISES[slug]
    major = spec.lstrip("^").split(".")[0]
    manifest = {"name": f"@polyglot-hrm/javascript-{slug}", "private": True,
                "devDependencies": {**DEV_DEPENDENCIES, "pad-kit": spec, "eslint": "^8.49.0"}}
    write_exercise(root / "javascript" / "exercises" / "practice" / slug, {
        f"{slug}.js": "export const pad = (text, width) => {\n  throw new Error('Remove this statement');\n};\n",
        ".meta/proof.ci.js": f"import {{ {function} }} from 'pad-kit';\n\n"
                             f"export const pad = (text, width) => {function}(text, width);\n",
        f"{slug}.spec.js": (f"import {{ pad }} from './{slug}';\nimport {{ version }} from 'pad-kit';\n\n"
                            f"describe('pad', () => {{\n"
                            f"  test('pads on the left', () => {{\n    expect(pad('a', 3)).toEqual('  a');\n  }});\n\n"
                            f"  xtest('leaves a long text alone', () => {{\n    expect(pad('abcd', 2)).toEqual('abcd');\n  }});\n\n"
                            f"  xtest('the tests see the major the exercise declares', () => {{\n"
                            f"    expect(version.split('.')[0]).toEqual('{major}');\n  }});\n}});\n"),
        "package.json": json.dumps(manifest, indent=2) + "\n",
        "babel.config.js": "module.exports = {\n  presets: ['@exercism/babel-preset-javascript'],\n  plugins: [],\n};\n",
    }, {"authors": ["polyglot-hrm"], "blurb": "Pad a text.",
        "files": {"solution": [f"{slug}.js"], "test": [f"{slug}.spec.js"], "example": [".meta/proof.ci.js"]}})


@pytest.fixture(scope="module")
def seed(mini_problems) -> Path:
    """The node_modules the session provisioned for the mini-benchmark (real npm, once)."""
    setup_runners([p for p in mini_problems if p.language == "javascript"], ["javascript"])
    seed = JAVASCRIPT.modules_dir(RunnerContext())
    assert (seed / "jest" / "bin" / "jest.js").is_file()
    return seed


@pytest.fixture
def pads(tmp_path, monkeypatch, seed):
    """{slug: problem} of the written exercises, a fresh runner cache, and the fake npm on PATH (its log's path)."""
    registry = tmp_path / "registry"
    for version, source in PAD_KIT.items():
        package = registry / "pad-kit" / version
        package.mkdir(parents=True)
        (package / "package.json").write_text(json.dumps({"name": "pad-kit", "version": version, "main": "index.js"}))
        (package / "index.js").write_text(source)
    bench = tmp_path / "bench"
    for slug in EXERCISES:
        _exercise(bench, slug)
    fake = tmp_path / "bin" / "npm"
    fake.parent.mkdir()
    fake.write_text(FAKE_NPM.format(python=sys.executable))
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "npm.log"
    monkeypatch.setenv("FAKE_NPM_REAL", shutil.which("npm"))
    monkeypatch.setenv("FAKE_NPM_SEED", str(seed))
    monkeypatch.setenv("FAKE_NPM_REGISTRY", str(registry))
    monkeypatch.setenv("FAKE_NPM_LOG", str(log))
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    problems = {p.slug: p for p in load_benchmark(bench, ["javascript"], strict=True)}
    return problems, log


def _installs(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.is_file() else []


def _passed(result) -> tuple:
    return result.status, result.tests_passed, result.tests_total


@pytest.mark.slow
@pytest.mark.parametrize("order", [("old-pad", "new-pad"), ("new-pad", "old-pad")])
def test_each_exercise_runs_with_the_major_it_declares_in_either_order(pads, tmp_path, order):
    """One runner cache, one exercise after the other: the second is not run with the first one's install."""
    problems, log = pads
    ctx = RunnerContext(cache_dir=tmp_path / "cache")
    for slug in order:
        result = run_problem(problems[slug], mode="reference", timeout=120, ctx=ctx)
        assert _passed(result) == ("passed", TESTS, TESTS), f"{slug}: {result.output}"
    assert [i["packages"]["pad-kit"] for i in _installs(log)] == [EXERCISES[slug][0] for slug in order]


@pytest.mark.slow
def test_one_batch_installs_each_set_once_and_a_set_that_cannot_be_had_is_an_error_naming_it(pads, tmp_path):
    """No merged manifest in which the last exercise's version wins: every distinct set once, each as declared; the
    set no registry has is that exercise's `error` (naming the set and the command), never its neighbours'."""
    problems, log = pads
    ctx = RunnerContext(cache_dir=tmp_path / "cache")
    order = ["new-pad", "future-pad", "old-pad", "new-pad"]
    results = run_many([RunTask(problems[slug], mode="reference") for slug in order], jobs=2, timeout=120, ctx=ctx,
                       progress=False)
    by_slug = dict(zip(order, results))
    for slug in ("old-pad", "new-pad"):
        assert _passed(by_slug[slug]) == ("passed", TESTS, TESTS), f"{slug}: {by_slug[slug].output}"
    future = by_slug["future-pad"]
    key = JAVASCRIPT.dependency_set(problems["future-pad"]).key
    assert future.status == "error" and f"npm dependency set {key} (" in future.output, future.output
    assert "pad-kit@^3.0.0" in future.output and "setup-runners" in future.output
    assert sorted(i["packages"]["pad-kit"] for i in _installs(log)) == ["^1.0.0", "^2.0.0", "^3.0.0"]
    assert not JAVASCRIPT.installed(ctx, JAVASCRIPT.dependency_set(problems["future-pad"]))
    assert not list((tmp_path / "cache" / "javascript" / "deps").glob("*.partial"))  # the failed install left nothing


# ------------------------------------------------------------------ keys and installs, without running tests


def _problem(tmp_path: Path, slug: str, manifest: dict | None, extra: dict[str, str] | None = None):
    files = {f"{slug}.js": "export const f = () => 1;\n", f"{slug}.spec.js": "test('t', () => {});\n",
             ".meta/proof.ci.js": "export const f = () => 1;\n", **(extra or {})}
    if manifest is not None:
        files["package.json"] = json.dumps(manifest)
    root = tmp_path / slug
    write_exercise(root / "javascript" / "exercises" / "practice" / slug, files, {
        "files": {"solution": [f"{slug}.js"], "test": [f"{slug}.spec.js"], "example": [".meta/proof.ci.js"]}})
    (problem,) = load_benchmark(root, ["javascript"])
    return problem


def test_a_set_is_keyed_by_the_declared_versions_not_the_names(tmp_path):
    base = {"name": "a", "description": "one", "devDependencies": dict(DEV_DEPENDENCIES)}
    default = JAVASCRIPT.dependency_set()
    same = [_problem(tmp_path, "same", {**base, "name": "b", "description": "two"}),
            _problem(tmp_path, "lint", {**base, "devDependencies": {**DEV_DEPENDENCIES, "eslint": "^9.0.0",
                                                                   "@types/node": "^24.0.0"}}),
            _problem(tmp_path, "bare", None),
            _problem(tmp_path, "pnpm", base, {"pnpm-lock.yaml": "lockfileVersion: '9.0'\n"})]
    assert {JAVASCRIPT.dependency_set(p).key for p in same} == {default.key}
    jest30 = _problem(tmp_path, "jest30", {**base, "devDependencies": {**DEV_DEPENDENCIES, "jest": "^30.2.0"}})
    extra = _problem(tmp_path, "extra", {**base, "dependencies": {"pad-kit": "^1.0.0"}})
    locked = _problem(tmp_path, "locked", base, {"package-lock.json": '{"lockfileVersion": 3}\n'})
    keys = {JAVASCRIPT.dependency_set(p).key for p in (jest30, extra, locked)}
    assert len(keys) == 3 and default.key not in keys
    assert dict(JAVASCRIPT.dependency_set(jest30).packages)["jest"] == "^30.2.0"
    assert JAVASCRIPT.dependency_set(jest30).describe().startswith("jest@^30.2.0, @babel/core@^7.25.2")


def test_a_package_json_that_is_no_manifest_is_an_error_naming_it(tmp_path):
    problem = _problem(tmp_path, "broken", None, {"package.json": "[1, 2"})
    why = JAVASCRIPT.missing_dependency(problem, RunnerContext(cache_dir=tmp_path / "cache"))
    assert why.startswith("javascript/broken: package.json is not an npm manifest")


@pytest.fixture
def npm_stub(tmp_path, monkeypatch):
    """An npm whose install writes a Jest stand-in after $NPM_STUB_SECONDS, or fails when $NPM_STUB_FAIL is set."""
    fake = tmp_path / "stub-bin" / "npm"
    fake.parent.mkdir()
    fake.write_text(f"#!{sys.executable}\nimport os, sys, time\n"
                    "if sys.argv[1:2] != ['install']:\n"
                    f"    os.execv({shutil.which('npm')!r}, ['npm', *sys.argv[1:]])\n"
                    "os.makedirs('node_modules/jest/bin')\ntime.sleep(float(os.environ.get('NPM_STUB_SECONDS', '0')))\n"
                    "if os.environ.get('NPM_STUB_FAIL'):\n    sys.exit('npm error network')\n"
                    "open('node_modules/jest/bin/jest.js', 'w').write('// jest')\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    return RunnerContext(cache_dir=tmp_path / "cache")


def test_an_install_that_fails_or_was_interrupted_never_looks_complete(npm_stub, monkeypatch):
    ctx, wanted = npm_stub, DependencySet.of({**DEV_DEPENDENCIES, "pad-kit": "^1.0.0"})
    deps = ctx.path("javascript", "deps")
    deps.mkdir(parents=True)
    interrupted = deps / f"{wanted.key}.abc123.partial"  # an install killed half-way, a day ago
    (interrupted / "node_modules" / "jest" / "bin").mkdir(parents=True)
    (interrupted / "node_modules" / "jest" / "bin" / "jest.js").write_text("// half")
    os.utime(interrupted, (0, 0))
    monkeypatch.setenv("NPM_STUB_FAIL", "1")
    with pytest.raises(Exception):
        JAVASCRIPT.install(ctx, wanted)
    assert not JAVASCRIPT.installed(ctx, wanted) and not JAVASCRIPT.set_dir(ctx, wanted).exists()
    assert list(deps.iterdir()) == []  # the failed install's folder is gone, and the stale one with it
    monkeypatch.delenv("NPM_STUB_FAIL")
    assert JAVASCRIPT.install(ctx, wanted) is True
    assert JAVASCRIPT.installed(ctx, wanted) and JAVASCRIPT.install(ctx, wanted) is False
    manifest = json.loads((JAVASCRIPT.set_dir(ctx, wanted) / "package.json").read_text())
    assert manifest["devDependencies"] == dict(wanted.packages)


def test_two_installers_of_one_set_leave_one_whole_set(npm_stub, monkeypatch):
    ctx, wanted = npm_stub, DependencySet.of(dict(DEV_DEPENDENCIES))
    monkeypatch.setenv("NPM_STUB_SECONDS", "0.5")
    outcomes: list = []
    threads = [threading.Thread(target=lambda: outcomes.append(JAVASCRIPT.install(ctx, wanted))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == [True, True]  # each installed; one rename won, the other's copy was dropped
    assert JAVASCRIPT.installed(ctx, wanted)
    assert [p.name for p in ctx.path("javascript", "deps").iterdir()] == [wanted.key]
    assert JAVASCRIPT.provision_summary(ctx).startswith(f"ok: 1 npm set(s): jest ? ({wanted.key})")
