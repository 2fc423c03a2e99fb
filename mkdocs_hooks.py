"""MkDocs hook: a public name without a docstring, or a docstring sending readers into a private module,
is a warning, so `mkdocs build --strict` fails on it. The test suite runs the same check."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import griffe

log = logging.getLogger("mkdocs.plugins.realtime_sdk_docstrings")
_PRIVATE_REF = re.compile(r"\b_[a-z][a-z0-9_]*\.(py\b|[A-Za-z])|realtime_sdk\._")


def _public(name: str) -> bool:
    return not name.startswith("_")


def _members(obj: griffe.Object | griffe.Alias) -> Iterator[tuple[str, griffe.Object]]:
    """Public members of a module (its `__all__` when it has one) or of a class, aliases resolved."""
    names = obj.exports if isinstance(obj, griffe.Module) and obj.exports is not None else None
    for name, member in obj.members.items():
        if (names is not None and name not in names) or (names is None and not _public(name)):
            continue
        if names is None and member.is_alias:
            continue  # imported, documented where it is defined
        try:
            target = member.final_target if member.is_alias else member
        except (griffe.AliasResolutionError, griffe.CyclicAliasError):
            continue
        assert isinstance(target, griffe.Object)
        if target.path.startswith("realtime_sdk._generated"):
            continue  # generated wire types: named after the wire, described by the schema
        yield f"{obj.path}.{name}", target


def problems(package: str = "realtime_sdk", *, attributes: bool = False) -> list[str]:
    """Every public module, class and function (and, with ``attributes``, attribute) of `package` that a
    reader would find undocumented, or whose docstring sends the reader into a private module."""
    root = griffe.load(package, resolve_aliases=True, resolve_external=False)
    found: list[str] = []
    seen: set[str] = set()

    def check(path: str, obj: griffe.Object) -> None:
        if obj.path in seen:
            return
        seen.add(obj.path)
        doc = obj.docstring.value if obj.docstring else ""
        if obj.is_attribute and not attributes and not doc.strip():
            return
        if not doc.strip():
            found.append(f"{path}: no docstring")
        elif _PRIVATE_REF.search(doc):
            found.append(f"{path}: the docstring points into a private module")
        if obj.is_class:
            for member_path, member in _members(obj):
                if member.is_function or member.is_attribute or member.is_class:
                    check(member_path, member)

    modules = [root, *(m for n, m in root.modules.items() if _public(n))]
    for module in modules:
        assert isinstance(module, griffe.Module)
        check(module.path, module)
        for path, member in _members(module):
            if not member.is_module:
                check(path, member)
    return found


def on_config(config: Any) -> Any:
    for problem in problems():
        log.warning(problem)
    return config
