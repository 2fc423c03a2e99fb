"""The overlay: what real traffic shows that the OpenAPI document does not say (yet).

``schema/overlay.json`` holds two kinds of entry, each citing the recorded frames that show it
(``evidence``: a fixture file under the shared recordings and a 1-based line number):

- ``fields``: a property the service sends that the document does not list (``phase`` on assistant
  messages).  It is added to the definition at ``at`` with the entry's ``schema``.
- ``present``: properties the document calls optional that the service sends in every recorded frame
  and that the document's own examples show too (``session.audio.output.voice``).  They become required, so that typed code reads them without
  narrowing away ``UNSET``; nullability stays as the document says.

``at`` names a definition of the document, optionally followed by ``/property`` steps into inline objects
(``RealtimeResponse/usage/output_token_details``); references and nullable unions are followed on the way.

Once the document itself defines a field (or requires it), the entry is *superseded*: the document's own
definition wins and extraction reports the entry so it can be removed.  An entry whose place no longer
exists is reported as *missing*.  Neither stops extraction: the overlay never blocks a new document.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

Schema = dict[str, Any]
ENTRY_KEYS = {"fields": {"at", "name", "schema", "evidence"}, "present": {"at", "names", "evidence"}}


def load_overlay(path: Path) -> dict[str, Any]:
    overlay: dict[str, Any] = json.loads(path.read_text())
    for kind, keys in ENTRY_KEYS.items():
        for entry in overlay.get(kind, []):
            if set(entry) != keys or not entry["evidence"]:
                raise SystemExit(f"{path}: a {kind!r} entry needs exactly {sorted(keys)}: {entry}")
    return overlay


def locate(defs: dict[str, Schema], at: str) -> Schema | None:
    """The object schema ``at`` points to, or None when the document has no such place."""
    name, *steps = at.split("/")
    node = defs.get(name)
    for step in [None, *steps]:
        if node is None:
            return None
        if step is not None:
            node = node.get("properties", {}).get(step)
        node = _object_of(node, defs)
    return node


def _object_of(node: Schema | None, defs: dict[str, Schema]) -> Schema | None:
    """Follow ``$ref``s and nullable (or single-object) unions to the one object schema behind a node."""
    for _ in range(32):  # references never chain this deep in practice; stop instead of looping
        if node is None or "properties" in node:
            return node
        ref = node.get("$ref")
        if isinstance(ref, str):
            node = defs.get(ref.rsplit("/", 1)[1])
            continue
        members = node.get("anyOf") or node.get("oneOf") or node.get("allOf")
        if not members:
            return None
        objects = [m for m in members if m.get("type") != "null"]
        if len(objects) != 1:
            return None
        node = objects[0]
    return None


def apply_overlay(defs: dict[str, Schema], overlay: dict[str, Any]) -> dict[str, list[str]]:
    """Merge the overlay into ``defs`` in place; say what was applied, superseded and missing."""
    report: dict[str, list[str]] = {"applied": [], "superseded": [], "missing": []}
    for entry in overlay.get("fields", []):
        label = f"{entry['at']}.{entry['name']}"
        node = locate(defs, entry["at"])
        if node is None:
            report["missing"].append(label)
        elif entry["name"] in node["properties"]:
            report["superseded"].append(label)
        else:
            node["properties"][entry["name"]] = json.loads(json.dumps(entry["schema"]))
            report["applied"].append(label)
    for entry in overlay.get("present", []):
        node = locate(defs, entry["at"])
        for name in entry["names"]:
            label = f"{entry['at']}.{name} (present)"
            if node is None or name not in node.get("properties", {}):
                report["missing"].append(label)
            elif name in node.get("required", []):
                report["superseded"].append(label)
            else:
                node.setdefault("required", []).append(name)
                report["applied"].append(label)
    return report
