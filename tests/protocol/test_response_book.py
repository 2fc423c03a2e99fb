"""The response book without a loop or a socket: binding, the active set, server-started responses."""

from __future__ import annotations

from typing import Any

import msgspec

from realtime_sdk._generated import ResponseCreated, ResponseDone, ResponseOutputTextDelta
from realtime_sdk.events import decode
from realtime_sdk.protocol import METADATA_KEY, Ended, ResponseBook, Routed, Started


def created(rid: str | None, tag: str | None = None, **response: Any) -> ResponseCreated:
    body: dict[str, Any] = {"object": "realtime.response", "status": "in_progress", **response}
    if rid is not None:
        body["id"] = rid
    if tag is not None:
        body["metadata"] = {METADATA_KEY: tag}
    event = decode(msgspec.json.encode({"type": "response.created", "event_id": "e1", "response": body}))
    assert isinstance(event, ResponseCreated)
    return event


def done(rid: str, tag: str | None = None, status: str = "completed") -> ResponseDone:
    body: dict[str, Any] = {"id": rid, "status": status}
    if tag is not None:
        body["metadata"] = {METADATA_KEY: tag}
    raw = {"type": "response.done", "event_id": "e2", "response": body}
    event = decode(msgspec.json.encode(raw))
    assert isinstance(event, ResponseDone)
    return event


def delta(rid: str, text: str = "hi") -> ResponseOutputTextDelta:
    raw = {
        "type": "response.output_text.delta",
        "event_id": "e3",
        "response_id": rid,
        "item_id": "item_1",
        "output_index": 0,
        "content_index": 0,
        "delta": text,
    }
    event = decode(msgspec.json.encode(raw))
    assert isinstance(event, ResponseOutputTextDelta)
    return event


def test_an_expected_tag_binds_to_the_servers_id_and_routes_until_done() -> None:
    book = ResponseBook()
    book.expect("t1", out_of_band=False)
    assert book.receive(created("resp_1", "t1")) == Started("t1", "resp_1", "t1", out_of_band=False)
    assert book.active == {"t1"} and book.is_active("resp_1") and book.key_of("resp_1") == "t1"
    assert book.receive(delta("resp_1")) == Routed("t1")
    assert book.receive(done("resp_1")) == Ended("t1", idle=True)
    assert book.active == frozenset() and book.key_of("resp_1") is None
    assert book.receive(delta("resp_1")) is None  # a straggler after done belongs to nobody


def test_a_response_the_server_started_is_keyed_by_its_id_and_counts_as_active() -> None:
    book = ResponseBook()
    assert book.receive(created("resp_vad")) == Started("resp_vad", "resp_vad", None, out_of_band=False)
    assert book.is_active("resp_vad")
    assert book.receive(delta("resp_vad")) == Routed("resp_vad")
    assert book.receive(done("resp_vad", status="cancelled")) == Ended("resp_vad", idle=True)


def test_an_out_of_band_response_never_holds_the_conversation() -> None:
    book = ResponseBook()
    book.expect("oob", out_of_band=True)
    assert book.receive(created("resp_2", "oob")) == Started("oob", "resp_2", "oob", out_of_band=True)
    assert book.active == frozenset()
    assert book.receive(delta("resp_2")) == Routed("oob")
    assert book.receive(done("resp_2")) == Ended("oob", idle=False)


def test_idle_only_when_the_last_of_two_active_responses_ends() -> None:
    book = ResponseBook()
    book.receive(created("a"))
    book.receive(created("b"))
    assert book.receive(done("a")) == Ended("a", idle=False)
    assert book.receive(done("b")) == Ended("b", idle=True)


def test_a_withdrawn_tag_that_runs_after_all_is_treated_as_server_started() -> None:
    # The request timed out or was refused, yet the response started: it is tracked, not lost.
    book = ResponseBook()
    book.expect("late", out_of_band=True)
    book.withdraw("late")
    assert book.receive(created("resp_3", "late")) == Started("resp_3", "resp_3", None, out_of_band=False)
    assert book.is_active("resp_3")


def test_a_foreign_tag_is_not_mistaken_for_ours() -> None:
    book = ResponseBook()
    book.expect("mine", out_of_band=False)
    out = book.receive(created("resp_4", "someone-else"))
    assert out == Started("resp_4", "resp_4", None, out_of_band=False)
    assert book.receive(created("resp_5", "mine")) == Started("mine", "resp_5", "mine", out_of_band=False)


def test_a_nameless_response_is_bound_only_when_it_answers_a_tag() -> None:
    book = ResponseBook()
    assert book.receive(created(None)) is None
    book.expect("t", out_of_band=False)
    assert book.receive(created(None, "t")) == Started("t", None, "t", out_of_band=False)
    assert book.active == frozenset({"t"})  # it runs in the conversation, nameless or not
    assert book.receive(done("resp_x", "t")) == Ended("t", idle=True)  # found by the echoed tag
    assert book.active == frozenset()


def test_done_for_a_response_never_seen_starting_ends_nothing() -> None:
    book = ResponseBook()
    assert book.receive(done("ghost")) == Ended(None, idle=False)


def test_a_quiet_server_and_a_lost_connection_clear_what_they_must() -> None:
    book = ResponseBook()
    book.receive(created("a"))
    assert book.presume_over() == {"a"} and book.active == frozenset()
    assert book.receive(delta("a")) == Routed("a")  # still bound: late events still reach its handle
    book.expect("t", out_of_band=False)
    book.connection_lost()
    assert book.receive(delta("a")) is None
    assert book.receive(created("b", "t")) == Started("b", "b", None, out_of_band=False)


def test_done_under_another_id_ends_the_response_its_tag_names() -> None:
    book = ResponseBook()
    book.expect("t", out_of_band=False)
    assert book.receive(created("resp_1", "t")) == Started("t", "resp_1", "t", out_of_band=False)
    assert book.receive(done("resp_2", "t")) == Ended("t", idle=True)
    assert book.key_of("resp_1") is None  # nothing stays bound to the ended response
    assert book.receive(delta("resp_1")) is None


def test_an_untagged_done_under_an_unknown_id_ends_nothing() -> None:
    book = ResponseBook()
    assert book.receive(created("resp_1")) == Started("resp_1", "resp_1", None, out_of_band=False)
    assert book.receive(done("resp_2")) == Ended(None, idle=False)
    assert book.active == frozenset({"resp_1"})
