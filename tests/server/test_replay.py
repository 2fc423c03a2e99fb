"""Replay the client side of recorded real GA sessions; compare the kinds of events with the recording.

Data: ``tests/data/recorded/openai_ga.{client,server}.jsonl`` (real OpenAI traffic, see its PROVENANCE.md).
The recorder kept every server event but not every client event: ``response.create`` frames are missing,
so the replay sends one where the recording shows a response starting.  Kinds are compared after a
normalisation that removes what legitimately varies between runs of the real service itself:

- consecutive deltas collapse into one entry, and audio deltas and transcript deltas (which interleave
  differently in every run) count as one kind, ``deltas``;
- ``conversation.item.input_audio_transcription.*`` events are removed from the sequence (they run
  concurrently with the response and land anywhere in it) and checked separately;
- ``rate_limits.updated`` is removed: the recording has it after some responses and not others, the local
  server sends it after every response.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import numpy as np

from realtime_sdk.server import LocalRealtimeServer, Reply, ScriptedModel

from .conftest import Client

DATA = Path(__file__).resolve().parent.parent / "data" / "recorded"
SERVER = [json.loads(line) for line in (DATA / "openai_ga.server.jsonl").read_text().splitlines()]
CLIENT = [json.loads(line) for line in (DATA / "openai_ga.client.jsonl").read_text().splitlines()]
_VARYING = ("conversation.item.input_audio_transcription.", "rate_limits.updated", "output_audio_buffer.")


def normalise(types: list[str]) -> list[str]:
    out: list[str] = []
    for t in types:
        if t.startswith(_VARYING):
            continue
        if t in ("response.output_audio.delta", "response.output_audio_transcript.delta"):
            t = "deltas"
        if not out or out[-1] != t:
            out.append(t)
    return out


def recorded(start: int, responses: int) -> list[str]:
    """Server event types of the recorded session starting at line ``start`` up to its Nth response.done."""
    types: list[str] = []
    for event in SERVER[start:]:
        types.append(event["type"])
        if event["type"] == "response.done":
            responses -= 1
            if responses == 0:
                return types
    raise AssertionError("recording ended early")


async def replay_until(client: Client, events: list[dict[str, Any]], stop: str, count: int = 1) -> None:
    for event in events:
        await client.send(event)
    for _ in range(count):
        await client.expect(stop)


async def test_text_in_audio_out(connect) -> None:
    # Recorded session at server line 1: session.update, a user text item, response.create → spoken reply.
    async with LocalRealtimeServer() as srv, connect(srv, read_created=False) as client:
        await replay_until(client, CLIENT[0:3], "response.done")
        mine = [e.type for e in client.events]
    assert normalise(mine) == normalise(recorded(0, 1))


async def test_tool_call_round(connect) -> None:
    # Recorded session at server line 282 ("Use the get_weather tool ..."): text in, a get_weather call,
    # its output, a text answer.  The recorded call_id is replaced by the one this server made.
    model = ScriptedModel(
        [Reply.function_call("get_weather", {"city": "London"}), Reply.text("It is foggy.")]
    )
    update, question, output = CLIENT[47:50]
    async with LocalRealtimeServer(model=model) as srv, connect(srv, read_created=False) as client:
        await replay_until(client, [update, question, {"type": "response.create"}], "response.done")
        call = client.events[-1].response.output[0]
        assert call.name == "get_weather"
        output = {**output, "item": {**output["item"], "call_id": call.call_id}}
        await replay_until(client, [output, {"type": "response.create"}], "response.done")
        mine = [e.type for e in client.events]
    assert normalise(mine) == normalise(recorded(281, 2))


async def test_audio_in_server_vad_turn(connect) -> None:
    # Recorded session at server line 100: session.update (server VAD, transcription), ~4 s of speech.
    # The recorded append frames end with the speech; the real client kept streaming silence, which the
    # recorder dropped, so 1 s of silence is appended to let the turn end.
    update, *appends = [CLIENT[42], *CLIENT[58:98]]
    tail = {
        "type": "input_audio_buffer.append",
        "audio": base64.b64encode(np.zeros(24000, "<i2").tobytes()).decode(),
    }
    async with LocalRealtimeServer() as srv, connect(srv, read_created=False) as client:
        await replay_until(client, [update, *appends, tail], "response.done")
        if not any(e.type.endswith("input_audio_transcription.completed") for e in client.events):
            await client.expect("conversation.item.input_audio_transcription.completed")
        mine = [e.type for e in client.events]
    assert normalise(mine) == normalise(recorded(99, 1))
    expected = [t for t in recorded(99, 1) if "input_audio_transcription" in t]
    got = [t for t in mine if "input_audio_transcription" in t]
    assert got[-1] == expected[-1] == "conversation.item.input_audio_transcription.completed"
    assert set(got) == set(expected)
    # Ordering, as in all recorded VAD turns: the user's transcript completes while the reply streams,
    # after its first output delta and before its response.done.
    for types in (recorded(99, 1), mine):
        completed = types.index("conversation.item.input_audio_transcription.completed")
        first_delta = next(i for i, t in enumerate(types) if t.startswith("response.output_audio"))
        assert first_delta < completed < types.index("response.done")
