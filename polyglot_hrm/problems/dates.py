"""When each exercise of an Exercism track checkout was added, from the track's git history, and the date split
made of it (``--added-after`` / ``--added-before``).

**What the date is.** An exercise's ``added`` date is the UTC day of the earliest commit that added one of its
files (every file of ``exercises/practice/<slug>/`` at ``HEAD``), following renames: tracks moved their folders
(Python's ``exercises/bowling`` became ``exercises/practice/bowling`` in 2021; its example file dates from 2018, so
bowling is dated 2018). Commit dates are the committer's (when the commit entered the track), not the author's.

**How it is read.** One ``git log --reverse --topo-order -M --name-status`` walk over the track's whole history
(no path filter: git detects a rename only when both of its paths are in view) carries each path's birth date
along every rename, and one ``git ls-tree`` lists the files at ``HEAD``: two git processes per track, about
0.1-1.2 s on the six tracks, instead of a ``git log --follow`` per file. The result is cached per (checkout,
``HEAD`` commit) under the runner cache (:func:`polyglot_hrm.settings.runner_cache_dir`), so a later read costs
one ``git rev-parse``.

**Where there is none** (``added`` is None): a root that is not itself the top of a git checkout (the built-in
mini-benchmark, a copy without ``.git``, a folder inside another repository), a shallow clone (its history is
cut), a polyglot-benchmark clone (its history is Aider's copying of the exercises, not Exercism's: the reader only
asks for track checkouts), and files never committed. Under a date filter such problems are left out, counted in
a warning.

**What a date split does not do.** The exercises' canonical specifications (Exercism's problem-specifications)
and other tracks' versions of the same exercise often predate a track's exercise, so a model trained before an
exercise's date may still have seen its problem: a date split limits contamination, it does not remove it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import subprocess
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Sequence, TypeVar

from ..outputs import atomic_write_text
from ..settings import runner_cache_dir
from ..tables import format_table
from .problem import Problem

__all__ = ["TrackHistory", "added_per_year", "added_table", "filter_by_added", "in_window", "parse_added_date",
           "track_history"]

logger = logging.getLogger(__name__)

PRACTICE = "exercises/practice"
#: Bumped when the way dates are computed changes, so cached results of the old way are not reused.
FORMAT = 1
#: Seconds one git command may take (a large track's whole log takes about a second).
GIT_TIMEOUT = 120.0
#: What has dates, for messages about problems without one.
WHERE_DATES_COME_FROM = ("added dates come from an Exercism track checkout with its full git history "
                         "(`git clone https://github.com/exercism/<track>`); the polyglot-benchmark clone, the "
                         "built-in mini-benchmark, a shallow clone or a copy without .git have none")

T = TypeVar("T")


@dataclass
class TrackHistory:
    """The added dates of one track checkout's exercises (``added``: slug -> ``YYYY-MM-DD``), or why there are
    none (``reason``); ``head`` is the commit they were read at, ``cached`` whether they came from the cache."""

    root: Path
    head: str | None = None
    added: dict[str, str] = field(default_factory=dict)
    reason: str | None = None
    seconds: float = 0.0
    cached: bool = False


def _git(root: Path, *args: str) -> subprocess.CompletedProcess:
    # log.showSignature would put signature text into the log; the walk reads plain output only.
    return subprocess.run(["git", "-C", str(root), "-c", "log.showSignature=false", *args], capture_output=True,
                          timeout=GIT_TIMEOUT, check=False)


def _checkout(root: Path) -> tuple[str | None, str | None]:
    """(HEAD commit, None) when ``root`` is the top of a full git checkout, else (None, why not)."""
    try:
        done = _git(root, "rev-parse", "--show-toplevel", "--is-shallow-repository", "HEAD")
    except FileNotFoundError:
        return None, "git is not installed"
    except subprocess.TimeoutExpired:
        return None, f"git rev-parse took over {GIT_TIMEOUT:g} s"
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        return None, f"not a git checkout ({message[0] if message else f'git exit status {done.returncode}'})"
    top, shallow, head = done.stdout.decode(errors="surrogateescape").split("\n")[:3]
    if Path(top).resolve() != root.resolve():
        return None, f"a folder inside the git checkout {top}, not a track checkout itself"
    if shallow == "true":
        return None, "a shallow clone (its history is cut); `git fetch --unshallow` fetches the rest"
    return head, None


def _births(log: str) -> dict[str, int]:
    """Path -> the commit time (Unix seconds) its content first appeared, from a ``--reverse`` name-status walk
    (``-z``, each commit ``\\x01<time>\\0`` then ``STATUS\\0PATH\\0`` or ``R<score>\\0OLD\\0NEW\\0``). A rename
    carries the old path's birth; a path deleted and added again keeps its first birth."""
    born: dict[str, int] = {}
    gone: dict[str, int] = {}  # births of deleted (or renamed-away) paths, should they come back
    for chunk in log.split("\x01")[1:]:
        stamp, _, rest = chunk.partition("\0")
        when = int(stamp)
        fields = rest.lstrip("\n").split("\0")
        i = 0
        while i + 1 < len(fields):
            status = fields[i]
            if not status:  # the end of a commit's list
                i += 1
                continue
            if status[:1] in ("R", "C"):
                old, new = fields[i + 1], fields[i + 2]
                i += 3
                first = born.get(old, gone.get(old, when))
                if status[0] == "R":
                    gone[old] = born.pop(old, first)
                born[new] = min(first, gone.get(new, first))
            else:
                path = fields[i + 1]
                i += 2
                if status == "A":
                    born[path] = min(when, gone.get(path, when))
                elif status == "D":
                    if path in born:
                        gone[path] = born.pop(path)
                else:  # modified (or a type change) of a path the walk has not seen added: born no later
                    born.setdefault(path, when)
    return born


