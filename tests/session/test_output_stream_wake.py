"""How an output stream wakes its reader: a waiting reader gets each chunk the reader task puts, a
cancelled reader does not take the other readers of the stream down with it, and a stream dropped
without ``close()`` is skipped by the session's audio path."""

from __future__ import annotations

import asyncio
import gc

import pytest

from realtime_sdk.server import Reply
from realtime_sdk.session._audio_out import OutputAudioChunk, OutputAudioStream

from .test_audio_io import connected
from .test_audio_passthrough import pcm16


def stream() -> OutputAudioStream:
    return OutputAudioStream(24000, "pcm16", 1, "HQ", report=None, on_close=lambda _: None)


async def test_a_waiting_reader_wakes_for_each_chunk() -> None:
    s = stream()
    reader = asyncio.create_task(anext(s))
    await asyncio.sleep(0)  # the reader is now waiting on the empty stream
    assert not reader.done()
    s._audio("r", "i", 0, "audio/pcm", b"\x01\x02")
    chunk = await asyncio.wait_for(reader, 5)
    assert isinstance(chunk, OutputAudioChunk) and chunk.data == b"\x01\x02"


async def test_cancelling_one_reader_leaves_the_other_waiting() -> None:
    s = stream()
    first = asyncio.create_task(anext(s))
    second = asyncio.create_task(anext(s))
    await asyncio.sleep(0)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    await asyncio.sleep(0)
    assert not second.done()  # still waiting, not woken by the other's cancellation
    s._audio("r", "i", 0, "audio/pcm", b"\x03\x04")
    chunk = await asyncio.wait_for(second, 5)
    assert isinstance(chunk, OutputAudioChunk) and chunk.data == b"\x03\x04"
    # A cancelled reader really stops: the stream still works for the next one.
    third = asyncio.create_task(anext(s))
    await asyncio.sleep(0)
    third.cancel()
    with pytest.raises(asyncio.CancelledError):
        await third
    s._audio("r", "i", 0, "audio/pcm", b"\x05\x06")
    later = await asyncio.wait_for(anext(s), 5)
    assert isinstance(later, OutputAudioChunk) and later.data == b"\x05\x06"


async def test_a_dropped_stream_is_skipped_and_a_closed_one_gets_nothing() -> None:
    pcm = pcm16(4800, seed=9)
    async with connected(None, Reply.audio(pcm, "hi"), Reply.audio(pcm, "again")) as (session, _):
        session.output_audio()  # never kept: collected, and the reader must not trip over it
        closed = session.output_audio()
        closed.close()
        kept = session.output_audio()
        gc.collect()
        await session.add_item("hi")
        await (await session.create_response()).done()
        got = b"".join(c.data for c in kept.read_nowait() if isinstance(c, OutputAudioChunk))
        assert closed.read_nowait() == []
    assert got == pcm
