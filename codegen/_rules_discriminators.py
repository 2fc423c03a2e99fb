"""Normalisation rules that make struct unions tagged unions on ``type``.

Run once the unions are settled (flat, one struct per tag): every struct in a union then carries a
distinct constant ``type``, and declaring the union discriminated makes the generator emit
``tag_field``/``tag`` for msgspec.
"""

from __future__ import annotations

from codegen._schema_walk import (
    DEF,
    Schema,
    common_prefix,
    is_object,
    ref_name,
    tag_of,
    union_members,
    walk,
)


def tags_required(schema: Schema) -> None:
    """A constant ``type`` is a tag, and a tag is always present.

    A few variants (the audio formats) leave ``type`` optional; msgspec writes and reads the tag
    whatever the schema says, and an optional tag would be wrapped as nullable and stop being a tag.
    """
    for node in walk(schema["$defs"]):
        prop = node.get("properties", {}).get("type")
        if isinstance(prop, dict) and "const" in prop:
            required = node.setdefault("required", [])
            if "type" not in required:
                required.insert(0, "type")


def add_discriminators(schema: Schema) -> None:
    """Unions of structs with distinct constant ``type`` values are discriminated on ``type``.

    The generator emits ``tag_field``/``tag`` only for unions declared discriminated, and msgspec needs
    every struct member of a union tagged.  Non-struct members (``null``, a string, an integer) may stay
    beside them: msgspec accepts one of each kind.
    """
    defs: dict[str, Schema] = schema["$defs"]
    for node in list(walk(defs)):
        members = union_members(node)
        if members is None:
            continue
        structs = [m for m in members if "$ref" in m and is_object(m, defs)]
        if len(structs) < 2:
            continue
        tags = [tag_of(m, defs) for m in structs]
        if None in tags or len(set(tags)) != len(tags):
            continue  # left for the gate to report
        tagged: Schema = {
            "anyOf": structs,
            "discriminator": {
                "propertyName": "type",
                "mapping": {str(tag): m["$ref"] for tag, m in zip(tags, structs, strict=True)},
            },
        }
        others = [m for m in members if m not in structs]
        if not others:
            node.update(tagged)
            continue
        # The generator tags only a union made of structs alone (beside them it drops ``null`` silently):
        # name the structs' union apart, next to the null, string or number members (msgspec still sees
        # one flat union).
        names = [ref_name(m["$ref"]) for m in structs]
        alias = (common_prefix(names) or "Tagged") + "Variants"
        while alias in defs and defs[alias] != tagged:
            alias += "_"
        defs[alias] = tagged
        at = members.index(structs[0])
        members[:] = [m for m in members if m not in structs]
        members.insert(at, {"$ref": DEF + alias})
        node.pop("discriminator", None)
