"""Exercises' added dates from a track checkout's git history (polyglot_hrm.problems.dates), and the date split:
``--added-after`` for evaluate, build and export, ``added_before``, the `added` column, `stats` per year.

The tracks are git repositories made here from the built-in mini-benchmark (this project's own exercises), with
dated commits: the first exercise starts in the old layout (``exercises/<slug>``) and its folder is renamed to
``exercises/practice/<slug>`` three years later, as the Exercism tracks did in 2021."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
from pathlib import Path

import datasets
import pytest

from conftest import ALL_LANGUAGES, run_command
from polyglot_hrm.dataset.config import DatasetOptions, PolyglotHRMConfig
from polyglot_hrm.dataset.features import features_for
from polyglot_hrm.dataset.fingerprint import data_hash
from polyglot_hrm.dataset.records import CodeGenerationInput
from polyglot_hrm.dataset.rows import build_rows
from polyglot_hrm.evaluation.cases import load_cases
from polyglot_hrm.problems import added_table, filter_by_added, load_benchmark, parse_added_date, track_history
from polyglot_hrm.problems.dates import _births

PRACTICE = Path("exercises") / "practice"
#: What the history below gives each exercise (by its place in the language's sorted slugs). The third commit is
#: 23:30 at UTC-5, the next day in UTC: dates are UTC days.
EXPECTED = ["2018-03-01", "2020-06-15", "2023-09-11"]


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    """Each test's dates are cached in its own runner cache (never the user's)."""
    monkeypatch.setenv("POLYGLOT_HRM_CACHE", str(tmp_path / "cache"))


def git(repo: Path, *args: str, when: str | None = None) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "us", "GIT_AUTHOR_EMAIL": "us@example.org", "GIT_COMMITTER_NAME": "us",
           "GIT_COMMITTER_EMAIL": "us@example.org", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    if when:
        # The author date is a decoy: dates are the committer's (when the commit entered the track).
        env.update(GIT_AUTHOR_DATE="2010-01-01T00:00:00+00:00", GIT_COMMITTER_DATE=when)
    return subprocess.run(["git", "-C", str(repo), *args], env=env, check=True, capture_output=True,
                          text=True).stdout


def _slugs(mini_root: Path, language: str) -> list[str]:
    return sorted(d.name for d in (mini_root / language / PRACTICE).iterdir() if d.is_dir())[:3]


def make_dated_track(mini_root: Path, dest: Path, language: str) -> Path:
    """A track checkout of three mini-benchmark exercises with this history:

    2018-03-01  first exercise added at exercises/<slug> (the old layout), with the track's config.json
    2020-06-15  second exercise added at exercises/practice/<slug>
    2021-02-01  exercises/<first> moved to exercises/practice/<first>, one file edited in the same commit
    2023-09-10T23:30-05:00 (2023-09-11 UTC)  third exercise added
    """
    first, second, third = _slugs(mini_root, language)
    source = mini_root / language / PRACTICE
    dest.mkdir(parents=True)
    git(dest, "init", "-q", "-b", "main")
    practice = [{"slug": s, "difficulty": 2} for s in (first, second, third)]
    (dest / "config.json").write_text(json.dumps({"slug": language, "exercises": {"practice": practice}}))
    shutil.copytree(source / first, dest / "exercises" / first)
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", f"add {first}", when="2018-03-01T12:00:00+00:00")
    shutil.copytree(source / second, dest / PRACTICE / second)
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", f"add {second}", when="2020-06-15T09:00:00+00:00")
    git(dest, "mv", f"exercises/{first}", f"exercises/practice/{first}")
    instructions = dest / PRACTICE / first / ".docs" / "instructions.md"
    instructions.write_text(instructions.read_text() + "\nMoved to the practice folder.\n")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "move exercises to exercises/practice", when="2021-02-01T10:00:00+00:00")
    shutil.copytree(source / third, dest / PRACTICE / third)
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", f"add {third}", when="2023-09-10T23:30:00-05:00")
    return dest


@pytest.fixture(scope="module")
def dated_tracks(mini_root, tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("dated")
    return {lang: make_dated_track(mini_root, base / lang, lang) for lang in ALL_LANGUAGES}


@pytest.fixture(scope="module")
def track(dated_tracks) -> Path:
    return dated_tracks["python"]


def _expected(mini_root: Path, language: str) -> dict[str, str]:
    return dict(zip(_slugs(mini_root, language), EXPECTED))


@pytest.mark.parametrize("language", ALL_LANGUAGES)
def test_problems_carry_the_day_their_exercise_entered_the_track(dated_tracks, mini_root, language):
    """The renamed folder keeps its 2018 date (not the move's 2021), and days are UTC."""
    history = track_history(dated_tracks[language])
    assert history.reason is None and not history.cached
    assert history.added == _expected(mini_root, language)
    problems = load_benchmark(dated_tracks[language], strict=True)
    assert {p.slug: p.metadata.added for p in problems} == _expected(mini_root, language)


def test_dates_are_cached_per_checkout_and_head(track, tmp_path):
    first = track_history(track)
    again = track_history(track)
    assert (again.cached, again.added, again.head) == (True, first.added, first.head)
    [cached] = (tmp_path / "cache" / "exercise-dates").iterdir()
    assert first.head in cached.name and json.loads(cached.read_text())["added"] == first.added
    cached.write_text("{ broken")  # a damaged entry is read again from git, not trusted
    assert track_history(track).cached is False and track_history(track).cached is True

    moved = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(track), str(moved))
    (moved / PRACTICE / sorted(first.added)[0] / "NOTES.md").write_text("a later file\n")
    git(moved, "add", "-A")
    git(moved, "commit", "-q", "-m", "notes", when="2025-01-01T00:00:00+00:00")
    later = track_history(moved)
    assert later.head != first.head and not later.cached
    assert later.added == first.added  # a later file does not move the exercise's date


