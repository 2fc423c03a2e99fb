"""Reconnect decisions without a loop or a socket: what is replaced, when to roll over, what the app sees."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from realtime_sdk._generated import ConversationItemCreate, InputAudioBufferClear
from realtime_sdk.conversation import text_message
from realtime_sdk.events import AnyServerEvent, ClientEvent, UnknownServerEvent, decode
from realtime_sdk.protocol import Continuity


def ev(body: dict[str, Any]) -> AnyServerEvent:
    return decode(msgspec.json.encode({"event_id": "evt", **body}))


def item_event(kind: str, item_id: str) -> AnyServerEvent:
    item = {
        "type": "message",
        "role": "user",
        "id": item_id,
        "content": [{"type": "input_text", "text": "hi"}],
    }
    return ev({"type": kind, "previous_item_id": None, "item": item})


def created(item_id: str) -> ClientEvent:
    return ConversationItemCreate(item=msgspec.structs.replace(text_message("user", "hi"), id=item_id))


@pytest.mark.parametrize(
    ("code", "expected"),
    [(None, True), (1006, True), (1011, True), (1012, True), (1013, True), (1000, False), (4000, False)],
)
def test_which_ends_of_a_connection_are_replaced(code: int | None, expected: bool) -> None:
    assert Continuity().should_reconnect(code, armed=True, closing=False) is expected


def test_nothing_is_replaced_before_connect_succeeded_or_while_closing() -> None:
    rules = Continuity()
    assert not rules.should_reconnect(1006, armed=False, closing=False)
    assert not rules.should_reconnect(1006, armed=True, closing=True)


def test_a_normal_close_after_session_expired_is_replaced_as_expired() -> None:
    rules = Continuity()
    assert rules.reason == "dropped"
    rules.receive(
        ev(
            {
                "type": "error",
                "error": {"type": "invalid_request_error", "code": "session_expired", "message": "x"},
            }
        )
    )
    assert rules.should_reconnect(1000, armed=True, closing=False)
    assert rules.reason == "expired"
    rules.connected()  # the new connection has not expired
    assert not rules.should_reconnect(1000, armed=True, closing=False)
    assert rules.reason == "dropped"


def test_own_close_codes() -> None:
    rules = Continuity(close_codes=frozenset({4001}))
    assert rules.should_reconnect(4001, armed=True, closing=False)
    assert not rules.should_reconnect(1006, armed=True, closing=False)


def test_rollover_is_the_margin_before_expiry_for_a_long_session() -> None:
    rules = Continuity(margin=120.0)
    assert rules.rollover_at(expires_at=3600.0, now=0.0) == 3480.0


def test_rollover_never_before_half_the_life_of_a_short_session() -> None:
    rules = Continuity(margin=120.0)
    assert rules.rollover_at(expires_at=1060.0, now=1000.0) == 1030.0  # 60 s sessions: half way, not at once


@pytest.mark.parametrize("left", [1.0, 0.5, 0.0, -30.0])
def test_no_rollover_when_the_session_is_over_by_this_clock(left: float) -> None:
    assert Continuity().rollover_at(expires_at=100.0 + left, now=100.0) is None


def test_quiet_only_when_nothing_is_going_on() -> None:
    assert Continuity.quiet(responding=False, creating=False, tools_busy=False, speaking=False)
    for busy in ("responding", "creating", "tools_busy", "speaking"):
        flags = {"responding": False, "creating": False, "tools_busy": False, "speaking": False, busy: True}
        assert not Continuity.quiet(**flags), busy


def test_the_greeting_and_configuration_are_hidden_only_while_restoring() -> None:
    rules = Continuity()
    greeting = ev(
        {
            "type": "session.created",
            "session": {"type": "realtime", "id": "sess_1", "object": "realtime.session"},
        }
    )
    assert greeting.type == "session.created" and not isinstance(greeting, UnknownServerEvent)
    assert not rules.hides(greeting)
    rules.begin_restore()
    assert rules.hides(greeting)
    assert not rules.hides(item_event("conversation.item.added", "item_a"))
    rules.end_restore()
    assert not rules.hides(greeting)


def test_restored_items_are_echoes_until_their_done_other_items_are_not() -> None:
    rules = Continuity()
    rules.begin_restore()
    rules.restoring_items([created("item_a"), InputAudioBufferClear()])
    assert rules.is_echo(item_event("conversation.item.added", "item_a"))
    assert not rules.is_echo(item_event("conversation.item.added", "item_b"))  # new: the app sees it
    assert rules.is_echo(item_event("conversation.item.done", "item_a"))
    assert not rules.is_echo(
        item_event("conversation.item.done", "item_a")
    )  # echoed once: later ones are real
