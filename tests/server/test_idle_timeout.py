"""server_vad's ``idle_timeout_ms``: a silent user gets prompted, on the input audio clock.

The API reference: the timeout counts from the end of the last response's playback (``response.done``
plus the response's audio duration); when it passes without speech the server sends
``input_audio_buffer.timeout_triggered`` (``audio_start_ms`` .. ``audio_end_ms`` = the silent stretch),
commits that audio as an ``input_audio`` item and creates a response.

Every time here is input audio the test appended, never wall time: the tests send seconds of audio in
milliseconds, and a marker (a ``conversation.item.retrieve`` of a missing item, answered with an error)
shows what the server sent for the audio before it.
"""

from __future__ import annotations

from itertools import count
from typing import Any

import numpy as np

from realtime_sdk.server import LocalRealtimeServer, Reply, ScriptedModel

from .conftest import Client, append_audio, silence, tone

TIMEOUT_MS = 5000
_markers = count()


def idle_session(**td: Any) -> dict[str, Any]:
    turn_detection = {"type": "server_vad", "idle_timeout_ms": TIMEOUT_MS, **td}
    return {
        "type": "session.update",
        "session": {"type": "realtime", "audio": {"input": {"turn_detection": turn_detection}}},
    }


async def response_done(client: Client) -> Any:
    """The next ``response.done``, and the ``rate_limits.updated`` that follows it."""
    done = await client.expect("response.done")
    assert (await client.recv()).type == "rate_limits.updated"
    return done


async def sent_until_marker(client: Client) -> list[str]:
    """The types of the events the server sent before answering a marker sent now."""
    marker = f"marker-{next(_markers)}"
    await client.send({"type": "conversation.item.retrieve", "item_id": marker, "event_id": marker})
    got = await client.until("error")
    assert got[-1].error.event_id == marker
    return [e.type for e in got[:-1]]


async def test_timeout_after_playback_commits_the_silence_and_responds(connect) -> None:
    one_second = tone(1000).astype("<i2").tobytes()
    model = ScriptedModel([Reply.audio(one_second, "Hello."), Reply.text("Are you still there?")])
    async with LocalRealtimeServer(rate_limits="every", model=model) as srv:
        async with connect(srv) as client:
            await client.send(idle_session())
            updated = await client.expect("session.updated")
            assert updated.session.audio.input.turn_detection.idle_timeout_ms == TIMEOUT_MS
            await append_audio(client, silence(500))
            await client.send({"type": "response.create"})
            done = await response_done(client)  # sent at 500 ms of input audio
            assistant_id = done.response.output[0].id
            # playback ends at 500 + 1000 ms: the timeout is due at 6500 ms of input audio
            await append_audio(client, silence(5900))  # up to 6400
            assert "input_audio_buffer.timeout_triggered" not in await sent_until_marker(client)
            await append_audio(client, silence(200), chunk_ms=200)  # 6400..6600: the deadline inside
            triggered = await client.recv()
            assert triggered.type == "input_audio_buffer.timeout_triggered"
            assert (triggered.audio_start_ms, triggered.audio_end_ms) == (1500, 6500)
            committed = await client.recv()
            assert committed.type == "input_audio_buffer.committed"
            assert (committed.item_id, committed.previous_item_id) == (triggered.item_id, assistant_id)
            added, item_done = await client.recv(), await client.recv()
            assert (added.type, item_done.type) == ("conversation.item.added", "conversation.item.done")
            assert added.item.id == triggered.item_id and added.item.role == "user"
            assert added.item.content[0].type == "input_audio"
            assert (await client.recv()).type == "response.created"
            prompt = await response_done(client)
            assert prompt.response.status == "completed"
        conn = srv.connections[0]
        # exactly the silent stretch is committed; the audio heard during playback is dropped
        assert len(conn.protocol.conversation.user_audio[triggered.item_id]) == TIMEOUT_MS * 48
        assert len(model.requests) == 2 and model.requests[1].items[-1].id == triggered.item_id


