"""The house's one-way floors, checked on every run: each top-level package imports only
from its own floor and the floors beneath it, no module imports the demo app except the demo
app, and no two modules import each other round a circle (docs/architecture.md)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# From the ground floor up: each may import the ones before it, never the ones after.
FLOORS = (
    "kam",
    "accounts",
    "groups",
    "esg",
    "interactions",
    "privacy",
    "relationships",
    "risk",
    "dashboard",
    "demo",
)


def _modules() -> Iterator[tuple[str, Path]]:
    for floor in FLOORS:
        for path in sorted((ROOT / floor).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            yield ".".join(parts), path


def _imports(name: str, path: Path) -> Iterator[tuple[int, str]]:
    """The modules ``name`` imports (absolute names; ``from x import y`` gives ``x.y`` when
    that is a module of the house, ``x`` otherwise), wherever in the file the import is."""
    known = _known()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            for alias in node.names:
                submodule = f"{module}.{alias.name}"
                yield node.lineno, submodule if submodule in known else module


@cache
def _known() -> frozenset[str]:
    return frozenset(name for name, _path in _modules())


def _floor(module: str) -> int | None:
    top = module.split(".")[0]
    return FLOORS.index(top) if top in FLOORS else None


def test_no_floor_imports_one_above_it() -> None:
    upward = []
    for name, path in _modules():
        own = _floor(name)
        for line, module in _imports(name, path):
            other = _floor(module)
            if own is not None and other is not None and other > own:
                upward.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert not upward, "imports that run up a floor:\n" + "\n".join(sorted(set(upward)))


def test_no_import_circles() -> None:
    modules = dict(_modules())
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for _line, module in _imports(name, path):
            if module in modules and module != name:
                graph[name].add(module)
    circles = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                circles.append(" -> ".join([*stack[stack.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert not circles, "import circles:\n" + "\n".join(circles)


def test_the_checks_see_the_house() -> None:
    names = dict(_modules())
    assert "accounts.selectors" in names and "dashboard.book" in names
    assert any(module == "accounts.models" for _l, module in _imports(*_pick("dashboard.book")))


def _pick(name: str) -> tuple[str, Path]:
    return name, dict(_modules())[name]
