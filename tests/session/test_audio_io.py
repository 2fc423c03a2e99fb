"""The session's audio path against the local server: send_audio, output streams, the playback clock,
push-to-talk and telephony formats.  Expected sizes come from the rate arithmetic, not from the SDK."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import numpy as np
import pytest

from realtime_sdk import ConfigurationError, ConnectionClosed, RealtimeSession
from realtime_sdk._generated import InputAudioBufferAppend, InputAudioBufferCommit
from realtime_sdk.audio import ulaw_decode, ulaw_encode
from realtime_sdk.server import LocalRealtimeServer, Reply, ScriptedModel
from realtime_sdk.session._audio_out import AudioInterrupted, OutputAudioChunk, PlaybackTracker
from realtime_sdk.session._audio_send import AudioSender

from .conftest import KEY

MANUAL: dict[str, Any] = {"audio": {"input": {"turn_detection": None}}}
G711: dict[str, Any] = {
    "audio": {
        "input": {"turn_detection": None, "format": {"type": "audio/pcmu"}},
        "output": {"format": {"type": "audio/pcmu"}},
    }
}


def tone(
    rate: int, ms: int, freq: float = 440.0, level: float = 0.4, channels: int = 1
) -> np.ndarray[Any, Any]:
    t = np.arange(rate * ms // 1000) / rate
    mono = (np.sin(2 * np.pi * freq * t) * level * 32767).astype(np.int16)
    return mono if channels == 1 else np.repeat(mono[:, None], channels, axis=1)


def appended(server: LocalRealtimeServer) -> list[bytes]:
    return [e.audio for e in server.connections[0].received if isinstance(e, InputAudioBufferAppend)]


def expected_frames(frames_in: int, rate_in: int, rate_out: int) -> int:
    """round(frames * out / in), halves up: the length the resampler promises after a flush."""
    return (2 * frames_in * rate_out + rate_in) // (2 * rate_in)


@asynccontextmanager
async def connected(
    props: dict[str, Any] | None = None, *replies: Reply, **options: Any
) -> AsyncIterator[tuple[RealtimeSession, LocalRealtimeServer]]:
    model = ScriptedModel(list(replies)) if replies else None
    async with (
        asyncio.timeout(20),
        LocalRealtimeServer(KEY, model=model) as server,
        RealtimeSession(
            KEY, base_url=server.url, session_properties=MANUAL if props is None else props, **options
        ) as session,
    ):
        yield session, server


# -- sending ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "channels", "dtype"),
    [
        (16000, 1, "int16"),
        (44100, 2, "float32"),
        (48000, 1, "bytes"),
        (8000, 1, "float64"),
        (24000, 1, "int16"),
    ],
)
async def test_send_audio_converts_to_24k_pcm16_in_chunks(rate: int, channels: int, dtype: str) -> None:
    samples = tone(rate, 730, channels=channels)
    data: Any = samples.tobytes() if dtype == "bytes" else samples
    if dtype.startswith("float"):
        data = (samples / 32768.0).astype(dtype)
    async with connected() as (session, server):
        # Fed in uneven pieces, as a microphone callback would.
        for start in range(0, len(samples), 777):
            piece = (
                data[start * 2 * channels : (start + 777) * 2 * channels]
                if dtype == "bytes"
                else data[start : start + 777]
            )
            await session.send_audio(piece, sample_rate=rate, channels=channels)
        await session.commit_audio()
        chunks = appended(server)
    chunk_bytes = 24 * 40 * 2  # the documented default: 40 ms of 24 kHz PCM16 per append
    assert all(len(c) == chunk_bytes for c in chunks[:-1]) and 0 < len(chunks[-1]) <= chunk_bytes
    assert sum(len(c) for c in chunks) == 2 * expected_frames(len(samples), rate, 24000)
    # The tone survives with its frequency (the pitch is right: no 8 kHz-as-24 kHz "chipmunk" audio).
    wire = np.frombuffer(b"".join(chunks), dtype="<i2").astype(np.float64)
    peak = np.argmax(np.abs(np.fft.rfft(wire))) * 24000 / len(wire)
    assert abs(peak - 440) < 3


async def test_g711_session_passes_mulaw_through_and_transcodes_pcm() -> None:
    mulaw = ulaw_encode(tone(8000, 500))
    async with connected(G711) as (session, server):
        await session.send_audio(mulaw, sample_rate=8000, encoding="pcmu")
        await session.flush_audio()
        await session.clear_audio()  # acknowledged: the appends before it have arrived
        assert b"".join(appended(server)) == mulaw  # byte for byte
        await session.send_audio(tone(16000, 500), sample_rate=16000)
        await session.commit_audio()
        transcoded = b"".join(appended(server))[len(mulaw) :]
    assert len(transcoded) == expected_frames(8000, 16000, 8000)  # one byte a sample at 8 kHz
    decoded = np.frombuffer(ulaw_decode(transcoded), dtype="<i2").astype(np.float64)
    assert abs(np.argmax(np.abs(np.fft.rfft(decoded))) * 8000 / len(decoded) - 440) < 3


async def test_changing_the_input_rate_flushes_the_old_converter_first() -> None:
    async with connected() as (session, server):
        await session.send_audio(tone(16000, 300), sample_rate=16000)
        await session.send_audio(tone(48000, 300), sample_rate=48000)
        await session.commit_audio()
        total = sum(len(c) for c in appended(server))
    assert total == 2 * (expected_frames(4800, 16000, 24000) + expected_frames(14400, 48000, 24000))


async def test_paused_audio_is_dropped_until_resumed() -> None:
    async with connected(start_audio_paused=True) as (session, server):
        assert session.audio_paused
        await session.send_audio(tone(24000, 200))
        await session.flush_audio()
        await session.clear_audio()
        assert appended(server) == []
        session.resume_audio()
        await session.send_audio(tone(24000, 200))
        session.pause_audio()
        await session.send_audio(tone(24000, 200))
        session.resume_audio()
        await session.commit_audio()
        assert sum(len(c) for c in appended(server)) == 2 * 24 * 200


async def test_send_audio_rejects_bad_input_before_sending() -> None:
    async with connected() as (session, server):
        with pytest.raises(ConfigurationError):
            await session.send_audio(b"\x00\x00", sample_rate=0)
        with pytest.raises(ConfigurationError):
            await session.send_audio(np.zeros((10, 2, 2), dtype=np.int16))
        assert appended(server) == []


async def test_sender_unit_chunking_and_tail() -> None:
    sent: list[bytes] = []

    async def append(chunk: bytes) -> None:
        sent.append(chunk)

    sender = AudioSender(append, lambda: "audio/pcm", chunk_ms=20)
    await sender.send(tone(16000, 105).tobytes(), 16000, 1, None)
    assert {len(c) for c in sent} == {960}  # whole 20 ms chunks only, until the flush
    await sender.flush()
    assert sum(map(len, sent)) == 2 * expected_frames(1680, 16000, 24000)
    assert sender.sent_ms == pytest.approx(105)


# -- receiving -------------------------------------------------------------------------------------


async def test_output_audio_at_48k_and_handle_audio_at_any_rate() -> None:
    pcm = tone(24000, 1000).tobytes()
    async with connected(None, Reply.audio(pcm, "hello")) as (session, _):
        stream = session.output_audio(sample_rate=48000)
        stereo = session.output_audio(sample_rate=16000, channels=2, encoding="float32")
        await session.add_item("hi")
        handle = await session.create_response()
        await handle.done()
        chunks = stream.read_nowait()
        two = stereo.read_nowait()
        assert await handle.audio() == pcm
        assert len(await handle.audio(sample_rate=16000)) == 2 * expected_frames(24000, 24000, 16000)
    assert {(c.response_id, c.content_index) for c in chunks if isinstance(c, OutputAudioChunk)} == {
        (handle.id, 0)
    }
    assert sum(len(c.data) for c in chunks if isinstance(c, OutputAudioChunk)) == 2 * 48000
    assert sum(len(c.data) for c in two if isinstance(c, OutputAudioChunk)) == 4 * 2 * 16000
    # The stream ends with the session, with the session's reason.
    with pytest.raises(ConnectionClosed):
        await anext(stream)


async def test_async_iteration_wakes_on_audio_and_a_closed_stream_stops() -> None:
    async with connected(None, Reply.audio(tone(24000, 300).tobytes(), "hi")) as (session, _):
        async with session.output_audio(sample_rate=24000) as stream:
            await session.add_item("hi")
            await session.create_response()
            got = 0
            async for chunk in stream:
                assert isinstance(chunk, OutputAudioChunk)
                got += len(chunk.data)
                if got == 2 * 24 * 300:
                    break
        closed = session.output_audio()
        closed.close()
        assert [x async for x in closed] == []


def test_tracker_counts_bytes_in_the_apps_format_across_items_and_threads() -> None:
    reports: list[tuple[str, float, int]] = []
    tracker = PlaybackTracker(48000, "pcm16", 2, report=lambda i, ms, c: reports.append((i, ms, c)))
    assert tracker.bytes_per_ms == 192
    tracker.queued("a", 192 * 100)
    tracker.queued("a", 192 * 50)
    tracker.queued("b", 192 * 300)
    threads = [threading.Thread(target=tracker.played, args=(192 * 10,)) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    tracker.sync()
    assert reports == [("a", 150.0, 0), ("b", 50.0, 0)]
    assert tracker.position_ms("b") == 50.0
    tracker.flush()
    tracker.played(192 * 1000)
    tracker.sync()
    assert tracker.position_ms("b") == 50.0  # nothing was queued after the flush
    silent = PlaybackTracker(report=lambda *a: reports.append(a))  # type: ignore[arg-type]
    silent.queued("c", 4800)
    silent.sync()
    assert len(reports) == 2  # never told what played: reports nothing, the clock estimate stays


# -- push to talk and telephony --------------------------------------------------------------------


async def test_push_to_talk_commits_and_asks_for_a_response() -> None:
    async with connected() as (session, server):
        async with session.push_to_talk() as turn:
            await turn.send(tone(16000, 400), sample_rate=16000)
        assert turn.committed is not None and turn.response is not None
        done = await turn.response.done()
        assert done.status == "completed"
        assert turn.sent_ms == pytest.approx(400, abs=1)
        assert len(await turn.response.audio(sample_rate=16000)) == 2 * expected_frames(9600, 24000, 16000)

        async with session.push_to_talk() as short:  # a tap on the button: nothing to answer
            await short.send(tone(16000, 60), sample_rate=16000)
        assert short.response is None
        with pytest.raises(RuntimeError):
            async with session.push_to_talk() as failed:
                await failed.send(tone(16000, 300), sample_rate=16000)
                raise RuntimeError("the app failed mid-turn")
        assert failed.response is None
        commits = [e for e in server.connections[0].received if isinstance(e, InputAudioBufferCommit)]
        assert len(commits) == 1


async def test_push_to_talk_refuses_server_vad() -> None:
    async with connected({}) as (session, _):
        with pytest.raises(ConfigurationError, match="turn detection"):
            async with session.push_to_talk():
                pass


@pytest.mark.parametrize("props", [MANUAL, G711], ids=["pcm-session", "g711-session"])
async def test_telephony_mulaw_in_and_out_keeps_durations(props: dict[str, Any]) -> None:
    caller = ulaw_encode(tone(8000, 1230, freq=300))  # 1.23 s from a phone line
    async with connected(props) as (session, _):
        phone = session.output_audio(sample_rate=8000, encoding="pcmu")
        async with session.push_to_talk() as turn:
            for start in range(0, len(caller), 160):  # 20 ms RTP frames
                await turn.send(caller[start : start + 160], sample_rate=8000, encoding="pcmu")
        assert turn.response is not None
        await turn.response.done()
        reply = b"".join(c.data for c in phone.read_nowait() if isinstance(c, OutputAudioChunk))
        assert abs(len(reply) - len(caller)) <= 160  # within one 20 ms frame
        assert abs(len(await turn.response.audio(sample_rate=8000, encoding="pcmu")) - len(caller)) <= 160
        decoded = np.frombuffer(ulaw_decode(reply), dtype="<i2").astype(np.float64)
        assert abs(np.argmax(np.abs(np.fft.rfft(decoded))) * 8000 / len(decoded) - 300) < 5


@pytest.mark.parametrize("props", [MANUAL, G711], ids=["pcm-session", "g711-session"])
async def test_g711_encodings_default_to_8_khz(props: dict[str, Any]) -> None:
    # Telephone audio is 8 kHz: saying encoding="pcmu" without a rate must not mean 24 kHz μ-law
    # (a phone would play that three times too slow, and sent audio would shrink to a third).
    caller = ulaw_encode(tone(8000, 1000, freq=300))
    async with connected(props) as (session, server):
        phone = session.output_audio(encoding="pcmu")
        assert session.playback_tracker(encoding="pcma").bytes_per_ms == 8
        assert session.output_audio().tracker.bytes_per_ms == 48  # linear PCM keeps the API's 24 kHz
        async with session.push_to_talk() as turn:
            for start in range(0, len(caller), 160):
                await turn.send(caller[start : start + 160], encoding="pcmu")
        assert turn.response is not None
        await turn.response.done()
        sent_ms = sum(len(a) for a in appended(server)) / (8 if props is G711 else 48)
        assert abs(sent_ms - 1000) <= 20
        reply = b"".join(c.data for c in phone.read_nowait() if isinstance(c, OutputAudioChunk))
        assert abs(len(reply) - len(caller)) <= 160
        assert abs(len(await turn.response.audio(encoding="pcmu")) - len(caller)) <= 160
        assert phone.tracker.bytes_per_ms == 8
    assert PlaybackTracker(encoding="pcmu").bytes_per_ms == 8
    assert PlaybackTracker().bytes_per_ms == 48


async def test_on_interrupt_callbacks_and_markers_are_not_sent_when_nothing_played() -> None:
    async with connected() as (session, _):
        seen: list[AudioInterrupted] = []
        session.on_interrupt(seen.append)
        assert await session.interrupt() == []
        assert seen == []
