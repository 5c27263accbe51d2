"""The package's import graph: no cycle (lazy imports inside functions included) and no private
name (``_x``) taken from another module. Read from the source with :mod:`ast`, so a cycle that
only shows at run time on some code path is caught too."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest
from support import ROOT

PACKAGE = ROOT / "harness"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def resolve(importer: str, node: ast.ImportFrom) -> str:
    """The absolute module an ``ImportFrom`` names (``from ..x import y`` in ``harness.a.b``)."""
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    # a package's own __init__ is its level-1 anchor; a module's is its parent package
    drop = node.level - 1 if is_package(importer) else node.level
    anchor = base[: len(base) - drop]
    return ".".join(anchor + ([node.module] if node.module else []))


def imports_of(name: str) -> list[tuple[str, list[str]]]:
    """Every (module, imported names) the module imports, at any depth in its body."""
    tree = ast.parse(MODULES[name].read_text(), filename=str(MODULES[name]))
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((resolve(name, node), [alias.name for alias in node.names]))
    return found


def edges(name: str) -> set[str]:
    """The harness modules ``name`` imports: ``from .pkg import mod`` counts as pkg.mod."""
    targets: set[str] = set()
    for module, names in imports_of(name):
        if module not in MODULES:
            continue
        subs = [f"{module}.{n}" for n in names if f"{module}.{n}" in MODULES]
        plain = [n for n in names if f"{module}.{n}" not in MODULES]
        targets.update(subs)
        if plain or not names:
            targets.add(module)
    targets.discard(name)
    return targets


def test_the_graph_is_read_from_every_module() -> None:
    assert len(MODULES) > 100
    assert "harness.cli" in MODULES and is_package("harness.cli")
    assert "harness.errors" in edges("harness.spec.loader")


def test_import_graph_has_no_cycle() -> None:
    sorter = graphlib.TopologicalSorter({name: edges(name) for name in MODULES})
    try:
        sorter.prepare()
    except graphlib.CycleError as err:
        pytest.fail(f"import cycle: {' -> '.join(err.args[1])}")


def test_the_cycle_check_can_fail() -> None:
    # the same sorter over a two-module cycle (what report <-> stats once was)
    sorter = graphlib.TopologicalSorter({"report": {"stats"}, "stats": {"report"}})
    with pytest.raises(graphlib.CycleError):
        sorter.prepare()


def private_uses(name: str) -> list[str]:
    """``from other import _x`` and ``other_module._x`` for harness modules other than this one."""
    tree = ast.parse(MODULES[name].read_text(), filename=str(MODULES[name]))
    modules_bound: dict[str, str] = {}
    uses: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = resolve(name, node)
            for alias in node.names:
                if f"{source}.{alias.name}" in MODULES:
                    modules_bound[alias.asname or alias.name] = f"{source}.{alias.name}"
                elif alias.name.startswith("_") and not alias.name.startswith("__"):
                    if source.startswith("harness") and source != name:
                        uses.append(f"{name}: from {source} import {alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES and alias.asname:
                    modules_bound[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in modules_bound and node.attr.startswith("_")
                and not node.attr.startswith("__")):
            uses.append(f"{name}: {modules_bound[node.value.id]}.{node.attr}")
    return uses


def test_no_private_name_is_used_across_modules() -> None:
    uses = [use for name in MODULES for use in private_uses(name)]
    assert uses == []


def test_no_module_is_over_about_400_lines() -> None:
    long = {name: n for name, p in MODULES.items() if (n := len(p.read_text().splitlines())) > 420}
    assert long == {}
