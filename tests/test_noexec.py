"""The no-exec launcher (issue 23): once a test process runs, it can make threads but start no program and
fork no process, and system calls of another ABI kill it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from polyglot_hrm.execution.noexec import launcher, launcher_problem
from polyglot_hrm.languages.context import RunnerContext

PROBE = r"""
import ctypes, os, subprocess, sys, threading
t = threading.Thread(target=lambda: print("thread: ok", flush=True)); t.start(); t.join()
for name, attempt in [("fork", os.fork), ("spawn", lambda: subprocess.run(["/bin/true"])),
                      ("exec", lambda: os.execv("/bin/true", ["true"])), ("dup to 1023", lambda: os.dup2(1, 1023))]:
    try:
        attempt()
        print(name + ": allowed", flush=True)
    except OSError as err:
        print(name + ": " + err.strerror, flush=True)
if sys.argv[1:] == ["x32"]:
    # getpid through the x32 table (nr | 0x40000000): another ABI's call kills the process.
    ctypes.CDLL(None).syscall(0x40000000 + 39)
    print("x32: allowed", flush=True)
"""


@pytest.fixture(scope="module")
def noexec(tmp_path_factory):
    return launcher(RunnerContext(cache_dir=tmp_path_factory.mktemp("cache")))


def test_threads_run_but_no_program_starts_and_nothing_forks(noexec):
    out = subprocess.run([str(noexec), sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines == ["thread: ok", "fork: Operation not permitted", "spawn: Operation not permitted",
                     "exec: Operation not permitted", "dup to 1023: Bad file descriptor"], out.stdout


@pytest.mark.skipif(sys.platform != "linux" or __import__("platform").machine() != "x86_64", reason="x86_64 only")
def test_another_abi_kills_the_process(noexec):
    out = subprocess.run([str(noexec), sys.executable, "-c", PROBE, "x32"], capture_output=True, text=True, timeout=60)
    assert out.returncode == -31 and "x32: allowed" not in out.stdout, (out.returncode, out.stdout)  # SIGSYS


def test_the_launcher_is_built_once_and_checked(noexec, tmp_path):
    ctx = RunnerContext(cache_dir=noexec.parents[3])
    assert launcher(ctx) == noexec
    assert launcher_problem(ctx) is None
    # A program it cannot open is refused before anything is installed.
    out = subprocess.run([str(noexec), str(tmp_path / "missing")], capture_output=True, text=True)
    assert out.returncode == 127 and "cannot open" in out.stderr
