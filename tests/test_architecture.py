"""The package's layers follow the data flow (issue 14), and its modules import each other one way (issue 24).

languages -> provenance -> benchmark -> edit_format -> execution -> synthesis -> scoring -> dataset -> modelio -> rewards
          -> training | evaluation -> CLI

(The language registry is the bottom layer: the benchmark reader maps each track's layout with it. The edit format
is one module below everything that reads or writes edits: scoring, model I/O, evaluation and the synthesis.)

Packages: no package imports a later one, no lazy ``__getattr__`` imports, and execution stays free of torch and
transformers. Modules: no cycle between any two ``polyglot_hrm`` modules, counting imports inside functions; and
a module is imported inside a function only where importing it loads Ray, torch or transformers that the importer
does not load already, each such import listed in :data:`LAZY_IMPORTS` with that reason.

Imports under ``if TYPE_CHECKING:`` are annotations only and do not count.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import pytest

import polyglot_hrm

PACKAGE = Path(polyglot_hrm.__file__).resolve().parent
LAYERS = ["languages", "provenance", "problems", "edit_format", "execution", "synthesis", "scoring", "dataset", "modelio",
          "rewards", ("training", "evaluation")]
# Leaf helpers any layer may use (they import nothing of the package), and the top (the CLI and the demo, which use
# everything).
LEAVES = {"tables", "outputs", "settings", "seeded"}
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


# ----------------------------------------------------------------------------- modules

#: What an import inside a function may put off loading; any other ``polyglot_hrm`` import is at the top.
HEAVY = ("ray", "torch", "transformers")

#: Each import of a ``polyglot_hrm`` module inside a function, (importer, imported): why it waits.
#: The test checks the reason: the imported module loads what it names, and the importer does not.
LAZY_IMPORTS = {
    ("polyglot_hrm.execution.executors", "polyglot_hrm.execution.ray_executor"):
        "loads ray: only `--executor ray` makes a RayExecutor; the local executor never imports Ray",
    ("polyglot_hrm.modelio.backends", "polyglot_hrm.modelio.generation"):
        "loads torch: only the hrm backend generates with a model in memory; openai and reference need no torch",
    ("polyglot_hrm.modelio.backends", "polyglot_hrm.modelio.sampling"):
        "loads torch: the transformers backend's seeded sampling, for a model in memory",
    ("polyglot_hrm.demo", "polyglot_hrm.evaluation"):
        "loads torch, transformers: scoring the model the demo trained",
    ("polyglot_hrm.demo", "polyglot_hrm.training.config"):
        "loads torch, transformers: the recipe, read when the demo runs",
    ("polyglot_hrm.demo", "polyglot_hrm.training.data"):
        "loads torch, transformers: the training rows, built when the demo runs",
    ("polyglot_hrm.demo", "polyglot_hrm.training.run"):
        "loads torch, transformers: the training run itself",
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


#: Every module whose imports are read: the package's, and hrm_modeling's (which the model backends load).
SOURCES = {module_name(p): p for root in (PACKAGE, PACKAGE.parent / "hrm_modeling") for p in root.rglob("*.py")}


@dataclass(frozen=True)
class Import:
    target: str  # a module of SOURCES, or the top-level name of another distribution ("torch")
    lazy: bool  # inside a function
    line: int


def _statements(body: list[ast.stmt], lazy: bool):
    """(statement, inside a function) for every statement, nested ones too, but not those under
    ``if TYPE_CHECKING:``."""
    for node in body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from _statements(node.orelse, lazy)
            continue
        yield node, lazy
        inner = lazy or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(node, field, None)
            if isinstance(children, list) and children and isinstance(children[0], (ast.stmt, ast.excepthandler,
                                                                                    ast.match_case)):
                yield from _statements(children, inner)


def _known(name: str) -> str:
    """The module of SOURCES that importing ``name`` (a module or a name in one) executes last; for another
    distribution, its top-level name."""
    while name not in SOURCES and "." in name:
        name = name.rpartition(".")[0]
    return name


def module_imports(name: str) -> list[Import]:
    """What a module imports, absolute or relative, at the top or inside a function: ``from a.b import c`` is
    ``a.b.c`` where that is a module, else ``a.b``."""
    path = SOURCES[name]
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = []
    for node, lazy in _statements(ast.parse(path.read_text()).body, False):
        if isinstance(node, ast.Import):
            found += [Import(_known(a.name), lazy, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[: len(package) - node.level + 1] + [node.module or ""]).strip(".") \
                if node.level else node.module or ""
            found += [Import(_known(f"{base}.{a.name}"), lazy, node.lineno) for a in node.names]
    return [i for i in found if i.target != name]


IMPORTS = {name: module_imports(name) for name in sorted(SOURCES)}


def _parents(name: str) -> list[str]:
    """The packages Python initialises before the module ``name``."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts)) if ".".join(parts[:i]) in SOURCES]


def loads(name: str) -> set[str]:
    """Which of HEAVY importing ``name`` loads: its packages' and its own top-level imports, transitively."""
    seen, todo, heavy = set(), [name, *_parents(name)], set()
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        for i in IMPORTS[module]:
            if i.lazy:
                continue
            if i.target in SOURCES:
                todo += [i.target, *_parents(i.target)]
            elif i.target.split(".")[0] in HEAVY:
                heavy.add(i.target.split(".")[0])
    return heavy


def module_graph() -> dict[str, set[str]]:
    """``polyglot_hrm`` module -> the ``polyglot_hrm`` modules it imports, wherever the import statement is."""
    return {name: {i.target for i in imports if i.target.split(".")[0] == "polyglot_hrm"}
            for name, imports in IMPORTS.items() if name.split(".")[0] == "polyglot_hrm"}


