"""The resume journal of every long job (dataset verification, evaluation): one file format, one run key.

A long job appends each finished piece of work (a verification run; an evaluation's answer or result) to its
journal the moment it ends, so a job that dies (a kill, Ctrl-C, a full disk) and is started again does only
what the journal lacks; its results are built from the journal, so they equal an uninterrupted job's (timings
aside). The file is JSON lines, only ever appended to::

    {"kind": "journal", "format": 2, "purpose": "evaluation", "settings": {...}}   the header: the first line
    {...}                                                                          one record per finished piece

**The header** says which format wrote the file and for what job: a journal of another format (older, such
as the headerless files before format 2, or newer) is refused, since its records may mean something else,
and so is one of another purpose or whose settings differ (what produced its records: an evaluation's
backend, model, seed and timeout rule); each refusal names the file and how to start over. A new file gets
its header under the file's lock, before anyone can read it, so a header is never cut.

**The run key** (:func:`run_key`) says what makes two runs the same: the format version, the problem (id,
expected tests, every file with its role), the files run and the timeout. Equal keys give equal verdicts
(timeouts aside), so a run is made once: within a job (identical candidates) and across a kill. A journal holds
the runs of one purpose (verification lays the files in as the reference, evaluation over the stub), so the
key need not say how the files are laid in.

**A line cut by a kill** (the process died while appending it) is fenced, never truncated. Reading skips any
line that is not a whole JSON object, and a cut line cannot be one (json.dumps closes the object with the
line's last character), so it is never read as a result: its piece of work is done again. The next append
starts on a new line when the file does not end with one, so the rerun appends cleanly after it. Truncating
instead (rewriting the file without its last line) is a read-modify-write of the whole file: a kill during
it loses the journal, and a process appending at the same time (builds share the runner cache's verification
journal) loses its lines. Fencing only appends, so a kill at any moment costs at most the line being written.
Each append is one write under an exclusive lock on the file, so two processes never split each other's lines.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..problems.problem import Problem
from ..languages.context import RunnerContext
from ..outputs import atomic_write_text
from .timeouts import Timeout, check_timeout

__all__ = ["FORMAT_VERSION", "JournalError", "JournalFile", "journal_path", "run_key"]

logger = logging.getLogger(__name__)

#: The journal format and the meaning of a journaled run (its judge, its workspace): bumped when either
#: changes. Journals of another format are refused, and run keys change with it.
FORMAT_VERSION = 2


class JournalError(ValueError):
    """A journal that cannot be resumed by this job: its message names the file and how to start over."""


def journal_path(output: str | Path | None = None) -> Path:
    """Where a job's journal lives. A job that writes a results file ``output`` (an evaluation) keeps it beside
    the results, with the same name ending in ``.jsonl``; an ``output`` that itself ends in ``.jsonl`` is
    refused: it *is* that name, and the results would overwrite the journal they are built from. A job whose
    results are a cache (dataset verification, ``output`` None) keeps it in the runner cache:
    ``verified/runs.jsonl``."""
    if output is None:
        return RunnerContext().path("verified", "runs.jsonl")
    output = Path(output)
    if output.suffix.lower() == ".jsonl":
        raise JournalError(f"output={output}: a .jsonl name is where the journal of the results goes (the output's "
                           f"name with .jsonl), so the results would overwrite their own journal; give the results a "
                           f".json name, e.g. {output.with_suffix('.json')} (the journal is then {output})")
    return output.with_suffix(".jsonl")


def run_key(problem: Problem, files: Mapping[str, str], timeout: Timeout) -> str:
    """The identity of a run: the format version, the problem's id, expected tests, solution paths the reference
    removes and every file with its role, the files run, and the timeout (seconds, or the ``"auto"`` rule)."""
    identity = [FORMAT_VERSION, problem.id, list(problem.expected_tests), list(problem.reference_removes),
                sorted([f.path, f.role, f.content] for f in problem.files), sorted(files.items()),
                check_timeout(timeout)]
    return hashlib.sha256(json.dumps(identity).encode()).hexdigest()


def _header(purpose: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    return {"kind": "journal", "format": FORMAT_VERSION, "purpose": purpose, "settings": settings}


@contextmanager
def _locked(path: Path) -> Iterator[int]:
    """The journal file, created if missing, open for appending under an exclusive lock (released on close)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)


def _write(fd: int, data: bytes) -> None:
    while data:  # a short write (a signal, a nearly full disk) continues where it stopped
        data = data[os.write(fd, data):]


