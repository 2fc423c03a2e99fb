"""MCP approval requests without a loop or a socket: each is asked once, answered once, and followed up."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from realtime_sdk import ConfigurationError
from realtime_sdk._generated import RealtimeMCPApprovalResponse
from realtime_sdk.events import AnyServerEvent, decode
from realtime_sdk.protocol import ApprovalBook, ApprovalRequested, FollowUp


def ev(body: dict[str, Any]) -> AnyServerEvent:
    return decode(msgspec.json.encode({"event_id": "evt", **body}))


def request_item(rid: str, name: str = "delete_page") -> dict[str, Any]:
    return {
        "type": "mcp_approval_request",
        "id": rid,
        "server_label": "wiki",
        "name": name,
        "arguments": '{"page": "Home"}',
    }


def output_done(response_id: str, item: dict[str, Any]) -> AnyServerEvent:
    return ev(
        {"type": "response.output_item.done", "response_id": response_id, "output_index": 0, "item": item}
    )


def response_done(
    response_id: str, status: str = "completed", output: list[Any] | None = None
) -> AnyServerEvent:
    body: dict[str, Any] = {"id": response_id, "object": "realtime.response", "status": status}
    if output is not None:
        body["output"] = output
    return ev({"type": "response.done", "response": body})


def item_done(item: dict[str, Any]) -> AnyServerEvent:
    return ev({"type": "conversation.item.done", "previous_item_id": None, "item": item})


def test_a_request_is_asked_once_however_often_the_server_shows_it() -> None:
    book = ApprovalBook()
    first = book.receive(output_done("resp_1", request_item("mcpr_a")))
    assert first == [
        ApprovalRequested("mcpr_a", "wiki", "delete_page", '{"page": "Home"}', response_id="resp_1")
    ]
    assert book.receive(item_done(request_item("mcpr_a"))) == []
    assert book.receive(response_done("resp_1", output=[request_item("mcpr_a")])) == []
    assert [r.request_id for r in book.open] == ["mcpr_a"]


def test_a_request_seen_only_in_response_done_is_still_asked() -> None:
    book = ApprovalBook()
    out = book.receive(response_done("resp_1", output=[request_item("mcpr_a")]))
    assert [type(o) for o in out] == [ApprovalRequested]


def test_other_items_are_not_requests() -> None:
    book = ApprovalBook()
    call = {"type": "function_call", "id": "fc_1", "call_id": "c1", "name": "f", "arguments": "{}"}
    assert book.receive(output_done("resp_1", call)) == []
    assert book.open == []


def test_the_answer_is_an_approval_response_item_for_that_request() -> None:
    book = ApprovalBook()
    book.receive(output_done("resp_1", request_item("mcpr_a")))
    event = book.answer("mcpr_a", False, reason="not today", item_id="item_x")
    assert event.type == "conversation.item.create"
    assert isinstance(event.item, RealtimeMCPApprovalResponse)
    wire = msgspec.json.decode(msgspec.json.encode(event))
    assert wire["item"] == {
        "type": "mcp_approval_response",
        "id": "item_x",
        "approval_request_id": "mcpr_a",
        "approve": False,
        "reason": "not today",
    }
    assert book.answered("mcpr_a") is False and book.open == []


def test_unknown_twice_answered_and_ill_typed_answers_are_refused() -> None:
    book = ApprovalBook()
    book.receive(output_done("resp_1", request_item("mcpr_a")))
    with pytest.raises(ConfigurationError, match="mcpr_zz"):
        book.answer("mcpr_zz", True, reason=None, item_id="i1")
    with pytest.raises(ConfigurationError, match="True or False"):
        book.answer("mcpr_a", "yes", reason=None, item_id="i1")  # type: ignore[arg-type]
    assert [r.request_id for r in book.open] == ["mcpr_a"]  # a refused answer loses nothing
    book.answer("mcpr_a", True, reason=None, item_id="i1")
    with pytest.raises(ConfigurationError, match="answered already"):
        book.answer("mcpr_a", False, reason=None, item_id="i2")


def test_one_follow_up_once_the_response_is_done_and_every_answer_stored() -> None:
    book = ApprovalBook()
    book.receive(output_done("resp_1", request_item("mcpr_a")))
    book.receive(output_done("resp_1", request_item("mcpr_b", name="rename_page")))
    book.answer("mcpr_a", True, reason=None, item_id="i1")
    assert book.acknowledged("mcpr_a") == []  # the response is still going
    assert book.receive(response_done("resp_1")) == []  # one request still open
    book.answer("mcpr_b", False, reason=None, item_id="i2")
    assert book.acknowledged("mcpr_b") == [FollowUp("resp_1", ("mcpr_a", "mcpr_b"))]
    assert book.acknowledged("mcpr_b") == []  # only once


def test_answers_before_the_response_ends_follow_up_at_its_done() -> None:
    book = ApprovalBook()
    book.receive(output_done("resp_1", request_item("mcpr_a")))
    book.answer("mcpr_a", True, reason=None, item_id="i1")
    assert book.acknowledged("mcpr_a") == []
    assert book.receive(response_done("resp_1")) == [FollowUp("resp_1", ("mcpr_a",))]


def test_no_follow_up_when_a_response_started_after_the_answers_went_out() -> None:
    book = ApprovalBook()
    book.receive(output_done("resp_1", request_item("mcpr_a")))
    book.receive(response_done("resp_1"))
    book.answer("mcpr_a", True, reason=None, item_id="i1")
    book.started(out_of_band=True)  # a side response does not see the conversation: still needed
    book.started(out_of_band=False)  # the server went on by itself
    assert book.acknowledged("mcpr_a") == []


def test_no_follow_up_for_a_cancelled_response() -> None:
    book = ApprovalBook()
    book.receive(output_done("resp_1", request_item("mcpr_a")))
    book.receive(response_done("resp_1", status="cancelled"))
    book.answer("mcpr_a", False, reason=None, item_id="i1")
    assert book.acknowledged("mcpr_a") == []


def test_a_request_outside_any_response_is_followed_up_when_answered() -> None:
    book = ApprovalBook()
    out = book.receive(item_done(request_item("mcpr_a")))
    assert out and isinstance(out[0], ApprovalRequested) and out[0].response_id is None
    book.answer("mcpr_a", True, reason=None, item_id="i1")
    assert book.acknowledged("mcpr_a") == [FollowUp(None, ("mcpr_a",))]


def test_a_lost_connection_abandons_open_requests() -> None:
    book = ApprovalBook()
    book.receive(output_done("resp_1", request_item("mcpr_a")))
    book.receive(output_done("resp_1", request_item("mcpr_b")))
    book.answer("mcpr_a", True, reason=None, item_id="i1")
    assert book.connection_lost() == ["mcpr_b"]
    assert book.open == []
    with pytest.raises(ConfigurationError):
        book.answer("mcpr_b", True, reason=None, item_id="i2")
    assert book.acknowledged("mcpr_a") == []  # nothing to follow up on the new connection
