"""How long the exercises' added dates take per track checkout, cold and cached, against the naive way.

    python benchmarks/dates.py TRACK [TRACK ...] [--naive-sample N]

For each Exercism track checkout: :func:`polyglot_hrm.problems.track_history` in a fresh runner cache (cold: one
rename-following ``git log`` walk and one ``git ls-tree``), then again (cached: one ``git rev-parse``). The naive
way, ``git log --follow --diff-filter=A`` per file of each exercise (earliest over its files), is timed on the
first N exercises (default 10) and extrapolated to the track; the table also says on how many of those N the two
agree. (``--follow`` looks at one path at a time, so it pairs a file with any deleted file of similar content: a
build file that every exercise shares can take the date of another exercise's copy.)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from polyglot_hrm.problems import track_history
from polyglot_hrm.settings import CACHE_ENV
from polyglot_hrm.tables import format_table


def naive_dates(root: Path, slugs: list[str]) -> dict[str, str]:
    """Slug -> the earliest ``git log --follow --diff-filter=A`` day over the exercise's files at HEAD."""
    out = {}
    for slug in slugs:
        files = subprocess.run(["git", "-C", str(root), "ls-tree", "-r", "-z", "--name-only", "HEAD", "--",
                                f"exercises/practice/{slug}"], capture_output=True, check=True).stdout.decode()
        stamps = []
        for path in filter(None, files.split("\0")):
            log = subprocess.run(["git", "-C", str(root), "log", "--follow", "--diff-filter=A", "--format=%ct", "--",
                                  path], capture_output=True, check=True).stdout.decode().split()
            stamps.extend(int(s) for s in log)
        if stamps:
            out[slug] = datetime.fromtimestamp(min(stamps), timezone.utc).date().isoformat()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tracks", type=Path, nargs="+", help="Exercism track checkouts with their git history")
    parser.add_argument("--naive-sample", type=int, default=10, metavar="N",
                        help="exercises per track timed the naive way (default: 10; 0: skip)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        os.environ[CACHE_ENV] = cache  # a fresh runner cache: the first read is cold
        for root in args.tracks:
            cold = track_history(root)
            if cold.reason:
                print(f"{root}: {cold.reason}", file=sys.stderr)
                return 2
            warm = track_history(root)
            assert warm.cached and warm.added == cold.added
            sample = sorted(cold.added)[:args.naive_sample]
            start = time.perf_counter()
            naive = naive_dates(root, sample)
            per = (time.perf_counter() - start) / max(1, len(sample))
            agree = sum(naive.get(s) == cold.added[s] for s in sample)
            rows.append([root.name, len(cold.added), cold.seconds, warm.seconds,
                         per * len(cold.added) if sample else "-", f"{agree}/{len(sample)}"])
    print(format_table(["track", "exercises", "walk cold s", "cached s", "naive s (extrapolated)",
                        "naive agrees"], rows,
                       title="Added dates per track: one rename-following walk vs git log --follow per file"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
