"""More of the response book: concurrent responses, routing, withdrawal, presumed-over and lost responses."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from realtime_sdk.events import AnyServerEvent, UnknownServerEvent, decode
from realtime_sdk.protocol import METADATA_KEY, Ended, ResponseBook, Routed, Started


def ev(body: dict[str, Any]) -> AnyServerEvent:
    return decode(msgspec.json.encode({"event_id": "evt", **body}))


def created(rid: str | None, tag: str | None = None, **metadata: str) -> AnyServerEvent:
    body: dict[str, Any] = {"object": "realtime.response", "status": "in_progress"}
    if rid is not None:
        body["id"] = rid
    if tag is not None:
        metadata = {**metadata, METADATA_KEY: tag}
    if metadata:
        body["metadata"] = metadata
    return ev({"type": "response.created", "response": body})


def done(rid: str | None, tag: str | None = None, status: str = "completed") -> AnyServerEvent:
    body: dict[str, Any] = {"object": "realtime.response", "status": status}
    if rid is not None:
        body["id"] = rid
    if tag is not None:
        body["metadata"] = {METADATA_KEY: tag}
    return ev({"type": "response.done", "response": body})


def delta(rid: str) -> AnyServerEvent:
    return ev(
        {
            "type": "response.output_text.delta",
            "response_id": rid,
            "item_id": "item_1",
            "output_index": 0,
            "content_index": 0,
            "delta": "hi",
        }
    )


def asked(book: ResponseBook, tag: str, rid: str, *, out_of_band: bool = False) -> None:
    """``create_response`` announced ``tag`` and the server started it as ``rid``."""
    book.expect(tag, out_of_band=out_of_band)
    assert book.receive(created(rid, tag)) == Started(tag, rid, tag, out_of_band)


# -- binding ----------------------------------------------------------------------------------------


def test_two_requests_answered_out_of_order_each_get_their_own_response() -> None:
    book = ResponseBook()
    book.expect("t1", out_of_band=True)
    book.expect("t2", out_of_band=True)
    assert book.receive(created("resp_b", "t2")) == Started("t2", "resp_b", "t2", out_of_band=True)
    assert book.receive(created("resp_a", "t1")) == Started("t1", "resp_a", "t1", out_of_band=True)
    assert (book.key_of("resp_a"), book.key_of("resp_b")) == ("t1", "t2")


def test_the_tag_is_found_among_the_apps_own_metadata() -> None:
    book = ResponseBook()
    book.expect("t1", out_of_band=False)
    out = book.receive(created("resp_1", "t1", topic="weather", lang="fr"))
    assert out == Started("t1", "resp_1", "t1", out_of_band=False)


def test_metadata_without_the_tag_is_a_server_started_response() -> None:
    book = ResponseBook()
    book.expect("t1", out_of_band=False)
    out = book.receive(created("resp_1", topic="weather"))
    assert out == Started("resp_1", "resp_1", None, out_of_band=False)


def test_a_tag_is_used_once_a_second_response_quoting_it_is_the_servers() -> None:
    book = ResponseBook()
    asked(book, "t1", "resp_1")
    out = book.receive(created("resp_2", "t1"))
    assert out == Started("resp_2", "resp_2", None, out_of_band=False)
    assert book.active == {"t1", "resp_2"}


def test_a_repeated_response_created_is_still_the_one_response() -> None:
    book = ResponseBook()
    asked(book, "t1", "resp_1")
    # The same frame again (a retransmitting proxy): routed to the response it announced, no new key.
    assert book.receive(created("resp_1", "t1")) == Routed("t1")
    assert book.receive(delta("resp_1")) == Routed("t1")
    assert book.receive(done("resp_1", "t1")) == Ended("t1", idle=True)
    assert book.active == frozenset()


def test_a_server_started_response_is_keyed_by_its_id_until_its_done() -> None:
    book = ResponseBook()
    assert book.receive(created("resp_vad")) == Started("resp_vad", "resp_vad", None, out_of_band=False)
    assert book.key_of("resp_vad") == "resp_vad"
    assert book.receive(done("resp_vad")) == Ended("resp_vad", idle=True)
    assert book.key_of("resp_vad") is None and not book.is_active("resp_vad")


def test_nothing_is_known_about_an_id_never_started() -> None:
    book = ResponseBook()
    assert book.key_of("resp_x") is None
    assert not book.is_active("resp_x")
    assert book.active == frozenset()


# -- routing ----------------------------------------------------------------------------------------


def test_events_of_two_concurrent_responses_go_to_their_own_keys() -> None:
    book = ResponseBook()
    asked(book, "mine", "resp_1")
    book.receive(created("resp_2"))
    assert book.receive(delta("resp_2")) == Routed("resp_2")
    assert book.receive(delta("resp_1")) == Routed("mine")
    assert book.receive(delta("resp_other")) is None


@pytest.mark.parametrize(
    "body",
    [
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {"type": "message", "role": "assistant", "content": []},
        },
        {
            "type": "response.output_audio.delta",
            "item_id": "i",
            "output_index": 0,
            "content_index": 0,
            "delta": "",
        },
        {
            "type": "response.function_call_arguments.delta",
            "item_id": "i",
            "output_index": 0,
            "call_id": "call_1",
            "delta": "{",
        },
    ],
    ids=["output_item.added", "output_audio.delta", "function_call_arguments.delta"],
)
def test_every_kind_of_event_naming_the_response_is_routed(body: dict[str, Any]) -> None:
    book = ResponseBook()
    asked(book, "t1", "resp_1")
    event = ev({**body, "response_id": "resp_1"})
    assert event.type == body["type"] and not isinstance(event, UnknownServerEvent)
    assert book.receive(event) == Routed("t1")


def test_events_naming_no_response_are_nobodys_even_while_one_runs() -> None:
    book = ResponseBook()
    asked(book, "t1", "resp_1")
    started = ev({"type": "input_audio_buffer.speech_started", "audio_start_ms": 0, "item_id": "item_u"})
    added = ev(
        {
            "type": "conversation.item.added",
            "previous_item_id": None,
            "item": {"type": "message", "role": "assistant", "id": "item_1", "content": []},
        }
    )
    assert book.receive(started) is None
    assert book.receive(added) is None


def test_a_nameless_tagged_response_routes_nothing_and_ends_by_its_tag() -> None:
    book = ResponseBook()
    book.expect("t1", out_of_band=False)
    assert book.receive(created(None, "t1")) == Started("t1", None, "t1", out_of_band=False)
    assert book.receive(delta("resp_1")) is None  # the server's id was never told: nothing to route by
    assert book.receive(done(None, "t1")) == Ended("t1", idle=True)


# -- the active set ---------------------------------------------------------------------------------


def test_an_out_of_band_response_is_never_active_even_beside_an_active_one() -> None:
    book = ResponseBook()
    asked(book, "side", "resp_oob", out_of_band=True)
    asked(book, "main", "resp_1")
    assert book.active == {"main"}
    assert book.key_of("resp_oob") == "side" and not book.is_active("resp_oob")
    assert book.receive(done("resp_1")) == Ended("main", idle=True)  # idle while the side one still runs
    assert book.receive(done("resp_oob")) == Ended("side", idle=False)


def test_idle_is_told_once_when_a_server_started_and_an_asked_response_overlap() -> None:
    book = ResponseBook()
    book.receive(created("resp_vad"))
    asked(book, "t1", "resp_1")
    assert book.active == {"resp_vad", "t1"}
    assert book.receive(done("resp_1")) == Ended("t1", idle=False)
    assert book.receive(done("resp_vad")) == Ended("resp_vad", idle=True)


def test_a_repeated_done_ends_nothing_the_second_time() -> None:
    book = ResponseBook()
    asked(book, "t1", "resp_1")
    assert book.receive(done("resp_1", "t1")) == Ended("t1", idle=True)
    assert book.receive(done("resp_1", "t1")) == Ended(None, idle=False)


def test_a_done_before_its_created_ends_nothing_and_the_tag_still_binds() -> None:
    book = ResponseBook()
    book.expect("t1", out_of_band=False)
    assert book.receive(done("resp_1", "t1")) == Ended(None, idle=False)
    assert book.receive(created("resp_1", "t1")) == Started("t1", "resp_1", "t1", out_of_band=False)


@pytest.mark.parametrize("status", ["completed", "cancelled", "failed", "incomplete"])
def test_every_final_status_ends_the_response(status: str) -> None:
    book = ResponseBook()
    asked(book, "t1", "resp_1")
    assert book.receive(done("resp_1", status=status)) == Ended("t1", idle=True)


# -- withdrawal -------------------------------------------------------------------------------------


def test_withdrawing_one_tag_leaves_the_others_expected() -> None:
    book = ResponseBook()
    book.expect("refused", out_of_band=False)
    book.expect("kept", out_of_band=True)
    book.withdraw("refused")
    assert book.receive(created("resp_1", "kept")) == Started("kept", "resp_1", "kept", out_of_band=True)


def test_withdrawing_an_unknown_tag_changes_nothing() -> None:
    book = ResponseBook()
    book.withdraw("never")
    asked(book, "t1", "resp_1")
    book.withdraw("never")
    assert book.active == {"t1"}


def test_withdrawing_after_the_response_started_leaves_it_bound_and_active() -> None:
    book = ResponseBook()
    asked(book, "t1", "resp_1")
    book.withdraw("t1")
    assert book.receive(delta("resp_1")) == Routed("t1")
    assert book.receive(done("resp_1")) == Ended("t1", idle=True)


def test_events_of_a_withdrawn_request_that_ran_after_all_reach_the_servers_key() -> None:
    book = ResponseBook()
    book.expect("late", out_of_band=False)
    book.withdraw("late")
    book.receive(created("resp_9", "late"))
    assert book.receive(delta("resp_9")) == Routed("resp_9")
    assert book.receive(done("resp_9", "late")) == Ended("resp_9", idle=True)


# -- presumed over ----------------------------------------------------------------------------------


def test_presume_over_names_every_active_response_and_no_side_one() -> None:
    book = ResponseBook()
    book.receive(created("resp_vad"))
    asked(book, "t1", "resp_1")
    asked(book, "side", "resp_oob", out_of_band=True)
    assert book.presume_over() == {"resp_vad", "t1"}
    assert book.presume_over() == frozenset()
    assert book.key_of("resp_oob") == "side"


def test_a_late_done_after_presume_over_ends_the_key_without_a_second_idle() -> None:
    book = ResponseBook()
    asked(book, "t1", "resp_1")
    book.presume_over()
    assert book.receive(done("resp_1")) == Ended("t1", idle=False)  # idle was told when it was presumed over
    assert book.key_of("resp_1") is None


def test_a_late_done_of_a_presumed_response_does_not_free_the_next_one() -> None:
    book = ResponseBook()
    asked(book, "old", "resp_1")
    book.presume_over()
    asked(book, "new", "resp_2")
    assert book.receive(done("resp_1")) == Ended("old", idle=False)
    assert book.active == {"new"} and book.is_active("resp_2")


def test_a_presumed_response_that_speaks_again_is_routed_but_not_active_again() -> None:
    book = ResponseBook()
    asked(book, "t1", "resp_1")
    book.presume_over()
    assert book.receive(delta("resp_1")) == Routed("t1")
    assert not book.is_active("resp_1") and book.active == frozenset()


# -- a lost connection ------------------------------------------------------------------------------


def test_after_a_lost_connection_the_old_responses_done_ends_nothing() -> None:
    book = ResponseBook()
    asked(book, "t1", "resp_1")
    book.connection_lost()
    assert book.active == frozenset() and book.key_of("resp_1") is None
    assert book.receive(done("resp_1", "t1")) == Ended(None, idle=False)


def test_the_book_binds_afresh_on_the_new_connection() -> None:
    book = ResponseBook()
    asked(book, "t1", "resp_1")
    book.connection_lost()
    asked(book, "t2", "resp_1")  # a new server may reuse an id: it is the new response's
    assert book.receive(delta("resp_1")) == Routed("t2")
    assert book.receive(done("resp_1")) == Ended("t2", idle=True)
