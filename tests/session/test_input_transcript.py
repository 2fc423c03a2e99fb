"""``session.input_transcript(item_id)`` and ``turn.transcript()``: what the user said, whatever the order."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from support import parked

from realtime_sdk import (
    ConfigurationError,
    ConnectionClosed,
    RealtimeError,
    RealtimeSession,
    RequestTimeoutError,
    TranscriptionFailedError,
)
from realtime_sdk.events import ConversationItemInputAudioTranscriptionCompleted
from realtime_sdk.server import LocalRealtimeServer, ModelRequest, Reply

from .conftest import KEY, until

MANUAL_TURNS = {"audio": {"input": {"turn_detection": None, "transcription": {"model": "gpt-4o-transcribe"}}}}
HALF_A_SECOND = b"\x00\x00" * 12000  # 24 kHz PCM16


class SlowTranscriber:
    """Transcribes each turn only when the test opens the gate; answers as the echo model does."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()

    async def transcribe(self, pcm16_24k: bytes, item_id: str) -> str:
        await self.gate.wait()
        return f"words of {item_id}"

    async def respond(self, request: ModelRequest) -> Reply:
        return Reply.text("reply")


@pytest.fixture
async def slow() -> SlowTranscriber:
    return SlowTranscriber()


@pytest.fixture
async def server(slow: SlowTranscriber) -> AsyncIterator[LocalRealtimeServer]:
    async with LocalRealtimeServer(KEY, model=slow) as srv:
        yield srv


@pytest.fixture
async def session(server: LocalRealtimeServer) -> AsyncIterator[RealtimeSession]:
    async with asyncio.timeout(10):
        async with RealtimeSession(**server.session_options(), session_properties=MANUAL_TURNS) as s:
            yield s


async def commit(session: RealtimeSession) -> str:
    await session.send_audio(HALF_A_SECOND)
    return (await session.commit_audio()).item_id


def raw(kind: str, **fields: Any) -> str:
    return json.dumps({"type": kind, "event_id": "event_test", **fields})


async def test_a_wait_started_before_the_transcript_is_resolved_by_it(
    session: RealtimeSession, slow: SlowTranscriber
) -> None:
    first, second = await commit(session), await commit(session)
    waits = [asyncio.create_task(session.input_transcript(i)) for i in (second, first)]
    await until(lambda: all(map(parked, waits)))  # both wait before anything came (the gate is shut)
    slow.gate.set()
    assert await asyncio.gather(*waits) == [f"words of {second}", f"words of {first}"]


async def test_a_transcript_that_arrived_already_is_returned_at_once(
    session: RealtimeSession, slow: SlowTranscriber
) -> None:
    item_id = await commit(session)
    slow.gate.set()
    async with asyncio.timeout(10):  # hang guard only
        async for event in session:
            if isinstance(event, ConversationItemInputAudioTranscriptionCompleted):
                break
    # timeout=0: any wait at all would raise.
    assert await session.input_transcript(item_id, timeout=0) == f"words of {item_id}"
    assert await session.input_transcript(item_id) == f"words of {item_id}"  # and again


async def test_failed_transcription_raises_for_waits_before_and_after(
    server: LocalRealtimeServer, session: RealtimeSession
) -> None:
    conn = server.connections[0]
    waiting = asyncio.create_task(session.input_transcript("item_x"))
    await until(lambda: parked(waiting))  # waiting: nothing about item_x came yet
    error = {"type": "transcription_error", "code": "audio_unintelligible", "message": "no words"}
    await conn.send_raw(
        raw(
            "conversation.item.input_audio_transcription.failed",
            item_id="item_x",
            content_index=0,
            error=error,
        )
    )
    with pytest.raises(TranscriptionFailedError) as caught:
        await waiting
    assert (caught.value.item_id, caught.value.code, caught.value.message) == (
        "item_x",
        "audio_unintelligible",
        "no words",
    )
    with pytest.raises(TranscriptionFailedError):
        await session.input_transcript("item_x", timeout=0)
    # A completed transcription replaces the failure for later waits.
    await conn.send_raw(
        raw(
            "conversation.item.input_audio_transcription.completed",
            item_id="item_x",
            content_index=0,
            transcript="hi",
            usage={"type": "duration", "seconds": 1},
        )
    )
    async with asyncio.timeout(10):  # hang guard only
        async for event in session:
            if isinstance(event, ConversationItemInputAudioTranscriptionCompleted):
                break
    assert await session.input_transcript("item_x", timeout=0) == "hi"


async def test_a_wait_times_out(session: RealtimeSession) -> None:
    item_id = await commit(session)  # the gate stays shut: no transcript ever comes
    with pytest.raises(RequestTimeoutError):
        await session.input_transcript(item_id, timeout=0.01)
    assert not session._input_transcripts._waiting


async def test_closing_the_session_wakes_a_wait(session: RealtimeSession) -> None:
    item_id = await commit(session)
    waiting = asyncio.create_task(session.input_transcript(item_id))
    await until(lambda: parked(waiting))  # waiting: the gate is shut, no transcript comes
    await session.close()
    with pytest.raises(ConnectionClosed):
        await waiting
    with pytest.raises(ConnectionClosed):
        await session.input_transcript(item_id)


async def test_transcription_off_raises_at_once(server: LocalRealtimeServer) -> None:
    async with asyncio.timeout(10), RealtimeSession(**server.session_options()) as s:
        with pytest.raises(ConfigurationError):
            await s.input_transcript("item_1")


async def test_push_to_talk_turn_transcript(session: RealtimeSession, slow: SlowTranscriber) -> None:
    async with session.push_to_talk() as turn:
        await turn.send(HALF_A_SECOND, sample_rate=24000)
    assert turn.response is not None and turn.committed is not None
    slow.gate.set()  # (the local server's reply waits for the transcript)
    assert await turn.transcript() == f"words of {turn.committed.item_id}"
    assert await turn.response.text() == "reply"

    async with session.push_to_talk() as short:
        await short.send(b"\x00\x00" * 240, sample_rate=24000)  # 10 ms: cleared, not committed
    with pytest.raises(RealtimeError):
        await short.transcript()
