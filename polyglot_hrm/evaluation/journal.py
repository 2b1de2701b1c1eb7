"""An evaluation's journal: its answers and results, on the one journal format (:mod:`polyglot_hrm.execution.journal`).

Every finished (model, case, sample, attempt) is appended the moment it is finished, so that a run that dies (a
kill, Ctrl-C) resumes where it stopped. Scoring a solutions file keeps one too: its header's settings name the
candidates' hash, and each candidate's result is a ``result`` record with attempt 0.

``results.json`` gets ``results.jsonl`` beside it (:func:`~polyglot_hrm.execution.journal.journal_path`). After the
header (whose settings say what produced the answers: backend, model, edit format, sampling, seed, timeout rule;
never a secret), its lines::

    {"kind": "answer", "model": ..., "case": ID, "sample": S, "attempt": A, "answer": {text, tokens_in, ...}}
    {"kind": "result", "model": ..., "case": ID, "sample": S, "attempt": A, "measures": {...},
     "run": {RunResult}, "run_key": K, "executed": true}

Rerunning the same command reads the journal back: an answer it holds is not generated again, a result it
holds is not executed again, and a candidate whose run key (:func:`~polyglot_hrm.execution.journal.run_key`)
equals one already run reuses that run (``executed`` false). The final results are built from the journal
alone, so an interrupted and resumed run gives the results an uninterrupted run gives (timings aside). A line
cut by a kill is fenced and skipped; a journal of another format or with other settings is refused, with the fix,
unless it holds no record yet: nothing in it depends on its settings then, so a rerun with other options (what a
run stopped by a server's refusal asks for, say ``--no-sampling-params``) takes it over.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

from ..execution.journal import JournalFile

__all__ = ["Journal", "Key"]

logger = logging.getLogger(__name__)

Key = tuple[str, int, int]  # (case id, sample, attempt)

#: How a refused evaluation journal is started over (named as parameters; each command says its flags).
_START_OVER = "Choose another `output`, or pass `resume=False` to start over: the journal is replaced."


class Journal:
    """Answers and results by (case, sample, attempt); appended to ``path`` when one is given (else in memory)."""

    def __init__(self, path: str | Path | None, settings: dict[str, Any], resume: bool = True):
        if resume and path is not None and _header_only(Path(path)):
            resume = False  # no record yet: other settings may take it over (module docstring)
        self.file = JournalFile(path, "evaluation", settings, resume=resume, start_over=_START_OVER)
        self.path, self.settings = self.file.path, self.file.settings
        self.model = str(settings.get("model") or settings.get("backend") or "model")
        self.answers: dict[Key, dict[str, Any]] = {}
        self.results: dict[Key, dict[str, Any]] = {}
        self.runs: dict[str, dict[str, Any]] = {}  # run_key -> RunResult dict
        self._lock = threading.Lock()
        for number, record in self.file.records:
            try:
                self._read(record)
            except (KeyError, TypeError, ValueError) as err:
                raise self.file.damaged(number, f"{type(err).__name__}: {err}") from None
        if self.file.records:
            logger.info("resuming from %s: %d answers and %d results already done", self.path, len(self.answers),
                        len(self.results))

    def _read(self, record: dict[str, Any]) -> None:
        key = (str(record["case"]), int(record["sample"]), int(record["attempt"]))
        if record["kind"] == "answer":
            self.answers[key] = record["answer"]
        elif record["kind"] == "result":
            self.results[key] = record
            if record.get("run_key") and record.get("run"):
                self.runs[record["run_key"]] = record["run"]
        else:
            raise ValueError(f"unknown kind {record['kind']!r}")

    def add_answer(self, key: Key, answer: dict[str, Any]) -> None:
        record = {"kind": "answer", "model": self.model, "case": key[0], "sample": key[1], "attempt": key[2],
                  "answer": answer}
        with self._lock:
            self.answers[key] = answer
            self.file.append(record)

    def add_result(self, key: Key, measures: dict[str, Any], run: dict[str, Any] | None, run_key: str | None,
                   executed: bool) -> None:
        record = {"kind": "result", "model": self.model, "case": key[0], "sample": key[1], "attempt": key[2],
                  "measures": measures, "run": run, "run_key": run_key, "executed": executed}
        with self._lock:
            self.results[key] = record
            if run_key and run:
                self.runs[run_key] = run
            self.file.append(record)


def _header_only(path: Path) -> bool:
    """Whether ``path`` is an evaluation journal holding its header line and nothing else."""
    try:
        lines = [line for line in path.read_bytes().split(b"\n") if line.strip()]
        header = json.loads(lines[0]) if len(lines) == 1 else None
    except (OSError, ValueError):
        return False
    return isinstance(header, dict) and header.get("kind") == "journal" and header.get("purpose") == "evaluation"
