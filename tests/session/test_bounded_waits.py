"""Bounded waits and cancellation: a silent server times requests out, a cancelled caller leaves nothing.

Either way the session stays usable, and a late answer is never handed to a later request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import pytest
from support import parked

from realtime_sdk import (
    ConfigurationError,
    ConnectTimeoutError,
    RealtimeSession,
    Reconnected,
    ReconnectPolicy,
    RequestTimeoutError,
    ResponseHandle,
    ServerError,
)
from realtime_sdk._generated import SessionUpdate
from realtime_sdk.events import SessionUpdated
from realtime_sdk.server import LocalRealtimeServer, ServerConnection

from .conftest import KEY, GatedModel, until

TIMEOUT = 0.2


async def test_a_stalled_server_times_every_request_out_then_answers_go_to_their_own_request(
    server: LocalRealtimeServer,
) -> None:
    async with asyncio.timeout(10), RealtimeSession(KEY, base_url=server.url, request_timeout=TIMEOUT) as s:
        item = await s.add_item("kept")
        conn = server.connections[0]
        conn.stall()
        with pytest.raises(RequestTimeoutError, match=r"session\.update"):
            await s.update_session(instructions="first")
        with pytest.raises(RequestTimeoutError):
            await s.retrieve_item(item.id)  # type: ignore[arg-type]
        with pytest.raises(RequestTimeoutError, match=r"response\.create"):
            await s.create_response(conversation="none")
        assert isinstance(RequestTimeoutError("x"), TimeoutError)
        conn.resume()
        # The stalled answers arrive now; each is taken by its own orphaned request, not by this one.
        updated = await s.update_session(instructions="second")
        assert updated.instructions == "second"
        assert s._config.instructions == "second"
        assert (await s.retrieve_item(item.id)).id == item.id  # type: ignore[arg-type]
        # The stalled answers came before these: every orphan got its own and left (a leak check).
        assert len(s._wire.waiters) == 0
        handle = await s.create_response(conversation="none", output_modalities=["text"])
        assert (await handle.done()).status == "completed"


async def test_a_timed_out_update_applied_late_is_kept(server: LocalRealtimeServer) -> None:
    """A timed-out update that the server applied late is in the SDK's configuration once confirmed."""
    async with asyncio.timeout(10), RealtimeSession(KEY, base_url=server.url, request_timeout=TIMEOUT) as s:
        late = confirmed(s, "late")
        server.connections[0].stall()
        with pytest.raises(RequestTimeoutError):
            await s.update_session(instructions="late")
        server.connections[0].resume()
        await late.wait()  # the app has the late session.updated
        # Nothing left to send: the server has it too.
        assert (await s.update_session(instructions="late")).instructions == "late"
        assert [e.type for e in server.connections[0].received].count("session.update") == 1


async def test_a_silent_active_response_does_not_block_create_response_forever() -> None:
    model = GatedModel()
    async with LocalRealtimeServer(KEY, model=model) as server:
        async with (
            asyncio.timeout(10),
            RealtimeSession(KEY, base_url=server.url, request_timeout=TIMEOUT) as s,
        ):
            first = await s.create_response()
            await model.started.wait()
            # The server went quiet with a response active: after request_timeout of silence the next
            # create asks the server, which refuses a racing response.create with a typed error.
            with pytest.raises(ServerError) as info:
                await s.create_response()
            assert info.value.code == "conversation_already_has_active_response"
            model.gate.set()
            assert (await first.done()).status == "completed"
            second = await s.create_response()
            assert (await second.done()).status == "completed"


async def test_connect_is_bounded_when_the_server_never_confirms(server: LocalRealtimeServer) -> None:
    server.stall_after("session.created")
    s = RealtimeSession(
        KEY, base_url=server.url, connect_timeout=TIMEOUT, session_properties={"instructions": "x"}
    )
    with pytest.raises(ConnectTimeoutError):
        async with asyncio.timeout(10):
            await s.connect()
    assert s.closed


@pytest.mark.parametrize("value", [0, -1.0])
def test_timeouts_must_be_positive(value: float) -> None:
    with pytest.raises(ConfigurationError, match="request_timeout"):
        RealtimeSession(KEY, base_url="ws://127.0.0.1:1/v1/realtime", request_timeout=value)


def confirmed(session: RealtimeSession, instructions: str) -> asyncio.Event:
    """Set once a ``session.updated`` with these instructions reached the app (after the session's own
    handling of it: handlers run after requests are answered)."""
    seen = asyncio.Event()

    def check(event: SessionUpdated) -> None:
        if getattr(event.session, "instructions", None) == instructions:
            seen.set()

    session.on(SessionUpdated, check)
    return seen


# -- a caller cancelled mid-way -------------------------------------------------------------------------


