"""Issue 25, "Bad input and faults, second round": each test reproduces a case a new user met (a disabled
timeout, a link followed out of an exercise, a solutions file of the wrong shape, a report that cannot be rerun,
a journal overwritten by its own results, a late recipe error, files unreadable to others, a traceback where a
message was due, a misleading line) and asserts what happens now: a clear message naming the thing and the fix,
exit status 2 for bad input (before any work), 1 for a fault, 130 for Ctrl-C, and nothing lost."""

from __future__ import annotations

import errno
import json
import logging
import math
import os
import stat
import sys
from pathlib import Path

import pytest

from conftest import python_exercise, write_exercise

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "trainer" / "recipes" / "tiny.yaml"


def _no_runs(monkeypatch):
    """Fail the test if anything is run (the check must come first)."""
    from polyglot_hrm.execution import runner

    monkeypatch.setattr(runner.Sandbox, "__init__", lambda *a, **k: pytest.fail("a run started before the check"))


# ------------------------------------------------------------------------------------ 2. nan/inf timeouts
@pytest.mark.parametrize("value", ["nan", "inf", "NaN", "Infinity"])
@pytest.mark.parametrize("command", [["run", "--problem", "python/digit-sum", "--reference"], ["validate"],
                                     ["evaluate", "--backend", "reference"]])
def test_a_nan_or_infinite_timeout_is_refused_by_every_command(command, value, capsys):
    """Before: `--timeout nan` / `inf` was taken as a limit that never fires: an infinite loop ran until it was
    killed from outside (exit 0)."""
    from polyglot_hrm.cli import main

    with pytest.raises(SystemExit) as exit_:
        main([*command, "--timeout", value])
    assert exit_.value.code == 2
    assert f"--timeout {value!r}: must be a finite number of seconds > 0" in capsys.readouterr().err


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 0, -1, True, "fast"])
def test_the_library_refuses_the_same_timeouts_in_one_place(value, monkeypatch):
    from polyglot_hrm.execution import RunTask, run_many
    from polyglot_hrm.execution.timeouts import check_timeout, run_timeout
    from polyglot_hrm.scoring import score_candidates
    from polyglot_hrm.training.config import PolyglotTrainingConfig

    _no_runs(monkeypatch)
    with pytest.raises(ValueError, match=r"timeout="):
        check_timeout(value)
    with pytest.raises(ValueError, match=r"timeout="):
        run_timeout(value, None)
    with pytest.raises(ValueError, match=r"^timeout="):
        run_many([], timeout=value)
    with pytest.raises(ValueError, match=r"^timeout="):
        score_candidates([], [], timeout=value)
    with pytest.raises(ValueError, match=r"PolyglotTrainingConfig.eval_timeout="):
        PolyglotTrainingConfig(eval_timeout=value)
    assert check_timeout("auto") == "auto" and check_timeout(5) == 5.0


def test_a_run_task_with_a_nan_timeout_is_refused_before_running(mini_problems, monkeypatch):
    from polyglot_hrm.execution import RunTask, run_many

    _no_runs(monkeypatch)
    with pytest.raises(ValueError, match=r"RunTask\(python/.*\)\.timeout=nan"):
        run_many([RunTask(next(p for p in mini_problems if p.language == "python"), mode="reference",
                          timeout=math.nan)])
