"""The run journal: every finished (model, case, sample, attempt) is appended as a JSON line next to the
results as soon as it is finished, so that a run that dies (a kill, Ctrl-C) resumes where it stopped. Scoring
a solutions file keeps one too: its ``run`` line names the candidates' hash, and each candidate's result is a
``result`` line with attempt 0.

``results.json`` gets ``results.jsonl`` beside it. Its lines::

    {"kind": "run", "settings": {...}}       the first line: what produced the answers (backend, model, edit
                                             format, sampling, seed, timeout rule); never a secret
    {"kind": "answer", "model": ..., "case": ID, "sample": S, "attempt": A, "answer": {text, tokens_in, ...}}
    {"kind": "result", "model": ..., "case": ID, "sample": S, "attempt": A, "measures": {...},
     "run": {RunResult}, "run_key": K, "executed": true}

Rerunning the same command reads the journal back: an answer it holds is not generated again, a result it
holds is not executed again, and a candidate that resolves to the same files as one already run (its
``run_key``) reuses that run (``executed`` false). The final results are built from the journal alone, so
an interrupted and resumed run gives the results an uninterrupted run gives (timings aside). A last line
cut short by a kill is ignored; a journal whose ``run`` line has other settings is refused, with the fix.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

__all__ = ["Journal", "JournalError", "Key", "journal_path"]

logger = logging.getLogger(__name__)

Key = tuple[str, int, int]  # (case id, sample, attempt)


class JournalError(ValueError):
    """A journal that cannot be resumed by this run."""


def journal_path(output: str | Path) -> Path:
    """Where the journal of the results file ``output`` lives: the same name with ``.jsonl``. An ``output``
    that itself ends in ``.jsonl`` is refused: it *is* that name, and the results would overwrite the journal
    they are built from (a rerun would then find it "damaged"). Results are one JSON document, not JSON lines."""
    output = Path(output)
    if output.suffix.lower() == ".jsonl":
        raise JournalError(f"output={output}: a .jsonl name is where the journal of the results goes (the output's "
                           f"name with .jsonl), so the results would overwrite their own journal; give the results a "
                           f".json name, e.g. {output.with_suffix('.json')} (the journal is then {output})")
    return output.with_suffix(".jsonl")


class Journal:
    """Answers and results by (case, sample, attempt); appended to ``path`` when one is given (else in memory)."""

    def __init__(self, path: str | Path | None, settings: dict[str, Any], resume: bool = True):
        self.path = Path(path) if path is not None else None
        self.settings = json.loads(json.dumps(settings))  # as it reads back
        self.model = str(settings.get("model") or settings.get("backend") or "model")
        self.answers: dict[Key, dict[str, Any]] = {}
        self.results: dict[Key, dict[str, Any]] = {}
        self.runs: dict[str, dict[str, Any]] = {}  # run_key -> RunResult dict
        self._lock = threading.Lock()
        self._file = None
        if self.path is None:
            return
        if resume and self.path.exists() and self.path.stat().st_size:
            self._load()
            logger.info("resuming from %s: %d answers and %d results already done", self.path, len(self.answers),
                        len(self.results))
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps({"kind": "run", "settings": self.settings}) + "\n")
        self._file = self.path.open("a", encoding="utf-8")

    def _load(self) -> None:
        assert self.path is not None
        lines = self.path.read_text(encoding="utf-8").split("\n")
        records = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                if number >= len(lines) - 1:  # the last line, cut short by a kill
                    logger.warning("%s: ignoring its last line, cut short (the run was interrupted)", self.path)
                    self._truncate_last_line()
                    break
                raise JournalError(f"{self.path}:{number}: not JSON; the journal is damaged. Delete it (or pass "
                                   "--no-resume) to start the run over.") from None
        if not records or records[0].get("kind") != "run":
            raise JournalError(f"{self.path}: not a run journal (no `run` line first). Delete it, choose another "
                               "--output, or pass --no-resume.")
        theirs = records[0].get("settings") or {}
        differ = sorted(k for k in set(theirs) | set(self.settings) if theirs.get(k) != self.settings.get(k))
        if differ:
            detail = ", ".join(f"{k}: {theirs.get(k)!r} there, {self.settings.get(k)!r} now" for k in differ)
            raise JournalError(f"{self.path} holds a run with other settings ({detail}). Rerun with the same options "
                               "to resume it, choose another --output, or pass --no-resume to start over (the "
                               "journal is replaced).")
        for r in records[1:]:
            key = (str(r["case"]), int(r["sample"]), int(r["attempt"]))
            if r["kind"] == "answer":
                self.answers[key] = r["answer"]
            elif r["kind"] == "result":
                self.results[key] = r
                if r.get("run_key") and r.get("run"):
                    self.runs[r["run_key"]] = r["run"]

    def _truncate_last_line(self) -> None:
        assert self.path is not None
        data = self.path.read_bytes()
        keep = data[: data.rstrip(b"\n").rfind(b"\n") + 1]
        self.path.write_bytes(keep)

    def _append(self, record: dict[str, Any]) -> None:
        if self._file is None:
            return
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()  # a killed process loses nothing that was finished

    def add_answer(self, key: Key, answer: dict[str, Any]) -> None:
        with self._lock:
            self.answers[key] = answer
            self._append({"kind": "answer", "model": self.model, "case": key[0], "sample": key[1],
                          "attempt": key[2], "answer": answer})

    def add_result(self, key: Key, measures: dict[str, Any], run: dict[str, Any] | None, run_key: str | None,
                   executed: bool) -> None:
        record = {"kind": "result", "model": self.model, "case": key[0], "sample": key[1], "attempt": key[2],
                  "measures": measures, "run": run, "run_key": run_key, "executed": executed}
        with self._lock:
            self.results[key] = record
            if run_key and run:
                self.runs[run_key] = run
            self._append(record)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
