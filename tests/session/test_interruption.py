"""Interruption against the local server: the right truncate (or none), the right cancel, zero errors.

Every test reports playback explicitly (``mark_played`` or a tracker), so the expected ``audio_end_ms`` is
known in advance; the wall clock plays no part.  Each ends with an acknowledged request as a barrier (the
server handles client events in order), then asserts that no ``error`` event was sent, on either side.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import numpy as np

from realtime_sdk import RealtimeSession
from realtime_sdk._generated import (
    ConversationItemDelete,
    ConversationItemTruncate,
    Error,
    ResponseCancel,
)
from realtime_sdk.server import LocalRealtimeServer, Reply, ScriptedModel
from realtime_sdk.session._audio_out import AudioInterrupted, OutputAudioChunk, OutputAudioStream

from .conftest import KEY


def tone_24k(ms: int, freq: float = 300.0, level: float = 0.3) -> bytes:
    t = np.arange(24 * ms) / 24000
    return (np.sin(2 * np.pi * freq * t) * level * 32767).astype("<i2").tobytes()


class Probe:
    """The session plus what the tests look at: errors seen, events the server received."""

    def __init__(self, session: RealtimeSession, server: LocalRealtimeServer) -> None:
        self.session = session
        self.server = server
        self.errors: list[Error] = []
        session.add_observer(lambda e: self.errors.append(e) if isinstance(e, Error) else None)

    def sent(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.server.connections[0].received if isinstance(e, kind)]

    async def assert_no_errors(self) -> None:
        await self.session.clear_audio()  # acknowledged: everything sent before it has been handled
        assert self.errors == []
        assert "error" not in self.server.connections[0].sent_types


@asynccontextmanager
async def talking(
    *replies: Reply, pace: bool = False, vad: bool = False
) -> AsyncIterator[tuple[Probe, OutputAudioStream]]:
    props: dict[str, Any] = {} if vad else {"audio": {"input": {"turn_detection": None}}}
    async with (
        asyncio.timeout(20),
        LocalRealtimeServer(KEY, model=ScriptedModel(list(replies)), pace_audio=pace) as server,
        RealtimeSession(KEY, base_url=server.url, session_properties=props) as session,
    ):
        yield Probe(session, server), session.output_audio(sample_rate=48000)


async def next_chunk(stream: OutputAudioStream) -> OutputAudioChunk:
    item = await anext(stream)
    assert isinstance(item, OutputAudioChunk)
    return item


async def test_interrupt_at_0_ms_deletes_the_unheard_item_instead_of_truncating() -> None:
    async with talking(Reply.audio(tone_24k(500), "never heard")) as (probe, stream):
        s = probe.session
        await s.add_item("hi")
        handle = await s.create_response()
        await handle.done()
        item_id = (await next_chunk(stream)).item_id
        s.mark_played(item_id, 0)
        sent = await s.interrupt()
        assert sent == [ConversationItemDelete(item_id=item_id, event_id=sent[0].event_id)]  # type: ignore[union-attr]
        await probe.assert_no_errors()
        assert probe.sent(ConversationItemTruncate) == []
        assert item_id not in [i.id for i in probe.server.connections[0].items]
        marker = [x for x in stream.read_nowait() if isinstance(x, AudioInterrupted)]
        assert marker == [AudioInterrupted(handle.id, item_id, 0, 0)]


async def test_interrupt_at_0_ms_while_the_response_streams_cancels_and_deletes() -> None:
    async with talking(Reply.audio(tone_24k(3000), "a long answer"), pace=True) as (probe, stream):
        s = probe.session
        await s.add_item("hi")
        handle = await s.create_response()
        item_id = (await next_chunk(stream)).item_id
        s.mark_played(item_id, 0)
        await s.interrupt()
        assert (await handle.done()).status == "cancelled"
        await probe.assert_no_errors()
        assert [e.response_id for e in probe.sent(ResponseCancel)] == [handle.id]
        assert [e.item_id for e in probe.sent(ConversationItemDelete)] == [item_id]
        assert probe.sent(ConversationItemTruncate) == []


async def test_interrupt_mid_item_while_streaming_truncates_at_what_the_tracker_counted() -> None:
    async with talking(Reply.audio(tone_24k(3000), "one two three four five six"), pace=True) as (
        probe,
        stream,
    ):
        s = probe.session
        await s.add_item("hi")
        handle = await s.create_response()
        first = await next_chunk(stream)
        assert len(first.data) >= 96 * 60  # the first delta is 100 ms of audio (minus the resampler's delay)
        stream.tracker.played(96 * 60)  # 60 ms at 48 kHz PCM16 mono
        await s.interrupt()
        tail = [x async for x in _until_marker(stream)]
        assert tail[-1] == AudioInterrupted(handle.id, first.item_id, 0, 60)
        assert (await handle.done()).status == "cancelled"
        await probe.assert_no_errors()
        assert [(e.item_id, e.audio_end_ms) for e in probe.sent(ConversationItemTruncate)] == [
            (first.item_id, 60)
        ]
        assert [e.response_id for e in probe.sent(ResponseCancel)] == [handle.id]
        # Nothing of the interrupted response reaches the player afterwards.
        assert [x for x in stream.read_nowait() if isinstance(x, OutputAudioChunk)] == []
        # The local transcript was cut to what was heard: 60 of 3000 ms is no whole word.
        assert s.conversation.item(first.item_id).content[0].transcript == ""  # type: ignore[union-attr]


async def _until_marker(stream: OutputAudioStream) -> AsyncIterator[OutputAudioChunk | AudioInterrupted]:
    async for x in stream:
        yield x
        if isinstance(x, AudioInterrupted):
            return


async def test_interrupt_after_the_item_finished_playing_sends_nothing() -> None:
    async with talking(Reply.audio(tone_24k(400), "done")) as (probe, stream):
        s = probe.session
        await s.add_item("hi")
        handle = await s.create_response()
        await handle.done()
        item_id = (await next_chunk(stream)).item_id
        s.mark_played(item_id, 400)
        assert await s.interrupt() == []
        await probe.assert_no_errors()
        assert probe.sent(ConversationItemTruncate) == probe.sent(ResponseCancel) == []
        assert not any(isinstance(x, AudioInterrupted) for x in stream.read_nowait())


async def test_interrupt_after_response_done_mid_play_truncates_without_cancel() -> None:
    async with talking(Reply.audio(tone_24k(1000), "one two three four")) as (probe, stream):
        s = probe.session
        await s.add_item("hi")
        handle = await s.create_response()
        await handle.done()
        item_id = (await next_chunk(stream)).item_id
        s.mark_played(item_id, 250.7)
        await s.interrupt()
        await probe.assert_no_errors()
        assert [(e.item_id, e.audio_end_ms) for e in probe.sent(ConversationItemTruncate)] == [(item_id, 250)]
        assert probe.sent(ResponseCancel) == []
        assert probe.server.connections[0].protocol.conversation.assistant_audio_ms[item_id] == 250
        # A quarter of "one two three four" heard: the local transcript keeps the whole words in it.
        assert s.conversation.item(item_id).content[0].transcript == "one"  # type: ignore[union-attr]


async def test_two_audio_items_in_one_response() -> None:
    reply = Reply.audio(tone_24k(600), "first part") + Reply.audio(tone_24k(800), "second part")
    for played_first, expected in ((600, "second"), (300, "first")):
        async with talking(reply) as (probe, stream):
            s = probe.session
            await s.add_item("hi")
            handle = await s.create_response()
            done = await handle.done()
            ids = [i.id for i in done.output or []]
            assert len(ids) == 2
            s.mark_played(ids[0], played_first)
            if expected == "second":
                s.mark_played(ids[1], 120)
            await s.interrupt()
            await probe.assert_no_errors()
            truncates = [(e.item_id, e.audio_end_ms) for e in probe.sent(ConversationItemTruncate)]
            deletes = [e.item_id for e in probe.sent(ConversationItemDelete)]
            if expected == "second":  # the first fully played: untouched; the second cut at 120 ms
                assert (truncates, deletes) == ([(ids[1], 120)], [])
            else:  # cut in the first; nobody heard the second
                assert (truncates, deletes) == ([(ids[0], 300)], [ids[1]])
            assert stream.read_nowait()[-1] == AudioInterrupted(
                handle.id, ids[1] if expected == "second" else ids[0], 0, 120 if expected == "second" else 300
            )


async def test_server_vad_speech_interrupts_playback_without_a_client_cancel() -> None:
    async with talking(Reply.audio(tone_24k(3000), "a long answer"), pace=True, vad=True) as (probe, stream):
        s = probe.session
        seen: list[AudioInterrupted] = []
        s.on_interrupt(seen.append)
        truncated = asyncio.get_running_loop().create_future()
        s.on("conversation.item.truncated", lambda e: truncated.done() or truncated.set_result(e))
        await s.add_item("hi")
        handle = await s.create_response()
        first = await next_chunk(stream)
        s.mark_played(first.item_id, 80)
        await s.send_audio(tone_24k(300, freq=500, level=0.5))  # the user talks over the assistant
        event = await truncated
        assert (event.item_id, event.audio_end_ms) == (first.item_id, 80)
        assert (await handle.done()).status == "cancelled"
        await probe.assert_no_errors()
        assert probe.sent(ResponseCancel) == []  # the server's VAD cancelled it (interrupt_response)
        assert seen == [AudioInterrupted(handle.id, first.item_id, 0, 80)]


async def test_interrupt_twice_and_with_nothing_playing_is_harmless() -> None:
    async with talking(Reply.audio(tone_24k(500), "x y z")) as (probe, stream):
        s = probe.session
        assert await s.interrupt() == []  # nothing ever played
        await s.add_item("hi")
        handle = await s.create_response()
        await handle.done()
        item_id = (await next_chunk(stream)).item_id
        s.mark_played(item_id, 100)
        first = await s.interrupt()
        assert await s.interrupt() == []
        await probe.assert_no_errors()
        assert len(first) == 1 and len(probe.sent(ConversationItemTruncate)) == 1


async def test_vad_barge_in_truncates_at_the_bytes_a_44k1_stereo_player_consumed() -> None:
    """Server VAD barge-in while the app plays ``output_audio`` at 44.1 kHz stereo through its tracker.

    The output converter resamples 24 -> 44.1 kHz (a ratio of 1.8375) and holds samples back; the player
    consumes exactly 250 ms of what it was given (in pieces that cut chunks anywhere) and the truncate must
    say 250 ms: the app's bytes map back to the item's milliseconds whatever the rate, channels and delay.
    """
    async with (
        asyncio.timeout(20),
        LocalRealtimeServer(
            KEY, model=ScriptedModel([Reply.audio(tone_24k(3000), "a long answer")]), pace_audio=True
        ) as server,
        RealtimeSession(KEY, base_url=server.url) as s,
    ):
        probe = Probe(s, server)
        stream = s.output_audio(sample_rate=44100, channels=2)
        frame = 4  # PCM16 stereo
        want = 11025 * frame  # 250 ms at 44.1 kHz
        truncated = asyncio.get_running_loop().create_future()
        s.on("conversation.item.truncated", lambda e: truncated.done() or truncated.set_result(e))
        await s.add_item("hi")
        handle = await s.create_response()
        given = 0
        item_id = None
        while given < want:  # the player takes chunks as they come...
            chunk = await next_chunk(stream)
            item_id = chunk.item_id
            given += len(chunk.data)
        consumed = 0
        for piece in (1000, 7, 30000, want):  # ...and its callback consumes them in odd pieces
            take = min(piece, want - consumed)
            stream.tracker.played(take)
            consumed += take
        assert consumed == want and given >= want
        await s.send_audio(tone_24k(300, freq=500, level=0.5))  # the user talks over the assistant
        event = await truncated
        assert (event.item_id, event.audio_end_ms) == (item_id, 250)
        assert (await handle.done()).status == "cancelled"
        await probe.assert_no_errors()
        assert probe.sent(ResponseCancel) == []  # the server's VAD cancelled it
        assert server.connections[0].protocol.conversation.assistant_audio_ms[item_id] == 250


async def test_playback_reported_before_the_app_read_the_marker_is_not_credited_to_the_next_reply() -> None:
    # A telephony line plays from its own buffer on its own clock: between the interruption and the moment
    # the app reads the AudioInterrupted marker (and empties that buffer) it may play a few more frames of
    # the cut reply.  Those must not count as played audio of the next reply.
    async with talking(Reply.audio(tone_24k(1000), "first"), Reply.audio(tone_24k(1000), "second")) as (
        probe,
        stream,
    ):
        s = probe.session
        await s.add_item("hi")
        await (await s.create_response()).done()
        first = [c for c in stream.read_nowait() if isinstance(c, OutputAudioChunk)]
        stream.tracker.played(96 * 100)  # 100 ms heard at 48 kHz PCM16 mono
        await s.interrupt()
        stream.tracker.played(96 * 40)  # the line plays two more 20 ms frames before the app reacts
        assert stream.read_nowait() == [AudioInterrupted(first[0].response_id, first[0].item_id, 0, 100)]
        await s.add_item("again")
        await (await s.create_response()).done()
        second = [c for c in stream.read_nowait() if isinstance(c, OutputAudioChunk)]
        assert second and second[0].item_id != first[0].item_id
        assert stream.tracker.position_ms(second[0].item_id) == 0.0  # nothing of it was played yet
        stream.tracker.played(96 * 30)
        assert stream.tracker.position_ms(second[0].item_id) == 30.0
        await probe.assert_no_errors()
        assert [(e.item_id, e.audio_end_ms) for e in probe.sent(ConversationItemTruncate)] == [
            (first[0].item_id, 100)
        ]
