"""Private workspaces, and what a candidate may put in them.

A run's files are the benchmark's (the stub or reference tree) with the candidate's files laid over
them. A candidate writes *solution files only*: the exercise's own solution files, and new source
files where its language keeps solutions (:meth:`Language.new_file_problem`). Every other file it
sends — the exercise's tests, editor files, build and tool configuration, hidden files, files that
would shadow a tool or a standard module — is dropped (the benchmark's version runs, as Aider
restores tests) and listed with the reason, so an answer that echoes a test file back still counts.
Paths are normalised before any check (``./x_test.py`` is ``x_test.py``). A candidate is refused as a
whole (:class:`CandidateError`) only when a solution file itself is unusable. The benchmark tree is
never written.
"""

from __future__ import annotations

import ctypes
import logging
import os
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Iterator, Mapping

from ..problems.problem import Problem
from ..languages import get_language
from .sandbox import LEFTOVER_PREFIX

__all__ = ["MAX_CANDIDATE_BYTES", "MAX_CANDIDATE_FILES", "CandidateError", "IgnoredFile", "PreparedFiles",
           "disk_bounded", "materialise", "normalise_path", "remove_tree", "run_area", "workspace",
           "workspace_files"]

logger = logging.getLogger(__name__)

#: A candidate with more files or bytes than this is refused (no exercise needs a fraction of it).
MAX_CANDIDATE_FILES = 200
MAX_CANDIDATE_BYTES = 8 * 1024 * 1024
_MAX_PATH_BYTES = 1024
_MAX_NAME_BYTES = 255
_ROLE_REASONS = {"test": "an exercise test file: the benchmark's version runs",
                 "editor": "a read-only file of the exercise (editor file): the benchmark's version runs",
                 "support": "a build or tool file of the exercise: the benchmark's version runs"}


class CandidateError(ValueError):
    """A candidate that cannot be run at all (an unusable solution file, too many files or bytes)."""


@dataclass(frozen=True)
class IgnoredFile:
    """A file a candidate sent that the run left out, and why (``path`` as sent, with its normal form if other)."""

    path: str
    reason: str


@dataclass
class PreparedFiles:
    """The files of one run (after the candidate's), and the candidate's files that were dropped."""

    files: dict[str, str]
    ignored: list[IgnoredFile]


def normalise_path(raw: Any) -> str:
    """``raw`` as a clean relative POSIX path (``./a//b`` -> ``a/b``); :class:`ValueError` when it cannot be one."""
    if not isinstance(raw, str):
        raise ValueError(f"a file path must be a string, not {type(raw).__name__}")
    if not raw or "\0" in raw or "\\" in raw or any(ord(c) < 32 for c in raw):
        raise ValueError("empty, or holds a NUL, a backslash or a control character")
    try:
        encoded = raw.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("not encodable as UTF-8") from None
    pure = PurePosixPath(raw)
    if pure.is_absolute() or ".." in pure.parts or pure.as_posix() in ("", "."):
        raise ValueError("not a relative path inside the exercise")
    if len(encoded) > _MAX_PATH_BYTES or any(len(part.encode()) > _MAX_NAME_BYTES for part in pure.parts):
        raise ValueError("too long for a file name")
    return pure.as_posix()


def _usable_text(content: Any) -> str | None:
    """Why ``content`` cannot be written as a UTF-8 source file, or None."""
    if not isinstance(content, str):
        return f"content is a {type(content).__name__}, not text"
    try:
        content.encode("utf-8")
    except UnicodeEncodeError:
        return "content is not encodable as UTF-8 (lone surrogates)"
    return None


def workspace_files(problem: Problem, mode: str, candidate: Mapping[str, str] | None = None) -> PreparedFiles:
    """The files of one run: the stub or reference tree, then the candidate's solution files over it."""
    language = get_language(problem.language)
    files = language.stub_tree(problem, mode)
    ignored: list[IgnoredFile] = []
    if candidate:
        if len(candidate) > MAX_CANDIDATE_FILES:
            raise CandidateError(f"the candidate has {len(candidate)} files; at most {MAX_CANDIDATE_FILES} are accepted")
        roles = {f.path: f.role for f in problem.files if f.role != "reference"}
        solutions = {f.path for f in problem.files if f.role == "solution"}
        taken: dict[str, str] = {}
        total = 0
        for raw, content in candidate.items():
            try:
                path = normalise_path(raw)
            except ValueError as err:
                ignored.append(IgnoredFile(repr(raw)[:120] if not isinstance(raw, str) else raw[:300], f"bad path: {err}"))
                continue
            unusable = _usable_text(content)
            if path in solutions:
                problem_text = unusable or language.source_problem(path, content)
                if problem_text:
                    raise CandidateError(f"solution file {path}: {problem_text}")
            else:
                reason = _ROLE_REASONS.get(roles.get(path, ""))
                if reason is None and any(part.startswith(".") for part in PurePosixPath(path).parts):
                    reason = "a hidden file"
                reason = reason or language.new_file_problem(path) or unusable or language.source_problem(path, content)
                if reason:
                    ignored.append(IgnoredFile(raw if raw == path else f"{raw} (= {path})", reason))
                    continue
            if path in taken and taken[path] != raw:
                raise CandidateError(f"files {taken[path]!r} and {raw!r} are both {path}; send each file once")
            total += len(content.encode("utf-8"))
            if total > MAX_CANDIDATE_BYTES:
                raise CandidateError(f"the candidate's files exceed {MAX_CANDIDATE_BYTES // (1024 * 1024)} MB")
            taken[path] = raw
            files[path] = content
        for item in ignored:
            logger.debug("%s: candidate file %s dropped: %s", problem.id, item.path, item.reason)
    return PreparedFiles({path: language.unskip(text) if language.is_test_file(path) else text
                          for path, text in files.items()}, ignored)


