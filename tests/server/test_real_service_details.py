"""Details where the real service was seen to behave in a particular way (``tests/data/recorded``)."""

from __future__ import annotations

import json
import time

from realtime_sdk.server import LocalRealtimeServer, Reply, ScriptedModel

from . import recorded
from .conftest import manual_session


def _recorded_session(model: str) -> dict:
    return next(
        e["session"]
        for e in recorded.SERVER
        if e["type"] == "session.created" and e["session"]["model"] == model
    )


async def test_default_model_is_gpt_realtime_2_1_with_its_recorded_defaults(connect) -> None:
    async with LocalRealtimeServer() as srv, connect(srv, query="") as client:
        session = client.events[0].session
    real = _recorded_session("gpt-realtime-2.1")
    assert session.model == real["model"] == "gpt-realtime-2.1"
    assert session.audio.output.voice == real["audio"]["output"]["voice"] == "marin"
    td = session.audio.input.turn_detection
    assert td.silence_duration_ms == real["audio"]["input"]["turn_detection"]["silence_duration_ms"] == 500


async def test_gpt_realtime_keeps_its_recorded_defaults(connect) -> None:
    async with LocalRealtimeServer() as srv, connect(srv, query="?model=gpt-realtime") as client:
        session = client.events[0].session
        # a server_vad given by type only is filled with the model's silence window
        await client.send(
            {
                "type": "session.update",
                "session": {
                    "type": "realtime",
                    "audio": {"input": {"turn_detection": {"type": "server_vad"}}},
                },
            }
        )
        updated = (await client.expect("session.updated")).session
    real = _recorded_session("gpt-realtime")
    assert session.audio.output.voice == real["audio"]["output"]["voice"] == "alloy"
    assert updated.audio.input.turn_detection.silence_duration_ms == 200


async def test_expires_one_hour_after_creation(connect) -> None:
    before = time.time()
    async with LocalRealtimeServer() as srv, connect(srv) as client:
        expires = client.events[0].session.expires_at
    assert before + 3600 - 1 <= expires <= time.time() + 3600 + 1
    real = [e["session"] for e in recorded.SERVER if e["type"] == "session.created"]
    assert all(isinstance(s["expires_at"], int) for s in real)


async def test_empty_instructions_are_ignored(server, connect) -> None:
    async with connect(server) as client:
        await client.send(
            {"type": "session.update", "session": {"type": "realtime", "instructions": "Be brief."}}
        )
        await client.expect("session.updated")
        await client.send({"type": "session.update", "session": {"type": "realtime", "instructions": ""}})
        assert (await client.expect("session.updated")).session.instructions == "Be brief."


async def test_cancel_without_a_response_has_the_exact_real_message(server, connect) -> None:
    async with connect(server) as client:
        await client.send({"type": "response.cancel", "event_id": "c1"})
        error = (await client.error()).error
    assert error.message == "Cancellation failed: no active response found"
    assert (error.code, error.event_id) == ("response_cancel_not_active", "c1")


async def _retrieved(client) -> dict:
    """The item of the next ``conversation.item.retrieved``, as JSON (the typed event has no ``phase``)."""
    while True:
        frame = json.loads((await client.ws.receive(timeout=10)).data)
        if frame["type"] == "conversation.item.retrieved":
            return frame["item"]


async def _text_turn(client, text: str) -> list:
    await client.send(
        {
            "type": "conversation.item.create",
            "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]},
        }
    )
    await client.expect("conversation.item.done")
    await client.send({"type": "response.create"})
    return await client.until("response.done")


async def test_rate_limits_follow_most_responses_not_all(connect) -> None:
    async with LocalRealtimeServer() as srv, connect(srv) as client:
        await client.send(manual_session(output_modalities=["text"]))
        await client.expect("session.updated")
        for n in range(6):
            await _text_turn(client, f"turn {n}")
        await client.send({"type": "response.cancel", "event_id": "end"})
        await client.error()
        types = [e.type for e in client.events]
    after = [types[i + 1] == "rate_limits.updated" for i, t in enumerate(types) if t == "response.done"]
    assert after == [True, True, False, True, True, False]


