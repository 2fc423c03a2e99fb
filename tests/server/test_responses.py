"""response.create / response.cancel: the ordered sequences, options, function calls, formats, usage."""

from __future__ import annotations

import asyncio
import base64
import math

import numpy as np
import pytest

from realtime_sdk.audio import ulaw_decode
from realtime_sdk.server import LocalRealtimeServer, Reply, ScriptedModel
from realtime_sdk.server._responses import ResponseRun

from .conftest import Client

TEXT_SEQUENCE = [
    "response.created",
    "response.output_item.added",
    "conversation.item.added",
    "response.content_part.added",
    "response.output_text.delta",
    "response.output_text.done",
    "response.content_part.done",
    "conversation.item.done",
    "response.output_item.done",
    "response.done",
    "rate_limits.updated",
]
AUDIO_SEQUENCE = [
    "response.created",
    "response.output_item.added",
    "conversation.item.added",
    "response.content_part.added",
    "deltas",
    "response.output_audio.done",
    "response.output_audio_transcript.done",
    "response.content_part.done",
    "conversation.item.done",
    "response.output_item.done",
    "response.done",
    "rate_limits.updated",
]
CALL_SEQUENCE = [
    "response.created",
    "response.output_item.added",
    "conversation.item.added",
    "response.function_call_arguments.delta",
    "response.function_call_arguments.done",
    "conversation.item.done",
    "response.output_item.done",
    "response.done",
    "rate_limits.updated",
]


def kinds(events) -> list[str]:
    """Event types with runs collapsed; audio and transcript deltas (interleaved) become one 'deltas'."""
    out: list[str] = []
    for e in events:
        t = e.type
        if t in ("response.output_audio.delta", "response.output_audio_transcript.delta"):
            t = "deltas"
        if not out or out[-1] != t:
            out.append(t)
    return out


async def say(client: Client, text: str, **response: object) -> list:
    await client.send(
        {
            "type": "conversation.item.create",
            "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]},
        }
    )
    await client.expect("conversation.item.done")
    await client.send({"type": "response.create", **({"response": response} if response else {})})
    return await client.until("rate_limits.updated")


async def test_text_response_sequence_and_echo(server, connect) -> None:
    async with connect(server) as client:
        events = await say(client, "Say a short greeting.", output_modalities=["text"])
        assert kinds(events) == TEXT_SEQUENCE
        text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
        assert text == "You said: Say a short greeting."
        done = events[-2].response
        assert done.status == "completed" and done.status_details is None
        assert done.output[0].content[0].type == "output_text" and done.output[0].content[0].text == text
        ids = {e.response_id for e in events if hasattr(e, "response_id")}
        assert ids == {done.id}


async def test_audio_response_sequence(server, connect) -> None:
    async with connect(server) as client:
        events = await say(client, "Hello there friend")
        assert kinds(events) == AUDIO_SEQUENCE
        part = events[3].part
        assert (part.type, part.transcript) == ("audio", "")
        transcript = "".join(e.delta for e in events if e.type == "response.output_audio_transcript.delta")
        tdone = next(e for e in events if e.type == "response.output_audio_transcript.done")
        assert transcript == "You said: Hello there friend" == tdone.transcript
        chunks = [e.delta for e in events if e.type == "response.output_audio.delta"]
        assert all(len(c) == 4800 for c in chunks[:-1])  # 100 ms of 24 kHz PCM16 per delta
        done = events[-2].response
        assert (
            done.output[0].content[0].type == "output_audio"
            and done.output[0].content[0].transcript == transcript
        )
        assert done.audio.output.format.type == "audio/pcm" and done.audio.output.voice == "alloy"
        # usage is consistent: output audio tokens from the duration (1 per 50 ms), totals add up
        u = done.usage
        audio_ms = sum(len(c) for c in chunks) / 48
        assert u.output_token_details.audio_tokens == int(np.ceil(audio_ms / 50))
        assert u.total_tokens == u.input_tokens + u.output_tokens
        assert u.output_tokens == u.output_token_details.text_tokens + u.output_token_details.audio_tokens
        assert u.input_tokens == u.input_token_details.text_tokens + u.input_token_details.audio_tokens
        limits = events[-1].rate_limits[0]
        assert limits.name == "tokens" and limits.remaining == limits.limit - u.total_tokens


