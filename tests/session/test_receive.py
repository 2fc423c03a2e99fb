"""Receiving: typed iteration, unknown events, handlers, item conveniences, bounded buffering."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest

from realtime_sdk import EventsDroppedError, RealtimeSession, UnknownServerEvent
from realtime_sdk._generated import (
    ConversationItemAdded,
    ConversationItemDone,
    ResponseDone,
    ResponseOutputAudioTranscriptDelta,
)
from realtime_sdk.server import LocalRealtimeServer
from realtime_sdk.session import _session, _wire

from .conftest import KEY, until


def raw(type_: str, **fields: Any) -> bytes:
    return json.dumps({"type": type_, "event_id": "evt_x", **fields}).encode()


async def test_iteration_yields_typed_events(session: RealtimeSession) -> None:
    await session.add_item("hello")
    await session.create_response()
    types: list[str] = []
    async with asyncio.timeout(10):
        async for event in session:
            types.append(event.type)
            if isinstance(event, ResponseDone):
                break
    assert types[:2] == ["session.created", "conversation.item.added"]
    assert "response.output_audio.delta" in types  # the default session answers in audio
    assert types[-1] == "response.done"


async def test_unknown_and_malformed_frames_do_not_stop_the_reader(
    server: LocalRealtimeServer, session: RealtimeSession, caplog: pytest.LogCaptureFixture
) -> None:
    conn = server.connections[0]
    await conn.send_raw(raw("brand.new_event", payload=1))
    await conn.send_raw(b"this is not json")
    await conn.send_raw(b"[1, 2]")
    await conn.send_raw(raw("response.output_text.delta", delta=5))  # a known type that drifted
    await conn.send_raw(raw("the.end"))
    seen: list[Any] = []
    async with asyncio.timeout(10):
        async for event in session:
            seen.append(event)
            if event.type == "the.end":
                break
    unknown = [e for e in seen if isinstance(e, UnknownServerEvent)]
    assert [e.type for e in unknown] == ["brand.new_event", "response.output_text.delta", "the.end"]
    assert unknown[0].raw["payload"] == 1 and not unknown[0].known_type
    assert unknown[1].known_type
    assert "ignoring a frame" in caplog.text
    # Still alive: a request round trip works.
    item = await session.add_item("still here")
    assert item.id is not None


async def test_handlers_sync_async_string_class_and_wildcards(
    server: LocalRealtimeServer, session: RealtimeSession
) -> None:
    calls: list[str] = []
    finished = asyncio.Event()

    @session.on(ResponseOutputAudioTranscriptDelta)
    def on_delta(event: ResponseOutputAudioTranscriptDelta) -> None:
        calls.append(f"class:{event.delta}")

    @session.on("response.done")
    async def on_done(event: ResponseDone) -> None:
        await asyncio.sleep(0)
        calls.append("async:done")
        finished.set()

    unknown: list[str] = []
    session.on(UnknownServerEvent, lambda e: unknown.append(e.type))
    everything: list[str] = []
    session.on("*", lambda e: everything.append(e.type))

    await server.connections[0].send_raw(raw("x.y"))
    await session.add_item("hi")
    handle = await session.create_response()
    await handle.done()
    async with asyncio.timeout(10):
        await finished.wait()
    assert "".join(c.removeprefix("class:") for c in calls if c.startswith("class:")) == "You said: hi"
    assert calls[-1] == "async:done"
    assert unknown == ["x.y"]
    assert "x.y" in everything and "response.done" in everything

    session.off(ResponseOutputAudioTranscriptDelta, on_delta)
    before = len(calls)
    await session.add_item("again")
    await (await session.create_response()).done()
    assert not any(c.startswith("class:") for c in calls[before:])


async def test_raising_handlers_are_logged_not_fatal(
    session: RealtimeSession, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(event: Any) -> None:
        raise RuntimeError("sync handler bug")

    async def aboom(event: Any) -> None:
        raise RuntimeError("async handler bug")

    session.on("conversation.item.added", boom)
    session.on("conversation.item.added", aboom)
    await session.add_item("one")
    await session.add_item("two")  # the reader survived both
    await session.close()  # waits for handler tasks
    raised = [str(r.exc_info[1]) for r in caplog.records if r.exc_info]
    assert raised.count("sync handler bug") == 2
    assert raised.count("async handler bug") == 2


def test_on_rejects_non_event_class() -> None:
    s = RealtimeSession(KEY, base_url="ws://127.0.0.1:1/v1/realtime")
    with pytest.raises(TypeError):
        s.on(int)


async def test_conversation_item_created_and_updated(session: RealtimeSession) -> None:
    created: list[tuple[str, str]] = []
    updated: list[tuple[str, str | None]] = []

    @session.on_conversation_item_created
    async def on_created(s: RealtimeSession, item_id: str, item: Any) -> None:
        assert s is session
        created.append((item_id, item.role))

    @session.on_conversation_item_updated
    def on_updated(s: RealtimeSession, item_id: str, item: Any) -> None:
        updated.append((item_id, item.status if item is not None else None))

    user = await session.add_item("hello")
    handle = await session.create_response()
    response = await handle.done()
    assistant_id = response.output[0].id  # type: ignore[index,union-attr]
    await session.close()
    assert created == [(user.id, "user"), (assistant_id, "assistant")]
    assert (user.id, "completed") in updated and (assistant_id, "completed") in updated


async def test_item_created_fires_once_for_added_and_created(
    server: LocalRealtimeServer, session: RealtimeSession
) -> None:
    created: list[str] = []
    session.on_conversation_item_created(lambda s, item_id, item: created.append(item_id))
    item = {"type": "message", "role": "user", "content": [], "id": "item_dup"}
    conn = server.connections[0]
    await conn.send_raw(raw("conversation.item.added", item=item))
    await conn.send_raw(raw("conversation.item.created", item=item))
    await conn.send_raw(raw("the.end"))
    async with asyncio.timeout(10):
        async for event in session:
            if event.type == "the.end":
                break
    assert created == ["item_dup"]


async def test_slow_consumer_backpressure_never_drops(server: LocalRealtimeServer) -> None:
    async with asyncio.timeout(20), RealtimeSession(KEY, base_url=server.url, max_queued_events=4) as s:
        # Handlers see each event as the reader takes it, before it waits for room in the queue: how far
        # the reader got, seen from outside.
        taken: list[int] = []
        s.on("n.event", lambda e: taken.append(e.raw["i"]))
        it = aiter(s)
        assert (await anext(it)).type == "session.created"
        conn = server.connections[0]
        for i in range(200):
            await conn.send_raw(raw("n.event", i=i))
        # The queue fills to its bound (4) and the reader stops with the next event in hand, waiting for
        # the consumer; it stays there.
        await until(lambda: len(taken) >= 4 + 1)
        for _ in range(20):
            await asyncio.sleep(0)  # loop turns in which an unbounded reader would run ahead
            assert len(taken) == 4 + 1
        got = []
        for _ in range(200):
            event = await anext(it)
            got.append(event)
            assert len(taken) <= len(got) + 4 + 1
        assert [e.raw["i"] for e in got] == list(range(200))  # type: ignore[union-attr]


async def test_unread_stream_overflows_loudly_not_silently(
    server: LocalRealtimeServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="realtime_sdk")
    async with asyncio.timeout(20), RealtimeSession(KEY, base_url=server.url, max_queued_events=4) as s:
        conn = server.connections[0]
        marker = asyncio.Event()
        s.on("n.last", lambda e: marker.set())
        for i in range(10):
            await conn.send_raw(raw("n.event", i=i))
        await conn.send_raw(raw("n.last"))
        await marker.wait()  # the reader went through everything: nobody iterated, nothing blocked it
        told = [r for r in caplog.records if "nothing is iterating" in r.getMessage()]
        assert [r.levelno for r in told] == [logging.INFO]  # never iterated: said once, quietly
        # Requests still work with an unread, full stream.
        await s.add_item("not stuck")
        it = aiter(s)
        buffered = [await anext(it) for _ in range(4)]
        assert buffered[0].type == "session.created"
        with pytest.raises(EventsDroppedError) as info:
            await anext(it)
        # Left out: n.event 3..9 (7), n.last, and the added + done of the item: 10.
        assert info.value.dropped == 10
        # After the gap a new iterator continues with new events.
        await conn.send_raw(raw("n.after"))
        it2 = aiter(s)
        assert (await anext(it2)).type == "n.after"


async def test_breaking_out_of_iteration_does_not_block_the_reader(
    server: LocalRealtimeServer, caplog: pytest.LogCaptureFixture
) -> None:
    async with asyncio.timeout(20), RealtimeSession(KEY, base_url=server.url, max_queued_events=4) as s:
        async for event in s:
            assert event.type == "session.created"
            break
        conn = server.connections[0]
        for i in range(50):
            await conn.send_raw(raw("n.event", i=i))
        # More events than the buffer holds, and the iterator is gone: requests must still complete.
        item = await s.add_item("not stuck")
        assert item.id is not None
    told = [r for r in caplog.records if "nothing is iterating" in r.getMessage()]
    assert [r.levelno for r in told] == [logging.WARNING]  # an iterator went away: a likely mistake


async def test_item_events_are_typed(session: RealtimeSession) -> None:
    await session.add_item("typed")
    kinds = []
    async with asyncio.timeout(10):
        async for event in session:
            kinds.append(type(event))
            if isinstance(event, ConversationItemDone):
                break
    assert ConversationItemAdded in kinds


async def test_debug_logging_off_costs_nothing(
    session: RealtimeSession, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "Costs nothing": with DEBUG off, no event is even described for the log (a record that is made and
    # then filtered away would still cost the formatting).  Count the calls on both paths.
    described: list[str] = []

    def counting(event: Any) -> str:
        described.append(event.type)
        return event.type  # type: ignore[no-any-return]

    monkeypatch.setattr(_session, "describe", counting)
    monkeypatch.setattr(_wire, "describe", counting)
    caplog.set_level(logging.INFO, logger="realtime_sdk")
    await session.add_item("quiet")
    assert described == []
    caplog.set_level(logging.DEBUG, logger="realtime_sdk")
    await session.add_item("loud")
    assert "conversation.item.create" in described and "conversation.item.added" in described
    assert [r for r in caplog.records if r.levelno == logging.DEBUG]
