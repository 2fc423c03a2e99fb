"""More request correlation at the core: several acknowledging types, ordering, forgetting, orphans, errors."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from realtime_sdk._generated import ConversationItemAdded, ConversationItemCreated, Error, ErrorError
from realtime_sdk.errors import ServerError
from realtime_sdk.events import AnyServerEvent, decode
from realtime_sdk.protocol import HARMLESS_ERROR_CODES, Pending, RequestBook

ITEM_ACKS = ("conversation.item.added", "conversation.item.created")


def ev(body: dict[str, Any]) -> AnyServerEvent:
    return decode(msgspec.json.encode({"event_id": "evt", **body}))


def item_ack(kind: str, item_id: str) -> AnyServerEvent:
    item = {"type": "message", "role": "user", "id": item_id, "content": []}
    event = ev({"type": kind, "previous_item_id": None, "item": item})
    assert isinstance(event, ConversationItemAdded | ConversationItemCreated) and event.item.id == item_id
    return event


def error(event_id: str | None, code: str | None = "invalid_value") -> Error:
    body: dict[str, Any] = {"type": "invalid_request_error", "message": "no"}
    if code is not None:
        body["code"] = code
    if event_id is not None:
        body["event_id"] = event_id
    event = ev({"type": "error", "error": body})
    assert isinstance(event, Error)
    return event


def book(settled: set[str] | None = None) -> RequestBook[str]:
    done = settled if settled is not None else set()
    return RequestBook(lambda ticket: ticket in done)


def for_item(item_id: str) -> Any:
    return lambda event: event.item.id == item_id


# -- acknowledgements -------------------------------------------------------------------------------


def test_a_request_acknowledged_by_either_of_two_types_is_answered_once() -> None:
    b = book()
    add = b.expect(Pending("add", ITEM_ACKS, for_item("item_a")))
    assert b.resolve("conversation.item.added", item_ack("conversation.item.added", "item_a")) is add
    # The legacy twin of the same acknowledgement arrives next: it answers nothing.
    assert b.resolve("conversation.item.created", item_ack("conversation.item.created", "item_a")) is None
    assert not b.pending("conversation.item.added") and not b.pending("conversation.item.created")
    assert len(b) == 0


def test_the_second_type_answers_when_it_comes_first() -> None:
    b = book()
    add = b.expect(Pending("add", ITEM_ACKS, for_item("item_a")))
    assert b.resolve("conversation.item.created", item_ack("conversation.item.created", "item_a")) is add
    assert b.resolve("conversation.item.added", item_ack("conversation.item.added", "item_a")) is None


def test_a_request_passed_over_by_a_non_matching_event_keeps_its_place() -> None:
    b = book()
    named = b.expect(Pending("named", ("conversation.item.added",), for_item("item_a")))
    anyone = b.expect(Pending("anyone", ("conversation.item.added",)))
    assert b.resolve("conversation.item.added", item_ack("conversation.item.added", "item_x")) is anyone
    assert b.resolve("conversation.item.added", item_ack("conversation.item.added", "item_a")) is named


def test_three_requests_of_one_type_are_answered_in_registration_order() -> None:
    b = book()
    order = [b.expect(Pending(name, ("input_audio_buffer.committed",))) for name in ("one", "two", "three")]
    answers = [b.resolve("input_audio_buffer.committed", {"n": n}) for n in range(4)]
    assert answers == [*order, None]


def test_an_event_of_another_type_answers_nothing() -> None:
    b = book()
    b.expect(Pending("update", ("session.updated",)))
    assert b.resolve("session.created", {}) is None
    assert b.resolve("conversation.item.added", item_ack("conversation.item.added", "item_a")) is None
    assert len(b) == 1 and b.pending("session.updated")


def test_membership_names_only_types_someone_waits_for() -> None:
    b = book()
    assert "session.updated" not in b
    b.expect(Pending("update", ("session.updated",)))
    assert "session.updated" in b and "session.created" not in b
    b.resolve("session.updated", {})
    assert "session.updated" not in b


def test_on_result_sees_only_the_event_that_answers() -> None:
    b = book()
    seen: list[Any] = []
    b.expect(Pending("add", ("conversation.item.added",), for_item("item_a"), on_result=seen.append))
    other = item_ack("conversation.item.added", "item_b")
    mine = item_ack("conversation.item.added", "item_a")
    b.resolve("conversation.item.added", other)
    b.resolve("conversation.item.added", mine)
    b.resolve("conversation.item.added", mine)
    assert seen == [mine]


def test_a_predicate_that_raises_passes_the_event_to_the_next_request() -> None:
    b = book()

    def broken(event: Any) -> bool:
        raise KeyError("item")

    b.expect(Pending("broken", ("conversation.item.added",), broken))
    sturdy = b.expect(Pending("sturdy", ("conversation.item.added",)))
    assert b.resolve("conversation.item.added", item_ack("conversation.item.added", "item_a")) is sturdy
    assert len(b) == 1


def test_a_settled_ticket_is_skipped_for_every_kind_it_waits_for() -> None:
    settled = {"stale"}
    b = book(settled)
    b.expect(Pending("stale", ITEM_ACKS))
    assert b.resolve("conversation.item.added", item_ack("conversation.item.added", "item_a")) is None
    assert b.resolve("conversation.item.created", item_ack("conversation.item.created", "item_a")) is None
    assert len(b) == 1  # the edge forgets it: the book never drops a registration on its own


# -- forgetting -------------------------------------------------------------------------------------


def test_forget_takes_a_request_out_of_every_index() -> None:
    b = book()
    gone = b.expect(Pending("gone", ITEM_ACKS, event_id="c1"))
    b.forget(gone)
    assert len(b) == 0
    assert "conversation.item.added" not in b and "conversation.item.created" not in b
    assert b.resolve("conversation.item.added", item_ack("conversation.item.added", "item_a")) is None
    claim = b.claim_error(error("c1"))
    assert claim.pending is None and not claim.claimed


def test_forgetting_twice_or_forgetting_a_stranger_changes_nothing() -> None:
    b = book()
    kept = b.expect(Pending("kept", ("session.updated",), event_id="c1"))
    stranger = Pending("stranger", ("session.updated",), event_id="c1")
    b.forget(stranger)  # same event id, another request: the registered one stays
    assert len(b) == 1
    b.forget(kept)
    b.forget(kept)
    assert len(b) == 0


def test_forgetting_one_of_two_requests_keeps_the_other_first_in_line() -> None:
    b = book()
    first = b.expect(Pending("first", ("session.updated",)))
    second = b.expect(Pending("second", ("session.updated",)))
    b.forget(first)
    assert b.pending("session.updated")
    assert b.resolve("session.updated", {}) is second


# -- orphans ----------------------------------------------------------------------------------------


def test_only_the_orphan_ahead_absorbs_the_late_answer() -> None:
    b = book()
    late = b.expect(Pending("late", ("session.updated",), event_id="c1"))
    late.orphaned = True
    fresh = b.expect(Pending("fresh", ("session.updated",), event_id="c2"))
    assert b.resolve("session.updated", "answer to c1") is late
    assert b.resolve("session.updated", "answer to c2") is fresh
    assert len(b) == 0


def test_an_orphan_answered_by_its_error_frees_the_line_for_the_next_request() -> None:
    b = book()
    late = b.expect(Pending("late", ("session.updated",), event_id="c1"))
    late.orphaned = True
    fresh = b.expect(Pending("fresh", ("session.updated",), event_id="c2"))
    claim = b.claim_error(error("c1"))
    assert claim.pending is late and not claim.claimed
    assert b.resolve("session.updated", "answer to c2") is fresh


def test_an_orphan_still_registered_when_the_connection_ends_is_drained_too() -> None:
    b = book()
    late = b.expect(Pending("late", ("session.updated",)))
    late.orphaned = True
    assert b.drain() == [late]


# -- errors -----------------------------------------------------------------------------------------


def test_an_error_is_claimed_once_a_second_copy_is_the_apps() -> None:
    b = book()
    mine = b.expect(Pending("mine", ("session.updated",), event_id="c1"))
    assert b.claim_error(error("c1")).pending is mine
    again = b.claim_error(error("c1"))
    assert again.pending is None and not again.claimed


def test_an_error_for_a_request_already_acknowledged_is_the_apps() -> None:
    b = book()
    b.expect(Pending("update", ("session.updated",), event_id="c1"))
    assert b.resolve("session.updated", {}) is not None
    claim = b.claim_error(error("c1"))
    assert claim.pending is None and not claim.claimed


def test_a_request_waiting_only_for_an_error_is_claimed_by_its_event_id() -> None:
    # response.create: its acknowledgement is the response itself (the response book's), its refusal an error.
    b = book()
    create = b.expect(Pending("create", (), event_id="c7"))
    assert len(b) == 1
    claim = b.claim_error(error("c7", code="conversation_already_has_active_response"))
    assert claim.pending is create and claim.claimed
    assert claim.error.code == "conversation_already_has_active_response"
    assert len(b) == 0


def test_an_error_without_a_code_still_answers_its_request() -> None:
    b = book()
    mine = b.expect(Pending("mine", ("session.updated",), event_id="c1"))
    claim = b.claim_error(error("c1", code=None))
    assert claim.pending is mine and claim.claimed and not claim.harmless
    assert claim.error.code is None


def test_an_error_quoting_no_event_id_never_fails_a_request_that_has_none() -> None:
    b = book()
    b.expect(Pending("plain", ("session.updated",)))
    claim = b.claim_error(error(None))
    assert claim.pending is None and not claim.claimed and not claim.harmless
    assert b.pending("session.updated")


def test_an_explicit_null_event_id_is_no_event_id() -> None:
    b = book()
    b.expect(Pending("r", ("session.updated",), event_id="c1"))
    raw = Error(event_id="evt", error=ErrorError(type="server_error", message="boom", event_id=None))
    claim = b.claim_error(raw)
    assert claim.pending is None and not claim.claimed
    assert claim.error.event_id is None


@pytest.mark.parametrize("code", sorted(HARMLESS_ERROR_CODES))
def test_a_harmless_error_fails_no_request_even_one_it_names(code: str) -> None:
    b = book()
    cancel = b.expect(Pending("cancel", ("response.done",), event_id="c1"))
    claim = b.claim_error(error("c1", code=code))
    assert claim.claimed and claim.harmless and claim.pending is None
    assert b.resolve("response.done", {}) is cancel  # it is still waiting for its real answer


def test_the_claimed_error_is_a_server_error_carrying_the_wire_fields() -> None:
    b = book()
    b.expect(Pending("r", ("session.updated",), event_id="c1"))
    event = Error(
        event_id="evt",
        error=ErrorError(
            type="invalid_request_error",
            message="bad voice",
            code="invalid_value",
            param="voice",
            event_id="c1",
        ),
    )
    err = b.claim_error(event).error
    assert isinstance(err, ServerError)
    assert (err.code, err.type, err.param, err.event_id) == (
        "invalid_value",
        "invalid_request_error",
        "voice",
        "c1",
    )
    assert "bad voice" in str(err)


def test_drain_leaves_a_book_that_takes_new_requests() -> None:
    b = book()
    b.expect(Pending("old", ("session.updated",), event_id="c1"))
    b.drain()
    new = b.expect(Pending("new", ("session.updated",), event_id="c1"))
    assert b.claim_error(error("c1")).pending is new
