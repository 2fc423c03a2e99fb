"""Closing: however the connection ends, every waiter wakes with ConnectionClosed and no task is left."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from support import parked

from realtime_sdk import ConnectionClosed, RealtimeSession
from realtime_sdk.server import LocalRealtimeServer

from .conftest import KEY, GatedModel, ThreadedServer, until


async def test_server_close_during_iteration(server: LocalRealtimeServer, session: RealtimeSession) -> None:
    conn = server.connections[0]
    seen: list[str] = []

    async def iterate() -> None:
        async for event in session:
            seen.append(event.type)

    task = asyncio.create_task(iterate())
    await conn.close(4001, "going away now")
    async with asyncio.timeout(5):
        with pytest.raises(ConnectionClosed) as info:
            await task
    assert info.value.code == 4001
    assert info.value.reason == "going away now"
    assert seen == ["session.created"]  # buffered events come first, then the error
    assert session.closed


async def test_drop_during_iteration(server: LocalRealtimeServer, session: RealtimeSession) -> None:
    task = asyncio.create_task(_drain(session))
    await server.connections[0].drop()
    async with asyncio.timeout(5):
        with pytest.raises(ConnectionClosed) as info:
            await task
    assert info.value.code == 1006


async def _drain(session: RealtimeSession) -> None:
    async for _ in session:
        pass


async def test_close_from_another_task_wakes_everything() -> None:
    model = GatedModel()
    async with LocalRealtimeServer(KEY, model=model) as srv:
        s = RealtimeSession(KEY, base_url=srv.url)
        await s.connect()
        handle = await s.create_response()
        await model.started.wait()
        conn = srv.connections[0]
        conn.stall()  # no acknowledgement will ever come
        sent = len(conn.received)
        iterator = asyncio.create_task(_drain(s))
        update = asyncio.create_task(s.update_session(instructions="never confirmed"))
        done = asyncio.create_task(handle.done())
        queued = asyncio.create_task(s.create_response())  # waits for the active response
        tasks = (iterator, update, done, queued)
        async with asyncio.timeout(10):
            # Every call waits already (not merely refused later because the session is closed): each
            # has run to an await; the update is at the server; the create is held by the active response.
            await conn.wait_received(sent + 1)
            await until(lambda: all(map(parked, tasks)))
            assert [e.type for e in conn.received[sent:]] == ["session.update"]
            assert s.response_active
            await s.close()
            for task in tasks:
                with pytest.raises(ConnectionClosed):
                    await task
        srv.connections[0].resume()


async def test_send_after_close_and_double_close(session: RealtimeSession) -> None:
    await session.close()
    await session.close()
    with pytest.raises(ConnectionClosed):
        await session.add_item("too late")
    with pytest.raises(ConnectionClosed):
        await session.append_audio(b"\x00\x00")
    with pytest.raises(ConnectionClosed):
        await session.create_response()


async def test_leaving_the_block_with_an_exception_closes(server: LocalRealtimeServer) -> None:
    with pytest.raises(ZeroDivisionError):
        async with asyncio.timeout(10), RealtimeSession(KEY, base_url=server.url) as s:
            1 / 0  # noqa: B018
    assert s.closed
    async with asyncio.timeout(5):
        await server.connections[0].closed.wait()
    assert server.connections[0].close_code == 1000


async def test_slow_async_handler_is_cancelled_at_close(server: LocalRealtimeServer) -> None:
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def forever(event: Any) -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.set()

    async with asyncio.timeout(10):
        async with RealtimeSession(KEY, base_url=server.url, close_timeout=0.05) as s:
            s.on("conversation.item.added", forever)
            await s.add_item("hi")
            await started.wait()
        assert cancelled.is_set()


async def test_handler_may_close_the_session(server: LocalRealtimeServer) -> None:
    async with asyncio.timeout(10), RealtimeSession(KEY, base_url=server.url) as s:

        async def close_it(event: Any) -> None:
            await s.close()

        s.on("conversation.item.added", close_it)
        await s.add_item("bye")  # acknowledged before handlers run
        with pytest.raises(ConnectionClosed):
            await _drain(s)
        assert s.closed


# -- no task left behind: the server runs in another thread, so this loop holds only the SDK's tasks --------


@pytest.mark.parametrize("ending", ["block", "server_close", "drop", "handler_running"])
async def test_no_task_left_behind(threaded_server: ThreadedServer, ending: str) -> None:
    srv = threaded_server.server
    assert srv is not None
    before = asyncio.all_tasks()
    async with asyncio.timeout(10):
        async with RealtimeSession(KEY, base_url=srv.url, close_timeout=0.05) as s:
            if ending == "handler_running":
                s.on("conversation.item.added", lambda e: asyncio.Event().wait())
            await s.add_item("hello")
            handle = await s.create_response()
            if ending == "server_close":
                await threaded_server.acall(srv.connections[0].close(1000, "bye"))
                with pytest.raises(ConnectionClosed):
                    await _drain(s)
            elif ending == "drop":
                await threaded_server.acall(srv.connections[0].drop())
                with pytest.raises(ConnectionClosed):
                    await _drain(s)
            else:
                await handle.done()
    assert asyncio.all_tasks() == before


async def _quiet_server(handler: Any) -> tuple[Any, int]:
    from aiohttp import web

    app = web.Application()
    app.router.add_get("/v1/realtime", handler)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]


GREETING = (
    '{"type": "session.created", "event_id": "e1", "session": {"type": "realtime", "id": "s", '
    '"object": "realtime.session"}}'
)


async def test_a_quiet_peer_that_answers_pings_keeps_the_session() -> None:
    """Nothing but pongs for many heartbeats: the watchdog's pings are answered, the session stays open."""
    from aiohttp import WSMsgType, web

    pings = 0

    async def quiet(request: web.Request) -> web.WebSocketResponse:
        nonlocal pings
        ws = web.WebSocketResponse(autoping=False)
        await ws.prepare(request)
        await ws.send_str(GREETING)
        async for msg in ws:
            if msg.type is WSMsgType.PING:
                pings += 1
                await ws.pong(msg.data)
        return ws

    runner, port = await _quiet_server(quiet)
    try:
        async with asyncio.timeout(10):
            async with RealtimeSession(
                KEY, base_url=f"ws://127.0.0.1:{port}/v1/realtime", heartbeat=0.1
            ) as s:
                await until(lambda: pings >= 4)  # four quiet intervals, each answered
                assert not s.closed
    finally:
        await runner.cleanup()


