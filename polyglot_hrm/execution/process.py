"""The one way this project starts a subprocess on untrusted code.

``safe_run`` starts the command in a new session (its own process group), closes stdin,
merges stdout and stderr, keeps only a bounded head and tail of the output however much is
written, and on timeout kills the whole process group. It does not isolate anything by itself:
:mod:`polyglot_hrm.execution.sandbox` wraps the command for that.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

__all__ = ["ProcessOutcome", "safe_run", "excerpt"]

# What is kept of a command's output for parsing: the test tools print their summary at the end.
HEAD_BYTES = 256 * 1024
TAIL_BYTES = 768 * 1024
# Past this much output the run is stopped: no test suite prints that much, a flood does.
MAX_OUTPUT_BYTES = 64 * 1024 * 1024


@dataclass
class ProcessOutcome:
    returncode: int | None
    output: str
    timed_out: bool
    duration_s: float
    bytes_written: int
    output_exceeded: bool = False

    @property
    def truncated(self) -> bool:
        return self.bytes_written > HEAD_BYTES + TAIL_BYTES


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def safe_run(argv: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 60.0,
             max_output_bytes: int = MAX_OUTPUT_BYTES) -> ProcessOutcome:
    """Run ``argv``; never raises for what the command does, only for a command that cannot start."""
    start = time.monotonic()
    proc = subprocess.Popen(list(argv), cwd=cwd, env=dict(env) if env is not None else None,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    flooded = threading.Event()
    head = bytearray()
    tail = bytearray()
    total = 0

    def pump() -> None:
        nonlocal total
        assert proc.stdout is not None
        while True:
            chunk = proc.stdout.read1(65536)
            if not chunk:
                return
            total += len(chunk)
            if total > max_output_bytes and not flooded.is_set():
                flooded.set()
                _kill_group(proc)
            room = HEAD_BYTES - len(head)
            if room > 0:
                head.extend(chunk[:room])
                chunk = chunk[room:]
            if chunk:
                tail.extend(chunk)
                if len(tail) > 2 * TAIL_BYTES:
                    del tail[:-TAIL_BYTES]

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    timed_out = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
    # Kill the group even after a normal exit: a background child may still hold the pipe open.
    _kill_group(proc)
    proc.wait()
    reader.join(timeout=5)
    if proc.stdout is not None:
        proc.stdout.close()
    del tail[:-TAIL_BYTES]
    text = head.decode("utf-8", "replace")
    if total > len(head) + len(tail):
        text += f"\n... [{total - len(head) - len(tail)} bytes of output dropped] ...\n"
    text += tail.decode("utf-8", "replace")
    return ProcessOutcome(None if timed_out else proc.returncode, text, timed_out, time.monotonic() - start, total,
                          flooded.is_set())


def excerpt(text: str, limit: int = 8000) -> str:
    """A size-capped excerpt: the start (what broke first) and the end (the summary)."""
    if len(text) <= limit:
        return text
    head = limit // 4
    return text[:head] + f"\n... [{len(text) - limit} characters cut] ...\n" + text[-(limit - head):]
