"""Installed, not only cloned (issue 14): the wheel carries what the package reads at run time (recipes, the
mini-benchmark, the Java runner), and the tiny recipe loads from an installed copy outside the checkout.

The wheel is built without network (no build isolation) and installed, without its dependencies, into a
fresh virtual environment that reuses this environment's installed packages through a ``.pth`` file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_trainer_recipes_are_the_shipped_recipes():
    """One source of truth: trainer/recipes in a checkout is the package's recipes folder."""
    from polyglot_hrm.training.config import load_recipe, shipped_recipes

    assert (REPO / "trainer" / "recipes").resolve() == (REPO / "polyglot_hrm" / "recipes").resolve()
    assert set(shipped_recipes()) == {"tiny", "hrm-27m"}
    assert load_recipe("trainer/recipes/tiny.yaml").polyglot == load_recipe("tiny").polyglot


@pytest.mark.slow
def test_the_wheel_installs_and_runs_outside_the_checkout(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist),
                    str(REPO)], check=True, capture_output=True, text=True, cwd=tmp_path)
    [wheel] = dist.glob("polyglot_hrm-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("polyglot_hrm/recipes/tiny.yaml", "polyglot_hrm/recipes/hrm-27m.yaml",
                   "polyglot_hrm/data/runners/java/CompileAndTest.java", "hrm_modeling/modeling_hrm.py",
                   "polyglot_hrm/languages/javascript_proxy.js", "polyglot_hrm/languages/javascript_jest_config.js",
                   "polyglot_hrm/data/mini_benchmark/python/exercises/practice/digit-sum/.meta/config.json"):
        assert needed in names, needed
    venv = tmp_path / "venv"
    # Without a pip of its own (ensurepip takes seconds): this environment's pip installs into it (--python).
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    site = subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], check=True,
                          capture_output=True, text=True).stdout.strip()
    # Reuse this environment's dependencies (a .pth entry does not run that folder's own .pth files, so the
    # checkout's editable install stays out).
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index", "-q",
                    str(wheel)], check=True, capture_output=True, text=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = subprocess.run([py, "-c", "import polyglot_hrm; print(polyglot_hrm.__file__)"], check=True,
                           capture_output=True, text=True, cwd=tmp_path, env=env).stdout
    assert where.startswith(str(venv)), where
    help_text = subprocess.run([venv / "bin" / "polyglot-hrm", "demo", "--help"], check=True, capture_output=True,
                               text=True, cwd=tmp_path, env=env).stdout
    assert "--recipe" in help_text
    loaded = subprocess.run([py, "-c", "from polyglot_hrm.demo import default_recipe; "
                                       "from polyglot_hrm.training.config import load_recipe; "
                                       "p = default_recipe(); r = load_recipe(p); print(p); print(r.model['hidden_size'])"],
                            check=True, capture_output=True, text=True, cwd=tmp_path, env=env).stdout.split()
    assert loaded[0].startswith(str(venv)) and loaded[1] == "64"
