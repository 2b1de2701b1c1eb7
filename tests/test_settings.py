"""Settings said once (issue 24, item 5): the timeouts' and generation options' defaults, the environment read in
one module, argparse and flags on the command line's side only, and the benchmark root (issue 25): one rule in
every command and library entry point that reads a benchmark (``--benchmark-root``, else
``$POLYGLOT_BENCHMARK_ROOT``, else the built-in mini-benchmark) and one log line saying which root was read and
why.

Before issue 25, ``build`` and ``export`` ignored the variable: with it set to the real benchmark, ``export``
wrote the mini-benchmark. Every command below is stopped at its first read of a tree (no build, no code run), and
the tree it was about to read is checked.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import inspect
import logging
import os
import re
import shutil
from pathlib import Path
from typing import Callable

import pytest

from polyglot_hrm import settings
from polyglot_hrm.problems import PolyglotBenchmarkExtractor
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
    from polyglot_hrm.problems.__main__ import main

    return main(list(args))


_METRIC: list = []


def _metric(tmp: Path, root: Path | None) -> object:
    """The `polyglot_exec` metric, loaded by path as users do, scoring a reference that names a problem (with
    ``benchmark_root`` playing the flag)."""
    import evaluate

    if not _METRIC:
        _METRIC.append(evaluate.load(str(REPO / "metrics" / "polyglot_exec")))
    reference = {"problem_id": "python/digit-sum", **({"benchmark_root": str(root)} if root else {})}
    return _METRIC[0].compute(predictions=[[{"digit_sum.py": ""}]], references=[reference])


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
    "python -m polyglot_hrm.problems": lambda tmp, root: _benchmark_module(*_flag(root), "--output",
                                                                            str(tmp / "problems.json")),
    "polyglot_hrm_dataset.py (data_dir)": _dataset_script,
    "metrics/polyglot_exec (benchmark_root)": _metric,
}
#: Given a root, a library call does not log it (its caller chose it).
LIBRARY = {"polyglot_hrm_dataset.py (data_dir)", "metrics/polyglot_exec (benchmark_root)"}


def _run(command: str, tmp: Path, root: Path | None) -> None:
    from polyglot_hrm.scoring import candidates

    candidates._benchmark.cache_clear()  # the metric reads a tree once per process: what an earlier test read
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


# ------------------------------------------------------------------------------------- defaults, said once


def _default(function: Callable, name: str) -> object:
    return inspect.signature(function).parameters[name].default


def _flag_default(command: str, flag: str) -> object:
    from polyglot_hrm.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command").choices[command]
    return next(a for a in sub._actions if flag in a.option_strings).default


def test_every_timeout_default_is_the_settings_one():
    """Issue 24: 180 s in the evaluation library, ``auto`` in ``evaluate``, 60 s in the callback, each written
    where it was used. Now each entry point's default is one of the settings', by name."""
    from polyglot_hrm.dataset.config import DatasetOptions
    from polyglot_hrm.dataset.validate import check_rows
    from polyglot_hrm.evaluation.protocol import evaluate_backend
    from polyglot_hrm.evaluation.system import (PolyglotEvaluationSystem, evaluate_candidates, evaluate_model,
                                                evaluate_solutions)
    from polyglot_hrm.execution import run_many, run_problem
    from polyglot_hrm.scoring import score_candidates
    from polyglot_hrm.training.callbacks import ExecutionEvalCallback, evaluate_by_execution
    from polyglot_hrm.training.config import PolyglotTrainingConfig

    for function in (evaluate_backend, evaluate_model, evaluate_solutions, evaluate_candidates,
                     PolyglotEvaluationSystem.__init__):
        assert _default(function, "timeout") == settings.EVALUATION_TIMEOUT == "auto", function.__qualname__
    assert _flag_default("evaluate", "--timeout") == settings.EVALUATION_TIMEOUT
    for function in (run_many, run_problem, score_candidates, check_rows):
        assert _default(function, "timeout") == settings.DEFAULT_TIMEOUT == 180.0, function.__qualname__
    for command in ("run", "validate"):
        assert _flag_default(command, "--timeout") == settings.DEFAULT_TIMEOUT
    metric = importlib.util.spec_from_file_location("polyglot_exec", REPO / "metrics" / "polyglot_exec" /
                                                    "polyglot_exec.py")
    module = importlib.util.module_from_spec(metric)
    metric.loader.exec_module(module)
    assert _default(module.PolyglotExec._compute, "timeout") == settings.DEFAULT_TIMEOUT
    # The shorter budgets where a run waits on them.
    assert _default(evaluate_by_execution, "timeout") == settings.TRAINING_EVAL_TIMEOUT == 60.0
    assert ExecutionEvalCallback([], None).timeout == PolyglotTrainingConfig().eval_timeout == 60.0
    assert DatasetOptions().verify_timeout == settings.VERIFY_TIMEOUT == 20.0


def test_generation_options_are_one_dataclass():
    """Issue 24: generation options were declared three times (the backends' options, the callback's fields,
    the training config's), with their defaults written in each and in the command line."""
    from polyglot_hrm.evaluation.system import evaluate_model
    from polyglot_hrm.modelio.code_generation import CodeOutputGenerator
    from polyglot_hrm.modelio.generation import generate_answers
    from polyglot_hrm.training.callbacks import ExecutionEvalCallback, evaluate_by_execution
    from polyglot_hrm.training.config import PolyglotTrainingConfig

    defaults = settings.GenerationOptions()
    assert (defaults.max_new_tokens, defaults.temperature, defaults.top_p, defaults.batch_size) == (512, 0.0, 1.0, 8)
    for function in (generate_answers, CodeOutputGenerator.__init__, evaluate_model):
        for name in ("max_new_tokens", "temperature", "batch_size"):
            assert _default(function, name) == getattr(defaults, name), (function.__qualname__, name)
    for flag, name in (("--max-new-tokens", "max_new_tokens"), ("--temperature", "temperature"),
                       ("--top-p", "top_p"), ("--batch-size", "batch_size")):
        assert _flag_default("evaluate", flag) == getattr(defaults, name), flag
    # The training-time evaluation: the same options, a smaller batch (settings says why).
    training = settings.TRAINING_EVAL_GENERATION
    assert training == dataclasses.replace(defaults, batch_size=4)
    assert _default(evaluate_by_execution, "generation") == training
    assert ExecutionEvalCallback([], None).generation == training
    assert PolyglotTrainingConfig().eval_generation == training
    recipe = PolyglotTrainingConfig(eval_max_new_tokens=16, eval_temperature=0.5, eval_batch_size=2)
    assert recipe.eval_generation == settings.GenerationOptions(16, 0.5, 1.0, 2)
    # One check, naming the field where it is.
    with pytest.raises(ValueError, match=r"^max_new_tokens=0: must be an integer >= 1"):
        settings.GenerationOptions(max_new_tokens=0)
    with pytest.raises(ValueError, match=r"^top_p=1.5: must be in \(0, 1\]"):
        settings.GenerationOptions(top_p=1.5)
    with pytest.raises(ValueError, match=r"^PolyglotTrainingConfig.eval_temperature=-1: must be >= 0"):
        PolyglotTrainingConfig(eval_temperature=-1)
    with pytest.raises(ValueError, match=r"^PolyglotTrainingConfig.eval_batch_size=0: must be an integer >= 1"):
        PolyglotTrainingConfig(eval_batch_size=0)


# ------------------------------------------------------------------------------------- environment variables

PACKAGE = REPO / "polyglot_hrm"
#: Where reading the environment is a module's own business: settings, and a language's toolchain variables (the
#: language-facts rule of issue 24 keeps them in languages/, skipped below).
READS_ENVIRONMENT = {"settings.py"}


def _reads_environment(path: Path) -> bool:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb"):
            return True
        if isinstance(node, ast.ImportFrom) and node.module == "os" and \
                any(a.name in ("environ", "getenv") for a in node.names):
            return True
    return False


def test_the_environment_is_read_in_settings_only():
    readers = sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                     if not str(p.relative_to(PACKAGE)).startswith("languages/") and _reads_environment(p))
    assert set(readers) <= READS_ENVIRONMENT, set(readers) - READS_ENVIRONMENT


