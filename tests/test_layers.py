"""The floors import one way only, and no two files import each other (checked on the source, no imports run).

    engine/   speech; no Qt; imports nothing above it
    project/  the Qt-free project floor (model, timecode, media, render, mix, exports); imports engine only
    editor/   the Qt editor; imports project and engine, never the CLI
    cli/      the command line and launchers; may import everything

Every ``import`` counts, also those inside functions (a lazy import is still a dependency; a cycle made
of lazy imports still means two files that cannot be understood apart).  ``if TYPE_CHECKING:`` blocks
count for the floors (a floor should not even name what is above it) but not for cycles: a widget's
helper may name the widget's type for annotations without importing it.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("engine", "project", "editor", "cli")
QT = ("PySide6", "pyqtgraph", "shiboken6")
#: what each floor must not import (top-level names)
FORBIDDEN = {
    "engine": {*QT, "project", "editor", "cli"},
    "project": {*QT, "editor", "cli"},
    "editor": {"cli"},
    "cli": set(),
}


def _modules() -> dict[str, Path]:
    found = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of the nodes inside ``if TYPE_CHECKING:`` blocks."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                inside.update(id(n) for n in ast.walk(child))
    return inside


def _imports(name: str, path: Path, known: set[str], typing_too: bool = True) -> list[tuple[str, int]]:
    """(module imported, line) for every import in the file; ``from pkg import sub`` names ``pkg.sub``
    when that is a module, relative imports resolved; ``typing_too=False`` leaves out TYPE_CHECKING blocks."""
    is_pkg = path.name == "__init__.py"
    out = []
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    skip = set() if typing_too else _type_checking_nodes(tree)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                here = name.split(".") if is_pkg else name.split(".")[:-1]
                here = here[: len(here) - (node.level - 1)]
                base = ".".join([*here, base] if base else here)
            for a in node.names:
                sub = f"{base}.{a.name}"
                out.append((sub if sub in known else base, node.lineno))
    return out


def _graph(typing_too: bool = True) -> tuple[dict[str, Path], dict[str, list[tuple[str, int]]]]:
    mods = _modules()
    return mods, {m: _imports(m, p, set(mods), typing_too) for m, p in mods.items()}


def test_floors_import_only_downwards():
    mods, graph = _graph()
    bad = []
    for mod, imports in graph.items():
        floor = mod.split(".")[0]
        for target, line in imports:
            top = target.split(".")[0]
            if top in FORBIDDEN[floor]:
                bad.append(f"{mods[mod].relative_to(ROOT)}:{line} imports {target}")
    assert not bad, "a floor imports one above it (or Qt below the editor):\n" + "\n".join(bad)


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each as a closed path."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    comps: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return comps


def _path_in(comp: list[str], edges: dict[str, set[str]]) -> list[str]:
    """One cycle through the component's first module, for the message."""
    start = comp[0]
    members = set(comp)
    seen = {start: None}
    todo = [start]
    while todo:
        v = todo.pop(0)
        for w in sorted(edges[v] & members):
            if w == start:
                path = [v]
                while seen[path[-1]] is not None:
                    path.append(seen[path[-1]])
                return [*reversed(path), start]
            if w not in seen:
                seen[w] = v
                todo.append(w)
    return comp


def test_no_import_cycles():
    mods, graph = _graph(typing_too=False)
    edges = {m: {t for t, _ in imps if t in mods and t != m} for m, imps in graph.items()}
    comps = _cycles(edges)
    assert not comps, "import cycles:\n" + "\n".join(" -> ".join(_path_in(c, edges)) for c in comps)


def test_the_checks_see_violations(tmp_path):
    """The checker itself: a cycle and an upward import are found."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _path_in(["a", "b", "c"], {"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    src = ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import editor\n"
           "def f():\n    from PySide6 import QtCore\n    from . import sibling\n")
    tmp = tmp_path / "probe.py"
    tmp.write_text(src)
    got = _imports("project.probe", tmp, {"project.sibling"})
    runtime = _imports("project.probe", tmp, {"project.sibling"}, typing_too=False)
    assert sorted(got) == [("PySide6", 5), ("editor", 3), ("project.sibling", 6), ("typing", 1)]
    assert sorted(runtime) == [("PySide6", 5), ("project.sibling", 6), ("typing", 1)]


def test_every_user_error_of_the_project_floor_has_its_base():
    """The CLI catches ``DublineError`` and ``EngineError``; an error class outside them would be a traceback."""
    import importlib
    import inspect

    from project.errors import DublineError

    mods, _ = _graph()
    loose = []
    for name in sorted(m for m in mods if m.split(".")[0] == "project"):
        mod = importlib.import_module(name)
        for cls_name, cls in inspect.getmembers(mod, inspect.isclass):
            if cls.__module__ == name and issubclass(cls, Exception) and not cls_name.endswith("Cancelled"):
                if not issubclass(cls, DublineError):
                    loose.append(f"{name}.{cls_name}")
    assert not loose, f"errors outside project.errors.DublineError: {loose}"
