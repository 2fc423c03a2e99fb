"""Normalisation rules about definitions: what they are called and which of them exist.

Class names come from the wire (event types, union tags) or from a definition's path, never from
counters, so that they stay stable when OpenAI publishes a new document.
"""

from __future__ import annotations

from codegen._schema_walk import (
    DEF,
    Schema,
    all_roots,
    event_lists,
    pascal,
    protocol_prefix,
    reachable,
    ref_name,
    tag_of,
    union_members,
    union_name,
    walk,
)


def rename_events(schema: Schema) -> None:
    """Event classes are named after their wire type, not after OpenAI's internal schema names.

    ``RealtimeServerEventResponseAudioDelta`` carries ``response.output_audio.delta``: the class becomes
    ``ResponseOutputAudioDelta``.  Wire types are the API's public, stable names; internal names have been
    renamed before while the wire stayed the same.  Events of the other protocols carry the protocol's
    name in front (translation's ``session.created`` is ``TranslationSessionCreated``, the webhook
    ``realtime.call.incoming`` is ``WebhookRealtimeCallIncoming``), since their wire types repeat the
    realtime ones; an event shared with the realtime protocol (``error``) keeps its realtime name.
    """
    defs: dict[str, Schema] = schema["$defs"]
    renames: dict[str, str] = {}
    for kind, _side, names in event_lists(schema):
        for old in names:
            if old in renames:
                continue  # shared with a protocol named earlier (the realtime one comes first)
            tag = tag_of(defs[old], defs)
            if tag is None:
                raise ValueError(f"event schema {old} has no constant type")
            renames[old] = protocol_prefix(kind) + pascal(tag)
    taken = set(defs) - set(renames)
    clashes = [new for new in renames.values() if new in taken]
    if clashes or len(set(renames.values())) != len(renames):
        raise ValueError(f"event class names clash: {clashes}")
    _rename_defs(schema, renames)
    for sides in schema["x-protocols"].values():
        for side, names in sides.items():
            sides[side] = [renames[old] for old in names]


def _rename_defs(schema: Schema, renames: dict[str, str]) -> None:
    defs: dict[str, Schema] = schema["$defs"]
    schema["$defs"] = {renames.get(name, name): body for name, body in defs.items()}
    for node in walk(schema["$defs"]):
        if "$ref" in node:
            name = ref_name(node["$ref"])
            if name in renames:
                node["$ref"] = DEF + renames[name]


def hoist_inline_objects(schema: Schema) -> None:
    """Every inline object becomes a named definition, named by its path.

    The generator names inline objects by their property name and a counter (``Audio``, ``Audio3``):
    names that change when OpenAI adds a schema elsewhere.  A path name
    (``RealtimeSessionCreateRequestGA`` → ``audio`` → ``input`` = ``RealtimeSessionCreateRequestGAAudioInput``)
    is stable, readable, and lets the type-override rule address every field.  Union variants are named
    by their tag when they have one (``RealtimeTurnDetectionServerVad``).
    """
    defs: dict[str, Schema] = schema["$defs"]
    for name in list(defs):
        _hoist_in(defs[name], name, defs, top=True)


def _hoist_in(node: Schema, path: str, defs: dict[str, Schema], *, top: bool = False) -> None:
    # ``top``: ``node`` is itself the definition named ``path``, so an unnamed variant needs a suffix
    for prop, sub in node.get("properties", {}).items():
        node["properties"][prop] = _hoisted(sub, path + pascal(prop), defs)
    if "items" in node and isinstance(node["items"], dict):
        node["items"] = _hoisted(node["items"], path + "Item", defs)
    members = union_members(node)
    if members is not None:
        untagged = [m for m in members if "properties" in m and tag_of(m, defs) is None]
        for index, member in enumerate(members):
            label = tag_of(member, defs) if "properties" in member else None
            if label:
                name = path + pascal(label)
            elif len(untagged) == 1:
                name = path + "Object" if top else path
            else:
                name = path + str(index)
            members[index] = _hoisted(member, name, defs)
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        node["additionalProperties"] = _hoisted(extra, path + "Value", defs)


def _hoisted(sub: Schema, name: str, defs: dict[str, Schema]) -> Schema:
    if "properties" in sub and sub.get("type", "object") == "object":
        while name in defs:
            name += "Inline"
        defs[name] = sub
        _hoist_in(sub, name, defs)
        return {"$ref": DEF + name}
    _hoist_in(sub, name, defs)
    return sub


def add_event_unions(schema: Schema) -> None:
    """One union per protocol side (``ClientEvent``, ``ServerEvent``, ``TranslationServerEvent``...).

    The decoders are built on these; the names come from ``union_name``.
    """
    defs: dict[str, Schema] = schema["$defs"]
    for kind, side, events in event_lists(schema):
        name = union_name(kind, side)
        if name in defs:
            raise ValueError(f"{name} already defined")
        defs[name] = {"anyOf": [{"$ref": DEF + event} for event in events]}


def collect_garbage(schema: Schema) -> None:
    """Only definitions reachable from the protocol unions and the operation bodies are generated."""
    defs: dict[str, Schema] = schema["$defs"]
    seen = reachable(defs, all_roots(schema))
    schema["$defs"] = {name: defs[name] for name in sorted(seen)}
