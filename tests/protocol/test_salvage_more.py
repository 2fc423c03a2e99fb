"""Salvaged events still do their protocol job at the core: they answer requests and end responses."""

from __future__ import annotations

import copy
import json
from typing import Any

from msgspec import UNSET

from realtime_sdk._generated import Error, RealtimeConversationItemMessage, ResponseDone, SessionUpdated
from realtime_sdk.events import UnknownServerEvent, decode
from realtime_sdk.protocol import (
    METADATA_KEY,
    BatchClosed,
    CallReady,
    Ended,
    Pending,
    RequestBook,
    ResponseBook,
    ToolBatches,
)
from realtime_sdk.protocol._salvage import salvage


def unknown(frame: dict[str, Any]) -> UnknownServerEvent:
    event = decode(json.dumps({"event_id": "evt", **frame}))
    assert isinstance(event, UnknownServerEvent) and event.known_type, event
    return event


def drifted_done(rid: str, **response: Any) -> UnknownServerEvent:
    body = {"id": rid, "object": "realtime.response", "status": "completed", "usage": "drifted", **response}
    return unknown({"type": "response.done", "response": body})


def test_a_drifted_configuration_answer_still_answers_the_update() -> None:
    session = {"type": "realtime", "id": "sess_1", "object": "realtime.session", "expires_at": "soon"}
    typed = salvage(unknown({"type": "session.updated", "session": session}))
    assert isinstance(typed, SessionUpdated) and typed.session.id == "sess_1"
    book: RequestBook[str] = RequestBook(lambda ticket: False)
    update = book.expect(Pending("update", ("session.updated",)))
    assert book.resolve(typed.type, typed) is update


def test_a_drifted_done_ends_the_response_the_app_waits_for() -> None:
    book = ResponseBook()
    book.expect("t1", out_of_band=False)
    started = decode(
        json.dumps(
            {
                "type": "response.created",
                "event_id": "evt",
                "response": {"id": "resp_1", "object": "realtime.response", "metadata": {METADATA_KEY: "t1"}},
            }
        )
    )
    book.receive(started)
    typed = salvage(drifted_done("resp_1"))
    assert isinstance(typed, ResponseDone)
    assert book.receive(typed) == Ended("t1", idle=True)


def test_a_drifted_done_still_hands_over_its_calls_and_closes_their_batch() -> None:
    core = ToolBatches(lambda response_id: True)
    call = {
        "type": "function_call",
        "id": "item_c",
        "status": "completed",
        "call_id": "call_a",
        "name": "lookup",
        "arguments": "{}",
    }
    typed = salvage(drifted_done("resp_1", output=[call]))
    assert isinstance(typed, ResponseDone)
    out = core.receive(typed)
    assert [type(o) for o in out] == [CallReady, BatchClosed]
    assert isinstance(out[0], CallReady) and out[0].call.call_id == "call_a"


def test_an_error_whose_event_id_drifted_fails_no_request() -> None:
    body = {"type": "invalid_request_error", "code": "invalid_value", "message": "no", "event_id": 7}
    typed = salvage(unknown({"type": "error", "error": body}))
    assert isinstance(typed, Error) and typed.error.code == "invalid_value"
    book: RequestBook[str] = RequestBook(lambda ticket: False)
    book.expect(Pending("r", ("session.updated",), event_id="7"))
    claim = book.claim_error(typed)
    assert claim.pending is None and not claim.claimed
    assert len(book) == 1


def test_a_drifted_harmless_error_is_still_harmless() -> None:
    body = {
        "type": "invalid_request_error",
        "code": "response_cancel_not_active",
        "message": "no",
        "param": 3,
    }
    typed = salvage(unknown({"type": "error", "error": body}))
    assert isinstance(typed, Error)
    claim = RequestBook[str](lambda ticket: False).claim_error(typed)
    assert claim.harmless and claim.claimed


def test_a_deeply_drifted_field_goes_and_its_item_stays() -> None:
    item = {
        "type": "message",
        "role": "assistant",
        "id": "item_m",
        "content": [{"type": "output_text", "text": 5}],
    }
    typed = salvage(unknown({"type": "response.done", "response": {"id": "resp_1", "output": [item]}}))
    assert isinstance(typed, ResponseDone) and isinstance(typed.response.output, list)
    [message] = typed.response.output
    assert isinstance(message, RealtimeConversationItemMessage) and message.id == "item_m"
    [part] = message.content
    assert part.type == "output_text" and getattr(part, "text", None) in (None, UNSET)


def test_salvage_leaves_the_event_the_app_sees_untouched() -> None:
    event = drifted_done("resp_1")
    before = copy.deepcopy(event.raw)
    salvage(event)
    assert event.raw == before


def broken_outputs(n: int) -> UnknownServerEvent:
    # Each output that is not an object is one repair: the element goes.
    return unknown({"type": "response.done", "response": {"id": "resp_1", "output": [5] * n}})


def test_a_frame_needing_fewer_repairs_than_the_cap_is_salvaged() -> None:
    typed = salvage(broken_outputs(15))
    assert isinstance(typed, ResponseDone) and typed.response.output == []


def test_a_frame_needing_exactly_the_cap_of_repairs_is_salvaged() -> None:
    typed = salvage(broken_outputs(16))
    assert isinstance(typed, ResponseDone) and typed.response.output == []


def test_a_frame_needing_more_repairs_than_the_cap_is_given_up() -> None:
    assert salvage(broken_outputs(17)) is None
