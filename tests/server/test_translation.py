"""The local server's translation endpoint, through a plain aiohttp websocket (not the SDK's session).

Every frame the server sends must decode typed with ``events.decode_translation``.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import numpy as np
import pytest

from realtime_sdk import events
from realtime_sdk.server import LocalRealtimeServer

KEY = "sk-local-test"
RATE = 24_000


def tone(ms: int, amplitude: int = 8000) -> bytes:
    t = np.arange(RATE * ms // 1000) / RATE
    return (amplitude * np.sin(2 * np.pi * 440 * t)).astype("<i2").tobytes()


def silence(ms: int) -> bytes:
    return bytes(RATE * 2 * ms // 1000)


class Peer:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    async def send(self, event: dict[str, Any]) -> None:
        await self.ws.send_str(json.dumps(event))

    async def append(self, pcm: bytes) -> None:
        await self.send(
            {"type": "session.input_audio_buffer.append", "audio": base64.b64encode(pcm).decode()}
        )

    async def recv(self) -> events.TranslationServerEvent:
        msg = await self.ws.receive(timeout=10)
        assert msg.type == aiohttp.WSMsgType.TEXT, f"connection ended: {msg}"
        event = events.decode_translation(msg.data)
        assert not isinstance(event, events.UnknownTranslationServerEvent), event.error
        return event

    async def until(self, kind: str) -> list[events.TranslationServerEvent]:
        got = []
        while True:
            got.append(await self.recv())
            if got[-1].type == kind:
                return got


@pytest.fixture
async def server() -> AsyncIterator[LocalRealtimeServer]:
    async with LocalRealtimeServer(KEY) as srv:
        yield srv


@pytest.fixture
async def peer(server: LocalRealtimeServer) -> AsyncIterator[Peer]:
    url = server.url.replace("/v1/realtime", "/v1/realtime/translations") + "?model=gpt-realtime-translate"
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(url, headers={"Authorization": f"Bearer {KEY}"}) as ws,
    ):
        yield Peer(ws)


async def test_session_created_comes_first_with_the_translation_defaults(peer: Peer) -> None:
    created = await peer.recv()
    assert isinstance(created, events.TranslationSessionCreated)
    session = created.session
    assert (session.type, session.model) == ("translation", "gpt-realtime-translate")
    assert session.id.startswith("sess_")
    assert session.audio.output is not None and session.audio.output.language == "es"
    assert session.audio.input is not None and session.audio.input.transcription is None


async def test_a_wrong_key_is_refused_before_the_upgrade(server: LocalRealtimeServer) -> None:
    url = server.url.replace("/v1/realtime", "/v1/realtime/translations")
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.WSServerHandshakeError) as info:
            await http.ws_connect(url, headers={"Authorization": "Bearer sk-wrong"})
    assert info.value.status == 401


async def test_update_changes_what_may_change_and_refuses_the_rest(peer: Peer) -> None:
    await peer.recv()
    await peer.send(
        {
            "type": "session.update",
            "session": {
                "audio": {
                    "input": {"transcription": {"model": "gpt-realtime-whisper"}, "noise_reduction": None},
                    "output": {"language": "fr"},
                }
            },
        }
    )
    updated = await peer.recv()
    assert isinstance(updated, events.TranslationSessionUpdated)
    assert updated.session.audio.output is not None and updated.session.audio.output.language == "fr"
    assert updated.session.audio.input is not None
    transcription = updated.session.audio.input.transcription
    assert transcription is not None and transcription.model == "gpt-realtime-whisper"

    refusals = [
        ({"model": "gpt-realtime-2"}, "session.model"),
        ({"instructions": "hi"}, "session.instructions"),
        ({"audio": {"output": {"voice": "marin"}}}, "session.audio.output.voice"),
        ({"audio": {"input": {"format": {"type": "audio/pcmu"}}}}, "session.audio.input.format"),
        (
            {"audio": {"input": {"format": {"type": "audio/pcm", "rate": 16000}}}},
            "session.audio.input.format",
        ),
    ]
    for session, param in refusals:
        await peer.send({"type": "session.update", "event_id": "evt_bad", "session": session})
        error = await peer.recv()
        assert isinstance(error, events.Error), error
        assert error.error.param == param and error.error.event_id == "evt_bad"
        assert error.error.type == "invalid_request_error"
    # The one format there is may be named.
    await peer.send(
        {
            "type": "session.update",
            "session": {"audio": {"input": {"format": {"type": "audio/pcm", "rate": 24000}}}},
        }
    )
    assert isinstance(await peer.recv(), events.TranslationSessionUpdated)


async def test_streamed_audio_comes_back_framed_timed_and_transcribed_then_close_flushes(
    server: LocalRealtimeServer, peer: Peer
) -> None:
    await peer.recv()
    await peer.send(
        {
            "type": "session.update",
            "session": {
                "audio": {
                    "input": {"transcription": {"model": "gpt-realtime-whisper"}},
                    "output": {"language": "fr"},
                }
            },
        }
    )
    await peer.until("session.updated")
    sent = tone(1000) + silence(500)  # 1.5 s: not a whole number of 200 ms frames
    for start in range(0, len(sent), 4800 * 3):  # 300 ms chunks, across frame boundaries
        await peer.append(sent[start : start + 4800 * 3])
    await peer.send({"type": "session.close"})
    received = await peer.until("session.closed")
    closing = await peer.ws.receive(timeout=10)
    assert (closing.type, closing.data) == (aiohttp.WSMsgType.CLOSE, 1000)

    audio = [e for e in received if isinstance(e, events.TranslationSessionOutputAudioDelta)]
    assert [len(e.delta) for e in audio] == [9600] * 8  # 7 whole frames + the padded tail
    assert [e.elapsed_ms for e in audio] == [200 * (i + 1) for i in range(8)]
    assert all((e.sample_rate, e.channels, e.format) == (24000, 1, "pcm16") for e in audio)
    out = b"".join(e.delta for e in audio)
    assert out[: len(sent)] == sent and out[len(sent) :] == bytes(len(out) - len(sent))

    said = "".join(e.delta for e in received if isinstance(e, events.TranslationSessionInputTranscriptDelta))
    heard = "".join(
        e.delta for e in received if isinstance(e, events.TranslationSessionOutputTranscriptDelta)
    )
    assert said == "<1.0 seconds of audio>"  # the EchoModel's transcript of one second of sound
    assert heard == "[fr] <1.0 seconds of audio>"
    # The utterance ended with the first quiet frame (the sixth): its text is stamped there.
    stamps = {e.elapsed_ms for e in received if isinstance(e, events.TranslationSessionOutputTranscriptDelta)}
    assert stamps == {1200}
    assert received[-1].type == "session.closed"

    conn = server.translations.connections[0]
    # Silence is counted per append that is silent throughout: only the last 300 ms chunk (1200-1500 ms) is.
    assert conn.received_audio_ms == 1500 and conn.received_silence_ms == 300
    await conn.closed.wait()


async def test_without_input_transcription_only_the_translation_text_is_sent(peer: Peer) -> None:
    await peer.recv()
    await peer.append(tone(400) + silence(200))
    await peer.send({"type": "session.close"})
    received = await peer.until("session.closed")
    assert not any(isinstance(e, events.TranslationSessionInputTranscriptDelta) for e in received)
    heard = "".join(
        e.delta for e in received if isinstance(e, events.TranslationSessionOutputTranscriptDelta)
    )
    assert heard == "[es] <0.4 seconds of audio>"


async def test_bad_audio_is_refused_and_events_after_close_too(peer: Peer) -> None:
    await peer.recv()
    await peer.append(b"\x00\x01\x02")  # not whole 16-bit samples
    odd = await peer.recv()
    assert isinstance(odd, events.Error) and odd.error.param == "audio"
    await peer.send({"type": "session.input_audio_buffer.append", "audio": "%%% not base64"})
    assert isinstance(await peer.recv(), events.Error)
    await peer.send({"type": "response.create"})
    unknown = await peer.recv()
    assert isinstance(unknown, events.Error) and unknown.error.param == "type"


async def test_the_clock_counts_received_audio_and_silence(server: LocalRealtimeServer, peer: Peer) -> None:
    await peer.recv()
    conn = await server.translations.wait_for_connection(0)
    await peer.append(tone(100))
    for _ in range(5):
        await peer.append(silence(100))
    assert await conn.wait_for_audio_ms(600) == 600
    assert conn.received_silence_ms == 500


async def test_paced_output_never_runs_ahead_of_real_time() -> None:
    # A lower bound only: three frames of output cannot all have left before 400 ms of wall time.
    async with LocalRealtimeServer(KEY, pace_audio=True) as server:
        url = server.url.replace("/v1/realtime", "/v1/realtime/translations")
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(url, headers={"Authorization": f"Bearer {KEY}"}) as ws,
        ):
            peer = Peer(ws)
            await peer.recv()
            loop = asyncio.get_running_loop()
            started = loop.time()
            await peer.append(silence(600))  # three frames at once
            frames = 0
            while frames < 3:
                frames += isinstance(await peer.recv(), events.TranslationSessionOutputAudioDelta)
            assert loop.time() - started >= 0.4
