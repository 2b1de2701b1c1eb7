"""A run's own folder (issue 23): a size-limited tmpfs where this process may mount, removed however deep the
tree a run left, by the run itself or by a later sweep that never crashes the command it runs in."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from polyglot_hrm.execution.job import ReportBound, _ReportPipe, hide_sources
from polyglot_hrm.execution.nodes import sweep_leftovers
from polyglot_hrm.execution.workspace import disk_bounded, remove_tree, run_area
from polyglot_hrm.languages.reports import Canary

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")


def deep_tree(top: Path, depth: int, name: str = "d" * 40) -> None:
    """``depth`` nested folders (far past PATH_MAX in all), a 1 MB file at the bottom, the top made unreadable."""
    script = (f"import os\nos.chdir({str(top)!r})\nfor _ in range({depth}):\n    os.mkdir({name!r}); os.chdir({name!r})\n"
              "open('bottom', 'wb').write(b'x' * 1_000_000)\n")
    subprocess.run(["python3", "-c", script], check=True)
    (top / name).chmod(0)


def test_a_tree_of_any_depth_is_removed(tmp_path):
    top = tmp_path / "left"
    top.mkdir()
    deep_tree(top, 2000)
    (top / "link").symlink_to("/etc")  # a link is removed, never followed
    assert remove_tree(top) and not top.exists()
    assert Path("/etc/hostname").exists() or Path("/etc/passwd").exists()


def test_the_sweep_removes_a_dead_runs_deep_tree_and_goes_on(tmp_path):
    dead = _dead_pid()
    leftover = tmp_path / f"polyglot-hrm-pid{dead}_abcdefgh"
    leftover.mkdir()
    deep_tree(leftover, 2000)
    assert sweep_leftovers(tmp_path, cgroup_parents=[]) == 1
    assert not leftover.exists()


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


@root_only
def test_a_run_area_is_a_tmpfs_of_its_size_and_goes_away():
    with run_area(8) as root:
        assert os.path.ismount(root) and disk_bounded()
        with pytest.raises(OSError) as err:
            (root / "fill").write_bytes(b"x" * (9 * 1024 * 1024))
        assert err.value.errno == 28  # ENOSPC: this run's, nobody else's
    assert not root.exists() and not os.path.ismount(root)


@root_only
def test_the_sweep_unmounts_a_dead_runs_tmpfs(tmp_path):
    import ctypes

    leftover = tmp_path / f"polyglot-hrm-pid{_dead_pid()}_abcdefgh"
    leftover.mkdir()
    assert ctypes.CDLL(None).mount(b"polyglot-hrm", str(leftover).encode(), b"tmpfs", 0, b"size=1m") == 0
    (leftover / "f").write_text("x")
    assert sweep_leftovers(tmp_path, cgroup_parents=[]) == 1
    assert not leftover.exists()


def test_a_report_is_bounded_by_the_tests_it_must_hold(tmp_path):
    canary = Canary("t", ("a",), ("b",))
    bound = ReportBound.for_tests(("x", "y"), canary)
    assert bound.bytes == ReportBound.BASE_BYTES + 4 * ReportBound.PER_TEST_BYTES
    pipe = _ReportPipe(bound, None)
    with os.fdopen(os.dup(pipe.write_end), "wb") as w:
        w.write(b"passed x\n" * 10)
    pipe.close_write_end()
    assert pipe.finish(tmp_path / "r") is None and (tmp_path / "r").read_bytes() == b"passed x\n" * 10

    flood = _ReportPipe(ReportBound(1000, 10**6), None)
    with os.fdopen(os.dup(flood.write_end), "wb") as w:
        w.write(b"x" * 1_000_000)  # far past the bound: drained (the writer never blocks), not kept
    flood.close_write_end()
    assert "grew past 1000 bytes" in flood.finish(tmp_path / "f") and not (tmp_path / "f").exists()

    lines = _ReportPipe(ReportBound(10**6, 100), None)
    with os.fdopen(os.dup(lines.write_end), "wb") as w:
        w.write(b"\n" * 1000)
    lines.close_write_end()
    assert "grew past 100 lines" in lines.finish(tmp_path / "l")


def test_hidden_sources_are_gone_links_not_followed(tmp_path):
    ws = tmp_path / "ws"
    (ws / "tests").mkdir(parents=True)
    (ws / "tests" / "a_test.rs").write_text("x")
    (ws / "src").mkdir()
    (ws / "src" / "lib.rs").write_text("y")
    outside = tmp_path / "outside"
    outside.mkdir()
    (ws / "b_test.go").symlink_to(outside)
    hide_sources(ws, ["tests", "*_test.go"])
    assert sorted(p.relative_to(ws).as_posix() for p in ws.rglob("*")) == ["src", "src/lib.rs"]
    assert outside.is_dir()


def test_a_cache_reached_through_a_link_runs(tmp_path, mini_problems, allow_execution, monkeypatch):
    """$POLYGLOT_HRM_CACHE through a symbolic link: runs see the cache's real path (before: the no-exec launcher
    was named by the link's path, which the sandbox does not show, and every run was an error)."""
    from polyglot_hrm.execution import RunTask, run_many
    from polyglot_hrm.execution.provision import setup_runners
    from polyglot_hrm.languages.context import RunnerContext, default_cache_dir

    real = default_cache_dir()
    problem = next(p for p in mini_problems if p.id == "python/digit-sum")
    setup_runners([problem])
    link = tmp_path / "cache-link"
    link.symlink_to(real, target_is_directory=True)
    monkeypatch.setenv("POLYGLOT_HRM_CACHE", str(link))
    assert RunnerContext().cache_dir == real.resolve() == RunnerContext(cache_dir=link).cache_dir
    [result] = run_many([RunTask(problem, None, "reference", None)], jobs=1, progress=False)
    assert result.status == "passed", result.output[-2000:]


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a folder's group to a sandbox gid needs root")
def test_a_shared_cache_taken_over_by_another_uid_base_is_taken_back(tmp_path):
    """Runs of two uid bases (two gids) on one compiler cache: each must find it writable by its own group when it
    runs, also after the other took it over (the stamp of the first gid is still there then)."""
    from polyglot_hrm.execution.sandbox import share_with_sandbox

    cache = tmp_path / "build"
    (cache / "ab").mkdir(parents=True)
    (cache / "ab" / "entry-d").write_text("x")

    def groups() -> set[int]:
        return {p.stat().st_gid for p in [cache, *cache.rglob("*")] if not p.name.startswith(".polyglot-hrm-gid-")}

    share_with_sandbox(cache, 1900000000)
    assert groups() == {1900000000}
    share_with_sandbox(cache, 1800000000)  # e.g. tests/fixtures/hostile.py's runs with a base of their own
    assert groups() == {1800000000}
    share_with_sandbox(cache, 1900000000)
    assert groups() == {1900000000}
    assert (cache / "ab" / "entry-d").stat().st_mode & 0o060 == 0o060
    assert [p.name for p in cache.glob(".polyglot-hrm-gid-*")] == [".polyglot-hrm-gid-1900000000"]
