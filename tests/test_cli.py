"""The command line: every subcommand's --help, extract/stats on the mini-benchmark, the seed's module form."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from polyglot_hrm.problems import load_problems_json
from polyglot_hrm.cli import build_parser, main


def _subcommands() -> list[str]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return sorted(action.choices)


@pytest.mark.parametrize("command", _subcommands())
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert "usage: polyglot-hrm " + command in capsys.readouterr().out


def test_extract_writes_loadable_json(mini_root, tmp_path, capsys):
    out = tmp_path / "p.json"
    assert main(["extract", "--benchmark-root", str(mini_root), "--output", str(out), "--languages", "python,rust"]) == 0
    problems = load_problems_json(out)
    assert problems and {p.language for p in problems} == {"python", "rust"}
    assert f"wrote {len(problems)} problems" in capsys.readouterr().out


def test_stats_prints_the_three_tables(mini_root, tmp_path, capsys):
    js = tmp_path / "stats.json"
    assert main(["stats", "--benchmark-root", str(mini_root), "--json", str(js)]) == 0
    out = capsys.readouterr().out
    for title in ("Problems per language", "Slugs by number of languages", "Directed transfer pairs"):
        assert title in out
    data = json.loads(js.read_text())
    assert data["coverage_histogram"]["6"] >= 4


def test_bad_root_is_a_clear_error_not_a_traceback(tmp_path, capsys):
    assert main(["stats", "--benchmark-root", str(tmp_path / "missing")]) == 2
    assert "no such directory" in capsys.readouterr().err


def test_seed_module_form(mini_root, tmp_path):
    out = tmp_path / "p.json"
    proc = subprocess.run([sys.executable, "-m", "polyglot_hrm.problems", "--benchmark-root", str(mini_root),
                           "--output", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert len(load_problems_json(out)) >= 26
