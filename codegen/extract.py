"""Extract the Realtime schemas from an OpenAI OpenAPI document.

Theory of operation
-------------------
What is extracted is found by rule, never by a list of event names:

- **protocols**: every component named ``Realtime<Kind>ClientEvent`` / ``Realtime<Kind>ServerEvent`` that is a
  union (``RealtimeClientEvent`` is the realtime protocol, ``RealtimeTranslationServerEvent`` the translation
  one), and every webhook whose body is a ``WebhookRealtime*`` schema (one more protocol, ``webhook``);
- **roots**: the JSON request and response bodies of every operation under ``/realtime/`` (session objects of
  each kind, the ``/realtime/calls`` bodies, client secrets), kept whether or not an event references them.

Their members, and everything those reference (transitively), are copied into ``$defs`` of a JSON Schema
2020-12 document.  A new event in a union, a new protocol union or a new ``/realtime/`` operation appears
without a code change.

What is kept: names, types, enums, required lists, structure, formats, ``const``/``default`` and value
constraints (normalisation decides later what the generator sees).  What is dropped: description prose,
titles, examples and vendor extensions (``x-*``).  The examples are not copied either; the tests read them
from the original document.

Then the overlay (``schema/overlay.json``, see ``codegen.overlay``) adds what real traffic shows and the
document does not say, and reports each entry the document has caught up with.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from codegen.overlay import apply_overlay, load_overlay

ROOTS = {"client": "RealtimeClientEvent", "server": "RealtimeServerEvent"}
"""The realtime protocol's unions (kept for callers that only speak that protocol)."""
REF_PREFIX = "#/components/schemas/"
DROP_KEYS = frozenset({"description", "title", "example", "examples", "deprecated", "externalDocs"})
EVENT_UNION = re.compile(r"^Realtime(?P<kind>[A-Z][A-Za-z]*?)?(?P<side>Client|Server)Event$")
WEBHOOK_PREFIX = "WebhookRealtime"
OPERATION_PREFIX = "/realtime/"
BODY_TYPES = ("application/json", "multipart/form-data")


def load_document(path: Path) -> dict[str, Any]:
    """Read an OpenAPI document as published (YAML or JSON)."""
    text = path.read_bytes()
    if path.suffix == ".json":
        doc = json.loads(text)
    else:
        import yaml

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        doc = yaml.load(text, Loader=loader)
    if not isinstance(doc, dict) or "components" not in doc:
        raise SystemExit(f"{path}: not an OpenAPI document (no 'components')")
    return doc


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref
        for key, value in node.items():
            if key != "$ref":
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _ref_name(ref: str) -> str:
    if not ref.startswith(REF_PREFIX):
        raise ValueError(f"unsupported $ref {ref!r}")
    return ref[len(REF_PREFIX) :]


def _is_base64_audio(node: dict[str, Any]) -> bool:
    text = node.get("description")
    return (
        node.get("type") == "string"
        and isinstance(text, str)
        and text.lower().startswith("base64-encoded")
        and "audio" in text.lower().split(".")[0]  # "Base64-encoded 24 kHz PCM16 mono audio bytes."
    )


