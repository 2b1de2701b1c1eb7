"""Settings every layer shares, declared once: the benchmark root's environment variable, its default, and the
rule that picks the root. Nothing here imports the rest of polyglot_hrm (every layer may import this module;
it imports none of them back).

**Which benchmark tree is read.** Every command that reads a benchmark (``extract``, ``stats``, ``run``,
``validate``, ``setup-runners``, ``evaluate``, ``build``, ``export``, ``demo``, ``trainer/train.py``,
``python -m polyglot_hrm.benchmark``) and every library entry point that takes a root (the dataset builder's
``data_dir``, :func:`~polyglot_hrm.dataset.export.build_datasets`, ``export``, ``load_cases``, ``train``) picks
it with :func:`resolve_benchmark_root`, in this order:

1. the root given: ``--benchmark-root DIR`` on the command line, ``benchmark_root=`` / ``data_dir=`` in Python;
2. ``$POLYGLOT_BENCHMARK_ROOT``, when set and not empty;
3. the built-in mini-benchmark (``polyglot_hrm/data/mini_benchmark``: exercises this project wrote for its
   tests and demo; **not** Aider's benchmark).

A command says which, on one INFO line (``benchmark root: DIR (from $POLYGLOT_BENCHMARK_ROOT)``); a library
call says so when it chose the root itself (none given). A root that does not exist is an error naming where
it came from (the flag, the parameter or the variable), never a silent fall back to another tree.

A root is one folder, or several joined with ``os.pathsep`` (``a:b``) or given as a list (the dataset
commands read several; the others take one).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Mapping, Sequence

__all__ = ["BENCHMARK_ROOT_ENV", "BENCHMARK_ROOT_FLAG", "BENCHMARK_ROOT_HELP", "BenchmarkRoot", "RootArg",
           "command_benchmark_root", "mini_benchmark_root", "resolve_benchmark_root"]

logger = logging.getLogger(__name__)

#: The environment variable naming the benchmark tree when no root is given.
BENCHMARK_ROOT_ENV = "POLYGLOT_BENCHMARK_ROOT"
#: The flag every command takes for it, and the flag's help.
BENCHMARK_ROOT_FLAG = "--benchmark-root"
BENCHMARK_ROOT_HELP = (f"polyglot-benchmark clone or Exercism track checkout (default: ${BENCHMARK_ROOT_ENV}, else the "
                       f"built-in mini-benchmark; the root read, and why, is logged)")

Origin = Literal["given", "env", "mini"]


def mini_benchmark_root() -> Path:
    """The built-in mini-benchmark (polyglot layout), shipped as package data."""
    return Path(__file__).resolve().parent / "data" / "mini_benchmark"


@dataclass(frozen=True)
class BenchmarkRoot:
    """The tree(s) a command reads, and where that choice came from.

    ``origin``: ``given`` (``name``, the flag or parameter, named it), ``env`` (``$POLYGLOT_BENCHMARK_ROOT``)
    or ``mini`` (neither: the built-in mini-benchmark)."""

    roots: tuple[Path, ...]
    origin: Origin
    name: str = "benchmark_root"

    @property
    def path(self) -> Path:
        """The one root, for what reads one tree; several are a ``ValueError`` naming where they came from."""
        if len(self.roots) != 1:
            raise ValueError(f"{self.source}: {len(self.roots)} roots ({self.data_dir}); this reads one benchmark "
                             f"tree, give one")
        return self.roots[0]

    @property
    def data_dir(self) -> str:
        """The roots as one string, joined with ``os.pathsep`` (the dataset builder's ``data_dir``)."""
        return os.pathsep.join(str(r) for r in self.roots)

    @property
    def source(self) -> str:
        """Where the root came from, in words: the flag or parameter, the variable, or the built-in default."""
        return {"given": self.name, "env": f"${BENCHMARK_ROOT_ENV}", "mini": "the built-in mini-benchmark"}[self.origin]

    def describe(self) -> str:
        """One line: the root(s) and where they came from (what a command logs)."""
        what = "benchmark roots" if len(self.roots) > 1 else "benchmark root"
        roots = ", ".join(str(r) for r in self.roots)
        if self.origin == "mini":
            return (f"{what}: {roots} (the built-in mini-benchmark: neither {self.name} nor ${BENCHMARK_ROOT_ENV} "
                    f"is set)")
        return f"{what}: {roots} (from {self.source})"


#: What a root may be given as: one folder, several (a list, or joined with ``os.pathsep``), a root already
#: resolved, or None (the environment variable, else the mini-benchmark).
RootArg = str | os.PathLike | Sequence[str | os.PathLike] | BenchmarkRoot | None


def _split(value: object) -> list[str]:
    items = [value] if isinstance(value, (str, os.PathLike)) else list(value)  # type: ignore[call-overload]
    return [p for item in items for p in str(os.fspath(item)).split(os.pathsep) if p.strip()]


def resolve_benchmark_root(given: RootArg = None, *, name: str = "benchmark_root",
                           environ: Mapping[str, str] | None = None, announce: bool | None = None) -> BenchmarkRoot:
    """The benchmark root, by the one rule (module docstring): ``given``, else ``$POLYGLOT_BENCHMARK_ROOT``,
    else the built-in mini-benchmark.

    ``given``: one folder, several (a list, or joined with ``os.pathsep``), a :class:`BenchmarkRoot` (returned
    as is, not announced again) or None; an empty string or list counts as not given. ``name`` is what gave it,
    for messages: the flag (``--benchmark-root``) in a command, the parameter (``data_dir``) in the library.
    ``announce``: log the choice at INFO (default: only when none was given, so the library says which tree it
    picked itself; commands pass True). A root that is not a directory is a ``FileNotFoundError`` naming its
    source and the fix."""
    if isinstance(given, BenchmarkRoot):
        return given
    environ = os.environ if environ is None else environ
    parts = _split(given) if given is not None else []
    if parts:
        root = BenchmarkRoot(tuple(Path(p).expanduser().resolve() for p in parts), "given", name)
    elif environ.get(BENCHMARK_ROOT_ENV, "").strip():
        root = BenchmarkRoot(tuple(Path(p).expanduser().resolve() for p in _split(environ[BENCHMARK_ROOT_ENV])),
                             "env", name)
    else:
        root = BenchmarkRoot((mini_benchmark_root(),), "mini", name)
    for path in root.roots:
        if not path.is_dir():
            what = "not a directory" if path.exists() else "no such directory"
            if root.origin == "env":
                raise FileNotFoundError(f"${BENCHMARK_ROOT_ENV}={environ[BENCHMARK_ROOT_ENV]}: {path}: {what}; point "
                                        f"it at a polyglot-benchmark clone or an Exercism track checkout, or unset "
                                        f"it for the built-in mini-benchmark")
            given_as = f"{name} {path}" if name.startswith("-") else f"{name}={str(path)!r}"
            raise FileNotFoundError(f"{given_as}: {what}; pass the root of a polyglot-benchmark clone or an "
                                    f"Exercism track checkout")
    if announce is None:
        announce = root.origin != "given"  # the library says which tree it picked itself, not one it was given
    if announce:
        logger.info("%s", root.describe())
    return root


def command_benchmark_root(given: RootArg) -> BenchmarkRoot:
    """The root a command reads: its ``--benchmark-root`` value (``given``), else ``$POLYGLOT_BENCHMARK_ROOT``,
    else the built-in mini-benchmark; always logged at INFO, with where it came from."""
    return resolve_benchmark_root(given, name=BENCHMARK_ROOT_FLAG, announce=True)
