"""A translation server that misbehaves cannot crash or hang a TranslationSession."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import pytest
from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer

from realtime_sdk import ServerError, TranslationSession, events

CREATED = {
    "type": "session.created",
    "event_id": "e0",
    "session": {
        "id": "sess_1",
        "type": "translation",
        "expires_at": 0,
        "model": "gpt-realtime-translate",
        "audio": {"input": {}, "output": {"language": "es"}},
    },
}

Script = Callable[[web.WebSocketResponse], Coroutine[Any, Any, None]]


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Script], Coroutine[Any, Any, str]]]:
    servers: list[TestServer] = []

    async def start(script: Script) -> str:
        async def handler(request: web.Request) -> web.WebSocketResponse:
            ws = web.WebSocketResponse()
            await ws.prepare(request)
            await script(ws)
            return ws

        app = web.Application()
        app.router.add_get("/v1/realtime/translations", handler)
        server = TestServer(app)
        await server.start_server()
        servers.append(server)
        return f"ws://127.0.0.1:{server.port}/v1/realtime"

    yield start
    for server in servers:
        await server.close()


async def test_a_server_that_never_sends_session_closed_is_dropped_after_close_timeout(serve: Any) -> None:
    async def never_closes(ws: web.WebSocketResponse) -> None:
        await ws.send_str(json.dumps(CREATED))
        async for _ in ws:  # reads everything, answers nothing
            pass

    url = await serve(never_closes)
    session = TranslationSession("sk-test", base_url=url, close_timeout=0.5, keep_alive_silence=False)
    await session.connect()
    started = time.monotonic()
    await session.close()
    assert time.monotonic() - started < 5 and session.closed and not session.flushed


async def test_garbage_unknown_events_and_errors_do_not_end_the_session(serve: Any) -> None:
    async def noisy(ws: web.WebSocketResponse) -> None:
        await ws.send_str(json.dumps(CREATED))
        await ws.send_str("not json at all")
        await ws.send_str(json.dumps({"type": "session.hologram", "event_id": "e1"}))
        await ws.send_str(
            json.dumps({"type": "session.output_transcript.delta", "event_id": "e2", "delta": 5})
        )
        await ws.send_str(
            json.dumps(
                {
                    "type": "error",
                    "event_id": "e3",
                    "error": {"type": "invalid_request_error", "message": "x"},
                }
            )
        )
        await ws.send_bytes(b"\x00\x01")
        async for msg in ws:
            if msg.type is WSMsgType.TEXT and json.loads(msg.data)["type"] == "session.update":
                update_id = json.loads(msg.data)["event_id"]
                error = {
                    "type": "invalid_request_error",
                    "code": "nope",
                    "message": "no",
                    "event_id": update_id,
                }
                await ws.send_str(json.dumps({"type": "error", "event_id": "e4", "error": error}))
            elif msg.type is WSMsgType.TEXT and json.loads(msg.data)["type"] == "session.close":
                await ws.send_str(json.dumps({"type": "session.closed", "event_id": "e5"}))
                await ws.close()

    url = await serve(noisy)
    async with TranslationSession("sk-test", base_url=url, keep_alive_silence=False) as session:
        with pytest.raises(ServerError) as refused:
            await session.update_session(output_language="fr")  # matched to its request by event_id
        assert refused.value.code == "nope"
    assert session.flushed
    async with asyncio.timeout(5):
        got = [e async for e in session.events()]
    kinds = [e.type for e in got]
    assert kinds[0] == "session.created" and kinds[-1] == "session.closed"
    unknown = [e for e in got if isinstance(e, events.UnknownTranslationServerEvent)]
    assert [(u.type, u.known_type) for u in unknown] == [
        ("session.hologram", False),
        ("session.output_transcript.delta", True),
    ]