def _day(stamp: int) -> str:
    return datetime.fromtimestamp(stamp, timezone.utc).date().isoformat()


def _walk(root: Path) -> dict[str, str]:
    """Slug -> added date of every exercise at HEAD (two git processes)."""
    log = _git(root, "log", "--reverse", "--topo-order", "--no-merges", "-M", "--name-status", "-z",
               "--format=%x01%ct", "HEAD")
    listing = _git(root, "ls-tree", "-r", "-z", "--name-only", "HEAD", "--", PRACTICE)
    for name, done in (("git log", log), ("git ls-tree", listing)):
        if done.returncode != 0:
            raise OSError(f"{name} failed: {done.stderr.decode(errors='replace').strip()}")
    born = _births(log.stdout.decode(errors="surrogateescape"))
    first: dict[str, int] = {}
    for path in listing.stdout.decode(errors="surrogateescape").split("\0"):
        parts = path.split("/")
        if len(parts) < 4 or path not in born:
            continue
        slug = parts[2]
        first[slug] = min(born[path], first.get(slug, born[path]))
    return {slug: _day(stamp) for slug, stamp in sorted(first.items())}


def _cache_path(root: Path, head: str) -> Path:
    key = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]
    return runner_cache_dir() / "exercise-dates" / f"{key}-{head}.json"


def _cached(path: Path, root: Path, head: str) -> dict[str, str] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or (data.get("format"), data.get("root"), data.get("head")) != (
            FORMAT, str(root.resolve()), head) or not isinstance(data.get("added"), dict):
        return None
    return {str(k): str(v) for k, v in data["added"].items()}


