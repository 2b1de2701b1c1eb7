"""Confinement for every run of untrusted code.

What a run gets, with bubblewrap (``bwrap``) present:

* a read-only view of the system (``--ro-bind / /``), a private ``/tmp`` and ``/dev``, its own
  ``/proc``;
* the user's home hidden behind an empty tmpfs; only the toolchains and the runner cache that
  live under it are bound back, read-only;
* one writable directory: its own workspace (and, for the compile step of Go only, the shared Go
  build cache, which holds compiler output, never the candidate's running code);
* no network (``--unshare-net``: a new namespace with a loopback that is down), its own PID, IPC
  and UTS namespaces, a new session, death with its parent;
* resource limits: CPU seconds, open files, file size and, where the process is not root, number
  of processes (``ulimit``); memory and processes through a per-run cgroup (v1 or v2) where the
  cgroup tree is writable, else per-language runtime flags plus an address-space limit for the
  languages that tolerate one (see :func:`memory_strategy`);
* a wall-clock timeout that kills the whole process group (and the cgroup), and a cap on the
  output kept (``safe_run``).

What it does **not** protect against: kernel exploits and bwrap escapes; reading world-readable
files outside the home directory (the system is visible, read-only); CPU contention with other
runs; timing side channels. Without bwrap a loud warning is logged once and runs get the limits
only: no filesystem, network or PID isolation.

Execution is opt-in, as with Hugging Face ``code_eval``: :func:`require_opt_in` refuses unless
``POLYGLOT_HRM_ALLOW_CODE_EXECUTION=1`` (or ``HF_ALLOW_CODE_EVAL=1``) is set.
"""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import signal
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

__all__ = ["OPT_IN_ENV", "ExecutionNotAllowed", "Limits", "Cgroup", "Sandbox", "allowed", "require_opt_in"]

logger = logging.getLogger(__name__)

OPT_IN_ENV = "POLYGLOT_HRM_ALLOW_CODE_EXECUTION"
_OPT_IN_ALIASES = (OPT_IN_ENV, "HF_ALLOW_CODE_EVAL")

OPT_IN_MESSAGE = f"""
################################################################################
This runs untrusted, model-generated code. It is confined (bubblewrap: read-only
system, private workspace, no network, own PID namespace; CPU, memory, process,
file-size and output limits; a wall-clock timeout), but no sandbox is perfect.
Read polyglot_hrm/execution/sandbox.py for what is and is not isolated.

Set {OPT_IN_ENV}=1 (or HF_ALLOW_CODE_EVAL=1) to allow it:

    export {OPT_IN_ENV}=1
################################################################################"""


class ExecutionNotAllowed(RuntimeError):
    """Code execution was not opted in to."""


def allowed() -> bool:
    return any(os.environ.get(name) == "1" for name in _OPT_IN_ALIASES)


def require_opt_in() -> None:
    if not allowed():
        raise ExecutionNotAllowed(OPT_IN_MESSAGE)


@dataclass(frozen=True)
class Limits:
    """Per-run resource limits. ``memory_mb`` bounds the whole run (cgroup) or each process (fallback)."""

    memory_mb: int = 3072
    processes: int = 512
    cpu_seconds: int = 600
    file_size_mb: int = 512
    open_files: int = 4096


# ----------------------------------------------------------------------------- cgroups


def _cgroup_v1_path(controller: str) -> Path | None:
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return Path("/sys/fs/cgroup") / controller / path.lstrip("/")
    return None


def _cgroup_v2_path() -> Path | None:
    if not Path("/sys/fs/cgroup/cgroup.controllers").is_file():
        return None
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        if line.startswith("0::"):
            return Path("/sys/fs/cgroup") / line[3:].lstrip("/")
    return None


class Cgroup:
    """A throw-away cgroup (memory + pids) for one run, v1 or v2; ``None`` from :meth:`create` when not possible."""

    def __init__(self, dirs: list[Path], version: int):
        self.dirs = dirs
        self.version = version

    @classmethod
    def create(cls, limits: Limits) -> "Cgroup | None":
        name = f"polyglot-hrm-{uuid.uuid4().hex[:12]}"
        memory = limits.memory_mb * 1024 * 1024
        try:
            v2 = _cgroup_v2_path()
            if v2 is not None:
                d = v2 / name
                d.mkdir()
                (d / "memory.max").write_text(str(memory))
                (d / "memory.swap.max").write_text("0") if (d / "memory.swap.max").exists() else None
                (d / "pids.max").write_text(str(limits.processes))
                return cls([d], 2)
            mem, pids = _cgroup_v1_path("memory"), _cgroup_v1_path("pids")
            if mem is None or pids is None:
                return None
            made = []
            try:
                for base in (mem, pids):
                    (base / name).mkdir()
                    made.append(base / name)
                (mem / name / "memory.limit_in_bytes").write_text(str(memory))
                swap = mem / name / "memory.memsw.limit_in_bytes"
                if swap.exists():
                    swap.write_text(str(memory))
                (pids / name / "pids.max").write_text(str(limits.processes))
            except OSError:
                for d in made:
                    d.rmdir()
                raise
            return cls(made, 1)
        except OSError as err:
            logger.debug("no per-run cgroup (%s); using per-language limits", err)
            return None

    def join_command(self) -> str:
        """Shell that moves the calling shell (and so everything it execs) into this cgroup."""
        return " && ".join(f"echo $$ > {shlex.quote(str(d / 'cgroup.procs'))}" for d in self.dirs)

    def memory_exceeded(self) -> bool:
        for d in self.dirs:
            oom = d / "memory.oom_control"  # v1: failcnt can stay 0 while the OOM killer acts
            if oom.is_file() and any(line.split()[:1] == ["oom_kill"] and int(line.split()[1]) > 0
                                     for line in oom.read_text().splitlines() if len(line.split()) == 2):
                return True
            for name in ("memory.failcnt", "memory.events"):
                path = d / name
                if path.is_file():
                    text = path.read_text()
                    if name == "memory.failcnt" and int(text.strip() or 0) > 0:
                        return True
                    if name == "memory.events" and any(
                            line.split()[0] in ("oom_kill", "max") and int(line.split()[1]) > 0
                            for line in text.splitlines() if line.strip()):
                        return True
        return False

    def kill_all(self) -> None:
        for _ in range(50):
            pids = {int(p) for d in self.dirs for p in (d / "cgroup.procs").read_text().split() if p}
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def remove(self) -> None:
        self.kill_all()
        for d in self.dirs:
            for _ in range(100):
                try:
                    d.rmdir()
                    break
                except OSError:
                    import time

                    time.sleep(0.02)