def test_what_the_environment_chooses(tmp_path):
    from polyglot_hrm.execution import sandbox
    from polyglot_hrm.languages import context

    env = {settings.CACHE_ENV: str(tmp_path / "cache")}
    assert settings.runner_cache_dir(env) == (tmp_path / "cache").resolve()
    assert settings.runner_cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path.resolve() / "polyglot-hrm" / \
        "runners"
    assert settings.runner_cache_origin(env) == f"${settings.CACHE_ENV}={tmp_path / 'cache'}"
    assert settings.runner_cache_origin({}) == "the runner cache"
    assert settings.code_execution_allowed({"HF_ALLOW_CODE_EVAL": "1"})
    assert not settings.code_execution_allowed({settings.OPT_IN_ENV: "yes"})  # "1" only, as code_eval
    assert settings.hub_endpoint({}) == "https://huggingface.co"
    assert settings.hub_endpoint({"HF_ENDPOINT": "http://mirror"}) == "http://mirror"
    assert settings.datasets_cache_origin({"HF_HOME": "/h", "XDG_CACHE_HOME": "/x"}) == "$HF_HOME=/h"
    assert settings.ray_address(None, {"RAY_ADDRESS": "10.0.0.1:6379"}) == "10.0.0.1:6379"
    assert settings.ray_address("head:6379", {"RAY_ADDRESS": "x"}) == "head:6379"
    assert settings.api_key("MY_KEY", {"MY_KEY": ""}) is None and settings.world_size({}) == 1
    # The runner context and the sandbox use settings' names and readers, not copies.
    assert (context.CACHE_ENV, sandbox.OPT_IN_ENV, sandbox.UID_BASE_ENV) == \
        (settings.CACHE_ENV, settings.OPT_IN_ENV, settings.UID_BASE_ENV)
    assert context.default_cache_dir is settings.runner_cache_dir
    assert sandbox.code_execution_allowed is settings.code_execution_allowed


