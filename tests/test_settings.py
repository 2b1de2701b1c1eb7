"""The benchmark root (issue 25): one rule in every command and library entry point that reads a benchmark
(``--benchmark-root``, else ``$POLYGLOT_BENCHMARK_ROOT``, else the built-in mini-benchmark) and one log line
saying which root was read and why.

Before issue 25, ``build`` and ``export`` ignored the variable: with it set to the real benchmark, ``export``
wrote the mini-benchmark. Every command below is stopped at its first read of a tree (no build, no code run), and
the tree it was about to read is checked.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
from pathlib import Path
from typing import Callable

import pytest

from polyglot_hrm.benchmark import PolyglotBenchmarkExtractor
from polyglot_hrm.settings import (BENCHMARK_ROOT_ENV, BenchmarkRoot, command_benchmark_root, mini_benchmark_root,
                                   resolve_benchmark_root)

REPO = Path(__file__).resolve().parents[1]


class Read(Exception):
    """Raised where a command first reads a benchmark tree: the test stops there."""


@pytest.fixture
def reads(monkeypatch) -> list[Path]:
    """The trees commands start to read (each read stops the command with :class:`Read`)."""
    seen: list[Path] = []

    def extract(self):
        seen.append(Path(self.root).resolve())
        raise Read(str(self.root))

    monkeypatch.setattr(PolyglotBenchmarkExtractor, "extract", extract)
    return seen


def copy_of_mini(dest: Path, slugs=("digit-sum", "tally-words")) -> Path:
    """A benchmark tree that is not the mini-benchmark: a few of its Python exercises, copied."""
    for slug in slugs:
        shutil.copytree(mini_benchmark_root() / "python" / "exercises" / "practice" / slug,
                        dest / "python" / "exercises" / "practice" / slug)
    return dest.resolve()


def _cli(*args: str) -> int:
    from polyglot_hrm.cli import main

    return main(list(args))


def _train_py(*args: str) -> int:
    spec = importlib.util.spec_from_file_location("trainer_train", REPO / "trainer" / "train.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main(list(args))


def _benchmark_module(*args: str) -> int:
    from polyglot_hrm.benchmark.__main__ import main

    return main(list(args))


def _dataset_script(tmp: Path, root: Path | None) -> None:
    """The dataset script's builder, as a user calls it (``data_dir`` plays the flag)."""
    from polyglot_hrm_dataset import PolyglotHRM

    kwargs = {"data_dir": str(root)} if root else {}
    builder = PolyglotHRM(config_name="generation", cache_dir=str(tmp / "hf"), verify_by_execution=False, **kwargs)
    builder.download_and_prepare()


def _flag(root: Path | None) -> list[str]:
    return ["--benchmark-root", str(root)] if root else []


#: Every command that reads a benchmark tree: (tmp folder, --benchmark-root or None) -> runs it.
COMMANDS: dict[str, Callable[[Path, Path | None], object]] = {
    "extract": lambda tmp, root: _cli("extract", *_flag(root), "--output", str(tmp / "problems.json")),
    "stats": lambda tmp, root: _cli("stats", *_flag(root)),
    "run": lambda tmp, root: _cli("run", *_flag(root), "--problem", "python/digit-sum"),
    "validate": lambda tmp, root: _cli("validate", *_flag(root), "--jobs", "1"),
    "setup-runners": lambda tmp, root: _cli("setup-runners", *_flag(root)),
    "evaluate": lambda tmp, root: _cli("evaluate", *_flag(root), "--write-solutions", str(tmp / "solutions.json")),
    "build": lambda tmp, root: _cli("build", *_flag(root), "--configs", "generation", "--verify", "off",
                                    "--cache-dir", str(tmp / "hf")),
    "export": lambda tmp, root: _cli("export", *_flag(root), "--configs", "generation", "--verify", "off",
                                     "--cache-dir", str(tmp / "hf"), "--out", str(tmp / "export")),
    "demo": lambda tmp, root: _cli("demo", *_flag(root), "--output-dir", str(tmp / "demo")),
    "trainer/train.py": lambda tmp, root: _train_py("--recipe", str(REPO / "trainer" / "recipes" / "tiny.yaml"),
                                                    *_flag(root), "--output-dir", str(tmp / "run"),
                                                    "--cache-dir", str(tmp / "hf"), "polyglot.configs=[generation]"),
    "python -m polyglot_hrm.benchmark": lambda tmp, root: _benchmark_module(*_flag(root), "--output",
                                                                            str(tmp / "problems.json")),
    "polyglot_hrm_dataset.py (data_dir)": _dataset_script,
}
LIBRARY = {"polyglot_hrm_dataset.py (data_dir)"}  # given a root, a library call does not log it (its caller chose)


