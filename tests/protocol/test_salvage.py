"""Salvaging known events that failed validation: what the session can still act on, from raw fields."""

from __future__ import annotations

import json
from typing import Any

from realtime_sdk._generated import ResponseCreated, ResponseDone
from realtime_sdk.events import UnknownServerEvent, decode
from realtime_sdk.protocol._salvage import salvage


def unknown(frame: dict[str, Any]) -> UnknownServerEvent:
    event = decode(json.dumps(frame))
    assert isinstance(event, UnknownServerEvent), event
    assert event.known_type
    return event


def test_a_drifted_optional_field_is_left_out_and_the_rest_kept() -> None:
    frame = {
        "type": "response.done",
        "event_id": "ev_1",
        "response": {"id": "resp_1", "status": "completed", "usage": "drifted", "metadata": {"k": "v"}},
    }
    typed = salvage(unknown(frame))
    assert isinstance(typed, ResponseDone)
    assert typed.response.id == "resp_1"
    assert typed.response.status == "completed"
    assert typed.response.metadata == {"k": "v"}
    assert not isinstance(typed.response.usage, dict | str)  # dropped, not kept as the bad value


def test_a_broken_list_element_goes_and_its_siblings_stay() -> None:
    good = {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "hi"}]}
    bad = {"type": "message", "role": "assistant", "content": [{"type": 5}]}
    frame = {
        "type": "response.created",
        "event_id": "ev_2",
        "response": {"id": "resp_2", "output": [bad, good]},
    }
    typed = salvage(unknown(frame))
    assert isinstance(typed, ResponseCreated)
    assert typed.response.id == "resp_2"
    texts = [p.text for item in typed.response.output or () for p in getattr(item, "content", ())]
    assert "hi" in texts


def test_an_event_without_its_required_body_cannot_be_salvaged() -> None:
    assert salvage(unknown({"type": "response.done", "event_id": "ev_3"})) is None
    assert salvage(unknown({"type": "response.done", "event_id": "ev_4", "response": "x"})) is None


def test_an_unknown_type_is_not_guessed_at() -> None:
    event = decode(json.dumps({"type": "vendor.custom", "event_id": "ev_5"}))
    assert isinstance(event, UnknownServerEvent)
    assert salvage(event) is None
