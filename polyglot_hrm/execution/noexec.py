"""The no-exec launcher: a test process that can start no program and fork no process once it runs.

Every step a language marks ``noexec`` (its test steps) is started as ``pg-noexec PROGRAM ARGS...``: a small
static C program (``noexec.c`` beside this file) that installs an irrevocable seccomp filter and then becomes
``PROGRAM``. From the program's first instruction on, ``execve``/``execveat``, ``fork``/``vfork`` and any ``clone``
that makes a process rather than a thread fail with ``EPERM`` (``clone3`` with ``ENOSYS``, so the C library
falls back to ``clone``, whose flags the filter can read); another architecture's or ABI's system calls kill
the process. So code in the test process cannot run the tests again in a child and rewrite what they report,
and nothing it starts outlives or escapes the step.

The launcher is built once per content with the system C compiler (``cc -static``) into the runner cache. If it
cannot be built, runs that need it are refused (``error`` naming the fix) rather than run without it.
"""

from __future__ import annotations

import logging
import platform
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from ..languages.artifacts import ArtifactCache, content_key
from ..languages.context import RunnerContext

__all__ = ["LAUNCHER_NAME", "NoexecUnavailable", "launcher", "launcher_problem"]

logger = logging.getLogger(__name__)

LAUNCHER_NAME = "pg-noexec"
_SOURCE = Path(__file__).with_name("noexec.c")
_FIX = "install a C compiler with static glibc (apt-get install gcc libc6-dev), then rerun"


class NoexecUnavailable(RuntimeError):
    """The no-exec launcher cannot be built here."""


def _compiler() -> str | None:
    return shutil.which("cc") or shutil.which("gcc")


@lru_cache(maxsize=4)
def _compiler_id(compiler: str) -> str:
    out = subprocess.run([compiler, "--version"], capture_output=True, text=True)
    return out.stdout.splitlines()[0] if out.stdout else compiler


def launcher(ctx: RunnerContext) -> Path:
    """The launcher binary in ``ctx``'s cache, built on first use; raises :class:`NoexecUnavailable`."""
    compiler = _compiler()
    if compiler is None:
        raise NoexecUnavailable(f"no C compiler to build the no-exec launcher; {_FIX}")
    if platform.machine() not in ("x86_64", "aarch64"):
        raise NoexecUnavailable(f"the no-exec launcher supports x86_64 and aarch64, not {platform.machine()}")
    source = _SOURCE.read_bytes()
    key = content_key("noexec-v1", source, _compiler_id(compiler), platform.machine())

    def build(folder: Path) -> None:
        out = subprocess.run([compiler, "-O2", "-static", "-o", str(folder / LAUNCHER_NAME), str(_SOURCE)],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise NoexecUnavailable(f"building the no-exec launcher failed: {out.stderr.strip()[-500:]}; {_FIX}")

    try:
        return ArtifactCache(ctx.path("noexec")).get(key, build) / LAUNCHER_NAME
    except OSError as err:
        raise NoexecUnavailable(f"cannot build the no-exec launcher in {ctx.path('noexec')}: {err}") from None


def launcher_problem(ctx: RunnerContext) -> str | None:
    """Why the launcher is not usable here (for ``doctor``), or None."""
    try:
        path = launcher(ctx)
    except NoexecUnavailable as err:
        return str(err)
    out = subprocess.run([str(path), "/bin/sh", "-c", "/bin/true"], capture_output=True, text=True, timeout=30)
    if out.returncode == 0:
        return f"the no-exec launcher at {path} let a shell start a program: the kernel's seccomp filter is not in force"
    return None
