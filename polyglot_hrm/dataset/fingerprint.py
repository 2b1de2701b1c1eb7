"""What the rows are made of, as digests: the benchmark trees read (:func:`data_hash`, :func:`tree_hash`, and a
track checkout's added dates, which come from its git history that :func:`tree_hash` does not read) and the
code that reads them (:func:`code_hash`). The builder names its Arrow cache folder after both, so a changed file
of either builds afresh and an unchanged pair reloads.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..languages.registry import ARTIFACT_FOLDERS as _SKIP_DIRS  # one list: each language declares its own
from ..problems import track_history
from .sources import DataDir, benchmark_slugs, data_roots, slugs_digest

__all__ = ["code_hash", "data_hash", "tree_hash"]


def data_hash(data_dir: DataDir, exclude_slugs_of: str | None = None) -> str:
    """A digest of every root's files (:func:`tree_hash`, in order) and of the slugs left out: what the rows
    are made of."""
    digest = hashlib.sha256()
    for root in data_roots(data_dir):
        digest.update(tree_hash(root).encode())
        digest.update(_added_digest(root).encode())
    if exclude_slugs_of:
        digest.update(b"exclude:" + slugs_digest(benchmark_slugs(exclude_slugs_of)).encode())
    return digest.hexdigest()


def _added_digest(root: Path) -> str:
    """The added dates of a track checkout's exercises (its rows' ``added`` column; a rewritten history changes
    them and no file), "" for other trees. Read once per checkout and HEAD, then cached
    (:func:`polyglot_hrm.problems.track_history`): the build that follows reads them from the cache."""
    if not ((root / "exercises" / "practice").is_dir() and (root / "config.json").is_file()):
        return ""
    history = track_history(root)
    return json.dumps(history.added, sort_keys=True) if history.added else ""


_TREE_MEMO: dict[tuple[str, str], str] = {}


def _walk(root: Path) -> list[Path]:
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        files.extend(Path(dirpath) / name for name in sorted(filenames))
    return files


def tree_hash(root: str | os.PathLike) -> str:
    """SHA-256 over the relative path and bytes of every file under ``root`` (build outputs and ``.git``
    skipped): any edit, addition, removal or rename changes it. About 0.3 s on the polyglot benchmark;
    within one process a tree whose files' paths, sizes and modification times are unchanged is not
    read again."""
    root = Path(root)
    files = _walk(root)
    stamp = hashlib.sha256()
    for path in files:
        try:
            st = path.stat()
            stamp.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
        except OSError:
            stamp.update(f"{path}\0?\0".encode())
    key = (str(root.resolve()), stamp.hexdigest())
    if key in _TREE_MEMO:
        return _TREE_MEMO[key]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"<unreadable>")
        digest.update(b"\0")
    _TREE_MEMO[key] = digest.hexdigest()
    return _TREE_MEMO[key]


#: The installed package: its code, the helpers its languages ship (proxies, runner sources) and its data.
_PACKAGE = Path(__file__).resolve().parent.parent


def code_hash() -> str:
    """A digest of the code that makes rows, so a new version of it does not reload stale rows: every file of the
    package (compiled ``__pycache__`` aside), with its path. No list to keep up to date: rows depend on most of
    the package (the reader, the languages' syntax, the synthesis, the runners that verify mutants), and a change
    elsewhere only costs one rebuild. About 3 MB, read in milliseconds."""
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*")):
        name = path.relative_to(_PACKAGE)
        if path.is_file() and "__pycache__" not in name.parts:
            digest.update(name.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]
