"""``setup-runners`` and ``doctor``: install test-framework dependencies once, and say what is missing."""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from typing import Iterable, Sequence

from ..benchmark.problem import Problem
from ..languages import LANGUAGES, get_language
from .context import RunnerContext

__all__ = ["setup_runners", "doctor", "DoctorRow"]

logger = logging.getLogger(__name__)


def setup_runners(problems: Sequence[Problem], languages: Iterable[str] | None = None,
                  ctx: RunnerContext | None = None) -> list[str]:
    """Provision every language's dependencies (idempotent: a second call does nothing)."""
    ctx = ctx or RunnerContext()
    ctx.cache_dir.mkdir(parents=True, exist_ok=True)
    done: list[str] = []
    for name in languages or LANGUAGES:
        language = get_language(name)
        steps = language.provision(ctx, problems)
        for line in steps:
            logger.info("%s: %s", name, line)
        done.extend(f"{name}: {line}" for line in steps)
    return done


@dataclass
class DoctorRow:
    language: str
    tool: str
    version: str | None
    fix: str


def doctor(ctx: RunnerContext | None = None) -> list[DoctorRow]:
    ctx = ctx or RunnerContext()
    rows = []
    for name, language in LANGUAGES.items():
        for check in language.toolchain():
            rows.append(DoctorRow(name, check.name, check.version, "" if check.version else check.fix))
        missing = language.missing_provision(ctx)
        rows.append(DoctorRow(name, "provisioned deps", None if missing else "ok", missing or ""))
    bwrap = shutil.which("bwrap")
    rows.append(DoctorRow("all", "bwrap (sandbox)", "ok" if bwrap else None,
                          "" if bwrap else "apt-get install bubblewrap (or `make setup`)"))
    return rows
