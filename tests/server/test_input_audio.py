"""input_audio_buffer.append/commit/clear, server VAD, transcription, G.711 input, interruption."""

from __future__ import annotations

import numpy as np
import pytest

from realtime_sdk.audio import alaw_encode, ulaw_encode
from realtime_sdk.server import LocalRealtimeServer, Reply, ScriptedModel

from .conftest import append_audio, b64, manual_session, silence, tone


def vad_session(**td: object) -> dict[str, object]:
    return {
        "type": "session.update",
        "session": {"type": "realtime", "audio": {"input": {"turn_detection": {"type": "server_vad", **td}}}},
    }


async def test_append_rejects_bad_base64(server, connect) -> None:
    async with connect(server) as client:
        await client.send({"type": "input_audio_buffer.append", "event_id": "a1", "audio": "not base64!!"})
        error = (await client.recv()).error
        assert (error.code, error.param, error.event_id) == ("invalid_value", "audio", "a1")


async def test_append_rejects_half_samples_for_pcm(server, connect) -> None:
    async with connect(server) as client:
        await client.send(
            {"type": "input_audio_buffer.append", "event_id": "a2", "audio": b64(b"\x00\x01\x02")}
        )
        error = (await client.recv()).error
        assert (error.code, error.param, error.event_id) == ("invalid_value", "audio", "a2")


@pytest.mark.parametrize("ms", [0, 50, 99])
async def test_commit_empty_or_short_buffer(server, connect, ms) -> None:
    async with connect(server) as client:
        await client.send(manual_session())
        await client.expect("session.updated")
        if ms:
            await append_audio(client, tone(ms))
        await client.send({"type": "input_audio_buffer.commit", "event_id": "c1"})
        error = (await client.recv()).error
        assert error.code == "input_audio_buffer_commit_empty" and error.event_id == "c1"
        assert f"buffer only has {ms:.2f}ms of audio" in error.message


async def test_manual_commit_creates_user_item(server, connect) -> None:
    async with connect(server) as client:
        await client.send(manual_session())
        await client.expect("session.updated")
        await append_audio(client, tone(300))
        await client.send({"type": "input_audio_buffer.commit"})
        committed = await client.recv()
        assert committed.type == "input_audio_buffer.committed" and committed.previous_item_id is None
        added, done = await client.recv(), await client.recv()
        assert (added.type, done.type) == ("conversation.item.added", "conversation.item.done")
        assert added.item.id == committed.item_id and added.item.role == "user"
        assert added.item.content[0].type == "input_audio" and added.item.content[0].transcript is None
        conn = await server.wait_for_connection()
        assert len(conn.protocol.conversation.user_audio[committed.item_id]) == 300 * 48


async def test_clear_empties_the_buffer(server, connect) -> None:
    async with connect(server) as client:
        await client.send(manual_session())
        await client.expect("session.updated")
        await append_audio(client, tone(300))
        await client.send({"type": "input_audio_buffer.clear"})
        assert (await client.recv()).type == "input_audio_buffer.cleared"
        await client.send({"type": "input_audio_buffer.commit"})
        assert (await client.recv()).error.code == "input_audio_buffer_commit_empty"


async def test_server_vad_turn_with_times_and_auto_response(server, connect) -> None:
    async with connect(server) as client:
        await client.send(vad_session(prefix_padding_ms=300, silence_duration_ms=200))
        await client.expect("session.updated")
        await append_audio(client, np.concatenate([silence(1000), tone(1500), silence(600)]))
        started = await client.recv()
        assert started.type == "input_audio_buffer.speech_started"
        assert started.audio_start_ms == 1000 - 300  # onset minus prefix padding
        stopped = await client.recv()
        assert stopped.type == "input_audio_buffer.speech_stopped" and stopped.item_id == started.item_id
        assert stopped.audio_end_ms == 2500 + 200  # speech end plus silence duration
        committed = await client.recv()
        assert committed.type == "input_audio_buffer.committed" and committed.item_id == started.item_id
        assert [(await client.recv()).type for _ in range(3)] == [
            "conversation.item.added",
            "conversation.item.done",
            "response.created",
        ]
        done = await client.expect("response.done")
        assert done.response.status == "completed"
        conn = await server.wait_for_connection()
        # the committed audio spans audio_start_ms .. audio_end_ms
        assert len(conn.protocol.conversation.user_audio[committed.item_id]) == (2700 - 700) * 48


async def test_server_vad_create_response_false(server, connect) -> None:
    async with connect(server) as client:
        await client.send(vad_session(create_response=False))
        await client.expect("session.updated")
        await append_audio(client, np.concatenate([tone(500), silence(400)]))
        await client.expect("input_audio_buffer.committed")
        await client.expect("conversation.item.done")
        await client.send({"type": "input_audio_buffer.clear"})  # a marker: nothing else came before it
        assert (await client.recv()).type == "input_audio_buffer.cleared"


async def test_server_vad_threshold_is_honoured(server, connect) -> None:
    async with connect(server) as client:
        await client.send(vad_session(threshold=0.9))  # -15 dBFS: a -30 dBFS tone is not speech
        await client.expect("session.updated")
        await append_audio(client, np.concatenate([tone(800, level=0.03), silence(400)]))
        await client.send({"type": "input_audio_buffer.clear"})
        assert (await client.recv()).type == "input_audio_buffer.cleared"
        await client.send(vad_session(threshold=0.2))  # -50 dBFS
        await client.expect("session.updated")
        await append_audio(client, np.concatenate([tone(800, level=0.03), silence(400)]))
        assert (await client.recv()).type == "input_audio_buffer.speech_started"


