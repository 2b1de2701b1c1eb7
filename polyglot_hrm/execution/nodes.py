"""Is this machine fit to run candidates? The checks one node passes before an executor sends it work, and
the sweep of what killed runs left behind.

:func:`check_node` runs on the node itself (one task per node, before any run): it sweeps leftovers,
provisions what the selected problems need (as a local run does), and checks what ``polyglot-hrm doctor``
checks for their languages, plus one real confined command (:func:`~.sandbox.sandbox_probe`). A node with any
failure is refused, with what is wrong and the fix; it is never used unconfined.

:func:`sweep_leftovers` removes the workspaces and cgroups whose creating process is dead (their names carry
its pid: :data:`~.sandbox.LEFTOVER_PREFIX`). A live process's runs are never touched, whoever started it.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import socket
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from ..problems.problem import Problem
from ..languages import get_language
from ..languages.context import RunnerContext
from .provision import ensure_provisioned, identity_row
from .sandbox import LEFTOVER_PREFIX, Cgroup, sandbox_probe
from .sandbox import cgroup_parents as run_cgroup_parents
from .workspace import remove_tree, unmount

__all__ = ["NodeReport", "check_node", "sweep_leftovers"]

logger = logging.getLogger(__name__)

# Longer than the names older versions made (mkdtemp's 8 random characters, 12 hex digits): never mistaken for one.
_LEFTOVER = re.compile(re.escape(LEFTOVER_PREFIX) + r"pid(\d+)_\w{8,}$")
_SETUP_FIX = "run `polyglot-hrm setup-runners` on that node once (it needs network), or give it the runner cache"


def _dead(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def sweep_leftovers(tmp: Path | None = None, cgroup_parents: Sequence[Path] | None = None) -> int:
    """Remove the workspaces (in ``tmp``) and run cgroups (in ``cgroup_parents``) of dead processes; how many."""
    tmp = Path(tmp or tempfile.gettempdir())
    parents = run_cgroup_parents() if cgroup_parents is None else list(cgroup_parents)
    swept = 0
    for folder in [tmp, *parents]:
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            match = _LEFTOVER.match(entry.name)
            if not match or not entry.is_dir() or not _dead(int(match.group(1))):
                continue
            try:
                if folder == tmp:
                    if os.path.ismount(entry):  # a run's size-limited tmpfs (workspace.run_area)
                        unmount(entry)
                    if not remove_tree(entry):
                        continue
                else:
                    Cgroup([entry], 2 if (entry / "cgroup.controllers").exists() else 1).remove()
            except OSError as err:  # a sweep tidies up; it never stops the command it runs in
                logger.warning("could not sweep %s: %s", entry, err)
                continue
            swept += 1
            logger.info("swept %s, left by a process that died (pid %s)", entry, match.group(1))
    return swept


@dataclass
class NodeReport:
    """What :func:`check_node` found on one node. ``failures``: each ``what is wrong; fix: how``."""

    node: str
    hostname: str
    failures: list[str] = field(default_factory=list)
    swept: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures

    def refusal(self) -> str:
        return f"node {self.node} ({self.hostname}) refused: " + " | ".join(self.failures)


def check_node(problems: Sequence[Problem], ctx: RunnerContext | None = None, node: str = "local") -> NodeReport:
    """Sweep, provision and check this machine for ``problems`` (module docstring)."""
    ctx = ctx or RunnerContext()
    report = NodeReport(node, socket.gethostname(), swept=sweep_leftovers())
    languages = sorted({p.language for p in problems})
    for name in languages:
        for check in get_language(name).toolchain():
            if not check.version:
                report.failures.append(f"{name}: {check.name} is missing; fix: {check.fix}")
    missing = ensure_provisioned(problems, ctx) if not report.failures else {}
    for name in languages:
        mine = sorted(pid for pid in missing if pid.split("/")[0] == name)
        if mine:
            report.failures.append(f"{name}: test dependencies missing for {len(mine)} problem(s) "
                                   f"({missing[mine[0]]}); fix: {_SETUP_FIX}")
    who = identity_row()
    if who.version is None:
        report.failures.append(f"runs cannot drop to an unprivileged uid; fix: {who.fix}")
    if shutil.which("bwrap") is None:
        report.failures.append("bubblewrap (bwrap) is not installed, so runs would not be confined; fix: "
                               "apt-get install bubblewrap (or `make apt`)")
    elif who.version is not None:
        why = sandbox_probe(ctx)
        if why:
            report.failures.append(f"a confined command fails here ({why}); fix: run `polyglot-hrm doctor` on "
                                   f"that node and follow it (user namespaces enabled, setpriv, "
                                   f"POLYGLOT_HRM_SANDBOX_UID_BASE)")
    return report
