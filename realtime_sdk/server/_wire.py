"""Fields the real service sends that the generated structs do not (yet) carry, added to encoded events.

- ``phase`` on assistant messages (gpt-realtime-2 and later): ``"commentary"`` or ``"final_answer"``,
  wherever the item appears (``response.output_item.*``, ``conversation.item.*``, ``response.done``);
- ``format: "pcm16"`` on an assistant audio part of ``conversation.item.retrieved``.

Clients ignore fields they do not know, so the events still decode to their typed classes.
"""

from __future__ import annotations

from typing import Any

import msgspec

_ITEM_EVENTS = frozenset(
    {
        "response.output_item.added",
        "response.output_item.done",
        "conversation.item.added",
        "conversation.item.done",
        "conversation.item.retrieved",
    }
)


def needs_patch(event_type: str, phases: dict[str, str]) -> bool:
    if event_type == "conversation.item.retrieved":
        return True
    return bool(phases) and (event_type in _ITEM_EVENTS or event_type == "response.done")


def patch(event_type: str, data: bytes, phases: dict[str, str]) -> bytes:
    event: dict[str, Any] = msgspec.json.decode(data)
    items: list[dict[str, Any]] = []
    if event_type in _ITEM_EVENTS:
        items.append(event["item"])
    elif event_type == "response.done":
        items.extend(event["response"].get("output") or [])
    for item in items:
        phase = phases.get(item.get("id") or "")
        if phase is not None and item.get("type") == "message":
            item["phase"] = phase
        if event_type == "conversation.item.retrieved":
            for part in item.get("content") or []:
                if part.get("type") == "audio":
                    part["format"] = "pcm16"
    return msgspec.json.encode(event)