async def test_previous_item_id_null_until_the_model_has_spoken(connect) -> None:
    async with LocalRealtimeServer() as srv, connect(srv) as client:
        await client.send(manual_session(output_modalities=["text"]))
        await client.expect("session.updated")
        first = await _text_turn(client, "one")
        second = await _text_turn(client, "two")
    done = [e for e in first + second if e.type == "conversation.item.done" and e.item.role == "assistant"]
    assert done[0].previous_item_id is None  # recorded: null for the first model output
    assert done[1].previous_item_id is not None  # and set once earlier model output exists
    added = [e for e in first if e.type == "conversation.item.added" and e.item.role == "assistant"]
    assert added[0].previous_item_id is not None  # item.added names its predecessor all the same


async def test_retrieved_assistant_audio_is_stored_as_audio_pcm16(server, connect, http) -> None:
    async with connect(server) as client:
        await client.send(manual_session())
        await client.expect("session.updated")
        events = await _text_turn(client, "speak")
        item_id = events[-1].response.output[0].id
        await client.send({"type": "conversation.item.retrieve", "item_id": item_id})
        item = await _retrieved(client)
    assert item["object"] == "realtime.item"
    part = item["content"][0]
    assert (part["type"], part["format"]) == ("audio", "pcm16")
    assert (
        isinstance(part["audio"], str)
        and len(part["audio"]) > 100
        and part["transcript"] == "You said: speak"
    )


async def test_preamble_overlaps_the_call_and_phases_are_sent_strictly(connect) -> None:
    model = ScriptedModel(
        [Reply.text("Let me check.") + Reply.function_call("get_weather", {"city": "Oslo"})]
    )
    tools = [{"type": "function", "name": "get_weather", "parameters": {"type": "object"}}]
    async with LocalRealtimeServer(model=model, strict=True) as srv, connect(srv, query="") as client:
        await client.send(
            {
                "type": "session.update",
                "session": {"type": "realtime", "tools": tools, "output_modalities": ["text"]},
            }
        )
        await client.expect("session.updated")
        await client.send(
            {
                "type": "conversation.item.create",
                "item": {
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": "weather?"}],
                },
            }
        )
        await client.expect("conversation.item.done")
        await client.send({"type": "response.create"})
        frames = []
        while not frames or frames[-1]["type"] != "response.done":
            frames.append(json.loads((await client.ws.receive(timeout=10)).data))
    types = [f["type"] for f in frames]
    call_added = types.index("response.output_item.added", types.index("response.output_text.delta"))
    assert call_added < types.index("response.output_text.done")  # the call starts while the preamble streams
    done = frames[-1]["response"]["output"]
    assert [o.get("phase") for o in done] == ["commentary", None]
    assert frames[-1]["response"]["status"] == "completed"


async def test_a_single_message_is_the_final_answer(connect) -> None:
    async with LocalRealtimeServer() as srv, connect(srv, query="?model=gpt-realtime-2.1") as client:
        await client.send(manual_session(output_modalities=["text"]))
        await client.expect("session.updated")
        await _text_turn(client, "hi")
        await client.send(
            {"type": "conversation.item.retrieve", "item_id": client.events[-1].response.output[0].id}
        )
        item = await _retrieved(client)
    assert item["phase"] == "final_answer"


async def test_gpt_realtime_sends_no_phase(connect) -> None:
    async with LocalRealtimeServer() as srv, connect(srv, query="?model=gpt-realtime") as client:
        await client.send(manual_session(output_modalities=["text"]))
        await client.expect("session.updated")
        await _text_turn(client, "hi")
        await client.send(
            {"type": "conversation.item.retrieve", "item_id": client.events[-1].response.output[0].id}
        )
        item = await _retrieved(client)
    assert "phase" not in item


async def test_a_manual_turn_gets_its_transcript_before_the_response_it_asks_for(connect) -> None:
    from .conftest import append_audio, tone

    async with LocalRealtimeServer() as srv, connect(srv) as client:
        await client.send(
            manual_session(audio={"input": {"turn_detection": None, "transcription": {"model": "whisper-1"}}})
        )
        await client.expect("session.updated")
        await append_audio(client, tone(300))
        await client.send({"type": "input_audio_buffer.commit"})
        await client.send({"type": "response.create"})  # sent together: the transcript still comes first
        events = await client.until("response.done")
    types = [e.type for e in events]
    assert types.index("conversation.item.input_audio_transcription.completed") < types.index(
        "response.created"
    )
