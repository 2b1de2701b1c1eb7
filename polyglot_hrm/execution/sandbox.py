"""Confinement for every run of untrusted code.

**Who runs it.** Never host root. When this tool runs as root, every command of a run (build steps
included: ``#include``, ``include_str!`` and build scripts read files) drops, after the sandbox's
mounts are made, to an unprivileged host uid of its own with ``setpriv``: uid
``POLYGLOT_HRM_SANDBOX_UID_BASE + slot`` (default base 1900000000; one slot per concurrent run, leased
with a lock file, so runs side by side never share a per-uid limit such as the process count) and the
shared gid ``base``, no supplementary groups, no capabilities (bounding set empty), and
``no_new_privs`` (set-uid binaries do not raise it). A user namespace alone is not enough as root:
its uid 65534 is still host root to the kernel's file checks. Root-only host files (``/etc/shadow``)
are unreadable and ``/proc/sys`` is not writable. When the tool runs as an ordinary user, runs keep
that user's uid. If neither is possible (root without ``setpriv``) candidate runs are refused.

What a run gets, with bubblewrap (``bwrap``) present:

* a read-only view of the system (``--ro-bind / /``), a private ``/tmp`` and ``/dev``, its own
  ``/proc``;
* the user's home hidden behind an empty tmpfs; only the toolchains and the runner cache that
  live under it are bound back, read-only (so a run cannot poison a cache another run uses);
* writable: its own workspace and report folder (and, for the compile steps of Go only, the shared Go
  build cache, which holds compiler output, never the candidate's running code);
* no network (``--unshare-net``: a new namespace with a loopback that is down), its own PID, IPC
  and UTS namespaces, a new session, death with its parent;
* resource limits: CPU seconds, open files, file size and number of processes (``ulimit``, per run
  through its own uid); memory and processes through a per-run cgroup (v1 or v2) where the
  cgroup tree is writable, else per-language runtime flags plus an address-space limit for the
  languages that tolerate one (see :attr:`~polyglot_hrm.languages.base.Language.address_space_limit` and
  :meth:`~polyglot_hrm.languages.base.Language.memory_env`);
* a wall-clock timeout that kills the whole process group (and the cgroup), and a cap on the
  output kept (``safe_run``).

What it does **not** protect against: kernel exploits and bwrap escapes; reading world-readable
files outside the home directory (the system is visible, read-only); CPU contention with other
runs; timing side channels. Without bwrap a loud warning is logged once and runs get the limits
and the unprivileged uid only: no filesystem, network or PID isolation.

What a ``passed`` verdict rests on (the exercise's own tests, canaries, the test tool's structured
report) is the runner's business: see :mod:`polyglot_hrm.execution.verdict`.

Execution is opt-in, as with Hugging Face ``code_eval``: :func:`require_opt_in` refuses unless
``POLYGLOT_HRM_ALLOW_CODE_EXECUTION=1`` (or ``HF_ALLOW_CODE_EVAL=1``) is set.
"""

from __future__ import annotations

import fcntl
import logging
import os
import random
import shlex
import shutil
import signal
import stat
import sys
import tempfile
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Mapping, Sequence

from ..languages.registry import toolchain_paths
from ..settings import OPT_IN_ENV, UID_BASE_ENV, code_execution_allowed, sandbox_uid_base
from .process import safe_run

__all__ = ["LEFTOVER_PREFIX", "OPT_IN_ENV", "ExecutionNotAllowed", "Identity", "Limits", "Cgroup", "Sandbox",
           "SandboxUnavailable", "allowed", "cgroup_parents", "require_opt_in", "sandbox_probe"]

logger = logging.getLogger(__name__)


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


class SandboxUnavailable(RuntimeError):
    """Runs cannot be confined as promised here (e.g. running as root without ``setpriv``)."""


#: Workspaces and cgroups are named ``<prefix>pid<pid of the process that made them>_<random>``.
LEFTOVER_PREFIX = "polyglot-hrm-"

DEFAULT_UID_BASE = 1_900_000_000
UID_SLOTS = 256


@dataclass(frozen=True)
class Identity:
    """The unprivileged host uid/gid a run's processes have."""

    uid: int
    gid: int