async def test_metadata_is_echoed_in_created_and_done(server, connect) -> None:
    async with connect(server) as client:
        events = await say(client, "tag me", metadata={"sdk_tag": "r-42"})
        created, done = events[0], events[-2]
        assert created.response.metadata == {"sdk_tag": "r-42"} == done.response.metadata
        assert created.response.status == "in_progress" and created.response.usage is None


async def test_out_of_band_response_stays_out_of_the_conversation(server, connect) -> None:
    async with connect(server) as client:
        await say(client, "in band", output_modalities=["text"])
        conn = await server.wait_for_connection()
        before = [i.id for i in conn.items]
        await client.send(
            {
                "type": "response.create",
                "response": {
                    "conversation": "none",
                    "output_modalities": ["text"],
                    "metadata": {"purpose": "classify"},
                    "instructions": "Classify.",
                    "input": [
                        {
                            "type": "message",
                            "role": "user",
                            "content": [{"type": "input_text", "text": "only this"}],
                        }
                    ],
                },
            }
        )
        events = await client.until("rate_limits.updated")
        assert "conversation.item.added" not in kinds(events) and "conversation.item.done" not in kinds(
            events
        )
        done = events[-2].response
        assert done.conversation_id is None and done.metadata == {"purpose": "classify"}
        assert done.output[0].content[0].text == "You said: only this"  # the model saw only the given input
        assert [i.id for i in conn.items] == before


async def test_per_response_instructions_modalities_and_tools(connect) -> None:
    model = ScriptedModel([Reply.text("fine")])
    async with LocalRealtimeServer(rate_limits="every", model=model) as srv, connect(srv) as client:
        tools = [{"type": "function", "name": "lookup", "parameters": {"type": "object"}}]
        events = await say(client, "x", instructions="Be brief.", output_modalities=["text"], tools=tools)
        assert kinds(events) == TEXT_SEQUENCE
        request = model.requests[0]
        assert (request.instructions, request.output_modalities, request.tools) == (
            "Be brief.",
            ["text"],
            ["lookup"],
        )
        events = await say(client, "y")
        assert model.requests[1].tools == [] and model.requests[1].output_modalities == ["audio"]


async def test_second_create_while_active_is_refused(connect) -> None:
    model = ScriptedModel([Reply.audio(np.zeros(24000 * 5, dtype="<i2").tobytes(), transcript="long")])
    async with (
        LocalRealtimeServer(rate_limits="every", model=model, pace_audio=True) as srv,
        connect(srv) as client,
    ):
        await client.send({"type": "response.create"})
        created = await client.expect("response.created")
        await client.send({"type": "response.create", "event_id": "second"})
        error = (await client.error()).error
        assert (error.code, error.event_id, error.param) == (
            "conversation_already_has_active_response",
            "second",
            None,
        )
        assert created.response.id in error.message
        await client.send({"type": "response.cancel"})
        done = await client.expect("response.done")
        assert (done.response.status, done.response.status_details.reason) == (
            "cancelled",
            "client_cancelled",
        )
        assert done.response.status_details.type == "cancelled"


async def test_cancel_with_nothing_active(server, connect) -> None:
    async with connect(server) as client:
        await client.send({"type": "response.cancel", "event_id": "c0"})
        error = (await client.recv()).error
        assert (error.code, error.event_id) == ("response_cancel_not_active", "c0")


async def test_cancel_mid_audio_closes_the_item_incomplete(connect) -> None:
    model = ScriptedModel(
        [Reply.audio(np.zeros(24000 * 5, dtype="<i2").tobytes(), transcript="one two three four")]
    )
    async with (
        LocalRealtimeServer(rate_limits="every", model=model, pace_audio=True) as srv,
        connect(srv) as client,
    ):
        await client.send({"type": "response.create"})
        await client.expect("response.output_audio.delta")
        await client.send({"type": "response.cancel"})
        events = await client.until("response.done")
        tail = [k for k in kinds(events) if k != "deltas"]
        assert tail == [
            "response.output_audio.done",
            "response.output_audio_transcript.done",
            "response.content_part.done",
            "conversation.item.done",
            "response.output_item.done",
            "response.done",
        ]
        assert events[-1].response.output[0].status == "incomplete"
        await client.expect("rate_limits.updated")
        await client.send({"type": "response.create"})  # a new response is allowed at once
        assert (await client.expect("response.created")).type == "response.created"


