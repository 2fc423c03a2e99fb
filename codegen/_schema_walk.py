"""Reading a JSON Schema: walking it, following references, and asking what a node is.

Nothing here changes a schema.  The normalisation rules (``codegen/_rules_*.py``) are written with these
questions only, so that they talk about JSON Schema constructs and never about particular schema names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

Schema = dict[str, Any]

DEF = "#/$defs/"
UNION_KEYS = ("anyOf", "oneOf")
UNION_ONLY_KEYS = frozenset({"anyOf", "oneOf", "discriminator"})
"""The keys of a node that is a union and nothing else (no properties of its own)."""


SIDE_UNIONS = {"client": "ClientEvent", "server": "ServerEvent", "event": "Event"}
MAIN_PROTOCOL = "realtime"


def protocol_prefix(kind: str) -> str:
    """Class-name prefix of a protocol's events and unions: none for the realtime protocol."""
    return "" if kind == MAIN_PROTOCOL else pascal(kind)


def union_name(kind: str, side: str) -> str:
    """``ClientEvent``, ``ServerEvent``, ``TranslationServerEvent``, ``WebhookEvent``..."""
    return protocol_prefix(kind) + SIDE_UNIONS[side]


def event_lists(schema: Schema) -> list[tuple[str, str, list[str]]]:
    """``(protocol, side, event definition names)`` for every protocol side, the realtime one first."""
    protocols: dict[str, dict[str, list[str]]] = schema["x-protocols"]
    return [(kind, side, names) for kind, sides in protocols.items() for side, names in sides.items()]


def server_sent_roots(schema: Schema) -> list[str]:
    """Definitions a server sends: its events (every side but ``client``) and operation responses."""
    names = [n for _, side, events in event_lists(schema) if side != "client" for n in events]
    return names + list(schema.get("x-roots", {}).get("response", []))


def all_roots(schema: Schema) -> list[str]:
    """What the generated package must contain: every protocol union and every operation body."""
    unions = [union_name(kind, side) for kind, side, _ in event_lists(schema)]
    return unions + [n for names in schema.get("x-roots", {}).values() for n in names]


def ref_name(ref: str) -> str:
    assert ref.startswith(DEF), ref
    return ref[len(DEF) :]


def pascal(text: str) -> str:
    """``response.output_audio.delta`` -> ``ResponseOutputAudioDelta``; ``audio/pcmu`` -> ``AudioPcmu``."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^0-9A-Za-z]+", text) if part)


def common_prefix(names: list[str]) -> str:
    """The longest common CamelCase prefix: ``[AbcUser, AbcSystem]`` -> ``Abc``."""
    words = [re.findall(r"[A-Z][a-z0-9]*|[a-z0-9]+", name) for name in names]
    prefix: list[str] = []
    for parts in zip(*words, strict=False):
        if len(set(parts)) != 1:
            break
        prefix.append(parts[0])
    return "".join(prefix)


def union_members(node: Schema) -> list[Schema] | None:
    for key in UNION_KEYS:
        if key in node:
            members: list[Schema] = node[key]
            return members
    return None


def walk(node: Any) -> Iterator[Schema]:
    """Every schema object below ``node``, parents first."""
    if isinstance(node, dict):
        yield node
        for key, value in node.items():
            if key == "properties":
                for sub in value.values():
                    yield from walk(sub)
            elif key in ("$defs", "enum", "const", "required", "discriminator"):
                continue
            else:
                yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def references(node: Any) -> Iterator[str]:
    for sub in walk(node):
        if "$ref" in sub:
            yield ref_name(sub["$ref"])


def reachable(defs: dict[str, Schema], roots: list[str]) -> set[str]:
    """The definitions named in ``roots`` and every definition they reference, transitively."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(references(defs[name]))
    return seen


def resolve(schema: Schema, defs: dict[str, Schema]) -> Schema:
    while "$ref" in schema:
        schema = defs[ref_name(schema["$ref"])]
    return schema


def tag_of(schema: Schema, defs: dict[str, Schema]) -> str | None:
    """The single constant value of a struct's ``type`` property, if it has one."""
    target = resolve(schema, defs)
    prop = target.get("properties", {}).get("type")
    if not isinstance(prop, dict):
        return None
    if "const" in prop:
        return str(prop["const"])
    enum = prop.get("enum")
    if isinstance(enum, list) and len(enum) == 1:
        return str(enum[0])
    return None


def is_object(schema: Schema, defs: dict[str, Schema]) -> bool:
    target = resolve(schema, defs)
    return target.get("type") == "object" or "properties" in target


def is_null(schema: Schema) -> bool:
    return schema.get("type") == "null"


def is_string(schema: Schema, defs: dict[str, Schema]) -> bool:
    target = resolve(schema, defs)
    return target.get("type") == "string" and "properties" not in target


def enum_like(schema: Schema) -> bool:
    """A string restricted to listed values (an ``enum`` or a ``const``)."""
    return schema.get("type") == "string" and ("enum" in schema or "const" in schema)


def enum_values(schema: Schema) -> list[Any]:
    return list(schema["enum"]) if "enum" in schema else [schema["const"]]
