"""Read a benchmark tree into :class:`Problem` objects.

Two layouts are understood:

* the polyglot benchmark: ``<root>/<language>/exercises/practice/<slug>/``;
* one Exercism track checkout: ``<root>/config.json`` + ``<root>/exercises/practice/<slug>/``,
  the language taken from the track's ``config.json`` (which also gives each exercise's
  difficulty). A bare ``<language>/`` folder of the polyglot benchmark is read the same way,
  the language taken from the folder's name.

A track checkout with its git history also gives each exercise's ``added`` day (:mod:`.dates`); other trees none.

An exercise that cannot be read (a broken ``.meta/config.json``, a listed file that is absent,
a reference that maps to no solution file, a file over :data:`MAX_FILE_BYTES`) is skipped with a warning
and counted in :attr:`ExtractReport.skipped`; with ``strict=True`` it is an error instead.

Links: a file is read only when its real path lies inside its exercise's folder, so a link never carries a
host file (``/etc/hostname``, ``~/.ssh/...``) into problems or dataset rows. Links inside the folder are fine.
A *listed* file (or the exercise's docs and ``.meta`` files) that leads out makes the exercise unreadable
(skipped, named, as above); an *unlisted* file that does is left out of the support files, warned about and
named in :attr:`ExtractReport.links_skipped`.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Iterable, Sequence

from ..languages import LANGUAGES, Language, LayoutError, get_language, language_for_track
from ..languages.registry import ARTIFACT_FOLDERS
from .complexity import complexity_score
from .dates import track_history
from .problem import Problem, ProblemFile, ProblemMetadata

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["BenchmarkError", "ExtractReport", "PolyglotBenchmarkExtractor", "load_benchmark", "read_exercise",
           "skips_tests"]

logger = logging.getLogger(__name__)

PRACTICE = Path("exercises") / "practice"
#: The largest file an exercise may have: three times Catch2's single header (642 KB), the largest file in the
#: benchmark and the six Exercism tracks. A bigger one (a data dump, a build output) would be copied into every
#: dataset row of the exercise.
MAX_FILE_BYTES = 2 * 1024 * 1024


class BenchmarkError(ValueError):
    """The benchmark tree (or one exercise in it) cannot be read as it is."""


@dataclass
class ExtractReport:
    root: Path
    layout: str = ""
    problems: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (exercise path, reason)
    links_skipped: list[str] = field(default_factory=list)  # unlisted files that lead out of their exercise
    seconds: float = 0.0
    # Where the exercises' added dates come from ("git history at <commit>"), or why they are unknown.
    added_dates: str = ""


@dataclass(frozen=True)
class _Exercise:
    language: Language
    path: Path
    difficulty: int | None = None


def _outside(exercise: Path, path: Path) -> str | None:
    """Where ``path`` really leads when that is outside ``exercise`` (through a link), else None."""
    real, base = os.path.realpath(path), os.path.realpath(exercise)
    return None if real == base or real.startswith(base + os.sep) else real


def _contained(exercise: Path, rel: str | Path) -> Path:
    """``exercise / rel``, checked to lie inside the exercise's folder (module docstring: links)."""
    path = exercise / rel
    target = _outside(exercise, path)
    if target is not None:
        raise BenchmarkError(f"{path}: a link out of the exercise folder (to {target}); files outside an exercise "
                             f"are never read. Put the file itself in the exercise, or remove the link")
    return path


def _read_text(path: Path, exercise: Path | None = None) -> str:
    """A file's text; with ``exercise``, only when the file lies inside it (:func:`_contained`). Files over
    :data:`MAX_FILE_BYTES` are refused."""
    if exercise is not None:
        path = _contained(exercise, path.relative_to(exercise))
    size = path.stat().st_size if path.is_file() else 0
    if size > MAX_FILE_BYTES:
        raise BenchmarkError(f"{path}: {size / 1e6:.1f} MB, over the {MAX_FILE_BYTES // (1024 * 1024)} MiB an "
                             f"exercise file may have (it would be copied into every dataset row of the exercise); "
                             f"remove it, or keep it out of the exercise folder")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise BenchmarkError(f"{path}: not UTF-8 text") from None