async def test_function_call_with_argument_deltas(connect) -> None:
    model = ScriptedModel([Reply.function_call("get_weather", {"city": "London"})])
    async with LocalRealtimeServer(rate_limits="every", model=model) as srv, connect(srv) as client:
        events = await say(client, "What is the weather in London?")
        assert kinds(events) == CALL_SEQUENCE
        added = events[1].item
        assert (added.type, added.status, added.name, added.arguments) == (
            "function_call",
            "in_progress",
            "get_weather",
            "",
        )
        deltas = "".join(e.delta for e in events if e.type == "response.function_call_arguments.delta")
        done = next(e for e in events if e.type == "response.function_call_arguments.done")
        assert deltas == done.arguments == '{"city": "London"}'
        assert done.call_id == added.call_id and done.name == "get_weather"
        assert events[-2].response.output[0].status == "completed"


async def test_several_function_calls_in_one_response(connect) -> None:
    model = ScriptedModel([Reply.function_calls([("a", {"x": 1}), ("b", "{}")])])
    async with LocalRealtimeServer(rate_limits="every", model=model) as srv, connect(srv) as client:
        events = await say(client, "two calls")
        done = events[-2].response
        assert [o.name for o in done.output] == ["a", "b"]
        assert [e.output_index for e in events if e.type == "response.output_item.added"] == [0, 1]
        assert len({o.call_id for o in done.output}) == 2


async def test_text_then_call_in_one_response(connect) -> None:
    model = ScriptedModel([Reply.text("Let me check.") + Reply.function_call("lookup", {})])
    async with LocalRealtimeServer(rate_limits="every", model=model) as srv, connect(srv) as client:
        events = await say(client, "check", output_modalities=["text"])
        assert [o.type for o in events[-2].response.output] == ["message", "function_call"]


async def test_scripted_error_fails_the_response(connect) -> None:
    model = ScriptedModel([Reply.error("server_error", "boom")])
    async with LocalRealtimeServer(rate_limits="every", model=model) as srv, connect(srv) as client:
        events = await say(client, "x")
        done = events[-2].response
        assert done.status == "failed" and done.status_details.error.code == "server_error"
        assert kinds(events) == ["response.created", "response.done", "rate_limits.updated"]


async def test_echo_model_tool_call_and_function_output_reply(server, connect) -> None:
    async with connect(server) as client:
        tools = [{"type": "function", "name": "get_weather", "parameters": {"type": "object"}}]
        await client.send(
            {
                "type": "session.update",
                "session": {"type": "realtime", "tools": tools, "output_modalities": ["text"]},
            }
        )
        await client.expect("session.updated")
        events = await say(client, 'please call get_weather({"city": "Paris"})')
        call = events[-2].response.output[0]
        assert (call.type, call.name, call.arguments) == ("function_call", "get_weather", '{"city": "Paris"}')
        await client.send(
            {
                "type": "conversation.item.create",
                "item": {"type": "function_call_output", "call_id": call.call_id, "output": "sunny"},
            }
        )
        await client.expect("conversation.item.done")
        await client.send({"type": "response.create"})
        events = await client.until("rate_limits.updated")
        assert events[-2].response.output[0].content[0].text == "The function returned: sunny"
        # an unknown tool is not called: the pattern is answered as text
        events = await say(client, "call launch_rockets()")
        assert events[-2].response.output[0].type == "message"