def cycles(graph: dict[str, set[str]]) -> list[tuple[list[str], set[str]]]:
    """Per group of modules that import each other (a strongly connected component): one shortest cycle through
    its first module, as a chain (first = last), and the whole group."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(v: str) -> None:  # Tarjan
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while not group or v not in group:
                group.add(stack.pop())
            if len(group) > 1:
                groups.append(group)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    found = []
    for group in groups:
        start = min(group)
        prev: dict[str, str] = {}
        queue, last = deque([start]), None
        while last is None:  # breadth-first inside the group, until an edge leads back to start
            v = queue.popleft()
            for w in sorted(graph[v] & group):
                if w == start:
                    last = v
                    break
                if w not in prev:
                    prev[w] = v
                    queue.append(w)
        chain = [last]
        while chain[-1] != start:
            chain.append(prev[chain[-1]])
        found.append(([*reversed(chain), start], group))
    return found


def test_cycles_finds_each_cycle_as_a_chain():
    graph = {"a": {"b"}, "b": {"c", "d"}, "c": {"a"}, "d": {"a", "e"}, "e": set(), "x": {"y"}, "y": {"x", "e"}}
    assert cycles(graph) == [(["a", "b", "c", "a"], {"a", "b", "c", "d"}), (["x", "y", "x"], {"x", "y"})]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_cycle():
    found = cycles(module_graph())
    assert not found, "module import cycles (imports inside functions count):\n" + "\n".join(
        " -> ".join(chain) + (f" (the same circle also holds {', '.join(sorted(group - set(chain)))})"
                              if group - set(chain) else "") for chain, group in found)


def lazy_imports() -> dict[tuple[str, str], list[int]]:
    """(importer, imported) -> lines, for every import of a ``polyglot_hrm`` module inside a function."""
    found: dict[tuple[str, str], list[int]] = {}
    for name, imports in IMPORTS.items():
        for i in imports:
            if i.lazy and i.target.split(".")[0] == "polyglot_hrm" and name.split(".")[0] == "polyglot_hrm":
                found.setdefault((name, i.target), []).append(i.line)
    return found


def test_imports_inside_functions_are_listed():
    found = lazy_imports()
    unlisted = [f"{SOURCES[a].relative_to(PACKAGE.parent)}:{lines[0]} imports {b} inside a function: import it at "
                f"the top, or list it in LAZY_IMPORTS with what it loads" for (a, b), lines in found.items()
                if (a, b) not in LAZY_IMPORTS]
    stale = [f"LAZY_IMPORTS lists {a} -> {b}, which is not imported inside a function" for a, b in LAZY_IMPORTS
             if (a, b) not in found]
    assert not unlisted + stale, "\n".join(unlisted + stale)


@pytest.mark.parametrize("pair", sorted(LAZY_IMPORTS))
def test_a_lazy_import_loads_what_its_reason_says(pair):
    importer, imported = pair
    reason = LAZY_IMPORTS[pair]
    named = {h for h in HEAVY if h in reason.split(":")[0].replace(",", " ").split()}
    new = loads(imported) - loads(importer)
    assert reason.startswith("loads ") and named, f"{pair}: the reason starts 'loads <one of {HEAVY}>: ...'"
    assert new, f"{imported} loads nothing of {HEAVY} that {importer} does not load already: import it at the top"
    assert named <= new, f"{pair}: {imported} loads {sorted(new)} beyond what {importer} loads, not {sorted(named)}"


#: Run in one fresh interpreter: each importer is imported once in a forked child of it, and each module it imports
#: lazily in a forked grandchild, so every check starts from exactly the state a fresh interpreter would have after
#: importing the importer (forking skips the interpreter's start and the importer's own import, seconds each).
_FORKED_IMPORTS = """
import importlib, json, os, sys

HEAVY, PAIRS = json.loads(sys.argv[1]), json.loads(sys.argv[2])


def heavy():
    return sorted(m for m in HEAVY if m in sys.modules)


def forked(work):
    \"\"\"work() in a forked copy of this process: its JSON answer, or the error it raised.\"\"\"
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            answer = {"ok": work()}
        except BaseException as err:
            answer = {"error": repr(err)}
        os.write(write, json.dumps(answer).encode())
        os._exit(0)
    os.close(write)
    data = b"".join(iter(lambda: os.read(read, 1 << 16), b""))
    os.close(read)
    os.waitpid(pid, 0)
    return json.loads(data)


def imports(name):
    importlib.import_module(name)
    return heavy()


def importer_then_each(importer, importeds):
    before = imports(importer)
    return {"before": before, "after": {imported: forked(lambda: imports(imported)) for imported in importeds}}


by_importer = {}
for importer, imported in PAIRS:
    by_importer.setdefault(importer, []).append(imported)
print(json.dumps({importer: forked(lambda: importer_then_each(importer, importeds))
                  for importer, importeds in by_importer.items()}))
"""


@pytest.mark.slow
def test_the_lazy_import_reasons_hold_when_imported():
    """What :func:`loads` reads from the source is what Python loads, each pair starting from a fresh interpreter's
    state (see ``_FORKED_IMPORTS``)."""
    import json

    pairs = sorted(LAZY_IMPORTS)
    done = subprocess.run([sys.executable, "-c", _FORKED_IMPORTS, json.dumps(HEAVY), json.dumps(pairs)],
                          capture_output=True, text=True, check=True, timeout=600)
    seen = json.loads(done.stdout)
    for importer, imported in pairs:
        assert "ok" in seen[importer], (importer, seen[importer])
        before, after = seen[importer]["ok"]["before"], seen[importer]["ok"]["after"][imported]
        assert "ok" in after, (importer, imported, after)
        assert set(before) == loads(importer) and set(after["ok"]) == loads(importer) | loads(imported), \
            (importer, imported, before, after)
