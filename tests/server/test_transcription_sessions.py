"""Transcription sessions (``intent=transcription``): defaults, updates, transcripts of committed audio."""

from __future__ import annotations

import numpy as np

from realtime_sdk.server import LocalRealtimeServer

from .conftest import append_audio, silence, tone

QUERY = "?intent=transcription"


def update(**audio_input: object) -> dict:
    return {"type": "session.update", "session": {"type": "transcription", "audio": {"input": audio_input}}}


async def test_created_with_transcription_defaults(connect) -> None:
    async with LocalRealtimeServer() as srv, connect(srv, query=QUERY) as client:
        session = client.events[0].session
    assert session.type == "transcription" and session.id.startswith("sess_")
    audio_in = session.audio.input
    assert (audio_in.format.type, audio_in.format.rate) == ("audio/pcm", 24000)
    assert audio_in.transcription.model == "gpt-realtime-whisper"
    assert audio_in.turn_detection.type == "server_vad"


async def test_update_and_a_vad_turn_give_deltas_then_completed_with_one_item_id(connect) -> None:
    async with LocalRealtimeServer() as srv, connect(srv, query=QUERY) as client:
        await client.send(update(transcription={"model": "gpt-4o-transcribe", "language": "en"}))
        updated = (await client.expect("session.updated")).session
        assert (updated.audio.input.transcription.model, updated.audio.input.transcription.language) == (
            "gpt-4o-transcribe",
            "en",
        )
        await append_audio(client, np.concatenate([silence(300), tone(1500), silence(800)]))
        events = await client.until("conversation.item.input_audio_transcription.completed")
    types = [e.type for e in events]
    assert types.index("input_audio_buffer.speech_started") < types.index("input_audio_buffer.committed")
    assert "response.created" not in types  # nothing answers in a transcription session
    ids = {e.item_id for e in events if hasattr(e, "item_id")}
    assert len(ids) == 1  # speech events, the commit and the transcript name the same item
    deltas = [e.delta for e in events if e.type.endswith("transcription.delta")]
    # the turn: 300 ms prefix padding + 1500 ms of speech + the 500 ms silence window
    assert "".join(deltas) == events[-1].transcript == "<2.3 seconds of audio>"


async def test_manual_commit_is_transcribed(connect) -> None:
    async with LocalRealtimeServer() as srv, connect(srv, query=QUERY) as client:
        await client.send(update(turn_detection=None))
        await client.expect("session.updated")
        await append_audio(client, tone(500))
        await client.send({"type": "input_audio_buffer.commit"})
        committed = await client.expect("input_audio_buffer.committed")
        done = await client.expect("conversation.item.input_audio_transcription.completed")
    assert done.item_id == committed.item_id and done.transcript == "<0.5 seconds of audio>"


async def test_injected_failure_sends_failed(connect) -> None:
    async with LocalRealtimeServer() as srv, connect(srv, query=QUERY) as client:
        srv.fail_transcriptions(1, message="No speech.", code="audio_unintelligible")
        await client.send(update(turn_detection=None))
        await client.expect("session.updated")
        for _ in range(2):
            await append_audio(client, tone(200))
            await client.send({"type": "input_audio_buffer.commit"})
        failed = await client.expect("conversation.item.input_audio_transcription.failed")
        then = await client.expect("conversation.item.input_audio_transcription.completed")
    assert (failed.error.code, failed.error.message) == ("audio_unintelligible", "No speech.")
    assert then.item_id != failed.item_id  # only one turn failed


async def test_responses_and_realtime_updates_are_refused(connect) -> None:
    async with LocalRealtimeServer() as srv, connect(srv, query=QUERY) as client:
        await client.send({"type": "response.create", "event_id": "r"})
        assert (await client.error()).error.event_id == "r"
        await client.send({"type": "session.update", "session": {"type": "realtime"}, "event_id": "u"})
        error = (await client.error()).error
    assert (error.event_id, error.param) == ("u", "session.type")


async def test_a_realtime_session_still_refuses_a_transcription_update(connect) -> None:
    async with LocalRealtimeServer() as srv, connect(srv) as client:
        await client.send(update())
        assert (await client.error()).error.param == "session.type"


async def test_logprobs_when_included(connect) -> None:
    async with LocalRealtimeServer() as srv, connect(srv, query=QUERY) as client:
        await client.send(
            {
                "type": "session.update",
                "session": {
                    "type": "transcription",
                    "include": ["item.input_audio_transcription.logprobs"],
                    "audio": {"input": {"turn_detection": None}},
                },
            }
        )
        assert (await client.expect("session.updated")).session.include == [
            "item.input_audio_transcription.logprobs"
        ]
        await append_audio(client, tone(400))
        await client.send({"type": "input_audio_buffer.commit"})
        events = await client.until("conversation.item.input_audio_transcription.completed")
    delta = next(e for e in events if e.type.endswith("transcription.delta"))
    assert [lp.token for lp in delta.logprobs] == [delta.delta]
    assert "".join(lp.token for lp in events[-1].logprobs) == events[-1].transcript