@pytest.mark.parametrize("fmt", ["audio/pcmu", "audio/pcma"])
async def test_g711_output(connect, fmt) -> None:
    pcm = (np.sin(np.arange(24000) / 20) * 8000).astype("<i2").tobytes()
    async with (
        LocalRealtimeServer(rate_limits="every", model=ScriptedModel([Reply.audio(pcm, "tone")])) as srv,
        connect(srv) as client,
    ):
        await client.send(
            {
                "type": "session.update",
                "session": {"type": "realtime", "audio": {"output": {"format": {"type": fmt}}}},
            }
        )
        await client.expect("session.updated")
        events = await say(client, "x")
        chunks = [e.delta for e in events if e.type == "response.output_audio.delta"]
        assert sum(len(c) for c in chunks) == 8000 and all(
            len(c) == 800 for c in chunks
        )  # 8 kHz, 1 byte a sample
        assert events[-2].response.audio.output.format.type == fmt
        if fmt == "audio/pcmu":
            decoded = np.frombuffer(ulaw_decode(b"".join(chunks)), dtype="<i2")
            assert np.abs(decoded).max() > 4000  # the tone survived the trip


async def test_per_response_output_format(server, connect) -> None:
    async with connect(server) as client:
        events = await say(client, "x", audio={"output": {"format": {"type": "audio/pcmu"}}})
        assert events[-2].response.audio.output.format.type == "audio/pcmu"
        assert all(len(e.delta) <= 800 for e in events if e.type == "response.output_audio.delta")


def spy_on_pacing(monkeypatch: pytest.MonkeyPatch) -> list[tuple[float | None, float]]:
    """Every pacing step of the server's responses: (the time the step waits until, or None for no wait;
    how far past that time the loop's clock was when the step returned)."""
    steps: list[tuple[float | None, float]] = []
    original = ResponseRun._pace

    async def pace(self: ResponseRun, until: float | None, loop: asyncio.AbstractEventLoop | None) -> None:
        await original(self, until, loop)
        now = asyncio.get_running_loop().time()
        steps.append((until, 0.0 if until is None else now - until))

    monkeypatch.setattr(ResponseRun, "_pace", pace)
    return steps


async def test_pace_audio_sends_in_real_time(connect, monkeypatch) -> None:
    # No wall-clock bounds (a busy machine only makes things later): the schedule is checked, and that
    # no step came back before its time on the loop's own clock.
    steps = spy_on_pacing(monkeypatch)
    model = ScriptedModel([Reply.audio(np.zeros(24000, dtype="<i2").tobytes(), "one second")])
    async with (
        LocalRealtimeServer(rate_limits="every", model=model, pace_audio=True) as srv,
        connect(srv) as client,
    ):
        await client.send({"type": "response.create"})
        first = await client.expect("response.output_audio.delta")
        await client.expect("response.output_audio.done")
    assert len(first.delta) == 4800  # 100 ms: 2400 samples of 24 kHz PCM16
    deadlines = [until for until, _ in steps]
    assert len(deadlines) == 10 and None not in deadlines  # ten deltas, each waits
    # each delta is due 100 ms after the one before it: the second of audio takes a second
    assert [d - deadlines[0] for d in deadlines] == pytest.approx([k / 10 for k in range(10)])  # type: ignore[operator]
    assert all(late >= -1e-6 for _, late in steps)  # never early (clock resolution aside)


async def test_unpaced_audio_is_fast(connect, monkeypatch) -> None:
    steps = spy_on_pacing(monkeypatch)
    model = ScriptedModel([Reply.audio(np.zeros(24000 * 10, dtype="<i2").tobytes(), "ten seconds")])
    async with LocalRealtimeServer(rate_limits="every", model=model) as srv, connect(srv) as client:
        await client.send({"type": "response.create"})
        events = await client.until("response.done")
    assert sum(len(e.delta) for e in events if e.type == "response.output_audio.delta") == 24000 * 10 * 2
    # 100 deltas, and not one of them waits for the clock: each step only lets other tasks run
    assert [until for until, _ in steps] == [None] * 100


async def test_audio_delta_is_base64_of_pcm(server, connect) -> None:
    async with connect(server) as client:
        await client.send({"type": "response.create"})
        raw = None
        while raw is None:
            msg = await client.ws.receive(timeout=10)
            if '"response.output_audio.delta"' in msg.data:
                raw = msg.data
        import json

        assert len(base64.b64decode(json.loads(raw)["delta"])) % 2 == 0


