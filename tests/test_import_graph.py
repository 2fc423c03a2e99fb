"""The layers hold: asyncio and aiohttp only in the edge, and no import cycle in the client package.

Read from the source (``ast``), not by importing, so an import inside ``if TYPE_CHECKING:`` counts like
any other.  An import inside a function is a deliberate lazy edge (``realtime_sdk.tools.run_tool`` resolving
to the edge on first use) and is left out of the cycle check, but not out of the asyncio/aiohttp check.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "realtime_sdk"
# The edge, the local server and the command line may do I/O.
IO_ALLOWED = ("realtime_sdk.session", "realtime_sdk.server", "realtime_sdk.cli")
IO_MODULES = {"asyncio", "aiohttp", "threading"}
CLIENT_EXCLUDED = ("realtime_sdk.server", "realtime_sdk._generated")


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = modules()


def _targets(module: str, path: Path, node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for _ in range(node.level - 1):
        base = base.rsplit(".", 1)[0]
    target = (f"{base}.{node.module}" if node.module else base) if node.level else (node.module or "")
    # ``from pkg import sub`` imports the submodule; ``from mod import name`` the module.
    return [f"{target}.{a.name}" if f"{target}.{a.name}" in MODULES else target for a in node.names]


def _imports(tree: ast.Module, *, module_level_only: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if not module_level_only:
                stack.extend(ast.iter_child_nodes(node))
        else:
            stack.extend(ast.iter_child_nodes(node))  # if TYPE_CHECKING, try, ...


def imports_of(module: str, *, module_level_only: bool) -> set[str]:
    path = MODULES[module]
    tree = ast.parse(path.read_text())
    return {t for n in _imports(tree, module_level_only=module_level_only) for t in _targets(module, path, n)}


def test_only_the_edge_imports_asyncio_or_aiohttp() -> None:
    offenders = {
        module: sorted(
            t for t in imports_of(module, module_level_only=False) if t.split(".")[0] in IO_MODULES
        )
        for module in MODULES
        if not module.startswith(IO_ALLOWED)
    }
    assert {m: found for m, found in offenders.items() if found} == {}


def test_the_check_sees_an_import_under_type_checking() -> None:
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import asyncio\n")
    names = {alias.name for n in _imports(tree, module_level_only=True) for alias in n.names}
    assert names == {"TYPE_CHECKING", "asyncio"}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the list of modules along it, or ``None``."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)) is not None:
            return found
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycle_in_the_client_package() -> None:
    client = [m for m in MODULES if not m.startswith(CLIENT_EXCLUDED)]
    graph = {
        m: {t for t in imports_of(m, module_level_only=True) if t in MODULES and t != m and t in client}
        for m in client
    }
    assert find_cycle(graph) is None


KEEPS_THE_SESSION = {"_handlers"}


def test_the_session_is_one_class_composed_not_assembled_from_mixins() -> None:
    from realtime_sdk import RealtimeSession

    assert RealtimeSession.__bases__ == (object,)
    # Its collaborators get narrow callables, never the session: none of them keeps a reference to it.
    # (The handler registry passes the session to the app's item handlers as their first argument; it
    # never calls into it.)
    session = RealtimeSession(api_key="sk-test")
    for name, part in vars(session).items():
        if name in KEEPS_THE_SESSION:
            continue
        if name.startswith("_") and hasattr(part, "__dict__") and not isinstance(part, type):
            held = [k for k, v in vars(part).items() if v is session]
            assert not held, f"{name} holds the session in {held}"
