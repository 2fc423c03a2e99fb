"""More reconnect decisions: what marks a session expired, rollover timing, and which restore echoes are hidden."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from realtime_sdk._generated import ConversationItemCreate, InputAudioBufferClear, InputAudioBufferCommit
from realtime_sdk.conversation import text_message
from realtime_sdk.events import AnyServerEvent, ClientEvent, UnknownServerEvent, decode
from realtime_sdk.protocol import MIN_ROLLOVER_LIFE, Continuity


def ev(body: dict[str, Any]) -> AnyServerEvent:
    event = decode(msgspec.json.encode({"event_id": "evt", **body}))
    assert not isinstance(event, UnknownServerEvent), event
    return event


def error(code: str | None) -> AnyServerEvent:
    body: dict[str, Any] = {"type": "invalid_request_error", "message": "x"}
    if code is not None:
        body["code"] = code
    return ev({"type": "error", "error": body})


def session_event(kind: str) -> AnyServerEvent:
    return ev({"type": kind, "session": {"type": "realtime", "id": "sess_2", "object": "realtime.session"}})


def item_event(kind: str, item_id: str) -> AnyServerEvent:
    item = {
        "type": "message",
        "role": "user",
        "id": item_id,
        "content": [{"type": "input_text", "text": "hi"}],
    }
    return ev({"type": kind, "previous_item_id": None, "item": item})


def create(item_id: str) -> ClientEvent:
    return ConversationItemCreate(item=msgspec.structs.replace(text_message("user", "hi"), id=item_id))


# -- which ends are replaced ------------------------------------------------------------------------


def test_only_session_expired_marks_the_session_expired() -> None:
    rules = Continuity()
    for event in (error("invalid_value"), error(None), session_event("session.updated")):
        rules.receive(event)
    assert not rules.expired and rules.reason == "dropped"
    assert not rules.should_reconnect(1000, armed=True, closing=False)


@pytest.mark.parametrize("code", [1000, 1001, 4000])
def test_after_session_expired_any_close_is_replaced(code: int) -> None:
    rules = Continuity()
    rules.receive(error("session_expired"))
    assert rules.should_reconnect(code, armed=True, closing=False)


def test_an_expired_session_is_still_not_replaced_while_closing_or_before_connect() -> None:
    rules = Continuity()
    rules.receive(error("session_expired"))
    assert not rules.should_reconnect(None, armed=True, closing=True)
    assert not rules.should_reconnect(None, armed=False, closing=False)


def test_with_no_close_codes_only_a_missing_code_or_an_expiry_is_replaced() -> None:
    rules = Continuity(close_codes=frozenset())
    assert rules.should_reconnect(None, armed=True, closing=False)
    assert not rules.should_reconnect(1006, armed=True, closing=False)
    rules.receive(error("session_expired"))
    assert rules.should_reconnect(1006, armed=True, closing=False)


def test_each_new_connection_starts_unexpired_however_often_it_expired() -> None:
    rules = Continuity()
    reasons: list[str] = []
    for _ in range(2):
        rules.receive(error("session_expired"))
        reasons.append(rules.reason)
        rules.connected()
        reasons.append(rules.reason)
    assert reasons == ["expired", "dropped", "expired", "dropped"]
    assert not rules.expired


# -- rollover timing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("life", "expected_after_now"),
    [
        (3600.0, 3480.0),  # long: the margin before expiry
        (600.0, 480.0),
        (240.0, 120.0),  # the margin is exactly half the life: both rules agree
        (200.0, 100.0),  # shorter than twice the margin: half way
        (10.0, 5.0),
        (1.5, 0.75),  # just above the minimum life
    ],
)
def test_rollover_is_the_later_of_the_margin_before_expiry_and_half_the_life(
    life: float, expected_after_now: float
) -> None:
    now = 500.0
    assert Continuity(margin=120.0).rollover_at(expires_at=now + life, now=now) == now + expected_after_now


def test_a_custom_margin_is_honoured() -> None:
    assert Continuity(margin=30.0).rollover_at(expires_at=600.0, now=0.0) == 570.0


@pytest.mark.parametrize("now", [-1.0e6, 0.0, 12_345.678])
def test_rollover_does_not_depend_on_where_the_clock_started(now: float) -> None:
    # A monotonic clock's zero is arbitrary: only the life left counts.
    assert Continuity(margin=120.0).rollover_at(expires_at=now + 3600.0, now=now) == now + 3480.0
    assert Continuity(margin=120.0).rollover_at(expires_at=now + 60.0, now=now) == now + 30.0


def test_the_rollover_is_always_after_now_and_before_expiry() -> None:
    rules = Continuity(margin=120.0)
    for life in (MIN_ROLLOVER_LIFE + 0.001, 2.0, 90.0, 239.0, 241.0, 7200.0):
        at = rules.rollover_at(expires_at=1000.0 + life, now=1000.0)
        assert at is not None and 1000.0 < at < 1000.0 + life, life


def test_a_session_with_just_the_minimum_life_left_is_not_rolled_over() -> None:
    assert Continuity().rollover_at(expires_at=10.0 + MIN_ROLLOVER_LIFE, now=10.0) is None


# -- what is hidden while restoring -----------------------------------------------------------------


def test_both_the_greeting_and_the_configuration_answer_are_hidden_while_restoring() -> None:
    rules = Continuity()
    rules.begin_restore()
    assert rules.hides(session_event("session.created"))
    assert rules.hides(session_event("session.updated"))


def test_nothing_else_is_hidden_while_restoring() -> None:
    rules = Continuity()
    rules.begin_restore()
    assert not rules.hides(error("invalid_value"))
    assert not rules.hides(item_event("conversation.item.done", "item_a"))
    assert not rules.hides(
        ev({"type": "response.created", "response": {"id": "r", "object": "realtime.response"}})
    )


def test_the_configuration_answer_of_an_update_after_the_restore_is_the_apps() -> None:
    rules = Continuity()
    rules.begin_restore()
    rules.end_restore()
    assert not rules.hides(session_event("session.updated"))


def test_only_item_creations_that_name_their_item_are_echoes() -> None:
    rules = Continuity()
    rules.begin_restore()
    nameless = ConversationItemCreate(item=text_message("user", "hi"))
    assert not isinstance(nameless.item.id, str)
    rules.restoring_items([nameless, InputAudioBufferCommit(), InputAudioBufferClear()])
    assert not rules.is_echo(item_event("conversation.item.added", "item_a"))


def test_the_legacy_created_acknowledgement_is_an_echo_too_and_only_done_ends_it() -> None:
    rules = Continuity()
    rules.begin_restore()
    rules.restoring_items([create("item_a")])
    assert rules.is_echo(item_event("conversation.item.created", "item_a"))
    assert rules.is_echo(item_event("conversation.item.added", "item_a"))
    assert rules.is_echo(item_event("conversation.item.done", "item_a"))
    assert not rules.is_echo(item_event("conversation.item.added", "item_a"))


def test_each_restored_item_stops_being_an_echo_at_its_own_done() -> None:
    rules = Continuity()
    rules.begin_restore()
    rules.restoring_items([create("item_a"), create("item_b")])
    assert rules.is_echo(item_event("conversation.item.done", "item_a"))
    assert not rules.is_echo(item_event("conversation.item.done", "item_a"))
    assert rules.is_echo(item_event("conversation.item.added", "item_b"))
    assert rules.is_echo(item_event("conversation.item.done", "item_b"))


def test_an_echo_whose_done_comes_after_the_restore_ended_is_still_hidden() -> None:
    # The restore waits for the items' acknowledgements, not for their done: that may come just after.
    rules = Continuity()
    rules.begin_restore()
    rules.restoring_items([create("item_a")])
    assert rules.is_echo(item_event("conversation.item.added", "item_a"))
    rules.end_restore()
    assert not rules.hides(session_event("session.updated"))
    assert rules.is_echo(item_event("conversation.item.done", "item_a"))


def test_a_second_restore_attempt_echoes_only_its_own_items() -> None:
    rules = Continuity()
    rules.begin_restore()
    rules.restoring_items([create("item_a")])
    rules.end_restore()  # the attempt was cut by a drop
    rules.begin_restore()
    rules.restoring_items([create("item_b")])
    assert not rules.is_echo(item_event("conversation.item.added", "item_a"))
    assert rules.is_echo(item_event("conversation.item.added", "item_b"))


def test_other_events_about_a_restored_item_are_not_echoes() -> None:
    rules = Continuity()
    rules.begin_restore()
    rules.restoring_items([create("item_a")])
    deleted = ev({"type": "conversation.item.deleted", "item_id": "item_a"})
    assert not rules.is_echo(deleted)
    assert not rules.is_echo(session_event("session.updated"))


def test_nothing_is_an_echo_before_any_restore() -> None:
    rules = Continuity()
    assert not rules.is_echo(item_event("conversation.item.added", "item_a"))
    assert not rules.is_echo(item_event("conversation.item.done", "item_a"))