async def test_voice_is_fixed_once_the_model_has_spoken(server, connect) -> None:
    async with connect(server) as client:
        voice = {"type": "realtime", "audio": {"output": {"voice": "marin"}}}
        await client.send({"type": "session.update", "session": voice})
        assert (await client.expect("session.updated")).session.audio.output.voice == "marin"
        await say(client, "hello")  # an audio response: the default modality
        await client.send(
            {"type": "session.update", "event_id": "evt_v", "session": {**voice, "instructions": "x"}}
        )
        assert (await client.expect("session.updated")).session.instructions == "x"  # same voice: fine
        await client.send(
            {
                "type": "session.update",
                "event_id": "evt_v2",
                "session": {"type": "realtime", "audio": {"output": {"voice": "cedar"}}},
            }
        )
        error = (await client.recv()).error
        assert (error.code, error.event_id, error.param) == ("cannot_update_voice", "evt_v2", None)
        assert error.message == "Cannot update a conversation's voice if assistant audio is present."
        assert (await server.wait_for_connection()).session.audio.output.voice == "marin"


async def test_voice_may_change_after_text_only_responses(server, connect) -> None:
    async with connect(server) as client:
        await say(client, "hello", output_modalities=["text"])
        await client.send(
            {
                "type": "session.update",
                "session": {"type": "realtime", "audio": {"output": {"voice": "cedar"}}},
            }
        )
        assert (await client.recv()).session.audio.output.voice == "cedar"


async def test_per_response_tools_are_validated(server, connect) -> None:
    async with connect(server) as client:
        tools = [{"type": "function", "name": "f"}, {"type": "function", "name": "f"}]
        await client.send({"type": "response.create", "event_id": "evt_t", "response": {"tools": tools}})
        error = (await client.recv()).error
        assert (error.code, error.param, error.event_id) == (
            "invalid_value",
            "response.tools[1].name",
            "evt_t",
        )
        await client.send({"type": "response.create", "response": {"tools": [{"type": "function"}]}})
        assert (await client.recv()).error.param == "response.tools[0].name"


@pytest.mark.parametrize("where", ["session", "response"])
async def test_max_output_tokens_stops_the_response_incomplete(server, connect, where) -> None:
    limit = 3
    async with connect(server) as client:
        if where == "session":
            await client.send(
                {"type": "session.update", "session": {"type": "realtime", "max_output_tokens": limit}}
            )
            await client.expect("session.updated")
            events = await say(client, "please repeat all of these words", output_modalities=["text"])
        else:
            events = await say(
                client,
                "please repeat all of these words",
                output_modalities=["text"],
                max_output_tokens=limit,
            )
        deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
        text = "".join(deltas)
        assert "You said: please repeat all of these words".startswith(text)
        # documented estimate: one token per 4 characters; it stops at the first delta reaching the limit
        assert math.ceil(len(text) / 4) >= limit > math.ceil(len(text[: -len(deltas[-1])]) / 4)
        done = events[-2].response
        assert (done.status, done.status_details.type, done.status_details.reason) == (
            "incomplete",
            "incomplete",
            "max_output_tokens",
        )
        assert done.output[0].status == "incomplete"
        assert done.output[0].content[0].text == text
        assert done.usage.output_tokens == math.ceil(len(text) / 4)
        assert kinds(events) == TEXT_SEQUENCE


async def test_max_output_tokens_limits_audio_too(server, connect) -> None:
    async with connect(server) as client:
        events = await say(
            client, "a longer sentence that takes a while to say out loud", max_output_tokens=4
        )
        audio_ms = sum(len(e.delta) / 48 for e in events if e.type == "response.output_audio.delta")
        assert events[-2].response.status == "incomplete"
        assert 0 < audio_ms <= 4 * 50  # one audio token per 50 ms, as documented


@pytest.mark.parametrize(
    ("value", "code"), [(0, "integer_below_min_value"), (5000, "integer_above_max_value")]
)
async def test_response_max_output_tokens_out_of_range(server, connect, value, code) -> None:
    async with connect(server) as client:
        await client.send(
            {"type": "response.create", "event_id": "e9", "response": {"max_output_tokens": value}}
        )
        error = (await client.recv()).error
        assert (error.code, error.param, error.event_id) == (code, "response.max_output_tokens", "e9")
