"""The package's house rules, checked on its source: short bodies, no import cycles, no private
names borrowed across modules.

An import anywhere in a module counts (inside a function too): a cycle that only works because
one side imports late is still a cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "dedup"
MAX_FUNCTION_LINES = 80
MAX_CLASS_LINES = 300


def _modules() -> dict[str, ast.Module]:
    trees = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        trees[".".join(parts)] = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return trees


MODULES = _modules()


def _is_package(name: str) -> bool:
    return (PACKAGE.parent / name.replace(".", "/") / "__init__.py").exists()


def _imports(name: str, tree: ast.Module) -> Iterator[tuple[str, list[str], int]]:
    """(imported module, names taken from it, line) for every import in the module, at any depth."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if _is_package(name) else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [alias.name for alias in node.names]
            # `from dedup.store import sqlite` imports the module dedup.store.sqlite
            for imported in names:
                if f"{target}.{imported}" in MODULES:
                    yield f"{target}.{imported}", [], node.lineno
            yield target, [n for n in names if f"{target}.{n}" not in MODULES], node.lineno


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, tree in MODULES.items():
        for target, _, _ in _imports(name, tree):
            if target in MODULES and target != name:
                graph[name].add(target)
    return graph


def _lengths(tree: ast.Module, kinds: tuple[type, ...]) -> Iterator[tuple[str, int, int]]:
    for node in ast.walk(tree):
        if isinstance(node, kinds):
            assert node.end_lineno is not None
            yield node.name, node.lineno, node.end_lineno - node.lineno + 1


def test_no_function_is_longer_than_the_limit() -> None:
    long = [
        f"{name}:{line} {func} ({length} lines)"
        for name, tree in MODULES.items()
        for func, line, length in _lengths(tree, (ast.FunctionDef, ast.AsyncFunctionDef))
        if length > MAX_FUNCTION_LINES
    ]
    assert not long, "split these functions:\n" + "\n".join(long)


def test_no_class_is_longer_than_the_limit() -> None:
    long = [
        f"{name}:{line} {cls} ({length} lines)"
        for name, tree in MODULES.items()
        for cls, line, length in _lengths(tree, (ast.ClassDef,))
        if length > MAX_CLASS_LINES
    ]
    assert not long, "split these classes:\n" + "\n".join(long)


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_import_graph_has_no_cycle() -> None:
    graph = _graph()
    # A package's __init__ that re-exports its modules is not a cycle with them unless they
    # import it back; a module importing its own package counts like any other edge.
    cycle = _cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_no_private_name_is_imported_from_another_module() -> None:
    borrowed = [
        f"{name}:{line} takes {imported} from {target}"
        for name, tree in MODULES.items()
        for target, names, line in _imports(name, tree)
        if target.startswith("dedup")
        for imported in names
        if imported.startswith("_") and not imported.startswith("__")
    ]
    assert not borrowed, "\n".join(borrowed)


def test_the_cycle_check_sees_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


LAYERS = {
    "spark_job": 9, "__init__": 7, "__main__": 9, "cli": 8, "spark": 7, "extract": 7, "serve": 7, "client": 7, "integrations": 8,  # entry points and re-exports
    "engines": 6, "outputs": 5, "stages": 4, "text": 3, "store": 3, "io": 3,
    "config": 1, "document": 1, "sites": 1, "errors": 0, "urls": 0, "compiled": 0,
}
"""Each top-level module or package of dedup and its layer: imports go to lower layers only."""


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_imports_go_down_the_layers() -> None:
    assert {_layer(name) for name in MODULES} <= set(LAYERS), "give the new top-level module a layer"
    upward = [
        f"{name}:{line} imports {target}"
        for name, tree in MODULES.items()
        for target, _, line in _imports(name, tree)
        if target in MODULES and _layer(target) != _layer(name)
        and LAYERS[_layer(target)] >= LAYERS[_layer(name)] and _layer(target) != "__init__"
    ]
    assert not upward, "\n".join(upward)