def _run(command: str, tmp: Path, root: Path | None) -> None:
    with pytest.raises(Read):
        COMMANDS[command](tmp, root)


def _said(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "polyglot_hrm.settings"]


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_reads_the_root_by_one_rule_and_says_which(command, tmp_path, reads, monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="polyglot_hrm.settings")
    monkeypatch.setenv("POLYGLOT_HRM_ALLOW_CODE_EXECUTION", "1")  # demo asks first; nothing runs (stopped at the read)
    other = copy_of_mini(tmp_path / "other-tree")
    mini = mini_benchmark_root().resolve()

    # Only the variable: it is the root.
    monkeypatch.setenv(BENCHMARK_ROOT_ENV, str(other))
    _run(command, tmp_path / "env", None)
    assert reads == [other], f"{command} read {reads[0]} with only ${BENCHMARK_ROOT_ENV}={other} set"
    assert f"benchmark root: {other} (from ${BENCHMARK_ROOT_ENV})" in _said(caplog)

    # The flag (or the library's parameter) wins over the variable.
    reads.clear(), caplog.clear()
    _run(command, tmp_path / "flag", mini)
    assert reads == [mini], f"{command} read {reads[0]}, not --benchmark-root {mini}"
    if command not in LIBRARY:
        assert _said(caplog) == [f"benchmark root: {mini} (from --benchmark-root)"]

    # Neither: the built-in mini-benchmark, said so.
    reads.clear(), caplog.clear()
    monkeypatch.delenv(BENCHMARK_ROOT_ENV)
    _run(command, tmp_path / "none", None)
    assert reads == [mini]
    said = _said(caplog)
    assert len(said) == 1 and said[0].startswith(f"benchmark root: {mini} (the built-in mini-benchmark: neither ")


def test_export_with_only_the_variable_exports_that_tree_and_its_card_says_so(tmp_path, monkeypatch, capsys):
    """The issue's case: the variable names a benchmark clone; the export is that clone's rows, and its card names
    Aider's benchmark (a clone's folder name), not the mini-benchmark."""
    import datasets

    clone = copy_of_mini(tmp_path / "polyglot-benchmark", ("caesar-shift", "digit-sum", "tally-words"))
    monkeypatch.setenv(BENCHMARK_ROOT_ENV, str(clone))
    out = tmp_path / "export"
    assert _cli("export", "--configs", "generation", "--verify", "off", "--cache-dir", str(tmp_path / "hf"),
                "--out", str(out)) == 0
    assert f"exported generation (3 rows) from {clone} to {out}" in capsys.readouterr().out
    rows = datasets.load_dataset(str(out), "generation", cache_dir=str(tmp_path / "hf-load"))
    assert sum(d.num_rows for d in rows.values()) == 3
    assert {r for d in rows.values() for r in d["problem_id"]} == {f"python/{s}" for s in
                                                                  ("caesar-shift", "digit-sum", "tally-words")}
    card = (out / "README.md").read_text()
    assert "Training data made from [Aider's polyglot benchmark](" in card
    assert "* `polyglot-benchmark`: [Aider's polyglot benchmark](" in card
    assert "mini-benchmark" not in card.split("## Rows")[0]


