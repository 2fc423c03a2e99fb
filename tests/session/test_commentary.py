"""A preamble (``phase: "commentary"``) is the handle's commentary, never part of its answer."""

from __future__ import annotations

import asyncio

import pytest

from realtime_sdk import RealtimeSession, tool
from realtime_sdk.server import LocalRealtimeServer, Reply, ScriptedModel

from .conftest import KEY


@tool
def lookup(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


@pytest.mark.parametrize("modality", ["text", "audio"])
async def test_a_preamble_before_a_tool_call_is_commentary_and_the_answer_is_the_text(modality: str) -> None:
    model = ScriptedModel(
        [
            Reply.text("Let me check that.") + Reply.function_call("lookup", {"city": "Oslo"}),
            Reply.text("Oslo: sunny."),
        ]
    )
    async with (
        asyncio.timeout(10),
        LocalRealtimeServer(KEY, model=model, default_model="gpt-realtime-2.1") as server,
        RealtimeSession(
            KEY,
            base_url=server.url,
            model="gpt-realtime-2.1",
            tools=[lookup],
            session_properties={"output_modalities": [modality]},
        ) as s,
    ):
        await s.add_item("What is the weather in Oslo?")
        first = await s.create_response()
        assert await first.commentary() == "Let me check that."
        assert await first.text() == ""  # the preamble is not the answer
        final = await first.final()
        assert final is not first
        assert await final.text() == "Oslo: sunny."
        assert await final.commentary() == ""


async def test_a_model_without_phases_has_no_commentary() -> None:
    model = ScriptedModel([Reply.text("Plain answer.")])
    async with (
        asyncio.timeout(10),
        LocalRealtimeServer(KEY, model=model) as server,
        RealtimeSession(KEY, base_url=server.url, model="gpt-realtime") as s,
    ):
        handle = await s.create_response()
        assert await handle.text() == "Plain answer."
        assert await handle.commentary() == ""


async def test_the_confirmed_session_is_the_servers_last_word_typed_present() -> None:
    from realtime_sdk import ConnectionClosed

    async with asyncio.timeout(10), LocalRealtimeServer(KEY) as server:
        s = RealtimeSession(KEY, base_url=server.url, model="gpt-realtime-2.1")
        with pytest.raises(ConnectionClosed):
            _ = s.confirmed
        async with s:
            assert s.confirmed.audio.output.voice == "marin"  # gpt-realtime-2.1's default (recorded)
            await s.update_session({"audio": {"output": {"voice": "cedar"}}})
            assert s.confirmed.audio.output.voice == "cedar"
            assert s.confirmed is s.confirmed  # converted once per confirmation