def test_births_follow_renames_and_keep_the_first_birth_of_a_path():
    day = 86400
    log = "".join([
        f"\x01{1 * day}\0\nA\0a/x\0A\0a/y\0",
        f"\x01{2 * day}\0\nR087\0a/x\0b/x\0D\0a/y\0",
        f"\x01{3 * day}\0\0",  # a commit without changes (a merge's)
        f"\x01{4 * day}\0\nA\0a/y\0M\0b/x\0R100\0b/x\0c/x\0A\0new\0",
    ])
    assert _births(log) == {"c/x": day, "a/y": day, "new": 4 * day}


def test_no_history_no_dates(track, mini_root, tmp_path):
    copy = shutil.copytree(track, tmp_path / "copy", ignore=shutil.ignore_patterns(".git"))
    assert "not a git checkout" in track_history(copy).reason
    assert {p.metadata.added for p in load_benchmark(copy)} == {None}

    outer = tmp_path / "outer"
    shutil.copytree(copy, outer / "python")
    git(outer, "init", "-q")
    git(outer, "add", "-A")
    git(outer, "commit", "-q", "-m", "everything", when="2024-01-01T00:00:00+00:00")
    assert "inside the git checkout" in track_history(outer / "python").reason

    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{track}", str(shallow))
    assert "shallow clone" in track_history(shallow).reason
    assert {p.metadata.added for p in load_benchmark(shallow)} == {None}

    # The polyglot layout (the benchmark, the mini-benchmark) has none.
    assert {p.metadata.added for p in load_benchmark(mini_root)} == {None}


def test_the_window_is_strict_and_undated_problems_are_counted(caplog):
    rows = [{"id": "a", "added": "2020-06-15"}, {"id": "b", "added": "2023-09-11"}, {"id": "c", "added": None}]
    with caplog.at_level(logging.WARNING, logger="polyglot_hrm"):
        kept = filter_by_added(rows, lambda r: r["added"], after="2020-06-15")
    assert [r["id"] for r in kept] == ["b"]
    assert "left out 1 problem(s) whose added date is unknown" in caplog.text
    assert [r["id"] for r in filter_by_added(rows, lambda r: r["added"], before="2020-06-15")] == []
    assert [r["id"] for r in filter_by_added(rows, lambda r: r["added"], before="2020-06-16")] == ["a"]
    assert filter_by_added(rows, lambda r: r["added"]) == rows  # no bound: undated ones stay
    with pytest.raises(ValueError, match="none of the 1 problems has a known added date"):
        filter_by_added(rows[2:], lambda r: r["added"], after="2000-01-01")


def test_dates_are_checked_where_they_are_given():
    import datetime

    assert parse_added_date(datetime.date(2024, 6, 1), "x") == "2024-06-01"  # what YAML reads a date as
    with pytest.raises(ValueError, match=r"added_after='2024-13-01': not a date; give one as YYYY-MM-DD"):
        DatasetOptions(added_after="2024-13-01").validate_options()
    with pytest.raises(ValueError, match="added_after=2024-01-01 is not before added_before=2024-01-01"):
        DatasetOptions(added_after="2024-01-01", added_before="2024-01-01").validate_options()
    done = run_command("evaluate", "--added-after", "June 2024", "--write-solutions", "x.json")
    assert done.returncode == 2 and "--added-after='June 2024': not a date" in done.stderr


