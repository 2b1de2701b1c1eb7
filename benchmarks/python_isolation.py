"""Fidelity and cost of the Python proxy (issue 23), without the sandbox: one process vs two.

    python benchmarks/python_isolation.py --benchmark-root DIR [--benchmark-root DIR2] [--repeat 3]
                                      [--slugs a,b] [--stubs] [-o OUT.json]

For every Python exercise of each tree, the reference solution runs (a) in one process, as a run did before
issue 23: pytest on the workspace with the reference in place; and (b) in two: pytest on the tests' workspace
(the tests, support files and a stub per candidate module, ``Python.split``) with the proxy runtime on its path,
and ``python_proxy.py serve`` (``Python.companion``) in a folder holding the reference's modules, the two joined
by a socketpair. Plain subprocesses with the commands and environments the language module gives, no
bubblewrap, no canaries. pytest's per-test outcomes (from its JUnit report, read by ``Python.read_report``) are
compared; an exercise on the fallback list (``IN_PROCESS``) is run both ways all the same, to show why it is on
it. ``--stubs`` also runs each exercise's stub both ways and checks that the proxy never turns a test that fails
in one process into a passing one. Timing: the median over ``--repeat`` rounds (the two modes interleaved) of
each reference run's wall seconds, B's start included, then the median over exercises, and the ratio.
Run it with ``nice`` and alone: the machine's load moves both columns.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from polyglot_hrm.problems import Problem, load_benchmark
from polyglot_hrm.execution import RunnerContext
from polyglot_hrm.languages import get_language
from polyglot_hrm.languages import python_proxy
from polyglot_hrm.languages.python_proxy import FD_ENV

PYTHON = get_language("python")
TIMEOUT_S = 120


@dataclass
class Outcomes:
    """One pytest run: per-test outcomes, collection errors, seconds, and the output's tail when asked."""

    tests: dict[str, str] = field(default_factory=dict)
    load_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    returncode: int | None = None
    output: str = ""

    def same_as(self, other: "Outcomes") -> bool:
        return self.tests == other.tests and bool(self.load_errors) == bool(other.load_errors)


def write_tree(root: Path, files: dict[str, str]) -> None:
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def prepared(problem: Problem, mode: str) -> dict[str, str]:
    files = problem.workspace_files(mode)
    return {p: PYTHON.unskip(t) if PYTHON.is_test_file(p) else t for p, t in files.items()}


def read(report_dir: Path, output: str, seconds: float, returncode: int | None) -> Outcomes:
    report = PYTHON.read_report(report_dir, output)
    if report is None:
        return Outcomes(seconds=seconds, returncode=returncode, load_errors=["no report"], output=output[-3000:])
    return Outcomes({t.name: t.outcome for t in report.tests}, list(report.load_errors), seconds, returncode,
                    output[-3000:])


