"""Folders and files this tool writes: ownership manifests, atomic writes, writability checked up front.

Every folder polyglot-hrm writes carries a small manifest, ``.polyglot-hrm.json``, naming the files (or whole
sub-folders) it wrote there. The rules that follow from it:

* a folder holding a manifest is ours: it may be replaced (export, reports, the demo) or resumed (an
  evaluation's journal), and only the entries the manifest lists are ever removed or overwritten;
* a non-empty folder without one is not ours and is refused, naming it; no flag deletes files we did not
  write (the user empties or moves it);
* a single file target in a shared folder (``evaluate --output results.json`` in the working directory) is
  checked the same way: an existing file the folder's manifest does not list is refused;
* results are written to a temporary file beside the target and renamed over it, so a crash or Ctrl-C leaves
  the old file or the new one, never half of one;
* :func:`check_writable` is called before long work starts, so a bad path fails in a second, not after an
  hour of scoring;
* what is written honours the umask, like any other tool's output: a temporary file (mode 0600) or folder
  (0700) renamed into place gets the mode a plain ``open`` or ``mkdir`` would have given it
  (:func:`honour_umask`), so a shared export or a report a web server serves is readable by others.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

__all__ = ["MANIFEST", "Manifest", "NotOursError", "OutputError", "atomic_path", "atomic_write_text",
           "check_writable", "claim_dir", "claim_files", "honour_umask", "write_fault", "install_tree", "read_manifest",
           "record_files", "remove_listed", "umask"]

logger = logging.getLogger(__name__)

MANIFEST = ".polyglot-hrm.json"
TOOL = "polyglot-hrm"


class OutputError(OSError):
    """An output path that cannot be written (a folder where a file goes, read-only, under a file)."""


class NotOursError(OutputError):
    """A non-empty folder, or an existing file, that polyglot-hrm did not write: never overwritten."""


@dataclass
class Manifest:
    """What polyglot-hrm wrote in one folder: ``kind`` (export, training, evaluation, demo, ...) and the
    entries relative to the folder (a listed sub-folder is ours as a whole)."""

    kind: str
    files: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps({"tool": TOOL, "kind": self.kind, "files": sorted(set(self.files))}, indent=1) + "\n"


def read_manifest(folder: str | Path) -> Manifest | None:
    """The folder's manifest, or None when it has none (or an unreadable one: then it is not ours)."""
    path = Path(folder) / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("tool") != TOOL or not isinstance(data.get("files"), list):
        return None
    return Manifest(str(data.get("kind") or ""), [str(f) for f in data["files"]])


def write_manifest(folder: str | Path, manifest: Manifest) -> None:
    atomic_write_text(Path(folder) / MANIFEST, manifest.to_json())


def record_files(folder: str | Path, kind: str, entries: Iterable[str | Path]) -> Manifest:
    """Add ``entries`` (paths inside ``folder``, absolute or relative) to the folder's manifest."""
    folder = Path(folder)
    manifest = read_manifest(folder) or Manifest(kind)
    for entry in entries:
        path = Path(entry)
        rel = path.resolve().relative_to(folder.resolve()) if path.is_absolute() else path
        manifest.files.append(rel.as_posix())
    manifest.files = sorted(set(manifest.files))
    write_manifest(folder, manifest)
    return manifest


def _sample(folder: Path, limit: int = 5) -> str:
    names = sorted(p.name for p in folder.iterdir() if p.name != MANIFEST)
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")


def claim_dir(folder: str | Path, kind: str, what: str = "output folder") -> Manifest | None:
    """Check that ``folder`` may be written as a whole: absent, empty, or ours (its manifest is returned).
    Raises :class:`NotOursError` naming the folder and some of its files otherwise."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{what} {folder}: exists and is not a folder; choose another path")
    if not folder.is_dir() or not any(folder.iterdir()):
        return None
    manifest = read_manifest(folder)
    if manifest is None:
        raise NotOursError(f"{what} {folder} is not empty ({_sample(folder)}) and was not written by polyglot-hrm "
                           f"(no {MANIFEST}); nothing there is overwritten or deleted. Choose another folder, or "
                           f"move or delete its files yourself.")
    if manifest.kind != kind:  # e.g. an export into a folder of evaluation results: not to be replaced
        raise NotOursError(f"{what} {folder} holds polyglot-hrm {manifest.kind or 'other'} outputs, not "
                           f"{kind} ones ({_sample(folder)}); it is not replaced. Choose another folder.")
    return manifest


def claim_files(folder: str | Path, names: Iterable[str], what: str = "output") -> None:
    """Check that each file ``folder/name`` is absent or listed in the folder's manifest (ours to replace)."""
    folder = Path(folder)
    manifest = read_manifest(folder) if folder.is_dir() else None
    listed = set(manifest.files) if manifest else set()
    for name in names:
        path = folder / name
        if path.is_dir():
            raise OutputError(f"{what} {path}: is a folder; give a file path (for example {path / 'results.json'})")
        if path.exists() and name not in listed:
            raise NotOursError(f"{what} {path} exists and was not written by polyglot-hrm (not listed in "
                               f"{folder / MANIFEST}); it is not overwritten. Choose another path, or move it.")