def test_evaluate_scores_only_exercises_added_after_the_day(track, mini_root, tmp_path):
    out = tmp_path / "solutions.json"
    done = run_command("evaluate", "--benchmark-root", str(track), "--added-after", "2020-06-15",
                       "--write-solutions", str(out))
    assert done.returncode == 0, done.stderr
    assert list(json.loads(out.read_text())) == [f"python/{_slugs(mini_root, 'python')[2]}"]

    # A tree without dates: the command says why nothing is left.
    done = run_command("evaluate", "--benchmark-root", str(mini_root), "--added-after", "2020-01-01",
                       "--write-solutions", str(out))
    assert done.returncode != 0
    assert "none of the 29 cases has a known added date" in done.stderr
    assert "Exercism track checkout with its full git history" in done.stderr


def test_cases_of_several_sources_keep_dated_ones(track, mini_root):
    """The dataset column travels with the rows: cases from dataset rows filter on it too."""
    rows = load_cases(benchmark_root=track, added_after="2019-01-01")
    assert [r["added"] for r in rows] == EXPECTED[1:]


def test_training_rows_older_than_a_cutoff_carry_the_column(dated_tracks, mini_root):
    data_dir = [dated_tracks["python"], dated_tracks["go"], mini_root]
    config = PolyglotHRMConfig(name="generation", data_dir=os.pathsep.join(map(str, data_dir)),
                               verify_by_execution=False, added_before="2019-01-01")
    rows = build_rows(config)
    assert sorted((r["problem_id"], r["added"]) for r in rows) == [
        (f"go/{_slugs(mini_root, 'go')[0]}", "2018-03-01"), (f"python/{_slugs(mini_root, 'python')[0]}", "2018-03-01")]
    assert all(CodeGenerationInput.from_row(r).to_row() == r for r in rows)
    assert "added" in features_for("generation") and features_for("diff_edit")["added"].dtype == "string"


def test_rewritten_history_changes_the_cache_key(track, tmp_path):
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(track), str(clone))
    before = data_hash(clone)
    assert before == data_hash(track)  # the same files and dates: the same key
    git(clone, "commit", "-q", "--amend", "--no-edit", when="2024-05-05T00:00:00+00:00")
    assert data_hash(clone) != before  # the same files, other dates


def test_export_added_after_writes_the_column_and_says_what_it_means(track, mini_root, tmp_path):
    out = tmp_path / "export"
    done = run_command("export", "--data-dir", str(track), "--configs", "generation", "--verify", "off",
                       "--added-after", "2019-12-31", "--cache-dir", str(tmp_path / "hf"), "--out", str(out))
    assert done.returncode == 0, done.stderr
    loaded = datasets.load_dataset(str(out), "generation")
    added = sorted(a for split in loaded.values() for a in split["added"])
    assert added == EXPECTED[1:]
    card = (out / "README.md").read_text()
    assert "`added` is the day" in card and "limits contamination" in card and '"added_after": "2019-12-31"' in card


def test_stats_shows_exercises_per_year_and_language(dated_tracks, mini_root):
    done = run_command("stats", "--benchmark-root", str(dated_tracks["rust"]))
    assert done.returncode == 0, done.stderr
    table = done.stdout.split("Exercises per year added")[1].splitlines()
    assert table[1].split() == ["year", "added", "rust", "total"]
    assert [line.split() for line in table[3:]] == [["2018", "1", "1"], ["2020", "1", "1"], ["2023", "1", "1"],
                                                     ["total", "3", "3"]]
    problems = load_benchmark(dated_tracks["go"]) + load_benchmark(mini_root, languages=["python"])
    rows = [line.split() for line in added_table(problems).splitlines()[3:]]
    assert rows == [["2018", "1", "0", "1"], ["2020", "1", "0", "1"], ["2023", "1", "0", "1"],
                    ["unknown", "0", "5", "5"], ["total", "3", "5", "8"]]
    assert "Exercises per year" not in run_command("stats", "--benchmark-root", str(mini_root)).stdout


def test_a_training_recipe_takes_a_cutoff_day():
    """YAML reads an unquoted day as a date; the recipe's data options take it as the day."""
    from polyglot_hrm.training.config import RecipeError, load_recipe

    for value in ("2024-06-01", '"2024-06-01"'):
        assert load_recipe("tiny", [f"polyglot.added_before={value}"]).training_config().added_before == "2024-06-01"
    with pytest.raises(RecipeError, match="added_before='2024-06-31': not a date"):
        load_recipe("tiny", ['polyglot.added_before="2024-06-31"'])
