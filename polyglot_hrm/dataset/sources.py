"""Where rows come from: one or several roots (``data_dir``), each a polyglot-benchmark tree or an Exercism track
checkout, and the slugs a benchmark holds (``exclude_slugs_of``).

* **Several roots.** ``data_dir`` is one root, several joined with ``os.pathsep`` (``a:b``, what the command
  line and the cache key use), or a list of them. They are read in the order given. None is the one rule of
  :func:`polyglot_hrm.settings.resolve_benchmark_root`: ``$POLYGLOT_BENCHMARK_ROOT``, else the built-in
  mini-benchmark.
* **One copy.** When a language/slug is in two roots (a track and the benchmark made from it), the copy of
  the *first root listed* is kept and the later ones are dropped (counted in the log), so ids stay unique and
  the order of the roots says which copy wins.
* **Source.** Every problem, and every row made of it, carries the label of its root (``source``): the track
  checkout's ``exercism/<track slug>`` (from its ``config.json``), else the root folder's name
  (``polyglot-benchmark``, ``mini_benchmark``).
* **Disjoint from a benchmark.** :func:`benchmark_slugs` lists the exercise slugs of a tree in any language;
  the builder leaves every problem with one of them out of every split (``exclude_slugs_of``), so a model
  trained on the tracks can be tested on the benchmark with no exercise in both.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Iterable, Sequence

from ..problems import Problem, load_benchmark
from ..settings import BenchmarkRoot, RootArg, resolve_benchmark_root

__all__ = ["DataDir", "benchmark_slugs", "data_roots", "join_roots", "load_sources", "slugs_digest", "source_label"]

logger = logging.getLogger(__name__)

PRACTICE = Path("exercises") / "practice"
DataDir = RootArg


def data_roots(data_dir: DataDir) -> list[Path]:
    """The roots ``data_dir`` names, in order, resolved (None or empty: ``$POLYGLOT_BENCHMARK_ROOT``, else the
    built-in mini-benchmark); one that is not a directory is a ``FileNotFoundError``."""
    return list(resolve_benchmark_root(data_dir, name="data_dir", announce=False).roots)


def join_roots(data_dir: DataDir) -> str | None:
    """``data_dir`` as one string (roots joined with ``os.pathsep``); None stays None (not resolved yet)."""
    if data_dir is None or (not isinstance(data_dir, (str, os.PathLike, BenchmarkRoot)) and not list(data_dir)):
        return None
    return resolve_benchmark_root(data_dir, name="data_dir", announce=False).data_dir


def source_label(root: Path) -> str:
    """``exercism/<slug>`` for a track checkout (its ``config.json``), else the root folder's name."""
    config = root / "config.json"
    if (root / PRACTICE).is_dir() and config.is_file():
        try:
            slug = json.loads(config.read_text(encoding="utf-8")).get("slug")
        except (OSError, ValueError, AttributeError):
            slug = None
        if slug:
            return f"exercism/{slug}"
    return root.name


def _exercise_dirs(root: Path) -> Iterable[Path]:
    """Exercise folders of a tree in either layout (a track's, or ``<language>/exercises/practice/``)."""
    folders = [root / PRACTICE] if (root / PRACTICE).is_dir() else sorted(
        child / PRACTICE for child in root.iterdir() if (child / PRACTICE).is_dir())
    for folder in folders:
        yield from sorted(d for d in folder.iterdir() if d.is_dir() and not d.name.startswith("."))


def benchmark_slugs(root: str | os.PathLike) -> frozenset[str]:
    """Every exercise slug ``root`` holds, in any language (folder names: nothing needs to be readable)."""
    root = Path(root).expanduser().resolve()
    if not root.is_dir():
        raise FileNotFoundError(f"exclude_slugs_of={str(root)!r}: no such directory; pass the root of the "
                                f"polyglot-benchmark clone whose exercises must stay out of the data")
    return frozenset(d.name for d in _exercise_dirs(root))


def slugs_digest(slugs: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(sorted(slugs)).encode()).hexdigest()[:16]


def load_sources(data_dir: DataDir, languages: Sequence[str] | None = None) -> tuple[list[Problem], dict[str, Path]]:
    """The problems of every root, in root order, each carrying its root's ``source`` label, and the root each
    was read from (by problem id); a language/slug already read from an earlier root is dropped (see the module
    docstring)."""
    problems: list[Problem] = []
    roots: dict[str, Path] = {}
    seen: dict[str, str] = {}
    dropped: Counter = Counter()
    for root in data_roots(data_dir):
        label = source_label(root)
        for problem in load_benchmark(root, languages=languages):
            if problem.id in seen:
                dropped[(label, seen[problem.id])] += 1
                continue
            seen[problem.id] = label
            problems.append(replace(problem, source=label))
            roots[problem.id] = root
    for (label, kept), n in sorted(dropped.items()):
        logger.info("%d problem(s) of %s also in %s, listed earlier: kept %s's copy", n, label, kept, kept)
    return problems, roots
