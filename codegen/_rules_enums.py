"""Normalisation rules about enums: constants become tags, and what the server sends stays open.

A one-value enum is a constant (and a tag when it is a struct's ``type``).  Every other enum a server
event can carry decodes as an open string — real servers send values the document does not list — while
the documented values stay visible to type checkers as ``Literal[...] | str``.
"""

from __future__ import annotations

from codegen._schema_walk import (
    UNION_KEYS,
    Schema,
    enum_values,
    reachable,
    server_sent_roots,
    union_members,
    walk,
)


def consts_for_single_enums(schema: Schema) -> None:
    """A one-value ``enum`` is a constant: write it as ``const``.

    OpenAI writes event tags as ``enum: [session.update]``.  The generator recognises tags and literal
    constants from ``const``; a one-value enum would otherwise be generated as a one-member Literal type.
    """
    for node in walk(schema["$defs"]):
        enum = node.get("enum")
        if isinstance(enum, list) and len(enum) == 1:
            del node["enum"]
            node["const"] = enum[0]


def open_server_enums(schema: Schema) -> None:
    """Enums in anything a server sends decode as plain strings.

    Real servers send values the document does not list (content parts typed ``audio``/``text`` where the
    document says ``output_audio``/``output_text``; new statuses, reasons, voices).  A ``Literal`` would
    turn each of those into a validation failure of the whole event.  Tags stay constant: they select
    the struct.  Known values are kept under ``x-known``: ``known_values_as_literals`` shows them to type
    checkers once the unions are settled.
    """
    defs: dict[str, Schema] = schema["$defs"]
    for name in reachable(defs, server_sent_roots(schema)):
        _open(defs[name])
        for node in walk(defs[name]):
            for prop, sub in node.get("properties", {}).items():
                if prop == "type" and "const" in sub:
                    continue  # a tag
                _open(sub)
            if "items" in node and isinstance(node["items"], dict):
                _open(node["items"])
            for member in union_members(node) or []:
                _open(member)


def _open(sub: Schema) -> None:
    if sub.get("type") in ("string", "integer", "number") and ("enum" in sub or "const" in sub):
        sub["x-known"] = enum_values(sub)
        sub.pop("enum", None)
        sub.pop("const", None)


def known_values_as_literals(schema: Schema) -> None:
    """An open string keeps its documented values visible: ``Literal["alloy", "ash", ...] | str``.

    msgspec (checked with 0.22) decodes ``Literal[...] | str`` as any string, so an unknown value still
    decodes, while type checkers and editors see which values the document lists.  (``str | StrEnum``
    is what msgspec refuses, and the generator emits Literals, not enums, with
    ``--enum-field-as-literal all``.)  Runs after the unions are settled so the pair is never collapsed
    again; inside a union the pair is spliced in as two members, so no union nests.
    """
    defs: dict[str, Schema] = schema["$defs"]
    for node in list(walk(defs)):
        members = union_members(node)
        if members is not None and any(_is_open(m) for m in members):
            members[:] = [part for m in members for part in (_literal_or_open(m) if _is_open(m) else [m])]
    for node in list(walk(defs)):
        if _is_open(node):
            node["anyOf"] = _literal_or_open(node)
            for key in ("type", "x-known"):
                node.pop(key)


def _is_open(node: Schema) -> bool:
    return bool(node.get("x-known")) and not ({"enum", "const"} | set(UNION_KEYS)) & node.keys()


def _literal_or_open(node: Schema) -> list[Schema]:
    kind, values = node["type"], list(node["x-known"])
    return [{"type": kind, "enum": values}, {"type": kind}]
