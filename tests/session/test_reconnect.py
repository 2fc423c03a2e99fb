"""Reconnect and rollover against the local server: the conversation survives, the app misses nothing."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support import parked

from realtime_sdk import (
    AuthenticationError,
    ConnectionClosed,
    RealtimeSession,
    Reconnected,
    ReconnectPolicy,
    SessionEvent,
    ToolCallStarted,
)
from realtime_sdk._generated import (
    RealtimeConversationItem,
    RealtimeConversationItemFunctionCall,
    RealtimeConversationItemFunctionCallOutput,
    RealtimeConversationItemMessage,
    ResponseDone,
)
from realtime_sdk.server import FaultRule, LocalRealtimeServer

from .conftest import KEY, GatedModel, until


class Recorder:
    """Iterates the session in the background, as an app would, and lets the test wait for what it saw."""

    def __init__(self, session: RealtimeSession) -> None:
        self.events: list[SessionEvent] = []
        self.error: BaseException | None = None
        self._changed = asyncio.Condition()
        self._task = asyncio.create_task(self._run(session))

    async def _run(self, session: RealtimeSession) -> None:
        try:
            async for event in session:
                async with self._changed:
                    self.events.append(event)
                    self._changed.notify_all()
        except BaseException as exc:
            async with self._changed:
                self.error = exc
                self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[SessionEvent], bool], count: int = 1) -> SessionEvent:
        async with asyncio.timeout(10), self._changed:  # hang guard only
            await self._changed.wait_for(
                lambda: sum(map(predicate, self.events)) >= count or self.error is not None
            )
        matching = [e for e in self.events if predicate(e)]
        if len(matching) < count:
            raise AssertionError(f"the iteration ended with {self.error!r}")
        return matching[count - 1]

    async def ended(self) -> BaseException | None:
        async with asyncio.timeout(10):
            await self._task
        return self.error


class FakeTime:
    """Backoff and rollover time without waiting: delays are recorded; ``hold`` pauses them on demand."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        """Backoff delays (the rollover timer's long waits go to ``timers``)."""
        self.timers: list[float] = []
        self.fired: list[float] = []
        """Rollover timer waits that ended: the clock was moved past them."""
        self.offset = 0.0
        self.hold = False
        self._moved = asyncio.Event()

    def clock(self) -> float:
        return time.time() + self.offset

    async def sleep(self, seconds: float) -> None:
        (self.timers if seconds > 60 else self.delays).append(seconds)
        while self.hold or (seconds > 60 and self.offset == 0):
            self._moved.clear()
            await self._moved.wait()
        if seconds > 60:
            self.fired.append(seconds)

    def advance(self, seconds: float) -> None:
        self.offset += seconds
        self._moved.set()

    def release(self) -> None:
        self.hold = False
        self._moved.set()

    def policy(self, **kwargs: Any) -> ReconnectPolicy:
        return ReconnectPolicy(sleep=self.sleep, random=lambda: 0.5, clock=self.clock, **kwargs)


def is_final(event: SessionEvent) -> bool:
    return isinstance(event, ResponseDone) and any(
        isinstance(i, RealtimeConversationItemMessage) for i in event.response.output or ()
    )


def words(item: RealtimeConversationItem) -> tuple[Any, ...]:
    """An item by what the model reads: type, role, words (text or transcript), call and output."""
    if isinstance(item, RealtimeConversationItemMessage):
        said = "".join(
            (p.text if isinstance(p.text, str) else p.transcript if isinstance(p.transcript, str) else "")
            for p in item.content
        )
        return ("message", item.role, said)
    if isinstance(item, RealtimeConversationItemFunctionCall):
        return ("function_call", item.call_id, item.name, item.arguments)
    if isinstance(item, RealtimeConversationItemFunctionCallOutput):
        return ("function_call_output", item.call_id, item.output)
    return (item.type,)


def server_frames(path: Path, connection: int) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    return [x["frame"] for x in lines if x["connection"] == connection and x["direction"] == "server"]


def get_weather(city: str) -> dict[str, Any]:
    """Weather."""
    return {"city": city, "temp": 21}


async def test_drop_mid_response_reconnects_restores_and_loses_no_event(tmp_path: Path) -> None:
    record = tmp_path / "frames.jsonl"
    fake = FakeTime()
    async with LocalRealtimeServer(KEY, record_to=record) as server:
        session = RealtimeSession(KEY, base_url=server.url, tools=[get_weather], reconnect=fake.policy())
        async with session:
            app = Recorder(session)
            await session.add_item('call get_weather({"city": "Paris"})')
            await session.create_response()
            await app.wait_for(is_final)  # call, output, spoken answer
            conn0 = server.connections[0]
            # Drop right after the first audio delta of the next response.
            deltas = conn0.sent_types.count("response.output_audio.delta")
            conn0.add_fault(FaultRule("response.output_audio.delta", deltas + 1, "drop"))
            await session.add_item("second turn")
            handle = await session.create_response()
            notice = await app.wait_for(lambda e: isinstance(e, Reconnected))
            with pytest.raises(ConnectionClosed):
                await handle.done()
            assert isinstance(notice, Reconnected)
            assert (notice.reason, notice.attempts, notice.code) == ("dropped", 1, 1006)
            assert notice.lost_responses == (handle.id,)
            assert fake.delays == [0.5]
            conn1 = server.connections[1]

            # The server-side conversation after restore: the same items, same ids, same order.
            seen_ids = [i.id for i in session.conversation.items]
            before = [i for i in conn0.items if i.id in seen_ids]
            assert [i.id for i in conn1.items] == [i.id for i in before] == seen_ids
            assert notice.restored_items == len(seen_ids) == 6
            # ...with the same content, audio as its transcript; the reply cut by the drop holds the
            # words the client received before it (the server had not finished writing it).
            interrupted = seen_ids.index(before[-1].id)
            restored = [words(i) for i in conn1.items]
            assert restored[:interrupted] == [words(i) for i in before[:interrupted]]
            assert restored[interrupted][:2] == ("message", "assistant") and restored[interrupted][2]
            assert session.conversation.items[interrupted].text == restored[interrupted][2]

            # The conversation goes on, on the new connection.
            await session.add_item("third turn")
            answer = await session.create_response()
            assert (await answer.done()).status == "completed"
            assert [i.id for i in conn1.items][: len(seen_ids)] == seen_ids
            await app.wait_for(lambda e: e.type == "rate_limits.updated", count=3)
        assert "error" not in conn0.sent_types + conn1.sent_types
        await app.ended()

    # Every event the server sent before the drop reached the app, once, in order; then Reconnected;
    # then everything the new connection sent except the restore's own acknowledgements.
    iterated = [e for e in app.events if e is notice or not e.type.startswith("sdk.")]
    cut = iterated.index(notice)
    first = server_frames(record, 0)
    second = server_frames(record, 1)
    echoes = {"session.created", "session.updated"}
    after = [
        f["event_id"]
        for f in second
        if f["type"] not in echoes
        and not (f["type"].startswith("conversation.item.") and f.get("item", {}).get("id") in seen_ids)
    ]
    assert [getattr(e, "event_id", None) for e in iterated[:cut]] == [f["event_id"] for f in first]
    assert [getattr(e, "event_id", None) for e in iterated[cut + 1 :]] == after
    assert len(second) - len(after) == 2 + 2 * len(seen_ids)


async def test_tool_running_across_a_drop_is_answered_on_the_new_connection(
    server: LocalRealtimeServer,
) -> None:
    release = asyncio.Event()

    async def slow_lookup(key: str) -> str:
        """Slow."""
        await release.wait()
        return f"value of {key}"

    fake = FakeTime()
    session = RealtimeSession(
        KEY,
        base_url=server.url,
        session_properties={"output_modalities": ["text"]},
        tools=[slow_lookup],
        reconnect=fake.policy(),
    )
    async with session:
        app = Recorder(session)
        await session.add_item('call slow_lookup({"key": "k"})')
        await session.create_response()
        await app.wait_for(lambda e: isinstance(e, ToolCallStarted))
        await app.wait_for(lambda e: isinstance(e, ResponseDone))
        await server.connections[0].drop()
        await app.wait_for(lambda e: isinstance(e, Reconnected))
        release.set()
        final = await app.wait_for(is_final)
        conn1 = server.connections[1]
        assert [words(i)[0] for i in conn1.items] == [
            "message",
            "function_call",
            "function_call_output",
            "message",
        ]
        assert isinstance(final, ResponseDone)
        assert "value of k" in words(conn1.items[-1])[2]
        assert "error" not in conn1.sent_types


async def test_sends_while_reconnecting_wait_for_the_new_connection(server: LocalRealtimeServer) -> None:
    fake = FakeTime()
    fake.hold = True
    session = RealtimeSession(
        KEY, base_url=server.url, session_properties={"output_modalities": ["text"]}, reconnect=fake.policy()
    )
    during_notice: list[bool] = []
    session.on(Reconnected, lambda _: during_notice.append(session.reconnecting))
    async with session:
        app = Recorder(session)
        await session.add_item("before")
        assert not session.reconnecting
        await server.connections[0].drop()
        await until(lambda: fake.delays)  # the reconnect is waiting out its backoff
        assert session.reconnecting
        queued = asyncio.create_task(session.add_item("while away"))
        await until(lambda: parked(queued))  # it ran, and waits: the backoff is held, no connection to use
        assert len(server.connections) == 1
        fake.release()
        async with asyncio.timeout(10):
            await queued
        await app.wait_for(lambda e: isinstance(e, Reconnected))
        assert not session.reconnecting and during_notice == [False]
        conn1 = server.connections[1]
        assert [words(i)[2] for i in conn1.items] == ["before", "while away"]
        # The app saw the queued item's own events after Reconnected.
        await app.wait_for(lambda e: e.type == "conversation.item.added", count=2)
        kinds = [e.type for e in app.events]
        assert kinds.index("sdk.reconnected") < max(
            i for i, k in enumerate(kinds) if k == "conversation.item.added"
        )


async def test_authentication_failure_on_reconnect_stops_after_one_attempt(
    server: LocalRealtimeServer,
) -> None:
    fake = FakeTime()
    session = RealtimeSession(KEY, base_url=server.url, reconnect=fake.policy())
    async with session:
        app = Recorder(session)
        server.fail_handshakes(401, 5)
        await server.connections[0].drop()
        error = await app.ended()
        assert isinstance(error, AuthenticationError)
        assert isinstance(error.__cause__, ConnectionClosed) and error.__cause__.code == 1006
        assert len(server._failures) == 4  # exactly one handshake was tried
        assert len(server.connections) == 1 and fake.delays == [0.5]
        with pytest.raises(AuthenticationError):
            await session.add_item("no")
        assert session.closed


async def test_backoff_then_give_up(server: LocalRealtimeServer) -> None:
    fake = FakeTime()
    jitter = iter([0.0, 1.0, 0.5])
    policy = ReconnectPolicy(
        sleep=fake.sleep, random=lambda: next(jitter), max_attempts=3, base_delay=1.0, max_delay=3.0
    )
    session = RealtimeSession(KEY, base_url=server.url, reconnect=policy)
    async with session:
        app = Recorder(session)
        server.fail_handshakes(503, 10)
        await server.connections[0].drop()
        error = await app.ended()
    assert isinstance(error, ConnectionClosed) and "gave up" in error.reason
    assert fake.delays == [0.5, 3.0, 3.0]  # 1*(1-0.5), min(3, 2*1.5), min(3, 4*1.0)
    assert len(server._failures) == 7


async def test_server_errors_are_retried_until_a_handshake_succeeds(server: LocalRealtimeServer) -> None:
    fake = FakeTime()
    session = RealtimeSession(KEY, base_url=server.url, reconnect=fake.policy())
    async with session:
        app = Recorder(session)
        server.fail_handshakes(503, 2)
        server.close_after("session.created", code=1011, reason="internal")  # for the next connection
        await session.add_item("hello")
        await server.connections[0].close(1012, "restart")
        notice = await app.wait_for(lambda e: isinstance(e, Reconnected))
        assert isinstance(notice, Reconnected)
        # 1012 → two 503s → a connection closed with 1011 right after greeting → a good one.
        assert notice.attempts == 4 and notice.code == 1012
        assert fake.delays == [0.5, 1.0, 2.0, 4.0]
        assert [words(i)[2] for i in server.connections[-1].items] == ["hello"]


async def test_a_normal_close_is_not_reconnected(server: LocalRealtimeServer) -> None:
    session = RealtimeSession(KEY, base_url=server.url, reconnect=FakeTime().policy())
    async with session:
        app = Recorder(session)
        await server.connections[0].close(1000, "bye")
        error = await app.ended()
    assert isinstance(error, ConnectionClosed) and error.code == 1000
    assert len(server.connections) == 1


async def test_rollover_waits_for_the_response_then_keeps_the_conversation() -> None:
    model = GatedModel()
    fake = FakeTime()
    async with LocalRealtimeServer(KEY, model=model, session_ttl=1800) as server:
        session = RealtimeSession(
            KEY,
            base_url=server.url,
            session_properties={"output_modalities": ["text"]},
            reconnect=fake.policy(rollover_margin=60),
        )
        # A new connection has a new expires_at: move the fake clock back so that one is far away.
        session.on(Reconnected, lambda _: setattr(fake, "offset", 0.0))
        async with session:
            app = Recorder(session)
            assert session.conversation.expires_at is not None
            await until(lambda: fake.timers)  # the timer waits for expires_at - 60 s
            assert 1700 < fake.timers[0] <= 1740
            await session.add_item("one")
            handle = await session.create_response()
            fake.advance(1800)
            await until(lambda: fake.fired)  # the rollover is due now...
            assert session.response_active and not session.reconnecting  # ...but waits for the response
            assert len(server.connections) == 1 and server.connections[0].close_code is None
            model.gate.set()
            assert (await handle.done()).status == "completed"
            notice = await app.wait_for(lambda e: isinstance(e, Reconnected))
            assert isinstance(notice, Reconnected)
            assert (notice.reason, notice.attempts, notice.code) == ("rollover", 1, None)
            conn0, conn1 = server.connections
            assert conn0.close_code == 1000
            assert [words(i) for i in conn1.items] == [words(i) for i in conn0.items]
            assert [i.id for i in conn1.items] == [i.id for i in session.conversation.items]
            second = await session.create_response()
            assert await second.text() == "gated reply"
            assert len(model.requests[-1].items) == 2  # it read the conversation from before
            assert "error" not in conn0.sent_types + conn1.sent_types
            assert session.conversation.session_id == conn1.session.id


async def test_session_expired_by_the_server_reconnects() -> None:
    async with LocalRealtimeServer(KEY, session_ttl=0.3) as server:
        fake = FakeTime()
        session = RealtimeSession(KEY, base_url=server.url, reconnect=fake.policy(rollover=False))
        async with session:
            app = Recorder(session)
            await session.add_item("kept")
            notice = await app.wait_for(lambda e: isinstance(e, Reconnected))
            assert isinstance(notice, Reconnected) and notice.reason == "expired"
            assert [words(i)[2] for i in server.connections[1].items] == ["kept"]
            expired = [e for e in app.events if e.type == "error"]
            assert len(expired) == 1


async def test_close_while_reconnecting_ends_everything(server: LocalRealtimeServer) -> None:
    fake = FakeTime()
    fake.hold = True
    session = RealtimeSession(KEY, base_url=server.url, reconnect=fake.policy())
    await session.connect()
    app = Recorder(session)
    await server.connections[0].drop()
    await until(lambda: fake.delays)
    assert session.reconnecting
    waiting = asyncio.create_task(session.add_item("never sent"))
    await until(lambda: parked(waiting))  # waits for a connection that the held backoff keeps away
    async with asyncio.timeout(10):
        await session.close()
        with pytest.raises(ConnectionClosed):
            await waiting
    assert not session.reconnecting and session.closed
    assert isinstance(await app.ended(), ConnectionClosed)
    assert len(server.connections) == 1


async def test_update_session_pending_at_a_drop_is_sent_again_on_the_new_connection(
    server: LocalRealtimeServer,
) -> None:
    fake = FakeTime()
    session = RealtimeSession(KEY, base_url=server.url, reconnect=fake.policy())
    async with session:
        app = Recorder(session)
        conn0 = server.connections[0]
        conn0.stall()  # the update arrives, its answer never leaves
        update = asyncio.create_task(session.update_session(instructions="keep me"))
        await conn0.wait_received(1)
        await conn0.drop()
        async with asyncio.timeout(10):
            updated = await update
        assert updated.instructions == "keep me"
        await app.wait_for(lambda e: isinstance(e, Reconnected))
        conn1 = server.connections[1]
        assert conn1.session.instructions == "keep me"
        assert session._config.instructions == "keep me"
        # Nothing pending twice: the next reconnect would send the same configuration.
        assert len(session._wire.waiters) == 0


async def test_create_response_waiting_for_an_active_one_goes_out_after_a_reconnect() -> None:
    model = GatedModel()
    fake = FakeTime()
    async with LocalRealtimeServer(KEY, model=model) as server:
        session = RealtimeSession(
            KEY,
            base_url=server.url,
            session_properties={"output_modalities": ["text"]},
            reconnect=fake.policy(),
        )
        async with session:
            app = Recorder(session)
            first = await session.create_response()
            await model.started.wait()
            assert session.response_active
            queued = asyncio.create_task(session.create_response())
            await until(lambda: parked(queued))  # waiting for the first to finish
            await server.connections[0].drop()
            with pytest.raises(ConnectionClosed):
                await first.done()
            notice = await app.wait_for(lambda e: isinstance(e, Reconnected))
            assert isinstance(notice, Reconnected) and notice.lost_responses == (first.id,)
            model.gate.set()
            async with asyncio.timeout(10):
                second = await queued
            assert (await second.done()).status == "completed"
            # The queued response.create never went out on the first connection, and went out on the new
            # one once.
            for conn in server.connections:
                assert [e.type for e in conn.received].count("response.create") == 1


async def test_the_key_is_never_logged_across_reconnects(
    server: LocalRealtimeServer, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    secret = "sk-reconnect-secret-0123456789"
    server.api_key = secret
    caplog.set_level(logging.DEBUG)
    fake = FakeTime()
    session = RealtimeSession(secret, base_url=server.url, reconnect=fake.policy())
    async with session:
        app = Recorder(session)
        await session.add_item("hello")
        await server.connections[0].drop()
        await app.wait_for(lambda e: isinstance(e, Reconnected))
        server.api_key = "sk-rotated"  # the next handshake is refused: 401
        await server.connections[1].drop()
        error = await app.ended()
    assert isinstance(error, AuthenticationError)
    assert "reconnect attempt 1 failed for good" in caplog.text  # the failing path was logged
    assert secret not in caplog.text
    assert secret not in str(error) and secret not in repr(error.__cause__)
    assert all(secret not in str(r.args) for r in caplog.records)


async def test_a_policy_sleep_that_returns_at_once_does_not_hold_the_event_loop() -> None:
    """A custom ``sleep`` that never suspends and a clock that never moves: the session still works."""

    async def no_wait(seconds: float) -> None:
        return None

    policy = ReconnectPolicy(sleep=no_wait, clock=lambda: 0.0, rollover_margin=60)
    async with LocalRealtimeServer(KEY, session_ttl=1800) as server:
        session = RealtimeSession(
            KEY, base_url=server.url, session_properties={"output_modalities": ["text"]}, reconnect=policy
        )
        async with asyncio.timeout(10), session:
            await session.add_item("still answering")  # needs the reader: the loop is not held
            assert (await (await session.create_response()).done()).status == "completed"
        assert not session.reconnecting
