"""The package's layers follow the data flow (issue 14): no package imports a later one, no cycles, no lazy
``__getattr__`` imports, and execution stays free of torch and transformers.

languages -> benchmark -> execution -> synthesis -> scoring -> dataset -> modelio -> training | evaluation -> CLI

(The language registry is the bottom layer: the benchmark reader maps each track's layout with it.)
Imports under ``if TYPE_CHECKING:`` are annotations only and do not count.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import polyglot_hrm

PACKAGE = Path(polyglot_hrm.__file__).resolve().parent
LAYERS = ["languages", "benchmark", "execution", "synthesis", "scoring", "dataset", "modelio", ("training", "evaluation")]
# Leaf helpers any layer may use, and the top (the CLI and the demo, which use everything).
LEAVES = {"tables", "outputs", "settings"}
TOP = {"cli", "demo", "__init__", "__main__"}


def layer_of(unit: str) -> int:
    if unit in LEAVES:
        return -1
    if unit in TOP:
        return len(LAYERS)
    for i, entry in enumerate(LAYERS):
        if unit == entry or (isinstance(entry, tuple) and unit in entry):
            return i
    raise AssertionError(f"polyglot_hrm/{unit} is in no layer: add it to LAYERS in {__file__}")


def unit_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def imports(path: Path) -> set[str]:
    """The polyglot_hrm units a module imports (absolute or relative), wherever the import statement is."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):  # drop `if TYPE_CHECKING:` blocks
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    module_parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if module_parts[-1] == "__init__":
        module_parts = module_parts[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module_parts[: len(module_parts) - node.level + (1 if path.name == "__init__.py" else 0)]
                name = ".".join(base + ([node.module] if node.module else []))
                names = [name] + ([f"{name}.{a.name}" for a in node.names] if not node.module else [])
            else:
                names = [node.module or ""]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "polyglot_hrm" and len(parts) > 1:
                unit = parts[1]
                exists = (PACKAGE / unit).is_dir() or (PACKAGE / f"{unit}.py").is_file()
                found.add(unit if exists else "__init__")  # `from . import __version__`: the package itself
    return found


def test_no_package_imports_a_later_layer():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        unit = unit_of(path)
        for other in imports(path) - {unit}:
            level = layer_of(unit)
            same = layer_of(other) == level < len(LAYERS) and isinstance(LAYERS[level], tuple)
            if layer_of(other) > layer_of(unit) or same:
                wrong.append(f"{path.relative_to(PACKAGE)} ({unit}) imports {other}")
    assert not wrong, "\n".join(wrong)


def test_settings_import_nothing_of_the_package():
    """Settings (defaults, environment variables, the benchmark-root rule) never import the code that uses them."""
    assert imports(PACKAGE / "settings.py") == set()


def test_no_lazy_module_getattr():
    lazy = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
            if any(isinstance(n, ast.FunctionDef) and n.name == "__getattr__" for n in ast.parse(p.read_text()).body)]
    assert not lazy, lazy


def test_execution_does_not_import_torch_or_transformers():
    code = ("import sys, polyglot_hrm.execution, polyglot_hrm.scoring; "
            "print(sorted(m for m in ('torch', 'transformers', 'datasets') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_the_layer_list_knows_every_package():
    packages = [p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").is_file()]
    assert len(packages) >= 9
    assert all(0 <= layer_of(name) < len(LAYERS) for name in packages)  # layer_of fails on an unknown one
