"""The JavaScript proxy's fidelity and cost, without the sandbox: every exercise run in-process and proxied.

    python benchmarks/javascript_proxy.py --benchmark-root DIR [--modes reference,stub] [--slugs a,b] [-o OUT.json]

For each JavaScript exercise of DIR (provision first: `polyglot-hrm setup-runners --benchmark-root DIR --languages
javascript`, with the POLYGLOT_HRM_CACHE that Jest major wants), with its reference (and its stub) in place and
the pending tests lifted, the same files (canaries included) run twice:

  (a) in-process: Jest as a run runs it (polyglot-hrm's configuration, --runInBand, --runTestsByPath);
  (b) proxied: Jest in workspace A on the spec with a stub per candidate module, the proxy's server in workspace B
      on the candidate's modules, the two joined by a socketpair (`JavaScript.split`/`companion`).

It compares the per-test outcomes of Jest's reports (a stub must never turn a failure into a pass) and prints
the differences, the exercises on the in-process list, and the median seconds per run of each way (B's start
included; the two ways alternate, so load hits both alike). Nothing here sandboxes anything: run it on
references and stubs only.
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
from dataclasses import asdict, dataclass, field
from pathlib import Path

from polyglot_hrm.problems import load_benchmark
from polyglot_hrm.execution.process import safe_run
from polyglot_hrm.execution.workspace import materialise, workspace_files
from polyglot_hrm.languages import get_language
from polyglot_hrm.languages.context import RunnerContext
from polyglot_hrm.languages.reports import canary_token

JS = get_language("javascript")
TIMEOUT_S = 180.0


@dataclass
class Outcome:
    seconds: float
    tests: dict[str, list[str]] = field(default_factory=dict)  # name -> outcomes (canaries included)
    load_errors: int = 0
    returncode: int | None = None
    output: str = ""


def _report(report_dir: Path, output: str, seconds: float, returncode: int | None) -> Outcome:
    out = Outcome(round(seconds, 3), returncode=returncode, output=output[-3000:])
    report = JS.read_report(report_dir, output)
    if report is not None:
        for test in report.tests:
            out.tests.setdefault(test.name, []).append(test.outcome)
        out.load_errors = len(report.load_errors)
    return out


def run_in_process(files: dict[str, str], problem, ctx: RunnerContext, root: Path) -> Outcome:
    ws = root / "in" / problem.slug
    report_dir = root / "in" / ".report"
    ws.mkdir(parents=True)
    report_dir.mkdir()
    materialise(ws, files)
    JS.prepare(ws, ctx, problem)
    [step] = JS.steps(ws, ctx, problem, report_dir)
    start = time.monotonic()
    outcome = safe_run(step.argv, ws, {**ctx.base_env(), **step.env}, timeout=TIMEOUT_S)
    return _report(report_dir, outcome.output, time.monotonic() - start, outcome.returncode)


def run_proxied(files: dict[str, str], problem, ctx: RunnerContext, root: Path) -> Outcome | None:
    parts = JS.split(files, problem)
    if parts is None:
        return None
    a_files, b_files = parts
    a_ws, b_ws = root / "a" / problem.slug, root / "b" / problem.slug
    report_dir = root / "a" / ".report"
    for ws, ws_files in ((a_ws, a_files), (b_ws, b_files)):
        ws.mkdir(parents=True)
        materialise(ws, ws_files)
        JS.prepare(ws, ctx, problem)
    report_dir.mkdir()
    [step] = JS.steps(a_ws, ctx, problem, report_dir)
    companion = JS.companion(b_ws, ctx, problem)
    ours, theirs = socket.socketpair()
    start = time.monotonic()
    server = subprocess.Popen(companion.argv, cwd=b_ws, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, pass_fds=[theirs.fileno()], start_new_session=True,
                              env={**ctx.base_env(), **companion.env, "POLYGLOT_HRM_CHANNEL_FD": str(theirs.fileno())})
    theirs.close()  # B's end lives in B only: when B dies, A reads end-of-file
    try:
        env = {**ctx.base_env(), **step.env, "POLYGLOT_HRM_CHANNEL_FD": str(ours.fileno())}
        outcome = _run_with_fd(step.argv, a_ws, env, ours.fileno())
        seconds = time.monotonic() - start
    finally:
        ours.close()
        server.kill()
        b_output = server.communicate()[0].decode(errors="replace")
    result = _report(report_dir, outcome[0], seconds, outcome[1])
    if b_output.strip():
        result.output += "\n[B] " + b_output[-1500:]
    return result


def _run_with_fd(argv: list[str], cwd: Path, env: dict[str, str], fd: int) -> tuple[str, int | None]:
    proc = subprocess.run(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, pass_fds=[fd], timeout=TIMEOUT_S, start_new_session=True)
    return proc.stdout.decode(errors="replace"), proc.returncode


def compare(a: Outcome, b: Outcome) -> list[str]:
    """What differs between the in-process outcome ``a`` and the proxied ``b`` (canary names reduced to their role)."""
    diffs = []
    names = sorted(set(a.tests) | set(b.tests))
    for name in names:
        if a.tests.get(name) != b.tests.get(name):
            diffs.append(f"{name}: {a.tests.get(name)} -> {b.tests.get(name)}")
    if bool(a.load_errors) != bool(b.load_errors):
        diffs.append(f"load errors: {a.load_errors} -> {b.load_errors}")
    return diffs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--benchmark-root", type=Path, required=True)
    parser.add_argument("--modes", default="reference,stub")
    parser.add_argument("--slugs", default="", help="comma-separated slugs (default: all)")
    parser.add_argument("-o", "--output", type=Path, default=None, help="write every outcome as JSON")
    args = parser.parse_args(argv)
    ctx = RunnerContext()
    problems = [p for p in load_benchmark(args.benchmark_root) if p.language == "javascript"]
    if args.slugs:
        wanted = set(args.slugs.split(","))
        problems = [p for p in problems if p.slug in wanted]
    rows, times = [], {"in-process": [], "proxied": []}
    in_process_list = []
    for index, problem in enumerate(problems):
        for mode in args.modes.split(","):
            prepared = workspace_files(problem, mode)
            JS.add_canaries(prepared.files, problem, canary_token())
            root = Path(tempfile.mkdtemp(prefix="js-proxy-"))
            try:
                # Alternate which way goes first, so that a warm disk cache or a load spike favours neither.
                if index % 2:
                    proxied = run_proxied(prepared.files, problem, ctx, root)
                    local = run_in_process(prepared.files, problem, ctx, root)
                else:
                    local = run_in_process(prepared.files, problem, ctx, root)
                    proxied = run_proxied(prepared.files, problem, ctx, root)
            finally:
                shutil.rmtree(root, ignore_errors=True)
            if proxied is None:
                in_process_list.append(problem.slug)
                rows.append({"slug": problem.slug, "mode": mode, "in_process": asdict(local), "proxied": None})
                print(f"{problem.slug:32} {mode:9} in-process list: {JS.in_process_reason(problem)}", flush=True)
                continue
            diffs = compare(local, proxied)
            if mode == "reference":
                times["in-process"].append(local.seconds)
                times["proxied"].append(proxied.seconds)
            rows.append({"slug": problem.slug, "mode": mode, "in_process": asdict(local), "proxied": asdict(proxied),
                         "differences": diffs})
            passed = sum(o == ["passed"] for o in local.tests.values())
            print(f"{problem.slug:32} {mode:9} {'same' if not diffs else 'DIFFERENT':9} {passed:3}/{len(local.tests):3} "
                  f"passed  {local.seconds:6.2f} s -> {proxied.seconds:6.2f} s", flush=True)
            for diff in diffs[:5]:
                print(f"    {diff}", flush=True)
            if diffs:
                print("    [proxied output] " + proxied.output[-1200:].replace("\n", "\n    "), flush=True)
    checked = [r for r in rows if r["proxied"] is not None]
    for mode in args.modes.split(","):
        of_mode = [r for r in checked if r["mode"] == mode]
        same = sum(not r["differences"] for r in of_mode)
        print(f"{mode}: {same}/{len(of_mode)} identical through the proxy; in-process list: "
              f"{sorted(set(in_process_list))}")
    if times["in-process"]:
        a, b = statistics.median(times["in-process"]), statistics.median(times["proxied"])
        ratios = [p / i for i, p in zip(times["in-process"], times["proxied"])]
        print(f"median seconds per reference run: in-process {a:.2f}, proxied {b:.2f} (x{b / a:.2f}, "
              f"{len(times['proxied'])} runs); per exercise, proxied/in-process: median x{statistics.median(ratios):.2f}, "
              f"total x{sum(times['proxied']) / sum(times['in-process']):.2f}")
    if args.output:
        args.output.write_text(json.dumps({"rows": rows, "times": times}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