def materialise(directory: Path, files: Mapping[str, str]) -> None:
    for path, content in files.items():
        target = directory / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")


@contextmanager
def workspace(slug: str, files: Mapping[str, str], keep: bool = False, size_mb: int | None = None) -> Iterator[Path]:
    """A temporary ``<tmp>/<slug>/`` holding ``files``; removed afterwards unless ``keep``."""
    with run_area(size_mb, keep) as root:
        directory = root / slug
        directory.mkdir()
        materialise(directory, files)
        yield directory


@contextmanager
def run_area(size_mb: int | None = None, keep: bool = False) -> Iterator[Path]:
    """A run's own folder under the temporary directory, for its workspaces and reports.

    Where this process may mount (root), the folder is a tmpfs of ``size_mb``: a run that fills it gets ENOSPC
    alone, and the host's disk and the other runs never notice. Otherwise it is a plain folder (the disk is
    then shared; :func:`disk_bounded` says which). Removed afterwards, however deep or odd its tree.
    """
    # The pid in the name lets a sweep remove what a killed process left (:mod:`.nodes`).
    root = Path(tempfile.mkdtemp(prefix=f"{LEFTOVER_PREFIX}pid{os.getpid()}_"))
    mounted = size_mb is not None and mount_tmpfs(root, size_mb)
    root.chmod(0o711)  # a run's unprivileged uid must pass through to its workspace
    try:
        yield root
    finally:
        if keep:
            logger.info("kept the run's folder %s", root)
        else:
            if mounted:
                unmount(root)
            remove_tree(root)


_libc = None
_mount_refused = False
_MS_NOSUID, _MS_NODEV = 2, 4


def _c_library():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def mount_tmpfs(path: Path, size_mb: int) -> bool:
    """Mount a tmpfs of ``size_mb`` on ``path`` (root only); False where that is not possible here."""
    global _mount_refused
    if _mount_refused or os.geteuid() != 0 or not sys.platform.startswith("linux"):
        return False
    options = f"size={size_mb}m,mode=0711".encode()
    if _c_library().mount(b"polyglot-hrm", str(path).encode(), b"tmpfs", _MS_NOSUID | _MS_NODEV, options) != 0:
        err = ctypes.get_errno()
        _mount_refused = True
        logger.warning("cannot mount a size-limited tmpfs for runs (%s): a run's workspace shares the disk with "
                       "its neighbours", os.strerror(err))
        return False
    return True


def disk_bounded() -> bool:
    """Whether runs' workspaces are size-limited tmpfs mounts here."""
    return os.geteuid() == 0 and not _mount_refused and sys.platform.startswith("linux")


def unmount(path: Path) -> None:
    """Detach the mount on ``path`` (lazily: a process that still holds it cannot stop this)."""
    if _c_library().umount2(str(path).encode(), 2) != 0:  # MNT_DETACH
        logger.warning("could not unmount %s: %s", path, os.strerror(ctypes.get_errno()))


def remove_tree(root: Path, timeout: float = 300.0) -> bool:
    """Remove ``root`` and everything in it, of any depth, without following links or crossing into another
    mount; folders a run made unreadable are opened up first. Never raises: what cannot be removed is logged
    and False returned.

    GNU ``chmod -R``/``rm -rf`` walk with descriptors relative to each folder, so neither depth nor path length
    limits them (``shutil.rmtree`` recurses, and a 2,000-deep tree made it raise ``RecursionError``).
    """
    if not os.path.lexists(root):
        return True
    for argv in (["chmod", "-R", "--", "u+rwX", str(root)], ["rm", "-rf", "--one-file-system", "--", str(root)]):
        if os.path.islink(root) and argv[0] == "chmod":
            continue
        try:
            out = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        except (OSError, subprocess.TimeoutExpired) as err:
            logger.warning("cannot remove %s: %s failed: %s", root, argv[0], err)
            return False
        if out.returncode != 0 and argv[0] == "rm":
            logger.warning("cannot remove all of %s: %s", root, out.stderr.strip()[-300:])
    return not os.path.lexists(root)
