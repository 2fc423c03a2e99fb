"""``LocalRealtimeServer.session_options()`` and ``openai_or_local()``: choosing a backend in one line."""

from __future__ import annotations

import asyncio

import pytest

from realtime_sdk import ConnectError, RealtimeSession
from realtime_sdk.server import LocalRealtimeServer, Reply, ScriptedModel, openai_or_local
from realtime_sdk.session import DEFAULT_URL


async def test_session_options_connect_to_the_server() -> None:
    async with LocalRealtimeServer("sk-this-server") as server:
        assert server.session_options() == {"api_key": "sk-this-server", "base_url": server.url}
        async with asyncio.timeout(10), RealtimeSession(**server.session_options()) as session:
            assert not session.closed


async def test_a_server_without_auth_never_gets_the_environment_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real-secret")
    async with LocalRealtimeServer(None) as server:
        options = server.session_options()
        assert options["api_key"] is not None and "secret" not in options["api_key"]


async def test_openai_or_local_without_a_key_runs_a_local_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    async with openai_or_local(ScriptedModel([Reply.text("scripted")])) as endpoint:
        assert endpoint["base_url"].startswith("ws://127.0.0.1:")
        async with asyncio.timeout(10), RealtimeSession(**endpoint) as session:
            await session.add_item("hi")
            assert await (await session.create_response()).text() == "scripted"
    with pytest.raises(ConnectError):  # the server stopped with the block
        await RealtimeSession(**endpoint).connect()


async def test_openai_or_local_with_a_key_points_at_openai(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real")
    async with openai_or_local() as endpoint:
        assert endpoint == {"api_key": None, "base_url": DEFAULT_URL}  # the session reads the key itself