async def test_speech_disarms_the_timer_until_the_next_response(connect) -> None:
    model = ScriptedModel([Reply.text("Hi."), Reply.text("Got it.")])
    async with LocalRealtimeServer(rate_limits="every", model=model) as srv:
        async with connect(srv) as client:
            await client.send(idle_session(interrupt_response=False))
            await client.expect("session.updated")
            await client.send(
                {"type": "session.update", "session": {"type": "realtime", "output_modalities": ["text"]}}
            )
            await client.expect("session.updated")
            await append_audio(client, silence(500))
            await client.send({"type": "response.create"})
            await response_done(client)  # text only: the timeout would be due at 5500 ms
            await append_audio(client, silence(3500))  # up to 4000
            # speech over the old deadline; it stops 200 ms after the tone, at the end of what is sent
            await append_audio(client, np.concatenate([tone(2000), silence(200)]))  # up to 6200
            events = await client.until("response.done")
            assert (await client.recv()).type == "rate_limits.updated"
            types = [e.type for e in events]
            assert "input_audio_buffer.timeout_triggered" not in types
            assert types[:2] == ["input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped"]
            assert events[1].audio_end_ms == 6200
            # the turn's response is done at 6200 ms: the timer counts from there
            await append_audio(client, silence(4900))  # up to 11100
            assert "input_audio_buffer.timeout_triggered" not in await sent_until_marker(client)
            await append_audio(client, silence(100))  # up to 11200
            triggered = await client.expect("input_audio_buffer.timeout_triggered")
            assert (triggered.audio_start_ms, triggered.audio_end_ms) == (6200, 11200)


async def test_no_timeout_before_any_response(server, connect) -> None:
    async with connect(server) as client:
        await client.send(idle_session())
        await client.expect("session.updated")
        await append_audio(client, silence(2 * TIMEOUT_MS))
        assert await sent_until_marker(client) == []


async def test_no_timeout_without_idle_timeout_ms(server, connect) -> None:
    async with connect(server) as client:
        await client.send(idle_session(idle_timeout_ms=None))
        await client.expect("session.updated")
        await client.send({"type": "response.create"})
        await response_done(client)
        await append_audio(client, silence(4 * TIMEOUT_MS))
        assert await sent_until_marker(client) == []


async def test_timeout_counts_from_a_clear_after_playback(connect) -> None:
    async with LocalRealtimeServer(rate_limits="every", model=ScriptedModel([Reply.text("Hi.")])) as srv:
        async with connect(srv) as client:
            await client.send(idle_session())
            await client.expect("session.updated")
            await client.send(
                {"type": "session.update", "session": {"type": "realtime", "output_modalities": ["text"]}}
            )
            await client.expect("session.updated")
            await client.send({"type": "response.create"})
            await response_done(client)  # at 0 ms
            await append_audio(client, silence(3000))
            await client.send({"type": "input_audio_buffer.clear"})
            await client.expect("input_audio_buffer.cleared")
            await append_audio(client, silence(4900))  # 3000..7900: 5000 ms after 0, not after the clear
            assert await sent_until_marker(client) == []
            await append_audio(client, silence(100))
            triggered = await client.expect("input_audio_buffer.timeout_triggered")
            assert (triggered.audio_start_ms, triggered.audio_end_ms) == (3000, 8000)


async def test_idle_timeout_out_of_range(server, connect) -> None:
    async with connect(server) as client:
        for value, code in ((4999, "integer_below_min_value"), (30001, "integer_above_max_value")):
            await client.send({**idle_session(idle_timeout_ms=value), "event_id": f"v{value}"})
            error = (await client.error()).error
            assert (error.code, error.event_id) == (code, f"v{value}")
            assert error.param == "session.audio.input.turn_detection.idle_timeout_ms"