def uid_base() -> int:
    value = sandbox_uid_base()
    if value is None:
        value = str(DEFAULT_UID_BASE)
    try:
        base = int(value)
    except ValueError:
        raise SandboxUnavailable(f"{UID_BASE_ENV}={value!r} is not a number; unset it or give a free uid range start") from None
    if not 1000 <= base <= 2**32 - UID_SLOTS - 2:
        raise SandboxUnavailable(f"{UID_BASE_ENV}={base} is outside 1000..{2**32 - UID_SLOTS - 2}")
    return base


def _lease_dir() -> Path:
    path = Path(tempfile.gettempdir()) / "polyglot-hrm-uids"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


@contextmanager
def lease_identity() -> Iterator[Identity | None]:
    """An unprivileged uid no other run (in any process) holds now; None when this process is not root.

    A lock file per uid slot: the lease ends when the run's context exits (or its process dies).
    """
    if os.geteuid() != 0:
        yield None
        return
    base = uid_base()
    slots = list(range(1, UID_SLOTS + 1))
    random.shuffle(slots)
    directory = _lease_dir()
    for blocking in (False, True):
        for slot in slots:
            fd = os.open(directory / f"{base + slot}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError:
                os.close(fd)
                continue
            try:
                yield Identity(base + slot, base)
            finally:
                os.close(fd)
            return


def give_to(identity: Identity | None, *roots: Path) -> None:
    """Make ``roots`` (recursively, links not followed) the run's own, so that its uid can write them."""
    if identity is None:
        return
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            os.lchown(dirpath, identity.uid, identity.gid)
            for name in [*dirnames, *filenames]:
                os.lchown(os.path.join(dirpath, name), identity.uid, identity.gid)


def share_with_sandbox(path: Path, gid: int) -> None:
    """Let every sandbox uid write a shared compiler cache: group ``gid``, group-writable, set-gid folders.

    Done once per cache and gid (a stamp inside records the gid); later runs create files with umask 002. Runs of
    another uid base (another gid) on the same cache take it over; the stamp alone would then let this gid's runs
    skip taking it back, and their uids could not write it (Go then fails compiles that need a new cache entry:
    "package crypto/rand is not in std"). So the folder's group is checked too, and a takeover drops other stamps.
    """
    stamp = path / f".polyglot-hrm-gid-{gid}"
    if stamp.is_file() and path.stat().st_gid == gid:
        return
    path.mkdir(parents=True, exist_ok=True)
    for other in path.glob(".polyglot-hrm-gid-*"):
        other.unlink()
    for dirpath, dirnames, filenames in os.walk(path):
        os.chown(dirpath, -1, gid)
        os.chmod(dirpath, stat.S_IMODE(os.stat(dirpath).st_mode) | 0o2070)
        for name in filenames:
            file = os.path.join(dirpath, name)
            if not os.path.islink(file):
                os.chown(file, -1, gid)
                os.chmod(file, stat.S_IMODE(os.stat(file).st_mode) | 0o060)
    stamp.write_text(f"{gid}\n")


def allowed() -> bool:
    return code_execution_allowed()


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
    #: Size of the run's own /tmp and home (each a tmpfs of this size), and of its workspace where it can be a
    #: tmpfs (:func:`~.workspace.run_area`): a run that fills them fails alone, its neighbours never notice.
    tmp_mb: int = 512
    disk_mb: int = 2048


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


def cgroup_parents() -> list[Path]:
    """The folders this process makes its runs' cgroups in (v2: one; v1: memory and pids); none found: []."""
    try:
        v2 = _cgroup_v2_path()
        if v2 is not None:
            return [v2]
        return [p for p in (_cgroup_v1_path("memory"), _cgroup_v1_path("pids")) if p is not None]
    except OSError:
        return []


class Cgroup:
    """A throw-away cgroup (memory + pids) for one run, v1 or v2; ``None`` from :meth:`create` when not possible."""

    def __init__(self, dirs: list[Path], version: int):
        self.dirs = dirs
        self.version = version

    @classmethod
    def create(cls, limits: Limits) -> "Cgroup | None":
        # The creator's pid in the name: a sweep (:func:`polyglot_hrm.execution.nodes.sweep_leftovers`) removes
        # the cgroups of a process that died without removing them (a killed worker).
        name = f"{LEFTOVER_PREFIX}pid{os.getpid()}_{uuid.uuid4().hex[:12]}"
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


#: What of the host a run sees, read-only: the system's programs and libraries and its configuration. Everything
#: else (home folders, /work, /srv, /mnt, the benchmark tree wherever it is kept outside these) is absent; the
#: toolchains and caches a run needs are bound back one by one (:meth:`Sandbox.visible_paths`).
SYSTEM_DIRS = ("/usr", "/etc", "/sys")
#: Top-level links and folders of the system (merged-/usr links on most distributions).
SYSTEM_ENTRIES = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


def _under(path: Path, roots) -> bool:
    return any(path == r or r in path.parents for r in roots)


def _system_view() -> list[str]:
    argv: list[str] = []
    for d in SYSTEM_DIRS:
        argv += ["--ro-bind-try", d, d]
    for entry in SYSTEM_ENTRIES:
        if os.path.islink(entry):
            argv += ["--symlink", os.readlink(entry), entry]
        elif os.path.isdir(entry):
            argv += ["--ro-bind", entry, entry]
    return argv


def _parents(path: Path, made: set[Path], bound: Sequence[Path]) -> list[str]:
    """bwrap arguments that create the folders above ``path`` that do not exist in the run yet, as 0755 (bwrap
    would make them 0700, which the run's unprivileged uid could not pass). ``bound``: host folders bound into
    the run so far (their subtrees exist); ``made``: folders created so far, and the tmpfs roots (updated)."""
    out = []
    for parent in reversed(path.parents):
        if parent == Path("/") or parent in made or _under(parent, bound):
            continue
        out += ["--perms", "0755", "--dir", str(parent)]
        made.add(parent)
    return out


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
        """Toolchains and caches a run must see, wherever they live: the Python this package runs on (a runner may
        start ``ctx.python``), the runner cache, and every language's toolchain
        (:func:`polyglot_hrm.languages.registry.toolchain_paths`)."""
        paths = [Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).parent, ctx.cache_dir,
                 *toolchain_paths()]
        return [p for p in paths if p.exists()]

    def ulimit_command(self, address_space_mb: int | None) -> str:
        lim = self.limits
        # RLIMIT_NPROC counts every process of a uid (root ignores it): each run has a uid of its own.
        parts = [f"ulimit -t {lim.cpu_seconds}", f"ulimit -n {lim.open_files}",
                 f"ulimit -f {lim.file_size_mb * 1024}", "ulimit -c 0", f"ulimit -u {lim.processes + 256}"]
        if address_space_mb:
            parts.append(f"ulimit -v {address_space_mb * 1024}")
        return " && ".join(parts)

    def bwrap_argv(self, workspace: Path, ctx, writable: Sequence[Path] = (), identity: Identity | None = None,
                   visible: Sequence[Path] | None = None) -> list[str]:
        """``visible``: the host paths the run sees read-only besides the system (default: :meth:`visible_paths`)."""
        home = Path.home()
        size = f"{self.limits.tmp_mb * 1024 * 1024}"
        argv = ["bwrap", *_system_view(), "--dev", "/dev", "--proc", "/proc",
                "--perms", "1777", "--size", size, "--tmpfs", "/tmp",
                "--perms", "0755", "--size", size, "--tmpfs", str(home)]
        made: set[Path] = {Path("/tmp"), home}  # tmpfs roots: they exist, their contents are the run's own
        bound: list[Path] = [Path(d) for d in SYSTEM_DIRS]
        paths = sorted({Path(p).resolve() for p in (self.visible_paths(ctx) if visible is None else visible)
                        if Path(p).exists()}, key=lambda p: len(p.parts))
        binds = [(p, "--ro-bind") for p in paths if not _under(p, bound)]
        binds += [(Path(p), "--bind") for p in [*writable, workspace]]
        for p, how in binds:
            if how == "--bind":
                Path(p).mkdir(parents=True, exist_ok=True)
            argv += _parents(Path(p), made, bound)
            argv += [how, str(p), str(p)]
            bound.append(Path(p))
        # Started as root, bwrap would keep every capability: the run could unmount the hidden home or
        # remount / writable. setpriv needs three to drop to the run's uid; it then drops them all.
        caps = ["--cap-drop", "ALL"]
        if identity is not None:
            caps += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP"]
        argv += ["--chdir", str(workspace),
                 "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--hostname", "sandbox",
                 *caps, "--die-with-parent", "--new-session", "--setenv", "HOME", str(home)]
        return argv

    def wrap(self, argv: Sequence[str], workspace: Path, ctx, cgroup: Cgroup | None = None,
             address_space_mb: int | None = None, writable: Sequence[Path] = (),
             identity: Identity | None = None, fds: Mapping[int, int] | None = None,
             noexec: Path | None = None, visible: Sequence[Path] | None = None) -> list[str]:
        """The command line that runs ``argv`` confined, as ``identity`` (required when this process is root).

        ``fds``: {number in the run: descriptor here}, each passed to :func:`~.process.start` in ``pass_fds``
        and moved to its number before anything of the run starts. ``noexec``: the no-exec launcher
        (:mod:`.noexec`), put last so that the filter it installs applies to ``argv`` alone.
        """
        if identity is None and os.geteuid() == 0:
            raise SandboxUnavailable("refusing to run a command as root: no unprivileged identity was given")
        inner = list(argv)
        if noexec is not None:
            inner = [str(noexec), *inner]
        if identity is not None:
            setpriv = shutil.which("setpriv")
            if setpriv is None:
                raise SandboxUnavailable("running as root, but `setpriv` (util-linux) is missing, so runs cannot drop "
                                         "to an unprivileged uid: install util-linux, or run as an ordinary user")
            inner = [setpriv, f"--reuid={identity.uid}", f"--regid={identity.gid}", "--clear-groups",
                     "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--", *inner]
        if self.use_bwrap:
            inner = self.bwrap_argv(workspace, ctx, writable, identity, visible) + ["--"] + inner
        prologue = [self.ulimit_command(None if cgroup else address_space_mb)]
        if writable:
            prologue.append("umask 002")  # files in a shared cache stay writable by the other runs' uids
        if fds:
            # Inherited at high numbers (see pass_fds), moved to where the run expects them, the originals closed.
            moves = " ".join(f"{target}<&{source}" for target, source in sorted(fds.items()))
            closes = " ".join(f"{source}<&-" for source in sorted(set(fds.values()) - set(fds)))
            prologue.append(f"exec {moves} {closes}".rstrip())
        if cgroup is not None:
            prologue.insert(0, cgroup.join_command())
        script = " && ".join(prologue) + ' && exec "$@"'
        return ["bash", "-c", script, "polyglot-hrm-sandbox", *inner]


def sandbox_probe(ctx) -> str | None:
    """Run one command here the way a run is confined (bwrap, an unprivileged uid, a cgroup); None when it
    works, else what went wrong."""
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed"
    sandbox = Sandbox(Limits(), use_bwrap=True)
    cgroup = Cgroup.create(sandbox.limits)
    root = Path(tempfile.mkdtemp(prefix=f"{LEFTOVER_PREFIX}pid{os.getpid()}_"))
    try:
        root.chmod(0o711)
        ws = root / "probe"
        ws.mkdir()
        (ws / "probe.txt").write_text("confined\n")
        with lease_identity() as identity:
            give_to(identity, ws)
            argv = sandbox.wrap(["cat", "probe.txt"], ws, ctx, cgroup, None, (), identity)
            outcome = safe_run(argv, ws, ctx.base_env(), timeout=60)
    except (SandboxUnavailable, OSError) as err:
        return str(err)
    finally:
        if cgroup is not None:
            cgroup.remove()
        shutil.rmtree(root, ignore_errors=True)
    if outcome.returncode != 0 or "confined" not in outcome.output:
        return f"a confined `cat` exited {outcome.returncode}: {outcome.output.strip()[-300:]}"
    return None
