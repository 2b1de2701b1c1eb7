"""safe_run: timeouts kill the whole group, output is capped, stdin is closed."""

from __future__ import annotations

import os
import sys
import time

from polyglot_hrm.execution.process import HEAD_BYTES, TAIL_BYTES, excerpt, safe_run


def test_timeout_kills_the_process_group(tmp_path):
    marker = tmp_path / "child.pid"
    code = (f"import os, subprocess, time\n"
            f"p = subprocess.Popen(['sleep', '60'])\n"
            f"open({str(marker)!r}, 'w').write(str(p.pid))\n"
            f"time.sleep(60)\n")
    start = time.monotonic()
    out = safe_run([sys.executable, "-c", code], tmp_path, timeout=2)
    assert out.timed_out and out.returncode is None
    assert time.monotonic() - start < 10
    child = int(marker.read_text())
    time.sleep(0.2)
    assert not os.path.exists(f"/proc/{child}") or open(f"/proc/{child}/stat").read().split()[2] == "Z"


def test_output_flood_is_capped(tmp_path):
    code = "import sys\nfor _ in range(40):\n    sys.stdout.write('x' * 1_000_000)\nprint('THE END')\n"
    out = safe_run([sys.executable, "-c", code], tmp_path, timeout=60)
    assert out.returncode == 0
    assert out.bytes_written > 40_000_000 and out.truncated
    assert len(out.output) < HEAD_BYTES + TAIL_BYTES + 200
    assert out.output.rstrip().endswith("THE END")  # the summary at the end survives


def test_stdin_is_closed(tmp_path):
    out = safe_run([sys.executable, "-c", "import sys; print(repr(sys.stdin.read()))"], tmp_path, timeout=10)
    assert out.output.strip() == "''"


def test_excerpt_keeps_head_and_tail():
    text = "HEAD" + "x" * 10_000 + "TAIL"
    cut = excerpt(text, 1000)
    assert cut.startswith("HEAD") and cut.endswith("TAIL") and len(cut) < 1100
    assert excerpt("short", 1000) == "short"


def test_output_past_the_limit_is_stopped(tmp_path):
    code = "import sys\nwhile True:\n    sys.stdout.write('y' * 1_000_000)\n"
    out = safe_run([sys.executable, "-c", code], tmp_path, timeout=60, max_output_bytes=20_000_000)
    assert out.output_exceeded and not out.timed_out
    assert out.duration_s < 30
