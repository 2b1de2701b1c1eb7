"""Private workspaces: a fresh copy of an exercise per run; the benchmark tree is never written."""

from __future__ import annotations

import logging
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Iterator, Mapping

from ..benchmark.problem import Problem
from ..languages import get_language

__all__ = ["CandidateError", "workspace_files", "materialise", "workspace"]

logger = logging.getLogger(__name__)


class CandidateError(ValueError):
    """A candidate's file cannot be placed (absolute path, ``..``, or outside the workspace)."""


def _check_path(path: str) -> None:
    pure = PurePosixPath(path)
    if not path or pure.is_absolute() or ".." in pure.parts or "\0" in path:
        raise CandidateError(f"candidate file path {path!r} is not a relative path inside the exercise")


def workspace_files(problem: Problem, mode: str, candidate: Mapping[str, str] | None = None) -> dict[str, str]:
    """The files of one run: the stub or reference tree, then the candidate's files over it.

    A candidate cannot replace the exercise's tests: a file it sends at a test path is ignored
    (with a warning), as Aider's harness restores the tests before running them.
    """
    files = problem.workspace_files("reference" if mode == "reference" else "stub")
    if candidate:
        tests = set(problem.paths("test"))
        for path, content in candidate.items():
            _check_path(path)
            if path in tests:
                logger.warning("%s: candidate file %s is a test file; kept the original", problem.id, path)
                continue
            files[path] = content
    language = get_language(problem.language)
    return {path: language.unskip(text) if language.is_test_file(path) else text for path, text in files.items()}


def materialise(directory: Path, files: Mapping[str, str]) -> None:
    for path, content in files.items():
        target = directory / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")


@contextmanager
def workspace(slug: str, files: Mapping[str, str], keep: bool = False) -> Iterator[Path]:
    """A temporary ``<tmp>/<slug>/`` holding ``files``; removed afterwards unless ``keep``."""
    root = Path(tempfile.mkdtemp(prefix="polyglot-hrm-"))
    directory = root / slug
    directory.mkdir()
    try:
        materialise(directory, files)
        yield directory
    finally:
        if keep:
            logger.info("kept workspace %s", directory)
        else:
            shutil.rmtree(root, ignore_errors=True)