def _is_binary(path: Path) -> bool:
    with path.open("rb") as fh:
        return b"\0" in fh.read(8192)


def _read_json(path: Path, exercise: Path | None = None) -> Any:
    try:
        return json.loads(_read_text(path, exercise))
    except FileNotFoundError:
        raise BenchmarkError(f"{path}: missing; every exercise needs a .meta/config.json listing its files") from None
    except json.JSONDecodeError as err:
        raise BenchmarkError(f"{path}: broken JSON ({err}); fix the file or restore it from the track") from None


def _layout(root: Path, languages: Sequence[str] | None) -> tuple[str, list[_Exercise]]:
    """Find every exercise under ``root``; returns (layout name, exercises)."""
    if not root.exists():
        raise BenchmarkError(f"{root}: no such directory; the benchmark root is a polyglot-benchmark clone or an "
                             f"Exercism track checkout")
    if not root.is_dir():
        raise BenchmarkError(f"{root}: not a directory; the benchmark root is a directory")
    wanted = set(languages) if languages else None

    if (root / PRACTICE).is_dir():
        config_path = root / "config.json"
        if config_path.is_file():
            config = _read_json(config_path)
            track = str(config.get("slug") or config.get("language") or "")
            language = language_for_track(track)
            if language is None:
                raise BenchmarkError(f"{config_path}: track {track!r} is not one of the supported languages "
                                     f"({', '.join(LANGUAGES)})")
            difficulty = {e.get("slug"): e.get("difficulty") for e in config.get("exercises", {}).get("practice", [])}
            layout = "exercism-track"
        else:
            language = language_for_track(root.name)
            if language is None:
                raise BenchmarkError(f"{root}: has exercises/practice/ but no config.json, and {root.name!r} names no "
                                     f"known language; add the track's config.json or rename the folder")
            difficulty = {}
            layout = "language-folder"
        if wanted and language.name not in wanted:
            return layout, []
        exercises = [_Exercise(language, d, difficulty.get(d.name)) for d in _exercise_dirs(root / PRACTICE)]
        return layout, exercises

    exercises: list[_Exercise] = []
    found_any = False
    for child in sorted(root.iterdir()):
        if not (child / PRACTICE).is_dir():
            continue
        found_any = True
        language = language_for_track(child.name)
        if language is None:
            logger.warning("%s: not a supported language folder, skipped", child)
            continue
        if wanted and language.name not in wanted:
            continue
        exercises.extend(_Exercise(language, d) for d in _exercise_dirs(child / PRACTICE))
    if not found_any:
        raise BenchmarkError(
            f"{root}: unknown layout: expected <language>/exercises/practice/<slug>/ (polyglot benchmark) or "
            f"config.json + exercises/practice/<slug>/ (an Exercism track); is this the right folder?"
        )
    return "polyglot", exercises


def _exercise_dirs(practice: Path) -> list[Path]:
    return sorted(d for d in practice.iterdir() if d.is_dir() and not d.name.startswith("."))


def _instructions(exercise: Path) -> str:
    # Aider's harness reads them in this order: introduction, instructions, append.
    docs = exercise / ".docs"
    parts = [docs / name for name in ("introduction.md", "instructions.md", "instructions.append.md")]
    texts = [_read_text(p, exercise).strip() for p in parts if p.is_file()]
    if not texts:
        raise BenchmarkError(f"{exercise}: no .docs/instructions.md; every exercise needs instructions")
    return "\n\n".join(texts) + "\n"


def _test_case_count(exercise: Path) -> int | None:
    path = exercise / ".meta" / "tests.toml"
    if not path.is_file():
        return None
    try:
        cases = tomllib.loads(_read_text(path, exercise))
    except tomllib.TOMLDecodeError as err:
        logger.warning("%s: unreadable (%s); test-case count unknown", path, err)
        return None
    return sum(1 for case in cases.values() if isinstance(case, dict) and case.get("include", True) is not False)


def _check_placeable(exercise: Path, path: str) -> None:
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or any(part.startswith(".") for part in pure.parts[:-1]):
        raise BenchmarkError(f"{exercise}: file path {path!r} cannot be placed in a workspace "
                             f"(absolute, outside the exercise, or under a hidden folder such as .meta/)")