def check_writable(folder: str | Path, what: str = "output folder") -> None:
    """Prove a file can be created in ``folder`` (creating it for the test, and removing what it created), before
    any long work."""
    folder = Path(folder)
    missing = []  # the folders this check creates, removed again: a failed command leaves nothing behind
    for parent in [folder, *folder.parents]:
        if parent.exists() and not parent.is_dir():
            raise OutputError(f"{what} {folder}: {parent} is a file, not a folder; choose another path")
        if parent.exists():
            break
        missing.append(parent)
    try:
        for attempt in range(5):
            folder.mkdir(parents=True, exist_ok=True)
            try:
                with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-check-"):
                    pass
                break
            except FileNotFoundError:
                # Another process running this same check (a second rank of ``accelerate launch``) removed the
                # folder it had created between our mkdir and our file: make it again.
                if attempt == 4:
                    raise
    except OSError as err:
        raise OutputError(f"{what} {folder}: not writable ({err.strerror or err}); choose another path") from err
    finally:
        for created in missing:
            with contextlib.suppress(OSError):
                created.rmdir()


#: What torch says when it cannot write a checkpoint (it reports no errno): a full disk, in practice.
_TORCH_WRITE_FAILURES = ("PytorchStreamWriter failed", "unexpected pos", "file write failed")


def write_fault(err: BaseException) -> str | None:
    """What went wrong when ``err`` (or an error it was raised from) is a failed write: a full disk or quota
    (ENOSPC, EDQUOT), or torch failing to write a file; None for anything else. With the free space left."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in (errno.ENOSPC, errno.EDQUOT):
            where = current.filename
            return f"no space left on the disk{f' writing {where}' if where else ''}{_free(where)}"
        if isinstance(current, RuntimeError) and any(s in str(current) for s in _TORCH_WRITE_FAILURES):
            return f"writing a file failed ({str(current).splitlines()[0][:120]}); the disk is probably full"
        current = current.__cause__ or current.__context__
    return None


def _free(path: str | None) -> str:
    if not path:
        return ""
    folder = Path(path).parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    with contextlib.suppress(OSError):
        return f" ({shutil.disk_usage(folder).free / 1e6:.0f} MB free there)"
    return ""


def umask() -> int:
    """This process's umask (read without changing it where Linux says it; else set and restored at once)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def honour_umask(paths: Iterable[str | Path]) -> None:
    """Give each file (or folder) the mode a plain ``open`` (``mkdir``) would: 0666 (0777) less the umask. For
    what was written through a temporary file or folder, whose mode is 0600 (0700) whatever the umask."""
    mask = umask()
    for path in map(Path, paths):
        if path.is_symlink():
            continue
        if path.is_dir():
            os.chmod(path, 0o777 & ~mask)
        elif path.is_file():
            os.chmod(path, 0o666 & ~mask)


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; renamed over ``path`` when the block succeeds, removed
    when it fails (the old file, if any, stays whole)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp" + path.suffix)
    os.close(fd)
    try:
        yield Path(tmp)
        honour_umask([tmp])  # mkstemp made it 0600
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    return Path(path)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def remove_listed(folder: str | Path, manifest: Manifest) -> list[str]:
    """Remove the entries the manifest lists (and only those); returns what was removed."""
    folder = Path(folder).resolve()
    removed = []
    for entry in manifest.files:
        target = (folder / entry).resolve()
        if folder not in target.parents:  # a manifest never reaches outside its folder
            continue
        if target.exists() or target.is_symlink():
            _remove(target)
            removed.append(entry)
    _prune_empty(folder)
    return removed


def _prune_empty(folder: Path) -> None:
    for sub in sorted((p for p in folder.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):
            sub.rmdir()  # only succeeds when empty


def _relative_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and p.name != MANIFEST)


def install_tree(staging: str | Path, target: str | Path, kind: str) -> Manifest:
    """Move a folder built in ``staging`` into place at ``target``.

    ``target`` absent: one rename. ``target`` ours: the files its manifest lists are removed, the new ones
    moved in, and the manifest rewritten; files it does not list (a user's notes) stay. ``target`` not ours
    and not empty: refused (callers check with :func:`claim_dir` before building, this is the last guard).
    """
    staging, target = Path(staging), Path(target)
    files = _relative_files(staging)
    manifest = Manifest(kind, files)
    write_manifest(staging, manifest)
    old = claim_dir(target, kind)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging, target)
        return manifest
    listed = set(old.files) if old is not None else set()
    clash = [rel for rel in files if (target / rel).exists() and rel not in listed]
    if clash:  # a file of the same name that this tool did not write: refused before anything moves
        raise NotOursError(f"{target / clash[0]} exists and was not written by polyglot-hrm; it is not overwritten. "
                           f"Move it, or choose another folder.")
    if old is not None:
        removed = remove_listed(target, old)
        logger.info("%s: replaced %d file(s) this tool wrote earlier", target, len(removed))
    for rel in files:
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / rel, dest)
    write_manifest(target, manifest)
    shutil.rmtree(staging, ignore_errors=True)
    return manifest