async def test_the_servers_pings_are_answered() -> None:
    """The reader answers the server's pings itself (aiohttp's autoping is off under the watchdog)."""
    from aiohttp import WSMsgType, web

    pongs: list[bytes] = []

    async def pinging(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=False)
        await ws.prepare(request)
        await ws.send_str(GREETING)
        await ws.ping(b"are you there")
        async for msg in ws:
            if msg.type is WSMsgType.PONG:
                pongs.append(msg.data)
        return ws

    runner, port = await _quiet_server(pinging)
    try:
        async with asyncio.timeout(10):
            async with RealtimeSession(KEY, base_url=f"ws://127.0.0.1:{port}/v1/realtime") as s:
                await until(lambda: pongs == [b"are you there"])
                assert not s.closed
    finally:
        await runner.cleanup()


async def test_missed_heartbeat_ends_the_session() -> None:
    """A peer that stops answering pings: the heartbeat notices and every waiter gets ConnectionClosed."""
    from aiohttp import web

    async def mute(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=False)  # never answers the client's pings
        await ws.prepare(request)
        await ws.send_str(
            '{"type": "session.created", "event_id": "e1", "session": {"type": "realtime", "id": "s", '
            '"object": "realtime.session"}}'
        )
        async for _ in ws:
            pass
        return ws

    app = web.Application()
    app.router.add_get("/v1/realtime", mute)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with asyncio.timeout(10):
            async with RealtimeSession(
                KEY, base_url=f"ws://127.0.0.1:{port}/v1/realtime", heartbeat=0.1
            ) as s:
                with pytest.raises(ConnectionClosed) as info:
                    await s.update_session(instructions="never answered")
                assert info.value.code == 1006
    finally:
        await runner.cleanup()
