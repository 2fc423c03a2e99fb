"""A session attached to a call (a sideband) against the local server, which behaves like the service there:
no session.created, no audio deltas (output_audio_buffer.started / stopped instead), DTMF from the caller."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from realtime_sdk import AudioOnCallError, RealtimeError, RealtimeSession, events
from realtime_sdk.conversation import Conversation
from realtime_sdk.server import LocalRealtimeServer
from realtime_sdk.session._call_audio import CallAudio

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


# -- the call's playback clock, without a socket ---------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _response_with_audio_items(conversation: Conversation, response_id: str, count: int) -> None:
    """What a sideband sees of a response speaking ``count`` messages: items and parts, no audio deltas."""
    conversation.receive(
        events.decode(
            json.dumps(
                {
                    "type": "response.created",
                    "event_id": "e0",
                    "response": {"id": response_id, "status": "in_progress"},
                }
            ).encode()
        )
    )
    for n in range(count):
        item = {
            "id": f"item_{n}",
            "type": "message",
            "role": "assistant",
            "status": "in_progress",
            "content": [],
        }
        for frame in (
            {"type": "conversation.item.added", "event_id": f"a{n}", "previous_item_id": None, "item": item},
            {
                "type": "response.output_item.added",
                "event_id": f"o{n}",
                "response_id": response_id,
                "output_index": n,
                "item": item,
            },
            {
                "type": "response.content_part.added",
                "event_id": f"p{n}",
                "response_id": response_id,
                "item_id": f"item_{n}",
                "output_index": n,
                "content_index": 0,
                "part": {"type": "audio", "transcript": ""},
            },
        ):
            conversation.receive(events.decode(json.dumps(frame).encode()))


def _started(response_id: str) -> events.AnyServerEvent:
    frame = {"type": "output_audio_buffer.started", "event_id": "s", "response_id": response_id}
    return events.decode(json.dumps(frame).encode())


def test_the_clock_runs_from_started_and_stops_at_stopped_or_cleared() -> None:
    clock = Clock()
    audio = CallAudio(clock)
    audio.on_event(_started("resp_1"))
    clock.now += 0.75
    assert audio.playing == "resp_1" and audio.heard_ms("resp_1") == pytest.approx(750)
    audio.on_event(
        events.decode(b'{"type":"output_audio_buffer.stopped","event_id":"x","response_id":"resp_1"}')
    )
    assert audio.playing is None and audio.heard_ms("resp_1") is None
    audio.on_event(_started("resp_2"))
    audio.on_event(
        events.decode(b'{"type":"output_audio_buffer.cleared","event_id":"y","response_id":"resp_2"}')
    )
    assert audio.playing is None


def test_one_audio_item_is_truncated_at_the_clock() -> None:
    clock = Clock()
    audio, conversation = CallAudio(clock), Conversation()
    _response_with_audio_items(conversation, "resp_1", 1)
    audio.on_event(_started("resp_1"))
    clock.now += 1.2345
    sent, marker = audio.cut(conversation, cancel=None, send=True)
    assert [e.type for e in sent] == [
        "response.cancel",
        "output_audio_buffer.clear",
        "conversation.item.truncate",
    ]
    truncate = sent[2]
    assert isinstance(truncate, events.ConversationItemTruncate)
    assert (truncate.item_id, truncate.content_index, truncate.audio_end_ms) == ("item_0", 0, 1234)
    assert (marker.response_id, marker.item_id, marker.audio_end_ms) == ("resp_1", "item_0", 1234)
    assert audio.playing is None


def test_with_two_audio_items_the_time_cannot_be_split_so_nothing_is_truncated() -> None:
    clock = Clock()
    audio, conversation = CallAudio(clock), Conversation()
    _response_with_audio_items(conversation, "resp_1", 2)
    audio.on_event(_started("resp_1"))
    clock.now += 3.0
    sent, marker = audio.cut(conversation, cancel=None, send=True)
    assert [e.type for e in sent] == ["response.cancel", "output_audio_buffer.clear"]
    assert marker.item_id is None


def test_a_vad_interruption_on_the_call_sends_nothing() -> None:
    clock = Clock()
    audio, conversation = CallAudio(clock), Conversation()
    _response_with_audio_items(conversation, "resp_1", 1)
    audio.on_event(_started("resp_1"))
    clock.now += 0.5
    sent, marker = audio.cut(conversation, cancel=None, send=False)
    assert sent == []
    assert marker.response_id == "resp_1"


async def test_say_reaches_only_the_calls_open_sidebands(server: LocalRealtimeServer) -> None:
    assert server.call_control.say("rtc_nobody", "Hello?") == 0
    async with asyncio.timeout(10), RealtimeSession.attach(CALL, KEY, base_url=server.url) as s:
        it = aiter(s)
        assert server.call_control.say(CALL, "Hello?") == 1
        added = await _next(it, "conversation.item.added")
        assert isinstance(added, events.ConversationItemAdded)
        assert added.item.role == "user"
        done = await _next(it, "response.done")
        assert isinstance(done, events.ResponseDone) and done.response.status == "completed"
