"""session.created, session.update merging and validation, unknown events, malformed JSON, expiry."""

from __future__ import annotations

import pytest

from realtime_sdk.server import LocalRealtimeServer

from .conftest import b64, manual_session, silence, tone


async def test_session_created_has_full_default_config(server, connect) -> None:
    async with connect(server, read_created=False) as client:
        created = await client.recv()
    s = created.session
    assert s.id.startswith("sess_") and s.object == "realtime.session"
    assert s.expires_at > 0 and s.output_modalities == ["audio"]
    assert (
        s.tools == [] and s.tool_choice == "auto" and s.max_output_tokens == "inf" and s.truncation == "auto"
    )
    td = s.audio.input.turn_detection
    assert (td.type, td.threshold, td.prefix_padding_ms, td.silence_duration_ms) == (
        "server_vad",
        0.5,
        300,
        200,
    )
    assert td.create_response is True and td.interrupt_response is True
    assert s.audio.input.format.type == "audio/pcm" and s.audio.input.format.rate == 24000
    assert s.audio.input.transcription is None
    assert s.audio.output.voice == "alloy" and s.audio.output.speed == 1.0


async def test_session_update_merges_and_answers_whole_session(server, connect) -> None:
    async with connect(server) as client:
        await client.send(
            {
                "type": "session.update",
                "session": {
                    "type": "realtime",
                    "instructions": "Answer in two or three words.",
                    "audio": {
                        "input": {
                            "turn_detection": {"type": "server_vad", "create_response": False},
                            "transcription": {"model": "gpt-realtime-whisper"},
                        },
                        "output": {"voice": "marin"},
                    },
                },
            }
        )
        updated = await client.expect("session.updated")
        s = updated.session
        assert s.instructions == "Answer in two or three words."
        assert s.audio.input.turn_detection.threshold == 0.5  # filled with defaults
        assert s.audio.input.turn_detection.create_response is False
        assert s.audio.input.transcription.model == "gpt-realtime-whisper"
        assert s.audio.output.voice == "marin" and s.audio.output.speed == 1.0  # merged, not replaced
        assert s.output_modalities == ["audio"]  # untouched
        await client.send(
            {"type": "session.update", "session": {"type": "realtime", "output_modalities": ["text"]}}
        )
        s2 = (await client.expect("session.updated")).session
        assert s2.output_modalities == ["text"] and s2.instructions == "Answer in two or three words."
        conn = await server.wait_for_connection()
        assert conn.session == s2


@pytest.mark.parametrize(
    ("session", "code", "param"),
    [
        (
            {"audio": {"input": {"turn_detection": {"type": "server_vad", "threshold": 1.5}}}},
            "decimal_above_max_value",
            "session.audio.input.turn_detection.threshold",
        ),
        ({"output_modalities": ["text", "audio"]}, "invalid_value", "session.output_modalities"),
        (
            {"audio": {"input": {"format": {"type": "audio/pcm", "rate": 16000}}}},
            "invalid_value",
            "session.audio.input.format.rate",
        ),
        ({"audio": {"output": {"speed": 4.0}}}, "decimal_above_max_value", "session.audio.output.speed"),
        ({"tool_choice": "sometimes"}, "invalid_value", "session.tool_choice"),
        ({"max_output_tokens": 0}, "integer_below_min_value", "session.max_output_tokens"),
        ({"tracing": "bogus"}, "invalid_value", "session.tracing"),
        ({"instructions": 5}, "invalid_type", "session.instructions"),
        ({"output_modalities": None}, "invalid_type", "session.output_modalities"),
        ({"audio": {"output": {"format": None}}}, "invalid_type", "session.audio.output.format"),
        ({"audio": {"output": {"voice": None}}}, "invalid_type", "session.audio.output.voice"),
        ({"tools": [{"type": "function"}]}, "missing_required_parameter", "session.tools[0].name"),
        (
            {"audio": {"input": {"turn_detection": {"type": "semantic_vad", "eagerness": "eager"}}}},
            "invalid_value",
            "session.audio.input.turn_detection.eagerness",
        ),
    ],
)
async def test_invalid_session_update_is_an_error_and_changes_nothing(
    server, connect, session, code, param
) -> None:
    async with connect(server) as client:
        conn = await server.wait_for_connection()
        before = conn.session
        await client.send(
            {"type": "session.update", "event_id": "evt_bad", "session": {"type": "realtime", **session}}
        )
        error = (await client.recv()).error
        assert (error.type, error.code, error.param, error.event_id) == (
            "invalid_request_error",
            code,
            param,
            "evt_bad",
        )
        assert error.message
        assert conn.session == before
        # the connection survives
        await client.send({"type": "session.update", "session": {"type": "realtime", "instructions": "ok"}})
        assert (await client.recv()).type == "session.updated"


async def test_missing_session_type_is_missing_required_parameter(server, connect) -> None:
    async with connect(server) as client:
        await client.send({"type": "session.update", "event_id": "e1", "session": {"instructions": "x"}})
        error = (await client.error()).error
        assert (error.code, error.param, error.event_id) == (
            "missing_required_parameter",
            "session.type",
            "e1",
        )


async def test_unknown_event_type_is_an_error_and_connection_survives(server, connect) -> None:
    async with connect(server) as client:
        await client.send({"type": "session.explode", "event_id": "e2"})
        error = (await client.recv()).error
        assert (error.code, error.param, error.event_id) == ("invalid_value", "type", "e2")
        assert "session.explode" in error.message
        await client.send({"type": "input_audio_buffer.clear"})
        assert (await client.recv()).type == "input_audio_buffer.cleared"


@pytest.mark.parametrize("frame", ["{not json", "[1, 2]", '"text"'])
async def test_malformed_json_is_an_error_and_connection_survives(server, connect, frame) -> None:
    async with connect(server) as client:
        await client.ws.send_str(frame)
        error = (await client.recv()).error
        assert error.code == "invalid_json" and error.type == "invalid_request_error"
        await client.send({"type": "input_audio_buffer.clear"})
        assert (await client.recv()).type == "input_audio_buffer.cleared"


async def test_turn_detection_null_switches_to_manual_turns(server, connect) -> None:
    async with connect(server) as client:
        await client.send(manual_session())
        updated = await client.expect("session.updated")
        assert updated.session.audio.input.turn_detection is None
        conn = await server.wait_for_connection()
        assert conn.protocol.audio_in.vad is None
        await client.send({"type": "input_audio_buffer.append", "audio": b64(tone(800))})
        await client.send({"type": "input_audio_buffer.append", "audio": b64(silence(800))})
        await client.send({"type": "input_audio_buffer.commit"})
        # no speech_started / stopped: the first answer is the manual commit
        assert (await client.recv()).type == "input_audio_buffer.committed"


async def test_session_expiry_sends_session_expired_then_closes(connect) -> None:
    async with LocalRealtimeServer(session_ttl=0.3) as srv, connect(srv) as client:
        error = (await client.error()).error
        assert error.code == "session_expired"
        msg = await client.closed()
        assert client.ws.close_code == 1000, msg