def _parse(line: bytes) -> dict[str, Any] | None:
    """The record a line holds, or None for a line that is not a whole JSON object (cut by a kill)."""
    try:
        record = json.loads(line)
    except ValueError:  # includes a UnicodeDecodeError
        return None
    return record if isinstance(record, dict) else None


class JournalFile:
    """One journal: the records it held when opened (:attr:`records`, each with its line number) and
    :meth:`append`. With ``path`` None it lives in memory only (a job that is not resumable). ``resume=False``
    replaces the file with a new header (start over); ``start_over`` says how a user does that, for refusals."""

    def __init__(self, path: str | Path | None, purpose: str, settings: Mapping[str, Any] | None = None, *,
                 resume: bool = True, start_over: str):
        self.path = Path(path) if path is not None else None
        self.purpose, self.start_over = purpose, start_over
        self.settings: dict[str, Any] = json.loads(json.dumps(dict(settings or {})))  # as it reads back
        self.records: list[tuple[int, dict[str, Any]]] = []
        self._lock = threading.Lock()  # answers and results arrive from several threads
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        header = json.dumps(_header(purpose, self.settings)) + "\n"
        if not resume:
            atomic_write_text(self.path, header)  # renamed into place: a kill leaves the old journal or the new
            return
        with _locked(self.path) as fd:
            if os.fstat(fd).st_size == 0:  # a new journal
                _write(fd, header.encode())
                return
            self.records = self._read()
        if self.records:
            logger.info("%s: resuming from %d records", self.path, len(self.records))

    def _read(self) -> list[tuple[int, dict[str, Any]]]:
        assert self.path is not None
        lines = self.path.read_bytes().split(b"\n")
        records, cut = [], []
        for number, line in enumerate(lines, start=1):
            if line.strip():
                record = _parse(line)
                if record is None:
                    cut.append(number)
                else:
                    records.append((number, record))
        if not records or records[0][0] != 1:
            raise self._refused("not a journal of this polyglot-hrm: its first line is not a journal header (a "
                                f"journal from before format {FORMAT_VERSION} has none)")
        self._check_header(records[0][1])
        if cut:
            logger.warning("%s: skipped %d line(s) cut short by a kill (line %s); their work is done again",
                           self.path, len(cut), ", ".join(map(str, cut)))
        return records[1:]

    def _check_header(self, header: dict[str, Any]) -> None:
        theirs = header.get("format")
        if header.get("kind") != "journal" or not isinstance(theirs, int):
            raise self._refused(f"a journal in an older format (before format {FORMAT_VERSION}: no header line); "
                                f"this polyglot-hrm reads format {FORMAT_VERSION} only")
        if theirs != FORMAT_VERSION:
            written = "an older" if theirs < FORMAT_VERSION else "a newer"
            raise self._refused(f"a journal in format {theirs}, written by {written} polyglot-hrm; this one reads "
                                f"format {FORMAT_VERSION} only")
        if header.get("purpose") != self.purpose:
            raise self._refused(f"a journal of {header.get('purpose')!r}, not of {self.purpose!r}")
        settings = header.get("settings") or {}
        differ = sorted(k for k in set(settings) | set(self.settings) if settings.get(k) != self.settings.get(k))
        if differ:
            detail = ", ".join(f"{k}: {settings.get(k)!r} there, {self.settings.get(k)!r} now" for k in differ)
            raise self._refused(f"it holds a {self.purpose} run with other settings ({detail}); rerun with the same "
                                "settings to resume it")

    def _refused(self, why: str) -> JournalError:
        return JournalError(f"{self.path}: {why}. {self.start_over}")

    def damaged(self, number: int, why: str) -> JournalError:
        """The error for a whole record at line ``number`` that its job cannot read (``why``)."""
        return self._refused(f"line {number} is not a record this {self.purpose} can read ({why}); the journal is "
                            "damaged")

    def append(self, record: Mapping[str, Any]) -> None:
        """Append ``record`` as one line, fencing a line cut by a kill (module docstring); nothing in memory."""
        if self.path is None:
            return
        line = (json.dumps(record) + "\n").encode()
        with self._lock, _locked(self.path) as fd:
            size = os.fstat(fd).st_size
            if size == 0:  # removed while the job ran: a journal again, with its header
                line = (json.dumps(_header(self.purpose, self.settings)) + "\n").encode() + line
            elif os.pread(fd, 1, size - 1) != b"\n":
                line = b"\n" + line
            _write(fd, line)
