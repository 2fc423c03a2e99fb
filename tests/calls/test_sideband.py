"""A session attached to a call (a sideband) against the local server, which behaves like the service there:
no session.created, no audio deltas (output_audio_buffer.started / stopped instead), DTMF from the caller."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from realtime_sdk import AudioOnCallError, RealtimeError, RealtimeSession, events
from realtime_sdk.server import LocalRealtimeServer

KEY = "sk-local-test"
CALL = "rtc_sideband_test"


@pytest.fixture
async def server() -> AsyncIterator[LocalRealtimeServer]:
    async with LocalRealtimeServer(KEY) as srv:
        yield srv


@pytest.fixture
async def paced() -> AsyncIterator[LocalRealtimeServer]:
    # The call's audio plays in real time, so an interruption can land in the middle of it.
    async with LocalRealtimeServer(KEY, pace_audio=True) as srv:
        yield srv


async def _next(it: AsyncIterator[object], kind: str) -> object:
    async for event in it:
        if getattr(event, "type", None) == kind:
            return event
    raise AssertionError(f"the session ended before {kind}")


async def test_dtmf_reaches_the_hook_and_the_event_stream(server: LocalRealtimeServer) -> None:
    pressed: list[tuple[str, int]] = []
    two = asyncio.Event()
    async with asyncio.timeout(10), RealtimeSession.attach(CALL, KEY, base_url=server.url) as s:

        @s.on_dtmf
        async def press(digit: str, received_at: int) -> None:
            pressed.append((digit, received_at))
            if len(pressed) == 2:
                two.set()

        it = aiter(s)
        await server.wait_for_connection(0)
        assert server.call_control.send_dtmf(CALL, "7#") == 1
        first = await _next(it, "input_audio_buffer.dtmf_event_received")
        assert isinstance(first, events.InputAudioBufferDtmfEventReceived)
        assert first.event == "7"
        await two.wait()
    assert [digit for digit, _ in pressed] == ["7", "#"]
    assert pressed[0][1] == first.received_at


async def test_output_audio_says_the_audio_travels_over_the_call(server: LocalRealtimeServer) -> None:
    async with asyncio.timeout(10), RealtimeSession.attach(CALL, KEY, base_url=server.url) as s:
        with pytest.raises(AudioOnCallError, match="over the call") as info:
            s.output_audio()
        assert isinstance(info.value, RealtimeError)
    # A session of its own (no call) streams audio as before.
    async with asyncio.timeout(10), RealtimeSession(KEY, base_url=server.url) as own:
        own.output_audio().close()


async def test_interrupting_the_call_clears_its_audio_and_truncates_at_what_played(
    paced: LocalRealtimeServer,
) -> None:
    cuts = []
    async with asyncio.timeout(20), RealtimeSession.attach(CALL, KEY, base_url=paced.url) as s:
        s.on_interrupt(cuts.append)
        it = aiter(s)
        await s.add_item("Tell me a long story about the sea, please.")
        handle = await s.create_response()
        started = await _next(it, "output_audio_buffer.started")
        assert isinstance(started, events.OutputAudioBufferStarted)
        assert started.response_id == handle.id
        conn = paced.connections[0]
        assert not any(t == "response.output_audio.delta" for t in conn.sent_types)
        # Let the call play some of it: wait until the server has sent 300 ms to the caller.
        async with asyncio.timeout(5):
            while max(conn.protocol.conversation.assistant_audio_ms.values(), default=0.0) < 300:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        sent = await s.interrupt()
        kinds = [e.type for e in sent]
        assert kinds == ["response.cancel", "output_audio_buffer.clear", "conversation.item.truncate"]
        truncate = sent[2]
        assert isinstance(truncate, events.ConversationItemTruncate)
        truncated = await _next(it, "conversation.item.truncated")
        assert isinstance(truncated, events.ConversationItemTruncated)
        assert truncated.item_id == truncate.item_id
        # What played by the clock of output_audio_buffer.started: at least what the server had sent
        # when we looked (less the time its event spent travelling), never more than it generated.
        generated = conn.protocol.conversation.assistant_audio_ms
        assert 200 <= truncate.audio_end_ms <= generated[truncate.item_id]
        done = await handle.done()
        assert done.status == "cancelled"
        assert [(c.response_id, c.item_id, c.audio_end_ms) for c in cuts] == [
            (handle.id, truncate.item_id, truncate.audio_end_ms)
        ]
        assert not [e for e in conn.sent_types if e == "error"]


async def test_nothing_is_cut_once_the_call_played_the_reply(server: LocalRealtimeServer) -> None:
    async with asyncio.timeout(10), RealtimeSession.attach(CALL, KEY, base_url=server.url) as s:
        it = aiter(s)
        await s.add_item("Hello!")
        handle = await s.create_response()
        await handle.done()
        stopped = await _next(it, "output_audio_buffer.stopped")
        assert isinstance(stopped, events.OutputAudioBufferStopped)
        assert stopped.response_id == handle.id
        assert await s.interrupt() == []
        assert "output_audio_buffer.clear" not in [e.type for e in server.connections[0].received]