# ----------------------------------------------------------------------------------------------- the rule


def test_the_rule_given_then_variable_then_mini(tmp_path):
    a, b = copy_of_mini(tmp_path / "a", ("digit-sum",)), copy_of_mini(tmp_path / "b", ("digit-sum",))
    env = {BENCHMARK_ROOT_ENV: str(b)}
    assert resolve_benchmark_root(a, environ=env) == BenchmarkRoot((a,), "given")
    assert resolve_benchmark_root(None, environ=env) == BenchmarkRoot((b,), "env")
    assert resolve_benchmark_root(None, environ={}) == BenchmarkRoot((mini_benchmark_root(),), "mini")
    assert resolve_benchmark_root(None, environ={BENCHMARK_ROOT_ENV: " "}).origin == "mini"  # empty: not set
    assert resolve_benchmark_root([], environ=env).origin == "env"  # an empty list gives no root
    several = resolve_benchmark_root(f"{a}{os.pathsep}{b}", environ={})
    assert several.roots == (a, b) and several.data_dir == f"{a}{os.pathsep}{b}"
    assert resolve_benchmark_root(several) is several  # resolved once, passed down as is
    with pytest.raises(ValueError, match=r"benchmark_root: 2 roots"):
        several.path


def test_a_missing_root_is_an_error_naming_where_it_came_from(tmp_path, monkeypatch, capsys):
    missing = tmp_path / "missing"
    with pytest.raises(FileNotFoundError, match=rf"\${BENCHMARK_ROOT_ENV}={missing}: .*no such directory.*unset it"):
        resolve_benchmark_root(None, environ={BENCHMARK_ROOT_ENV: str(missing)})
    with pytest.raises(FileNotFoundError, match=r"^data_dir='.*missing': no such directory"):
        resolve_benchmark_root(missing, name="data_dir", environ={})
    with pytest.raises(FileNotFoundError, match=r"^--benchmark-root .*missing: no such directory"):
        command_benchmark_root(missing)
    # A command does not fall back to another tree: it stops, naming the variable.
    monkeypatch.setenv(BENCHMARK_ROOT_ENV, str(missing))
    assert _cli("export", "--out", str(tmp_path / "x"), "--verify", "off") == 2
    assert f"${BENCHMARK_ROOT_ENV}={missing}" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_library_entry_points_follow_the_rule(tmp_path, monkeypatch, reads, caplog):
    """load_cases, build_datasets and train take None as the commands do: the variable, else the mini-benchmark."""
    from polyglot_hrm.dataset.export import build_datasets
    from polyglot_hrm.evaluation.cases import load_cases

    caplog.set_level(logging.INFO, logger="polyglot_hrm.settings")
    other = copy_of_mini(tmp_path / "other-tree")
    monkeypatch.setenv(BENCHMARK_ROOT_ENV, str(other))
    for call in (lambda: load_cases(), lambda: build_datasets(None, ["generation"], str(tmp_path / "hf"))):
        with pytest.raises(Read):
            call()
    assert reads == [other, other]
    assert _said(caplog) == [f"benchmark root: {other} (from ${BENCHMARK_ROOT_ENV})"] * 2
    with pytest.raises(ValueError, match=r"Can't provide both `benchmark_root` and `problems_json`"):
        load_cases(benchmark_root=other, problems_json=tmp_path / "p.json")


def test_help_says_the_rule_where_a_root_is_taken(monkeypatch):
    from polyglot_hrm.cli import build_parser

    monkeypatch.setenv("COLUMNS", "1000")  # argparse wraps at hyphens too
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices
    for name in ("extract", "stats", "run", "validate", "setup-runners", "evaluate", "build", "export", "demo"):
        text = " ".join(sub[name].format_help().split())
        assert f"${BENCHMARK_ROOT_ENV}, else the built-in mini-benchmark" in text, name
