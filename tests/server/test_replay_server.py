"""Record a real session's frames into a cassette, replay it with ``ReplayServer``, and diverge from it.

The cassette is recorded by a test-only proxy between an SDK session and the local server: it calls the
public ``Recorder`` for every frame, as ``RealtimeSession(record_to=...)`` does from inside the session.
The local server uses explicit text replies (``ScriptedModel``), so every expected string is fixed here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Literal

import aiohttp
import pytest
from aiohttp import WSMsgType, web

from realtime_sdk import RealtimeSession, SessionProperties
from realtime_sdk.audio import read_wav, sample_wav_path
from realtime_sdk.errors import RealtimeError
from realtime_sdk.events import (
    ConversationItemInputAudioTranscriptionCompleted,
    ResponseDone,
    ResponseOutputAudioTranscriptDone,
)
from realtime_sdk.recording import Cassette, Header, Record, Recorder, read_cassette
from realtime_sdk.server import LocalRealtimeServer, ReplayDivergence, ReplayServer, Reply, ScriptedModel
from realtime_sdk.server._codec import tone
from realtime_sdk.session import OutputAudioChunk

KEY = "sk-proxy-secret-4f1e"
TEXT_ONLY = SessionProperties(output_modalities=["text"])


@contextlib.asynccontextmanager
async def recording_proxy(upstream: str, recorder: Recorder) -> AsyncIterator[str]:
    """A websocket proxy to ``upstream`` that records every frame (headers pass through, unrecorded)."""

    async def handle(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=16 * 2**20)
        await ws.prepare(request)
        headers = {"Authorization": request.headers["Authorization"]}
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(f"{upstream}?{request.query_string}", headers=headers) as up,
        ):

            async def down() -> None:
                async for msg in up:
                    if msg.type == WSMsgType.TEXT:
                        recorder.received(msg.data)
                        await ws.send_str(msg.data)
                await ws.close()

            task = asyncio.create_task(down())
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    recorder.sent(msg.data)
                    await up.send_str(msg.data)
            await up.close()
            await task
        return ws

    app = web.Application()
    app.router.add_get("/v1/realtime", handle)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"ws://127.0.0.1:{port}/v1/realtime"
    finally:
        await runner.cleanup()


async def conversation(session: RealtimeSession, questions: list[str]) -> list[str]:
    answers = []
    for question in questions:
        await session.add_item(question)
        answers.append(await (await session.create_response()).text())
    return answers


async def record(path: Path, *, keep_audio: bool = True) -> list[str]:
    model = ScriptedModel([Reply.text("Sunny in Paris."), Reply.text("About 21 degrees.")])
    async with LocalRealtimeServer(KEY, model=model) as server:
        with Recorder(path, model="gpt-realtime", endpoint="local", keep_audio=keep_audio) as recorder:
            async with (
                recording_proxy(server.url, recorder) as url,
                RealtimeSession(api_key=KEY, base_url=url, session_properties=TEXT_ONLY) as session,
            ):
                return await conversation(session, ["Weather in Paris?", "How warm?"])


async def test_a_recorded_session_replays_to_the_same_answers(tmp_path: Path) -> None:
    cassette = tmp_path / "weather.jsonl"
    recorded = await record(cassette)
    assert recorded == ["Sunny in Paris.", "About 21 degrees."]
    text = cassette.read_text()
    assert KEY not in text
    assert "Authorization" not in text and "Bearer" not in text
    header = read_cassette(cassette).header
    assert (header.version, header.model, header.endpoint, header.audio) == (
        1,
        "gpt-realtime",
        "local",
        "kept",
    )

    async with ReplayServer(cassette) as replay:
        async with RealtimeSession(**replay.session_options(), session_properties=TEXT_ONLY) as session:
            replayed = await conversation(session, ["Weather in Paris?", "How warm?"])
        assert replay.divergence is None
        assert replay.finished
    assert replayed == recorded


async def test_a_client_that_asks_something_else_gets_a_clear_divergence(tmp_path: Path) -> None:
    cassette = tmp_path / "weather.jsonl"
    await record(cassette)
    replay = ReplayServer(cassette, raise_on_divergence=False)
    async with replay:
        async with RealtimeSession(**replay.session_options(), session_properties=TEXT_ONLY) as session:
            await session.add_item("Weather in Paris?")
            assert await (await session.create_response()).text() == "Sunny in Paris."
            with pytest.raises(RealtimeError) as failure:
                await session.add_item("Weather in Rome?")
                await (await session.create_response()).text()
    divergence = replay.divergence
    assert isinstance(divergence, ReplayDivergence)
    assert divergence.expected is not None and divergence.expected["type"] == "conversation.item.create"
    assert divergence.got["item"]["content"][0]["text"] == "Weather in Rome?"
    assert "How warm?" in str(divergence) and "Weather in Rome?" in str(divergence)
    assert "item.content[0].text" in divergence.why
    assert "replay diverged at record" in str(failure.value), repr(failure.value)


async def test_stop_raises_the_divergence_by_default(tmp_path: Path) -> None:
    cassette = tmp_path / "weather.jsonl"
    await record(cassette)
    with pytest.raises(ReplayDivergence, match=r"type is 'response\.create'"):
        async with ReplayServer(cassette) as replay:
            async with aiohttp.ClientSession() as http, http.ws_connect(replay.url) as ws:
                created = json.loads((await ws.receive()).data)
                assert created["type"] == "session.created"
                await ws.send_str(json.dumps({"type": "response.create"}))
                frames = [json.loads(m.data) async for m in ws if m.type == WSMsgType.TEXT]
            errors = [f for f in frames if f["type"] == "error"]
            assert errors and errors[-1]["error"]["code"] == "replay_divergence"
            assert ws.close_code == 1008


async def test_client_ids_are_remapped(tmp_path: Path) -> None:
    item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}
    cassette = Cassette(
        Header(1, "test", None, None, "kept"),
        [
            Record("received", 0.0, {"type": "session.created", "session": {}}),
            Record("sent", 0.1, {"type": "conversation.item.create", "item": {**item, "id": "item_rec1"}}),
            Record("received", 0.2, {"type": "conversation.item.added", "item": {**item, "id": "item_rec1"}}),
        ],
    )
    async with ReplayServer(cassette) as replay:
        async with aiohttp.ClientSession() as http, http.ws_connect(replay.url) as ws:
            assert json.loads((await ws.receive()).data)["type"] == "session.created"
            frame = {
                "type": "conversation.item.create",
                "event_id": "x",
                "item": {**item, "id": "item_live9"},
            }
            await ws.send_str(json.dumps(frame))
            added = json.loads((await ws.receive()).data)
    assert added["item"]["id"] == "item_live9"
    assert replay.finished


async def test_audio_appends_match_as_a_run_whatever_the_chunking(tmp_path: Path) -> None:
    append = {"type": "input_audio_buffer.append", "audio": "AAAA"}
    cassette = Cassette(
        Header(1, "test", None, None, "kept"),
        [
            Record("received", 0.0, {"type": "session.created", "session": {}}),
            *[Record("sent", 0.1, append) for _ in range(3)],
            Record("sent", 0.2, {"type": "input_audio_buffer.commit"}),
            Record("received", 0.3, {"type": "input_audio_buffer.committed", "item_id": "item_1"}),
        ],
    )
    for chunks in (1, 5):
        async with ReplayServer(cassette) as replay:
            async with aiohttp.ClientSession() as http, http.ws_connect(replay.url) as ws:
                await ws.receive()
                for _ in range(chunks):
                    await ws.send_str(json.dumps({**append, "audio": "BBBBBBBB"}))
                await ws.send_str(json.dumps({"type": "input_audio_buffer.commit"}))
                assert json.loads((await ws.receive()).data)["type"] == "input_audio_buffer.committed"
        assert replay.finished and replay.divergence is None


SPOKEN = {
    "output_modalities": ["audio"],
    "audio": {
        "input": {
            "transcription": {"model": "gpt-4o-mini-transcribe"},
            "turn_detection": {"type": "server_vad", "silence_duration_ms": 500},
        }
    },
}


async def spoken_turn(session: RealtimeSession) -> tuple[str, str, int]:
    """Say the bundled sample: (what the server heard, the reply's transcript, reply audio bytes)."""
    heard = asyncio.get_running_loop().create_future()
    done = asyncio.get_running_loop().create_future()
    session.on(
        ConversationItemInputAudioTranscriptionCompleted,
        lambda e: heard.done() or heard.set_result(e.transcript),
    )
    session.on(ResponseDone, lambda e: done.done() or done.set_result(e))
    spoken: list[str] = []
    session.on(ResponseOutputAudioTranscriptDone, lambda e: spoken.append(e.transcript))
    stream = session.output_audio()
    pcm, rate, _ = read_wav(sample_wav_path())
    await session.send_audio(pcm + bytes(rate * 2 * 2), sample_rate=rate)
    await session.flush_audio()
    async with asyncio.timeout(20):
        event = await done
        said = await heard
    assert event.response.status == "completed"
    audio = sum(len(c.data) for c in stream.read_nowait() if isinstance(c, OutputAudioChunk))
    return said, " ".join(spoken), audio


@pytest.mark.parametrize("keep_audio", [True, False], ids=["audio-kept", "audio-elided"])
async def test_a_spoken_turn_replays(tmp_path: Path, keep_audio: bool) -> None:
    cassette = tmp_path / "spoken.jsonl"
    model = ScriptedModel([Reply.audio(tone(800), "It is sunny.")], transcripts=["what is the weather"])
    async with LocalRealtimeServer(KEY, model=model) as server:
        with Recorder(cassette, endpoint="local", keep_audio=keep_audio) as recorder:
            async with (
                recording_proxy(server.url, recorder) as url,
                RealtimeSession(api_key=KEY, base_url=url, session_properties=SPOKEN) as session,
            ):
                recorded = await spoken_turn(session)
    assert recorded == ("what is the weather", "It is sunny.", 800 * 48)
    async with ReplayServer(cassette) as replay:
        async with RealtimeSession(**replay.session_options(), session_properties=SPOKEN) as session:
            replayed = await spoken_turn(session)
    assert replayed == recorded  # elided audio replays as silence of the recorded length


def tiny_cassette() -> Cassette:
    return Cassette(
        Header(1, "test", None, None, "kept"),
        [
            Record("received", 0.0, {"type": "session.created", "session": {}}),
            Record("sent", 0.01, {"type": "response.create"}),
            Record("received", 0.02, {"type": "response.created", "response": {"id": "resp_1"}}),
            Record("received", 0.03, {"type": "response.done", "response": {"id": "resp_1"}}),
        ],
    )


@pytest.mark.parametrize("pace", ["fast", "recorded"])
async def test_both_paces_serve_the_recorded_answers(pace: Literal["fast", "recorded"]) -> None:
    async with ReplayServer(tiny_cassette(), pace=pace) as replay:
        async with aiohttp.ClientSession() as http, http.ws_connect(replay.url) as ws:
            assert json.loads((await ws.receive()).data)["type"] == "session.created"
            await ws.send_str(json.dumps({"type": "response.create", "event_id": "e1"}))
            got = [json.loads((await ws.receive()).data)["type"] for _ in range(2)]
    assert got == ["response.created", "response.done"] and replay.finished


async def test_a_frame_after_the_end_of_the_cassette_diverges() -> None:
    replay = ReplayServer(tiny_cassette(), raise_on_divergence=False)
    async with replay:
        async with aiohttp.ClientSession() as http, http.ws_connect(replay.url) as ws:
            await ws.receive()
            await ws.send_str(json.dumps({"type": "response.create"}))
            await ws.receive()
            await ws.receive()
            await ws.send_str(json.dumps({"type": "response.create"}))
            error = json.loads((await ws.receive()).data)
    assert error["error"]["code"] == "replay_divergence"
    assert replay.divergence is not None and replay.divergence.index is None
    assert "after the end of the cassette" in str(replay.divergence)