def track_history(root: str | Path) -> TrackHistory:
    """The added date of every exercise of the track checkout at ``root`` (module docstring): from the cache
    when this checkout's HEAD was read before, else from git (and then cached)."""
    root = Path(root).expanduser().resolve()
    start = time.perf_counter()
    head, reason = _checkout(root)
    if head is None:
        return TrackHistory(root, reason=reason, seconds=time.perf_counter() - start)
    path = _cache_path(root, head)
    added = _cached(path, root, head)
    if added is not None:
        return TrackHistory(root, head, added, seconds=time.perf_counter() - start, cached=True)
    try:
        added = _walk(root)
    except (OSError, subprocess.TimeoutExpired) as err:
        return TrackHistory(root, head, reason=f"git history unreadable ({err})", seconds=time.perf_counter() - start)
    try:
        atomic_write_text(path, json.dumps({"format": FORMAT, "root": str(root), "head": head, "added": added},
                                           indent=0))
    except OSError as err:  # a read-only cache costs the walk again next time, nothing else
        logger.warning("%s: added dates not cached (%s)", path, err)
    seconds = time.perf_counter() - start
    logger.info("%s: added dates of %d exercises read from git history at %s in %.2f s", root, len(added),
                head[:12], seconds)
    return TrackHistory(root, head, added, seconds=seconds)


# ------------------------------------------------------------------------------------------------ the date split

def parse_added_date(value: str | date | None, name: str) -> str | None:
    """``value`` as an ISO day (``YYYY-MM-DD``), or None; ``name`` (the flag or field) is named in the error."""
    if value is None or isinstance(value, date):
        return None if value is None else (value.date() if isinstance(value, datetime) else value).isoformat()
    try:
        return date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise ValueError(f"{name}={value!r}: not a date; give one as YYYY-MM-DD (e.g. 2024-06-01)") from None


def in_window(added: str | None, after: str | None, before: str | None) -> bool:
    """Whether a known ``added`` day is strictly after ``after`` and strictly before ``before`` (each None: no
    bound). With the same day as both bounds of two splits, they share no exercise (that day's are in neither)."""
    return added is not None and (after is None or added > after) and (before is None or added < before)


def filter_by_added(items: Sequence[T], added: Callable[[T], str | None], after: str | None = None,
                    before: str | None = None, what: str = "problem") -> list[T]:
    """``items`` whose added date (``added(item)``) lies in the window (:func:`in_window`); with no bound, all.
    Those without a known date are left out, counted in a warning; when none has one, a :class:`ValueError`
    says where dates come from."""
    if after is None and before is None:
        return list(items)
    window = " and ".join(f"{word} {day}" for word, day in (("after", after), ("before", before)) if day)
    unknown = [item for item in items if not added(item)]
    if items and len(unknown) == len(items):
        raise ValueError(f"added {window}: none of the {len(items)} {what}s has a known added date; "
                         f"{WHERE_DATES_COME_FROM}")
    if unknown:
        logger.warning("left out %d %s(s) whose added date is unknown (the date filter keeps only dated ones; %s)",
                       len(unknown), what, WHERE_DATES_COME_FROM)
    kept = [item for item in items if in_window(added(item), after, before)]
    logger.info("kept %d of %d %s(s) added %s", len(kept), len(items) - len(unknown), what, window)
    return kept


def added_per_year(problems: Iterable[Problem]) -> dict[str, Counter]:
    """Year (``"2018"``, or ``"unknown"``) -> problems per language added that year."""
    years: dict[str, Counter] = defaultdict(Counter)
    for p in problems:
        years[p.metadata.added[:4] if p.metadata.added else "unknown"][p.language] += 1
    return dict(years)


def added_table(problems: Sequence[Problem]) -> str | None:
    """Exercises per year added and language (a year column per row, a language per column, totals), or None
    when no problem has a known date."""
    years = added_per_year(problems)
    if set(years) <= {"unknown"}:
        return None
    languages = sorted({lang for counts in years.values() for lang in counts})
    order = sorted(y for y in years if y != "unknown") + (["unknown"] if "unknown" in years else [])
    rows = [[year, *(years[year][lang] for lang in languages), sum(years[year].values())] for year in order]
    rows.append(["total", *(sum(years[y][lang] for y in order) for lang in languages),
                 sum(sum(c.values()) for c in years.values())])
    return format_table(["year added", *languages, "total"], rows,
                        title="Exercises per year added (earliest commit of their files in the track's history)")
