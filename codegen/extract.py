"""Extract the Realtime event schemas from an OpenAI OpenAPI document.

Theory of operation
-------------------
OpenAI's document names the two unions of the GA interface, ``RealtimeClientEvent`` and
``RealtimeServerEvent``.  Their members are the event schemas; everything those reference (transitively)
is copied into ``$defs`` of a JSON Schema 2020-12 document.  Nothing else is listed here: a new event
added to either union, or a new schema referenced by an event, appears without a code change.

What is kept: names, types, enums, required lists, structure, formats, ``const``/``default`` and value
constraints (normalisation decides later what the generator sees).  What is dropped: description prose,
titles, examples and vendor extensions (``x-*``).  The event examples (``x-oaiMeta.example``) are not
copied into the schema either; the tests read them from the original document.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOTS = {"client": "RealtimeClientEvent", "server": "RealtimeServerEvent"}
REF_PREFIX = "#/components/schemas/"
DROP_KEYS = frozenset({"description", "title", "example", "examples", "deprecated", "externalDocs"})


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
        and text.lower().startswith("base64-encoded audio")
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


def extract(doc: dict[str, Any], source: str, digest: str) -> dict[str, Any]:
    schemas: dict[str, Any] = doc["components"]["schemas"]
    members = {side: event_members(schemas, root) for side, root in ROOTS.items()}
    seen: set[str] = set()
    todo = [name for names in members.values() for name in names]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(_ref_name(r) for r in _refs(schemas[name]))
    defs = {name: _clean(schemas[name]) for name in sorted(seen)}
    info = doc.get("info", {})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "realtime.schema.json",
        "x-source": {
            "document": source,
            "openapi": doc.get("openapi"),
            "info_version": info.get("version"),
            "sha256": digest,
        },
        "x-client-events": members["client"],
        "x-server-events": members["server"],
        "$defs": defs,
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m codegen.extract OPENAPI_FILE OUT_SCHEMA", file=sys.stderr)
        return 2
    spec, out = Path(args[0]), Path(args[1])
    digest = hashlib.sha256(spec.read_bytes()).hexdigest()
    schema = extract(load_document(spec), spec.name, digest)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(schema, indent=2, sort_keys=False, ensure_ascii=False) + "\n")
    print(
        f"{out}: {len(schema['x-client-events'])} client events, {len(schema['x-server-events'])} "
        f"server events, {len(schema['$defs'])} definitions from {spec.name}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