# ----------------------------------------------------------------------------- the sandbox


_warned_no_bwrap = False


def _hidden_binds(paths: Sequence[Path]) -> list[Path]:
    """Of the paths a run must see, those that the hidden home directory or the private /tmp would cover."""
    hidden = [Path.home().resolve(), Path("/tmp")]
    out = []
    for p in paths:
        p = Path(p).resolve() if Path(p).exists() else Path(p)
        if any(p == h or h in p.parents for h in hidden):
            out.append(p)
    return sorted(set(out))


@dataclass
class Sandbox:
    """Wraps each command of a run (see the module docstring for what it isolates)."""

    limits: Limits = field(default_factory=Limits)
    use_bwrap: bool | None = None  # None: when installed
    use_cgroup: bool = True

    def __post_init__(self) -> None:
        global _warned_no_bwrap
        if self.use_bwrap is None:
            self.use_bwrap = shutil.which("bwrap") is not None
            if not self.use_bwrap and not _warned_no_bwrap:
                _warned_no_bwrap = True
                logger.warning("bubblewrap (bwrap) is not installed: runs are NOT isolated (no filesystem, network "
                               "or PID confinement), only resource-limited. Install it: apt-get install bubblewrap")

    def visible_paths(self, ctx) -> list[Path]:
        """Toolchains and caches a run must see, wherever they live."""
        home = Path.home()
        # Only ~/.cargo/bin (rustup's proxies), not ~/.cargo: that may hold registry credentials.
        paths = [Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).parent, ctx.cache_dir,
                 home / ".rustup", home / ".cargo" / "bin"]
        for tool in ("go", "cargo", "node", "java", "javac", "cmake"):
            found = shutil.which(tool)
            if found:
                paths.append(Path(found).resolve().parent.parent)
        return [p for p in paths if p.exists()]

    def ulimit_command(self, address_space_mb: int | None) -> str:
        lim = self.limits
        parts = [f"ulimit -t {lim.cpu_seconds}", f"ulimit -n {lim.open_files}",
                 f"ulimit -f {lim.file_size_mb * 1024}", "ulimit -c 0"]
        if os.geteuid() != 0:
            # RLIMIT_NPROC counts every process of the user and root ignores it: only useful unprivileged.
            parts.append(f"ulimit -u {lim.processes + 256}")
        if address_space_mb:
            parts.append(f"ulimit -v {address_space_mb * 1024}")
        return " && ".join(parts)

    def bwrap_argv(self, workspace: Path, ctx, writable: Sequence[Path] = ()) -> list[str]:
        home = Path.home()
        argv = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
                "--tmpfs", str(home)]
        for p in _hidden_binds(self.visible_paths(ctx)):
            argv += ["--ro-bind", str(p), str(p)]
        for p in writable:
            Path(p).mkdir(parents=True, exist_ok=True)
            argv += ["--bind", str(p), str(p)]
        argv += ["--bind", str(workspace), str(workspace), "--chdir", str(workspace),
                 "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--hostname", "sandbox",
                # Started as root, bwrap would keep every capability: the run could unmount the
                # hidden home or remount / writable. Nothing a test needs wants a capability.
                "--cap-drop", "ALL",
                 "--die-with-parent", "--new-session", "--setenv", "HOME", str(home)]
        return argv

    def wrap(self, argv: Sequence[str], workspace: Path, ctx, cgroup: Cgroup | None = None,
             address_space_mb: int | None = None, writable: Sequence[Path] = ()) -> list[str]:
        """The command line that runs ``argv`` confined."""
        inner = list(argv)
        if self.use_bwrap:
            inner = self.bwrap_argv(workspace, ctx, writable) + ["--"] + inner
        prologue = [self.ulimit_command(None if cgroup else address_space_mb)]
        if cgroup is not None:
            prologue.insert(0, cgroup.join_command())
        script = " && ".join(prologue) + ' && exec "$@"'
        return ["bash", "-c", script, "polyglot-hrm-sandbox", *inner]