def _listed(exercise: Path, config: dict[str, Any], key: str) -> list[str]:
    paths = config.get("files", {}).get(key) or []
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise BenchmarkError(f"{exercise / '.meta/config.json'}: files.{key} must be a list of paths")
    for p in paths:
        pure = PurePosixPath(p)
        if pure.is_absolute() or ".." in pure.parts:  # checked before the path touches the file system
            raise BenchmarkError(f"{exercise / '.meta/config.json'}: files.{key} lists {p!r}, a path outside the "
                                 f"exercise; list paths relative to the exercise folder")
        if not _contained(exercise, p).is_file():
            raise BenchmarkError(f"{exercise / p}: listed under files.{key} in .meta/config.json but absent; "
                                 f"restore the file or remove it from the config")
    return paths


def _support_paths(exercise: Path, language: Language, taken: set[str],
                   links_skipped: list[str] | None = None) -> list[str]:
    """Unlisted files carried as support files. os.walk does not descend into linked folders; a linked file
    that leads out of the exercise is left out, warned about and appended to ``links_skipped``."""
    found = []
    for dirpath, dirnames, filenames in os.walk(exercise):
        # Hidden folders, and build outputs a user may have left behind after running an exercise's tests by hand.
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in ARTIFACT_FOLDERS)
        for name in sorted(filenames):
            rel = (Path(dirpath) / name).relative_to(exercise).as_posix()
            if rel in taken or language.is_ignored(rel):
                continue
            target = _outside(exercise, exercise / rel)
            if target is not None:
                logger.warning("%s: a link out of the exercise folder (to %s), left out", exercise / rel, target)
                if links_skipped is not None:
                    links_skipped.append(str(exercise / rel))
                continue
            if not (exercise / rel).is_file():  # a dangling link or a special file
                continue
            if _is_binary(exercise / rel):
                logger.debug("%s: binary, not carried", exercise / rel)
                continue
            found.append(rel)
    return found


def read_exercise(exercise: Path, language: Language | str, difficulty: int | None = None,
                  links_skipped: list[str] | None = None, added: str | None = None) -> Problem:
    """Read one exercise directory into a :class:`Problem`; raises :class:`BenchmarkError`. Unlisted files
    that lead out of the exercise through a link are left out and appended to ``links_skipped``. ``added``: the
    day the exercise entered its track (:mod:`.dates`), where known."""
    language = get_language(language) if isinstance(language, str) else language
    config = _read_json(exercise / ".meta" / "config.json", exercise)
    if not isinstance(config, dict) or not isinstance(config.get("files"), dict):
        raise BenchmarkError(f"{exercise / '.meta/config.json'}: no `files` object; it must list solution, test "
                             f"and example files")
    solution = _listed(exercise, config, "solution")
    tests = _listed(exercise, config, "test")
    editor = _listed(exercise, config, "editor")
    examples = _listed(exercise, config, "example")
    for key, paths in (("solution", solution), ("test", tests), ("example", examples)):
        if not paths:
            raise BenchmarkError(f"{exercise / '.meta/config.json'}: files.{key} is empty; an exercise needs at "
                                 f"least one {key} file")

    try:
        reference_map = {ex: language.reference_target(ex, solution, exercise.name) for ex in examples}
    except LayoutError as err:
        raise BenchmarkError(f"{exercise}: {err}") from None
    for meta_path, target in language.unlisted_references.items():
        if _contained(exercise, meta_path).is_file():
            reference_map[meta_path] = target
    if len(set(reference_map.values())) != len(reference_map):
        raise BenchmarkError(f"{exercise}: two example files map onto the same solution path: {reference_map}")

    files: list[ProblemFile] = []
    for role, paths in (("solution", solution), ("test", tests), ("editor", editor)):
        files.extend(ProblemFile(p, role, _read_text(exercise / p, exercise)) for p in paths)
    files.extend(ProblemFile(target, "reference", _read_text(exercise / ex, exercise))
                 for ex, target in reference_map.items())
    taken = set(solution) | set(tests) | set(editor)
    files.extend(ProblemFile(p, "support", _read_text(exercise / p, exercise))
                 for p in _support_paths(exercise, language, taken, links_skipped))
    for f in files:
        _check_placeable(exercise, f.path)

    instructions = _instructions(exercise)
    test_cases = _test_case_count(exercise)
    reference_lines = sum(1 for f in files if f.role == "reference" for line in f.content.splitlines() if line.strip())
    test_size = test_cases if test_cases is not None else sum(f.content.count("\n") for f in files if f.role == "test") // 10
    metadata = ProblemMetadata(
        blurb=str(config.get("blurb") or ""),
        source=config.get("source"),
        source_url=config.get("source_url"),
        authors=tuple(config.get("authors") or ()),
        test_case_count=test_cases,
        difficulty=difficulty,
        added=added,
        complexity=complexity_score(reference_lines, test_size, len(instructions)),
    )
    return Problem(
        language=language.name,
        slug=exercise.name,
        instructions=instructions,
        files=tuple(files),
        metadata=metadata,
        reference_removes=tuple(language.reference_removes(solution, list(reference_map.values()))),
    )


