"""Normalisation rules about single fields: their values, defaults and nullability.

The generated structs describe shapes only.  What a value may be (a range, a pattern, a default) is the
server's business; what the SDK must do is accept what real servers send (``null`` for absent objects,
values outside documented ranges) and send nothing the user did not set.
"""

from __future__ import annotations

from codegen._schema_walk import (
    UNION_ONLY_KEYS,
    Schema,
    is_null,
    resolve,
    union_members,
    walk,
)

# Value constraints and formats that would make msgspec reject drift from the server (a longer event_id,
# a temperature outside the documented range) or that have no msgspec meaning.
CONSTRAINT_KEYS = frozenset(
    {
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "pattern",
        "format",
        "multipleOf",
        "uniqueItems",
        "default",
    }
)
BYTES_FIELD = "x-bytes"


def drop_defaults_and_constraints(schema: Schema) -> None:
    """Schema defaults and value constraints are dropped.

    A default would be generated as a field default and sent on every event the user builds
    (``Session()`` would send ``temperature: 0.8``); a constraint would make msgspec reject a server
    value outside the documented range.  The server validates what it receives; we only need shapes.
    """
    for node in walk(schema["$defs"]):
        for key in CONSTRAINT_KEYS & node.keys():
            del node[key]


def mark_bytes(schema: Schema) -> None:
    """Base64 audio becomes ``bytes``.

    Extraction records ``contentEncoding: base64`` where OpenAI documents a string as base64-encoded
    audio.  Marking it here lets generation type the field as ``bytes``, so msgspec decodes base64 in C
    and users never handle base64 themselves.
    """
    for node in walk(schema["$defs"]):
        if node.get("contentEncoding") == "base64" and node.get("type") == "string":
            node[BYTES_FIELD] = True


def nullable_optionals(schema: Schema) -> None:
    """Optional fields accept ``null``.

    The server sends ``null`` for absent optional objects (``status_details``, ``transcription``,
    ``error.param``); the document rarely says so.  Optional fields stay ``UNSET`` by default, so
    nothing is encoded unless the user sets it, and ``None`` is sent as ``null`` when the user asks
    (``turn_detection=None`` switches turn detection off).
    """
    defs: dict[str, Schema] = schema["$defs"]
    for node in walk(defs):
        props = node.get("properties")
        if not props:
            continue
        required = set(node.get("required", []))
        for name, sub in props.items():
            if name in required or "default" in sub or _accepts_null(sub, defs):
                continue
            members = union_members(sub)
            if members is not None and set(sub) <= UNION_ONLY_KEYS:
                members.append({"type": "null"})
            else:
                props[name] = {"anyOf": [sub, {"type": "null"}]}


def _accepts_null(sub: Schema, defs: dict[str, Schema]) -> bool:
    if is_null(sub) or sub.get("type") == ["null"]:
        return True
    members = union_members(sub)
    if members is None and "$ref" in sub:
        members = union_members(resolve(sub, defs))
    return bool(members) and any(is_null(m) for m in members or [])


def constants_may_be_absent(schema: Schema) -> None:
    """A required field whose only allowed value is a constant may be absent: it defaults to that value.

    ``session.object`` can only be ``"realtime.session"``; hand-written payloads (other SDKs' tests, other
    servers) leave it out, and the session is still what it says.  Requiring it would turn such an event
    into an unknown one.  The field keeps its type and defaults to the constant, so it always reads as
    the value it must have.  Tags (``type``) stay required: they select the struct.
    """
    for node in walk(schema["$defs"]):
        props = node.get("properties")
        required = node.get("required")
        if not props or not required:
            continue
        for name in list(required):
            sub = props.get(name)
            if name == "type" or not isinstance(sub, dict):
                continue
            value = sub.get("const")
            if isinstance(value, str):
                required.remove(name)
                sub["default"] = value  # the only default left: every other was dropped
        if not required:
            del node["required"]
