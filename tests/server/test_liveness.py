"""Faults a client's liveness checks must catch: binary frames, and a server that stops answering pings.

The heartbeat tests use a plain aiohttp client with ``heartbeat=0.2``: aiohttp pings after 0.2 s without
traffic and gives up 0.1 s later without a pong.  Every wait is on an event (a frame, a counted ping, the
connection ending) under a hang guard; none is a sleep.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import pytest

from realtime_sdk.server import LocalRealtimeServer

from .conftest import KEY, Client

HEARTBEAT = 0.2
GUARD = 5.0  # far above the 0.3 s a missed heartbeat takes: only a hang reaches it


@pytest.fixture
def heartbeat_client(http: aiohttp.ClientSession):
    @asynccontextmanager
    async def _open(srv: LocalRealtimeServer, heartbeat: float = HEARTBEAT) -> AsyncIterator[Client]:
        async with http.ws_connect(
            srv.url + "?model=gpt-realtime", headers={"Authorization": f"Bearer {KEY}"}, heartbeat=heartbeat
        ) as ws:
            client = Client(ws)
            await client.session_created()
            yield client

    return _open


async def test_send_raw_binary_frame_in_order_with_events(server, connect) -> None:
    async with connect(server) as client:
        conn = await server.wait_for_connection()
        await client.send({"type": "input_audio_buffer.clear"})
        await conn.wait_received(1)
        await conn.send_raw(b"\x00\xffnot text", binary=True)
        await conn.send_raw("{not json either")
        assert (await client.recv()).type == "input_audio_buffer.cleared"
        binary = await client.recv_raw()
        assert (binary.type, binary.data) == (aiohttp.WSMsgType.BINARY, b"\x00\xffnot text")
        text = await client.recv_raw()
        assert (text.type, text.data) == (aiohttp.WSMsgType.TEXT, "{not json either")
        assert conn.sent_types == [
            "session.created",
            "input_audio_buffer.cleared",
        ]  # raw frames are not events


async def test_pings_are_answered_while_not_frozen(server, heartbeat_client) -> None:
    # a slower heartbeat here (0.2 s to answer each ping), so a busy machine cannot make it expire
    async with heartbeat_client(server, heartbeat=0.4) as client:
        conn = await server.wait_for_connection()
        reading = asyncio.ensure_future(client.ws.receive())
        async with asyncio.timeout(GUARD):
            await conn.wait_pings(answered=2)  # two heartbeats: 0.8 s of an idle connection
        assert not reading.done() and not client.ws.closed
        assert conn.pings_ignored == 0
        await client.send({"type": "input_audio_buffer.clear"})
        async with asyncio.timeout(GUARD):
            msg = await reading
        assert msg.type == aiohttp.WSMsgType.TEXT and b"input_audio_buffer.cleared" in msg.data.encode()


async def test_frozen_server_lets_the_client_heartbeat_expire(server, heartbeat_client) -> None:
    async with heartbeat_client(server) as client:
        conn = await server.wait_for_connection()
        conn.freeze()
        await client.send({"type": "input_audio_buffer.clear"})
        async with asyncio.timeout(GUARD):
            msg = await client.ws.receive()
        assert msg.type == aiohttp.WSMsgType.ERROR
        assert isinstance(msg.data, aiohttp.ServerTimeoutError), msg
        assert client.ws.close_code == 1006
        assert conn.pings_ignored >= 1 and conn.pings_answered == 0
        async with asyncio.timeout(GUARD):
            await conn.closed.wait()  # the reader still saw the client go away
        assert conn.received == []  # the frozen server never handled the clear
        assert conn.sent_types == ["session.created"]


async def test_freeze_after_event(heartbeat_client) -> None:
    async with LocalRealtimeServer() as srv:
        srv.freeze_after("session.created")
        async with heartbeat_client(srv) as client:
            async with asyncio.timeout(GUARD):
                msg = await client.ws.receive()
            assert msg.type == aiohttp.WSMsgType.ERROR
            assert isinstance(msg.data, aiohttp.ServerTimeoutError), msg
        assert srv.connections[0].pings_ignored >= 1


async def test_thaw_handles_the_held_frames_in_order(server, connect) -> None:
    async with connect(server) as client:
        conn = await server.wait_for_connection()
        conn.freeze()
        await client.send({"type": "input_audio_buffer.clear", "event_id": "first"})
        await client.send({"type": "conversation.item.retrieve", "item_id": "nope", "event_id": "second"})
        await client.ws.ping()
        async with asyncio.timeout(GUARD):
            await conn.wait_pings(ignored=1)  # the ping came after both frames: both are held
        assert conn.received == []
        conn.thaw()
        assert [getattr(e, "event_id", None) for e in conn.received] == ["first", "second"]
        assert (await client.recv()).type == "input_audio_buffer.cleared"
        error = await client.error()
        assert (error.error.code, error.error.event_id) == ("item_retrieve_invalid_item_id", "second")
        await client.ws.ping()
        async with asyncio.timeout(GUARD):
            await conn.wait_pings(answered=1)