def one_process(problem: Problem, files: dict[str, str], ctx: RunnerContext, tmp: Path) -> Outcomes:
    ws, reports = tmp / problem.slug, tmp / ".report"
    write_tree(ws, files)
    reports.mkdir()
    [step] = PYTHON.steps(ws, ctx, problem, reports)
    env = {**ctx.base_env(), **step.env}
    for name in ("PYTHONPATH", FD_ENV):  # the one-process run, as before issue 23
        env.pop(name, None)
    start = time.monotonic()
    out = subprocess.run(step.argv, cwd=ws, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
    return read(reports, out.stdout + out.stderr, time.monotonic() - start, out.returncode)


def two_processes(problem: Problem, files: dict[str, str], ctx: RunnerContext, tmp: Path) -> Outcomes:
    tests_files, candidate_files = PYTHON.split(files, problem) or (None, None)
    if tests_files is None:  # on the fallback list: split it here anyway, to show what the proxy would do
        exercise = set(problem.paths("test", "support", "editor"))
        candidate_files = {p: t for p, t in files.items() if p not in exercise and p.endswith(".py")
                           and not PYTHON.is_test_file(p)}
        tests_files = {p: t for p, t in files.items() if p not in candidate_files}
        tests_files.update({p: python_proxy.stub_module(p[:-3]) for p in candidate_files})
    tests_ws, candidate_ws, reports = tmp / problem.slug, tmp / "candidate", tmp / ".report"
    write_tree(tests_ws, tests_files)
    write_tree(candidate_ws, candidate_files)
    reports.mkdir()
    [step] = PYTHON.steps(tests_ws, ctx, problem, reports)
    companion = PYTHON.companion(candidate_ws, ctx, problem)
    tests_end, candidate_end = socket.socketpair()
    start = time.monotonic()
    server = subprocess.Popen(companion.argv, cwd=candidate_ws, pass_fds=[candidate_end.fileno()],
                              env={**ctx.base_env(), **companion.env, FD_ENV: str(candidate_end.fileno())},
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    candidate_end.close()
    env = {**ctx.base_env(), **step.env, "PYTHONPATH": str(PYTHON.runtime_dir(ctx)), FD_ENV: str(tests_end.fileno())}
    try:
        out = subprocess.run(step.argv, cwd=tests_ws, env=env, capture_output=True, text=True, timeout=TIMEOUT_S,
                             pass_fds=[tests_end.fileno()])
    finally:
        tests_end.close()
        seconds = time.monotonic() - start
        try:
            server_output = server.communicate(timeout=10)[0]
        except subprocess.TimeoutExpired:
            server.kill()
            server_output = server.communicate()[0]
    output = out.stdout + out.stderr + (f"\n[candidate's process]\n{server_output}" if server_output else "")
    return read(reports, output, seconds, out.returncode)


def run(kind, problem: Problem, files: dict[str, str], ctx: RunnerContext) -> Outcomes:
    tmp = Path(tempfile.mkdtemp(prefix="pgproxy-"))
    try:
        return kind(problem, files, ctx, tmp)
    except subprocess.TimeoutExpired:
        return Outcomes(load_errors=["timeout"], seconds=TIMEOUT_S)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def differences(a: Outcomes, b: Outcomes) -> list[str]:
    out = [f"{name}: {a.tests.get(name, 'absent')} -> {b.tests.get(name, 'absent')}"
           for name in sorted(set(a.tests) | set(b.tests)) if a.tests.get(name) != b.tests.get(name)]
    if bool(a.load_errors) != bool(b.load_errors):
        out.append(f"collection errors: {a.load_errors} -> {b.load_errors}")
    return out


def forged_passes(a: Outcomes, b: Outcomes) -> list[str]:
    """Tests that pass in two processes but not in one."""
    return sorted(n for n, o in b.tests.items() if o == "passed" and a.tests.get(n) != "passed")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--benchmark-root", action="append", required=True)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--slugs", default="")
    parser.add_argument("--stubs", action="store_true")
    parser.add_argument("-o", "--output")
    args = parser.parse_args()
    ctx = RunnerContext()
    PYTHON.provision(ctx, [])
    wanted = {s for s in args.slugs.split(",") if s}
    rows, summary = [], []
    for root in args.benchmark_root:
        problems = [p for p in load_benchmark(root, languages=["python"]) if not wanted or p.slug in wanted]
        same = forged = 0
        one_s, two_s = [], []
        for problem in problems:
            files = prepared(problem, "reference")
            ones, twos = [], []
            for _ in range(args.repeat):
                ones.append(run(one_process, problem, files, ctx))
                twos.append(run(two_processes, problem, files, ctx))
            one, two = ones[0], twos[0]
            row = {"root": root, "slug": problem.slug, "isolation": PYTHON.isolation(problem),
                   "identical": one.same_as(two), "differences": differences(one, two),
                   "tests": len(one.tests), "passed_one": sum(o == "passed" for o in one.tests.values()),
                   "passed_two": sum(o == "passed" for o in two.tests.values()),
                   "one_s": statistics.median(o.seconds for o in ones),
                   "two_s": statistics.median(o.seconds for o in twos)}
            if not row["identical"]:
                row["output_two"] = two.output
            same += row["identical"]
            if row["isolation"] == "process":
                one_s.append(row["one_s"])
                two_s.append(row["two_s"])
            if args.stubs:
                stub_files = prepared(problem, "stub")
                stub_one = run(one_process, problem, stub_files, ctx)
                stub_two = run(two_processes, problem, stub_files, ctx)
                row["stub_forged"] = forged_passes(stub_one, stub_two)
                row["stub_differences"] = differences(stub_one, stub_two)
                forged += bool(row["stub_forged"])
            rows.append(row)
            mark = "same" if row["identical"] else "DIFF"
            print(f"{mark} {problem.id} [{row['isolation']}] {row['passed_one']}/{row['tests']} one "
                  f"{row['one_s']:.2f}s two {row['two_s']:.2f}s" + "".join(f"\n    {d}" for d in row["differences"])
                  + (f"\n    stub forged: {row['stub_forged']}" if row.get("stub_forged") else ""), flush=True)
        one_median = statistics.median(one_s) if one_s else float("nan")
        two_median = statistics.median(two_s) if two_s else float("nan")
        line = (f"{root}: {same}/{len(problems)} identical; median s per reference run (process-mode exercises, "
                f"{len(one_s)}): one process {one_median:.3f}, two {two_median:.3f}, "
                f"ratio {two_median / one_median:.2f}"
                + (f"; stubs made passing by the proxy: {forged}" if args.stubs else ""))
        summary.append(line)
        print(line, flush=True)
    if args.output:
        Path(args.output).write_text(json.dumps({"summary": summary, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