async def test_silence_duration_is_honoured(server, connect) -> None:
    async with connect(server) as client:
        await client.send(vad_session(silence_duration_ms=800, create_response=False))
        await client.expect("session.updated")
        # a 500 ms pause is shorter than 800 ms: one turn, not two
        await append_audio(client, np.concatenate([tone(400), silence(500), tone(400), silence(900)]))
        events = await client.until("input_audio_buffer.committed")
        kinds = [e.type for e in events]
        assert kinds.count("input_audio_buffer.speech_started") == 1
        assert events[-2].audio_end_ms == 400 + 500 + 400 + 800


async def test_semantic_vad_is_accepted_and_approximated(server, connect) -> None:
    async with connect(server) as client:
        await client.send(
            {
                "type": "session.update",
                "session": {
                    "type": "realtime",
                    "audio": {
                        "input": {
                            "turn_detection": {
                                "type": "semantic_vad",
                                "eagerness": "high",
                                "create_response": False,
                            }
                        }
                    },
                },
            }
        )
        s = (await client.expect("session.updated")).session
        assert (
            s.audio.input.turn_detection.type == "semantic_vad"
            and s.audio.input.turn_detection.eagerness == "high"
        )
        await append_audio(client, np.concatenate([tone(400), silence(400)]))
        stopped = await client.expect("input_audio_buffer.speech_stopped")
        assert stopped.audio_end_ms == 400 + 250


async def test_input_transcription_events_when_configured(connect) -> None:
    model = ScriptedModel([Reply.text("ok")], transcripts=["Hello, my name is Marcelo."])
    async with LocalRealtimeServer(model=model) as srv, connect(srv) as client:
        await client.send(
            {
                "type": "session.update",
                "session": {
                    "type": "realtime",
                    "audio": {"input": {"transcription": {"model": "gpt-realtime-whisper"}}},
                },
            }
        )
        await client.expect("session.updated")
        await append_audio(client, np.concatenate([tone(1000), silence(300)]))
        committed = await client.expect("input_audio_buffer.committed")
        events = await client.until("conversation.item.input_audio_transcription.completed")
        deltas = [e.delta for e in events if e.type == "conversation.item.input_audio_transcription.delta"]
        completed = events[-1]
        assert completed.item_id == committed.item_id and completed.transcript == "Hello, my name is Marcelo."
        assert "".join(deltas) == completed.transcript
        assert completed.usage.type == "duration"
        await client.expect("response.done")
        conn = srv.connections[0]
        assert model.requests[0].transcripts[committed.item_id] == "Hello, my name is Marcelo."
        await client.send({"type": "conversation.item.retrieve", "item_id": committed.item_id})
        retrieved = await client.expect("conversation.item.retrieved")
        assert retrieved.item.content[0].transcript == "Hello, my name is Marcelo."
        assert conn.items[0].id == committed.item_id


async def test_no_transcription_events_without_config(server, connect) -> None:
    async with connect(server) as client:
        await append_audio(client, np.concatenate([tone(600), silence(300)]))
        events = await client.until("response.done")
        assert not any("input_audio_transcription" in e.type for e in events)


@pytest.mark.parametrize(("fmt", "encode"), [("audio/pcmu", ulaw_encode), ("audio/pcma", alaw_encode)])
async def test_g711_input_with_vad(server, connect, fmt, encode) -> None:
    async with connect(server) as client:
        await client.send(
            {
                "type": "session.update",
                "session": {"type": "realtime", "audio": {"input": {"format": {"type": fmt}}}},
            }
        )
        assert (await client.expect("session.updated")).session.audio.input.format.type == fmt
        audio = encode(np.concatenate([silence(500, 8000), tone(800, 8000), silence(400, 8000)]).tobytes())
        await append_audio(client, audio, rate=8000)
        started = await client.expect("input_audio_buffer.speech_started")
        assert started.audio_start_ms == 500 - 300
        stopped = await client.expect("input_audio_buffer.speech_stopped")
        assert stopped.audio_end_ms == 1300 + 200
        conn = await server.wait_for_connection()
        item_audio = conn.protocol.conversation.user_audio[stopped.item_id]
        assert len(item_audio) == (1500 - 200) * 48  # handed to the model as 24 kHz PCM16


async def test_speech_during_response_cancels_it(connect) -> None:
    long_reply = Reply.audio(np.zeros(24000 * 20, dtype="<i2").tobytes(), transcript="a long answer " * 20)
    model = ScriptedModel([long_reply])
    async with LocalRealtimeServer(model=model, pace_audio=True) as srv, connect(srv) as client:
        await append_audio(client, np.concatenate([tone(500), silence(300)]))
        created = await client.expect("response.created")
        await client.expect("response.output_audio.delta")
        await append_audio(client, tone(300))
        started = await client.expect("input_audio_buffer.speech_started")
        events = await client.until("response.done")
        done = events[-1]
        assert started.type == "input_audio_buffer.speech_started"
        assert done.response.id == created.response.id
        assert done.response.status == "cancelled"
        assert done.response.status_details.reason == "turn_detected"
        assert done.response.output[0].status == "incomplete"
        audio_after = [e for e in events if e.type == "response.output_audio.delta"]
        assert len(audio_after) <= 2  # the server stops sending audio promptly


async def test_interrupt_response_false_keeps_the_response(connect) -> None:
    model = ScriptedModel([Reply.audio(np.zeros(24000 * 2, dtype="<i2").tobytes(), transcript="keep going")])
    async with LocalRealtimeServer(model=model, pace_audio=True) as srv, connect(srv) as client:
        await client.send(vad_session(interrupt_response=False))
        await client.expect("session.updated")
        await append_audio(client, np.concatenate([tone(500), silence(300)]))
        await client.expect("response.output_audio.delta")
        await append_audio(client, tone(300))
        await client.expect("input_audio_buffer.speech_started")
        done = await client.expect("response.done")
        assert done.response.status == "completed"
