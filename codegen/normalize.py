"""Normalise the extracted Realtime schema so that every union is decodable by msgspec.

Theory of operation
-------------------
``schema/realtime.schema.json`` is a faithful copy of OpenAI's event schemas.  msgspec can only decode
a union of structs when every struct is tagged with a distinct value of one field, allows at most one
string-like and one object-like member per union, and rejects anything a ``Literal`` or a constraint
does not allow.  OpenAI's document satisfies none of that as written, and real servers drift from it.
This module rewrites a copy of the schema, rule by rule, into a shape that datamodel-code-generator turns
into decodable msgspec structs.  Each rule is one function below, applied in the order of ``RULES``;
each says why it exists.  The input is never modified.

The rules are written against JSON Schema constructs, never against particular schema names, so a new
document with new events or new variants goes through unchanged code.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from typing import Any

Schema = dict[str, Any]

DEF = "#/$defs/"
UNION_KEYS = ("anyOf", "oneOf")
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


# --------------------------------------------------------------------------------------------------
# helpers


def ref_name(ref: str) -> str:
    assert ref.startswith(DEF), ref
    return ref[len(DEF) :]


def pascal(text: str) -> str:
    """``response.output_audio.delta`` -> ``ResponseOutputAudioDelta``; ``audio/pcmu`` -> ``AudioPcmu``."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^0-9A-Za-z]+", text) if part)


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


def resolve(schema: Schema, defs: dict[str, Schema]) -> Schema:
    while "$ref" in schema:
        schema = defs[ref_name(schema["$ref"])]
    return schema


def is_object(schema: Schema, defs: dict[str, Schema]) -> bool:
    target = resolve(schema, defs)
    return target.get("type") == "object" or "properties" in target


def is_null(schema: Schema) -> bool:
    return schema.get("type") == "null"


def is_string(schema: Schema, defs: dict[str, Schema]) -> bool:
    target = resolve(schema, defs)
    return target.get("type") == "string" and "properties" not in target


def references(node: Any) -> Iterator[str]:
    for sub in walk(node):
        if "$ref" in sub:
            yield ref_name(sub["$ref"])


# --------------------------------------------------------------------------------------------------
# the rules


def mark_bytes(schema: Schema) -> None:
    """Base64 audio becomes ``bytes``.

    Extraction records ``contentEncoding: base64`` where OpenAI documents a string as base64-encoded
    audio.  Marking it here lets generation type the field as ``bytes``, so msgspec decodes base64 in C
    and users never handle base64 themselves.
    """
    for node in walk(schema["$defs"]):
        if node.get("contentEncoding") == "base64" and node.get("type") == "string":
            node[BYTES_FIELD] = True


def rename_events(schema: Schema) -> None:
    """Event classes are named after their wire type, not after OpenAI's internal schema names.

    ``RealtimeServerEventResponseAudioDelta`` carries ``response.output_audio.delta``: the class becomes
    ``ResponseOutputAudioDelta``.  Wire types are the API's public, stable names; internal names have been
    renamed before while the wire stayed the same.
    """
    defs: dict[str, Schema] = schema["$defs"]
    renames: dict[str, str] = {}
    for key in ("x-client-events", "x-server-events"):
        for old in schema[key]:
            tag = tag_of(defs[old], defs)
            if tag is None:
                raise ValueError(f"event schema {old} has no constant type")
            renames[old] = pascal(tag)
    taken = set(defs) - set(renames)
    clashes = [new for new in renames.values() if new in taken]
    if clashes or len(set(renames.values())) != len(renames):
        raise ValueError(f"event class names clash: {clashes}")
    _rename_defs(schema, renames)
    for key in ("x-client-events", "x-server-events"):
        schema[key] = [renames[old] for old in schema[key]]


def _rename_defs(schema: Schema, renames: dict[str, str]) -> None:
    defs: dict[str, Schema] = schema["$defs"]
    schema["$defs"] = {renames.get(name, name): body for name, body in defs.items()}
    for node in walk(schema["$defs"]):
        if "$ref" in node:
            name = ref_name(node["$ref"])
            if name in renames:
                node["$ref"] = DEF + renames[name]


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
    if inner is not None and set(member) <= {"anyOf", "oneOf", "discriminator"}:
        return [m for sub in inner for m in _flat_members(sub, defs)]
    if "$ref" in member and len(member) == 1:
        target = defs[ref_name(member["$ref"])]
        inner = union_members(target)
        if inner is not None and set(target) <= {"anyOf", "oneOf", "discriminator"}:
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
            new_name = _common_prefix(names) or pascal(tag)
            if new_name in defs and new_name not in names:
                new_name = new_name + "Merged"
            defs[new_name] = merged
            first = indexes[0]
            members[first] = {"$ref": DEF + new_name}
            for i in sorted(indexes[1:], reverse=True):
                del members[i]


def _common_prefix(names: list[str]) -> str:
    words = [re.findall(r"[A-Z][a-z0-9]*|[a-z0-9]+", name) for name in names]
    prefix: list[str] = []
    for parts in zip(*words, strict=False):
        if len(set(parts)) != 1:
            break
        prefix.append(parts[0])
    return "".join(prefix)


def _merge(a: Schema, b: Schema) -> Schema:
    if a == b:
        return copy.deepcopy(a)
    if _enum_like(a) and _enum_like(b):
        values = _enum_values(a) + [v for v in _enum_values(b) if v not in _enum_values(a)]
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


