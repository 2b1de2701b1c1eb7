"""Several data roots (Exercism track checkouts plus a benchmark), one copy per language/slug, `source` on every
row, a benchmark's slugs left out of every split, `build --stats` per source, and a verified build that resumes.

The "tracks" are made here from the built-in mini-benchmark (this project's own exercises): each track holds two
of its language's exercises and one more under a new slug, with a track `config.json`."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import ALL_LANGUAGES
from polyglot_hrm.dataset.rows import RunJournal, build_rows, verify_runs
from polyglot_hrm.dataset.config import CONFIG_NAMES, PolyglotHRMConfig
from polyglot_hrm.dataset.sources import benchmark_slugs, data_roots, join_roots, load_sources, source_label

PRACTICE = Path("exercises") / "practice"


def _slugs(root: Path, language: str) -> list[str]:
    return sorted(d.name for d in (root / language / PRACTICE).iterdir() if d.is_dir())


def make_track(mini_root: Path, dest: Path, language: str) -> Path:
    """A track checkout of ``language``: two mini-benchmark exercises and ``<first>-again``, only here."""
    slugs = _slugs(mini_root, language)
    for slug in slugs[:2]:
        shutil.copytree(mini_root / language / PRACTICE / slug, dest / PRACTICE / slug)
    shutil.copytree(mini_root / language / PRACTICE / slugs[0], dest / PRACTICE / f"{slugs[0]}-again")
    practice = [{"slug": s, "difficulty": 2} for s in [*slugs[:2], f"{slugs[0]}-again"]]
    (dest / "config.json").write_text(json.dumps({"slug": language, "exercises": {"practice": practice}}))
    return dest


@pytest.fixture(scope="module")
def tracks(mini_root, tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("tracks")
    return {lang: make_track(mini_root, base / lang, lang) for lang in ALL_LANGUAGES}


@pytest.mark.parametrize("language", ALL_LANGUAGES)
def test_the_first_root_listed_keeps_its_copy(tracks, mini_root, language):
    track = tracks[language]
    first, second = _slugs(mini_root, language)[:2]
    problems, roots = load_sources([track, mini_root], languages=(language,))
    ids = [p.id for p in problems]
    assert len(ids) == len(set(ids)) == len(_slugs(mini_root, language)) + 1
    by_slug = {p.slug: p for p in problems}
    assert by_slug[first].source == by_slug[second].source == f"exercism/{language}"
    assert by_slug[f"{first}-again"].source == f"exercism/{language}"
    assert {by_slug[s].source for s in _slugs(mini_root, language)[2:]} == {"mini_benchmark"}
    assert roots[f"{language}/{first}"] == track.resolve()
    # the other order: the benchmark's copy wins
    problems, _ = load_sources(os.pathsep.join([str(mini_root), str(track)]), languages=(language,))
    assert {p.slug: p.source for p in problems}[first] == "mini_benchmark"


def test_roots_are_one_string_in_order(tracks, mini_root):
    joined = join_roots([tracks["go"], mini_root])
    assert joined == f"{tracks['go'].resolve()}{os.pathsep}{mini_root.resolve()}"
    assert data_roots(joined) == [tracks["go"].resolve(), mini_root.resolve()]
    assert data_roots(None) == [mini_root.resolve()] and join_roots(None) is None
    assert source_label(tracks["go"]) == "exercism/go" and source_label(mini_root) == "mini_benchmark"
    assert benchmark_slugs(tracks["go"]) == set(_slugs(mini_root, "go")[:2]) | {f"{_slugs(mini_root, 'go')[0]}-again"}


@pytest.fixture(scope="module")
def track_rows(tracks, mini_root) -> dict[str, list[dict]]:
    data_dir = join_roots([*tracks.values(), mini_root])
    return {name: build_rows(PolyglotHRMConfig(name=name, data_dir=data_dir, exclude_slugs_of=str(mini_root),
                                               verify_by_execution=False))
            for name in CONFIG_NAMES}


@pytest.mark.parametrize("language", ALL_LANGUAGES)
def test_no_benchmark_slug_in_any_split(track_rows, mini_root, language):
    benchmark = benchmark_slugs(mini_root)
    only_track = f"{_slugs(mini_root, language)[0]}-again"
    for name in ("generation", "diff_edit"):
        rows = [r for r in track_rows[name] if r["language"] == language]
        assert {r["slug"] for r in rows} == {only_track}, name
        assert {r["source"] for r in rows} == {f"exercism/{language}"}
    assert not [r for rows in track_rows.values() for r in rows if r["slug"] in benchmark]


def test_rows_carry_their_source_and_ids_stay_unique(tracks, mini_root):
    data_dir = [tracks["python"], mini_root]
    rows = build_rows(PolyglotHRMConfig(name="generation", data_dir=join_roots(data_dir), verify_by_execution=False))
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids))
    sources = {r["source"] for r in rows}
    assert sources == {"exercism/python", "mini_benchmark"}
    assert {r["source"] for r in rows if r["language"] != "python"} == {"mini_benchmark"}


def test_exclude_slugs_of_must_be_a_directory(tmp_path):
    with pytest.raises(ValueError, match="exclude_slugs_of="):
        PolyglotHRMConfig(name="generation", exclude_slugs_of=str(tmp_path / "missing"))


def test_build_command_takes_several_roots_and_prints_rows_per_source(tracks, mini_root, tmp_path, capsys):
    from polyglot_hrm.cli import main

    argv = ["build", "--data-dir", str(tracks["python"]), str(tracks["rust"]), str(mini_root),
            "--exclude-benchmark", str(mini_root), "--configs", "generation,diff_edit", "--verify", "off",
            "--stats", "--cache-dir", str(tmp_path / "cache")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "generation: rows per split and source" in out and "diff_edit: rows per split and source" in out
    tables, last = out.split("\nbuilt (or reloaded)")
    assert "exercism/python" in tables and "exercism/rust" in tables and "mini_benchmark" not in tables
    assert f"from {os.pathsep.join(str(r.resolve()) for r in (tracks['python'], tracks['rust'], mini_root))} in" in last
    assert "refactor" in out  # the edit-type table names every edit type


def test_a_killed_verification_resumes_where_it_stopped(mini_problems, tmp_path, monkeypatch):
    """Runs are journaled as they end: after a kill, only the runs not yet journaled run again."""
    from polyglot_hrm.dataset import rows  # where verify_runs looks run_many up
    from polyglot_hrm.execution.results import RunResult

    problem = next(p for p in mini_problems if p.language == "python")
    reference = {f.path: f.content for f in problem.files_with_role("reference")}
    items = [(problem, {path: text + f"\n# variant {i}\n" for path, text in reference.items()}) for i in range(5)]
    calls: list[int] = []

    def killed_after_two(tasks, on_result=None, **kwargs):
        calls.append(len(tasks))
        for i, task in enumerate(tasks[:2]):
            on_result(i, RunResult(problem.id, "passed", output=f"run {i}"))
        raise KeyboardInterrupt  # the build is killed

    monkeypatch.setattr(rows, "run_many", killed_after_two)
    journal_file = tmp_path / "runs.jsonl"
    with pytest.raises(KeyboardInterrupt):
        verify_runs(items, 10.0, journal=RunJournal(journal_file))
    with journal_file.open("a") as fh:
        fh.write('{"key": "cut short by the kil')  # a line the kill cut short is skipped
    assert len(RunJournal(journal_file).done) == 2

    def the_rest(tasks, on_result=None, **kwargs):
        calls.append(len(tasks))
        out = [RunResult(problem.id, "failed", output="later") for _ in tasks]
        for i, r in enumerate(out):
            on_result(i, r)
        return out

    monkeypatch.setattr(rows, "run_many", the_rest)
    results, resumed = verify_runs(items, 10.0, journal=RunJournal(journal_file))
    assert calls == [5, 3] and resumed == 2
    assert [r.status for r in results] == ["passed", "passed", "failed", "failed", "failed"]
    assert verify_runs(items, 10.0, journal=RunJournal(journal_file)) == (results, 5)  # nothing left to run
    assert calls == [5, 3]
    lines = journal_file.read_text().splitlines()
    # The header, two runs, the cut line (fenced: left as it was, never read) and the three others after it.
    assert len(lines) == 7 and lines[3].startswith('{"key": "cut short') and all(lines)  # no blank line added
