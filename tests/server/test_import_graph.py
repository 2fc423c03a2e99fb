"""The server package has no import cycle, counting imports under ``TYPE_CHECKING`` too."""

from __future__ import annotations

import ast
from pathlib import Path

import realtime_sdk.server

PACKAGE = Path(realtime_sdk.server.__file__).parent


def graph() -> dict[str, set[str]]:
    """Module → the server modules it imports (relative ``from .x import`` and absolute ones alike)."""
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom):
                if node.level == 1:
                    base = node.module or ""
                    targets = [base] if base else [a.name for a in node.names]
                elif node.module and node.module.startswith("realtime_sdk.server."):
                    targets = [node.module.split(".")[2]]
            elif isinstance(node, ast.Import):
                targets = [
                    a.name.split(".")[2] for a in node.names if a.name.startswith("realtime_sdk.server.")
                ]
            edges[path.stem] |= {t.split(".")[0] for t in targets if t.split(".")[0] in modules}
    return edges


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in sorted(edges[m]):
            if state.get(n) == 1:
                return [*stack[stack.index(n) :], n]
            if n not in state and (found := visit(n)):
                return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(edges):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_no_import_cycle_in_the_server() -> None:
    assert cycle(graph()) is None


def test_the_cycle_finder_finds_one() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    edges = graph()
    edges["_ids"] = edges["_ids"] | {"_protocol"}  # _protocol imports _ids: a cycle
    assert cycle(edges) is not None
