"""Request correlation without a loop or a socket: which request an acknowledgement or an error answers."""

from __future__ import annotations

from typing import Any

import msgspec

from realtime_sdk._generated import Error
from realtime_sdk.events import decode
from realtime_sdk.protocol import Pending, RequestBook


def error(event_id: str | None, code: str = "invalid_value", param: str | None = None) -> Error:
    body: dict[str, Any] = {"type": "invalid_request_error", "code": code, "message": "no"}
    if event_id is not None:
        body["event_id"] = event_id
    if param is not None:
        body["param"] = param
    event = decode(msgspec.json.encode({"type": "error", "event_id": "evt_1", "error": body}))
    assert isinstance(event, Error)
    return event


def item_event(item_id: str) -> dict[str, Any]:
    return {"type": "conversation.item.added", "item": {"id": item_id}}


def book(settled: set[str] | None = None) -> RequestBook[str]:
    done = settled if settled is not None else set()
    return RequestBook(lambda ticket: ticket in done)


def by_item(item_id: str) -> Any:
    return lambda event: event["item"]["id"] == item_id


def test_acknowledgements_without_a_name_answer_first_in_first_out() -> None:
    b = book()
    first = b.expect(Pending("first", ("session.updated",), event_id="c1"))
    second = b.expect(Pending("second", ("session.updated",), event_id="c2"))
    assert b.resolve("session.updated", {"n": 1}) is first
    assert b.resolve("session.updated", {"n": 2}) is second
    assert b.resolve("session.updated", {"n": 3}) is None
    assert len(b) == 0


def test_an_acknowledgement_naming_its_item_finds_it_out_of_order() -> None:
    b = book()
    a = b.expect(Pending("a", ("conversation.item.added",), by_item("item_a")))
    c = b.expect(Pending("c", ("conversation.item.added",), by_item("item_c")))
    assert b.resolve("conversation.item.added", item_event("item_c")) is c
    assert b.resolve("conversation.item.added", item_event("item_x")) is None  # another client's item
    assert b.pending("conversation.item.added")
    assert b.resolve("conversation.item.added", item_event("item_a")) is a
    assert not b.pending("conversation.item.added")


def test_a_predicate_that_meets_an_odd_shape_is_no_match_and_no_crash() -> None:
    b = book()
    fragile = b.expect(Pending("fragile", ("conversation.item.added",), by_item("item_a")))
    assert b.resolve("conversation.item.added", {"item": None}) is None
    assert b.resolve("conversation.item.added", item_event("item_a")) is fragile


def test_a_ticket_settled_elsewhere_is_passed_over() -> None:
    settled: set[str] = set()
    b = book(settled)
    early = b.expect(Pending("early", ("response.created",)))
    late = b.expect(Pending("late", ("response.created",)))
    settled.add("early")  # e.g. the handle's future was set by the response book first
    assert b.resolve("response.created", {}) is late
    assert b.pending("response.created")  # still registered until the edge forgets it
    b.forget(early)
    assert len(b) == 0


def test_an_orphan_takes_its_late_answer_so_the_next_request_gets_its_own() -> None:
    b = book()
    seen: list[Any] = []
    gone = b.expect(Pending("gone", ("session.updated",), on_result=seen.append))
    gone.orphaned = True  # its caller timed out after sending
    waiting = b.expect(Pending("waiting", ("session.updated",)))
    assert b.resolve("session.updated", "late answer") is gone
    assert seen == ["late answer"]  # the confirmed change is still applied
    assert b.resolve("session.updated", "its answer") is waiting


def test_an_error_answers_the_request_whose_event_id_it_quotes() -> None:
    b = book()
    other = b.expect(Pending("other", ("session.updated",), event_id="c1"))
    mine = b.expect(Pending("mine", ("conversation.item.added",), event_id="c2"))
    claim = b.claim_error(error("c2", code="invalid_value", param="item.content"))
    assert claim.pending is mine and claim.claimed and not claim.harmless
    assert (claim.error.code, claim.error.param, claim.error.event_id) == (
        "invalid_value",
        "item.content",
        "c2",
    )
    assert not b.pending("conversation.item.added")
    assert b.resolve("session.updated", {}) is other


def test_an_error_quoting_nobody_is_left_for_the_app() -> None:
    b = book()
    b.expect(Pending("r", ("session.updated",), event_id="c1"))
    for event in (error("c9"), error(None)):
        claim = b.claim_error(event)
        assert claim.pending is None and not claim.claimed
    assert len(b) == 1


def test_an_error_for_an_orphan_fails_it_but_is_not_claimed() -> None:
    b = book()
    orphan = b.expect(Pending("o", ("session.updated",), event_id="c1"))
    orphan.orphaned = True
    claim = b.claim_error(error("c1"))
    assert claim.pending is orphan and not claim.claimed  # nobody awaits it: the app sees the error
    assert len(b) == 0


def test_a_harmless_error_is_claimed_without_a_request() -> None:
    b = book()
    claim = b.claim_error(error("c1", code="response_cancel_not_active"))
    assert claim.claimed and claim.harmless and claim.pending is None


def test_drain_hands_back_every_request_once() -> None:
    b = book()
    both = b.expect(Pending("both", ("response.created", "error"), event_id="c1"))
    only_id = b.expect(Pending("only_id", (), event_id="c2"))
    plain = b.expect(Pending("plain", ("session.updated",)))
    assert len(b) == 3
    drained = b.drain()
    assert sorted(p.ticket for p in drained) == ["both", "only_id", "plain"]
    assert {id(p) for p in drained} == {id(both), id(only_id), id(plain)}
    assert len(b) == 0 and b.drain() == []
    assert b.resolve("session.updated", {}) is None
