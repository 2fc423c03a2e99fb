"""Normalisation rules that reshape unions into what msgspec can choose between.

msgspec decodes a union only when, at each position, it can tell the members apart from the JSON alone:
one struct per tag, at most one string-like, one array and one object-like member.  These rules flatten
the document's nested unions, merge variants that share a tag, and collapse members msgspec could not
tell apart.  Tagging the structs (``_rules_discriminators``) comes last, once the unions are settled.
"""

from __future__ import annotations

import copy
from typing import Any

from codegen._schema_walk import (
    DEF,
    UNION_KEYS,
    UNION_ONLY_KEYS,
    Schema,
    common_prefix,
    enum_like,
    enum_values,
    is_object,
    is_string,
    pascal,
    ref_name,
    tag_of,
    union_members,
    walk,
)


def flatten_unions(schema: Schema) -> None:
    """Nested and nullable unions become one flat union.

    ``anyOf: [{oneOf: [A, B]}, {type: null}]`` is ``A | B | None``; a union whose member is a reference to
    a pure union is inlined.  msgspec sees one union either way, and the generator then tags each member
    once, instead of naming intermediate aliases that hide members from the discriminator rule.
    """
    defs: dict[str, Schema] = schema["$defs"]
    for node in walk(defs):
        members = union_members(node)
        if members is None:
            continue
        flat: list[Schema] = []
        for member in members:
            flat.extend(_flat_members(member, defs))
        unique: list[Schema] = []
        for member in flat:
            if member not in unique:
                unique.append(member)
        for key in UNION_KEYS:
            node.pop(key, None)
        node.pop("discriminator", None)
        node["anyOf"] = unique


def _flat_members(member: Schema, defs: dict[str, Schema]) -> list[Schema]:
    inner = union_members(member)
    if inner is not None and set(member) <= UNION_ONLY_KEYS:
        return [m for sub in inner for m in _flat_members(sub, defs)]
    if "$ref" in member and len(member) == 1:
        target = defs[ref_name(member["$ref"])]
        inner = union_members(target)
        if inner is not None and set(target) <= UNION_ONLY_KEYS:
            return [m for sub in inner for m in _flat_members(sub, defs)]
    return [member]


def merge_same_tag_variants(schema: Schema) -> None:
    """Variants that share a tag become one struct.

    The conversation item union has three ``message`` variants that differ only by ``role``; msgspec
    needs one struct per tag.  The merged struct has every property of the variants (required only when
    every variant requires it), enums joined, and nested objects merged the same way.  It is named after
    the longest common CamelCase prefix of the variants (``RealtimeConversationItemMessage``).
    """
    defs: dict[str, Schema] = schema["$defs"]
    for node in list(walk(defs)):
        members = union_members(node)
        if members is None:
            continue
        groups: dict[str, list[int]] = {}
        for index, member in enumerate(members):
            if "$ref" in member and is_object(member, defs):
                tag = tag_of(member, defs)
                if tag is not None:
                    groups.setdefault(tag, []).append(index)
        for tag, indexes in groups.items():
            if len(indexes) < 2:
                continue
            names = [ref_name(members[i]["$ref"]) for i in indexes]
            merged = defs[names[0]]
            for name in names[1:]:
                merged = _merge(merged, defs[name])
            new_name = common_prefix(names) or pascal(tag)
            if new_name in defs and new_name not in names:
                new_name = new_name + "Merged"
            defs[new_name] = merged
            first = indexes[0]
            members[first] = {"$ref": DEF + new_name}
            for i in sorted(indexes[1:], reverse=True):
                del members[i]


def _merge(a: Schema, b: Schema) -> Schema:
    if a == b:
        return copy.deepcopy(a)
    if enum_like(a) and enum_like(b):
        values = enum_values(a) + [v for v in enum_values(b) if v not in enum_values(a)]
        return {"type": "string", "enum": values}
    if a.get("type") == "array" and b.get("type") == "array":
        return {"type": "array", "items": _merge(a.get("items", {}), b.get("items", {}))}
    if "properties" in a and "properties" in b:
        props: dict[str, Schema] = {}
        for name in list(a["properties"]) + [n for n in b["properties"] if n not in a["properties"]]:
            if name in a["properties"] and name in b["properties"]:
                props[name] = _merge(a["properties"][name], b["properties"][name])
            else:
                props[name] = copy.deepcopy(a["properties"].get(name) or b["properties"][name])
        required = [r for r in a.get("required", []) if r in b.get("required", [])]
        out: Schema = {"type": "object", "properties": props}
        if required:
            out["required"] = required
        return out
    return {"anyOf": [copy.deepcopy(a), copy.deepcopy(b)]}


def simplify_unions(schema: Schema) -> None:
    """Each union gets at most one string-like member and at most one array member.

    msgspec cannot choose between two string types (``str | Literal[...]``, the voice ids) or between
    two array types (``list[A] | list[B]``).  Strings collapse to one (plain ``str`` if any member is
    open, else one enum of all values); arrays become one array of the union of their item types.
    A union left with one member stops being a union.
    """
    defs: dict[str, Schema] = schema["$defs"]
    for node in walk(defs):
        members = union_members(node)
        if members is None:
            continue
        strings = [m for m in members if is_string(m, defs) and "$ref" not in m]
        if len(strings) > 1:
            at = members.index(strings[0])
            members[:] = [m for m in members if m not in strings]
            members.insert(at, _one_string(strings))
        arrays = [m for m in members if m.get("type") == "array"]
        if len(arrays) > 1:
            items = [m.get("items", {}) for m in arrays]
            at = members.index(arrays[0])
            members[:] = [m for m in members if m not in arrays]
            members.insert(at, {"type": "array", "items": {"anyOf": items}})
        if len(members) == 1:
            only = members[0]
            for key in UNION_KEYS:
                node.pop(key, None)
            node.update(only)


def _one_string(strings: list[Schema]) -> Schema:
    """The one string member that stands for several: an enum of them all, or ``str`` if one is open."""
    if all(enum_like(m) for m in strings):
        values: list[Any] = []
        for m in strings:
            values += [v for v in enum_values(m) if v not in values]
        return {"type": "string", "enum": values}
    known = [v for m in strings for v in (enum_values(m) if enum_like(m) else m.get("x-known", []))]
    merged: Schema = {"type": "string"}
    if known:
        merged["x-known"] = list(dict.fromkeys(known))
    return merged