async def cancel_once_sent(conn: ServerConnection, request: Coroutine[Any, Any, Any]) -> None:
    """Run ``request`` against a stalled server, cancel it once the server has it, then resume."""
    conn.stall()
    task = asyncio.create_task(request)
    await conn.wait_received(len(conn.received) + 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_cancelled_update_session_keeps_configuration_in_step(server: LocalRealtimeServer) -> None:
    async with asyncio.timeout(10), RealtimeSession(KEY, base_url=server.url) as s:
        conn = server.connections[0]
        applied = confirmed(s, "A")
        await cancel_once_sent(conn, s.update_session(instructions="A"))
        conn.resume()
        await applied.wait()
        # The server applied A; the SDK knows: asking for A again sends nothing, the next change is sent.
        assert (await s.update_session(instructions="A")).instructions == "A"
        assert [e.type for e in conn.received].count("session.update") == 1
        back = await s.update_session(instructions="B")
        assert back.instructions == "B" and conn.session.instructions == "B"
        assert [e.type for e in conn.received].count("session.update") == 2
        assert len(s._wire.waiters) == 0  # the cancelled request's waiter left with its answer


async def test_cancelled_create_response_leaves_no_tag_and_the_response_is_tracked() -> None:
    model = GatedModel()
    async with LocalRealtimeServer(KEY, model=model) as server:
        async with asyncio.timeout(10), RealtimeSession(KEY, base_url=server.url) as s:
            conn = server.connections[0]
            started: list[ResponseHandle] = []
            s.on_response(started.append)
            await cancel_once_sent(conn, s.create_response())
            conn.resume()
            # response.created still arrives (its handle is announced): the response counts as active,
            # so the next create waits.
            await until(lambda: len(started) == 1)
            assert not started[0].started_by_server and s.response_active
            queued = asyncio.create_task(s.create_response())
            await until(lambda: parked(queued))  # held by the active response: the gate is shut
            assert [e.type for e in conn.received].count("response.create") == 1
            model.gate.set()
            second = await queued
            assert (await second.done()).status == "completed"
            assert not s.response_active
            # The queued create went out once, after the first ended: never refused, never sent twice.
            assert [e.type for e in conn.received].count("response.create") == 2
            assert "error" not in conn.sent_types
            assert not s._responses.handles and len(s._wire.waiters) == 0
            assert (await started[0].done()).status == "completed"


async def test_cancelled_refused_create_response_drops_its_tag(
    server: LocalRealtimeServer, session: RealtimeSession
) -> None:
    conn = server.connections[0]
    await cancel_once_sent(conn, session.create_response(conversation="bogus"))
    assert session._responses.handles  # sent: kept for its answer
    conn.resume()
    await session.add_item("round trip")  # answered after the refusal
    assert not session._responses.handles and len(session._wire.waiters) == 0  # the refusal took the tag away


async def test_cancelled_handle_done_does_not_cancel_the_response(session: RealtimeSession) -> None:
    handle = await session.create_response()
    started = asyncio.Event()

    async def wait_done() -> object:
        started.set()
        return await handle.done()  # suspends here before the test goes on

    waiting = asyncio.create_task(wait_done())
    await started.wait()
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert (await handle.done()).status == "completed"
    assert await handle.text()


async def test_cancel_before_sending_sends_nothing(server: LocalRealtimeServer) -> None:
    backoff = asyncio.Event()

    async def held(seconds: float) -> None:  # the reconnect's backoff lasts until the test ends it
        await backoff.wait()

    policy = ReconnectPolicy(sleep=held, random=lambda: 0.5, rollover=False)  # no timer sleeps
    async with asyncio.timeout(10), RealtimeSession(KEY, base_url=server.url, reconnect=policy) as s:
        reconnected = asyncio.Event()
        s.on(Reconnected, lambda _: reconnected.set())
        await server.connections[0].drop()
        await until(lambda: s.reconnecting)  # sends wait at the gate from now on
        update = asyncio.create_task(s.update_session(instructions="never"))
        # Cancelled only once it has run and is parked at the gate: a task cancelled before its first
        # step would run none of the SDK's code, and the checks below would hold whatever it does.
        await until(lambda: parked(update))
        update.cancel()
        with pytest.raises(asyncio.CancelledError):
            await update
        backoff.set()
        await reconnected.wait()
        assert len(s._wire.waiters) == 0  # nothing left behind by the cancelled request
        await s.add_item("after")
        assert len(server.connections) == 2
        for conn in server.connections:
            assert "session.update" not in [e.type for e in conn.received]


async def test_unencodable_input_is_a_typed_error_and_loses_nothing(session: RealtimeSession) -> None:
    bad = SessionUpdate(session={"type": "realtime", "metadata": object()})  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match=r"session\.update"):
        await session.send(bad)
    assert (await session.add_item("fine")).id is not None