# ------------------------------------------------------------------------------- argparse and flags: the CLI's

#: The modules that are command lines: the CLI, each package's ``commands.py``, the ``python -m`` faces and the
#: seed's scripts (thin faces over the library).
CLI_MODULES = {"cli.py", "dataset/seed_cli.py", "dataset/diff_based_training_generator.py",
               "dataset/cross_language_mapper.py"}


def _is_cli(rel: str) -> bool:
    return rel in CLI_MODULES or rel.endswith(("/commands.py", "/__main__.py"))


def test_argparse_only_in_cli_modules():
    users = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if re.search(r"^import argparse|^from argparse",
                                                                                      p.read_text(), re.M)]
    assert users and all(_is_cli(u) for u in users), [u for u in users if not _is_cli(u)]


#: polyglot_hrm.outputs' checks, whose errors start with the name their caller gives the path.
OUTPUT_CHECKS = ("check_writable", "claim_dir", "claim_files")


def _raised_text(node: ast.AST) -> str:
    """The text of the messages a ``raise`` builds (an f-string's values as ``X``)."""
    parts, inside = [], set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.JoinedStr):
            parts.append("".join(v.value if isinstance(v, ast.Constant) else "X" for v in sub.values))
            inside.update(id(v) for v in sub.values)
        elif isinstance(sub, ast.Constant) and isinstance(sub.value, str) and id(sub) not in inside:
            parts.append(sub.value)
    return " ".join(parts)


def test_library_errors_name_parameters_not_flags():
    """A library error names the parameter (``timeout=nan``, ```output_dir```); the command line says it as
    the flag. A flag may appear only inside a command the message tells the user to run (```polyglot-hrm
    evaluate --attempts 2```)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = str(path.relative_to(PACKAGE))
        if _is_cli(rel) or rel.startswith("languages/") or rel == "execution/sandbox.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            # The messages it raises, and the names it gives the output checks that raise for it.
            named = isinstance(node, ast.Call) and getattr(node.func, "id", None) in OUTPUT_CHECKS
            if isinstance(node, ast.Raise) or named:
                text = re.sub(r"`[^`]* [^`]*`", "", _raised_text(node))  # commands to run, in backticks
                if re.search(r"--[a-z]", text):
                    found.append(f"{rel}:{node.lineno}: {text[:100]}")
    assert not found, "\n".join(found)


def test_the_command_line_says_parameters_as_flags():
    import argparse

    from polyglot_hrm.execution.commands import as_flags, flags_of

    p = argparse.ArgumentParser()
    p.add_argument("--output-dir")
    p.add_argument("--timeout")
    p.add_argument("--overwrite-output-dir", action="store_true")
    p.add_argument("--resume-from-checkpoint")
    flags = flags_of(p)
    assert as_flags("timeout=nan: must be finite", flags) == "--timeout nan: must be finite"
    assert as_flags("output_dir=runs/x holds a run. Pass `resume_from_checkpoint=auto` to continue it, "
                    "`overwrite_output_dir=True` to start over, or choose another `output_dir`.", flags) == \
        ("--output-dir runs/x holds a run. Pass --resume-from-checkpoint auto to continue it, --overwrite-output-dir "
         "to start over, or choose another --output-dir.")
    # Not a parameter of this command, a field of a config, a variable: left as written.
    for text in ("`model` x", "PolyglotTrainingConfig.timeout=3", "$TIMEOUT=3", "section.output_dir=x"):
        assert as_flags(text, flags) == text
    # Named otherwise on the command line (settings' rule for the root, evaluate's journal).
    assert as_flags("data_dir='/x': no such directory; pass `resume=False`", flags) == \
        "--benchmark-root '/x': no such directory; pass --no-resume"


def test_a_library_error_reaches_the_user_as_the_flag(capsys):
    """``GenerationOptions`` names ``max_new_tokens``; ``evaluate`` prints ``--max-new-tokens``."""
    with pytest.raises(ValueError, match=r"^max_new_tokens=0: "):
        settings.GenerationOptions(max_new_tokens=0)
    assert _cli("evaluate", "--backend", "reference", "--max-new-tokens", "0", "--no-report", "--limit", "1",
                "--languages", "python") == 2
    assert "polyglot-hrm evaluate: error: --max-new-tokens 0: must be an integer >= 1" in capsys.readouterr().err