def _clean(node: Any) -> Any:
    """Drop prose, examples and vendor extensions; rewrite refs to $defs."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "description" and _is_base64_audio(node):
                # the one fact the prose carries that the structure needs: audio travels as base64
                out["contentEncoding"] = "base64"
            if key in DROP_KEYS or key.startswith("x-"):
                continue
            if key == "$ref":
                out[key] = "#/$defs/" + _ref_name(value)
            elif key == "properties":
                # property names are data here, not keywords: keep every one
                out[key] = {name: _clean(sub) for name, sub in value.items()}
            else:
                out[key] = _clean(value)
        return out
    if isinstance(node, list):
        return [_clean(item) for item in node]
    return node


def event_members(schemas: dict[str, Any], root: str) -> list[str]:
    union = schemas[root]
    variants = union.get("anyOf") or union.get("oneOf")
    if not variants:
        raise SystemExit(f"{root} is not a union in this document")
    return [_ref_name(v["$ref"]) for v in variants]


def protocol_unions(schemas: dict[str, Any]) -> dict[str, dict[str, str]]:
    """``{"realtime": {"client": "RealtimeClientEvent", ...}, "translation": {...}}`` by the naming rule."""
    found: dict[str, dict[str, str]] = {}
    for name, body in schemas.items():
        match = EVENT_UNION.match(name)
        if match and isinstance(body, dict) and (body.get("anyOf") or body.get("oneOf")):
            kind = (match["kind"] or "realtime").lower()
            found.setdefault(kind, {})[match["side"].lower()] = name
    if "realtime" not in found:
        raise SystemExit("the document has no RealtimeClientEvent / RealtimeServerEvent unions")
    return dict(sorted(found.items(), key=lambda kv: (kv[0] != "realtime", kv[0])))


def _body_refs(content: Any) -> list[str]:
    names: list[str] = []
    for media in BODY_TYPES:
        schema = (content or {}).get(media, {}).get("schema", {})
        if isinstance(schema.get("$ref"), str):
            names.append(_ref_name(schema["$ref"]))
    return names


def webhook_events(doc: dict[str, Any]) -> list[str]:
    """The body schemas of the document's ``WebhookRealtime*`` webhooks, in document order."""
    names: list[str] = []
    for hook in (doc.get("webhooks") or {}).values():
        for operation in hook.values():
            for name in _body_refs(operation.get("requestBody", {}).get("content")):
                if name.startswith(WEBHOOK_PREFIX) and name not in names:
                    names.append(name)
    return names


def operation_roots(doc: dict[str, Any]) -> dict[str, list[str]]:
    """Request and response body schemas of every operation under ``/realtime/``."""
    roots: dict[str, list[str]] = {"request": [], "response": []}
    for path, item in sorted((doc.get("paths") or {}).items()):
        if not path.startswith(OPERATION_PREFIX):
            continue
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            found = {
                "request": _body_refs(operation.get("requestBody", {}).get("content")),
                "response": [
                    n
                    for r in (operation.get("responses") or {}).values()
                    for n in _body_refs(r.get("content"))
                ],
            }
            for side, names in found.items():
                roots[side] += [n for n in names if n not in roots[side]]
    return roots


def extract(
    doc: dict[str, Any], source: str, digest: str, overlay: dict[str, Any] | None = None
) -> dict[str, Any]:
    schemas: dict[str, Any] = doc["components"]["schemas"]
    protocols: dict[str, dict[str, list[str]]] = {
        kind: {side: event_members(schemas, union) for side, union in sides.items()}
        for kind, sides in protocol_unions(schemas).items()
    }
    hooks = webhook_events(doc)
    if hooks:
        protocols["webhook"] = {"event": hooks}
    roots = operation_roots(doc)
    seen: set[str] = set()
    todo = [n for sides in protocols.values() for names in sides.values() for n in names]
    todo += [n for names in roots.values() for n in names]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(_ref_name(r) for r in _refs(schemas[name]))
    defs = {name: _clean(schemas[name]) for name in sorted(seen)}
    info = doc.get("info", {})
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "realtime.schema.json",
        "x-source": {
            "document": source,
            "openapi": doc.get("openapi"),
            "info_version": info.get("version"),
            "sha256": digest,
        },
        "x-protocols": protocols,
        "x-roots": roots,
        "$defs": defs,
    }
    if overlay is not None:
        schema["x-overlay"] = apply_overlay(defs, overlay)
    return schema


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (2, 3):
        print("usage: python -m codegen.extract OPENAPI_FILE OUT_SCHEMA [OVERLAY]", file=sys.stderr)
        return 2
    spec, out = Path(args[0]), Path(args[1])
    # the overlay lives beside the schema unless named
    overlay_path = Path(args[2]) if len(args) == 3 else out.parent / "overlay.json"
    overlay = load_overlay(overlay_path) if overlay_path.exists() else None
    digest = hashlib.sha256(spec.read_bytes()).hexdigest()
    schema = extract(load_document(spec), spec.name, digest, overlay)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(schema, indent=2, sort_keys=False, ensure_ascii=False) + "\n")
    counts = ", ".join(
        f"{kind} " + "/".join(f"{len(names)} {side}" for side, names in sides.items())
        for kind, sides in schema["x-protocols"].items()
    )
    roots = sum(len(v) for v in schema["x-roots"].values())
    print(
        f"{out}: {counts} events; {roots} operation bodies; {len(schema['$defs'])} definitions from {spec.name}"
    )
    for line in schema.get("x-overlay", {}).get("superseded", []):
        print(f"overlay: {line}: the document now defines this; remove the entry", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
