"""The one door every server frame goes through in these tests: ``Client.recv``.

``Client`` is a plain aiohttp websocket client (deliberately not the SDK's session).  Each frame it
receives is decoded with ``realtime_sdk.events.decode`` and must come out as a typed generated event —
never ``UnknownServerEvent`` — or the test fails right there.  The only bypass is ``recv_raw``, used by the
fault test that makes the server send a malformed frame on purpose.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import msgspec
import numpy as np
import pytest

from realtime_sdk import events
from realtime_sdk._generated import Error
from realtime_sdk.server import LocalRealtimeServer

KEY = "sk-local-test"
RECV_TIMEOUT = 10.0


def assert_typed(data: bytes | str) -> events.ServerEvent:
    """Every server frame must decode to a typed generated event."""
    event = events.decode(data)
    assert not isinstance(event, events.UnknownServerEvent), (
        f"untyped server event: {event.error}: {data!r:.300}"
    )
    return event


class Client:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.events: list[events.ServerEvent] = []
        self._n = 0

    async def send(self, event: dict[str, Any] | msgspec.Struct) -> None:
        data = json.dumps(event) if isinstance(event, dict) else events.encode(event).decode()
        await self.ws.send_str(data)

    async def recv_raw(self) -> aiohttp.WSMessage:
        return await self.ws.receive(timeout=RECV_TIMEOUT)

    async def recv(self) -> events.ServerEvent:
        msg = await self.ws.receive(timeout=RECV_TIMEOUT)
        assert msg.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY), f"connection ended: {msg}"
        event = assert_typed(msg.data)
        self.events.append(event)
        return event

    async def until(self, event_type: str) -> list[events.ServerEvent]:
        """Receive up to and including the next event of ``event_type``; return them all."""
        got: list[events.ServerEvent] = []
        while True:
            event = await self.recv()
            got.append(event)
            if event.type == event_type:
                return got

    async def expect(self, event_type: str) -> Any:
        """The next event of ``event_type`` (others in between are kept in ``events``)."""
        return (await self.until(event_type))[-1]

    async def error(self) -> Error:
        event: Error = await self.expect("error")
        return event

    async def session_created(self) -> Any:
        first = await self.recv()
        assert first.type == "session.created"
        return first

    async def closed(self) -> aiohttp.WSMessage:
        """Read until the connection ends; return the closing message."""
        while True:
            msg = await self.ws.receive(timeout=RECV_TIMEOUT)
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                return msg
            if msg.type == aiohttp.WSMsgType.ERROR:
                return msg
            assert_typed(msg.data)


Connect = Callable[..., Any]


@pytest.fixture
async def server() -> AsyncIterator[LocalRealtimeServer]:
    async with LocalRealtimeServer(rate_limits="every") as srv:
        yield srv


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def connect(http: aiohttp.ClientSession) -> Callable[..., Any]:
    """``async with connect(server) as client:`` — authenticated, ``session.created`` already read."""

    @asynccontextmanager
    async def _connect(
        srv: LocalRealtimeServer,
        *,
        query: str = "?model=gpt-realtime",
        headers: dict[str, str] | None = None,
        read_created: bool = True,
    ) -> AsyncIterator[Client]:
        hdrs = {"Authorization": f"Bearer {KEY}"} if headers is None else headers
        async with http.ws_connect(srv.url + query, headers=hdrs, max_msg_size=16 * 2**20) as ws:
            client = Client(ws)
            if read_created:
                await client.session_created()
            yield client

    return _connect


# -- audio helpers ---------------------------------------------------------------------------------
def silence(ms: int, rate: int = 24000) -> np.ndarray[Any, np.dtype[np.int16]]:
    return np.zeros(rate * ms // 1000, dtype=np.int16)


def tone(
    ms: int, rate: int = 24000, level: float = 0.3, freq: float = 300.0
) -> np.ndarray[Any, np.dtype[np.int16]]:
    t = np.arange(rate * ms // 1000) / rate
    return (np.sin(2 * np.pi * freq * t) * level * 32767).astype(np.int16)


def b64(samples: np.ndarray[Any, Any] | bytes) -> str:
    data = samples if isinstance(samples, bytes) else samples.astype("<i2").tobytes()
    return base64.b64encode(data).decode()


async def append_audio(
    client: Client, samples: np.ndarray[Any, Any] | bytes, chunk_ms: int = 100, rate: int = 24000
) -> None:
    data = samples if isinstance(samples, bytes) else samples.astype("<i2").tobytes()
    width = 1 if isinstance(samples, bytes) else 2
    step = rate * chunk_ms // 1000 * width
    for i in range(0, len(data), step):
        await client.send(
            {"type": "input_audio_buffer.append", "audio": base64.b64encode(data[i : i + step]).decode()}
        )


def manual_session(**extra: Any) -> dict[str, Any]:
    """A session.update switching turn detection off (manual turns)."""
    session: dict[str, Any] = {"type": "realtime", "audio": {"input": {"turn_detection": None}}}
    session.update(extra)
    return {"type": "session.update", "session": session}


AwaitableClient = Awaitable[Client]
