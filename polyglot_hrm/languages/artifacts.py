"""A content-addressed cache of build artifacts shared by runs (compiled test mains, build recipes).

An entry is a folder named by the SHA-256 of everything that determines its content (inputs,
flags, toolchain versions), so a stale entry can never be picked for different inputs. Each
entry carries a manifest of its files' hashes, checked on every use: a corrupt or half-written
entry is detected and rebuilt. Entries are built in a private temporary folder and moved into
place atomically, so concurrent runs never see a partial entry.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Iterable

__all__ = ["ArtifactCache", "PARTIAL", "content_key", "place_whole"]

logger = logging.getLogger(__name__)
MANIFEST = "MANIFEST.json"


PARTIAL = ".partial"  # the suffix of a folder still being filled (never read by a run)


def place_whole(target: Path, fill: Callable[[Path], None], complete: Callable[[Path], bool], prefix: str) -> bool:
    """Make the folder ``target`` appear whole: ``fill`` writes it (stamp last) in a private ``<prefix>*.partial``
    folder beside it, which is renamed into place. An interrupted fill leaves only a ``.partial`` folder; a
    ``target`` that ``complete`` rejects (an older, unstamped one) is replaced; of two fillers racing the first
    rename wins. Returns False when another filler's copy won the race."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=prefix, suffix=PARTIAL, dir=target.parent))
    try:
        os.chmod(staging, 0o755)  # runs read it under other uids
        fill(staging)
        if target.exists() and not complete(target):
            shutil.rmtree(target)
        try:
            os.rename(staging, target)
        except OSError:
            if not complete(target):
                raise
            return False
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return True


def content_key(*parts: str | bytes | Iterable[str]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, (list, tuple)):
            part = "\0".join(part)
        data = part if isinstance(part, bytes) else str(part).encode()
        digest.update(len(data).to_bytes(8, "little") + data)
    return digest.hexdigest()


def _readable(folder: Path) -> None:
    """Entries are read by runs under other, unprivileged uids: folders 0755, files 0644 (0755 if executable)."""
    for dirpath, _, filenames in os.walk(folder):
        os.chmod(dirpath, 0o755)
        for name in filenames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                os.chmod(path, 0o755 if os.stat(path).st_mode & 0o111 else 0o644)


def _file_hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != MANIFEST}


class ArtifactCache:
    def __init__(self, root: Path):
        self.root = Path(root)

    def _valid(self, entry: Path) -> bool:
        try:
            manifest = json.loads((entry / MANIFEST).read_text())
        except (OSError, ValueError):
            return False
        return bool(manifest) and manifest == _file_hashes(entry)

    def get(self, key: str, build: Callable[[Path], None]) -> Path:
        """The entry for ``key``, calling ``build(folder)`` to fill it when missing or corrupt."""
        entry = self.root / key[:2] / key
        if self._valid(entry):
            if entry.stat().st_mode & 0o777 != 0o755:  # made by a version that left it private
                _readable(entry)
            return entry
        if entry.exists():
            logger.warning("artifact cache entry %s is corrupt or incomplete; rebuilding it", entry)
        entry.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{key[:12]}-", dir=entry.parent))
        try:
            build(staging)
            (staging / MANIFEST).write_text(json.dumps(_file_hashes(staging), indent=0))
            _readable(staging)
            if entry.exists():
                shutil.rmtree(entry, ignore_errors=True)
            try:
                os.rename(staging, entry)
            except OSError:
                # Another run finished the same entry first: identical content by construction.
                if not self._valid(entry):
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return entry
