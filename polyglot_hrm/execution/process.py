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

__all__ = ["ProcessOutcome", "Running", "excerpt", "safe_run", "start"]

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


class Running:
    """A started command whose output is pumped into a bounded head and tail (see :func:`start`)."""

    def __init__(self, argv: Sequence[str], cwd: Path, env: Mapping[str, str] | None, max_output_bytes: int,
                 pass_fds: Sequence[int] = ()):
        self.start_time = time.monotonic()
        self.proc = subprocess.Popen(list(argv), cwd=cwd, env=dict(env) if env is not None else None,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     start_new_session=True, pass_fds=tuple(pass_fds))
        self.max_output_bytes = max_output_bytes
        self.flooded = threading.Event()
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0
        self.reader = threading.Thread(target=self._pump, daemon=True)
        self.reader.start()

    def _pump(self) -> None:
        stdout = self.proc.stdout
        assert stdout is not None
        while True:
            chunk = stdout.read1(65536)
            if not chunk:
                return
            self.total += len(chunk)
            if self.total > self.max_output_bytes and not self.flooded.is_set():
                self.flooded.set()
                _kill_group(self.proc)
            room = HEAD_BYTES - len(self.head)
            if room > 0:
                self.head.extend(chunk[:room])
                chunk = chunk[room:]
            if chunk:
                self.tail.extend(chunk)
                if len(self.tail) > 2 * TAIL_BYTES:
                    del self.tail[:-TAIL_BYTES]

    def wait(self, timeout: float) -> ProcessOutcome:
        """Wait up to ``timeout`` seconds, then kill the group (also after a normal exit: a background child may
        still hold the pipe open) and return what happened."""
        timed_out = False
        try:
            self.proc.wait(timeout=max(timeout, 0.0))
        except subprocess.TimeoutExpired:
            timed_out = True
        return self._finish(timed_out)

    def stop(self) -> ProcessOutcome:
        """Kill the group now (it was only needed while another process ran) and return what it printed."""
        return self._finish(self.proc.poll() is None)

    def _finish(self, timed_out: bool) -> ProcessOutcome:
        _kill_group(self.proc)
        self.proc.wait()
        self.reader.join(timeout=5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        del self.tail[:-TAIL_BYTES]
        text = self.head.decode("utf-8", "replace")
        if self.total > len(self.head) + len(self.tail):
            text += f"\n... [{self.total - len(self.head) - len(self.tail)} bytes of output dropped] ...\n"
        text += self.tail.decode("utf-8", "replace")
        return ProcessOutcome(None if timed_out else self.proc.returncode, text, timed_out,
                              time.monotonic() - self.start_time, self.total, self.flooded.is_set())


def start(argv: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None,
          max_output_bytes: int = MAX_OUTPUT_BYTES, pass_fds: Sequence[int] = ()) -> Running:
    """Start ``argv`` in a new session with ``pass_fds`` inherited; raises only when it cannot start."""
    return Running(argv, cwd, env, max_output_bytes, pass_fds)


def safe_run(argv: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 60.0,
             max_output_bytes: int = MAX_OUTPUT_BYTES, pass_fds: Sequence[int] = ()) -> ProcessOutcome:
    """Run ``argv``; never raises for what the command does, only for a command that cannot start."""
    return start(argv, cwd, env, max_output_bytes, pass_fds).wait(timeout)


def excerpt(text: str, limit: int = 8000) -> str:
    """A size-capped excerpt: the start (what broke first) and the end (the summary)."""
    if len(text) <= limit:
        return text
    head = limit // 4
    return text[:head] + f"\n... [{len(text) - limit} characters cut] ...\n" + text[-(limit - head):]