class PolyglotBenchmarkExtractor:
    """Reads every exercise of a benchmark tree (the seed's extractor, by its name).

    >>> from polyglot_hrm.problems import PolyglotBenchmarkExtractor, mini_benchmark_root
    >>> problems = PolyglotBenchmarkExtractor(mini_benchmark_root()).extract()
    >>> problems[0].id.count("/")
    1
    """

    def __init__(self, benchmark_root: str | Path, languages: Iterable[str] | None = None, strict: bool = False):
        self.root = Path(benchmark_root).expanduser()
        self.languages = [get_language(name).name for name in languages] if languages else None
        self.strict = strict
        self.report = ExtractReport(root=self.root)

    def extract(self) -> list[Problem]:
        start = time.perf_counter()
        layout, exercises = _layout(self.root, self.languages)
        self.report = ExtractReport(root=self.root, layout=layout)
        added = self._added_dates(layout) if exercises else {}
        problems = []
        for ex in exercises:
            try:
                problems.append(read_exercise(ex.path, ex.language, ex.difficulty, self.report.links_skipped,
                                              added.get(ex.path.name)))
            except BenchmarkError as err:
                if self.strict:
                    raise
                logger.warning("skipped: %s", err)
                self.report.skipped.append((str(ex.path), str(err)))
        if not problems and not self.report.skipped:
            raise BenchmarkError(f"{self.root}: no exercises found (layout {layout}"
                                 f"{', languages ' + ','.join(self.languages) if self.languages else ''})")
        self.report.problems = len(problems)
        self.report.seconds = time.perf_counter() - start
        return problems

    def _added_dates(self, layout: str) -> dict[str, str]:
        """Slug -> added date for a track checkout with its git history (:mod:`.dates`); none for the other
        layouts: a polyglot-benchmark clone's history is Aider's copying of the exercises, not their tracks'."""
        if layout != "exercism-track":
            self.report.added_dates = "unknown: not an Exercism track checkout"
            return {}
        history = track_history(self.root)
        if history.reason:
            self.report.added_dates = f"unknown: {history.reason}"
            logger.info("%s: the exercises' added dates are unknown: %s", self.root, history.reason)
        else:
            self.report.added_dates = (f"git history at {history.head[:12]}"
                                       f"{' (cached)' if history.cached else ''}, {history.seconds:.2f} s")
        return history.added


def load_benchmark(benchmark_root: str | Path, languages: Iterable[str] | None = None,
                   strict: bool = False) -> list[Problem]:
    """All problems of a benchmark tree; see :class:`PolyglotBenchmarkExtractor`."""
    return PolyglotBenchmarkExtractor(benchmark_root, languages, strict).extract()


def skips_tests(root: str | Path, problem: Problem) -> bool:
    """Whether the exercise is marked ``.meta/.skip_tests`` under ``root``, in either layout (Go's ``counter`` asks
    the student to write the tests: its reference has no tests to run, so nothing of it can be judged by
    execution). The reader reads such exercises like any other; the dataset and the evaluation leave them out."""
    marker = PRACTICE / problem.slug / ".meta" / ".skip_tests"
    return (Path(root) / problem.language / marker).is_file() or (Path(root) / marker).is_file()