def _enum_like(s: Schema) -> bool:
    return s.get("type") == "string" and ("enum" in s or "const" in s)


def _enum_values(s: Schema) -> list[Any]:
    return list(s["enum"]) if "enum" in s else [s["const"]]


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


def server_reachable(schema: Schema) -> set[str]:
    defs: dict[str, Schema] = schema["$defs"]
    seen: set[str] = set()
    todo = list(schema["x-server-events"])
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(references(defs[name]))
    return seen


def open_server_enums(schema: Schema) -> None:
    """Enums in anything the server sends decode as plain strings.

    Real servers send values the document does not list (content parts typed ``audio``/``text`` where the
    document says ``output_audio``/``output_text``; new statuses, reasons, voices).  A ``Literal`` would
    turn each of those into a validation failure of the whole event.  Tags stay constant: they select
    the struct.  Known values are kept under ``x-known``: ``known_values_as_literals`` shows them to type
    checkers once the unions are settled.
    """
    defs: dict[str, Schema] = schema["$defs"]
    for name in server_reachable(schema):
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
        sub["x-known"] = _enum_values(sub)
        sub.pop("enum", None)
        sub.pop("const", None)


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
            if all(_enum_like(m) for m in strings):
                values: list[Any] = []
                for m in strings:
                    values += [v for v in _enum_values(m) if v not in values]
                merged: Schema = {"type": "string", "enum": values}
            else:
                known = [
                    v for m in strings for v in (_enum_values(m) if _enum_like(m) else m.get("x-known", []))
                ]
                merged = {"type": "string"}
                if known:
                    merged["x-known"] = list(dict.fromkeys(known))
            at = members.index(strings[0])
            members[:] = [m for m in members if m not in strings]
            members.insert(at, merged)
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


def known_values_as_literals(schema: Schema) -> None:
    """An open string keeps its documented values visible: ``Literal["alloy", "ash", ...] | str``.

    msgspec (checked with 0.22) decodes ``Literal[...] | str`` as any string, so an unknown value still
    decodes, while type checkers and editors see which values the document lists.  (``str | StrEnum``
    is what msgspec refuses, and the generator emits Literals, not enums, with
    ``--enum-field-as-literal all``.)  Runs after the unions are settled so the pair is never collapsed
    again; inside a union the pair is spliced in as two members, so no union nests.  ``x-known`` stays on
    the Literal member: the known values are also listed in the generated ``KNOWN`` table.
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
    return [{"type": kind, "enum": values, "x-known": values}, {"type": kind}]


def drop_defaults_and_constraints(schema: Schema) -> None:
    """Schema defaults and value constraints are dropped.

    A default would be generated as a field default and sent on every event the user builds
    (``Session()`` would send ``temperature: 0.8``); a constraint would make msgspec reject a server
    value outside the documented range.  The server validates what it receives; we only need shapes.
    """
    for node in walk(schema["$defs"]):
        for key in CONSTRAINT_KEYS & node.keys():
            del node[key]


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
            if name in required or _accepts_null(sub, defs):
                continue
            if union_members(sub) is not None and set(sub) <= {"anyOf", "oneOf", "discriminator"}:
                union_members(sub).append({"type": "null"})  # type: ignore[union-attr]
            else:
                props[name] = {"anyOf": [sub, {"type": "null"}]}


def _accepts_null(sub: Schema, defs: dict[str, Schema]) -> bool:
    if is_null(sub) or sub.get("type") == ["null"]:
        return True
    members = union_members(sub)
    if members is None and "$ref" in sub:
        members = union_members(resolve(sub, defs))
    return bool(members) and any(is_null(m) for m in members or [])


def add_event_unions(schema: Schema) -> None:
    """``ClientEvent`` and ``ServerEvent``: the two unions that the decoders are built on."""
    defs: dict[str, Schema] = schema["$defs"]
    for key, name in (("x-client-events", "ClientEvent"), ("x-server-events", "ServerEvent")):
        if name in defs:
            raise ValueError(f"{name} already defined")
        defs[name] = {"anyOf": [{"$ref": DEF + event} for event in schema[key]]}


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
        alias = (_common_prefix(names) or "Tagged") + "Variants"
        while alias in defs and defs[alias] != tagged:
            alias += "_"
        defs[alias] = tagged
        at = members.index(structs[0])
        members[:] = [m for m in members if m not in structs]
        members.insert(at, {"$ref": DEF + alias})
        node.pop("discriminator", None)


def collect_garbage(schema: Schema) -> None:
    """Only definitions reachable from the events are generated."""
    defs: dict[str, Schema] = schema["$defs"]
    seen: set[str] = set()
    todo = ["ClientEvent", "ServerEvent"]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(references(defs[name]))
    schema["$defs"] = {name: defs[name] for name in sorted(seen)}


RULES: list[Callable[[Schema], None]] = [
    drop_defaults_and_constraints,
    mark_bytes,
    rename_events,
    consts_for_single_enums,
    flatten_unions,
    merge_same_tag_variants,
    hoist_inline_objects,
    open_server_enums,
    simplify_unions,
    flatten_unions,
    known_values_as_literals,
    tags_required,
    nullable_optionals,
    add_event_unions,
    add_discriminators,
    collect_garbage,
]


def normalize(extracted: Schema) -> Schema:
    schema = copy.deepcopy(extracted)
    for rule in RULES:
        rule(schema)
    return schema
