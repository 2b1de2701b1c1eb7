"""``setup-runners`` and ``doctor``: install test-framework dependencies once, and say what is missing."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import Iterable, Sequence

from ..problems.problem import Problem
from ..languages import LANGUAGES, get_language
from ..languages.context import RunnerContext
from ..settings import CACHE_ENV, runner_cache_origin
from .noexec import NoexecUnavailable, launcher, launcher_problem
from .sandbox import sandbox_probe
from .workspace import run_area

__all__ = ["setup_runners", "ensure_provisioned", "doctor", "DoctorRow", "RunnerCacheError", "cache_problem",
           "check_runner_cache", "identity_row", "runners_available"]

logger = logging.getLogger(__name__)


class RunnerCacheError(ValueError):
    """A runner cache that cannot be a folder (a file, or under one): names where it came from and the fix."""


def cache_problem(ctx: RunnerContext | None = None) -> str | None:
    """Why the runner cache cannot be used, naming the setting that chose it; None when it can."""
    cache = (ctx or RunnerContext()).cache_dir
    chosen = runner_cache_origin()
    for path in [cache, *cache.parents]:
        if not path.exists():
            continue
        if path.is_dir():
            return None
        where = "is a file" if path == cache else f"is under {path}, a file"
        return (f"{chosen}: {cache} {where}, not a folder; point {CACHE_ENV} at a folder (or unset it: "
                f"~/.cache/polyglot-hrm/runners)")
    return None


def check_runner_cache(ctx: RunnerContext | None = None) -> None:
    """Raise :class:`RunnerCacheError` before any run when the runner cache cannot be a folder."""
    why = cache_problem(ctx)
    if why:
        raise RunnerCacheError(why)


def setup_runners(problems: Sequence[Problem], languages: Iterable[str] | None = None,
                  ctx: RunnerContext | None = None) -> list[str]:
    """Provision every language's dependencies (idempotent: a second call does nothing)."""
    ctx = ctx or RunnerContext()
    ctx.cache_dir.mkdir(parents=True, exist_ok=True)
    done: list[str] = []
    try:
        launcher(ctx)  # every test step starts through it; built once, here rather than in a run
    except NoexecUnavailable as err:
        logger.warning("%s", err)
    for name in languages or LANGUAGES:
        language = get_language(name)
        steps = language.provision(ctx, problems)
        for line in steps:
            logger.info("%s: %s", name, line)
        done.extend(f"{name}: {line}" for line in steps)
    return done


def ensure_provisioned(problems: Sequence[Problem], ctx: RunnerContext | None = None) -> dict[str, str]:
    """Provision what ``problems`` need before they run (a no-op when all is there).

    Returns ``{problem id: what is still missing}`` for problems whose dependencies could not be
    provisioned (no network, say): their runs are ``error`` naming the dependency, never a compile error.
    """
    ctx = ctx or RunnerContext()
    by_language: dict[str, list[Problem]] = {}
    for p in problems:
        by_language.setdefault(p.language, []).append(p)
    missing: dict[str, str] = {}
    for name, mine in sorted(by_language.items()):
        language = get_language(name)
        if all(language.missing_dependency(p, ctx) is None for p in mine):
            continue
        logger.info("%s: provisioning test dependencies for %d problem(s) (once; needs network)", name, len(mine))
        try:
            setup_runners(mine, [name], ctx)
        except (OSError, subprocess.CalledProcessError) as err:
            logger.warning("%s: provisioning failed (%s); runs that need it will be errors", name, err)
        for p in mine:
            why = language.missing_dependency(p, ctx)
            if why:
                missing[p.id] = why
    return missing


@dataclass
class DoctorRow:
    language: str
    tool: str
    version: str | None
    fix: str


def doctor(ctx: RunnerContext | None = None) -> list[DoctorRow]:
    ctx = ctx or RunnerContext()
    why = cache_problem(ctx)
    if why:  # nothing provisioned can be found or built: that is the one fix, not `setup-runners`
        return [DoctorRow("all", "runner cache", None, why)]
    rows = []
    for name, language in LANGUAGES.items():
        for check in language.toolchain():
            rows.append(DoctorRow(name, check.name, check.version, "" if check.version else check.fix))
        missing = language.missing_provision(ctx)
        rows.append(DoctorRow(name, "provisioned deps", None if missing else language.provision_summary(ctx),
                              missing or ""))
    bwrap = shutil.which("bwrap")
    rows.append(DoctorRow("all", "bwrap (sandbox)", "ok" if bwrap else None,
                          "" if bwrap else "apt-get install bubblewrap (or `make setup`)"))
    rows.append(identity_row())
    if bwrap:
        why = sandbox_probe(ctx)
        rows.append(DoctorRow("all", "confined command", None if why else "ok", why or ""))
    why = launcher_problem(ctx)
    rows.append(DoctorRow("all", "no-exec test processes", None if why else "ok (seccomp)", why or ""))
    rows.append(DoctorRow("all", "size-limited run folders", "ok (tmpfs)" if _tmpfs_probe() else None,
                          "" if _tmpfs_probe() else "not root, or mounting is refused here: a run that fills its "
                                                    "workspace fills the disk its neighbours use; run as root (or in "
                                                    "a container that may mount tmpfs) to bound it"))
    return rows


def runners_available(languages: Iterable[str]) -> set[str]:
    """Languages whose toolchain and provisioned dependencies are in place (what :func:`doctor` checks)."""
    ctx = RunnerContext()
    ok = set()
    for name in languages:
        language = get_language(name)
        try:
            ready = all(c.version for c in language.toolchain()) and language.missing_provision(ctx) is None
        except Exception as err:  # a probe that cannot run means the runner is not available
            logger.info("%s: runner probe failed (%s)", name, err)
            ready = False
        if ready:
            ok.add(name)
    return ok


def _tmpfs_probe() -> bool:
    with run_area(1) as root:
        return os.path.ismount(root)


def identity_row() -> DoctorRow:
    """Whether runs can leave host root (as root: setpriv to an unprivileged uid)."""
    if os.geteuid() != 0:
        return DoctorRow("all", "unprivileged runs", f"ok (uid {os.geteuid()})", "")
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return DoctorRow("all", "unprivileged runs", None, "running as root: apt-get install util-linux (setpriv)")
    probe = subprocess.run([setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--", "true"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return DoctorRow("all", "unprivileged runs", None,
                         f"setpriv cannot change uid here ({probe.stderr.strip()[:100]}); run as an ordinary user")
    return DoctorRow("all", "unprivileged runs", "ok (setpriv)", "")
