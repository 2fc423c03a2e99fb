"""``session.responses()`` / ``on_response``: a handle for every response, whoever started it.

Against the local server: server VAD answering a spoken turn, barge-in over that answer, push-to-talk,
``create_response`` and the SDK's own tool follow-ups all come out of the same loop.
"""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest

from realtime_sdk import ConnectionClosed, RealtimeSession, ResponseHandle, tool
from realtime_sdk._generated import Error, ResponseCancel
from realtime_sdk.server import LocalRealtimeServer, Reply, ScriptedModel

from .conftest import KEY


def tone_24k(ms: int, freq: float = 300.0, level: float = 0.3) -> bytes:
    t = np.arange(24 * ms) / 24000
    return (np.sin(2 * np.pi * freq * t) * level * 32767).astype("<i2").tobytes()


def silence_24k(ms: int) -> bytes:
    return bytes(48 * ms)


def errors_of(session: RealtimeSession) -> list[Error]:
    seen: list[Error] = []
    session.add_observer(lambda e: seen.append(e) if isinstance(e, Error) else None)
    return seen


async def test_a_spoken_turn_under_server_vad_yields_a_handle_with_the_reply() -> None:
    reply = tone_24k(400, freq=440)
    async with (
        asyncio.timeout(20),
        LocalRealtimeServer(KEY, model=ScriptedModel([Reply.audio(reply, "hello there")])) as server,
        RealtimeSession(KEY, base_url=server.url) as session,  # the server's default: server VAD
    ):
        errors = errors_of(session)
        responses = session.responses()
        await session.send_audio(tone_24k(600, freq=500, level=0.5) + silence_24k(1200))
        handle = await anext(responses)
        assert handle.started_by_server
        done = await handle.done()
        assert done.status == "completed" and handle.id == done.id
        assert await handle.text() == "hello there"
        at_48k = await handle.audio(sample_rate=48000)
        assert len(at_48k) == 2 * len(reply)  # twice the samples, nothing lost or added
        assert await handle.audio() == reply  # the wire bytes, as the server sent them
        assert errors == [] and "error" not in server.connections[0].sent_types


async def test_barge_in_over_a_vad_response_ends_its_handle_cancelled_with_a_clean_truncate() -> None:
    async with (
        asyncio.timeout(20),
        LocalRealtimeServer(
            KEY, model=ScriptedModel([Reply.audio(tone_24k(3000), "a long answer")]), pace_audio=True
        ) as server,
        RealtimeSession(KEY, base_url=server.url) as session,
    ):
        errors = errors_of(session)
        truncated = asyncio.get_running_loop().create_future()
        session.on("conversation.item.truncated", lambda e: truncated.done() or truncated.set_result(e))
        stream = session.output_audio(sample_rate=48000)
        responses = session.responses()
        await session.send_audio(tone_24k(600, freq=500, level=0.5) + silence_24k(1200))
        handle = await anext(responses)
        first = await anext(stream)
        assert getattr(first, "response_id", None) == handle.id
        session.mark_played(first.item_id, 80)
        await session.send_audio(tone_24k(300, freq=500, level=0.5))  # the user talks over the reply
        event = await truncated
        assert (event.item_id, event.audio_end_ms) == (first.item_id, 80)
        assert (await handle.done()).status == "cancelled"
        await session.clear_audio()  # acknowledged: everything sent before it was handled
        assert errors == [] and "error" not in server.connections[0].sent_types
        assert [e for e in server.connections[0].received if isinstance(e, ResponseCancel)] == []


MANUAL: dict[str, Any] = {"audio": {"input": {"turn_detection": None}}}


async def test_push_to_talk_create_response_and_callbacks_see_the_same_handles() -> None:
    replies = [Reply.audio(tone_24k(200), "one"), Reply.text("two")]
    async with (
        asyncio.timeout(20),
        LocalRealtimeServer(KEY, model=ScriptedModel(replies)) as server,
        RealtimeSession(KEY, base_url=server.url, session_properties=MANUAL) as session,
    ):
        called: list[ResponseHandle] = []
        session.on_response(called.append)
        responses = session.responses()
        async with session.push_to_talk() as turn:
            await turn.send(tone_24k(400, freq=500, level=0.5), sample_rate=24000)
        assert turn.response is not None
        from_loop = await anext(responses)
        assert from_loop is turn.response
        assert await from_loop.text() == "one"
        await session.add_item("and now?")
        asked = await session.create_response()
        assert await anext(responses) is asked and not asked.started_by_server
        assert await asked.text() == "two"
        assert called == [turn.response, asked]


async def test_a_tool_follow_up_comes_out_of_the_loop_too() -> None:
    @tool
    def weather(city: str) -> str:
        """The weather in a city."""
        return f"{city}: sunny"

    replies = [Reply.function_call("weather", '{"city": "Oslo"}'), Reply.text("It is sunny in Oslo.")]
    async with (
        asyncio.timeout(20),
        LocalRealtimeServer(KEY, model=ScriptedModel(replies)) as server,
        RealtimeSession(KEY, base_url=server.url, session_properties=MANUAL, tools=[weather]) as session,
    ):
        responses = session.responses()
        await session.add_item("weather in Oslo?")
        first = await session.create_response()
        assert await anext(responses) is first
        follow_up = await anext(responses)
        assert follow_up is await first.final()
        assert await follow_up.text() == "It is sunny in Oslo."


async def test_the_loop_ends_with_the_error_that_ended_the_session(session: RealtimeSession) -> None:
    responses = session.responses()
    await session.close()
    with pytest.raises(ConnectionClosed):
        await anext(responses)
