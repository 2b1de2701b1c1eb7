"""The hostile-candidate matrix: every attack in every language against the sandbox, as a table.

    POLYGLOT_HRM_ALLOW_CODE_EXECUTION=1 python benchmarks/hostile.py [--jobs 2] [--languages python,go]
                                                                       [--attacks fork_bomb,network] [--no-escape]
                                                                       [--forgery | --host-effects]

The same candidates and host checks as ``tests/test_hostile.py`` (from ``tests/fixtures/hostile.py``).
Prints one table of statuses and durations (attack x language; ``!`` marks a status the attack
must not end with, ``*`` a cell whose host check failed), one of the host checks (``ok`` or what
got through), and whether every language's reference still passes afterwards. Exits 1 when any
attack got through.

``--forgery`` runs the forgery catalogue of ``tests/test_forgery.py`` instead (``tests/fixtures/forgery.py``:
wrong solutions that try to be reported ``passed``) and prints a kind x language table of statuses, each cell
``attack: before -> now``: before is what the attack got at commit 632b34f (issue 13's attacks only) and at
3957aa1 (every attack; issue 23's all forged ``passed`` there), now is this run; exits 1 when any attack passes.

``--host-effects`` runs the host-effect scenarios of issue 23 (a report flood read by the host, a deep tree
left for the workspace cleanup and the sweep, a full disk beside honest neighbours) and prints what each did
before issue 23 next to what it does now; exits 1 when any still gets through.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fixtures.hostile import (ALLOWED, ATTACKS, ESCAPE, LANGUAGES, MEMORY_BOMB_DONE, SLACK_S, TIMEOUT,  # noqa: E402
                              cgroup_available, make_cases, run_matrix)
from polyglot_hrm.problems import load_benchmark, mini_benchmark_root  # noqa: E402
from polyglot_hrm.execution.provision import setup_runners  # noqa: E402
from polyglot_hrm.execution.sandbox import require_opt_in  # noqa: E402
from polyglot_hrm.tables import format_table  # noqa: E402


def cell_problems(case, result) -> list[str]:
    """What went wrong in one cell besides the host: wrong status, too long, a bomb that completed."""
    out = []
    if result.status not in ALLOWED[case.attack]:
        out.append(f"status {result.status}, expected {'/'.join(sorted(ALLOWED[case.attack]))}")
    if result.duration_s > case.timeout + SLACK_S:
        out.append(f"took {result.duration_s:.0f} s, limit {case.timeout} s")
    if MEMORY_BOMB_DONE in result.output:
        out.append("the memory bomb got 9 GB")
    return out


def forgery(languages: list[str], jobs: int) -> int:
    """The forgery catalogue on the pool; a table per kind x language, before and after."""
    from fixtures.forgery import ATTACKS, FORGED_BEFORE_ISSUE_23, FORGED_TODAY, KINDS, TIMEOUT as LIMIT, before
    from polyglot_hrm.execution import RunTask, run_many

    problems = {(p.language, p.slug): p for p in load_benchmark(mini_benchmark_root())}
    attacks = [a for a in ATTACKS if a.language in languages]
    setup_runners([problems[(a.language, a.slug)] for a in attacks], languages)
    tasks = [RunTask(problems[(a.language, a.slug)], a.files, timeout=LIMIT[a.language]) for a in attacks]
    results = run_many(tasks, jobs=jobs, progress=sys.stderr.isatty(), desc="forgery attacks")
    rows = []
    for kind in KINDS:
        row = [kind]
        for lang in languages:
            cell = [(a, r) for a, r in zip(attacks, results) if a.kind == kind and a.language == lang]
            row.append(", ".join(f"{a.name}: {before(a.key)}->{r.status}" for a, r in cell) or "n/a")
        rows.append(row)
    print(format_table(["kind", *languages], rows,
                       title="Forgery attacks: status at 632b34f (issue 13's attacks) -> at 3957aa1 -> now"))
    forged = [(a.key, r) for a, r in zip(attacks, results) if r.passed]
    issue_13 = [a for a in attacks if a.key in FORGED_TODAY]
    issue_23 = [a for a in attacks if a.key not in FORGED_TODAY]
    print(f"\n{len(attacks)} attacks. Issue 13's {len(issue_13)}: passed at 632b34f: "
          f"{sum(FORGED_TODAY[a.key] == 'passed' for a in issue_13)}, at 3957aa1: "
          f"{sum(FORGED_BEFORE_ISSUE_23[a.key] == 'passed' for a in issue_13)}. Issue 23's {len(issue_23)}: passed at "
          f"3957aa1: {sum(FORGED_BEFORE_ISSUE_23[a.key] == 'passed' for a in issue_23)}. Passed now: {len(forged)}.")
    for key, r in forged:
        print(f"FORGED: {key[0]}/{key[1]} ({r.tests_passed}/{r.tests_total})")
    return 1 if forged else 0


def host_effects() -> int:
    """The host-effect scenarios of issue 23 (tests/test_hostile.py runs the same), before and now."""
    import tempfile

    from fixtures.hostile import HOST_EFFECTS_BEFORE_ISSUE_23, measure_host_effects

    with tempfile.TemporaryDirectory(prefix="hostile-host-effects-") as folder:
        now = measure_host_effects(Path(folder))
    rows = [[name, HOST_EFFECTS_BEFORE_ISSUE_23.get(name, "?"), effect.summary, "ok" if effect.ok else "GOT THROUGH"]
            for name, effect in now.items()]
    print(format_table(["host effect", "before issue 23 (3957aa1)", "now", "verdict"], rows,
                       title="Host effects: what a candidate does to the host and its neighbours"))
    for name, effect in now.items():
        if not effect.ok:
            print(f"GOT THROUGH {name}: {effect.summary}\n{effect.detail[-1500:]}")
    return 0 if all(effect.ok for effect in now.values()) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--languages", default=",".join(LANGUAGES))
    parser.add_argument("--attacks", default=",".join(ATTACKS))
    parser.add_argument("--no-escape", action="store_true", help=f"leave out the {ESCAPE} row")
    parser.add_argument("--forgery", action="store_true", help="run the forgery catalogue instead of the hostile matrix")
    parser.add_argument("--host-effects", action="store_true",
                        help="run the host-effect scenarios (issue 23) instead of the hostile matrix")
    args = parser.parse_args(argv)
    require_opt_in()
    languages = [lang for lang in args.languages.split(",") if lang]
    if args.forgery:
        return forgery(languages, args.jobs)
    if args.host_effects:
        return host_effects()
    attacks = [a for a in args.attacks.split(",") if a]

    problems = {p.language: p for p in load_benchmark(mini_benchmark_root()) if p.slug == "digit-sum"}
    setup_runners(list(problems.values()), languages)
    cgroup = cgroup_available()
    cases = make_cases(attacks, languages, escape=not args.no_escape, cgroup=cgroup)
    run = run_matrix(problems, cases, jobs=args.jobs, progress=sys.stderr.isatty())
    results = [run.results[c.key] for c in cases]
    host = run.host_problems
    other = {c.key: cell_problems(c, r) for c, r in zip(cases, results)}
    leftovers, matrix_s = run.leftovers, run.seconds
    refs = [run.references[lang] for lang in languages]

    by_key = {c.key: r for c, r in zip(cases, results)}
    rows_attacks = [a for a in [*attacks, ESCAPE] if any(c.attack == a for c in cases)]
    status_rows, host_rows = [], []
    for attack in rows_attacks:
        srow, hrow = [attack], [attack]
        for lang in languages:
            r = by_key.get((attack, lang))
            if r is None:
                srow.append("n/a")
                hrow.append("n/a")
                continue
            flag = ("!" if other[(attack, lang)] else "") + ("*" if host[(attack, lang)] else "")
            srow.append(f"{r.status} {r.duration_s:.1f}s{flag}")
            hrow.append("ok" if not host[(attack, lang)] else f"BREACHED ({len(host[(attack, lang)])})")
        status_rows.append(srow)
        host_rows.append(hrow)
    print(format_table(["attack", *languages], status_rows,
                       title=f"Status and duration per hostile run (limits: "
                             f"{', '.join(f'{lang} {TIMEOUT[lang]}s' for lang in languages)}; "
                             f"per-run cgroup: {'yes' if cgroup else 'no'})"))
    print()
    print(format_table(["attack", *languages], host_rows,
                       title="Host checks (canaries in ~ and /tmp intact, no file written there, no connection "
                             "to 127.0.0.1, secret not in output, no surviving process)"))
    print()
    print(format_table(["language", "reference after the matrix", "duration_s"],
                       [[lang, r.status, r.duration_s] for lang, r in zip(languages, refs)],
                       title="The next run works"))
    print()
    print(f"{len(cases)} hostile runs in {matrix_s:.0f} s on {args.jobs} workers; "
          f"processes left among our descendants: {len(leftovers)}")

    breaches = [(c.key, host[c.key] + other[c.key]) for c in cases if host[c.key] or other[c.key]]
    for key, problems_found in breaches:
        print(f"GOT THROUGH {key[0]}/{key[1]}:")
        for line in problems_found:
            print(f"  - {line}")
    for pid, cmd in leftovers:
        print(f"LEFT RUNNING: {pid} {cmd[:200]}")
    bad_refs = [lang for lang, r in zip(languages, refs) if not r.passed]
    if bad_refs:
        print(f"REFERENCES FAILING AFTER THE MATRIX: {', '.join(bad_refs)}")
    return 1 if breaches or leftovers or bad_refs else 0


if __name__ == "__main__":
    sys.exit(main())
