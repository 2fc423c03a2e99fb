"""``input_image_tokens`` in usage comes from ``response.done`` as the service sends it (sans I/O)."""

from __future__ import annotations

import json

from realtime_sdk import events
from realtime_sdk.conversation import Conversation


def response_done(resp: str, image_tokens: int | None) -> bytes:
    details: dict[str, int] = {"text_tokens": 12, "audio_tokens": 0, "cached_tokens": 0}
    if image_tokens is not None:
        details["image_tokens"] = image_tokens
    usage = {
        "total_tokens": 40 + (image_tokens or 0),
        "input_tokens": 12 + (image_tokens or 0),
        "output_tokens": 28,
        "input_token_details": details,
        "output_token_details": {"text_tokens": 28, "audio_tokens": 0},
    }
    event = {
        "type": "response.done",
        "event_id": f"event_{resp}",
        "response": {
            "object": "realtime.response",
            "id": resp,
            "status": "completed",
            "output": [],
            "usage": usage,
        },
    }
    return json.dumps(event).encode()


def test_image_tokens_of_each_response_and_their_sum() -> None:
    c = Conversation(clock=lambda: 0.0)
    c.receive(events.decode(response_done("resp_a", 425)))
    c.receive(events.decode(response_done("resp_b", 85)))
    c.receive(events.decode(response_done("resp_c", None)))  # no image in that response's input
    per_response = {rid: r.usage.input_image_tokens for rid, r in c.responses.items() if r.usage}
    assert per_response == {"resp_a": 425, "resp_b": 85, "resp_c": 0}
    assert c.usage.input_image_tokens == 510
    assert c.usage.input_tokens == 3 * 12 + 510


def test_a_repeated_response_done_replaces_the_image_tokens() -> None:
    c = Conversation(clock=lambda: 0.0)
    c.receive(events.decode(response_done("resp_a", 425)))
    c.receive(events.decode(response_done("resp_a", 255)))
    assert c.usage.input_image_tokens == 255
